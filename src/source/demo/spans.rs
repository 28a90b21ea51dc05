//! The spans plant: some traces run as LangChain chains, so the Traces view
//! has trees to show.
//!
//! A share ([`CHAIN_SHARE`]) of the traces gets a root chain span
//! ([`ROOT`]) under the trace, one step span per run of calls of one
//! operation under it ([`step_name`]), the step's generations parented to
//! its span, and after each `agent_step` call that asked for a tool, a tool
//! span ([`TOOL`]) under the agent's step: three levels below the trace, as
//! LangChain's callback sends them (`$ai_span` events linked by
//! `$ai_parent_id`). Spans are not generations: no analysis reads them. The
//! choices draw on their own random stream, seeded from the demo's seed, so
//! the other events stay as they were.

use super::{catalog::ops, round3, uuid_of, DemoRecord, Record, Trace};
use crate::source::event::Event;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Map, Value};

/// Share of traces sent through the chain.
pub const CHAIN_SHARE: f64 = 0.3;
/// The root chain's span name.
pub const ROOT: &str = "RunnableSequence";
/// The tool span's name.
pub const TOOL: &str = "lookup_order";
/// Share of tool calls that fail.
const TOOL_FAILURES: f64 = 0.05;

/// The step span's name of an operation's calls.
pub fn step_name(operation: &str) -> &'static str {
    match operation {
        ops::SAFETY_CHECK => "SafetyGuard",
        ops::CLASSIFY_INTENT => "IntentRouter",
        ops::RETRIEVE_CONTEXT => "RetrievalQA",
        ops::AGENT_STEP => "AgentExecutor",
        ops::DRAFT_ANSWER => "AnswerChain",
        ops::GENERATE_TITLE => "TitleChain",
        ops::EXTRACT_ENTITIES => "EntityExtractor",
        _ => "SummaryChain",
    }
}

/// One `$ai_span` of the demo.
pub(super) struct SpanRecord {
    uuid: String,
    distinct_id: String,
    timestamp: DateTime<Utc>,
    trace_id: String,
    span_id: String,
    parent_id: String,
    name: &'static str,
    latency: f64,
    error: Option<&'static str>,
    input_state: Value,
    output_state: Value,
}

impl SpanRecord {
    /// The span as LangChain's callback sends it.
    pub(super) fn event(&self) -> Event {
        let mut p = Map::new();
        p.insert("$ai_trace_id".into(), json!(self.trace_id));
        p.insert("$ai_span_id".into(), json!(self.span_id));
        p.insert("$ai_parent_id".into(), json!(self.parent_id));
        p.insert("$ai_span_name".into(), json!(self.name));
        p.insert("$ai_latency".into(), json!(self.latency));
        for (key, state) in [("$ai_input_state", &self.input_state), ("$ai_output_state", &self.output_state)] {
            if !state.is_null() {
                p.insert(key.into(), state.clone());
            }
        }
        p.insert("$ai_is_error".into(), json!(self.error.is_some()));
        if let Some(e) = self.error {
            p.insert("$ai_error".into(), json!(e));
        }
        p.insert("$ai_framework".into(), json!("langchain"));
        p.insert("$ai_lib".into(), json!("posthog-python"));
        Event { uuid: self.uuid.clone(), event: crate::source::event::AI_SPAN.into(), distinct_id: self.distinct_id.clone(), timestamp: self.timestamp, properties: p }
    }
}

/// The plant's own random stream.
pub(super) struct SpanPlant {
    rng: Pcg64,
}

impl SpanPlant {
    /// A plant drawing from a stream seeded from `seed`.
    pub(super) fn new(seed: u64) -> Self {
        SpanPlant { rng: Pcg64::seed_from_u64(seed ^ 0x5ba2_c4a1) }
    }

    /// Sends a share of traces through the chain: parents their generations
    /// to step spans and adds the spans to the trace's events.
    pub(super) fn plant(&mut self, t: &mut Trace) {
        if !self.rng.random_bool(CHAIN_SHARE) {
            return;
        }
        let calls: Vec<Step> = t
            .events
            .iter()
            .enumerate()
            .filter_map(|(at, e)| match &e.0 {
                Record::Generation(g) => {
                    let end = g.timestamp + Duration::milliseconds((g.latency * 1000.0) as i64);
                    Some(Step { at, operation: g.call.operation, start: g.timestamp, end, tool: g.outcome.error.is_none() && g.outcome.stop_reason == "tool_calls" })
                }
                _ => None,
            })
            .collect();
        let (Some(first), Some(last)) = (calls.first(), calls.last()) else { return };
        let mut root = self.span(t, ROOT, t.id.clone(), first.start, last.end);
        (root.input_state, root.output_state) = (json!({"question": t.customer}), json!({"answer": "sent"}));
        let mut spans = Vec::new();
        for run in calls.chunk_by(|a, b| a.operation == b.operation) {
            let mut step = self.span(t, step_name(run[0].operation), root.span_id.clone(), run[0].start, run[run.len() - 1].end);
            step.input_state = json!({"operation": run[0].operation, "calls": run.len()});
            for call in run {
                if let Record::Generation(g) = &mut t.events[call.at].0 {
                    g.parent_id = step.span_id.clone();
                }
                if !call.tool {
                    continue;
                }
                let took = self.rng.random_range(20..400);
                let mut tool = self.span(t, TOOL, step.span_id.clone(), call.end, call.end + Duration::milliseconds(took));
                tool.input_state = json!({"order": t.customer.len()});
                if self.rng.random_bool(TOOL_FAILURES) {
                    tool.error = Some("OrderServiceTimeout: no answer in 30 s");
                } else {
                    tool.output_state = json!({"status": "shipped"});
                }
                spans.push(tool);
            }
            spans.push(step);
        }
        spans.push(root);
        t.events.extend(spans.into_iter().map(|s| DemoRecord(Record::Span(Box::new(s)))));
    }

    /// A span of `t` from `from` to `to`, without states.
    fn span(&mut self, t: &Trace, name: &'static str, parent_id: String, from: DateTime<Utc>, to: DateTime<Utc>) -> SpanRecord {
        SpanRecord {
            uuid: uuid_of(&mut self.rng),
            distinct_id: t.user.clone(),
            timestamp: from,
            trace_id: t.id.clone(),
            span_id: uuid_of(&mut self.rng),
            parent_id,
            name,
            latency: round3((to - from).num_milliseconds() as f64 / 1000.0),
            error: None,
            input_state: Value::Null,
            output_state: Value::Null,
        }
    }
}

/// One call of a trace, as the plant places it.
struct Step {
    /// Its index in the trace's events.
    at: usize,
    operation: &'static str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// It asked for a tool.
    tool: bool,
}
