//! The per-trace queries: one row per (trace, operation), and the
//! generations and spans of selected traces.

use super::{ai_payload, hex_hash, token_sums, window_values, with_generations, Col, PayloadTable, Query};
use crate::analysis::dataset::Window;
use crate::contract::{generations_per_trace, spans_per_trace, ERROR_CHARS, EXCERPT_CHARS, MAX_ROWS, TOOL_STOP_REASONS, TRUNCATION_STOP_REASONS};
use crate::source::digest::city_hash;
use crate::source::event::AI_SPAN;
use crate::source::TraceOpsPage;

/// One page of per-(trace, operation) rows: the page's bucket range (and
/// sample), after its keyset cursor, `limit + 1` rows so that the answer
/// tells whether more follow.
pub fn trace_ops(w: &Window, page: &TraceOpsPage) -> Query {
    let mut cols = vec![Col::Id, Col::Ts, Col::Trace, Col::Bucket, Col::Operation, Col::Model, Col::Cost, Col::Latency, Col::MaxTokens, Col::IsError, Col::Stop, Col::Input];
    cols.extend(super::TOKENS);
    let mut values = window_values(w);
    let mut filter = vec!["bucket >= {from} AND bucket < {to}".to_string()];
    values.insert("from".into(), page.buckets.0.into());
    values.insert("to".into(), page.buckets.1.into());
    if let Some(s) = page.sample {
        filter.push(format!(
            "(bucket < {{keep}} OR trace IN (SELECT trace FROM gens GROUP BY trace ORDER BY coalesce(sum(cost), 0) DESC, trace LIMIT {}))",
            s.top_traces
        ));
        values.insert("keep".into(), s.keep_per_mille.into());
    }
    if let Some((trace, operation)) = &page.after {
        filter.push("(trace, operation) > ({after_trace}, {after_operation})".to_string());
        values.insert("after_trace".into(), trace.clone().into());
        values.insert("after_operation".into(), operation.clone().into());
    }
    values.insert("truncation_stops".into(), TRUNCATION_STOP_REASONS.to_vec().into());
    values.insert("tool_stops".into(), TOOL_STOP_REASONS.to_vec().into());
    let hogql = format!(
        "{} SELECT trace, operation, min(ts) AS first_seen, count() AS generations, \
         coalesce(sum(cost), 0) AS cost_usd, countIf(isNull(cost)) AS unpriced, {}, {}, \
         max(coalesce(tok_in, 0)) AS max_input_tokens, \
         argMin(coalesce(tok_in, 0), tuple(ts, id)) AS first_input_tokens, \
         argMax(coalesce(tok_in, 0), tuple(ts, id)) AS last_input_tokens, \
         arraySort(groupUniqArray(model)) AS models, countIf(is_error) AS errors, \
         countIf(has({{truncation_stops}}, lower(stop)) OR (max_tokens > 0 AND tok_out >= max_tokens)) AS truncated, \
         countIf(NOT is_error AND tok_out = 0) AS empty_outputs, countIf(has({{tool_stops}}, lower(stop))) AS tool_calls, \
         countIf(isNotNull(input)) - uniqExact(cityHash64(input)) AS duplicate_inputs, \
         coalesce(sum(latency), 0) AS latency_s, greatest(max(coalesce(latency, 0)), 0) AS max_latency_s \
         FROM gens WHERE {} GROUP BY trace, operation ORDER BY trace, operation LIMIT {}",
        with_generations(&cols, PayloadTable::Events, None),
        token_sums("", None),
        token_sums("unpriced_", Some("isNull(cost)")),
        filter.join(" AND "),
        (page.limit + 1).min(MAX_ROWS),
    );
    Query { name: "trace_ops", hogql, values }
}

/// The generations of `trace_ids` (at most [`generations_per_trace`] each,
/// the earliest), with payload lengths, hashes and excerpts read from `table`
/// (with `ai_events`, only the payloads of these traces are read from it):
/// one query per [`TRACES_PER_QUERY`] traces, in the order of `trace_ids`.
///
/// The traces are named by their `cityHash64` through one placeholder, not
/// inlined: PostHog substitutes every value into the ClickHouse SQL, whose
/// parser takes at most `max_query_size` (256 KiB, ClickHouse's default),
/// and trace ids come from the events, of any length. A hash is at most 20
/// digits whatever the id. Another trace of the same hash would come back
/// too: the caller keeps only the traces it asked for.
pub fn generations(w: &Window, trace_ids: &[String], table: PayloadTable) -> Vec<Query> {
    let per_trace = generations_per_trace(trace_ids.len());
    trace_ids.chunks(TRACES_PER_QUERY).map(|chunk| generations_of(w, chunk, per_trace, table)).collect()
}

/// Most traces named in one generations query: the query's own text (about
/// 20 kB printed) plus each hash substituted four times (the generations and
/// the spans, each in `events` and `ai_events`; 21 bytes with its separator)
/// stays under 128 KiB, half of ClickHouse's `max_query_size`, and far under
/// PostHog's 20 MB request body limit (`DATA_UPLOAD_MAX_MEMORY_SIZE`).
/// Round 2 reads a few hundred traces, so this is one query in practice.
pub const TRACES_PER_QUERY: usize = 1_250;

/// One generations query for `trace_ids`, `per_trace` generations each,
/// and their `$ai_span` events ([`spans_per_trace`] + 1 each, which tells
/// that a trace had more) in the same answer: a `UNION ALL` of one row
/// shape, its first column the row's kind (`generation` or `span`; a span
/// leaves the generation-only columns empty), ordered by kind, trace, time, id.
fn generations_of(w: &Window, trace_ids: &[String], per_trace: u64, table: PayloadTable) -> Query {
    let mut cols = vec![Col::Id, Col::Ts, Col::Trace, Col::Operation, Col::Model, Col::Provider, Col::Cost, Col::Latency, Col::IsError, Col::Status];
    cols.extend(super::TOKENS);
    cols.extend([Col::MaxTokens, Col::Error, Col::Stop, Col::Input, Col::Output, Col::SpanId, Col::ParentId]);
    let of_traces = "WHERE cityHash64(trace) IN {trace_hashes} ORDER BY trace, ts, id LIMIT";
    let generations = format!(
        "SELECT 'generation' AS kind, id, trace, ts, operation, model, provider, {TOKENS_AS_IS}, cost, coalesce(latency, 0) AS latency_s, is_error, status, \
         {}, coalesce(stop, '') AS stop_reason, max_tokens, if(isNull(input), '', {}) AS input_hash, {}, span_id, parent_id \
         FROM gens {of_traces} {per_trace} BY trace",
        error_message(),
        hex_hash("input"),
        excerpts("input", "output"),
    );
    let spans = format!(
        "SELECT 'span' AS kind, id, trace, ts, span_name AS operation, '' AS model, '' AS provider, {NO_TOKENS}, NULL AS cost, coalesce(latency, 0) AS latency_s, is_error, \
         NULL AS status, {}, '' AS stop_reason, NULL AS max_tokens, '' AS input_hash, {}, span_id, parent_id FROM ({}) {of_traces} {} BY trace",
        error_message(),
        excerpts("input_state", "output_state"),
        span_events(table),
        spans_per_trace(trace_ids.len()) + 1,
    );
    let hogql = format!(
        "{} SELECT * FROM ({generations} UNION ALL {spans}) ORDER BY kind, trace, ts, id LIMIT {MAX_ROWS}",
        with_generations(&cols, table, Some("cityHash64(trace_id) IN {trace_hashes}")),
    );
    let mut values = window_values(w);
    let hashes: Vec<u64> = trace_ids.iter().map(|t| city_hash(t.as_bytes())).collect();
    values.insert("trace_hashes".into(), hashes.into());
    values.insert("span_event".into(), AI_SPAN.into());
    let name = if table == PayloadTable::AiEvents { "generations_ai_events" } else { "generations" };
    Query { name, hogql, values }
}

/// The error message, cut to [`ERROR_CHARS`].
fn error_message() -> String {
    format!("coalesce(substringUTF8(error, 1, {ERROR_CHARS}), '') AS error_message")
}

/// A payload's lengths and excerpts ([`EXCERPT_CHARS`] each: the start and
/// end of `input`, the start of `output`), as a generation's columns name them.
fn excerpts(input: &str, output: &str) -> String {
    let n = EXCERPT_CHARS;
    format!(
        "coalesce(lengthUTF8({input}), 0) AS input_chars, coalesce(lengthUTF8({output}), 0) AS output_chars, \
         coalesce(substringUTF8({input}, 1, {n}), '') AS input_head, \
         coalesce(substringUTF8({input}, if(lengthUTF8({input}) > {n}, lengthUTF8({input}) - {}, 1), {n}), '') AS input_tail, \
         coalesce(substringUTF8({output}, 1, {n}), '') AS output_head",
        n - 1
    )
}

/// The window's `$ai_span` events of the traces named, with their states
/// read as [`with_generations`] reads payloads: from `events`,
/// or with [`PayloadTable::AiEvents`] from `posthog.ai_events` where it holds them.
fn span_events(table: PayloadTable) -> String {
    const SPAN_WINDOW: &str = "event = {span_event} AND timestamp >= toDateTime({start}, 'UTC') AND timestamp < toDateTime({end}, 'UTC')";
    let cols = [Col::Id, Col::Ts, Col::Trace, Col::SpanName, Col::SpanId, Col::ParentId, Col::Latency, Col::IsError, Col::Error, Col::InputState, Col::OutputState];
    let inner = format!("SELECT {} FROM events WHERE {SPAN_WINDOW}", cols.iter().map(|c| c.select()).collect::<Vec<_>>().join(", "));
    if table == PayloadTable::Events {
        return inner;
    }
    let states = [Col::InputState, Col::OutputState];
    let outer: Vec<String> = cols.iter().map(|c| if states.contains(c) { format!("coalesce(a.{n}, e.{n}) AS {n}", n = c.name()) } else { format!("e.{n} AS {n}", n = c.name()) }).collect();
    format!(
        "SELECT {} FROM ({inner}) AS e LEFT JOIN (SELECT toString(uuid) AS id, {} AS input_state, {} AS output_state FROM posthog.ai_events \
         WHERE {SPAN_WINDOW} AND cityHash64(trace_id) IN {{trace_hashes}} LIMIT 1 BY id) AS a ON e.id = a.id",
        outer.join(", "),
        ai_payload("input_state"),
        ai_payload("output_state"),
    )
}

/// The token columns of a span: none.
const NO_TOKENS: &str = "0 AS input_tokens, 0 AS output_tokens, 0 AS cache_read_tokens, 0 AS cache_write_tokens, 0 AS reasoning_tokens";

/// The token columns of one generation, missing counts as 0.
const TOKENS_AS_IS: &str = "coalesce(tok_in, 0) AS input_tokens, coalesce(tok_out, 0) AS output_tokens, \
    coalesce(tok_cache_read, 0) AS cache_read_tokens, coalesce(tok_cache_write, 0) AS cache_write_tokens, \
    coalesce(tok_reasoning, 0) AS reasoning_tokens";

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window::ending_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(), 30)
    }

    #[test]
    fn trace_ids_go_by_hash_so_their_length_costs_nothing() {
        let short: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let long: Vec<String> = (0..100).map(|i| format!("{i}-'\\{{x}}").repeat(200)).collect();
        let (a, b) = (generations(&window(), &short, PayloadTable::AiEvents), generations(&window(), &long, PayloadTable::AiEvents));
        assert_eq!((a.len(), b.len()), (1, 1));
        assert_eq!(a[0].hogql, b[0].hogql, "no id is written into the text");
        assert!(!b[0].hogql.contains("{x}") && !serde_json::to_string(&b[0].values).unwrap_or_default().contains("{x}"));
        let hashes = b[0].values["trace_hashes"].as_array().cloned().unwrap_or_default();
        assert_eq!(hashes.len(), 100);
        assert_eq!(hashes[7].as_u64(), Some(city_hash(long[7].as_bytes())));
    }

    #[test]
    fn a_full_query_stays_within_half_of_clickhouses_query_size() {
        let ids: Vec<String> = (0..TRACES_PER_QUERY).map(|i| format!("{i:06}")).collect();
        let q = &generations(&window(), &ids, PayloadTable::AiEvents)[0];
        let uses = q.hogql.matches("{trace_hashes}").count();
        let hashes = TRACES_PER_QUERY * "18446744073709551615, ".len();
        let printed = q.hogql.len() + uses * hashes;
        println!("generations query: {} bytes of text, {uses} uses of the hashes, about {printed} bytes printed for {TRACES_PER_QUERY} traces", q.hogql.len());
        assert!(printed < 128 << 10, "{printed}");
    }

    #[test]
    fn many_traces_are_split_keeping_the_per_trace_cap_of_the_whole() {
        let ids: Vec<String> = (0..2 * TRACES_PER_QUERY + 1).map(|i| format!("{i:06}")).collect();
        let qs = generations(&window(), &ids, PayloadTable::Events);
        assert_eq!(qs.len(), 3);
        let cap = format!("LIMIT {} BY trace", generations_per_trace(ids.len()));
        let mut named = Vec::new();
        for q in &qs {
            assert!(q.hogql.contains(&cap), "every part reads as many generations per trace as one query would");
            named.extend(q.values["trace_hashes"].as_array().cloned().unwrap_or_default().into_iter().filter_map(|h| h.as_u64()));
        }
        let expected: Vec<u64> = ids.iter().map(|t| city_hash(t.as_bytes())).collect();
        assert_eq!(named, expected, "each trace once, in order");
    }
}
