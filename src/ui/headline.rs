//! The headline numbers of an analysis.

use crate::analysis::Analysis;
use crate::format::{count, pct, usd};
use leptos::prelude::*;

/// Cards with the totals everyone asks for first.
#[component]
pub fn Headline(analysis: std::sync::Arc<super::state::Results>) -> impl IntoView {
    let a: &Analysis = &analysis.analysis;
    let t = &a.metrics.totals;
    let cards = [
        ("Total cost", usd(t.cost_usd)),
        ("Per 30 days", usd(a.monthly(t.cost_usd))),
        ("Generations", count(t.calls)),
        ("Traces", count(a.overview.traces)),
        ("Error rate", pct(t.error_rate())),
    ];
    view! {
        <div class="headline">
            {cards.into_iter().map(|(label, value)| view! {
                <div class="card"><div class="value">{value}</div><div class="label">{label}</div></div>
            }).collect_view()}
        </div>
    }
}
