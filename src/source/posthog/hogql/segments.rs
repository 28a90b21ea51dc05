//! The segments query: spend by user and by custom or feature-flag property
//! value, in one query. Each generation's (key, value) pairs are read from
//! its properties' keys ([`crate::contract::segment_key`]), then from its
//! trace's `$ai_trace` event (the latest of the window) for the keys it
//! lacks, then its `distinct_id` as the pseudo-key [`USER_KEY`]; ARRAY
//! JOINed and grouped by key and value. Values are read from the raw JSON,
//! as PostHog reads a property as text and alike whatever type its property
//! definitions give it.

use super::{select_in_window, trace, window_values, Col, Query, WINDOW};
use crate::analysis::dataset::Window;
use crate::contract::{MAX_ROWS, NAME_CHARS, OTHER_VALUES, RANK_COST_UNITS, SEGMENT_KEYS, SEGMENT_PAIRS_PER_EVENT, SEGMENT_USERS, SEGMENT_VALUES, TRUNCATION_STOP_REASONS, USER_KEY};
use crate::source::event::AI_TRACE;

/// The (key, value) pairs of the current event's properties, as
/// [`crate::source::event::segment_props`] reads them: select items ending
/// in `pairs`, a step per alias so that calls nest shallow (PostHog's parser
/// slows steeply with depth, see `shipped.rs`).
fn pairs() -> String {
    format!(
        "arraySlice(arraySort(arrayFilter(k -> NOT startsWith(k, '$') OR startsWith(k, {{flag_prefix}}), JSONExtractKeys(properties))), 1, {SEGMENT_PAIRS_PER_EVENT}) AS pair_keys, \
         arrayMap(k -> replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, k), ''), 'null'), '^\"|\"$', ''), pair_keys) AS pair_values, \
         arrayFilter(kv -> isNotNull(kv.2) AND kv.2 NOT IN ('', 'null'), arrayMap((k, v) -> tuple(substringUTF8(k, 1, {NAME_CHARS}), substringUTF8(v, 1, {NAME_CHARS})), pair_keys, pair_values)) AS pairs"
    )
}

/// Rows by key and value: generations, traces, cost, errors and truncated
/// calls, with the values past each key's top ones (by spend, then calls,
/// then value; [`SEGMENT_USERS`] users, [`SEGMENT_VALUES`] values of each of
/// the [`SEGMENT_KEYS`] keys most generations carry) as one row. The pairs
/// are read once, in the CTE `exploded`, which the ranking subqueries share.
pub fn segments(w: &Window) -> Query {
    let mut values = window_values(w);
    values.insert("trace_event".into(), AI_TRACE.into());
    values.insert("flag_prefix".into(), "$feature/".into());
    values.insert("user_key".into(), USER_KEY.into());
    values.insert("other_value".into(), OTHER_VALUES.into());
    values.insert("truncation_stops".into(), TRUNCATION_STOP_REASONS.to_vec().into());
    let mut cols: Vec<String> = [Col::Trace, Col::Cost, Col::IsError, Col::Stop, Col::MaxTokens, Col::OutputTokens].iter().map(|c| c.select()).collect();
    cols.push(format!("substringUTF8(toString(distinct_id), 1, {NAME_CHARS}) AS person"));
    cols.push(pairs());
    let gens = select_in_window(&cols);
    let trace_events = format!("SELECT {} AS trace, timestamp AS ts, toString(uuid) AS id, {} FROM events WHERE {}", trace(), pairs(), WINDOW.replace("{event}", "{trace_event}"));
    let traces = format!("SELECT trace, argMax(pairs, tuple(ts, id)) AS trace_pairs FROM ({trace_events}) GROUP BY trace HAVING trace != ''");
    let joined = format!(
        "SELECT g.trace AS trace, g.cost AS cost, g.is_error AS is_error, \
         (has({{truncation_stops}}, lower(g.stop)) OR (g.max_tokens > 0 AND g.tok_out >= g.max_tokens)) AS trunc, \
         arrayFilter(kv -> NOT has(arrayMap(x -> x.1, g.pairs), kv.1), t.trace_pairs) AS inherited, \
         arrayJoin(arrayConcat(g.pairs, inherited, [tuple({{user_key}}, g.person)])) AS kv \
         FROM ({gens}) AS g LEFT JOIN ({traces}) AS t ON g.trace = t.trace"
    );
    let exploded = format!("SELECT trace, cost, is_error, trunc, kv.1 AS key, kv.2 AS raw FROM ({joined})");
    let rank = format!("sum(floor(coalesce(cost, 0) * {RANK_COST_UNITS})) DESC, count() DESC, raw");
    let keys = "SELECT key FROM exploded WHERE key != {user_key} GROUP BY key ORDER BY count() DESC, key LIMIT ".to_string() + &SEGMENT_KEYS.to_string();
    let users = format!("SELECT key, raw FROM exploded WHERE key = {{user_key}} GROUP BY key, raw ORDER BY {rank} LIMIT {SEGMENT_USERS}");
    let named = format!("SELECT key, raw FROM exploded WHERE key != {{user_key}} GROUP BY key, raw ORDER BY key, {rank} LIMIT {SEGMENT_VALUES} BY key");
    let hogql = format!(
        "WITH exploded AS ({exploded}) SELECT key, NOT ((key, raw) IN ({users}) OR (key, raw) IN ({named})) AS other, if(other, {{other_value}}, raw) AS value, \
         uniqExact(raw) AS members, count() AS generations, uniqExact(trace) AS traces, \
         coalesce(sum(cost), 0) AS cost_usd, countIf(is_error) AS errors, countIf(trunc) AS truncated \
         FROM exploded WHERE key = {{user_key}} OR key IN ({keys}) \
         GROUP BY key, other, value ORDER BY key, other, sum(floor(coalesce(cost, 0) * {RANK_COST_UNITS})) DESC, generations DESC, value LIMIT {MAX_ROWS}"
    );
    Query { name: "segments", hogql, values }
}
