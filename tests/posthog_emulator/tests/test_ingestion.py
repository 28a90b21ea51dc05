"""Capture endpoints fed by PostHog's real Python SDK and raw payload variants, and ingestion-time costs."""

import base64
import gzip
import json
import uuid

import pytest
import requests
from posthog import Posthog

from conftest import FIXTURES, load_jsonl

TOKEN = "phc_emulator_project_1"


@pytest.fixture
def sink(fresh_emulator_factory):
    return fresh_emulator_factory()


def costs(emulator, trace_id):
    return emulator.rows(
        "SELECT toFloat(properties.$ai_input_cost_usd), toFloat(properties.$ai_output_cost_usd), "
        "toFloat(properties.$ai_total_cost_usd), properties.$ai_model_cost_used, properties.$ai_cost_model_source "
        "FROM events WHERE properties.$ai_trace_id = {t} ORDER BY timestamp",
        {"t": trace_id},
    )


def test_posthog_sdk_events_arrive_with_costs(sink):
    client = Posthog(TOKEN, host=sink.url, sync_mode=True)
    trace = str(uuid.uuid4())
    client.capture("$ai_generation", distinct_id="sdk", properties={
        "$ai_trace_id": trace, "$ai_model": "gpt-4o-mini", "$ai_provider": "openai", "$ai_input_tokens": 1000,
        "$ai_output_tokens": 100, "$ai_cache_read_input_tokens": 200,
        "$ai_model_parameters": {"temperature": 0.7, "max_tokens": 300, "stream": True}})
    client.capture("$ai_generation", distinct_id="sdk", properties={
        "$ai_trace_id": trace, "$ai_model": "my-finetune", "$ai_input_tokens": 10, "$ai_output_tokens": 10})
    client.flush()
    rows = costs(sink, trace)
    # openai: (1000 - 200) * 1.5e-7 + 200 * 7.5e-8 = 1.35e-4 input; 100 * 6e-7 = 6e-5 output
    assert rows[0][0] == pytest.approx(1.35e-4) and rows[0][1] == pytest.approx(6e-5)
    assert rows[0][2] == pytest.approx(1.95e-4)
    assert rows[0][3:] == ["gpt-4o-mini", "emulator_price_table"]
    assert rows[1] == [None, None, None, None, None]
    derived = sink.rows("SELECT properties.$ai_max_tokens, properties.$ai_temperature, properties.$ai_stream FROM events "
                        "WHERE properties.$ai_model = 'gpt-4o-mini'")
    assert derived == [["300", "0.7", "true"]]


def test_max_output_tokens_is_not_read_as_max_tokens(sink):
    # The Responses API and Gemini take `max_output_tokens`; PostHog derives `$ai_max_tokens`
    # only from `max_tokens` and `max_completion_tokens`.
    client = Posthog(TOKEN, host=sink.url, sync_mode=True)
    trace = str(uuid.uuid4())
    for model, params in (("gpt-5-mini", {"max_output_tokens": 256}), ("gpt-4o", {"max_completion_tokens": 128})):
        client.capture("$ai_generation", distinct_id="sdk", properties={
            "$ai_trace_id": trace, "$ai_model": model, "$ai_model_parameters": params})
    client.flush()
    rows = sink.rows("SELECT properties.$ai_model, properties.$ai_max_tokens FROM events "
                     "WHERE properties.$ai_trace_id = {t} ORDER BY properties.$ai_model", {"t": trace})
    assert rows == [["gpt-4o", "128"], ["gpt-5-mini", None]]


def test_anthropic_cache_rule_and_caller_costs_from_the_rules_fixture(emulator):
    rows = costs(emulator, "t1")
    # gpt-4o: (1000 - 400) * 2.5e-6 + 400 * 1.25e-6; output 200 * 1e-5
    assert rows[0][:3] == pytest.approx([0.002, 0.002, 0.004])
    # claude (input excludes cache): 100 * 3e-6 + 1000 * 3e-7 + 200 * 3.75e-6; output 50 * 1.5e-5
    assert rows[1][:3] == pytest.approx([0.00135, 0.00075, 0.0021])
    assert rows[1][3] == "claude-3-5-sonnet"
    caller = costs(emulator, "t2")
    assert caller[0] == [None, None, None, None, None]  # unknown model: no cost
    assert caller[1] == [0.2, 0.3, 0.5, None, None]  # the caller's costs are kept


def test_error_is_normalized_at_ingestion(emulator):
    assert emulator.rows("SELECT properties.$ai_error_normalized FROM events WHERE properties.$ai_trace_id = 't2' "
                         "AND properties.$ai_is_error = 'true'") == [["Rate limit exceeded for <ID> after <N> retries"]]


def batch_body(events, token=TOKEN):
    return {"api_key": token, "batch": events, "sent_at": "2026-10-30T00:00:00Z"}


def event(name="$ai_generation", **props):
    return {"event": name, "distinct_id": "raw", "timestamp": "2026-10-29T12:00:00Z", "uuid": str(uuid.uuid4()),
            "properties": props}


def count_trace(emulator, trace):
    return emulator.rows("SELECT count() FROM events WHERE properties.$ai_trace_id = {t}", {"t": trace})[0][0]


def test_capture_payload_variants(sink):
    data = json.dumps(batch_body([event(**{"$ai_trace_id": "gz"})])).encode()
    response = requests.post(f"{sink.url}/batch/", data=gzip.compress(data),
                             headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, timeout=10)
    assert response.status_code == 200 and response.json() == {"status": 1}
    response = requests.post(f"{sink.url}/batch/?compression=gzip-js", data=gzip.compress(data), timeout=10)
    assert response.status_code == 200
    single = {**event(**{"$ai_trace_id": "single"}), "api_key": TOKEN}
    assert requests.post(f"{sink.url}/i/v0/e/", json=single, timeout=10).status_code == 200
    encoded = base64.b64encode(json.dumps({**event(**{"$ai_trace_id": "form", "token": TOKEN})}).encode()).decode()
    response = requests.post(f"{sink.url}/e/", data={"data": encoded, "compression": "base64"}, timeout=10)
    assert response.status_code == 200
    assert requests.post(f"{sink.url}/i/v0/ai/batch/", json=batch_body([event(**{"$ai_trace_id": "ai"})]),
                         timeout=10).status_code == 200
    # The gzip batch was sent twice: one event, stored once as after PostHog's merges.
    assert [count_trace(sink, t) for t in ("gz", "single", "form", "ai")] == [1, 1, 1, 1]


def test_capture_rejects_unknown_token_and_bad_payloads(sink):
    response = requests.post(f"{sink.url}/batch/", json=batch_body([event()], token="phc_unknown"), timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
    assert requests.post(f"{sink.url}/batch/", data=b"not json", timeout=10).status_code == 400
    no_distinct = {"api_key": TOKEN, "batch": [{"event": "x", "properties": {}}]}
    assert requests.post(f"{sink.url}/batch/", json=no_distinct, timeout=10).status_code == 400


def test_flags_endpoint_answers_minimal_body(sink):
    body = requests.post(f"{sink.url}/flags/?v=2", json={"api_key": TOKEN, "distinct_id": "x"}, timeout=10).json()
    assert body["featureFlags"] == {} and body["errorsWhileComputingFlags"] is False


def test_jsonl_loaded_at_runtime_gets_enriched(sink):
    lines = [json.dumps(event(**{"$ai_trace_id": "late", "$ai_model": "o4-mini", "$ai_input_tokens": 100,
                                 "$ai_output_tokens": 10}))]
    assert sink.admin("/_emulator/events", data="\n".join(lines).encode(), params={"team_id": 1}) == {
        "loaded": 1, "team_id": 1}
    assert costs(sink, "late")[0][2] == pytest.approx(100 * 1.1e-6 + 10 * 4.4e-6)


def test_copies_of_an_event_collapse_as_after_posthogs_merge(sink):
    first = event(**{"$ai_trace_id": "copies", "$ai_input_tokens": 1})
    again = {**first, "properties": {**first["properties"], "$ai_input_tokens": 2}}
    # Same uuid under another distinct id: another sorting key, which PostHog never merges.
    other = {**first, "distinct_id": "someone else"}
    lines = "\n".join(json.dumps(e) for e in (first, again, other)).encode()
    sink.admin("/_emulator/events", data=lines, params={"team_id": 1})
    rows = sink.rows("SELECT distinct_id, toInt(properties.$ai_input_tokens) FROM events "
                     "WHERE properties.$ai_trace_id = 'copies' ORDER BY distinct_id")
    assert rows == [["raw", 2], ["someone else", 1]], "the copy inserted last is kept"
    sink.admin("/_emulator/events", data=json.dumps(first).encode(), params={"team_id": 1})
    assert count_trace(sink, "copies") == 2, "a copy loaded later collapses too"


@pytest.mark.parametrize("name", ["sdk_openai.jsonl", "sdk_anthropic.jsonl", "sdk_langchain.jsonl"])
def test_sdk_fixtures_load_and_aggregate(sink, name):
    events = load_jsonl(FIXTURES / name)
    sink.admin("/_emulator/events/clear")
    sink.admin("/_emulator/events", data=(FIXTURES / name).read_bytes(), params={"team_id": 1})
    generations = [e for e in events if e["event"] == "$ai_generation"]
    rows = sink.rows("SELECT count(), countIf(properties.$ai_is_error = 'true'), "
                     "countIf(toFloat(properties.$ai_total_cost_usd) > 0) FROM events WHERE event = '$ai_generation'")
    errors = sum(1 for e in generations if e["properties"].get("$ai_is_error") is True)
    assert rows[0][:2] == [len(generations), errors]
    assert rows[0][2] >= 1


@pytest.mark.parametrize("capture_mode, gzip_body", [("v0", True), ("v1", False)])
def test_sdk_capture_modes_and_gzip(sink, capture_mode, gzip_body):
    errors = []
    client = Posthog(TOKEN, host=sink.url, sync_mode=True, capture_mode=capture_mode, gzip=gzip_body,
                     on_error=lambda error, batch: errors.append(error))
    trace = f"mode-{capture_mode}"
    client.capture("$ai_generation", distinct_id="sdk", properties={
        "$ai_trace_id": trace, "$ai_model": "gpt-4o", "$ai_input_tokens": 10, "$ai_output_tokens": 5})
    client.capture("checkout", distinct_id="sdk", properties={"$ai_trace_id": trace})
    client.flush()
    client.shutdown()
    assert errors == []
    rows = sink.rows("SELECT event, toFloat(properties.$ai_total_cost_usd) FROM events "
                     "WHERE properties.$ai_trace_id = {t} ORDER BY event", {"t": trace})
    assert rows[0][0] == "$ai_generation" and rows[0][1] == pytest.approx(10 * 2.5e-6 + 5 * 1e-5)
    assert rows[1] == ["checkout", None]
