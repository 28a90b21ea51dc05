//! Stage 3, metrics: cost, volume, latency and errors by operation and by
//! model, the daily series, and recent trends against the whole window.

use super::dataset::{Dataset, LatencyScope, RollupRow, TokenSums, Window};
use super::pricing::Costing;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Totals of one group of generations (an operation, a model, a day).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub calls: u64,
    pub errors: u64,
    /// PostHog's cost (audited: [`Costing::audited_row`]) plus the backfilled cost of unpriced calls.
    pub cost_usd: f64,
    /// Calls without a cost even after backfilling (model with no known price).
    pub unpriced_calls: u64,
    /// Tokens as billed ([`Costing::billed_tokens`]).
    pub tokens: TokenSums,
}

impl Totals {
    fn add(&mut self, row: &RollupRow, costing: &Costing) {
        self.calls += row.generations;
        self.errors += if row.is_error { row.generations } else { 0 };
        let backfill = costing.backfill_row(row);
        self.cost_usd += costing.audited_row(row) + backfill.unwrap_or(0.0);
        if backfill.is_none() {
            self.unpriced_calls += row.unpriced;
        }
        self.tokens.add(&costing.billed_tokens(row));
    }

    /// Errors per call (0 when there are no calls).
    pub fn error_rate(&self) -> f64 {
        ratio(self.errors as f64, self.calls as f64)
    }

    /// Average cost per call.
    pub fn avg_cost(&self) -> f64 {
        ratio(self.cost_usd, self.calls as f64)
    }
}

/// `a / b`, or 0 when `b` is 0.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// Metrics of one operation or one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMetrics {
    /// The operation or model name.
    pub name: String,
    /// The model's provider (empty for operations).
    pub provider: String,
    pub totals: Totals,
    /// Share of the window's cost.
    pub cost_share: f64,
    pub p50_latency_s: f64,
    pub p95_latency_s: f64,
}

/// One operation's calls to one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationModel {
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub totals: Totals,
}

/// One day of the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Day {
    #[serde(with = "crate::time::date")]
    pub day: NaiveDate,
    pub totals: Totals,
    /// Cost by model on that day.
    pub cost_by_model: BTreeMap<String, f64>,
}

/// A recent daily average against the whole window's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub window_daily: f64,
    pub last_7_daily: f64,
    pub last_3_daily: f64,
}

impl Trend {
    /// Relative change of the last `days` (3 or 7) against the window.
    pub fn change(&self, days: u32) -> f64 {
        let recent = if days <= 3 { self.last_3_daily } else { self.last_7_daily };
        ratio(recent - self.window_daily, self.window_daily)
    }
}

/// Everything stage 3 computes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub totals: Totals,
    /// Most expensive first.
    pub by_operation: Vec<GroupMetrics>,
    /// Most expensive first.
    pub by_model: Vec<GroupMetrics>,
    /// Every day of the window, oldest first (days without calls included).
    pub daily: Vec<Day>,
    /// Totals by operation and model, ordered by operation, model, provider:
    /// each operation's token mix, for pricing it at another model.
    pub by_operation_model: Vec<OperationModel>,
    /// Daily cost, calls and error rate: over complete days only.
    pub cost_trend: Trend,
    pub calls_trend: Trend,
    pub error_rate_trend: Trend,
}

impl Metrics {
    /// Operations by calls, most called first.
    pub fn most_called(&self) -> Vec<&GroupMetrics> {
        let mut v: Vec<_> = self.by_operation.iter().collect();
        crate::order::sort_by(&mut v, |a, b| b.totals.calls.cmp(&a.totals.calls).then(a.name.cmp(&b.name)));
        v
    }
}

/// Computes stage 3 from the rollup and latency rows.
pub fn compute(data: &Dataset, costing: &Costing) -> Metrics {
    let mut totals = Totals::default();
    let mut ops: BTreeMap<&str, Totals> = BTreeMap::new();
    let mut models: BTreeMap<(&str, &str), Totals> = BTreeMap::new();
    let mut op_models: BTreeMap<(&str, &str, &str), Totals> = BTreeMap::new();
    let mut days: BTreeMap<NaiveDate, Day> = crate::order::map_of(window_days(&data.window).map(|day| (day, Day { day, totals: Totals::default(), cost_by_model: BTreeMap::new() })));
    for row in &data.rollup {
        totals.add(row, costing);
        ops.entry(&row.operation).or_default().add(row, costing);
        models.entry((&row.model, &row.provider)).or_default().add(row, costing);
        op_models.entry((&row.operation, &row.model, &row.provider)).or_default().add(row, costing);
        let day = days.entry(row.day).or_insert_with(|| Day { day: row.day, totals: Totals::default(), cost_by_model: BTreeMap::new() });
        let before = day.totals.cost_usd;
        day.totals.add(row, costing);
        *day.cost_by_model.entry(row.model.clone()).or_default() += day.totals.cost_usd - before;
    }
    let latency = |scope, key: &str| {
        data.latency.iter().find(|l| l.scope == scope && l.key == key).map_or((0.0, 0.0), |l| (l.p50, l.p95))
    };
    let group = |name: &str, provider: &str, t: Totals, scope| {
        let (p50, p95) = latency(scope, name);
        GroupMetrics { name: name.to_string(), provider: provider.to_string(), cost_share: ratio(t.cost_usd, totals.cost_usd), totals: t, p50_latency_s: p50, p95_latency_s: p95 }
    };
    let mut by_operation: Vec<_> = ops.into_iter().map(|(op, t)| group(op, "", t, LatencyScope::Operation)).collect();
    let mut by_model: Vec<_> = models.into_iter().map(|((m, p), t)| group(m, p, t, LatencyScope::Model)).collect();
    for v in [&mut by_operation, &mut by_model] {
        crate::order::sort_by(v, |a, b| b.totals.cost_usd.total_cmp(&a.totals.cost_usd).then(a.name.cmp(&b.name)));
    }
    let daily: Vec<Day> = days.into_values().collect();
    let complete: Vec<&Day> = daily.iter().filter(|d| is_complete_day(&data.window, d.day)).collect();
    let trend = |f: &dyn Fn(&Day) -> f64| Trend {
        window_daily: mean_of(&complete, f),
        last_7_daily: mean_of(&complete[complete.len().saturating_sub(7)..], f),
        last_3_daily: mean_of(&complete[complete.len().saturating_sub(3)..], f),
    };
    Metrics {
        cost_trend: trend(&|d| d.totals.cost_usd),
        calls_trend: trend(&|d| d.totals.calls as f64),
        error_rate_trend: trend(&|d| d.totals.error_rate()),
        totals,
        by_operation,
        by_model,
        daily,
        by_operation_model: op_models
            .into_iter()
            .map(|((operation, model, provider), totals)| OperationModel { operation: operation.into(), model: model.into(), provider: provider.into(), totals })
            .collect(),
    }
}

fn mean_of(days: &[&Day], f: &dyn Fn(&Day) -> f64) -> f64 {
    ratio(days.iter().map(|d| f(d)).sum(), days.len() as f64)
}

/// The UTC dates the window touches.
pub fn window_days(w: &Window) -> impl Iterator<Item = NaiveDate> {
    let (first, last) = (w.start.date_naive(), (w.end - Duration::nanoseconds(1)).date_naive());
    first.iter_days().take_while(move |d| *d <= last)
}

/// Whether the whole UTC day lies inside the window.
pub fn is_complete_day(w: &Window, day: NaiveDate) -> bool {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    start >= w.start && start + Duration::days(1) <= w.end
}

#[cfg(test)]
mod tests;
