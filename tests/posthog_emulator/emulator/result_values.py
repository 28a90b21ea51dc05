"""Turning ClickHouse's JSONCompact values (ISO datetimes) into the JSON PostHog's API returns.

PostHog gets Python values from clickhouse-driver and renders them with Django REST
framework's encoder: datetimes as ISO 8601 with ``Z`` for UTC (microseconds only when not
zero), dates as ``YYYY-MM-DD``, 64-bit integers as numbers, NaN and infinities as null.
"""

import re
from typing import Any

_DATETIME_TYPE = re.compile(r"^(Nullable\()?DateTime(64)?\b")
_ARRAY_OF_DATETIME = re.compile(r"^Array\((Nullable\()?DateTime(64)?\b")


def format_datetime(value: Any) -> Any:
    """ClickHouse's ISO output (``2026-10-23T12:00:00.000000Z``) as DRF renders a UTC datetime:
    microseconds only when not zero (``2026-10-23T12:00:00Z``)."""
    if isinstance(value, str) and value.endswith(".000000Z"):
        return value[:-8] + "Z"
    return value


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
