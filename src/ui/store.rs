//! What the page keeps in this browser's `localStorage`, never with the API
//! key: the form's settings, and per project (keyed by host and project)
//! the `analysis.json` the next run follows up on, and a record of its
//! last run kept in Cache Storage (`kept_runs`).

use serde::{Deserialize, Serialize};

const SETTINGS: &str = "trace-optimizer.settings";
const PROJECT: &str = "trace-optimizer.project.";

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

/// The form as it was last used (host choice, custom URL, project, window, settings); never the key.
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

/// The kept `analysis.json` of `project`, if any.
pub fn follow_up(project: &str) -> Option<String> {
    get(&follow_up_key(project))
}

/// Keeps `json` as `project`'s `analysis.json`.
pub fn save_follow_up(project: &str, json: &str) {
    set(&follow_up_key(project), json);
}

/// What is known of `project`'s kept run (the run itself is in Cache
/// Storage: [`super::kept_runs`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeptRun {
    /// When it was kept, in the browser's time (`YYYY-MM-DD HH:MM`).
    pub saved: String,
    /// The window the analysis covers, as the report writes it.
    pub window: String,
    /// Its size in the cache, gzipped.
    pub bytes: u64,
    /// Why the last run was not kept, when it was not.
    pub not_kept: Option<String>,
}

fn kept_run_key(project: &str) -> String {
    format!("{PROJECT}{project}.run")
}

/// What is known of `project`'s kept run, if anything.
pub fn kept_run(project: &str) -> Option<KeptRun> {
    get(&kept_run_key(project)).and_then(|s| serde_json::from_str(&s).ok())
}

/// Records what was kept of `project`'s last run.
pub fn save_kept_run(project: &str, kept: &KeptRun) {
    if let Ok(json) = serde_json::to_string(kept) {
        set(&kept_run_key(project), &json);
    }
}

/// Forgets what is kept of `project` (start fresh): its `analysis.json`
/// and the record of its kept run (the caller drops the run itself).
pub fn forget_project(project: &str) {
    remove(&follow_up_key(project));
    remove(&kept_run_key(project));
}
