//! Links back into PostHog.
//!
//! A trace's page is `{host}/project/{id}/llm-analytics/traces/{trace_id}`,
//! PostHog's long-standing route, for ids whose characters survive its
//! redirect: the newest frontend redirects that route to
//! `/ai-observability/traces/{trace_id}`, keeping the query string, but puts
//! the decoded id back into the path unencoded, so an id holding `/`, `?`,
//! `#`, `%` or `\` would name another page there. Those ids link to
//! `/ai-observability/traces/` directly, where the encoded id reaches the
//! page intact; only the newest PostHog has that route, and it is the one
//! where the legacy route would break them.
//!
//! The `timestamp` parameter tells the page when the trace started. PostHog's
//! trace page reads the trace's events from 10 minutes before it to 20
//! minutes after it (its frontend makes `date_to` 10 minutes after
//! `timestamp`, its query adds 10 minutes on each side), and older versions
//! drop a trace whose first event comes before it. So the link sends the
//! trace's earliest event time minus [`LEAD`], to the second, as PostHog's own
//! frontend does, and none for a trace longer than [`WHOLE_TRACE`], which the
//! page then reads from the start of the project's data.

use crate::analysis::dataset::{Dataset, GenerationRow, TraceOpRow};
use crate::analysis::Analysis;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long before a trace's earliest event the link's `timestamp` lies:
/// PostHog's frontend links its own traces 5 minutes early
/// (`getTraceTimestamp`), which also covers `$ai_span` and `$ai_trace`
/// events sent shortly before the first generation.
pub const LEAD: Duration = Duration::minutes(5);

/// The longest trace the page shows whole from a `timestamp`: it reads up to
/// 20 minutes past the timestamp sent, which is [`LEAD`] before the trace's
/// start, so 15 minutes after the start. A longer trace gets no timestamp.
pub const WHOLE_TRACE: Duration = Duration::minutes(15);

/// The first and last event times seen of one trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    #[serde(with = "crate::time::instant")]
    pub first: DateTime<Utc>,
    #[serde(with = "crate::time::instant")]
    pub last: DateTime<Utc>,
}

/// The [`Span`] of each trace the analysis cites, as far as the rows read
/// show: the earliest `first_seen` over the trace's per-trace rows (every
/// operation) and the generations read closely, and the latest of both (a
/// lower bound of its end for a trace that was not read closely).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceTimes(BTreeMap<String, Span>);

impl TraceTimes {
    /// The spans of the traces `a` cites (outliers, evidence, failures, the
    /// qualitative sample) and of every trace read closely, from `data`.
    pub fn cited(data: &Dataset, a: &Analysis) -> TraceTimes {
        let mut ids: Vec<&str> = a.root_causes.diagnoses.iter().map(|d| d.trace_id.as_str()).collect();
        ids.extend(a.recommendations.items.iter().flat_map(|r| r.evidence.iter().map(|e| e.trace_id.as_str())));
        ids.extend(a.failures.errors.iter().flat_map(|g| g.trace_ids.iter().map(String::as_str)));
        ids.extend(a.failures.outputs.iter().flat_map(|o| o.trace_ids.iter().map(String::as_str)));
        ids.extend(a.qualitative.samples.iter().map(|s| s.trace_id.as_str()));
        ids.extend(data.generations.iter().map(|g| g.trace_id.as_str()));
        TraceTimes::of(&data.trace_ops, &data.generations, ids)
    }

    /// The spans of traces `ids` from the per-trace rows (sorted by trace
    /// id, as [`Dataset::trace_ops`]) and of every trace in `generations`.
    pub fn of<'a>(trace_ops: &[TraceOpRow], generations: &[GenerationRow], ids: impl IntoIterator<Item = &'a str>) -> TraceTimes {
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut widen = |id: &str, t: DateTime<Utc>| {
            let s = spans.entry(id.to_string()).or_insert(Span { first: t, last: t });
            s.first = s.first.min(t);
            s.last = s.last.max(t);
        };
        for id in ids.into_iter().filter(|id| !id.is_empty()) {
            let from = trace_ops.partition_point(|r| r.trace_id.as_str() < id);
            for r in trace_ops[from..].iter().take_while(|r| r.trace_id == id) {
                widen(id, r.first_seen);
            }
        }
        for g in generations.iter().filter(|g| !g.trace_id.is_empty()) {
            widen(&g.trace_id, g.timestamp);
        }
        TraceTimes(spans)
    }

    /// The span of trace `id`, when it is cited.
    pub fn get(&self, id: &str) -> Option<Span> {
        self.0.get(id).copied()
    }
}

/// The trace's page in PostHog, when the data came from PostHog and the
/// trace has an id that can be a path segment (not empty, `.` or `..`),
/// with the `timestamp` of [`LEAD`] before its start when its `span` is
/// known and no longer than [`WHOLE_TRACE`].
pub fn trace_url(posthog: Option<&(String, String)>, trace_id: &str, span: Option<Span>) -> Option<String> {
    let (host, project) = posthog.filter(|_| !matches!(trace_id, "" | "." | ".."))?;
    let route = if trace_id.contains(['/', '?', '#', '%', '\\']) { "ai-observability" } else { "llm-analytics" };
    let mut url = format!("{}/project/{}/{route}/traces/{}", host.trim_end_matches('/'), encode(project), encode(trace_id));
    if let Some(s) = span.filter(|s| s.last - s.first <= WHOLE_TRACE) {
        url.push_str("?timestamp=");
        url.push_str(&encode(&crate::time::rfc3339_seconds(s.first - LEAD)));
    }
    Some(url)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
