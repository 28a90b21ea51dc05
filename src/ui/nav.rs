//! The page's views and the side bar that switches them. The address's
//! hash names the view (`#/cost`), so back, forward and bookmarks work;
//! nothing else, and never the key, goes into the address.

use super::state::AppState;
use leptos::prelude::*;

/// One view of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Connect,
    Overview,
    Recommendations,
    Cost,
    Traces,
    Failures,
    Sample,
    Report,
}

impl View {
    /// Every view, in the side bar's order.
    pub const ALL: [View; 8] = [View::Connect, View::Overview, View::Recommendations, View::Cost, View::Traces, View::Failures, View::Sample, View::Report];

    /// The view's name in the address (`#/cost`).
    pub fn slug(self) -> &'static str {
        match self {
            View::Connect => "connect",
            View::Overview => "overview",
            View::Recommendations => "recommendations",
            View::Cost => "cost",
            View::Traces => "traces",
            View::Failures => "failures",
            View::Sample => "sample",
            View::Report => "report",
        }
    }

    /// The view's name in the side bar.
    pub fn label(self) -> &'static str {
        match self {
            View::Connect => "Project",
            View::Overview => "Overview",
            View::Recommendations => "Recommendations",
            View::Cost => "Cost",
            View::Traces => "Traces",
            View::Failures => "Failures",
            View::Sample => "Sample",
            View::Report => "Report",
        }
    }

    /// The view an address's hash names (`#/cost`), if any.
    pub fn from_hash(hash: &str) -> Option<View> {
        let slug = hash.trim_start_matches('#').trim_start_matches('/');
        View::ALL.into_iter().find(|v| v.slug() == slug)
    }

    /// The link to the view.
    pub fn href(self) -> String {
        format!("#/{}", self.slug())
    }
}

/// The view the address names, if any.
pub fn from_address() -> Option<View> {
    View::from_hash(&window().location().hash().unwrap_or_default())
}

/// Opens `view` as a new entry of the browser's history (back returns).
pub fn go(state: AppState, view: View) {
    state.view.set(view);
    if from_address() != Some(view) {
        let _ = window().location().set_hash(&format!("/{}", view.slug()));
    }
}

/// Follows the address: back, forward and edited hashes change the view.
pub fn follow_address(state: AppState) {
    if let Some(v) = from_address() {
        state.view.set(v);
    }
    // Never removed; once the app is unmounted (tests mount several), the set does nothing.
    let _listener = window_event_listener_untyped("hashchange", move |_| {
        if let Some(v) = from_address() {
            state.view.try_set(v);
        }
    });
}

/// The side bar: one link per view; the views that need results say so until there are some.
#[component]
pub fn SideBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let has_results = move || state.results.with(Option::is_some);
    let links = View::ALL
        .into_iter()
        .map(|v| {
            let current = move || state.view.get() == v;
            let count = move || match v {
                View::Recommendations => state.results.with(|r| r.as_ref().map(|r| r.analysis.recommendations.items.len().to_string())),
                _ => None,
            };
            view! {
                <li>
                    <a href=v.href() id=format!("nav-{}", v.slug()) class:current=current
                        aria-current=move || current().then_some("page")
                        class:waiting=move || v != View::Connect && !has_results()>
                        {v.label()}
                        {move || count().map(|n| view! { <span class="count">{n}</span> })}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="sidebar" aria-label="Views">
            <ul>{links}</ul>
        </nav>
    }
}
