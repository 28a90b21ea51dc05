//! PostHog events as they are exported and captured: one JSON object per
//! line, `{"uuid","event","distinct_id","timestamp","properties":{...}}`.
//!
//! Property reads follow PostHog's HogQL semantics, so that the in-memory
//! source answers exactly like a HogQL query: a property is read as its raw
//! JSON text with surrounding quotes stripped, `""` and `null` read as
//! missing, and numbers are parsed from that text (`toFloat` of junk is null).

use super::digest::TextDigest;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The event name of one LLM call.
pub const AI_GENERATION: &str = "$ai_generation";

/// One PostHog event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub uuid: String,
    pub event: String,
    pub distinct_id: String,
    pub timestamp: DateTime<Utc>,
    pub properties: Map<String, Value>,
}

/// Error reading a JSONL export.
#[derive(Debug, PartialEq)]
pub struct JsonlError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for JsonlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for JsonlError {}

/// Parses JSONL text (blank lines skipped) into events.
pub fn parse_jsonl(text: &str) -> Result<Vec<Event>, JsonlError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| JsonlError { line: i + 1, message: e.to_string() })
        })
        .collect()
}

/// Writes events as JSONL, one per line.
pub fn write_jsonl<W: std::io::Write>(events: &[Event], mut out: W) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// `properties.$x` as HogQL reads it: raw JSON text, quotes stripped,
/// `""`/`null` as missing.
pub fn prop_text(props: &Map<String, Value>, key: &str) -> Option<String> {
    let raw = match props.get(key)? {
        Value::Null => return None,
        // A JSON string's raw text keeps its escapes; only the quotes go.
        Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_string()
        }
        other => other.to_string(),
    };
    (!raw.is_empty() && raw != "null").then_some(raw)
}

/// `toFloat(properties.$x)`: null when missing or not a number.
pub fn prop_f64(props: &Map<String, Value>, key: &str) -> Option<f64> {
    prop_text(props, key)?.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `toInt(properties.$x)`: null when missing or not an integer.
pub fn prop_u64(props: &Map<String, Value>, key: &str) -> Option<u64> {
    let t = prop_text(props, key)?;
    let t = t.trim();
    t.parse::<i64>().ok().map(|v| v.max(0) as u64)
}

/// `properties.$x = 'true'`.
pub fn prop_true(props: &Map<String, Value>, key: &str) -> bool {
    prop_text(props, key).as_deref() == Some("true")
}

/// `coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed')`.
pub fn operation_name(props: &Map<String, Value>) -> String {
    prop_text(props, "$ai_span_name").unwrap_or_else(|| UNNAMED.to_string())
}

/// The operation of generations without a span name.
pub const UNNAMED: &str = "unnamed";

/// The typed fields of one `$ai_generation` the analysis needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub uuid: String,
    pub timestamp: DateTime<Utc>,
    pub trace_id: String,
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub lib: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_read_tokens: Option<u64>,
    pub cache_write_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
    /// `$ai_input_cost_usd` and `$ai_output_cost_usd`: PostHog's cost of the
    /// prompt and of the output, which give the per-token rate it recorded.
    pub input_cost_usd: Option<f64>,
    pub output_cost_usd: Option<f64>,
    pub latency_s: Option<f64>,
    pub is_error: bool,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub stop_reason: Option<String>,
    pub max_tokens: Option<u64>,
    /// `$ai_input` / `$ai_output_choices` as HogQL reads them (raw JSON
    /// text), digested.
    pub input: Option<TextDigest>,
    pub output: Option<TextDigest>,
}

impl Generation {
    /// The typed view of `event`, if it is an `$ai_generation`.
    pub fn from_event(event: &Event) -> Option<Generation> {
        if event.event != AI_GENERATION {
            return None;
        }
        let p = &event.properties;
        let text = |k: &str| prop_text(p, k);
        Some(Generation {
            uuid: event.uuid.clone(),
            timestamp: event.timestamp,
            trace_id: text("$ai_trace_id").unwrap_or_default(),
            operation: operation_name(p),
            model: text("$ai_model").unwrap_or_default(),
            provider: text("$ai_provider").unwrap_or_default(),
            lib: text("$lib").or_else(|| text("$ai_lib")).unwrap_or_default(),
            input_tokens: prop_u64(p, "$ai_input_tokens"),
            output_tokens: prop_u64(p, "$ai_output_tokens"),
            cache_read_tokens: prop_u64(p, "$ai_cache_read_input_tokens"),
            cache_write_tokens: prop_u64(p, "$ai_cache_creation_input_tokens"),
            reasoning_tokens: prop_u64(p, "$ai_reasoning_tokens"),
            cost_usd: prop_f64(p, "$ai_total_cost_usd"),
            input_cost_usd: prop_f64(p, "$ai_input_cost_usd"),
            output_cost_usd: prop_f64(p, "$ai_output_cost_usd"),
            latency_s: prop_f64(p, "$ai_latency"),
            is_error: prop_true(p, "$ai_is_error"),
            http_status: prop_u64(p, "$ai_http_status").and_then(|s| u16::try_from(s).ok()),
            error: text("$ai_error"),
            stop_reason: text("$ai_stop_reason"),
            max_tokens: prop_u64(p, "$ai_max_tokens"),
            input: text("$ai_input").map(|t| TextDigest::of_prompt(&t)),
            output: text("$ai_output_choices").map(|t| TextDigest::of(&t)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn property_text_follows_hogql_string_semantics() {
        let p = props(json!({"s": "a\"b", "n": 12, "f": 1.5, "b": true, "e": "", "z": null, "o": {"k": [1, "x"]}}));
        assert_eq!(prop_text(&p, "s").as_deref(), Some("a\\\"b"));
        assert_eq!(prop_text(&p, "n").as_deref(), Some("12"));
        assert_eq!(prop_text(&p, "b").as_deref(), Some("true"));
        assert_eq!(prop_text(&p, "e"), None);
        assert_eq!(prop_text(&p, "z"), None);
        assert_eq!(prop_text(&p, "missing"), None);
        assert_eq!(prop_text(&p, "o").as_deref(), Some(r#"{"k":[1,"x"]}"#));
    }

    #[test]
    fn numbers_parse_from_strings_and_junk_is_null() {
        let p = props(json!({"a": "42", "b": 3.25, "c": "n/a", "d": "-5", "e": "1e3"}));
        assert_eq!(prop_u64(&p, "a"), Some(42));
        assert_eq!(prop_f64(&p, "b"), Some(3.25));
        assert_eq!(prop_f64(&p, "c"), None);
        assert_eq!(prop_u64(&p, "c"), None);
        assert_eq!(prop_u64(&p, "d"), Some(0), "negative token counts clamp to zero");
        assert_eq!(prop_f64(&p, "e"), Some(1000.0));
    }

    #[test]
    fn generation_reads_operation_with_unnamed_fallback() {
        let line = r#"{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"$ai_trace_id":"t1","$ai_span_name":"","$ai_model":"gpt-4o","$ai_is_error":true,"$ai_http_status":429}}"#;
        let events = parse_jsonl(line).unwrap();
        let g = Generation::from_event(&events[0]).unwrap();
        assert_eq!(g.operation, UNNAMED);
        assert!(g.is_error);
        assert_eq!(g.http_status, Some(429));
        assert_eq!(g.cost_usd, None);
        assert_eq!(g.lib, "");
    }

    #[test]
    fn the_sdk_is_named_by_lib_before_ai_lib() {
        // Both PostHog SDKs send `$ai_lib: posthog-ai`; `$lib` tells them apart.
        let line = |props: &str| format!(r#"{{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{{{props}}}}}"#);
        let lib = |props: &str| Generation::from_event(&parse_jsonl(&line(props)).unwrap()[0]).unwrap().lib;
        assert_eq!(lib(r#""$ai_lib":"posthog-ai","$lib":"posthog-node""#), "posthog-node");
        assert_eq!(lib(r#""$ai_lib":"posthog-ai""#), "posthog-ai");
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let err = parse_jsonl("\n{\"uuid\":1}\n").unwrap_err();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn jsonl_round_trips() {
        let text = r#"{"uuid":"u","event":"$ai_trace","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"b":1,"a":2}}"#;
        let events = parse_jsonl(text).unwrap();
        let mut out = Vec::new();
        write_jsonl(&events, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim_end(), text);
    }
}
