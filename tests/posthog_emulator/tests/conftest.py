"""Starts emulator processes on free ports for the tests and stops them afterwards."""

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

EMULATOR_DIR = Path(__file__).resolve().parent.parent
FIXTURES = EMULATOR_DIR / "fixtures"
ADMIN = {"X-Emulator-Admin-Token": "emulator-admin-token"}
ALL_KEY = "phx_emulator_all"


@dataclass
class Emulator:
    url: str
    process: subprocess.Popen

    def query(self, hogql, values=None, key=ALL_KEY, project=1, refresh=None, headers=None, **extra):
        body = {"query": {"kind": "HogQLQuery", "query": hogql, **({"values": values} if values is not None else {})}}
        if refresh:
            body["refresh"] = refresh
        body.update(extra)
        return requests.post(
            f"{self.url}/api/projects/{project}/query/",
            json=body,
            headers={"Authorization": f"Bearer {key}", **(headers or {})},
            timeout=60,
        )

    def rows(self, hogql, values=None, **kwargs):
        response = self.query(hogql, values, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def get(self, path, key=ALL_KEY, **kwargs):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        headers.update(kwargs.pop("headers", {}))
        return requests.get(self.url + path, headers=headers, timeout=30, **kwargs)

    def admin(self, path, body=None, data=None, params=None):
        response = requests.post(self.url + path, json=body, data=data, params=params, headers=ADMIN, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()


def start_emulator(*flags) -> Emulator:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", *flags],
        cwd=EMULATOR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.time() + 60
    output = []
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return Emulator(match.group(1), process)
    process.kill()
    raise RuntimeError("emulator did not start:\n" + "".join(output))


def stop_emulator(emulator: Emulator) -> None:
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()


@pytest.fixture(scope="session")
def emulator():
    """The default emulator with the rules fixture and the SDK fixtures in project 1."""
    flags = ["--events", str(FIXTURES / "rules_events.jsonl"), "--events", "2:" + str(FIXTURES / "project2_events.jsonl"),
             "--hourly-query-budget", "100000"]
    instance = start_emulator(*flags)
    yield instance
    stop_emulator(instance)


@pytest.fixture
def fresh_emulator_factory():
    """Start emulators with custom flags inside one test; all are stopped at the end."""
    started = []

    def factory(*flags):
        instance = start_emulator(*flags)
        started.append(instance)
        return instance

    yield factory
    for instance in started:
        stop_emulator(instance)


def load_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
