"""Hourly budget, concurrency limit, execution time limit and async queries."""

import threading
import time

import requests

from conftest import ADMIN, FIXTURES

# Would scan 2e10 rows: always stopped by the execution time limit, holding its slot until then.
SLOW_QUERY = "SELECT sum(cityHash64(number)) FROM numbers(20000000000)"


def test_hourly_budget_then_throttled_429(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--hourly-query-budget", "3")
    for _ in range(3):
        assert emulator.query("SELECT 1").status_code == 200
    response = emulator.query("SELECT 1")
    assert response.status_code == 429
    body = response.json()
    assert body["type"] == "throttled_error" and body["code"] == "throttled" and body["attr"] is None
    assert body["detail"].startswith("Request was throttled. Expected available in ")
    wait = int(body["detail"].split("available in ")[1].split(" ")[0])
    assert 3590 <= wait <= 3600 and body["detail"].endswith(f"{wait} seconds.")
    assert response.headers["Retry-After"] == str(wait)
    # every project has its own budget, and errors count like PostHog's throttle counts them
    assert emulator.query("SELECT 1", project=2).status_code == 200
    emulator.admin("/_emulator/budget/reset", {"team_id": 1})
    assert emulator.query("SELECT nope").status_code == 400
    assert emulator.query("SELECT 1").status_code == 200
    assert emulator.query("SELECT 1").status_code == 200
    assert emulator.query("SELECT 1").status_code == 429


def test_budget_is_not_spent_by_rejected_auth(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--hourly-query-budget", "1")
    assert emulator.query("SELECT 1", key="phx_emulator_no_query").status_code == 403
    assert emulator.query("SELECT 1").status_code == 200
    assert emulator.query("SELECT 1").status_code == 429


def test_execution_time_limit_is_504(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--max-execution-time", "0.3")
    started = time.time()
    response = emulator.query(SLOW_QUERY)
    assert time.time() - started < 5
    assert response.status_code == 504
    assert response.json() == {
        "type": "server_error",
        "code": "error",
        "detail": "Query has hit the max execution time before completing. See our docs for how to improve your query "
        "performance. You may need to materialize.",
        "attr": None,
    }


def running(emulator) -> int:
    return requests.get(f"{emulator.url}/_emulator/running", headers=ADMIN, timeout=10).json()["1"]


def test_at_most_three_concurrent_queries_per_project(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--max-execution-time", "1.5", "--queue-timeout", "0.3")
    statuses = []

    def slow():
        statuses.append(emulator.query(SLOW_QUERY).status_code)

    threads = [threading.Thread(target=slow) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 10
    while running(emulator) < 3 and time.time() < deadline:
        time.sleep(0.02)
    assert running(emulator) == 3
    response = emulator.query("SELECT 1")
    other_project = emulator.query("SELECT 1", project=2)
    for thread in threads:
        thread.join()
    assert response.status_code == 429
    body = response.json()
    assert body["type"] == "throttled_error" and body["code"] == "throttled"
    assert body["detail"].startswith("Exceeded maximum concurrency limit: 3 for key: api:query:per-org:")
    assert "Expected available" not in body["detail"]
    assert "Retry-After" not in response.headers
    assert other_project.status_code == 200
    assert sorted(statuses) == [504, 504, 504]


def test_a_waiting_query_gets_the_next_free_slot(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--max-concurrent", "1", "--max-execution-time", "0.5", "--queue-timeout", "5")
    first = threading.Thread(target=lambda: emulator.query(SLOW_QUERY))
    first.start()
    time.sleep(0.2)
    assert emulator.query("SELECT 1").status_code == 200
    first.join()


def poll(emulator, query_id, project=1, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        response = emulator.get(f"/api/projects/{project}/query/{query_id}/")
        if response.status_code != 202:
            return response
        time.sleep(0.05)
    raise AssertionError("async query did not finish")


def test_async_query_polls_to_the_blocking_result(emulator):
    hogql = "SELECT event, count() FROM events GROUP BY event ORDER BY event"
    response = emulator.query(hogql, refresh="async")
    assert response.status_code == 202
    status = response.json()["query_status"]
    assert status["complete"] is False and status["query_async"] is True and status["error"] is False
    done = poll(emulator, status["id"])
    assert done.status_code == 200
    final = done.json()["query_status"]
    assert final["complete"] is True and final["error"] is False and final["end_time"].endswith("Z")
    assert final["results"]["results"] == emulator.rows(hogql)
    assert final["results"]["columns"] == ["event", "count()"]


def test_async_query_error_is_400_with_message(emulator):
    response = emulator.query("SELECT nope FROM events", refresh="async")
    assert response.status_code == 202
    done = poll(emulator, response.json()["query_status"]["id"])
    assert done.status_code == 400
    status = done.json()["query_status"]
    assert status["error"] is True and status["complete"] is False
    assert status["error_message"] == "Unable to resolve field: nope"


def test_async_query_cancel(fresh_emulator_factory):
    emulator = fresh_emulator_factory("--async-max-execution-time", "2")
    query_id = emulator.query(SLOW_QUERY, refresh="async").json()["query_status"]["id"]
    cancelled = requests.delete(f"{emulator.url}/api/projects/1/query/{query_id}/",
                                headers={"Authorization": "Bearer phx_emulator_all"}, timeout=10)
    assert cancelled.status_code == 200 and cancelled.json() == {"message": "Query task revoked"}
    gone = emulator.get(f"/api/projects/1/query/{query_id}/")
    assert gone.status_code == 404
    assert gone.json()["detail"] == f"Query {query_id} not found for team 1"


def test_async_status_is_private_to_the_project(emulator):
    query_id = emulator.query("SELECT 1", refresh="async").json()["query_status"]["id"]
    poll(emulator, query_id)
    assert emulator.get(f"/api/projects/2/query/{query_id}/").status_code == 404
    assert emulator.get(f"/api/projects/1/query/{query_id}/", key="phx_emulator_project2").status_code == 403


def test_completed_async_query_cancel_says_already_complete(emulator):
    query_id = emulator.query("SELECT 1", refresh="async").json()["query_status"]["id"]
    poll(emulator, query_id)
    response = requests.delete(f"{emulator.url}/api/projects/1/query/{query_id}/",
                               headers={"Authorization": "Bearer phx_emulator_all"}, timeout=10)
    assert response.json() == {"message": "Query already complete"}


def test_admin_controls_need_the_token(emulator):
    response = requests.post(f"{emulator.url}/_emulator/budget/reset", json={}, timeout=10)
    assert response.status_code == 403
    assert requests.get(f"{emulator.url}/_emulator/status", headers=ADMIN, timeout=10).status_code == 200


def test_events_load_at_startup_into_projects(emulator):
    status = requests.get(f"{emulator.url}/_emulator/status", headers=ADMIN, timeout=10).json()
    assert status["events"] == {"1": sum(1 for _ in open(FIXTURES / "rules_events.jsonl")), "2": 3}
