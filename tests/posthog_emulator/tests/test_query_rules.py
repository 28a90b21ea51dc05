"""The query endpoint's HogQL rules: response shape, row limits, OFFSET, errors and semantics."""

import pytest

RESPONSE_FIELDS = {
    "cache_key", "cache_target_age", "calculation_trigger", "clickhouse", "columns", "error", "explain", "hasMore",
    "hogql", "is_cached", "last_refresh", "limit", "metadata", "modifiers", "next_allowed_client_refresh", "offset",
    "query", "query_status", "resolved_date_range", "results", "timezone", "timings", "types",
}


def error_of(response):
    return response.status_code, response.json()


def test_response_fields_columns_and_types(emulator):
    response = emulator.query("SELECT event, count() AS n FROM events WHERE event = '$pageview' GROUP BY event")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    assert body["results"] == [["$pageview", 1]]
    assert body["columns"] == ["event", "n"]
    assert body["types"] == [["event", "String"], ["n", "UInt64"]]
    assert body["is_cached"] is False and body["timezone"] == "UTC"
    assert body["last_refresh"].endswith("Z")
    assert any(t["k"] == "." for t in body["timings"])


def test_without_limit_100_rows_and_has_more(emulator):
    body = emulator.query("SELECT properties.i FROM events WHERE event = 'filler' ORDER BY toInt(properties.i)").json()
    assert len(body["results"]) == 100
    assert body["results"][0] == ["0"] and body["results"][-1] == ["99"]
    assert (body["hasMore"], body["limit"], body["offset"]) == (True, 100, 0)
    assert body["hogql"].endswith("LIMIT 101")
    small = emulator.query("SELECT event FROM events WHERE event = '$pageview'").json()
    assert (small["hasMore"], small["limit"], small["offset"]) == (False, 100, 0)


def test_explicit_limit_returns_that_many_without_pagination_fields(emulator):
    body = emulator.query("SELECT event FROM events WHERE event = 'filler' LIMIT 120").json()
    assert len(body["results"]) == 120
    assert (body["hasMore"], body["limit"], body["offset"]) == (None, None, None)


def test_limit_is_clamped_to_50000(emulator):
    body = emulator.query("SELECT number FROM numbers(60000) LIMIT 70000").json()
    assert len(body["results"]) == 50000
    assert "LIMIT 50000" in body["clickhouse"]


@pytest.mark.parametrize(
    "hogql",
    [
        "SELECT event FROM events LIMIT 10 OFFSET 10",
        "SELECT event FROM (SELECT event FROM events LIMIT 5 OFFSET 1)",
        "SELECT event FROM events LIMIT 1 OFFSET 2 BY event",
    ],
)
def test_offset_is_refused(emulator, hogql):
    status, body = error_of(emulator.query(hogql))
    assert status == 400
    assert body == {
        "type": "validation_error",
        "code": "hogql_query_error",
        "detail": "OFFSET is not supported on queries made with a personal API key. For pagination, use keyset "
        "pagination on the `timestamp` column, e.g. `WHERE timestamp > :last_seen_timestamp ORDER BY timestamp "
        "LIMIT N`. For bulk data extraction, use batch exports: https://posthog.com/docs/cdp/batch-exports",
        "attr": None,
    }


def test_syntax_error(emulator):
    status, body = error_of(emulator.query("SELEC 1"))
    assert status == 400
    assert body == {
        "type": "validation_error",
        "code": "hogql_syntax_error",
        "detail": "mismatched input 'SELEC' expecting {SELECT, WITH, '{', '(', '<'}",
        "attr": None,
    }


@pytest.mark.parametrize(
    "hogql, detail",
    [
        ("SELECT nope FROM events", "Unable to resolve field: nope"),
        ("SELECT 1 FROM nope", "Unknown table `nope`."),
        ("SELECT * FROM system.tables", "Unknown table `system.tables`."),
        ("SELECT histogram(1)(toFloat(properties.$ai_latency)) FROM events", "Unsupported function call 'histogram(...)'"),
        ("SELECT substring(event, 1) FROM events", "Function 'substring' expects 3 arguments, found 2"),
        ("SELECT quantile(toFloat(properties.$ai_latency)) FROM events",
         "Aggregation 'quantile' requires parameters in addition to arguments"),
        ("SELECT sum(count()) FROM events", "Aggregation 'count' cannot be nested inside another aggregation 'sum'."),
    ],
)
def test_query_errors(emulator, hogql, detail):
    status, body = error_of(emulator.query(hogql))
    assert status == 400
    assert body == {"type": "validation_error", "code": "hogql_query_error", "detail": detail, "attr": None}


@pytest.mark.parametrize("name", ["quantileTDigest", "quantileExactIf", "file", "url", "sleep"])
def test_functions_outside_posthogs_list_are_refused(emulator, name):
    status, body = error_of(emulator.query(f"SELECT {name}(0.5)(toFloat(properties.$ai_latency)) FROM events"))
    assert status == 400 and body["code"] == "hogql_query_error"
    assert body["detail"].startswith(f"Unsupported function call '{name}(...)'")


def test_properties_are_strings_so_uncast_sum_fails(emulator):
    status, body = error_of(emulator.query("SELECT sum(properties.$ai_total_cost_usd) FROM events"))
    assert status == 400
    assert body["code"] == "illegal_type_of_argument"
    assert body["detail"].startswith("Illegal type String of argument for aggregate function sum")


def test_property_reads_print_like_posthog(emulator):
    body = emulator.query("SELECT properties.$ai_model FROM events LIMIT 1").json()
    assert (
        "replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(events.properties, '$ai_model'), ''), 'null'), '^\"|\"$', '')"
        in body["clickhouse"]
    )
    assert body["columns"] == ["$ai_model"]


def test_to_float_of_junk_is_null_and_casts_work(emulator):
    rows = emulator.rows(
        "SELECT toFloat(properties.$ai_latency), toInt(properties.$ai_input_tokens) FROM events "
        "WHERE properties.$ai_trace_id = 't3' ORDER BY timestamp"
    )
    assert rows == [[None, 10], [0.1, 0]]


def test_missing_property_is_null_and_booleans_compare_as_strings(emulator):
    rows = emulator.rows(
        "SELECT properties.$ai_span_name, properties.$ai_is_error FROM events "
        "WHERE event = '$ai_generation' AND properties.$ai_trace_id = 't2' ORDER BY timestamp"
    )
    assert rows == [["plan", "true"], ["answer", "false"]]
    assert emulator.rows("SELECT count() FROM events WHERE properties.$ai_is_error = 'true'") == [[1]]


def test_not_equals_on_nullable_counts_nulls_like_posthog(emulator):
    # PostHog prints `ifNull(notEquals(x, 'true'), 1)`: rows without the property count as "not true".
    rows = emulator.rows("SELECT countIf(properties.$ai_is_error != 'true') FROM events WHERE event = '$ai_generation'")
    assert rows == [[5]]


def test_datetime_values_are_iso_with_z(emulator):
    rows = emulator.rows(
        "SELECT timestamp, toStartOfDay(timestamp), toDate(timestamp) FROM events "
        "WHERE properties.$ai_trace_id = 't2' ORDER BY timestamp"
    )
    assert rows == [
        ["2026-10-21T09:00:00Z", "2026-10-21T00:00:00Z", "2026-10-21"],
        ["2026-10-21T09:00:02.250000Z", "2026-10-21T00:00:00Z", "2026-10-21"],
    ]


def test_keyset_pagination_with_tuple_comparison(emulator):
    query = (
        "SELECT timestamp, properties.$ai_trace_id FROM events WHERE event = '$ai_generation' "
        "AND (timestamp, properties.$ai_trace_id) > ({ts}, {tid}) ORDER BY timestamp, properties.$ai_trace_id LIMIT 2"
    )
    first = emulator.rows(query, {"ts": "2000-01-01 00:00:00", "tid": ""})
    assert [r[1] for r in first] == ["t1", "t1"]
    second = emulator.rows(query, {"ts": "2026-10-20 10:00:05", "tid": "t1"})
    assert second == [["2026-10-21T09:00:00Z", "t2"], ["2026-10-21T09:00:02.250000Z", "t2"]]


def test_typical_aggregates(emulator):
    rows = emulator.rows(
        """
        SELECT properties.$ai_span_name AS span,
               count() AS n,
               quantiles(0.5, 0.95)(toFloat(properties.$ai_latency)) AS q,
               sumIf(toFloat(properties.$ai_total_cost_usd), properties.$ai_is_error != 'true') AS ok_cost,
               groupUniqArray(properties.$ai_model) AS models,
               argMax(properties.$ai_trace_id, timestamp) AS last_trace,
               uniq(properties.$ai_trace_id) AS traces,
               topK(1)(properties.$ai_provider) AS top_provider
        FROM events
        WHERE event = '$ai_generation' AND properties.$ai_span_name IN ('plan', 'answer')
        GROUP BY span ORDER BY span
        """
    )
    assert rows[0][0] == "answer" and rows[0][1] == 2 and rows[0][5] == "t2" and rows[0][6] == 2
    assert rows[0][2] == [3.25, 3.925]
    assert sorted(rows[0][4]) == ["claude-3-5-sonnet-20241022", "gpt-4o-mini"]
    assert rows[0][7] == ["anthropic"] or rows[0][7] == ["openai"]
    assert rows[1][:2] == ["plan", 2]
    assert rows[1][3] == pytest.approx(0.004)


def test_functions_used_by_the_product(emulator):
    rows = emulator.rows(
        """
        WITH gens AS (SELECT * FROM events WHERE event = '$ai_generation')
        SELECT cityHash64(properties.$ai_trace_id) > 0,
               substring(coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed'), 1, 4),
               length(properties.$ai_model),
               lower('ABC'),
               if(toFloat(properties.$ai_latency) > 1, 'slow', 'fast'),
               dateDiff('second', toDateTime('2026-10-20 00:00:00'), timestamp),
               timestamp > now() - INTERVAL 3650 DAY,
               JSONExtractString(properties, '$ai_model'),
               JSONExtractInt(properties, '$ai_input_tokens'),
               JSONExtractRaw(properties, '$ai_input'),
               arrayMap(x -> x * 2, [1, 2]),
               tuple(1, 'a').2,
               groupArray(event) OVER (PARTITION BY distinct_id) IS NOT NULL
        FROM gens
        WHERE properties.$ai_trace_id = 't1' AND properties.$ai_span_name = 'plan'
        """
    )
    assert rows == [[True, "plan", 6, "abc", "slow", 36000, True, "gpt-4o", 1000,
                     '[{"role":"user","content":"Plan the trip"}]', [2, 4], "a", True]]


def test_subquery_in_from_and_in_tuples(emulator):
    rows = emulator.rows(
        """
        SELECT trace, sum(cost) AS total FROM (
            SELECT properties.$ai_trace_id AS trace, toFloat(properties.$ai_total_cost_usd) AS cost
            FROM events WHERE event = '$ai_generation' AND (properties.$ai_trace_id, event) IN (('t1', '$ai_generation'), ('t2', '$ai_generation'))
        ) GROUP BY trace ORDER BY trace
        """
    )
    assert [r[0] for r in rows] == ["t1", "t2"]
    assert rows[0][1] == pytest.approx(0.0061) and rows[1][1] == pytest.approx(0.5)


def test_placeholders_need_values(emulator):
    assert error_of(emulator.query("SELECT {x}")) == (
        400, {"type": "validation_error", "code": "hogql_query_error", "detail": "Unresolved placeholder: {x}", "attr": None})
    status, body = error_of(emulator.query("SELECT {x}", {"y": 1, "z": 2}))
    assert status == 400
    assert body["detail"] == "Placeholder {x} is not available in this context. You can use the following: y, z"


HOSTILE_VALUES = [
    "it's",
    "back\\slash\\",
    "\\'",
    "{brace} {x}",
    "new\nline\ttab\r",
    "nul\x00byte",
    "\u00fcn\u00efc\u00f8d\u00e9 \U0001F642 \u202e",
    "'); DROP TABLE events; --",
    "' OR 1=1 --",
    "`backtick` \"double\"",
    "$ai_model",
    "%(hogql_val_0)s",
    "",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_placeholder_values_come_back_as_data(emulator, value):
    assert emulator.rows("SELECT {v}, length({v})", {"v": value}) == [[value, len(value.encode("utf-8"))]]
    assert emulator.rows("SELECT count() FROM events WHERE properties.note = {v}", {"v": value}) == [
        [1 if value == "'); DROP TABLE events; --" else 0]
    ]


def test_hostile_values_of_other_types(emulator):
    rows = emulator.rows("SELECT {a}, {b}, {c}, {d}, {e}", {"a": 1.5, "b": True, "c": ["x'y", "z\\"], "d": -7, "e": None})
    assert rows == [[1.5, 1, ["x'y", "z\\"], -7, None]]


def test_hostile_property_values_round_trip(emulator):
    rows = emulator.rows("SELECT properties.$ai_span_name, properties.note FROM events WHERE properties.$ai_trace_id = 't3' "
                         "AND properties.note IS NOT NULL")
    # PostHog's read strips only the outer quotes of the raw JSON, so JSON escapes stay in the text.
    assert rows == [["it's \\\"quoted\\\" \\\\ back\\nslash {brace} \u00fcn\u00efc\u00f8d\u00e9 \U0001F642",
                     "'); DROP TABLE events; --"]]


@pytest.mark.parametrize(
    "hogql, code",
    [
        ("SELECT 1; DROP TABLE events", "hogql_syntax_error"),
        ("SELECT 1 FROM events; SELECT 2", "hogql_syntax_error"),
        ("DROP TABLE events", "hogql_syntax_error"),
        ("INSERT INTO events VALUES (1)", "hogql_syntax_error"),
        ("SELECT * FROM events SETTINGS readonly=0", "hogql_syntax_error"),
        ("SELECT * FROM file('/etc/passwd')", "hogql_query_error"),
        ("SELECT * FROM url('http://127.0.0.1/')", "hogql_query_error"),
        ("SELECT * FROM events FINAL", "hogql_query_error"),
        ("SELECT `events`.`team_id` FROM events", "hogql_query_error"),
        ("SELECT properties.`x'); DROP TABLE events; --` FROM events LIMIT 1", None),
        ("SELECT 'a'' OR 1=1 --' AS s", None),
        ("SELECT 1 -- comment\n, 2", None),
        ("SELECT `%` FROM events", "hogql_query_error"),
    ],
)
def test_hostile_query_text_never_runs_anything_else(emulator, hogql, code):
    before = emulator.rows("SELECT count() FROM events")
    response = emulator.query(hogql)
    if code is None:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == code
    assert emulator.rows("SELECT count() FROM events") == before


def test_hostile_identifier_reads_a_missing_property(emulator):
    assert emulator.rows("SELECT properties.`x'); DROP TABLE events; --` FROM events LIMIT 1") == [[None]]
    assert emulator.rows("SELECT 'a'' OR 1=1 --' AS s") == [["a' OR 1=1 --"]]


def test_ai_events_table_has_typed_columns(emulator):
    rows = emulator.rows(
        "SELECT trace_id, span_name, model, input_tokens, total_cost_usd, is_error, span_type, JSONExtractString(input, 1, 'content') "
        "FROM posthog.ai_events WHERE trace_id = 't1' ORDER BY timestamp"
    )
    assert rows[0][:7] == ["t1", "plan", "gpt-4o", 1000, pytest.approx(0.004), False, "generation"]
    assert rows[0][7] == "Plan the trip"
    assert rows[2][6] == "trace"
    assert emulator.rows("SELECT count() FROM ai_events WHERE is_error") == [[1]]
    assert emulator.rows("SELECT count() FROM posthog.ai_events", project=2) == [[3]]
