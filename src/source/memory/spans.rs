//! The `$ai_span` events held in memory, answered as round 2's HogQL
//! (`posthog::hogql::traces`) answers them beside the generations.

use crate::analysis::dataset::{SpanRow, Window};
use crate::contract::ERROR_CHARS;
use crate::source::digest::{prefix, TextDigest};
use crate::source::event::{name, prop_f64, prop_text, prop_true, Event, AI_SPAN};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The fields of one `$ai_span` the trees read.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanEvent {
    pub uuid: String,
    pub timestamp: DateTime<Utc>,
    pub trace_id: String,
    /// `$ai_span_name`, `$ai_span_id` and `$ai_parent_id`, each cut ([`name`]), `""` when absent.
    pub name: String,
    pub span_id: String,
    pub parent_id: String,
    pub latency_s: Option<f64>,
    pub is_error: bool,
    pub error: Option<String>,
    /// `$ai_input_state` and `$ai_output_state` as raw JSON text, digested.
    pub input: Option<TextDigest>,
    pub output: Option<TextDigest>,
}

impl SpanEvent {
    /// The span `e` holds; `None` for any other event.
    pub fn from_event(e: &Event) -> Option<Self> {
        if e.event != AI_SPAN {
            return None;
        }
        let p = &e.properties;
        let text = |k: &str| prop_text(p, k);
        Some(SpanEvent {
            uuid: e.uuid.clone(),
            timestamp: e.timestamp,
            trace_id: text("$ai_trace_id").unwrap_or_default(),
            name: name(&text("$ai_span_name").unwrap_or_default()),
            span_id: name(&text("$ai_span_id").unwrap_or_default()),
            parent_id: name(&text("$ai_parent_id").unwrap_or_default()),
            latency_s: prop_f64(p, "$ai_latency"),
            is_error: prop_true(p, "$ai_is_error"),
            error: text("$ai_error"),
            input: text("$ai_input_state").map(|t| TextDigest::of(&t)),
            output: text("$ai_output_state").map(|t| TextDigest::of(&t)),
        })
    }

    fn row(&self) -> SpanRow {
        SpanRow {
            uuid: self.uuid.clone(),
            trace_id: self.trace_id.clone(),
            timestamp: self.timestamp,
            name: self.name.clone(),
            span_id: self.span_id.clone(),
            parent_id: self.parent_id.clone(),
            latency_s: self.latency_s.unwrap_or(0.0),
            is_error: self.is_error,
            error: self.error.as_deref().map(|e| prefix(e, ERROR_CHARS).to_string()).unwrap_or_default(),
            input_chars: self.input.as_ref().map_or(0, |d| d.chars),
            output_chars: self.output.as_ref().map_or(0, |d| d.chars),
            input_head: self.input.as_ref().map(|d| d.head.clone()).unwrap_or_default(),
            input_tail: self.input.as_ref().map(|d| d.tail.clone()).unwrap_or_default(),
            output_head: self.output.as_ref().map(|d| d.head.clone()).unwrap_or_default(),
        }
    }
}

/// The spans of `wanted` traces in `w`, by trace, time and uuid, the first
/// `per_trace` of each.
pub fn answer(w: &Window, spans: &[SpanEvent], wanted: &BTreeSet<&str>, per_trace: u64) -> Vec<SpanRow> {
    let mut rows: Vec<SpanRow> = spans.iter().filter(|s| w.contains(s.timestamp) && wanted.contains(s.trace_id.as_str())).map(SpanEvent::row).collect();
    crate::order::sort_by(&mut rows, |a, b| (&a.trace_id, a.timestamp, &a.uuid).cmp(&(&b.trace_id, b.timestamp, &b.uuid)));
    super::first_per_trace(&mut rows, per_trace, |r| &r.trace_id);
    rows
}
