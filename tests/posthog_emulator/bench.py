"""Benchmark: load a JSONL events file into the emulator and time the product's typical queries.

    python bench.py [--events FILE.jsonl | --generations 1000000] [--repeat 2]

Without ``--events`` it writes synthetic traces (``synth_events.py``) to a temporary file first.
Prints the load time, the emulator's resident memory after loading, and each query's time over
HTTP (best of ``--repeat`` runs) with the emulator's and ClickHouse's share, the CPU seconds the
emulator spent on it (a figure that does not depend on other load on the machine) and the number
of rows it returned.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
KEY = "phx_emulator_all"

QUERIES = {
    "rollup day x span x model x error": """
        SELECT toStartOfDay(timestamp) AS day,
               coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed') AS operation,
               properties.$ai_model AS model,
               properties.$ai_is_error = 'true' AS is_error,
               count() AS generations,
               sum(toFloat(properties.$ai_total_cost_usd)) AS cost,
               sum(toInt(properties.$ai_input_tokens)) AS input_tokens,
               sum(toInt(properties.$ai_output_tokens)) AS output_tokens,
               sum(toInt(properties.$ai_cache_read_input_tokens)) AS cache_read_tokens,
               countIf(properties.$ai_stop_reason IN ('length', 'max_tokens')) AS truncated
        FROM events
        WHERE event = '$ai_generation' AND timestamp >= {since}
        GROUP BY day, operation, model, is_error
        ORDER BY day, operation, model
        LIMIT 50000""",
    "latency quantiles by span x model": """
        SELECT coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed') AS operation,
               properties.$ai_model AS model,
               count() AS generations,
               quantiles(0.5, 0.95)(toFloat(properties.$ai_latency)) AS latency
        FROM events
        WHERE event = '$ai_generation' AND timestamp >= {since}
        GROUP BY operation, model
        ORDER BY operation, model
        LIMIT 50000""",
    "one row per (trace, span)": """
        SELECT properties.$ai_trace_id AS trace_id,
               coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed') AS operation,
               sum(toFloat(properties.$ai_total_cost_usd)) AS cost,
               count() AS generations,
               sum(toInt(properties.$ai_input_tokens)) AS input_tokens,
               max(toInt(properties.$ai_input_tokens)) AS max_input_tokens,
               sum(toInt(properties.$ai_output_tokens)) AS output_tokens,
               groupUniqArray(properties.$ai_model) AS models,
               countIf(properties.$ai_is_error = 'true') AS errors,
               min(timestamp) AS first_seen
        FROM events
        WHERE event = '$ai_generation' AND timestamp >= {since}
        GROUP BY trace_id, operation
        ORDER BY cost DESC
        LIMIT 50000""",
    "top traces by cost (keyset page)": """
        SELECT properties.$ai_trace_id AS trace_id, sum(toFloat(properties.$ai_total_cost_usd)) AS cost
        FROM events
        WHERE event = '$ai_generation' AND timestamp >= {since}
        GROUP BY trace_id
        ORDER BY cost DESC, trace_id
        LIMIT 100""",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", help="JSONL file to load (default: synthetic traces)")
    parser.add_argument("--generations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--since", default="2026-09-01 00:00:00")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        events = args.events
        if events is None:
            events = os.path.join(tmp, "events.jsonl")
            started = time.perf_counter()
            subprocess.run([sys.executable, str(HERE / "synth_events.py"), "--generations", str(args.generations),
                            "--out", events], check=True)
            print(f"generated {args.generations} generations in {time.perf_counter() - started:.1f}s "
                  f"({os.path.getsize(events) / 1e6:.0f} MB JSONL)")
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--port", "0", "--events", os.path.abspath(events),
             "--hourly-query-budget", "100000", "--max-execution-time", "60"],
            cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        url = None
        for line in process.stdout:
            print("  " + line.rstrip())
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                url = match.group(1)
                break
        if url is None:
            raise SystemExit("the emulator did not start")
        print(f"startup + load: {time.perf_counter() - started:.1f}s; RSS after load: {rss_mb(process.pid):.0f} MB")
        try:
            for name, hogql in QUERIES.items():
                best, rows, server, engine, cpu = None, 0, None, None, None
                for _ in range(args.repeat):
                    cpu_before = cpu_seconds(process.pid)
                    started = time.perf_counter()
                    response = requests.post(
                        f"{url}/api/projects/1/query/",
                        json={"query": {"kind": "HogQLQuery", "query": hogql, "values": {"since": args.since}}},
                        headers={"Authorization": f"Bearer {KEY}"}, timeout=300,
                    )
                    elapsed = time.perf_counter() - started
                    cpu_used = cpu_seconds(process.pid) - cpu_before
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: {response.status_code} {response.text[:500]}")
                    body = response.json()
                    rows = len(body["results"])
                    timings = {t["k"]: t["t"] for t in body["timings"]}
                    if best is None or elapsed < best:
                        best, server, engine, cpu = elapsed, timings["."], timings["./clickhouse_execute"], cpu_used
                print(f"{name:36s} {best:5.2f}s over HTTP ({server:5.2f}s in the emulator, "
                      f"{engine:5.2f}s in ClickHouse, {cpu:5.2f} CPU-s)  {rows} rows")
            print(f"RSS after queries: {rss_mb(process.pid):.0f} MB; load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores")
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
