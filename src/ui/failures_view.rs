//! The Failures view: errors by operation, status and kind, and the quality
//! of successful outputs (truncation, empty outputs, output variance).

use super::charts::{self, ChartView};
use super::state::Results;
use super::table::{Cell, SortableTable};
use crate::analysis::failures::{ErrorGroup, OutputHealth};
use crate::format::{count, pct, usd};
use leptos::prelude::*;
use std::sync::Arc;

fn error_row(e: &ErrorGroup) -> Vec<Cell> {
    vec![
        Cell::text(&e.operation),
        Cell::text(&e.http_status.map_or_else(|| "-".to_string(), |s| s.to_string())),
        Cell::text(e.kind.label()),
        Cell::num(e.calls as f64, count(e.calls)),
        Cell::num(e.rate, pct(e.rate)),
        Cell::num(e.cost_usd, usd(e.cost_usd)),
        Cell::text(&e.message),
    ]
}

fn output_row(o: &OutputHealth) -> Vec<Cell> {
    vec![
        Cell::text(&o.operation),
        Cell::num(o.generations as f64, count(o.generations)),
        Cell::num(o.truncated as f64, count(o.truncated)),
        Cell::num(o.truncation_rate(), pct(o.truncation_rate())),
        Cell::num(o.empty as f64, count(o.empty)),
        match o.output_cv {
            Some(cv) => Cell::num(cv, format!("{cv:.2}")),
            None => Cell::num(-1.0, "-".into()),
        },
    ]
}

/// Errors and output health of one analysis.
#[component]
pub fn FailuresView(results: Arc<Results>) -> impl IntoView {
    let f = &results.analysis.failures;
    let kinds = f.by_kind.iter().map(|(k, n)| view! {
        <div class="tile small"><div class="label">{k.label()}</div><div class="value num">{count(*n)}</div></div>
    }).collect_view();
    view! {
        <div class="view-head"><h2>"Failures"</h2></div>
        <div class="tiles" id="failure-kinds">{kinds}</div>
        <section class="panel">
            <h3>"Errors by operation and status"</h3>
            <SortableTable id="errors-table"
                columns=vec!["Operation", "Status", "Kind", "Calls", "Share of calls", "Cost", "Message"]
                rows=f.errors.iter().map(error_row).collect() />
            <div class="charts">
                <ChartView name="error-rate" chart=charts::error_rate_by_operation(&results.analysis.metrics) />
            </div>
        </section>
        <section class="panel">
            <h3>"Outputs"</h3>
            <p class="hint">"Truncated: stopped at the token limit. Output variation: the coefficient of variation of output tokens across traces."</p>
            <SortableTable id="outputs-table"
                columns=vec!["Operation", "Generations", "Truncated", "Truncation rate", "Empty", "Output variation"]
                rows=f.outputs.iter().map(output_row).collect() />
        </section>
        <super::signals_view::SignalsPanel results=results.clone() />
    }
}
