"""Property definitions per project, and the typed reads PostHog's HogQL makes of them.

PostHog keeps a property definition for every event property it has seen, with a type detected
from the first value that has one (``rust/property-defs-rs/src/types.rs``,
``detect_property_type``; once set, the type stays: a bad first value "locks" the name to the
wrong type). Its HogQL then reads ``properties.$x`` by that type
(``posthog/hogql/transforms/property_types.py``, ``PropertySwapper``):

* ``Numeric``: ``toFloat(x)``;
* ``Boolean``: ``toBool(transform(toString(x), ['true', 'false'], [1, 0], NULL))``;
* ``DateTime``: ``toDateTime(x)`` (a best-effort parse, null when it fails);
* ``String``, or no definition: the string read.

The trace, session, span, parent, generation and experiment ids are always strings
(``_AI_STRING_ID_PROPERTIES``). Directly inside ``toFloatOrZero``, ``toIntOrZero`` and
``toFloatOrDefault`` a property is left as a string, as those parse text.

Detection, as property-defs-rs does it, key first, then value:

* keys starting with ``utm_``, ``$initial_utm_``, ``$feature/``, ``$survey_response``, and
  ``$feature_flag_response``: String;
* keys containing ``time``, ``date``, ``_at``, ``-at``, ``createdat`` or ``updatedat``
  (case-insensitive) whose value is a number no older than six months as a Unix time, or a
  date-like string: DateTime;
* strings: ``true``/``false``/``TRUE``/``FALSE`` (trimmed) are Boolean, date-like strings
  (RFC 3339, RFC 2822, or ``YYYY-MM-DD`` / ``MM/DD/YYYY`` optionally followed by a time) are
  DateTime, others String; JSON numbers Numeric, JSON booleans Boolean; arrays, objects and
  null get no type.

"First seen" is the earliest event by timestamp (then uuid) in the project; a project's
definitions can also be given (``--typed-properties PROJECT=FILE.json`` or the admin
endpoint), as a user sets a property's type in PostHog's data management, and those win.
"""

import json
from typing import Optional

from .sql_text import escape_string

TYPES = ("String", "Numeric", "Boolean", "DateTime")

# Always read as strings, whatever their definition says (PostHog's _AI_STRING_ID_PROPERTIES).
STRING_ID_PROPERTIES = frozenset({
    "$ai_trace_id", "$ai_session_id", "$ai_parent_id", "$ai_span_id", "$ai_generation_id", "$ai_experiment_id",
})

# Calls that parse their argument as text: a property directly inside one is not typed.
STRING_INPUT_CONVERSIONS = frozenset({"toFloatOrZero", "toIntOrZero", "toFloatOrDefault"})

# Six months in seconds (property-defs-rs SIX_MONTHS_AGO_SECS): numbers at least this recent as
# a Unix time, under a time-like key, are taken for timestamps.
SIX_MONTHS_S = 15_768_000
DATETIME_KEY_WORDS = ("time", "date", "_at", "-at", "createdat", "updatedat")
STRING_KEY_PREFIXES = ("utm_", "$initial_utm_", "$feature/", "$survey_response")
# property-defs-rs DATETIME_PREFIX_REGEX, and the shapes of RFC 3339 and RFC 2822 dates.
DATE_PREFIX_RE = (r"^(([0-9]{4}[/-][0-2][0-9][/-][0-3][0-9])|([0-2][0-9][/-][0-3][0-9][/-][0-9]{4}))"
                  r"([ T][0-2][0-9]:[0-6][0-9]:[0-6][0-9].*)?$")
RFC3339_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
RFC2822_RE = (r"^([A-Za-z]{3}, )?[0-9]{1,2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}(:[0-9]{2})? "
              r"([+-][0-9]{4}|[A-Z]{1,3})$")


def _date_like(text_sql: str) -> str:
    patterns = ", ".join(escape_string(p) for p in (DATE_PREFIX_RE, RFC3339_RE, RFC2822_RE))
    return f"multiMatchAny({text_sql}, [{patterns}])"


def detect_type_sql(key_sql: str, raw_sql: str) -> str:
    """ClickHouse SQL: the type property-defs-rs gives ``key`` for one raw JSON value, or NULL."""
    key = f"lower({key_sql})"
    string_key = " OR ".join([f"startsWith({key}, {escape_string(p)})" for p in STRING_KEY_PREFIXES]
                             + [f"{key} = '$feature_flag_response'"])
    time_key = f"multiSearchAny({key}, [{', '.join(escape_string(w) for w in DATETIME_KEY_WORDS)}])"
    kind = f"JSONType({raw_sql})"
    text = f"JSONExtractString({raw_sql})"
    trimmed = f"trimBoth({text})"
    recent = f"toUnixTimestamp(now()) - {SIX_MONTHS_S}"
    return (
        f"multiIf({string_key}, 'String', "
        f"{time_key} AND {kind} IN ('Int64', 'UInt64') AND JSONExtract({raw_sql}, 'Nullable(UInt64)') >= {recent}, 'DateTime', "
        f"{time_key} AND {kind} = 'String' AND {_date_like(text)}, 'DateTime', "
        f"{kind} = 'String' AND {trimmed} IN ('true', 'false', 'TRUE', 'FALSE'), 'Boolean', "
        f"{kind} = 'String' AND {_date_like(trimmed)}, 'DateTime', "
        f"{kind} = 'String', 'String', "
        f"{kind} IN ('Int64', 'UInt64', 'Double'), 'Numeric', "
        f"{kind} = 'Bool', 'Boolean', NULL)"
    )


def definitions_sql(team_id: int) -> str:
    """ClickHouse SQL: (name, type) of every property of a team, typed by its first value with a type."""
    return (
        f"SELECT key, argMin(type, (timestamp, uuid)) FROM ("
        f"SELECT timestamp, uuid, kv.1 AS key, {detect_type_sql('kv.1', 'kv.2')} AS type "
        f"FROM events ARRAY JOIN JSONExtractKeysAndValuesRaw(properties) AS kv WHERE team_id = {int(team_id)}"
        f") WHERE isNotNull(type) GROUP BY key ORDER BY key"
    )


def parse_types(data: object, origin: str) -> dict:
    """A ``{"property": "Numeric", ...}`` mapping, checked."""
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: property types are a JSON object of property name to type")
    for name, kind in data.items():
        if kind not in TYPES:
            raise ValueError(f"{origin}: the type of {name!r} is one of {', '.join(TYPES)}, not {kind!r}")
    return dict(data)


def parse_flag(text: str) -> tuple:
    """``PROJECT`` or ``PROJECT=FILE.json`` -> (project id, given types)."""
    head, sep, path = text.partition("=")
    if not head.strip().isdigit():
        raise ValueError(f"--typed-properties expects PROJECT or PROJECT=FILE.json, got {text!r}")
    if not sep:
        return int(head), {}
    with open(path, encoding="utf-8") as handle:
        return int(head), parse_types(json.load(handle), path)


def typed_read(read_sql: str, kind: Optional[str], name: str) -> tuple:
    """(SQL, is a datetime) of a property read as PostHog's HogQL types it."""
    if name in STRING_ID_PROPERTIES or kind in (None, "String"):
        return read_sql, False
    if kind == "Numeric":
        return f"accurateCastOrNull({read_sql}, 'Float64')", False
    if kind == "Boolean":
        return f"toBool(transform(toString({read_sql}), ['true', 'false'], [1, 0], NULL))", False
    return f"parseDateTime64BestEffortOrNull({read_sql}, 6, 'UTC')", True
