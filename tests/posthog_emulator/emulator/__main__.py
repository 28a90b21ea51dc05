"""Command line: ``python -m emulator --port 8010 --events FILE.jsonl [--events ...] [flags]``.

Run from ``tests/posthog_emulator`` (``scripts/posthog-emulator`` does that). Prints
``posthog-emulator listening on http://HOST:PORT`` once events are loaded and it accepts requests.
"""

import argparse
import logging
import socket
import sys
import time

from aiohttp import web

from .ai_events_mode import parse_flag as parse_ai_events_flag
from .config import build_config
from .event_store import EventStore, LoadError
from .faults import FaultInjector, FaultSettings
from .property_types import parse_flag as parse_typed_flag
from .server import Emulator, ServerSettings


def parse_args(argv):
    p = argparse.ArgumentParser(prog="posthog-emulator", description="A local PostHog query API for tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8010, help="0 picks a free port")
    p.add_argument("--events", action="append", default=[], metavar="FILE.jsonl",
                   help="JSONL events to load (repeatable); prefix with PROJECT: to load into another project")
    p.add_argument("--config", help="JSON file with organization, projects and keys")
    p.add_argument("--key", action="append", default=[], metavar="KEY=SCOPES[@PROJECTS]",
                   help="personal API key, e.g. phx_test=* or phx_p2=query:read@2 (replaces the default keys)")
    p.add_argument("--ai-events", action="append", default=[], metavar="[PROJECT=]MODE",
                   help="what posthog.ai_events holds: mirror (default), empty, full, partial:SINCE (ISO time or Nd), absent")
    p.add_argument("--typed-properties", action="append", default=[], metavar="PROJECT[=FILE.json]",
                   help="read the project's properties by their types, as PostHog does: detected from the first "
                        "values seen, and those given in FILE.json ({\"$x\": \"Numeric\"|\"Boolean\"|\"DateTime\"|\"String\"})")
    p.add_argument("--hourly-query-budget", type=int, default=120)
    p.add_argument("--max-concurrent", type=int, default=3, help="concurrent queries per project")
    p.add_argument("--queue-timeout", type=float, default=30.0, help="seconds a query waits for a slot")
    p.add_argument("--max-execution-time", type=float, default=10.0, help="seconds per blocking query")
    p.add_argument("--async-max-execution-time", type=float, default=600.0)
    p.add_argument("--admin-token", default="emulator-admin-token", help="value of X-Emulator-Admin-Token")
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every /api/ response")
    p.add_argument("--fault-drop", type=float, default=0.0, help="share of /api/ requests whose connection drops")
    p.add_argument("--fault-500", type=float, default=0.0, help="share answered with a 500")
    p.add_argument("--fault-429", type=float, default=0.0, help="share answered with a throttled 429")
    p.add_argument("--fault-429-wait", type=int, default=2, help="seconds named in injected 429s")
    p.add_argument("--fault-malformed", type=float, default=0.0, help="share with a malformed JSON body")
    p.add_argument("--fault-truncated", type=float, default=0.0, help="share with a truncated JSON body")
    p.add_argument("--fault-504", type=float, default=0.0, help="share of blocking HogQL queries answered 504 (query too slow)")
    p.add_argument("--capture-log", metavar="FILE.jsonl",
                   help="append every captured event, as received (before enrichment), to this file")
    p.add_argument("--data-dir", help="where chdb keeps its files (default: a temporary directory)")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = build_config(args.key, args.config)
        faults = FaultInjector(FaultSettings(
            seed=args.fault_seed, latency_ms=args.latency_ms, drop=args.fault_drop, error_500=args.fault_500,
            throttle_429=args.fault_429, malformed=args.fault_malformed, truncated=args.fault_truncated, timeout_504=args.fault_504,
            throttle_wait_seconds=args.fault_429_wait,
        ))
        ai_events = dict(parse_ai_events_flag(text, config.default_project.id) for text in args.ai_events)
        typed_properties = dict(parse_typed_flag(text) for text in args.typed_properties)
    except (ValueError, OSError) as exc:
        print(f"posthog-emulator: {exc}", file=sys.stderr)
        return 2
    store = EventStore(args.data_dir)
    started = time.perf_counter()
    for spec in args.events:
        project_id, path = config.default_project.id, spec
        head, sep, tail = spec.partition(":")
        if sep and head.isdigit():
            project_id, path = int(head), tail
        try:
            count = store.load_jsonl_file(path, project_id)
        except LoadError as exc:
            print(f"posthog-emulator: {exc}", file=sys.stderr)
            return 2
        print(f"loaded {count} events from {path} into project {project_id}", flush=True)
    if args.events:
        print(f"load time {time.perf_counter() - started:.2f}s", flush=True)
    settings = ServerSettings(
        max_execution_time=args.max_execution_time, async_max_execution_time=args.async_max_execution_time,
        max_concurrent=args.max_concurrent, queue_timeout=args.queue_timeout,
        hourly_query_budget=args.hourly_query_budget, admin_token=args.admin_token, capture_log=args.capture_log,
        ai_events=ai_events, typed_properties=typed_properties,
    )
    emulator = Emulator(config, store, settings, faults)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)  # accept connections (queued) from the moment the address is printed
    host, port = sock.getsockname()[:2]
    print(f"posthog-emulator listening on http://{host}:{port}", flush=True)
    try:
        web.run_app(emulator.app(), sock=sock, print=None, handle_signals=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
