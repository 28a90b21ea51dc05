"""Turning ClickHouse's JSONCompact values into the JSON PostHog's API returns.

PostHog gets Python values from clickhouse-driver and renders them with Django REST
framework's encoder: datetimes as ISO 8601 with ``Z`` for UTC (microseconds only when not
zero), dates as ``YYYY-MM-DD``, 64-bit integers as numbers, NaN and infinities as null.
"""

import re
from typing import Any

_DATETIME_TYPE = re.compile(r"^(Nullable\()?DateTime(64)?\b")
_ARRAY_OF_DATETIME = re.compile(r"^Array\((Nullable\()?DateTime(64)?\b")


def format_datetime(value: Any) -> Any:
    """``2026-10-23 12:00:00.000000`` -> ``2026-10-23T12:00:00Z`` (DRF's rendering of a UTC datetime)."""
    if not isinstance(value, str) or len(value) < 19:
        return value
    date_part, _, time_part = value.partition(" ")
    if not time_part:
        return value
    seconds, _, fraction = time_part.partition(".")
    fraction = fraction.rstrip()
    if fraction and int(fraction) != 0:
        fraction = (fraction + "000000")[:6]
        return f"{date_part}T{seconds}.{fraction}Z"
    return f"{date_part}T{seconds}Z"


def convert_rows(rows: list, column_types: list) -> list:
    """Convert datetime columns (and arrays of them) in place and return the rows."""
    converters = []
    for index, ch_type in enumerate(column_types):
        if _DATETIME_TYPE.match(ch_type):
            converters.append((index, format_datetime))
        elif _ARRAY_OF_DATETIME.match(ch_type):
            converters.append((index, lambda values: [format_datetime(v) for v in values] if isinstance(values, list) else values))
    if not converters:
        return rows
    for row in rows:
        for index, convert in converters:
            row[index] = convert(row[index])
    return rows
