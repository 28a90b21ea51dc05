//! How a recommendation is measured: the daily series of its metric, the
//! validation period that series needs, and the HogQL to check it in PostHog.

use crate::analysis::dataset::{Dataset, Window};
use crate::analysis::metrics::{is_complete_day, ratio};
use crate::contract::{hogql_count as count, hogql_float as float, hogql_naming, NAME_CHARS, NAME_EVENTS_MARGIN_S, OTHER_OPERATIONS, TOP_OPERATIONS, TRUNCATION_STOP_REASONS};
use crate::analysis::pricing::Costing;
use crate::analysis::stats::{mean, std_pop};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Two-sided 95% confidence.
pub const CONFIDENCE_Z: f64 = 1.959_964;
/// 80% power.
pub const POWER_Z: f64 = 0.841_621;
/// A validation period never ends before one weekly cycle.
pub const MIN_DAYS: u32 = 7;
/// Past this the change is too small to see in daily numbers; the period is capped.
pub const MAX_DAYS: u32 = 91;
/// Complete days needed to estimate day-to-day variation.
const MIN_SERIES_DAYS: usize = 3;

/// What a measurement tracks per day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Daily {
    CostPerCall,
    InputTokensPerCall,
    ErrorRate,
    /// Not in the rollup: no daily series.
    TruncationRate,
}

/// How long to wait before judging a fix, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationPeriod {
    pub days: u32,
    pub reason: String,
}

/// Days needed to tell a change of `delta` in a daily metric whose days vary
/// with population sd `sd`: a two-sample comparison of means under the normal
/// approximation, `n = 2 (z_0.975 + z_0.8)^2 sd^2 / delta^2` days after the
/// fix (against as many before), rounded up to whole weeks, never under 7.
pub fn validation_days(sd: f64, delta: f64) -> (u32, bool) {
    let delta = delta.abs();
    let raw = if delta > 0.0 { 2.0 * (CONFIDENCE_Z + POWER_Z).powi(2) * sd * sd / (delta * delta) } else { f64::INFINITY };
    if raw > f64::from(MAX_DAYS) {
        return (MAX_DAYS, true);
    }
    let weeks = (raw / 7.0).ceil().max(1.0) as u32;
    ((weeks * 7).max(MIN_DAYS), false)
}

/// The metric's value on each complete day of the window with calls of `operation`.
pub fn daily_series(data: &Dataset, costing: &Costing, operation: &str, what: Daily) -> Vec<f64> {
    let mut days: BTreeMap<NaiveDate, (f64, f64)> = BTreeMap::new();
    for r in data.rollup.iter().filter(|r| r.operation == operation && is_complete_day(&data.window, r.day)) {
        let d = days.entry(r.day).or_default();
        d.1 += r.generations as f64;
        d.0 += match what {
            Daily::CostPerCall => r.cost_usd + costing.backfill_row(r).unwrap_or(0.0),
            Daily::InputTokensPerCall => r.tokens.input as f64,
            Daily::ErrorRate => if r.is_error { r.generations as f64 } else { 0.0 },
            Daily::TruncationRate => return Vec::new(),
        };
    }
    days.values().filter(|(_, calls)| *calls > 0.0).map(|(sum, calls)| ratio(*sum, *calls)).collect()
}

/// The validation period of moving `label` from `baseline` to `target`, with its reason.
pub fn period(series: &[f64], label: &str, baseline: f64, target: f64) -> ValidationPeriod {
    if series.len() < MIN_SERIES_DAYS {
        return ValidationPeriod {
            days: 2 * MIN_DAYS,
            reason: format!("Fewer than {MIN_SERIES_DAYS} complete days of {label} in the window, so its day-to-day variation is unknown: two weekly cycles."),
        };
    }
    let (sd, avg) = (std_pop(series).unwrap_or(0.0), mean(series).unwrap_or(0.0));
    let (days, capped) = validation_days(sd, baseline - target);
    let basis = format!(
        "Daily {label} varied with a standard deviation of {} around {} over {} complete days; the target moves it by {}.",
        num(sd),
        num(avg),
        series.len(),
        num((baseline - target).abs())
    );
    let rule = "Days after the fix = 2 x (1.96 + 0.84)^2 x sd^2 / change^2 (normal approximation, two-sample comparison of daily means, 95% confidence, 80% power), rounded up to whole weeks so every weekday counts, never under 7.";
    let verdict = if capped {
        format!("The change is small against the daily noise: it may not be visible even after {MAX_DAYS} days; judge it on the window totals instead.")
    } else {
        format!("That gives {days} days.")
    };
    ValidationPeriod { days, reason: format!("{basis} {rule} {verdict}") }
}

/// A number with four significant digits, for reasons.
fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 10) as usize;
    format!("{x:.digits$}")
}

/// A HogQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The first day the report counts: the window's first complete UTC day.
fn first_day(w: &Window) -> NaiveDate {
    let day = w.start.date_naive();
    if is_complete_day(w, day) { day } else { day.succ_opt().unwrap_or(day) }
}

/// The HogQL that measures `what` for `operation` by UTC day, from the
/// first complete day of the report's window on: its days in the window
/// give [`daily_series`]'s figures, and the days after show the change.
/// It reads properties as the sources do: strings through `toString`, the
/// error flag as `toString(...) = 'true'` (a typed Boolean compares alike),
/// numbers past `contract`'s limits as missing, unpriced calls and missing
/// token counts as 0 over every call (`sum(coalesce(x, 0)) / count()`, not
/// `avg`, which skips nulls), and the operation by the sources' rule and
/// cut: `$ai_span_name` alone when it named every generation of the window,
/// else the whole [`crate::contract::Naming`] rule, its naming events read
/// from the window's start (less the sources' margin) on. Comments at its
/// top say what it cannot reproduce: the prices the report adds for calls
/// PostHog left unpriced, and operations grouped as [`OTHER_OPERATIONS`].
pub fn hogql(data: &Dataset, costing: &Costing, operation: &str, what: Daily) -> String {
    let value = match what {
        Daily::CostPerCall => format!("sum(coalesce({}, 0)) / count() AS cost_per_call", float("$ai_total_cost_usd")),
        Daily::InputTokensPerCall => format!("sum(coalesce({}, 0)) / count() AS input_tokens_per_call", count("$ai_input_tokens")),
        Daily::ErrorRate => "countIf(toString(properties.$ai_is_error) = 'true') / count() AS error_rate".to_string(),
        Daily::TruncationRate => {
            let stops: Vec<String> = TRUNCATION_STOP_REASONS.iter().map(|r| literal(r)).collect();
            let (out, max) = (count("$ai_output_tokens"), count("$ai_max_tokens"));
            format!("countIf(lower(toString(properties.$ai_stop_reason)) IN ({}) OR ({max} > 0 AND {out} >= {max})) / count() AS truncation_rate", stops.join(", "))
        }
    };
    let from = first_day(&data.window);
    let mut notes = vec![format!("-- By UTC day from {from}, the first complete day of the report's window; later days show the change.")];
    if operation == OTHER_OPERATIONS {
        notes.push(format!("-- {OTHER_OPERATIONS} groups the operations past the top {TOP_OPERATIONS} by spend; no name selects them here, so this query returns no rows."));
    }
    if what == Daily::CostPerCall {
        let rows = || data.rollup.iter().filter(|r| r.operation == operation);
        let unpriced: u64 = rows().map(|r| r.unpriced).sum();
        let added: f64 = rows().map(|r| costing.backfill_row(r).unwrap_or(0.0)).sum();
        if unpriced > 0 {
            notes.push(format!(
                "-- PostHog left {unpriced} of these calls unpriced in the window; the report priced them from their tokens ({} in all), this query counts them at $0.",
                crate::format::usd(added)
            ));
        }
    }
    let o = &data.overview;
    let since = literal(&format!("{from} 00:00:00"));
    let start = format!("timestamp >= toDateTime({since}, 'UTC')");
    let chosen = if o.naming.span_name == o.generations {
        format!("substringUTF8(coalesce(nullIf(toString(properties.$ai_span_name), ''), 'unnamed'), 1, {NAME_CHARS}) = {}", literal(operation))
    } else {
        let names_since = data.window.start - chrono::Duration::seconds(NAME_EVENTS_MARGIN_S);
        let naming = hogql_naming(&format!("timestamp >= toDateTime({}, 'UTC')", literal(&crate::time::second(names_since))));
        notes.push("-- The operation is named as the report names it: a step's $ai_span_name, else its parent span's, else its trace's name, else its prompt's opening, else its model.".into());
        format!(
            "uuid IN (SELECT uuid FROM (SELECT uuid, {}\n   FROM events{}\n   WHERE event = '$ai_generation' AND {start})\n  WHERE substringUTF8(operation_name, 1, {NAME_CHARS}) = {})",
            naming.columns,
            naming.joins,
            literal(operation)
        )
    };
    format!("{}\nSELECT toDate(toTimeZone(timestamp, 'UTC')) AS day, count() AS calls, {value}\nFROM events\nWHERE event = '$ai_generation'\n  AND {chosen}\n  AND {start}\nGROUP BY day\nORDER BY day", notes.join("\n"))
}
