//! The dashboard: headline numbers, charts and the sortable tables.

use super::charts::{self, ChartView};
use super::data_quality::DataQualityPanel;
use super::headline::Headline;
use super::progress::QueryMeterLine;
use super::state::Results;
use crate::pipeline::Timing;
use super::table::{Cell, SortableTable};
use crate::analysis::metrics::GroupMetrics;
use crate::format::{count, pct, secs, usd, visible};
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

/// Everything about the last finished analysis except the report text.
#[component]
pub fn Dashboard(results: Arc<Results>) -> impl IntoView {
    let state = expect_context::<super::state::AppState>();
    let m = &results.analysis.metrics;
    let warnings = results.warnings.clone();
    view! {
        <section class="panel dashboard" aria-label="Dashboard">
            <h2>"Dashboard"</h2>
            <Headline analysis=results.clone() />
            <Show when=move || !state.busy()>
                <QueryMeterLine />
            </Show>
            <RunTiming timing=results.timing />
            {(!warnings.is_empty()).then(|| view! {
                <div class="warnings" role="status">
                    <strong>"Some questions went unanswered; the rest of the analysis stands:"</strong>
                    <ul>{warnings.into_iter().map(|w| view! { <li>{visible(&w).into_owned()}</li> }).collect_view()}</ul>
                </div>
            })}
            <div class="charts">
                <ChartView name="cost-by-operation" chart=charts::cost_by_operation(m) />
                <ChartView name="cost-by-model" chart=charts::cost_by_model(m) />
                <ChartView name="daily-cost" chart=charts::daily_cost_by_model(m) />
                <ChartView name="latency-vs-cost" chart=charts::latency_vs_cost(m) />
                <ChartView name="error-rate" chart=charts::error_rate_by_operation(m) />
            </div>
            <h3>"Cost per trace in the top operations"</h3>
            <div class="charts">
                {results.analysis.variance.operations.iter().enumerate().map(|(i, v)| view! {
                    <ChartView name=format!("trace-cost-{}", i + 1) chart=charts::trace_cost_distribution(v) height=260 />
                }).collect_view()}
            </div>
            <h3>"Operations"</h3>
            <SortableTable id="operations-table"
                columns=vec!["Operation", "Calls", "Cost", "Share", "Avg cost/call", "Tokens", "p50 latency", "p95 latency", "Error rate"]
                rows=m.by_operation.iter().map(operation_row).collect() />
            <h3>"Models"</h3>
            <SortableTable id="models-table"
                columns=vec!["Model", "Provider", "Calls", "Cost", "Share", "Tokens", "p50 latency", "Error rate"]
                rows=m.by_model.iter().map(model_row).collect() />
            <DataQualityPanel results=results.clone() />
        </section>
    }
}

/// How long the run took, and in how many dependent rounds of queries.
#[component]
fn RunTiming(timing: Timing) -> impl IntoView {
    let Timing { fetch_ms, compute_ms, rounds } = timing;
    let noun = if rounds == 1 { "round" } else { "rounds" };
    view! {
        <p id="run-timing" class="hint" data-fetch-ms=fetch_ms data-compute-ms=compute_ms data-rounds=rounds>
            {format!("Data read in {:.1} s, in {rounds} dependent {noun} of queries after the overview; analysed and written in {compute_ms:.0} ms.", fetch_ms / 1000.0)}
        </p>
    }
}
