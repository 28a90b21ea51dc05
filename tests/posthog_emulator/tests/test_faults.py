"""Seeded fault injection, switched at runtime through the test controls."""

import json
import time

import pytest
import requests


@pytest.fixture
def faulty(fresh_emulator_factory):
    return fresh_emulator_factory()


def set_faults(emulator, **settings):
    return emulator.admin("/_emulator/faults", settings)


def test_injected_500(faulty):
    set_faults(faulty, error_500=1.0)
    response = faulty.query("SELECT 1")
    assert response.status_code == 500
    assert response.json() == {"type": "server_error", "code": "error", "detail": "A server error occurred.", "attr": None}


def test_injected_429_names_a_wait(faulty):
    set_faults(faulty, throttle_429=1.0, throttle_wait_seconds=7)
    response = faulty.query("SELECT 1")
    assert response.status_code == 429
    assert response.json()["detail"] == "Request was throttled. Expected available in 7 seconds."


def test_injected_malformed_and_truncated_bodies(faulty):
    set_faults(faulty, malformed=1.0)
    response = faulty.query("SELECT 1")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    set_faults(faulty, malformed=0.0, truncated=1.0)
    response = faulty.query("SELECT 1")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert response.text.startswith('{"cache_key"')


def test_injected_504_hits_blocking_queries_only(faulty):
    set_faults(faulty, timeout_504=1.0)
    response = faulty.query("SELECT 1")
    assert response.status_code == 504
    assert response.json()["type"] == "server_error"
    started = faulty.query("SELECT 1", refresh="async")
    assert started.status_code == 202, "an async query is accepted and runs"
    assert started.json()["query_status"]["query_async"] is True


def test_injected_dropped_connection(faulty):
    set_faults(faulty, drop=1.0)
    with pytest.raises(requests.exceptions.ConnectionError):
        faulty.query("SELECT 1")


def test_added_latency(faulty):
    set_faults(faulty, latency_ms=300)
    started = time.time()
    assert faulty.query("SELECT 1").status_code == 200
    assert time.time() - started >= 0.3


def test_faults_are_seeded_and_reproducible(faulty):
    def outcomes():
        result = []
        for _ in range(30):
            try:
                result.append(faulty.query("SELECT 1").status_code)
            except requests.exceptions.ConnectionError:
                result.append("drop")
        return result

    set_faults(faulty, seed=42, error_500=0.3, drop=0.2)
    first = outcomes()
    set_faults(faulty, seed=42)
    assert outcomes() == first
    assert {500, 200, "drop"} <= set(first)


def test_faults_touch_only_the_api(faulty):
    set_faults(faulty, error_500=1.0)
    assert requests.post(f"{faulty.url}/flags/?v=2", json={}, timeout=10).status_code == 200


def test_fault_settings_are_validated(faulty):
    response = requests.post(f"{faulty.url}/_emulator/faults", json={"error_500": 2},
                             headers={"X-Emulator-Admin-Token": "emulator-admin-token"}, timeout=10)
    assert response.status_code == 400
    assert "between 0 and 1" in response.json()["detail"]


def test_fault_flags_at_startup(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--fault-500", "1", "--fault-seed", "3")
    assert emulator.query("SELECT 1").status_code == 500


def test_redirect_route_points_at_the_same_path_on_a_local_port(emulator):
    for method in ("GET", "POST", "DELETE"):
        response = requests.request(
            method, f"{emulator.url}/_emulator/redirect/9/api/projects/1/query/?x=1",
            headers={"Authorization": "Bearer phx_emulator_all"}, allow_redirects=False, timeout=10,
        )
        assert response.status_code == 307
        assert response.headers["Location"] == "http://127.0.0.1:9/api/projects/1/query/?x=1"
    assert requests.get(f"{emulator.url}/_emulator/redirect/70000/api/", allow_redirects=False, timeout=10).status_code == 404
