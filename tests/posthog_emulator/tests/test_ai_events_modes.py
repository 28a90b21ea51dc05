"""What ``posthog.ai_events`` holds per project: mirror, empty, full, partial and absent, as
PostHog's rollout and 30-day retention leave it, and the payloads ``events`` keeps alongside."""

import json

import pytest
import requests

from conftest import ADMIN

# Four generations of one trace, two days apart; each carries a prompt.
DAYS = ["2026-10-01", "2026-10-03", "2026-10-05", "2026-10-07"]
EVENTS = [
    {"uuid": f"00000000-0000-4000-8000-0000000001{i:02d}", "event": "$ai_generation", "distinct_id": "u",
     "timestamp": f"{day}T12:00:00Z",
     "properties": {"$ai_trace_id": "t", "$ai_model": "gpt-4o", "$ai_input": [{"role": "user", "content": f"prompt {i}"}],
                    "$ai_output_choices": [{"role": "assistant", "content": f"answer {i}"}]}}
    for i, day in enumerate(DAYS)
]
SINCE = "2026-10-04T00:00:00Z"


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return str(path)


def set_mode(emulator, mode, team_id=1):
    return emulator.admin("/_emulator/ai_events", {"team_id": team_id, "mode": mode})


def prompts_in_events(emulator):
    rows = emulator.rows("SELECT toString(uuid), JSONExtractString(properties.$ai_input, 1, 'content') FROM events ORDER BY timestamp")
    return [r[1] or None for r in rows]


def prompts_in_ai_events(emulator):
    return [r[0] for r in emulator.rows("SELECT JSONExtractString(input, 1, 'content') FROM posthog.ai_events ORDER BY timestamp")]


def test_each_mode_holds_what_the_rollout_and_ttl_leave(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file)
    every = [f"prompt {i}" for i in range(4)]
    # Mirror (the default): both tables hold every payload.
    assert (prompts_in_events(emulator), prompts_in_ai_events(emulator)) == (every, every)
    # Not in the rollout: nothing in ai_events, events whole.
    set_mode(emulator, "empty")
    assert (prompts_in_events(emulator), prompts_in_ai_events(emulator)) == (every, [])
    # In the rollout throughout: payloads only in ai_events.
    set_mode(emulator, "full")
    assert (prompts_in_events(emulator), prompts_in_ai_events(emulator)) == ([None] * 4, every)
    # In the rollout since SINCE: the newer two only in ai_events, the older two only in events.
    set_mode(emulator, f"partial:{SINCE}")
    assert (prompts_in_events(emulator), prompts_in_ai_events(emulator)) == (every[:2] + [None, None], every[2:])
    # Every event stays in events, whatever the mode: only payloads move.
    assert emulator.rows("SELECT count() FROM events") == [[4]]
    # Other properties are untouched.
    assert emulator.rows("SELECT countIf(properties.$ai_model = 'gpt-4o') FROM events") == [[4]]
    status = requests.get(emulator.url + "/_emulator/status", headers=ADMIN, timeout=10).json()
    assert status["ai_events"]["1"].startswith("partial:2026-10-04")
    assert status["ai_events"]["2"] == "mirror"


def test_merging_by_uuid_recovers_every_payload_in_every_mode(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file)
    merged = (
        "SELECT coalesce(a.p, e.p) FROM (SELECT toString(uuid) AS id, timestamp AS ts, JSONExtractString(properties.$ai_input, 1, 'content') AS p FROM events) AS e "
        "LEFT JOIN (SELECT toString(uuid) AS id, nullIf(JSONExtractString(input, 1, 'content'), '') AS p FROM posthog.ai_events) AS a ON e.id = a.id ORDER BY e.ts"
    )
    for mode in ("mirror", "empty", "full", f"partial:{SINCE}"):
        set_mode(emulator, mode)
        assert [r[0] or None for r in emulator.rows(merged)] == [f"prompt {i}" for i in range(4)], mode


def test_absent_table_is_unknown_like_older_posthog(fresh_emulator_factory, events_file):
    emulator = fresh_emulator_factory("--events", events_file, "--ai-events", "1=absent")
    response = emulator.query("SELECT count() FROM posthog.ai_events")
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown table `posthog.ai_events`."
    assert emulator.rows("SELECT count() FROM events") == [[4]]
    # Project 2 keeps the default.
    assert emulator.rows("SELECT count() FROM posthog.ai_events", project=2) == [[0]]


def test_partial_in_days_counts_back_from_now(fresh_emulator_factory, tmp_path):
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    events = [dict(EVENTS[i], timestamp=(now - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")) for i, d in enumerate([40, 31, 20, 1])]
    path = tmp_path / "recent.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    emulator = fresh_emulator_factory("--events", str(path), "--ai-events", "partial:30d")
    assert prompts_in_ai_events(emulator) == ["prompt 2", "prompt 3"]


@pytest.mark.parametrize("mode", ["sometimes", "partial", "empty:3", "partial:yesterday"])
def test_unknown_modes_are_refused(fresh_emulator_factory, events_file, mode):
    emulator = fresh_emulator_factory("--events", events_file)
    response = requests.post(emulator.url + "/_emulator/ai_events", json={"team_id": 1, "mode": mode}, headers=ADMIN, timeout=10)
    assert response.status_code == 400, response.text
