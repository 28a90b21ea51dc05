"""Deterministic synthetic LLM traces in the shared JSONL format, for load tests and benchmarks.

Each trace has one ``$ai_trace`` event and several ``$ai_generation`` events across a few
operations (``$ai_span_name``) and models, with latency, tokens, cache reads, errors and
truncation, shaped like PostHog's Python SDK output. Costs are left out so ingestion adds them.

    python synth_events.py --generations 1000000 --out events.jsonl [--days 30] [--seed 7]
"""

import argparse
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

OPERATIONS = [
    ("plan", ["gpt-4.1", "claude-sonnet-4-5"], 1800, 400),
    ("retrieve", ["gpt-4.1-mini"], 900, 120),
    ("draft_answer", ["gpt-4o", "claude-3-5-haiku-20241022"], 4200, 900),
    ("grade", ["gpt-4.1-nano", "o4-mini"], 1300, 60),
    ("summarize", ["gpt-4o-mini", "unknown-local-model"], 2600, 300),
]


def _generation(rng, trace_id, parent_id, when, op, model, base_in, base_out, session_id):
    provider = "anthropic" if model.startswith("claude") else "openai"
    input_tokens = int(base_in * rng.lognormvariate(0, 0.5))
    output_tokens = int(base_out * rng.lognormvariate(0, 0.6))
    cache_read = int(input_tokens * 0.6) if rng.random() < 0.3 else 0
    is_error = rng.random() < 0.03
    truncated = not is_error and rng.random() < 0.04
    max_tokens = 1024 if op != "draft_answer" else 2048
    if truncated:
        output_tokens = max_tokens
    props = {
        "$ai_trace_id": trace_id,
        "$ai_span_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "$ai_parent_id": parent_id,
        "$ai_span_name": op,
        "$ai_session_id": session_id,
        "$ai_provider": provider,
        "$ai_model": model,
        "$ai_model_parameters": {"temperature": 0.2, "max_tokens": max_tokens, "stream": op == "draft_answer"},
        "$ai_input": [
            {"role": "system", "content": f"You are the {op} step. Follow the policy."},
            {"role": "user", "content": "Question about order #%d: %s" % (rng.randint(1, 99999), "x" * rng.randint(20, 200))},
        ],
        "$ai_output_choices": [] if is_error else [{"role": "assistant", "content": "answer " * rng.randint(5, 60)}],
        "$ai_input_tokens": input_tokens,
        "$ai_output_tokens": 0 if is_error else output_tokens,
        "$ai_cache_read_input_tokens": cache_read,
        "$ai_latency": round(rng.lognormvariate(0.3, 0.7), 3),
        "$ai_http_status": 429 if is_error and rng.random() < 0.5 else (500 if is_error else 200),
        "$ai_is_error": is_error,
        "$ai_base_url": "https://api.openai.com/v1" if provider == "openai" else "https://api.anthropic.com",
        "$ai_lib": "posthog-python",
        "$ai_lib_version": "7.0.0",
        "$ai_framework": None,
        "stamphog_tier": rng.choice(["free", "pro", "enterprise"]),
    }
    if is_error:
        props["$ai_error"] = "Error code: %d - rate limited, request id req_%x" % (props["$ai_http_status"], rng.getrandbits(48))
    if truncated:
        props["$ai_stop_reason"] = "length" if provider == "openai" else "max_tokens"
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "event": "$ai_generation",
        "distinct_id": f"user_{rng.randint(1, 5000)}",
        "timestamp": when.isoformat().replace("+00:00", "Z"),
        "properties": props,
    }


def generate(generations: int, days: int = 30, seed: int = 7, end: datetime = None):
    """Yield events until ``generations`` $ai_generation events have been produced."""
    rng = random.Random(seed)
    end = end or datetime(2026, 10, 30, tzinfo=timezone.utc)
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    produced = 0
    while produced < generations:
        trace_id = str(uuid.UUID(int=rng.getrandbits(128)))
        session_id = f"session_{rng.randint(1, 20000)}"
        when = start + timedelta(seconds=rng.random() * span)
        steps = rng.randint(2, 6)
        yield {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "event": "$ai_trace",
            "distinct_id": f"user_{rng.randint(1, 5000)}",
            "timestamp": when.isoformat().replace("+00:00", "Z"),
            "properties": {"$ai_trace_id": trace_id, "$ai_span_name": "support_agent", "$ai_latency": steps * 1.5,
                           "$ai_is_error": False, "$ai_session_id": session_id},
        }
        for _ in range(steps):
            if produced >= generations:
                break
            op, models, base_in, base_out = rng.choice(OPERATIONS)
            when += timedelta(milliseconds=rng.randint(200, 4000))
            yield _generation(rng, trace_id, trace_id, when, op, rng.choice(models), base_in, base_out, session_id)
            produced += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        for event in generate(args.generations, args.days, args.seed):
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
