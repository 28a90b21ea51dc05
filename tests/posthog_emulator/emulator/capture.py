"""Decoding what PostHog's SDKs post to the capture endpoints, into events in the JSONL shape.

Accepted bodies, as PostHog's capture accepts them:

* JSON: ``{"api_key", "batch": [...]}`` (``/batch/``, the Python SDK), a single event
  (``/i/v0/e/``, ``/e/``, ``/capture/``), or a list of events;
* ``Content-Encoding: gzip`` or ``?compression=gzip``/``gzip-js`` with a gzip body;
* form bodies with ``data=<base64 JSON>`` (and ``compression=base64``), and raw base64 bodies.

The project is found from ``api_key``/``token`` in the body, the event's ``properties.token``
or ``Authorization: Bearer`` (capture v1).
"""

import base64
import binascii
import gzip
import json
import uuid
from datetime import datetime, timezone
from typing import Optional
from urllib.parse import parse_qs


class CaptureError(Exception):
    """The payload cannot be read; answered with 400 like PostHog's capture."""


def _decode_json(raw: bytes):
    text = raw.decode("utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(base64.b64decode(text.strip(), validate=False).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaptureError(f"Failed to decode the request body: {exc}") from exc


def decode_body(raw: bytes, content_type: str) -> object:
    """Undo compression and form encoding; returns the decoded JSON value."""
    # aiohttp already inflates bodies sent with Content-Encoding: gzip; a gzip body announced
    # only by ?compression=gzip(-js), as posthog-js sends it, still starts with the gzip magic.
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise CaptureError(f"Failed to decompress the request body: {exc}") from exc
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(raw.decode("utf-8", "replace"))
        data = (form.get("data") or [""])[0]
        if not data:
            raise CaptureError("The form body has no data field")
        return _decode_json(data.encode("utf-8"))
    if not raw.strip():
        raise CaptureError("The request body is empty")
    try:
        return _decode_json(raw)
    except UnicodeDecodeError as exc:
        raise CaptureError(f"Failed to decode the request body: {exc}") from exc


def events_and_token(payload: object, bearer: Optional[str]) -> tuple[list, Optional[str]]:
    """Split a decoded payload into raw events and the project token it carries."""
    token = bearer
    if isinstance(payload, dict) and "batch" in payload:
        raw_events = payload["batch"]
        token = payload.get("api_key") or payload.get("token") or token
    elif isinstance(payload, dict):
        raw_events = [payload]
        token = payload.get("api_key") or payload.get("token") or token
    elif isinstance(payload, list):
        raw_events = payload
    else:
        raise CaptureError("The payload is neither an event nor a batch")
    if not isinstance(raw_events, list) or not all(isinstance(e, dict) for e in raw_events):
        raise CaptureError("The batch must be a list of events")
    if token is None:
        for event in raw_events:
            props = event.get("properties") or {}
            token = event.get("api_key") or event.get("token") or props.get("token")
            if token:
                break
    return raw_events, token


def normalize_event(raw: dict) -> dict:
    """One captured event in the shared JSONL shape."""
    name = raw.get("event")
    if not isinstance(name, str) or not name:
        raise CaptureError("An event has no name")
    properties = dict(raw.get("properties") or {})
    distinct_id = raw.get("distinct_id", properties.get("distinct_id"))
    if distinct_id is None or distinct_id == "":
        raise CaptureError("An event has no distinct_id")
    for key in ("$set", "$set_once"):
        if key in raw and key not in properties:
            properties[key] = raw[key]
    if raw.get("session_id") and "$session_id" not in properties:
        properties["$session_id"] = raw["session_id"]
    timestamp = raw.get("timestamp") or datetime.now(timezone.utc).isoformat()
    return {
        "uuid": str(raw.get("uuid") or uuid.uuid4()),
        "event": name,
        "distinct_id": str(distinct_id),
        "timestamp": str(timestamp),
        "properties": properties,
    }
