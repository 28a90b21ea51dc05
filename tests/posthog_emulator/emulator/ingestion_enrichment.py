"""What PostHog's ingestion adds to LLM analytics events, applied to captured and loaded events.

For ``$ai_generation`` and ``$ai_embedding`` events:

* costs, only when the caller sent none: ``$ai_input_cost_usd``, ``$ai_output_cost_usd``,
  ``$ai_request_cost_usd`` (0), ``$ai_web_search_cost_usd`` (0), ``$ai_total_cost_usd``,
  ``$ai_model_cost_used``, ``$ai_cost_model_source`` (``emulator_price_table``) and
  ``$ai_cost_model_provider``. When the caller sent input and output costs but no total, the
  total is their sum. Unknown models get no cost properties;
* ``$ai_max_tokens``, ``$ai_temperature`` and ``$ai_stream`` from ``$ai_model_parameters``
  when those are absent;
* ``$ai_error_normalized`` from ``$ai_error``, with ids and numbers replaced by placeholders.

Events are stored as compact JSON, like PostHog stores properties.
"""

import re

import orjson

from .pricing import compute_costs

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_ID = re.compile(r"\b[0-9a-fA-F]{16,}\b|\b(?:req|msg|chatcmpl|call|run)_[A-Za-z0-9]+\b")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")
REQUIRED_FIELDS = ("uuid", "event", "distinct_id", "timestamp", "properties")


def normalize_error(message: str) -> str:
    text = _UUID.sub("<UUID>", message)
    text = _HEX_ID.sub("<ID>", text)
    return _NUMBER.sub("<N>", text)


def _needs_rewrite(line: bytes) -> bool:
    """Whether a line may be missing ingestion properties or is not stored-style compact JSON.

    A false positive only costs a re-serialisation, so the checks are cheap substring tests.
    """
    if b'": ' in line or b'", "' in line or b"\\u" in line:
        return True
    if b'"$ai_generation"' not in line and b'"$ai_embedding"' not in line:
        return False
    if b'"$ai_total_cost_usd"' not in line:
        return True
    if b'"$ai_model_parameters"' in line and b'"$ai_max_tokens"' not in line and b'"$ai_temperature"' not in line:
        return True
    return b'"$ai_error"' in line and b'"$ai_error_normalized"' not in line


def enrich_properties(event: str, properties: dict) -> dict:
    """Add the ingestion-time properties to one event's properties (returns the same dict)."""
    if event not in ("$ai_generation", "$ai_embedding"):
        return properties
    if "$ai_total_cost_usd" not in properties:
        if "$ai_input_cost_usd" in properties and "$ai_output_cost_usd" in properties:
            try:
                properties["$ai_total_cost_usd"] = float(properties["$ai_input_cost_usd"]) + float(
                    properties["$ai_output_cost_usd"]
                )
            except (TypeError, ValueError):
                pass
        else:
            costs = compute_costs(properties)
            if costs is not None:
                properties.update(
                    {
                        "$ai_input_cost_usd": costs.input_usd,
                        "$ai_output_cost_usd": costs.output_usd,
                        "$ai_request_cost_usd": 0,
                        "$ai_web_search_cost_usd": 0,
                        "$ai_total_cost_usd": costs.total_usd,
                        "$ai_model_cost_used": costs.price.model,
                        "$ai_cost_model_source": "emulator_price_table",
                        "$ai_cost_model_provider": costs.price.provider,
                    }
                )
    params = properties.get("$ai_model_parameters")
    if isinstance(params, dict):
        # PostHog reads only these two (`extractCoreModelParams`); no SDK captures the Responses
        # API's or Gemini's `max_output_tokens`, so their calls carry no `$ai_max_tokens`.
        max_tokens = params.get("max_tokens", params.get("max_completion_tokens"))
        for key, value in (
            ("$ai_max_tokens", max_tokens),
            ("$ai_temperature", params.get("temperature")),
            ("$ai_stream", params.get("stream")),
        ):
            if value is not None and key not in properties:
                properties[key] = value
    error = properties.get("$ai_error")
    if error is not None and "$ai_error_normalized" not in properties:
        text = error if isinstance(error, str) else orjson.dumps(error).decode()
        properties["$ai_error_normalized"] = normalize_error(text)
    return properties


def enrich_line(line: bytes) -> bytes:
    """Check one JSONL event line and return it enriched, re-serialised compactly.

    PostHog stores properties as compact JSON with non-ASCII characters kept (JavaScript's
    ``JSON.stringify``); property reads return that raw text, so the emulator stores the same.
    Lines that are already compact and complete pass through unchanged.
    """
    if not _needs_rewrite(line):
        if not line.startswith(b"{") or not line.endswith(b"}"):
            raise ValueError("an event line must be a JSON object")
        return line
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc}") from exc
    if not isinstance(event, dict):
        raise ValueError("an event line must be a JSON object")
    missing = [f for f in REQUIRED_FIELDS if f not in event]
    if missing or not isinstance(event.get("properties"), dict):
        raise ValueError(f"event is missing {', '.join(missing) or 'a properties object'}")
    enrich_properties(event["event"], event["properties"])
    return orjson.dumps(event)


def enrich_file_range(path: str, start: int, end: int, out_path: str) -> tuple:
    """Enrich the lines in ``path[start:end]`` into ``out_path``; returns (lines written, error or None).

    Runs in a worker process while the parent inserts the previous range.
    """
    written = 0
    with open(path, "rb") as source, open(out_path, "wb") as out:
        source.seek(start)
        data = source.read(end - start)
        for number, line in enumerate(data.split(b"\n"), start=1):
            line = line.strip()
            if not line:
                continue
            try:
                out.write(enrich_line(line))
            except ValueError as exc:
                return written, f"line {number} of the range at byte {start}: {exc}"
            out.write(b"\n")
            written += 1
    return written, None
