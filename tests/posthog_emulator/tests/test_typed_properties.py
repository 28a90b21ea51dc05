"""Typed properties: each project's property definitions, detected from the first values seen as
PostHog's ingestion does, and HogQL reading ``properties.$x`` by those types as PostHog's
``PropertySwapper`` does (``emulator/property_types.py``)."""

import json
from datetime import datetime, timedelta, timezone

import pytest

RECENT_UNIX = int((datetime.now(timezone.utc) - timedelta(days=30)).timestamp())


def event(n, day, **properties):
    return {"uuid": f"00000000-0000-4000-8000-0000000002{n:02d}", "event": "$ai_generation", "distinct_id": "u",
            "timestamp": f"2026-10-{day:02d}T12:00:00Z", "properties": properties}


# The first event of each property decides its type; later ones disagree on purpose.
EVENTS = [
    event(1, 1, **{"$ai_trace_id": "2026-10-01T12:00:00Z", "$ai_span_name": "2025-04-24", "$ai_model": "gpt-4o",
                   "$ai_input_tokens": 10, "$ai_is_error": True, "$ai_latency": 1.5, "verdict": " TRUE ",
                   "utm_source": 123, "created_at": RECENT_UNIX, "old_time": 1000, "$ai_input": [{"role": "user"}],
                   "$ai_stop_reason": "stop"}),
    event(2, 2, **{"$ai_trace_id": "t2", "$ai_span_name": "plan", "$ai_model": 7, "$ai_input_tokens": "n/a",
                   "$ai_is_error": "true", "$ai_latency": "2.5", "verdict": "x", "$ai_stop_reason": "length"}),
    event(3, 3, **{"$ai_trace_id": "t3", "$ai_input_tokens": "12", "$ai_is_error": 1, "$ai_stop_reason": "tool_calls"}),
]
DETECTED = {
    "$ai_trace_id": "DateTime", "$ai_span_name": "DateTime", "$ai_model": "String", "$ai_input_tokens": "Numeric",
    "$ai_is_error": "Boolean", "$ai_latency": "Numeric", "verdict": "Boolean", "utm_source": "String",
    "created_at": "DateTime", "old_time": "Numeric", "$ai_stop_reason": "String",
}


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return str(path)


def definitions(emulator, team_id=1):
    response = emulator.get(f"/_emulator/property_definitions?team_id={team_id}", key=None,
                            headers={"X-Emulator-Admin-Token": "emulator-admin-token"})
    assert response.status_code == 200, response.text
    return response.json()


def column(emulator, expr, **kwargs):
    response = emulator.query(f"SELECT {expr} AS v FROM events ORDER BY timestamp", **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    return [r[0] for r in body["results"]], body["types"][0][1]


def test_types_come_from_the_first_value_seen_as_posthog_detects_them(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--typed-properties", "1")
    found = definitions(emulator)
    assert found["typed"] is True
    assert {k: found["definitions"].get(k) for k in DETECTED} == DETECTED
    # Arrays, objects and null get no definition; ingestion's own cost properties are numbers.
    assert "$ai_input" not in found["definitions"] and found["definitions"]["$ai_total_cost_usd"] == "Numeric"


def test_reads_follow_the_types(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--typed-properties", "1")
    # Numeric: toFloat, so text that is no number reads as null.
    assert column(emulator, "properties.$ai_input_tokens") == ([10.0, None, 12.0], "Nullable(Float64)")
    # Boolean: only 'true' and 'false' are booleans; JSON 1 is neither.
    assert column(emulator, "properties.$ai_is_error") == ([True, True, None], "Nullable(Bool)")
    # DateTime: parsed, null where the text is no date.
    assert column(emulator, "properties.$ai_span_name")[0] == ["2025-04-24T00:00:00Z", None, None]
    # The trace id is always a string, though its first value looked like a date.
    assert column(emulator, "properties.$ai_trace_id") == (["2026-10-01T12:00:00Z", "t2", "t3"], "Nullable(String)")
    # A string property stays a string, and toFloatOrZero(...) parses the text as it was sent.
    assert column(emulator, "properties.$ai_stop_reason")[0] == ["stop", "length", "tool_calls"]
    # (typed, toFloatOrZero of a Float64 would be an illegal argument).
    assert column(emulator, "toFloatOrZero(properties.$ai_latency)")[0] == [1.5, 2.5, None]
    assert column(emulator, "toFloatOrZero(toString(properties.$ai_latency))")[0] == [1.5, 2.5, None]


def test_string_reads_of_typed_properties_fail_or_change_as_on_posthog(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--typed-properties", "1")
    # nullIf(x, '') of a property typed as a date or a number is an error, as on PostHog.
    dated = emulator.query("SELECT nullIf(properties.$ai_span_name, '') FROM events")
    assert (dated.status_code, dated.json()["code"]) == (400, "cannot_parse_datetime")
    numbered = emulator.query("SELECT nullIf(properties.$ai_latency, '') FROM events")
    assert (numbered.status_code, numbered.json()["code"]) == (400, "cannot_parse_number")
    # Through toString(...) the reads answer; a boolean's text is still 'true'.
    assert column(emulator, "nullIf(toString(properties.$ai_span_name), '')")[0] == ["2025-04-24 00:00:00.000000", None, None]
    assert column(emulator, "toString(properties.$ai_is_error) = 'true'")[0] == [1, 1, 0]
    # The bare comparison works too (ClickHouse 24.3+ compares Bool with 'true').
    assert column(emulator, "properties.$ai_is_error = 'true'")[0] == [1, 1, 0]
    # The raw JSON is untouched by the types.
    assert column(emulator, "JSONExtractRaw(properties, '$ai_input_tokens')")[0] == ["10", '"n/a"', '"12"']


def test_untyped_projects_read_text_and_the_mode_is_switched_per_project(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--events", "2:" + events_file, "--typed-properties", "2")
    assert column(emulator, "properties.$ai_input_tokens") == (["10", "n/a", "12"], "Nullable(String)")
    assert column(emulator, "properties.$ai_input_tokens", project=2)[0] == [10.0, None, 12.0]
    assert emulator.get("/_emulator/status", key=None, headers={"X-Emulator-Admin-Token": "emulator-admin-token"}).json()["typed_properties"] == ["2"]
    emulator.admin("/_emulator/typed_properties", {"team_id": 2, "typed": False})
    assert column(emulator, "properties.$ai_input_tokens", project=2)[0] == ["10", "n/a", "12"]
    emulator.admin("/_emulator/typed_properties", {"team_id": 1, "typed": True, "types": {"$ai_model": "Numeric"}})
    assert column(emulator, "properties.$ai_model")[0] == [None, 7.0, None]


def test_given_types_win_over_detected_ones(fresh_emulator_factory, events_file, tmp_path):
    given = tmp_path / "types.json"
    given.write_text(json.dumps({"$ai_span_name": "String", "$ai_is_error": "Numeric"}), encoding="utf-8")
    emulator = fresh_emulator_factory("--events", events_file, "--typed-properties", f"1={given}")
    found = definitions(emulator)
    assert (found["definitions"]["$ai_span_name"], found["definitions"]["$ai_is_error"]) == ("String", "Numeric")
    assert column(emulator, "properties.$ai_span_name")[0] == ["2025-04-24", "plan", None]
    assert column(emulator, "properties.$ai_is_error")[0] == [None, None, 1.0]


def test_definitions_follow_new_events(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--typed-properties", "1")
    later = event(9, 9, **{"$ai_trace_id": "t9", "stamphog_tier": "pro", "stamphog_pr_number": 52984})
    emulator.admin("/_emulator/events?team_id=1", data=json.dumps(later).encode())
    found = definitions(emulator)["definitions"]
    assert (found["stamphog_tier"], found["stamphog_pr_number"]) == ("String", "Numeric")
    assert found["$ai_input_tokens"] == "Numeric", "a type once set stays"
