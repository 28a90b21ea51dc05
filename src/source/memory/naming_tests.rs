//! Operations named by the parent span or the trace, from the naming events
//! of the window widened by [`NAME_EVENTS_MARGIN_S`].

use super::*;
use chrono::{DateTime, TimeZone, Utc};
use futures::executor::block_on;
use serde_json::{json, Value};

fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap() + chrono::Duration::seconds(s)
}

fn ev(uuid: &str, event: &str, ts: DateTime<Utc>, props: Value) -> Event {
    Event { uuid: uuid.into(), event: event.into(), distinct_id: "d".into(), timestamp: ts, properties: props.as_object().unwrap().clone() }
}

/// (operation, rule) of each generation of `w`, by uuid.
fn named(events: &[Event], w: &Window) -> Vec<(String, String, Naming)> {
    let src = MemorySource::from_events(events.to_vec());
    let mut out: Vec<_> = src.in_window(w).map(|g| (g.uuid.clone(), g.operation.clone(), g.naming)).collect();
    out.sort();
    out
}

#[test]
fn parent_spans_then_traces_name_what_their_generations_do_not() {
    let gen = |uuid: &str, s: i64, p: Value| ev(uuid, "$ai_generation", at(s), p);
    let events = vec![
        ev("s1", "$ai_span", at(5), json!({"$ai_trace_id": "t", "$ai_span_id": "retrieve-id", "$ai_span_name": "retrieve"})),
        ev("s2", "$ai_span", at(5), json!({"$ai_trace_id": "t", "$ai_span_id": "template-id", "$ai_span_name": "ChatPromptTemplate"})),
        gen("g1", 1, json!({"$ai_trace_id": "t", "$ai_span_name": "ChatOpenAI", "$ai_parent_id": "retrieve-id"})),
        gen("g2", 2, json!({"$ai_trace_id": "t", "$ai_span_name": "ChatOpenAI", "$ai_parent_id": "template-id"})),
        gen("g3", 3, json!({"$ai_trace_id": "t", "$ai_parent_id": "t"})),
        gen("g4", 4, json!({"$ai_trace_id": "t", "$ai_span_name": "answer", "$ai_parent_id": "retrieve-id"})),
        gen("g5", 4, json!({"$ai_trace_id": "u", "$ai_parent_id": "retrieve-id", "$ai_model": "m"})),
        ev("r2", "$ai_trace", at(9), json!({"$ai_trace_id": "t", "$ai_trace_name": "later"})),
        ev("r1", "$ai_trace", at(8), json!({"$ai_trace_id": "t", "$ai_span_name": "RunnableSequence", "$ai_trace_name": "support_flow"})),
    ];
    let w = Window { start: at(0), end: at(60) };
    let want = [
        ("g1", "retrieve", Naming::ParentSpan),
        ("g2", "support_flow", Naming::TraceName),
        ("g3", "support_flow", Naming::TraceName),
        ("g4", "answer", Naming::SpanName),
        ("g5", "model m", Naming::Model),
    ];
    assert_eq!(named(&events, &w), want.map(|(u, n, r)| (u.to_string(), n.to_string(), r)));
    let o = block_on(MemorySource::from_events(events.clone()).overview(&w)).unwrap();
    assert_eq!((o.naming.span_name, o.naming.parent_span, o.naming.trace_name, o.naming.model), (1, 1, 2, 1));
    assert_eq!(o.trace_operations, 4, "(t, retrieve), (t, support_flow), (t, answer), (u, model m)");
}

#[test]
fn naming_events_count_within_the_margin_of_the_window_only() {
    let margin = NAME_EVENTS_MARGIN_S;
    let events = vec![
        ev("g", "$ai_generation", at(10), json!({"$ai_trace_id": "t", "$ai_model": "m"})),
        ev("late", "$ai_trace", at(60 + margin - 1), json!({"$ai_trace_id": "t", "$ai_trace_name": "in_margin"})),
        ev("later", "$ai_trace", at(60 + margin), json!({"$ai_trace_id": "t", "$ai_trace_name": "past_margin"})),
    ];
    let w = Window { start: at(0), end: at(60) };
    assert_eq!(named(&events, &w)[0].1, "in_margin");
    assert_eq!(named(&events[..1].iter().chain(&events[2..]).cloned().collect::<Vec<_>>(), &w)[0].1, "model m", "a trace event past the margin names nothing");
}
