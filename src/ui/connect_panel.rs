//! The connect panel: region or host, personal API key, project, window.

use super::run::run_demo;
use super::state::AppState;
use crate::analysis::Settings;
use leptos::prelude::*;

/// PostHog's cloud regions and self-hosted instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostChoice {
    Us,
    Eu,
    Custom,
}

impl HostChoice {
    fn from_value(v: &str) -> Self {
        match v {
            "eu" => HostChoice::Eu,
            "custom" => HostChoice::Custom,
            _ => HostChoice::Us,
        }
    }
}

/// Collects what a run needs; "Try the demo project" needs nothing.
#[component]
pub fn ConnectPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let host = RwSignal::new(HostChoice::Us);
    let custom_url = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let project = RwSignal::new(String::new());
    let days = RwSignal::new(String::from("30"));
    let window_days = move || days.get().trim().parse::<u32>().ok().filter(|d| (1..=365).contains(d));
    let filled = move || {
        !key.get().trim().is_empty()
            && !project.get().trim().is_empty()
            && window_days().is_some()
            && (host.get() != HostChoice::Custom || custom_url.get().trim().starts_with("http"))
    };
    let demo = move |_| {
        let settings = Settings { window_days: window_days().unwrap_or(30), ..Settings::default() };
        run_demo(state, settings);
    };
    view! {
        <section class="panel connect" aria-label="Connect to PostHog">
            <h2>"Connect"</h2>
            <div class="fields">
                <label>"PostHog host"
                    <select id="host" on:change=move |ev| host.set(HostChoice::from_value(&event_target_value(&ev)))>
                        <option value="us" selected=true>"US cloud (us.posthog.com)"</option>
                        <option value="eu">"EU cloud (eu.posthog.com)"</option>
                        <option value="custom">"Self-hosted URL"</option>
                    </select>
                </label>
                <Show when=move || host.get() == HostChoice::Custom>
                    <label>"Instance URL"
                        <input id="custom-url" type="url" placeholder="https://posthog.example.com"
                            prop:value=custom_url on:input=move |ev| custom_url.set(event_target_value(&ev)) />
                    </label>
                </Show>
                <label>"Personal API key (query:read)"
                    <input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="phx_..."
                        prop:value=key on:input=move |ev| key.set(event_target_value(&ev)) />
                </label>
                <label>"Project ID"
                    <input id="project-id" type="text" inputmode="numeric" placeholder="12345"
                        prop:value=project on:input=move |ev| project.set(event_target_value(&ev)) />
                </label>
                <label>"Window (days)"
                    <input id="window-days" type="number" min="1" max="365"
                        prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) />
                </label>
            </div>
            <div class="actions">
                <button id="analyze" class="primary" disabled=move || !filled() || state.busy()>"Analyze"</button>
                <button id="demo" on:click=demo disabled=move || state.busy()>"Try the demo project"</button>
                <span class="hint">"The demo runs entirely in this page, with no key and no network."</span>
            </div>
        </section>
    }
}
