"""SQL text helpers shared by the printers: PostHog's escaping of strings, identifiers and constants.

Strings use clickhouse_driver's single-quote escaping, as PostHog's printer does, so a value can
only ever be a string literal; identifiers are backquoted when they are not plain names.
"""

import math
import re
from typing import Any

COMPARE_OPS = {
    "==": "equals", "!=": "notEquals", "<": "less", ">": "greater", "<=": "lessOrEquals", ">=": "greaterOrEquals",
    "like": "like", "not like": "notLike", "ilike": "ilike", "not ilike": "notILike", "in": "in",
    "not in": "notIn", "global in": "globalIn", "global not in": "globalNotIn",
}
ARITHMETIC_OPS = {"+": "plus", "-": "minus", "*": "multiply", "/": "divide", "%": "modulo"}

_ESCAPES = {
    "\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\a": "\\a", "\v": "\\v",
    "\\": "\\\\",
}
_STRING_ESCAPES = {**_ESCAPES, "'": "\\'"}
_IDENTIFIER_ESCAPES = {**_ESCAPES, "`": "``"}
NUMBER_TEXT = re.compile(r"^-?(\d+(\.\d+)?([eE][+-]?\d+)?|Infinity|NaN|inf|nan)$")


class QueryError(Exception):
    """A HogQL query that PostHog would reject with ``hogql_query_error``."""


def escape_string(value: str) -> str:
    """PostHog's (clickhouse_driver's) single-quoted string escaping."""
    value = value.encode("utf-8", "replace").decode("utf-8")
    return "'" + "".join(_STRING_ESCAPES.get(c, c) for c in value) + "'"


def escape_hogql_identifier(name: Any) -> str:
    if isinstance(name, int):
        return str(name)
    if "%" in name:
        raise QueryError(f'The HogQL identifier "{name}" is not permitted as it contains the "%" character')
    if re.match(r"^[A-Za-z_$][A-Za-z0-9_$]*$", name):
        return name
    return "`" + "".join(_IDENTIFIER_ESCAPES.get(c, c) for c in name) + "`"


def escape_clickhouse_identifier(name: Any) -> str:
    if isinstance(name, int):
        return str(name)
    if "%" in name:
        raise QueryError(f'The HogQL identifier "{name}" is not permitted as it contains the "%" character')
    if re.match(r"^[A-Za-z_][A-Za-z0-9_$]*$", name):
        return name
    return "`" + "".join(_IDENTIFIER_ESCAPES.get(c, c) for c in name) + "`"


def print_constant(value: Any, dialect: str = "clickhouse") -> str:
    """PostHog's SQLValueEscaper for the JSON value types a query or its ``values`` can carry."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if dialect == "clickhouse":
            return "1" if value else "0"
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "-Inf" if value < 0 else "Inf"
        return str(value)
    if isinstance(value, str):
        return escape_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(print_constant(v, dialect) for v in value) + "]"
    raise QueryError(f"SQLValueEscaper has no method visit_{type(value).__name__.lower()}")
