//! The aggregate queries: overview, rollup, latency, prefixes, errors.

use super::{hex_hash, token_sums, window_values, with_generations, Col, PayloadTable, Query};
use crate::analysis::dataset::Window;
use crate::source::RollupPage;
use crate::contract::{CACHE_WINDOW_S, ERROR_CHARS, ERROR_ROWS, LONG_CONTEXT_TOKENS, MAX_ROWS, NUMBER_PROPERTIES, PREFIX_GROUP_CHARS, PREFIX_ROWS, SHARED_PREFIX_MAX_CHARS};

/// Counts, first/last seen, payload presence, SDKs and data quality of the
/// window: repeated uuids, missing trace ids, then for each of
/// [`NUMBER_PROPERTIES`] the generations whose value was read as missing,
/// and the generations with any such value; then the generations each
/// [`crate::contract::Naming`] rule named.
pub fn overview(w: &Window) -> Query {
    let mut cols = vec![Col::Id, Col::Trace, Col::Operation, Col::Naming, Col::Ts, Col::Input, Col::Output, Col::Lib];
    cols.extend((0..NUMBER_PROPERTIES.len()).map(Col::Dirty));
    let with = with_generations(&cols, PayloadTable::Events, None);
    let named: Vec<String> = crate::contract::Naming::ALL.iter().map(|r| format!("countIf(naming = {0}) AS named_{0}", r.index())).collect();
    let dirty: Vec<String> = (0..NUMBER_PROPERTIES.len()).map(|i| format!("countIf(dirty_{i}) AS bad_{i}")).collect();
    let any: Vec<String> = (0..NUMBER_PROPERTIES.len()).map(|i| format!("dirty_{i}")).collect();
    let hogql = format!(
        "{with} SELECT count() AS generations, uniqExact(trace) AS traces, uniqExact(trace, operation) AS trace_operations, \
         min(ts) AS first_seen, max(ts) AS last_seen, \
         countIf(isNotNull(input) OR isNotNull(output)) AS with_payloads, \
         (SELECT arraySlice(arrayMap(x -> x.1, arraySort(x -> tuple(-x.2, x.1), groupArray(tuple(lib, n)))), 1, 5) \
          FROM (SELECT lib, count() AS n FROM gens WHERE lib != '' GROUP BY lib)) AS libs, \
         count() - uniqExact(id) AS repeated_events, countIf(trace = '') AS missing_trace_ids, {}, countIf({}) AS with_bad_values, {} \
         FROM gens LIMIT 1",
        dirty.join(", "),
        any.join(" OR "),
        named.join(", "),
    );
    Query { name: "overview", hogql, values: window_values(w) }
}

/// Sums and counts by day, operation, model, provider and error status,
/// with the cost PostHog recorded for prompt and output apart and the
/// cost audit's sums ([`crate::analysis::dataset::AuditSums`]):
/// one page, after its keyset cursor, `limit + 1` rows so that the answer
/// tells whether more follow.
pub fn rollup(w: &Window, page: &RollupPage) -> Query {
    let mut cols = vec![Col::Ts, Col::Operation, Col::Model, Col::Provider, Col::IsError, Col::Cost, Col::InputCost, Col::OutputCost, Col::Latency, Col::CacheExclusive, Col::CacheWrite1hTokens, Col::Framework, Col::CostSource];
    cols.extend(super::TOKENS);
    let recorded = "isNotNull(input_cost) AND isNotNull(output_cost)";
    let cache = "coalesce(tok_cache_read, 0) + coalesce(tok_cache_write, 0)";
    let flagged = |flag: &str, unpriced: &str, name: &str| format!("coalesce(sumIf({cache}, cache_exclusive = '{flag}'{unpriced}), 0) AS {name}");
    let cache_reporting = [
        flagged("true", "", "cache_exclusive_tokens"),
        flagged("false", "", "cache_inclusive_tokens"),
        flagged("true", " AND isNull(cost)", "unpriced_cache_exclusive_tokens"),
        flagged("false", " AND isNull(cost)", "unpriced_cache_inclusive_tokens"),
    ]
    .join(", ");
    let by_source = |source: &str| format!("coalesce(sumIf(cost, cost_source = '{source}'), 0) AS {source}_usd");
    let audit = [
        "coalesce(sumIf(tok_cache_write_1h, isNotNull(cost)), 0) AS cache_write_1h_tokens".to_string(),
        format!(
            "coalesce(sumIf({cache}, isNotNull(cost) AND framework IN ('langchain', 'vercel') AND coalesce(cache_exclusive, '') NOT IN ('true', 'false') \
             AND {cache} > 0 AND coalesce(tok_in, 0) >= {cache}), 0) AS framework_cache_tokens"
        ),
        "countIf(isNull(cost_source)) AS unsourced_calls, coalesce(sumIf(cost, isNull(cost_source)), 0) AS unsourced_usd".to_string(),
        by_source("openrouter"),
        by_source("manual"),
        by_source("custom"),
        by_source("passthrough"),
    ]
    .join(", ");
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
        "{} SELECT toDate(ts) AS day, operation, model, provider, is_error, count() AS generations, \
         coalesce(sum(cost), 0) AS cost_usd, countIf(isNull(cost)) AS unpriced, {}, {}, \
         countIf(tok_in > {LONG_CONTEXT_TOKENS}) AS long_context, coalesce(sum(latency), 0) AS latency_s, \
         countIf({recorded}) AS recorded_calls, coalesce(sumIf(input_cost, {recorded}), 0) AS recorded_input_usd, \
         coalesce(sumIf(output_cost, {recorded}), 0) AS recorded_output_usd, \
         coalesce(sumIf(tok_in, {recorded}), 0) AS recorded_input_tokens, coalesce(sumIf(tok_out, {recorded}), 0) AS recorded_output_tokens, \
         {cache_reporting}, {audit} FROM gens {after} GROUP BY day, operation, model, provider, is_error \
         ORDER BY day, operation, model, provider, is_error LIMIT {}",
        with_generations(&cols, PayloadTable::Events, None),
        token_sums("", None),
        token_sums("unpriced_", Some("isNull(cost)")),
        (page.limit + 1).min(MAX_ROWS),
    );
    Query { name: "rollup", hogql, values }
}

/// Latency quantiles by operation (scope 0), then by model (scope 1): at
/// most `TOP_OPERATIONS + TOP_MODELS + 2` rows, far below the row cap.
pub fn latency(w: &Window) -> Query {
    let with = with_generations(&[Col::Operation, Col::Model, Col::Latency], PayloadTable::Events, None);
    let by = |scope: u8, key: &str| {
        format!(
            "SELECT {scope} AS scope, {key} AS key, count() AS generations, quantiles(0.5, 0.95, 0.99)(latency) AS q, \
             max(latency) AS max_latency FROM gens WHERE isNotNull(latency) GROUP BY key"
        )
    };
    let hogql = format!(
        "{with} SELECT scope, key, generations, q, max_latency FROM ({} UNION ALL {}) ORDER BY scope, key LIMIT {MAX_ROWS}",
        by(0, "operation"),
        by(1, "model")
    );
    Query { name: "latency", hogql, values: window_values(w) }
}

/// Characters per piece when the prefixes query compares two prompts:
/// pieces first, then the characters of the first piece that differs. Any
/// size gives the same answer; this one keeps both steps' arrays short.
const COMPARE_PIECE_CHARS: u64 = 256;

/// Prompt prefixes repeated in 3+ calls of an operation and model, with the
/// prefix every input of the group shares: the common prefix, in whole
/// characters, of the group's smallest and largest input cut to
/// [`SHARED_PREFIX_MAX_CHARS`] characters (the common prefix of a set of
/// strings is that of its least and greatest), found by comparing pieces of
/// [`COMPARE_PIECE_CHARS`] characters, then characters within the first piece
/// that differs. The groups are ranked and cut first, from hashes only, so
/// that prompt texts are aggregated for the reported groups alone.
pub fn prefixes(w: &Window, table: PayloadTable) -> Query {
    let with = with_generations(&[Col::Trace, Col::Operation, Col::Model, Col::Provider, Col::InputTokens, Col::CacheReadTokens, Col::Input, Col::Ts, Col::IsError], table, None);
    let cols = "operation, model, provider, prefix_hash, generations, traces, min_input_chars, input_chars, input_tokens, cache_read_tokens";
    let order = format!("ORDER BY generations DESC, operation, model, prefix_hash, provider LIMIT {PREFIX_ROWS}");
    let piece = COMPARE_PIECE_CHARS;
    let hash = hex_hash(&format!("substringUTF8(input, 1, {PREFIX_GROUP_CHARS})"));
    // The groups to report, ranked from hashes alone; joined back, so that
    // only their prompts' smallest and largest texts are held while aggregating.
    let top = format!(
        "SELECT operation, model, provider, {hash} AS prefix_hash FROM gens WHERE isNotNull(input) \
         GROUP BY operation, model, provider, prefix_hash HAVING count() >= 3 \
         ORDER BY count() DESC, operation, model, prefix_hash, provider LIMIT {PREFIX_ROWS}"
    );
    let calls = format!("SELECT trace, operation, model, provider, tok_in, tok_cache_read, input, ts, is_error, {hash} AS prefix_hash FROM gens WHERE isNotNull(input)");
    let groups = format!(
        "SELECT g.operation AS operation, g.model AS model, g.provider AS provider, g.prefix_hash AS prefix_hash, count() AS generations, uniqExact(g.trace) AS traces, \
         min(lengthUTF8(g.input)) AS min_input_chars, sum(lengthUTF8(g.input)) AS input_chars, \
         coalesce(sum(g.tok_in), 0) AS input_tokens, coalesce(sum(g.tok_cache_read), 0) AS cache_read_tokens, \
         min(substringUTF8(g.input, 1, {SHARED_PREFIX_MAX_CHARS})) AS lo, max(substringUTF8(g.input, 1, {SHARED_PREFIX_MAX_CHARS})) AS hi, \
         arrayCount(d -> d <= {warm_ms}, arrayPopFront(arrayDifference(arraySort(groupArrayIf(toUnixTimestamp64Milli(g.ts), NOT g.is_error))))) AS warm_calls, \
         countIf(NOT g.is_error) - warm_calls AS cold_calls \
         FROM ({calls}) AS g INNER JOIN ({top}) AS t \
         ON g.operation = t.operation AND g.model = t.model AND g.provider = t.provider AND g.prefix_hash = t.prefix_hash \
         GROUP BY operation, model, provider, prefix_hash {order}",
        warm_ms = CACHE_WINDOW_S * 1000,
    );
    // k: the first piece that differs (0: none within the shorter input);
    // j: the first character of that piece that differs (0: none within the shorter piece).
    let compared = format!(
        "SELECT {cols}, lo, hi, warm_calls, cold_calls, \
         extractAll(lo, '(?s).{{1,{piece}}}') AS lo_pieces, extractAll(hi, '(?s).{{1,{piece}}}') AS hi_pieces, \
         least(length(lo_pieces), length(hi_pieces)) AS pieces, \
         arrayFirstIndex((x, y) -> x != y, arraySlice(lo_pieces, 1, pieces), arraySlice(hi_pieces, 1, pieces)) AS k, \
         extractAll(lo_pieces[k], '(?s).') AS lo_chars, extractAll(hi_pieces[k], '(?s).') AS hi_chars, \
         least(length(lo_chars), length(hi_chars)) AS chars, \
         arrayFirstIndex((x, y) -> x != y, arraySlice(lo_chars, 1, chars), arraySlice(hi_chars, 1, chars)) AS j \
         FROM ({groups})"
    );
    let hogql = format!(
        "{with} SELECT {cols}, if(k = 0, least(lengthUTF8(lo), lengthUTF8(hi)), (k - 1) * {piece} + if(j = 0, chars, j - 1)) AS shared_chars, \
         warm_calls, cold_calls FROM ({compared}) {order}"
    );
    let name = if table == PayloadTable::AiEvents { "prefixes_ai_events" } else { "prefixes" };
    Query { name, hogql, values: window_values(w) }
}

/// Failed generations by operation, model, status and message.
pub fn errors(w: &Window) -> Query {
    let with = with_generations(&[Col::Trace, Col::Operation, Col::Model, Col::Status, Col::Error, Col::IsError, Col::Cost, Col::Latency], PayloadTable::Events, None);
    let hogql = format!(
        "{with} SELECT operation, model, status AS http_status, coalesce(substringUTF8(error, 1, {ERROR_CHARS}), '') AS message, \
         count() AS generations, coalesce(sum(cost), 0) AS cost_usd, coalesce(sum(latency), 0) AS latency_s, \
         greatest(coalesce(max(latency), 0), 0) AS max_latency_s, arraySlice(arraySort(groupUniqArray(trace)), 1, 3) AS trace_ids \
         FROM gens WHERE is_error GROUP BY operation, model, http_status, message \
         ORDER BY generations DESC, operation, model, isNotNull(http_status), http_status, message LIMIT {ERROR_ROWS}"
    );
    Query { name: "errors", hogql, values: window_values(w) }
}
