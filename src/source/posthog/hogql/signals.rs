//! The quality-signals query: `$ai_evaluation`, `$ai_feedback`, `$ai_metric`
//! and `$ai_embedding` events of the window, each judgement placed on the
//! generation it judges, grouped as [`crate::analysis::dataset::SignalRow`].

use super::{window_values, with_generations, Col, PayloadTable, Query};
use crate::contract::{hogql_count, hogql_float, hogql_text as text, FAIL_WORDS, MAX_SIGNAL_VALUE, NAME_CHARS, PASS_WORDS, SIGNAL_EVENTS, SIGNAL_ROWS};
use crate::source::posthog::escape;

/// `words` as a HogQL tuple of string literals.
fn tuple(words: &[&str]) -> String {
    words.iter().map(|w| escape::string(w)).collect::<Vec<_>>().join(", ")
}

/// A number property within [`MAX_SIGNAL_VALUE`], else null (junk, `nan`, `inf`).
fn value(prop: &str) -> String {
    format!("if(toFloat(properties.{prop}) >= -{MAX_SIGNAL_VALUE} AND toFloat(properties.{prop}) <= {MAX_SIGNAL_VALUE}, toFloat(properties.{prop}), NULL)")
}

/// The window, as a `WHERE` condition on any event.
const IN_WINDOW: &str = "timestamp >= toDateTime({start}, 'UTC') AND timestamp < toDateTime({end}, 'UTC')";

/// A `multiIf` branch: `then` when the event is `event`.
fn when(event: &str, then: &str) -> String {
    format!("event = {}, {then}", escape::string(event))
}

/// The window's signal events, one row each: kind, name, the uuid and trace
/// they judge, verdict (1 pass, 0 failure, null none), numeric value, an
/// embedding's own operation, model and provider, tokens and cost.
fn signal_events() -> String {
    let [evaluation, feedback, metric, embedding] = SIGNAL_EVENTS;
    let kind = format!(
        "multiIf({}, {}, {}, {}, {})",
        when(evaluation, "'evaluation'"),
        when(feedback, "'feedback'"),
        when(metric, "'metric'"),
        when(embedding, "'embedding'"),
        "''"
    );
    let named = |props: &[&str]| {
        let reads: Vec<String> = props.iter().map(|p| format!("nullIf({}, '')", text(p))).collect();
        format!("coalesce({}, 'unnamed')", reads.join(", "))
    };
    let name = format!(
        "substringUTF8(multiIf({}, {}, ''), 1, {NAME_CHARS})",
        when(evaluation, &named(&["$ai_evaluation_name", "$ai_evaluation_id"])),
        when(metric, &named(&["$ai_metric_name"])),
    );
    let said = format!(
        "lower(multiIf({}, {}, {}, NULL))",
        when(evaluation, &text("$ai_evaluation_result")),
        when(feedback, &text("$ai_feedback_text")),
        when(metric, &text("$ai_metric_value")),
    );
    // An evaluation's result may also be the number 1 or 0.
    let number = |n: u8| format!("event = {} AND toFloat(properties.$ai_evaluation_result) = {n}", escape::string(evaluation));
    let verdict = format!(
        "multiIf({} = 'false', NULL, said IN ({}), 1, said IN ({}), 0, {}, 1, {}, 0, NULL)",
        text("$ai_evaluation_applicable"),
        tuple(&PASS_WORDS),
        tuple(&FAIL_WORDS),
        number(1),
        number(0),
    );
    let value = format!("multiIf({}, {}, NULL)", when(evaluation, &value("$ai_evaluation_numeric_result")), when(metric, &value("$ai_metric_value")));
    let events: Vec<String> = SIGNAL_EVENTS.iter().map(|e| escape::string(e)).collect();
    format!(
        "SELECT {kind} AS kind, {name} AS name, lower(coalesce({}, '')) AS target, coalesce({}, '') AS trace, {said} AS said, {verdict} AS verdict, {value} AS value, \
         substringUTF8(coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed'), 1, {NAME_CHARS}) AS own_operation, \
         substringUTF8(coalesce({}, ''), 1, {NAME_CHARS}) AS own_model, coalesce({}, '') AS own_provider, {} AS tok, {} AS cost \
         FROM events WHERE event IN ({}) AND {}",
        text("$ai_target_event_id"),
        text("$ai_trace_id"),
        text("$ai_model"),
        text("$ai_provider"),
        hogql_count("$ai_input_tokens"),
        hogql_float("$ai_total_cost_usd"),
        events.join(", "),
        IN_WINDOW,
    )
}

/// The signals grouped by kind, name, operation, model and provider. An
/// evaluation, feedback or metric takes the operation, model and provider
/// of the window's generation whose uuid it targets, else of its trace's
/// last generation (by time, then uuid); an embedding keeps its own.
pub fn signals(w: &crate::analysis::dataset::Window) -> Query {
    let with = with_generations(&[Col::Id, Col::Ts, Col::Trace, Col::Operation, Col::Model, Col::Provider], PayloadTable::Events, None);
    // One row per uuid: a repeated event must not count its judgements twice.
    let by_id = "SELECT id, operation, model, provider, 1 AS hit FROM gens LIMIT 1 BY id";
    let last = "tuple(ts, id)";
    let by_trace = format!(
        "SELECT trace, argMax(operation, {last}) AS operation, argMax(model, {last}) AS model, argMax(provider, {last}) AS provider, 1 AS hit \
         FROM gens WHERE trace != '' GROUP BY trace"
    );
    let placed = |col: &str| format!("multiIf(s.kind = 'embedding', s.own_{col}, g.hit = 1, g.{col}, t.hit = 1, t.{col}, '') AS {col}");
    let joined = format!(
        "SELECT s.kind AS kind, s.name AS name, {}, {}, {}, s.verdict AS verdict, s.value AS value, s.tok AS tok, s.cost AS cost \
         FROM ({}) AS s LEFT JOIN ({by_id}) AS g ON s.target = g.id LEFT JOIN ({by_trace}) AS t ON s.trace = t.trace",
        placed("operation"),
        placed("model"),
        placed("provider"),
        signal_events(),
    );
    let hogql = format!(
        "{with} SELECT kind, name, operation, model, provider, count() AS events, countIf(verdict = 1) AS passed, countIf(verdict = 0) AS failed, \
         coalesce(sum(value), 0) AS value_sum, countIf(isNotNull(value)) AS valued, coalesce(sum(tok), 0) AS input_tokens, \
         coalesce(sum(cost), 0) AS cost_usd, countIf(isNull(cost)) AS unpriced, coalesce(sumIf(tok, isNull(cost)), 0) AS unpriced_tokens \
         FROM ({joined}) GROUP BY kind, name, operation, model, provider ORDER BY kind, name, operation, model, provider LIMIT {SIGNAL_ROWS}"
    );
    Query { name: "signals", hogql, values: window_values(w) }
}
