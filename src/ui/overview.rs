//! The overview: the headline tiles, the top three recommendations and the
//! trend, then what the run could not answer and the input's problems.

use super::charts::{self, ChartView};
use super::data_quality::DataQualityPanel;
use super::nav::View;
use super::progress::QueryMeterLine;
use super::recommendations::{effort_badge, savings_badge};
use super::state::{AppState, Results};
use crate::analysis::metrics::Trend;
use crate::analysis::Analysis;
use crate::format::{change, count, pct, usd};
use crate::pipeline::Timing;
use leptos::prelude::*;
use std::sync::Arc;

/// One tile: its id, value, label and a line under it.
struct Tile {
    id: &'static str,
    value: String,
    label: String,
    note: String,
    /// Whether the value asks for attention (errors, unpriced calls, warnings).
    alarm: bool,
}

/// The window's length in words (`30 days`, `36 hours`).
fn window_words(a: &Analysis) -> String {
    let days = a.window.days();
    if days >= 1.0 && (days - days.round()).abs() < 1e-9 {
        format!("{} day{}", days.round(), if days.round() == 1.0 { "" } else { "s" })
    } else {
        format!("{:.0} hours", days * 24.0)
    }
}

/// The headline tiles of `r`. The spend tile names its window, and gives a
/// 30-day figure only when the window is not 30 days already.
fn tiles(r: &Results) -> Vec<Tile> {
    let a = &r.analysis;
    let t = &a.metrics.totals;
    let thirty = (a.window.days() - 30.0).abs() < 1e-9;
    let rec = &a.recommendations;
    let unpriced = a.pricing.totals.unpriced_calls;
    let warnings = r.warnings.len() + crate::report::data_quality::rows(a).len();
    vec![
        Tile {
            id: "tile-spend",
            value: usd(t.cost_usd),
            label: format!("Spend over {}", window_words(a)),
            note: if thirty { format!("{} a day", usd(t.cost_usd / 30.0)) } else { format!("{} per 30 days at this rate", usd(a.monthly(t.cost_usd))) },
            alarm: false,
        },
        Tile {
            id: "tile-savings",
            value: usd(rec.monthly_savings_usd),
            label: "Savings found per 30 days".into(),
            note: format!("{} of spend, in {} recommendation{}", pct(if t.cost_usd > 0.0 { rec.savings_usd / t.cost_usd } else { 0.0 }), rec.items.len(), if rec.items.len() == 1 { "" } else { "s" }),
            alarm: false,
        },
        Tile { id: "tile-generations", value: count(t.calls), label: "Generations".into(), note: format!("{} tokens", count(t.tokens.total())), alarm: false },
        Tile { id: "tile-traces", value: count(a.overview.traces), label: "Traces".into(), note: format!("{} operations, {} models", a.metrics.by_operation.len(), a.metrics.by_model.len()), alarm: false },
        Tile { id: "tile-errors", value: pct(t.error_rate()), label: "Error rate".into(), note: format!("{} failed calls", count(t.errors)), alarm: t.error_rate() > 0.0 },
        Tile {
            id: "tile-unpriced",
            value: count(unpriced),
            label: "Unpriced calls".into(),
            note: format!("{} priced from the table", count(a.pricing.totals.backfilled_calls)),
            alarm: unpriced > 0,
        },
        Tile { id: "tile-warnings", value: count(warnings as u64), label: "Data warnings".into(), note: "below, and in the report".into(), alarm: warnings > 0 },
    ]
}

/// A trend as words: the last 7 and 3 complete days against the window.
fn trend_words(what: &str, t: &Trend, money: bool) -> String {
    let shown = |x: f64| if money { usd(x) } else { format!("{x:.1}") };
    format!("{what}: {} a day over the window; last 7 days {} ({}), last 3 days {} ({}).", shown(t.window_daily), shown(t.last_7_daily), change(t.change(7)), shown(t.last_3_daily), change(t.change(3)))
}

/// The overview of one analysis.
#[component]
pub fn Overview(results: Arc<Results>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let a = &results.analysis;
    let m = &a.metrics;
    let warnings = results.warnings.clone();
    let top: Vec<_> = a.recommendations.items.iter().take(3).cloned().collect();
    let tiles = tiles(&results).into_iter().map(|t| view! {
        <div class="tile" id=t.id class:alarm=t.alarm>
            <div class="label">{t.label}</div>
            <div class="value num">{t.value}</div>
            <div class="note">{t.note}</div>
        </div>
    }).collect_view();
    view! {
        <div class="view-head">
            <h2>"Overview"</h2>
            <span class="hint">{format!("{} · {} to {} UTC", a.origin.label, crate::time::minute(a.window.start), crate::time::minute(a.window.end))}</span>
        </div>
        <div class="tiles" id="headline">{tiles}</div>
        <div class="overview-grid">
            <section class="panel" aria-label="Top recommendations">
                <h3>"Top recommendations"</h3>
                {if top.is_empty() {
                    view! { <p class="hint">"No fix worth recommending was found in this window."</p> }.into_any()
                } else {
                    view! {
                        <ol class="top-recs" id="top-recommendations">
                            {top.into_iter().map(|r| view! {
                                <li>
                                    <a href=format!("{}", View::Recommendations.href()) class="rec-title" title=crate::format::visible(&r.title).into_owned()>{crate::format::visible(&r.title).into_owned()}</a>
                                    <span class="badges">{savings_badge(r.monthly_savings_usd)}{effort_badge(r.effort)}</span>
                                    <p class="hint">{crate::format::visible(&r.problem).into_owned()}</p>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                <a href=View::Recommendations.href()>"All recommendations"</a>
            </section>
            <section class="panel" aria-label="Trend">
                <h3>"Trend"</h3>
                <ChartView name="daily-cost" chart=charts::daily_cost_by_model(m) height=260 />
                <p class="hint" id="trend-cost">{trend_words("Cost", &m.cost_trend, true)}</p>
                <p class="hint" id="trend-calls">{trend_words("Calls", &m.calls_trend, false)}</p>
            </section>
        </div>
        {results.reopened.clone().map(|saved| view! { <p id="reopened" class="hint" role="status">{format!("Reopened from the copy this browser kept on {saved}; nothing was fetched again.")}</p> })}
        <super::changes_view::ChangesList results=results.clone() />
        {(!warnings.is_empty()).then(|| view! {
            <div class="warnings" role="status">
                <strong>"Some questions went unanswered; the rest of the analysis stands:"</strong>
                <ul>{warnings.into_iter().map(|w| view! { <li>{crate::format::visible(&w).into_owned()}</li> }).collect_view()}</ul>
            </div>
        })}
        <section class="panel">
            <DataQualityPanel results=results.clone() />
            <Show when=move || !state.busy()>
                <QueryMeterLine />
            </Show>
            <RunTiming timing=results.timing />
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
