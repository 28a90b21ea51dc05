//! The connect panel: host or region, personal API key, project, window,
//! and the analysis settings of PRODUCT.md's inputs.

use super::key_store;
use super::store;
use super::run::{run_demo, run_posthog, PostHogTarget};
use super::state::{AppState, Phase};
use crate::analysis::Settings;
use crate::source::posthog::browser::BrowserTransport;
use crate::source::posthog::{discover, ApiKey, Client, Host, ProjectChoice};
use leptos::prelude::*;

/// Where PostHog lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostChoice {
    /// US cloud, then EU cloud if the key is unknown there.
    Auto,
    Us,
    Eu,
    Custom,
}

impl HostChoice {
    fn from_value(v: &str) -> Self {
        match v {
            "us" => HostChoice::Us,
            "eu" => HostChoice::Eu,
            "custom" => HostChoice::Custom,
            _ => HostChoice::Auto,
        }
    }

    fn value(self) -> &'static str {
        match self {
            HostChoice::Auto => "auto",
            HostChoice::Us => "us",
            HostChoice::Eu => "eu",
            HostChoice::Custom => "custom",
        }
    }
}

/// The host the form names, or what is wrong with the URL.
pub fn host_from(choice: HostChoice, url: &str) -> Result<Host, String> {
    match choice {
        HostChoice::Auto => Ok(Host::Auto),
        HostChoice::Us => Ok(Host::Us),
        HostChoice::Eu => Ok(Host::Eu),
        HostChoice::Custom => Host::parse(url.trim()),
    }
}

/// What discovery found, for the project picker.
#[derive(Clone, Debug, Default, PartialEq)]
struct Found {
    projects: Vec<ProjectChoice>,
    /// Why the list is partial or empty, or what went wrong.
    note: Option<String>,
}

/// Reads a whole number in `range`, or says what is wrong with it.
fn number(label: &str, text: &str, range: std::ops::RangeInclusive<usize>) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!("{label} must be a whole number from {} to {}", range.start(), range.end())),
    }
}

/// The analysis settings from the form's text fields.
pub fn settings_from(days: &str, top_n: &str, sample: &str, min_recs: &str) -> Result<Settings, String> {
    Ok(Settings {
        window_days: number("Window", days, 1..=365)? as u32,
        top_n: number("Top operations", top_n, 1..=20)?,
        sample_size: number("Sample size", sample, 1..=100)?,
        min_recommendations: number("Minimum recommendations", min_recs, 0..=10)?,
        segments: Vec::new(),
    })
}

/// Collects what a run needs; "Try the demo project" needs no key.
#[component]
pub fn ConnectPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let remembered = key_store::load();
    // The form comes back as it was last used; the key only when the user opted in.
    let kept = store::form();
    let or = |v: &str, default: &str| if v.trim().is_empty() { default.to_string() } else { v.to_string() };
    let host = RwSignal::new(HostChoice::from_value(&kept.host));
    let custom_url = RwSignal::new(kept.url.clone());
    let key = RwSignal::new(remembered.clone().unwrap_or_default());
    let remember = RwSignal::new(remembered.is_some());
    let project = RwSignal::new(kept.project.clone());
    let days = RwSignal::new(or(&kept.days, "30"));
    let top_n = RwSignal::new(or(&kept.top_n, "5"));
    let sample = RwSignal::new(or(&kept.sample, "15"));
    let min_recs = RwSignal::new(or(&kept.min_recs, "3"));
    let save_form = move || {
        store::save_form(&store::Form {
            host: host.get_untracked().value().into(),
            url: custom_url.get_untracked(),
            project: project.get_untracked(),
            days: days.get_untracked(),
            top_n: top_n.get_untracked(),
            sample: sample.get_untracked(),
            min_recs: min_recs.get_untracked(),
        })
    };
    // The project's records in this browser: the form's host and project.
    let project_key = move || store::project_key(&format!("{}{}", host.get().value(), if host.get() == HostChoice::Custom { format!(":{}", custom_url.get().trim()) } else { String::new() }), project.get().trim());
    let settings = move || settings_from(&days.get(), &top_n.get(), &sample.get(), &min_recs.get());
    let found = RwSignal::new(Found::default());
    let finding = RwSignal::new(false);
    let target_host = move || host_from(host.get(), &custom_url.get());
    let project_id = move || project.get().trim().parse::<u64>().ok();
    let filled = move || !key.get().trim().is_empty() && project_id().is_some() && settings().is_ok() && target_host().is_ok();
    let find_projects = move |_| {
        let Ok(h) = untrack(target_host) else { return };
        let k = match ApiKey::parse(&key.get_untracked()) {
            Ok(k) => k,
            Err(why) => return found.set(Found { projects: vec![], note: Some(why) }),
        };
        finding.set(true);
        let client = Client::new(BrowserTransport, k, h);
        leptos::task::spawn_local(async move {
            let outcome = match discover(&client).await {
                Ok(d) if !d.can_query => Found { projects: d.projects, note: Some("This key lacks the query:read scope, which the analysis needs.".into()) },
                Ok(d) => Found { projects: d.projects, note: d.note },
                Err(e) => Found { projects: vec![], note: Some(e.to_string()) },
            };
            // The picker shows the first project; the id follows it unless one was typed and is listed.
            let listed = |id: Option<u64>| id.is_some_and(|id| outcome.projects.iter().any(|p| p.id == id));
            if let Some(first) = outcome.projects.first().filter(|_| !listed(untrack(project_id))) {
                project.set(first.id.to_string());
            }
            found.set(outcome);
            finding.set(false);
        });
    };
    let on_remember = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        remember.set(on);
        if !on {
            key_store::forget();
        }
    };
    let demo = move |_| {
        if let Ok(s) = settings() {
            save_form();
            run_demo(state, s);
        }
    };
    let analyze = move |_| {
        save_form();
        if remember.get_untracked() {
            key_store::save(&key.get_untracked());
        }
        let (Ok(h), Some(id), Ok(s)) = (untrack(target_host), untrack(project_id), untrack(settings)) else { return };
        let name = found.with_untracked(|f| f.projects.iter().find(|p| p.id == id).map(|p| p.name.clone())).unwrap_or_else(|| format!("Project {id}"));
        let k = match ApiKey::parse(&key.get_untracked()) {
            Ok(k) => k,
            Err(why) => return state.phase.set(Phase::Failed(why)),
        };
        let target = PostHogTarget { host: h, key: k, project: ProjectChoice { id, name }, kept: untrack(project_key) };
        run_posthog(state, target, s);
    };
    view! {
        <section class="panel connect" aria-label="Connect to PostHog">
            <h2>"Connect"</h2>
            <div class="fields">
                <label>"PostHog host"
                    <select id="host" on:change=move |ev| host.set(HostChoice::from_value(&event_target_value(&ev)))
                        prop:value=move || host.get().value()>
                        <option value="auto">"Cloud: US, else EU"</option>
                        <option value="us">"US cloud (us.posthog.com)"</option>
                        <option value="eu">"EU cloud (eu.posthog.com)"</option>
                        <option value="custom">"Self-hosted URL"</option>
                    </select>
                </label>
                <Show when=move || host.get() == HostChoice::Custom>
                    <label>"Instance URL"
                        <input id="custom-url" type="url" placeholder="https://posthog.example.com"
                            prop:value=custom_url on:input=move |ev| custom_url.set(event_target_value(&ev)) />
                    </label>
                    {move || (!custom_url.get().trim().is_empty()).then(|| target_host().err()).flatten().map(|e| view! { <p id="host-error" class="invalid" role="alert">{e}</p> })}
                </Show>
                <label>"Personal API key (query:read)"
                    <input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="phx_..."
                        prop:value=key on:input=move |ev| key.set(event_target_value(&ev)) />
                </label>
                <div class="project-field">
                    <Show when=move || !found.with(|f| f.projects.is_empty())
                        fallback=move || view! {
                            <label>"Project ID"
                                <input id="project-id" type="text" inputmode="numeric" placeholder="12345"
                                    prop:value=project on:input=move |ev| project.set(event_target_value(&ev)) />
                            </label>
                        }>
                        <label>"Project"
                            <select id="project-select" on:change=move |ev| project.set(event_target_value(&ev)) prop:value=project>
                                {move || found.get().projects.into_iter().map(|p| view! { <option value=p.id.to_string()>{format!("{} ({})", p.name, p.id)}</option> }).collect_view()}
                            </select>
                        </label>
                    </Show>
                    <button id="discover" type="button" on:click=find_projects
                        disabled=move || key.get().trim().is_empty() || target_host().is_err() || finding.get()>
                        {move || if finding.get() { "Finding projects..." } else { "Find my projects" }}
                    </button>
                </div>
                <label>"Window (days)"
                    <input id="window-days" type="number" min="1" max="365"
                        prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) />
                </label>
            </div>
            <label class="check">
                <input id="remember-key" type="checkbox" prop:checked=remember on:change=on_remember />
                "Remember the key in this browser (kept in local storage, readable by anyone using this browser profile)"
            </label>
            <details class="advanced">
                <summary>"Analysis settings"</summary>
                <div class="fields">
                    <label>"Top operations deep-dived"
                        <input id="top-n" type="number" min="1" max="20" prop:value=top_n on:input=move |ev| top_n.set(event_target_value(&ev)) />
                    </label>
                    <label>"Traces read qualitatively"
                        <input id="sample-size" type="number" min="1" max="100" prop:value=sample on:input=move |ev| sample.set(event_target_value(&ev)) />
                    </label>
                    <label>"Minimum recommendations"
                        <input id="min-recs" type="number" min="0" max="10" prop:value=min_recs on:input=move |ev| min_recs.set(event_target_value(&ev)) />
                    </label>
                    <super::prior_input::PriorInput />
                </div>
            </details>
            {move || found.get().note.map(|n| view! { <p id="discover-note" class="hint" role="status">{n}</p> })}
            <Kept project=Signal::derive(project_key) label="this project" />
            {move || settings().err().map(|e| view! { <p class="invalid" role="alert">{e}</p> })}
            <div class="actions">
                <button id="analyze" class="primary" on:click=analyze disabled=move || !filled() || state.busy()>"Analyze"</button>
                <button id="demo" on:click=demo disabled=move || settings().is_err() || state.busy()>"Try the demo project"</button>
                <span class="hint">"The demo runs entirely in this page, with no key and no network."</span>
            </div>
            <Kept project=Signal::derive(|| store::DEMO.to_string()) label="the demo project" />
        </section>
    }
}

/// What this browser keeps of a project: the analysis the next run follows
/// up on and the last run, with a way to reopen it and to start fresh.
#[component]
fn Kept(project: Signal<String>, label: &'static str) -> impl IntoView {
    let state = expect_context::<AppState>();
    // Bumped when the records change, so the lines below read them again.
    let changed = RwSignal::new(0u32);
    let records = move || {
        changed.track();
        state.kept.track();
        state.results.track();
        let p = project.get();
        (store::follow_up(&p).and_then(|json| crate::analysis::history::FollowUp::parse(&json).ok()), store::kept_run(&p))
    };
    let fresh = move |_| {
        let p = project.get_untracked();
        store::forget_project(&p);
        leptos::task::spawn_local(async move { super::kept_runs::forget(&p).await });
        changed.update(|n| *n += 1);
    };
    let reopen = move |_| super::run::reopen(state, project.get_untracked());
    let slug = if label == "the demo project" { "demo" } else { "project" };
    view! {
        {move || {
            let (follow_up, run) = records();
            (follow_up.is_some() || run.is_some()).then(|| view! {
                <div class="kept" id=format!("kept-{slug}")>
                    {follow_up.map(|f| {
                        let marked = f.recommendations.iter().filter(|r| r.status != crate::analysis::history::Status::Open).count();
                        view! { <p class="hint">{format!("The next analysis of {label} follows up on the one of {} kept in this browser ({} recommendations, {marked} marked): targets hit or missed, shipped and rejected fixes not proposed again.", crate::time::day(f.window_end), f.recommendations.len())}</p> }
                    })}
                    {run.clone().map(|k| match k.not_kept {
                        Some(why) => view! { <p class="hint" id=format!("not-kept-{slug}")>{format!("The last analysis was not kept to reopen: {why}.")}</p> }.into_any(),
                        None => view! { <p class="hint">{format!("The last analysis ({}, {}), kept in this browser's Cache Storage on {}, reopens without fetching anything again.", k.window, crate::format::bytes(k.bytes), k.saved)}</p> }.into_any(),
                    })}
                    <div class="actions">
                        {run.filter(|k| k.not_kept.is_none()).map(|_| view! {
                            <button id=format!("reopen-{slug}") type="button" on:click=reopen disabled=move || state.busy()>"Reopen the last analysis"</button>
                        })}
                        <button id=format!("fresh-{slug}") type="button" class="ghost" on:click=fresh disabled=move || state.busy()>"Start fresh"</button>
                    </div>
                </div>
            })
        }}
    }
}
