//! The Cost view's Segments section: spend by user, and the chosen
//! properties and feature-flag variants value beside value.

use super::state::Results;
use super::table::{Cell, SortableTable};
use crate::analysis::segments::{Bound, Property, Value};
use crate::format::{count, pct, usd};
use leptos::prelude::*;
use std::sync::Arc;

fn bound(b: Bound) -> String {
    match b {
        Bound::Exact(x) => usd(x),
        Bound::AtMost(x) => format!("at most {}", usd(x)),
    }
}

fn user_row(v: &Value) -> Vec<Cell> {
    vec![
        Cell::text(&v.value),
        Cell::num(v.calls as f64, count(v.calls)),
        Cell::num(v.traces as f64, count(v.traces)),
        Cell::num(v.cost_usd, usd(v.cost_usd)),
        Cell::num(v.share, pct(v.share)),
        Cell::num(v.cost_per_trace(), usd(v.cost_per_trace())),
        Cell::num(v.error_rate(), pct(v.error_rate())),
    ]
}

fn value_row(p: &Property, v: &Value) -> Vec<Cell> {
    let name = if v.other { format!("{} ({} values)", v.value, count(v.members)) } else { v.value.clone() };
    vec![
        Cell::text(p.flag_name().map_or(p.key.as_str(), |f| f)),
        Cell::text(&name),
        Cell::num(v.calls as f64, count(v.calls)),
        Cell::num(v.cost_usd, usd(v.cost_usd)),
        Cell::num(v.share, pct(v.share)),
        Cell::num(v.cost_per_call(), usd(v.cost_per_call())),
        Cell::num(v.cost_per_trace(), usd(v.cost_per_trace())),
        Cell::num(v.error_rate(), pct(v.error_rate())),
        Cell::num(v.truncation_rate(), pct(v.truncation_rate())),
    ]
}

/// One sentence per property whose values' cost per call differ.
fn spread_line(p: &Property) -> Option<String> {
    if p.spread? < crate::analysis::segments::MIN_SPREAD {
        return None;
    }
    let (hi, lo) = crate::report::segments::extremes(&p.values)?;
    let kind = if p.flag { "Flag" } else { "Property" };
    Some(format!("{kind} {}: cost per call {:.1}x higher for {} ({}) than for {} ({}).", p.flag_name().unwrap_or(&p.key), p.spread?, hi.value, usd(hi.cost_per_call()), lo.value, usd(lo.cost_per_call())))
}

/// The Segments section; a sentence when the segments answer is missing.
#[component]
pub fn SegmentsPanel(results: Arc<Results>) -> impl IntoView {
    let seg = &results.analysis.segments;
    let Some(u) = &seg.users else {
        return view! { <section class="panel" id="segments"><h3>"Segments"</h3><p>"The segments query did not answer: spend by user and by property is not known."</p></section> }.into_any();
    };
    let share = |x: Option<f64>| x.map_or("not known".to_string(), pct);
    let summary = format!(
        "{} users spent {}. The top 1% hold {}, the top 10% {}; cost per user {} at the median, {} at p95 (PostHog's recorded cost).",
        count(u.users),
        usd(u.cost_usd),
        share(u.top_1pct_share),
        share(u.top_10pct_share),
        bound(u.p50_usd),
        bound(u.p95_usd)
    );
    let spreads: Vec<String> = seg.properties.iter().filter_map(spread_line).collect();
    let rows: Vec<Vec<Cell>> = seg.properties.iter().flat_map(|p| p.values.iter().map(move |v| value_row(p, v))).collect();
    let none = seg.properties.is_empty();
    view! {
        <section class="panel" id="segments">
            <h3>"Segments"</h3>
            <p>{summary}</p>
            <SortableTable id="users-table"
                columns=vec!["User", "Calls", "Traces", "Cost", "Share", "Cost/trace", "Error rate"]
                rows=u.top.iter().map(user_row).collect() />
            {spreads.into_iter().map(|s| view! { <p>{s}</p> }).collect_view()}
            {if none {
                view! { <p>"No feature flag or custom property splits the spend."</p> }.into_any()
            } else {
                view! { <SortableTable id="segments-table"
                    columns=vec!["Property", "Value", "Calls", "Cost", "Share", "Cost/call", "Cost/trace", "Error rate", "Truncated"]
                    rows=rows /> }.into_any()
            }}
        </section>
    }
    .into_any()
}
