//! The aggregate queries: overview, rollup, latency, prefixes, errors.

use super::{generations_in_window, hex_hash, select_in_window, token_sums, window_values, Col, PayloadTable, Query};
use crate::analysis::dataset::Window;
use crate::source::RollupPage;
use crate::contract::{CACHE_WINDOW_S, ERROR_CHARS, ERROR_ROWS, LONG_CONTEXT_TOKENS, MAX_ROWS, NUMBER_PROPERTIES, PREFIX_CUTS, PREFIX_ROWS};

/// Counts, first/last seen, payload presence, SDKs and data quality of the
/// window: repeated uuids, missing trace ids, then for each of
/// [`NUMBER_PROPERTIES`] the generations whose value was read as missing,
/// and the generations with any such value.
pub fn overview(w: &Window) -> Query {
    let mut cols: Vec<String> = [Col::Id, Col::Trace, Col::Operation, Col::Ts, Col::Input, Col::Output].iter().map(|c| c.select(PayloadTable::Events)).collect();
    cols.extend(NUMBER_PROPERTIES.iter().enumerate().map(|(i, (prop, read))| format!("{} AS dirty_{i}", super::dirty(prop, *read))));
    let base = select_in_window(&cols, PayloadTable::Events);
    let libs = generations_in_window(&[Col::Lib], PayloadTable::Events);
    let dirty: Vec<String> = (0..NUMBER_PROPERTIES.len()).map(|i| format!("countIf(dirty_{i}) AS bad_{i}")).collect();
    let any: Vec<String> = (0..NUMBER_PROPERTIES.len()).map(|i| format!("dirty_{i}")).collect();
    let hogql = format!(
        "SELECT count() AS generations, uniqExact(trace) AS traces, uniqExact(trace, operation) AS trace_operations, \
         min(ts) AS first_seen, max(ts) AS last_seen, \
         countIf(isNotNull(input) OR isNotNull(output)) AS with_payloads, \
         (SELECT arraySlice(arrayMap(x -> x.1, arraySort(x -> tuple(-x.2, x.1), groupArray(tuple(lib, n)))), 1, 5) \
          FROM (SELECT lib, count() AS n FROM ({libs}) WHERE lib != '' GROUP BY lib)) AS libs, \
         count() - uniqExact(id) AS repeated_events, countIf(trace = '') AS missing_trace_ids, {}, countIf({}) AS with_bad_values \
         FROM ({base}) LIMIT 1",
        dirty.join(", "),
        any.join(" OR "),
    );
    Query { name: "overview", hogql, values: window_values(w) }
}

/// Sums and counts by day, operation, model, provider and error status:
/// one page, after its keyset cursor, `limit + 1` rows so that the answer
/// tells whether more follow.
pub fn rollup(w: &Window, page: &RollupPage) -> Query {
    let mut cols = vec![Col::Ts, Col::Operation, Col::Model, Col::Provider, Col::IsError, Col::Cost, Col::Latency];
    cols.extend(super::TOKENS);
    let mut values = window_values(w);
    let after = match &page.after {
        Some((day, operation, model, provider, is_error)) => {
            values.insert("after_day".into(), day.to_string().into());
            values.insert("after_operation".into(), operation.clone().into());
            values.insert("after_model".into(), model.clone().into());
            values.insert("after_provider".into(), provider.clone().into());
            values.insert("after_is_error".into(), (*is_error).into());
            "WHERE (toDate(ts), operation, model, provider, is_error) > (toDate({after_day}), {after_operation}, {after_model}, {after_provider}, {after_is_error})"
        }
        None => "",
    };
    let hogql = format!(
        "SELECT toDate(ts) AS day, operation, model, provider, is_error, count() AS generations, \
         coalesce(sum(cost), 0) AS cost_usd, countIf(isNull(cost)) AS unpriced, {}, {}, \
         countIf(tok_in > {LONG_CONTEXT_TOKENS}) AS long_context, coalesce(sum(latency), 0) AS latency_s \
         FROM ({}) {after} GROUP BY day, operation, model, provider, is_error \
         ORDER BY day, operation, model, provider, is_error LIMIT {}",
        token_sums("", None),
        token_sums("unpriced_", Some("isNull(cost)")),
        generations_in_window(&cols, PayloadTable::Events),
        (page.limit + 1).min(MAX_ROWS),
    );
    Query { name: "rollup", hogql, values }
}

/// Latency quantiles by operation (scope 0), then by model (scope 1): at
/// most `TOP_OPERATIONS + TOP_MODELS + 2` rows, far below the row cap.
pub fn latency(w: &Window) -> Query {
    let inner = generations_in_window(&[Col::Operation, Col::Model, Col::Latency], PayloadTable::Events);
    let by = |scope: u8, key: &str| {
        format!(
            "SELECT {scope} AS scope, {key} AS key, count() AS generations, quantiles(0.5, 0.95, 0.99)(latency) AS q, \
             max(latency) AS max_latency FROM ({inner}) WHERE isNotNull(latency) GROUP BY key"
        )
    };
    let hogql = format!(
        "SELECT scope, key, generations, q, max_latency FROM ({} UNION ALL {}) ORDER BY scope, key LIMIT {MAX_ROWS}",
        by(0, "operation"),
        by(1, "model")
    );
    Query { name: "latency", hogql, values: window_values(w) }
}

/// Prompt prefixes repeated in 3+ calls of an operation and model.
pub fn prefixes(w: &Window, table: PayloadTable) -> Query {
    let inner = generations_in_window(&[Col::Trace, Col::Operation, Col::Model, Col::Provider, Col::InputTokens, Col::CacheReadTokens, Col::Input, Col::Ts, Col::IsError], table);
    let first = PREFIX_CUTS[0];
    // The longest cut every input of the group shares (the first is shared by grouping).
    let mut shared = vec!["uniqExact(cityHash64(input)) = 1, min(lengthUTF8(input))".to_string()];
    for cut in PREFIX_CUTS[1..].iter().rev() {
        shared.push(format!("min(lengthUTF8(input)) >= {cut} AND uniqExact(cityHash64(substringUTF8(input, 1, {cut}))) = 1, {cut}"));
    }
    shared.push(format!("min(lengthUTF8(input)) >= {first}, {first}"));
    let hogql = format!(
        "SELECT operation, model, provider, {} AS prefix_hash, count() AS generations, uniqExact(trace) AS traces, \
         min(lengthUTF8(input)) AS min_input_chars, sum(lengthUTF8(input)) AS input_chars, \
         coalesce(sum(tok_in), 0) AS input_tokens, coalesce(sum(tok_cache_read), 0) AS cache_read_tokens, \
         multiIf({}, 0) AS shared_chars, \
         arrayCount(d -> d <= {warm_ms}, arrayPopFront(arrayDifference(arraySort(groupArrayIf(toUnixTimestamp64Milli(ts), NOT is_error))))) AS warm_calls, \
         countIf(NOT is_error) - warm_calls AS cold_calls \
         FROM ({inner}) WHERE isNotNull(input) \
         GROUP BY operation, model, provider, prefix_hash HAVING count() >= 3 \
         ORDER BY generations DESC, operation, model, prefix_hash, provider LIMIT {PREFIX_ROWS}",
        hex_hash(&format!("substringUTF8(input, 1, {first})")),
        shared.join(", "),
        warm_ms = CACHE_WINDOW_S * 1000,
    );
    let name = if table == PayloadTable::AiEvents { "prefixes_ai_events" } else { "prefixes" };
    Query { name, hogql, values: window_values(w) }
}

/// Failed generations by operation, model, status and message.
pub fn errors(w: &Window) -> Query {
    let inner = generations_in_window(&[Col::Trace, Col::Operation, Col::Model, Col::Status, Col::Error, Col::IsError, Col::Cost, Col::Latency], PayloadTable::Events);
    let hogql = format!(
        "SELECT operation, model, status AS http_status, coalesce(substringUTF8(error, 1, {ERROR_CHARS}), '') AS message, \
         count() AS generations, coalesce(sum(cost), 0) AS cost_usd, coalesce(sum(latency), 0) AS latency_s, \
         greatest(coalesce(max(latency), 0), 0) AS max_latency_s, arraySlice(arraySort(groupUniqArray(trace)), 1, 3) AS trace_ids \
         FROM ({inner}) WHERE is_error GROUP BY operation, model, http_status, message \
         ORDER BY generations DESC, operation, model, isNotNull(http_status), http_status, message LIMIT {ERROR_ROWS}"
    );
    Query { name: "errors", hogql, values: window_values(w) }
}
