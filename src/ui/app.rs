//! The page: a top bar, the side bar of views, the run's progress in a
//! slot of its own, and the view the address names.

use super::connect_panel::ConnectPanel;
use super::dashboard::CostView;
use super::failures_view::FailuresView;
use super::nav::{self, SideBar, View};
use super::overview::Overview;
use super::progress::ProgressView;
use super::qualitative_view::QualitativeSample;
use super::recommendations::RecommendationsView;
use super::report_view::ReportView;
use super::state::{AppState, Results};
use super::theme::{self, ThemeToggle};
use super::trace_view::TraceView;
use leptos::prelude::*;
use std::sync::Arc;

/// Whether the page is dark now, for the charts.
#[derive(Clone, Copy)]
pub struct Dark(pub Memo<bool>);

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    // Should the app fail later, the notice offers these files (see `fatal`).
    Effect::new(move |_| state.results.with(|r| r.as_ref().map(|r| super::fatal::keep(&crate::pipeline::write(&r.analysis)))));
    let (choice, dark) = theme::init();
    provide_context(Dark(dark));
    nav::follow_address(state);
    // Charts are drawn to their box's width: a resized window fits them again.
    let _resize = window_event_listener_untyped("resize", |_| super::charts::fit_all());
    let source = move || state.results.with(|r| r.as_ref().map(|r| r.analysis.origin.label.clone()));
    view! {
        <div class="shell">
            <header class="topbar">
                <a class="brand" href=View::Connect.href()>"Trace Optimizer"</a>
                <span class="source" id="source-label">{source}</span>
                <span class="tagline">"Runs in your browser; your key goes only to PostHog."</span>
                <ThemeToggle choice=choice />
            </header>
            <SideBar />
            <main>
                <ProgressView />
                <section class="view" id="view-connect" class:hidden-view=move || state.view.get() != View::Connect aria-label="Project">
                    <ConnectPanel />
                </section>
                {move || match state.results.get() {
                    Some(r) => views(state, r).into_any(),
                    None => view! {
                        <Show when=move || state.view.get() != View::Connect>
                            <section class="panel empty" id="no-results">
                                <h2>"No analysis yet"</h2>
                                <p>"Connect a PostHog project, or try the demo project, then come back to this view."</p>
                                <a class="button primary" href=View::Connect.href()>"Go to the project"</a>
                            </section>
                        </Show>
                    }.into_any(),
                }}
            </main>
        </div>
    }
}

/// Every view of one analysis. All are in the page, the ones not shown
/// hidden (laid out at full width, so their charts draw to size and the
/// results bundle finds every chart).
fn views(state: AppState, r: Arc<Results>) -> impl IntoView {
    let shown = move |v: View| move || state.view.get() != v;
    view! {
        <section class="view" id="view-overview" class:hidden-view=shown(View::Overview) aria-label="Overview"><Overview results=r.clone() /></section>
        <section class="view" id="view-recommendations" class:hidden-view=shown(View::Recommendations) aria-label="Recommendations"><RecommendationsView results=r.clone() /></section>
        <section class="view" id="view-cost" class:hidden-view=shown(View::Cost) aria-label="Cost"><CostView results=r.clone() /></section>
        <section class="view" id="view-traces" class:hidden-view=shown(View::Traces) aria-label="Traces"><TraceView results=r.clone() /></section>
        <section class="view" id="view-failures" class:hidden-view=shown(View::Failures) aria-label="Failures"><FailuresView results=r.clone() /></section>
        <section class="view" id="view-sample" class:hidden-view=shown(View::Sample) aria-label="Sample"><QualitativeSample results=r.clone() /></section>
        <section class="view" id="view-report" class:hidden-view=shown(View::Report) aria-label="Report"><ReportView results=r /></section>
    }
}
