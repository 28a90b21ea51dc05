//! Stage 6, failure modes: errors by operation and HTTP status, rate
//! limits, timeouts, empty outputs, truncation, and how unpredictable each
//! operation's output size is.

use super::by_operation::ByOperation;
use super::dataset::Dataset;
use super::metrics::{ratio, Metrics};
use super::stats::{mean, std_pop};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A failed call that took at least this long (seconds), or whose message
/// says so, is a timeout.
pub const TIMEOUT_LATENCY_S: f64 = 30.0;
/// Output size is unpredictable when its coefficient of variation across
/// traces passes this.
pub const OUTPUT_CV_HIGH: f64 = 1.0;
/// Operations with fewer traces than this get no output-variance verdict.
pub const MIN_TRACES_FOR_CV: usize = 20;

/// What went wrong, by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// HTTP 429: the provider's rate limit.
    RateLimit,
    /// HTTP 529 or 503: the provider is overloaded or unavailable.
    Overloaded,
    Timeout,
    /// Other 5xx.
    ServerError,
    /// 4xx other than 429 (bad request, context too long, auth).
    ClientError,
    Other,
}

impl FailureKind {
    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::RateLimit => "rate limited (429)",
            FailureKind::Overloaded => "provider overloaded",
            FailureKind::Timeout => "timeout",
            FailureKind::ServerError => "provider error (5xx)",
            FailureKind::ClientError => "request rejected (4xx)",
            FailureKind::Other => "other error",
        }
    }

    /// Classifies a failed call.
    pub fn of(status: Option<u16>, message: &str, max_latency_s: f64) -> Self {
        let m = message.to_ascii_lowercase();
        match status {
            Some(429) => FailureKind::RateLimit,
            Some(503 | 529) => FailureKind::Overloaded,
            _ if m.contains("timed out") || m.contains("timeout") || max_latency_s >= TIMEOUT_LATENCY_S => FailureKind::Timeout,
            Some(500..=599) => FailureKind::ServerError,
            Some(400..=499) => FailureKind::ClientError,
            _ if m.contains("overloaded") => FailureKind::Overloaded,
            _ if m.contains("rate limit") => FailureKind::RateLimit,
            _ => FailureKind::Other,
        }
    }
}

/// Failed calls of one operation, status and kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub operation: String,
    pub http_status: Option<u16>,
    pub kind: FailureKind,
    pub calls: u64,
    /// Share of the operation's calls.
    pub rate: f64,
    pub cost_usd: f64,
    pub message: String,
    pub trace_ids: Vec<String>,
}

/// Quality problems of one operation's successful calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputHealth {
    pub operation: String,
    pub generations: u64,
    pub truncated: u64,
    pub empty: u64,
    /// Coefficient of variation of output tokens per generation across traces.
    pub output_cv: Option<f64>,
    /// Traces showing truncation or empty outputs (up to three).
    pub trace_ids: Vec<String>,
}

impl OutputHealth {
    /// Share of generations cut at the token limit.
    pub fn truncation_rate(&self) -> f64 {
        ratio(self.truncated as f64, self.generations as f64)
    }
}

/// Stage 6's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Failures {
    /// Most frequent first.
    pub errors: Vec<ErrorGroup>,
    /// Failed calls by kind.
    pub by_kind: BTreeMap<FailureKind, u64>,
    /// Every operation, most truncation first.
    pub outputs: Vec<OutputHealth>,
    /// Error rows the errors query returned (it keeps the most frequent groups only).
    pub error_rows: usize,
}

impl Failures {
    /// Failed calls of `kind`.
    pub fn count(&self, kind: FailureKind) -> u64 {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }
}

/// Computes stage 6.
pub fn compute(data: &Dataset, by_op: &ByOperation, metrics: &Metrics) -> Failures {
    let calls_of = |op: &str| metrics.by_operation.iter().find(|g| g.name == op).map_or(0, |g| g.totals.calls);
    let mut groups: BTreeMap<(String, Option<u16>, FailureKind), ErrorGroup> = BTreeMap::new();
    for e in &data.errors {
        let kind = FailureKind::of(e.http_status, &e.message, e.max_latency_s);
        let g = groups.entry((e.operation.clone(), e.http_status, kind)).or_insert_with(|| ErrorGroup {
            operation: e.operation.clone(),
            http_status: e.http_status,
            kind,
            calls: 0,
            rate: 0.0,
            cost_usd: 0.0,
            message: e.message.clone(),
            trace_ids: vec![],
        });
        g.calls += e.generations;
        g.cost_usd += e.cost_usd;
        for t in &e.trace_ids {
            if g.trace_ids.len() < 3 && !g.trace_ids.contains(t) {
                g.trace_ids.push(t.clone());
            }
        }
    }
    let mut by_kind = BTreeMap::new();
    let mut errors: Vec<ErrorGroup> = groups
        .into_values()
        .map(|mut g| {
            g.rate = ratio(g.calls as f64, calls_of(&g.operation) as f64);
            *by_kind.entry(g.kind).or_insert(0) += g.calls;
            g
        })
        .collect();
    crate::order::sort_by(&mut errors, |a, b| b.calls.cmp(&a.calls).then((&a.operation, a.http_status).cmp(&(&b.operation, b.http_status))));
    Failures { errors, by_kind, outputs: outputs(by_op), error_rows: data.errors.len() }
}

/// Output health of every operation, in one pass over its rows.
fn outputs(by_op: &ByOperation) -> Vec<OutputHealth> {
    let mut out: Vec<OutputHealth> = by_op
        .iter()
        .map(|(op, rows)| {
            let mut h = OutputHealth { operation: op.to_string(), generations: 0, truncated: 0, empty: 0, output_cv: None, trace_ids: vec![] };
            let mut per_trace = Vec::with_capacity(rows.len());
            for r in rows.iter().map(|p| p.row) {
                h.generations += r.generations;
                h.truncated += r.truncated;
                h.empty += r.empty_outputs;
                if r.generations > r.errors {
                    per_trace.push(r.tokens.output as f64 / (r.generations - r.errors) as f64);
                }
                if (r.truncated > 0 || r.empty_outputs > 0) && h.trace_ids.len() < 3 {
                    h.trace_ids.push(r.trace_id.clone());
                }
            }
            crate::order::sort(&mut h.trace_ids);
            h.output_cv = (per_trace.len() >= MIN_TRACES_FOR_CV).then(|| ratio(std_pop(&per_trace).unwrap_or(0.0), mean(&per_trace).unwrap_or(0.0)));
            h
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| b.truncation_rate().total_cmp(&a.truncation_rate()).then(b.empty.cmp(&a.empty)).then(a.operation.cmp(&b.operation)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dataset::TraceOpRow;

    #[test]
    fn failures_are_classified_by_status_message_and_latency() {
        assert_eq!(FailureKind::of(Some(429), "", 0.1), FailureKind::RateLimit);
        assert_eq!(FailureKind::of(Some(529), "Overloaded", 0.1), FailureKind::Overloaded);
        assert_eq!(FailureKind::of(None, "Request timed out.", 60.0), FailureKind::Timeout);
        assert_eq!(FailureKind::of(Some(500), "boom", 45.0), FailureKind::Timeout, "a 500 after 45 s is the gateway giving up");
        assert_eq!(FailureKind::of(Some(502), "Bad gateway", 0.2), FailureKind::ServerError);
        assert_eq!(FailureKind::of(Some(400), "context length exceeded", 0.2), FailureKind::ClientError);
        assert_eq!(FailureKind::of(None, "weird", 0.2), FailureKind::Other);
    }

    #[test]
    fn output_health_counts_truncation_and_variance() {
        let row = |t: &str, gens: u64, out: u64, truncated: u64| TraceOpRow {
            trace_id: t.into(),
            operation: "title".into(),
            generations: gens,
            tokens: crate::analysis::dataset::TokenSums { output: out, ..Default::default() },
            truncated,
            ..TraceOpRow::default()
        };
        let mut rows: Vec<TraceOpRow> = (0..30).map(|i| row(&format!("t{i:02}"), 1, 10, 0)).collect();
        rows.push(row("cut", 2, 24, 2));
        crate::analysis::dataset::sort_trace_ops(&mut rows);
        let h = &outputs(&ByOperation::new(&rows, &crate::analysis::pricing::Costing::default()))[0];
        assert_eq!((h.generations, h.truncated, h.trace_ids.clone()), (32, 2, vec!["cut".to_string()]));
        assert!((h.truncation_rate() - 2.0 / 32.0).abs() < 1e-12);
        assert!(h.output_cv.unwrap() < 0.1, "steady output size");
    }
}
