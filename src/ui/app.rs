//! The page: connect panel, progress, dashboard and report.

use super::connect_panel::ConnectPanel;
use super::dashboard::Dashboard;
use super::progress::ProgressView;
use super::qualitative_view::QualitativeSample;
use super::report_view::ReportView;
use super::state::AppState;
use super::trace_view::TraceView;
use super::what_if::WhatIf;
use leptos::prelude::*;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let results = move || state.results.get();
    // Should the app fail later, the notice offers these files (see `fatal`).
    Effect::new(move |_| state.results.with(|r| r.as_ref().map(|r| super::fatal::keep(&crate::pipeline::write(&r.analysis)))));
    view! {
        <header class="topbar">
            <h1>"Trace Optimizer"</h1>
            <p class="tagline">"Where your LLM spend and quality leak, proven with real traces. Runs in your browser; your key goes only to PostHog."</p>
        </header>
        <main>
            <ConnectPanel />
            <ProgressView />
            {move || results().map(|r| view! {
                <Dashboard results=r.clone() />
                <TraceView results=r.clone() />
                <WhatIf results=r.clone() />
                <QualitativeSample results=r.clone() />
                <ReportView results=r />
            })}
        </main>
    }
}
