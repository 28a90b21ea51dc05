"""The tables HogQL queries can read in the emulator and their columns (nullable flags).

``events`` mirrors PostHog's events table; ``posthog.ai_events`` mirrors PostHog's typed LLM
table and is a view over the ``$ai_*`` events (see ``event_store.AI_EVENTS_VIEW_COLUMNS``).
"""

# Columns of PostHog's `events` table that the emulator stores. Nullable ones are marked.
EVENTS_COLUMNS = {
    "uuid": False,
    "event": False,
    "properties": False,
    "timestamp": False,
    "distinct_id": False,
    "elements_chain": False,
    "created_at": False,
    "$session_id": True,
    "$window_id": True,
}
EVENTS_DATETIME_COLUMNS = {"timestamp", "created_at"}

# Columns of `posthog.ai_events` (nullable flag); JSON columns allow property access below them.
AI_EVENTS_COLUMNS = {
    "uuid": False, "event": False, "timestamp": False, "distinct_id": False, "properties": False,
    "retention_days": False, "trace_id": False, "session_id": True, "parent_id": True, "span_id": True,
    "span_type": True, "generation_id": True, "span_name": True, "trace_name": True, "model": True,
    "provider": True, "framework": True, "total_tokens": True, "input_tokens": True, "output_tokens": True,
    "reasoning_tokens": True, "cache_read_input_tokens": True, "cache_creation_input_tokens": True,
    "input_cost_usd": True, "output_cost_usd": True, "total_cost_usd": True, "request_cost_usd": True,
    "web_search_cost_usd": True, "latency": True, "time_to_first_token": True, "is_error": False, "error": True,
    "error_normalized": True, "input": True, "output": True, "output_choices": True, "input_state": True,
    "output_state": True, "tools": True,
}
AI_EVENTS_JSON_COLUMNS = {"properties", "input", "output", "output_choices", "input_state", "output_state", "tools"}
