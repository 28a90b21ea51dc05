//! The Cost view: charts and sortable tables of cost by operation, model and day.

use super::charts::{self, ChartView};
use super::state::Results;
use super::table::{Cell, SortableTable};
use super::what_if::WhatIf;
use crate::analysis::metrics::GroupMetrics;
use crate::format::{count, pct, secs, usd};
use leptos::prelude::*;
use std::sync::Arc;

fn operation_row(g: &GroupMetrics) -> Vec<Cell> {
    let t = &g.totals;
    vec![
        Cell::text(&g.name),
        Cell::num(t.calls as f64, count(t.calls)),
        Cell::num(t.cost_usd, usd(t.cost_usd)),
        Cell::num(g.cost_share, pct(g.cost_share)),
        Cell::num(t.avg_cost(), usd(t.avg_cost())),
        Cell::num(t.tokens.total() as f64, count(t.tokens.total())),
        Cell::num(g.p50_latency_s, secs(g.p50_latency_s)),
        Cell::num(g.p95_latency_s, secs(g.p95_latency_s)),
        Cell::num(t.error_rate(), pct(t.error_rate())),
    ]
}

fn model_row(g: &GroupMetrics) -> Vec<Cell> {
    let t = &g.totals;
    vec![
        Cell::text(&g.name),
        Cell::text(&g.provider),
        Cell::num(t.calls as f64, count(t.calls)),
        Cell::num(t.cost_usd, usd(t.cost_usd)),
        Cell::num(g.cost_share, pct(g.cost_share)),
        Cell::num(t.tokens.total() as f64, count(t.tokens.total())),
        Cell::num(g.p50_latency_s, secs(g.p50_latency_s)),
        Cell::num(t.error_rate(), pct(t.error_rate())),
    ]
}

fn day_row(d: &crate::analysis::metrics::Day) -> Vec<Cell> {
    let t = &d.totals;
    vec![
        Cell::text(&crate::time::day(d.day)),
        Cell::num(t.calls as f64, count(t.calls)),
        Cell::num(t.cost_usd, usd(t.cost_usd)),
        Cell::num(t.avg_cost(), usd(t.avg_cost())),
        Cell::num(t.tokens.total() as f64, count(t.tokens.total())),
        Cell::num(t.error_rate(), pct(t.error_rate())),
    ]
}

/// The Cost view: where the money goes, by operation, model and day, the
/// per-trace cost of the top operations, and the what-if.
#[component]
pub fn CostView(results: Arc<Results>) -> impl IntoView {
    let m = &results.analysis.metrics;
    view! {
        <div class="view-head"><h2>"Cost"</h2></div>
        <section class="panel">
            <h3>"Operations"</h3>
            <SortableTable id="operations-table"
                columns=vec!["Operation", "Calls", "Cost", "Share", "Avg cost/call", "Tokens", "p50 latency", "p95 latency", "Error rate"]
                rows=m.by_operation.iter().map(operation_row).collect() />
            <div class="charts">
                <ChartView name="cost-by-operation" chart=charts::cost_by_operation(m) />
                <ChartView name="latency-vs-cost" chart=charts::latency_vs_cost(m) />
            </div>
        </section>
        <section class="panel">
            <h3>"Models"</h3>
            <SortableTable id="models-table"
                columns=vec!["Model", "Provider", "Calls", "Cost", "Share", "Tokens", "p50 latency", "Error rate"]
                rows=m.by_model.iter().map(model_row).collect() />
            <div class="charts">
                <ChartView name="cost-by-model" chart=charts::cost_by_model(m) />
            </div>
        </section>
        <section class="panel">
            <h3>"Days"</h3>
            <SortableTable id="days-table"
                columns=vec!["Day", "Calls", "Cost", "Avg cost/call", "Tokens", "Error rate"]
                rows=m.daily.iter().map(day_row).collect() />
        </section>
        <super::changes_view::ChangesPanel results=results.clone() />
        <section class="panel">
            <h3>"Cost per trace in the top operations"</h3>
            <div class="charts">
                {results.analysis.variance.operations.iter().enumerate().map(|(i, v)| view! {
                    <ChartView name=format!("trace-cost-{}", i + 1) chart=charts::trace_cost_distribution(v) height=260 />
                }).collect_view()}
            </div>
        </section>
        <super::audit_view::AuditSection results=results.clone() />
        <super::segments_view::SegmentsPanel results=results.clone() />
        <WhatIf results=results.clone() />
    }
}
