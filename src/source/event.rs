//! PostHog events as they are exported and captured: one JSON object per
//! line, `{"uuid","event","distinct_id","timestamp","properties":{...}}`.
//!
//! Property reads follow PostHog's HogQL semantics, so that the in-memory
//! source answers exactly like a HogQL query: a property is read as its raw
//! JSON text with surrounding quotes stripped, `""` and `null` read as
//! missing, and numbers are parsed from that text (`toFloat` of junk is null).
//! The HogQL reads (`contract::hogql_*`) give the same whether PostHog types
//! a property from its property definition or leaves it text, so these
//! string-mode reads stand for both.

use super::digest::TextDigest;
use crate::contract::{count_max, float_max, names_a_step, Naming, NumberRead, NAME_CHARS, NUMBER_PROPERTIES, PROMPT_HASH_DIGITS, PROMPT_LABEL_CHARS, PROMPT_OPENING_CHARS};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The event name of one LLM call.
pub const AI_GENERATION: &str = "$ai_generation";
/// The event name of a step of a trace (LangChain's chains, tools, agents).
pub const AI_SPAN: &str = "$ai_span";
/// The event name of a whole trace (a run).
pub const AI_TRACE: &str = "$ai_trace";

/// One PostHog event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub uuid: String,
    pub event: String,
    pub distinct_id: String,
    #[serde(with = "crate::time::instant")]
    pub timestamp: DateTime<Utc>,
    pub properties: Map<String, Value>,
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

/// `toFloat(properties.$x)` within the property's limit
/// ([`crate::contract::float_max`]): null when missing, not a number,
/// negative, not finite or absurd.
pub fn prop_f64(props: &Map<String, Value>, key: &str) -> Option<f64> {
    let max = float_max(key);
    prop_text(props, key)?.parse::<f64>().ok().filter(|v| *v >= 0.0 && *v <= max)
}

/// A count as [`crate::contract::hogql_count`] reads it: `toFloat` of the
/// text, a whole number from 0 to the property's limit
/// ([`crate::contract::count_max`]); null when missing, not a number, a
/// fraction, negative or absurd.
pub fn prop_u64(props: &Map<String, Value>, key: &str) -> Option<u64> {
    let max = count_max(key) as f64;
    let v = prop_text(props, key)?.parse::<f64>().ok()?;
    (v >= 0.0 && v <= max && v == v.floor()).then_some(v as u64)
}

/// `$ai_http_status` as the HogQL reads it: `toFloat` of the text, a
/// negative (the SDKs send 0 or below for a call with no HTTP answer) as 0,
/// a whole number up to 65535, else null.
fn prop_status(props: &Map<String, Value>) -> Option<u16> {
    let v = prop_text(props, "$ai_http_status")?.parse::<f64>().ok()?;
    if v < 0.0 {
        Some(0)
    } else {
        (v <= 65_535.0 && v == v.floor()).then_some(v as u16)
    }
}

/// Whether `key` holds a value (not absent, `null` or `""`, as
/// `properties.$x != ''` is false in HogQL) that its reading treats as missing.
fn dirty(props: &Map<String, Value>, key: &str, read: NumberRead) -> bool {
    let present = match props.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    present
        && match read {
            NumberRead::Float { .. } => prop_f64(props, key).is_none(),
            NumberRead::Count { .. } => prop_u64(props, key).is_none(),
        }
}

/// Which of [`NUMBER_PROPERTIES`] hold a dirty value: bit `i` for property `i`.
pub fn dirty_numbers(props: &Map<String, Value>) -> u16 {
    NUMBER_PROPERTIES.iter().enumerate().filter(|(_, (key, read))| dirty(props, key, *read)).fold(0, |bits, (i, _)| bits | 1 << i)
}

/// `toString(properties.$x) = 'true'`.
pub fn prop_true(props: &Map<String, Value>, key: &str) -> bool {
    prop_text(props, key).as_deref() == Some("true")
}

/// The operation of a generation as far as its own properties name it
/// ([`Naming`]): its `$ai_span_name` when that names a step, else its
/// prompt's identity, else its model, else [`UNNAMED`]; cut to
/// [`NAME_CHARS`]. The parent span's and the trace's names, which come from
/// other events, are the in-memory source's to apply.
pub fn operation_name(props: &Map<String, Value>) -> (String, Naming) {
    let own = prop_text(props, "$ai_span_name").unwrap_or_default();
    if names_a_step(&own) {
        return (name(&own), Naming::SpanName);
    }
    if let Some(opening) = prop_text(props, "$ai_input").and_then(|input| prompt_opening(&input)) {
        return (name(&prompt_label(&opening)), Naming::Prompt);
    }
    match prop_text(props, "$ai_model") {
        Some(model) => (name(&format!("model {model}")), Naming::Model),
        None => (UNNAMED.to_string(), Naming::Unnamed),
    }
}

/// An event's own `$ai_span_name`, else [`UNNAMED`], cut to [`NAME_CHARS`]:
/// the operation an embedding call is counted under (no naming rule, as
/// embeddings are not generations).
pub fn span_name(props: &Map<String, Value>) -> String {
    name(prop_text(props, "$ai_span_name").as_deref().unwrap_or(UNNAMED))
}

/// The first [`PROMPT_OPENING_CHARS`] characters of a prompt's first
/// message, as `JSONExtractString(input, 1, 'content')` reads it (else its
/// first part's `text`), when not empty. ClickHouse's index 1 is the first
/// element of an array or the first member of an object.
fn prompt_opening(input: &str) -> Option<String> {
    let nth = |v: &Value, i: usize| match v {
        Value::Array(a) => a.get(i).cloned(),
        Value::Object(o) => o.values().nth(i).cloned(),
        _ => None,
    };
    let parsed: Value = serde_json::from_str(input).ok()?;
    let content = nth(&parsed, 0)?.get("content").cloned()?;
    let text = match &content {
        Value::String(s) if !s.is_empty() => s.clone(),
        _ => nth(&content, 0).and_then(|part| part.get("text").and_then(Value::as_str).map(str::to_string)).unwrap_or_default(),
    };
    let opening = super::digest::prefix(&text, PROMPT_OPENING_CHARS);
    (!opening.is_empty()).then(|| opening.to_string())
}

/// A prompt's operation name: its opening's first words (whitespace runs,
/// as RE2's `[[:space:]]`, made one space, then trimmed; cut to
/// [`PROMPT_LABEL_CHARS`], with `…` when cut) and the opening's hash:
/// `prompt "You are a support agent…" #a1b2`.
pub fn prompt_label(opening: &str) -> String {
    let mut words = String::with_capacity(opening.len());
    let mut in_space = false;
    for c in opening.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r') {
            if !in_space {
                words.push(' ');
            }
            in_space = true;
        } else {
            words.push(c);
            in_space = false;
        }
    }
    let words = words.trim_matches(' ');
    let shown = super::digest::prefix(words, PROMPT_LABEL_CHARS);
    let more = if shown.len() < words.len() { "…" } else { "" };
    let hash = format!("{:016x}", super::digest::city_hash(opening.as_bytes()));
    format!("prompt \"{shown}{more}\" #{}", &hash[..PROMPT_HASH_DIGITS])
}

/// A name cut to [`NAME_CHARS`] characters.
pub fn name(s: &str) -> String {
    super::digest::prefix(s, NAME_CHARS).to_string()
}

/// The (key, value) pairs of `props` the segments read, as the HogQL reads
/// them: the first [`SEGMENT_PAIRS_PER_EVENT`](crate::contract::SEGMENT_PAIRS_PER_EVENT)
/// keys in byte order that [`segment_key`](crate::contract::segment_key)
/// accepts, those with a value ([`prop_text`]), key and value cut to
/// [`NAME_CHARS`](crate::contract::NAME_CHARS).
pub fn segment_props(props: &Map<String, Value>) -> Vec<(String, String)> {
    let mut keys: Vec<&String> = props.keys().filter(|k| crate::contract::segment_key(k)).collect();
    crate::order::sort(&mut keys);
    keys.into_iter().take(crate::contract::SEGMENT_PAIRS_PER_EVENT).filter_map(|k| Some((name(k), name(&prop_text(props, k)?)))).collect()
}

/// The operation of generations without a span name.
pub const UNNAMED: &str = "unnamed";

/// The typed fields of one `$ai_generation` the analysis needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub uuid: String,
    pub timestamp: DateTime<Utc>,
    pub trace_id: String,
    /// `$ai_span_id` ([`name`]d), `""` when absent.
    pub span_id: String,
    pub operation: String,
    /// The rule that named [`Generation::operation`].
    pub naming: Naming,
    /// `$ai_parent_id`, empty when absent: the span (or trace) the call ran in.
    pub parent_id: String,
    pub model: String,
    pub provider: String,
    pub lib: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cache_read_tokens: Option<u64>,
    pub cache_write_tokens: Option<u64>,
    pub reasoning_tokens: Option<u64>,
    /// `$ai_cache_creation_1h_input_tokens`: the cache writes of the 1-hour lifetime.
    pub cache_write_1h_tokens: Option<u64>,
    /// `$ai_framework` lower-cased (ASCII, as ClickHouse's `lower`), `""` when absent.
    pub framework: String,
    /// `$ai_cost_model_source`: which of PostHog's paths priced the call.
    pub cost_source: Option<String>,
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
    /// `$ai_cache_reporting_exclusive` read as text: `true` when the cache
    /// tokens are reported apart from the input tokens, `false` when inside
    /// them, `None` when absent or anything else.
    pub cache_exclusive: Option<bool>,
    /// `$ai_input` / `$ai_output_choices` as HogQL reads them (raw JSON
    /// text), digested.
    pub input: Option<TextDigest>,
    pub output: Option<TextDigest>,
    /// Which number properties were read as missing because their value was
    /// dirty ([`dirty_numbers`]).
    pub dirty_numbers: u16,
    /// The event's `distinct_id`, cut to [`NAME_CHARS`](crate::contract::NAME_CHARS).
    pub distinct_id: String,
    /// The custom and feature-flag properties the segments read ([`segment_props`]).
    pub segment_props: Vec<(String, String)>,
}

impl Generation {
    /// The typed view of `event`, if it is an `$ai_generation`.
    pub fn from_event(event: &Event) -> Option<Generation> {
        if event.event != AI_GENERATION {
            return None;
        }
        let p = &event.properties;
        let text = |k: &str| prop_text(p, k);
        let (operation, naming) = operation_name(p);
        Some(Generation {
            uuid: event.uuid.clone(),
            timestamp: event.timestamp,
            trace_id: text("$ai_trace_id").unwrap_or_default(),
            operation,
            naming,
            span_id: name(&text("$ai_span_id").unwrap_or_default()),
            parent_id: text("$ai_parent_id").unwrap_or_default(),
            model: name(&text("$ai_model").unwrap_or_default()),
            provider: text("$ai_provider").unwrap_or_default(),
            lib: text("$lib").or_else(|| text("$ai_lib")).unwrap_or_default(),
            input_tokens: prop_u64(p, "$ai_input_tokens"),
            output_tokens: prop_u64(p, "$ai_output_tokens"),
            cache_read_tokens: prop_u64(p, "$ai_cache_read_input_tokens"),
            cache_write_tokens: prop_u64(p, "$ai_cache_creation_input_tokens"),
            reasoning_tokens: prop_u64(p, "$ai_reasoning_tokens"),
            cache_write_1h_tokens: prop_u64(p, "$ai_cache_creation_1h_input_tokens"),
            framework: text("$ai_framework").unwrap_or_default().to_ascii_lowercase(),
            cost_source: text("$ai_cost_model_source"),
            cost_usd: prop_f64(p, "$ai_total_cost_usd"),
            input_cost_usd: prop_f64(p, "$ai_input_cost_usd"),
            output_cost_usd: prop_f64(p, "$ai_output_cost_usd"),
            latency_s: prop_f64(p, "$ai_latency"),
            is_error: prop_true(p, "$ai_is_error"),
            http_status: prop_status(p),
            error: text("$ai_error"),
            stop_reason: text("$ai_stop_reason"),
            max_tokens: prop_u64(p, "$ai_max_tokens"),
            cache_exclusive: match text("$ai_cache_reporting_exclusive").as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            input: text("$ai_input").map(|t| TextDigest::of_prompt(&t)),
            output: text("$ai_output_choices").map(|t| TextDigest::of(&t)),
            dirty_numbers: dirty_numbers(p),
            distinct_id: name(&event.distinct_id),
            segment_props: segment_props(p),
        })
    }
}

/// A step name an `$ai_span` or `$ai_trace` event gives the generations
/// under it ([`Naming::ParentSpan`], [`Naming::TraceName`]), uncut.
#[derive(Clone, Debug, PartialEq)]
pub struct NameEvent {
    pub uuid: String,
    pub timestamp: DateTime<Utc>,
    pub trace_id: String,
    /// The span's `$ai_span_id`; `None` for the trace's `$ai_trace` event.
    pub span_id: Option<String>,
    pub name: String,
}

impl NameEvent {
    /// The name `event` gives, if it is an `$ai_span` with a trace id, a span
    /// id and a step name, or an `$ai_trace` with a trace id and a step name
    /// (`$ai_span_name`, else `$ai_trace_name`).
    pub fn from_event(event: &Event) -> Option<NameEvent> {
        let p = &event.properties;
        let step = |k: &str| prop_text(p, k).filter(|n| names_a_step(n));
        let (span_id, name) = match event.event.as_str() {
            AI_SPAN => (Some(prop_text(p, "$ai_span_id")?), step("$ai_span_name")?),
            AI_TRACE => (None, step("$ai_span_name").or_else(|| step("$ai_trace_name"))?),
            _ => return None,
        };
        let trace_id = prop_text(p, "$ai_trace_id")?;
        Some(NameEvent { uuid: event.uuid.clone(), timestamp: event.timestamp, trace_id, span_id, name })
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
        assert_eq!(prop_u64(&p, "d"), None, "a negative count is missing");
        assert_eq!(prop_f64(&p, "e"), Some(1000.0));
    }

    #[test]
    fn counts_and_statuses_are_whole_numbers_read_through_to_float() {
        // As typed PostHog reads a Numeric property: 12.0 is 12 whether sent as a number or text.
        let p = props(json!({"a": 12.0, "b": "12.0", "c": "1e3", "d": 12.5, "e": "-0", "s": 429.0, "t": -1, "u": 70000, "v": "429.5"}));
        assert_eq!(["a", "b", "c", "d", "e"].map(|k| prop_u64(&p, k)), [Some(12), Some(12), Some(1000), None, Some(0)]);
        let status = |v: Value| prop_status(&props(json!({ "$ai_http_status": v })));
        assert_eq!([p["s"].clone(), p["t"].clone(), p["u"].clone(), p["v"].clone(), json!("n/a")].map(status), [Some(429), Some(0), None, None, None]);
    }

    #[test]
    fn dirty_numbers_are_missing_and_flagged_at_each_limit() {
        use crate::contract::{MAX_COST_USD, MAX_LATENCY_S, MAX_TOKENS};
        let cost = "$ai_total_cost_usd";
        let read = |v: Value| {
            let p = props(json!({ cost: v.clone(), "$ai_latency": v.clone(), "$ai_input_tokens": v }));
            (prop_f64(&p, cost), prop_f64(&p, "$ai_latency"), prop_u64(&p, "$ai_input_tokens"), dirty_numbers(&p))
        };
        // Bits of the three properties in NUMBER_PROPERTIES.
        let bit = |k: &str| 1u16 << NUMBER_PROPERTIES.iter().position(|(p, _)| *p == k).unwrap();
        let all = bit(cost) | bit("$ai_latency") | bit("$ai_input_tokens");
        for junk in [json!(-0.47), json!("-1"), json!("NaN"), json!("inf"), json!("-inf"), json!("n/a"), json!(1e308), json!(-1e300), json!(true), json!({"a": 1}), json!("null")] {
            assert_eq!(read(junk.clone()), (None, None, None, all), "{junk}");
        }
        for absent in [Value::Null, json!("")] {
            assert_eq!(read(absent.clone()), (None, None, None, 0), "{absent} is missing, not dirty");
        }
        assert_eq!(read(json!(0)), (Some(0.0), Some(0.0), Some(0), 0));
        assert_eq!(read(json!(1000)), (Some(MAX_COST_USD), Some(1000.0), Some(1000), 0), "limits are inclusive");
        assert_eq!(read(json!(1000.5)), (None, Some(1000.5), None, bit(cost) | bit("$ai_input_tokens")), "a fraction is not a count");
        assert_eq!(read(json!(MAX_LATENCY_S + 1.0)).1, None);
        assert_eq!(read(json!(MAX_TOKENS)).2, Some(MAX_TOKENS));
        assert_eq!(read(json!(MAX_TOKENS + 1)).2, None);
        assert_eq!(read(json!(20_000_000u64)).3, all, "2e7 tokens is absurd, and so is that cost and latency");
        assert_eq!(read(json!(" 7")).3, all, "ClickHouse parses no surrounding whitespace");
    }

    #[test]
    fn generation_without_a_span_name_is_named_by_its_model() {
        let line = r#"{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"$ai_trace_id":"t1","$ai_span_name":"","$ai_model":"gpt-4o","$ai_is_error":true,"$ai_http_status":429}}"#;
        let (events, _) = crate::source::jsonl::parse(line);
        let g = Generation::from_event(&events[0]).unwrap();
        assert_eq!((g.operation.as_str(), g.naming), ("model gpt-4o", Naming::Model));
        assert!(g.is_error);
        assert_eq!(g.http_status, Some(429));
        assert_eq!(g.cost_usd, None);
        assert_eq!(g.lib, "");
    }

    #[test]
    fn client_classes_are_told_from_step_names() {
        for class in ["ChatOpenAI", "AzureChatOpenAI", "ChatAnthropic", "ChatGoogleGenerativeAI", "ChatBedrockConverse", "RunnableSequence", "RunnableParallel<outline>", "RunnableAssign<a,b>", "FakeListLLM", "ChatPromptTemplate", "StrOutputParser", "OpenAI", "AgentExecutor"] {
            assert!(crate::contract::is_client_class(class), "{class} is a class");
            assert!(!names_a_step(class));
        }
        for step in ["plan", "support_reply", "Chat", "ChatGPT-answer", "Chat Bot", "chat_openai", "LLM", "OpenAIHelper", "Runnable", "Runnablesequence", "RunnableParallel<", "RunnableX<a\nb>", "plan<steps>", "Summarize"] {
            assert!(names_a_step(step), "{step} names a step");
        }
        assert!(!names_a_step(""));
    }

    #[test]
    fn the_rule_falls_from_span_name_to_prompt_to_model() {
        let op = |v: Value| operation_name(&props(v));
        assert_eq!(op(json!({"$ai_span_name": "triage", "$ai_model": "m"})), ("triage".into(), Naming::SpanName));
        let system = "You are   a\n\ttriage assistant for the billing team.";
        let prompt = json!([{"role": "system", "content": system}, {"role": "user", "content": "hi"}]);
        let (name, rule) = op(json!({"$ai_span_name": "ChatOpenAI", "$ai_input": prompt, "$ai_model": "m"}));
        assert_eq!(rule, Naming::Prompt);
        assert!(name.starts_with("prompt \"You are a triage assista…\" #"), "{name}");
        assert_eq!(name.len(), r#"prompt "You are a triage assista…" #"#.len() + PROMPT_HASH_DIGITS, "{name}");
        // The same opening is the same prompt whatever follows; another opening is another.
        let same = op(json!({"$ai_input": [{"role": "system", "content": system}, {"role": "user", "content": "other"}]}));
        assert_eq!(same, (name.clone(), Naming::Prompt));
        let other = op(json!({"$ai_input": [{"role": "system", "content": format!("{system} Sort each ticket.")}]})).0;
        assert!(other.starts_with("prompt \"You are a triage assista…\" #") && other != name, "{other} vs {name}");
        // A first message in parts reads its first part's text; a short one shows no ellipsis.
        let parts = op(json!({"$ai_input": [{"role": "user", "content": [{"type": "text", "text": "Summarize the call"}]}]})).0;
        assert!(parts.starts_with("prompt \"Summarize the call\" #"), "{parts}");
        assert_eq!(op(json!({"$ai_input": "a plain string", "$ai_model": "gpt-4o-mini"})), ("model gpt-4o-mini".into(), Naming::Model));
        assert_eq!(op(json!({"$ai_input": [{"role": "user", "content": ""}], "$ai_model": "m"})).1, Naming::Model);
        assert_eq!(op(json!({"$ai_span_name": "RunnableSequence"})), (UNNAMED.into(), Naming::Unnamed));
    }

    #[test]
    fn spans_and_traces_give_step_names_only() {
        let ev = |event: &str, p: Value| Event { uuid: "u".into(), event: event.into(), distinct_id: "d".into(), timestamp: DateTime::<Utc>::MIN_UTC, properties: props(p) };
        let name = |event: &str, p: Value| NameEvent::from_event(&ev(event, p)).map(|n| (n.span_id, n.name));
        assert_eq!(name(AI_SPAN, json!({"$ai_trace_id": "t", "$ai_span_id": "s", "$ai_span_name": "retrieve"})), Some((Some("s".into()), "retrieve".into())));
        assert_eq!(name(AI_SPAN, json!({"$ai_trace_id": "t", "$ai_span_id": "s", "$ai_span_name": "ChatPromptTemplate"})), None);
        assert_eq!(name(AI_SPAN, json!({"$ai_trace_id": "t", "$ai_span_name": "retrieve"})), None, "a span without an id names nothing");
        assert_eq!(name(AI_TRACE, json!({"$ai_trace_id": "t", "$ai_span_name": "RunnableSequence", "$ai_trace_name": "support_flow"})), Some((None, "support_flow".into())));
        assert_eq!(name(AI_TRACE, json!({"$ai_trace_id": "", "$ai_trace_name": "x"})), None);
        assert_eq!(name(AI_GENERATION, json!({"$ai_trace_id": "t", "$ai_span_name": "x"})), None);
    }

    #[test]
    fn the_sdk_is_named_by_lib_before_ai_lib() {
        // Every PostHog SDK sends `$ai_lib: posthog-ai`; `$lib` tells them apart.
        let line = |props: &str| format!(r#"{{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{{{props}}}}}"#);
        let lib = |props: &str| Generation::from_event(&crate::source::jsonl::parse(&line(props)).0[0]).unwrap().lib;
        assert_eq!(lib(r#""$ai_lib":"posthog-ai","$lib":"posthog-node""#), "posthog-node");
        assert_eq!(lib(r#""$ai_lib":"posthog-ai""#), "posthog-ai");
        assert_eq!(lib(r#""$ai_lib":"posthog-ai","$lib":"""#), "posthog-ai", "an empty $lib is missing, as nullIf makes it");
    }

    #[test]
    fn jsonl_round_trips() {
        let text = r#"{"uuid":"u","event":"$ai_trace","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"b":1,"a":2}}"#;
        let (events, skips) = crate::source::jsonl::parse(text);
        assert_eq!(skips.count, 0);
        let mut out = Vec::new();
        write_jsonl(&events, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim_end(), text);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use crate::contract::{MAX_COST_USD, MAX_LATENCY_S, MAX_TOKENS};
    use proptest::prelude::*;

    /// Any JSON a property may hold, weighted to numbers and number-like text.
    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            "[-+ ]?([0-9]{0,12}(\\.[0-9]{0,4})?(e[-+]?[0-9]{1,3})?|NaN|nan|inf|Infinity|n/a|null|)".prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            proptest::collection::vec(any::<i32>(), 0..3).prop_map(Value::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]
        #[test]
        fn any_property_values_read_within_limits_never_a_panic(values in proptest::collection::vec(value(), NUMBER_PROPERTIES.len() + 4)) {
            let mut p = Map::new();
            for ((key, _), v) in NUMBER_PROPERTIES.iter().zip(&values) {
                p.insert(key.to_string(), v.clone());
            }
            let rest = &values[NUMBER_PROPERTIES.len()..];
            for (key, v) in ["$ai_trace_id", "$ai_http_status", "$ai_span_name", "$ai_input"].iter().zip(rest) {
                p.insert(key.to_string(), v.clone());
            }
            let event = Event { uuid: "u".into(), event: AI_GENERATION.into(), distinct_id: "d".into(), timestamp: DateTime::<Utc>::MIN_UTC, properties: p.clone() };
            let g = Generation::from_event(&event).unwrap();
            prop_assert!(g.cost_usd.is_none_or(|c| (0.0..=MAX_COST_USD).contains(&c)));
            prop_assert!(g.latency_s.is_none_or(|l| (0.0..=MAX_LATENCY_S).contains(&l)));
            for t in [g.input_tokens, g.output_tokens, g.cache_read_tokens, g.cache_write_tokens, g.reasoning_tokens, g.max_tokens] {
                prop_assert!(t.is_none_or(|t| t <= MAX_TOKENS));
            }
            // A flagged property reads as missing; an unflagged one holding text reads as a number.
            for (i, (key, read)) in NUMBER_PROPERTIES.iter().enumerate() {
                let read_some = match read {
                    NumberRead::Float { .. } => prop_f64(&p, key).is_some(),
                    NumberRead::Count { .. } => prop_u64(&p, key).is_some(),
                };
                let holds_text = !matches!(p.get(*key), None | Some(Value::Null)) && p.get(*key) != Some(&Value::from(""));
                prop_assert_eq!(g.dirty_numbers & 1 << i != 0, holds_text && !read_some, "{} = {:?}", key, p.get(*key));
            }
        }
    }
}
