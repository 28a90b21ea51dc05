//! What the page keeps in this browser's `localStorage`, never with the API
//! key: the form's settings, and per project (keyed by host and project)
//! the `analysis.json` the next run follows up on and the last analysis,
//! to reopen without asking PostHog again.

use crate::analysis::dataset::GenerationRow;
use crate::analysis::select::Selection;
use crate::analysis::Analysis;
use serde::{Deserialize, Serialize};

const SETTINGS: &str = "trace-optimizer.settings";
const PROJECT: &str = "trace-optimizer.project.";

/// The largest last analysis kept, in characters of JSON. Browsers give a
/// site about 5 MB of `localStorage` (Chromium and Firefox count UTF-16
/// code units, so 5 M characters); this leaves room for the settings and
/// for several projects' `analysis.json`.
pub const LAST_RUN_CHARS: usize = 2_000_000;

/// Where the last analysis is kept, for the page to say.
pub const WHERE: &str = "this browser's localStorage (about 5 MB per site; an analysis over 2 million characters is not kept, and older projects' analyses make room for a new one)";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn set(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// The form as it was last used (host choice, custom URL, project, window, settings, theme).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Form {
    pub host: String,
    pub url: String,
    pub project: String,
    pub days: String,
    pub top_n: String,
    pub sample: String,
    pub min_recs: String,
}

/// The remembered form, if any.
pub fn form() -> Form {
    get(SETTINGS).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

/// Remembers the form.
pub fn save_form(form: &Form) {
    if let Ok(json) = serde_json::to_string(form) {
        set(SETTINGS, &json);
    }
}

/// The key a project's records are kept under: `demo`, or the host and the project id.
pub fn project_key(host: &str, project: &str) -> String {
    format!("{host}|{project}")
}

/// The demo project's key.
pub const DEMO: &str = "demo";

fn follow_up_key(project: &str) -> String {
    format!("{PROJECT}{project}.analysis")
}

fn last_key(project: &str) -> String {
    format!("{PROJECT}{project}.last")
}

/// The kept `analysis.json` of `project`, if any.
pub fn follow_up(project: &str) -> Option<String> {
    get(&follow_up_key(project))
}

/// Keeps `json` as `project`'s `analysis.json`.
pub fn save_follow_up(project: &str, json: &str) {
    set(&follow_up_key(project), json);
}

/// Forgets what is kept of `project` (start fresh).
pub fn forget_project(project: &str) {
    remove(&follow_up_key(project));
    remove(&last_key(project));
}

/// A finished analysis as kept for reopening.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeptRun {
    pub analysis: Analysis,
    pub selection: Selection,
    pub generations: Vec<GenerationRow>,
    pub warnings: Vec<String>,
    /// When it was kept, as the page's clock says (ms since 1970).
    pub kept_ms: f64,
}

/// Keeps `run` as `project`'s last analysis; says why not when it cannot.
/// A full storage makes room by dropping other projects' last analyses.
pub fn save_last(project: &str, run: &KeptRun) -> Result<usize, String> {
    let json = serde_json::to_string(run).map_err(|e| e.to_string())?;
    if json.len() > LAST_RUN_CHARS {
        remove(&last_key(project));
        return Err(format!("the analysis takes {} characters, over the {} kept", crate::format::count(json.len() as u64), crate::format::count(LAST_RUN_CHARS as u64)));
    }
    if set(&last_key(project), &json) {
        return Ok(json.len());
    }
    for other in kept_last_keys().into_iter().filter(|k| *k != last_key(project)) {
        remove(&other);
        if set(&last_key(project), &json) {
            return Ok(json.len());
        }
    }
    Err("the browser's storage for this site is full".into())
}

fn kept_last_keys() -> Vec<String> {
    let Some(s) = storage() else { return Vec::new() };
    (0..s.length().unwrap_or(0)).filter_map(|i| s.key(i).ok().flatten()).filter(|k| k.starts_with(PROJECT) && k.ends_with(".last")).collect()
}

/// `project`'s last analysis, if one is kept and still reads.
pub fn last(project: &str) -> Option<KeptRun> {
    serde_json::from_str(&get(&last_key(project))?).ok()
}

/// The size of `project`'s kept last analysis, in characters.
pub fn last_size(project: &str) -> Option<usize> {
    get(&last_key(project)).map(|s| s.len())
}
