"""PostHog's list of HogQL functions and aggregations, loaded from ``data/hogql_functions.json``.

The JSON holds names, ClickHouse names and arities transcribed from PostHog's
``posthog/hogql/functions`` package. A function missing there is an error in HogQL, whatever
ClickHouse itself supports.
"""

import json
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Optional

DATA_FILE = Path(__file__).parent / "data" / "hogql_functions.json"

COMPARISON_FUNCTIONS = {
    "equals": "==",
    "notEquals": "!=",
    "less": "<",
    "greater": ">",
    "lessOrEquals": "<=",
    "greaterOrEquals": ">=",
    "like": "like",
    "ilike": "ilike",
    "notLike": "not like",
    "notILike": "not ilike",
    "in": "in",
    "notIn": "not in",
}


@dataclass(frozen=True)
class FunctionMeta:
    name: str
    clickhouse_name: Optional[str]
    min_args: int
    max_args: Optional[int]
    min_params: int
    max_params: Optional[int]
    aggregate: bool
    case_insensitive: bool
    tz_aware: bool
    suffix_args: tuple
    template: Optional[str]
    positional: bool
    datetime_overload: Optional[str]
    parametric_first_arg: bool


def _meta(name: str, raw: dict, aggregate: bool) -> FunctionMeta:
    params = raw.get("params", [0, 0])
    return FunctionMeta(
        name=name,
        clickhouse_name=raw.get("ch"),
        min_args=raw["args"][0],
        max_args=raw["args"][1],
        min_params=params[0],
        max_params=params[1],
        aggregate=aggregate,
        case_insensitive=raw.get("case_insensitive", False),
        tz_aware=raw.get("tz_aware", False),
        suffix_args=tuple(raw.get("suffix_args", ())),
        template=raw.get("template"),
        positional=raw.get("positional", False),
        datetime_overload=raw.get("datetime_overload"),
        parametric_first_arg=raw.get("parametric_first_arg", False),
    )


class FunctionRegistry:
    """Looks names up the way PostHog does: exact name first, then lower-case for case-insensitive ones."""

    def __init__(self, data: dict):
        self.functions = {n: _meta(n, m, False) for n, m in data["functions"].items()}
        self.aggregations = {n: _meta(n, m, True) for n, m in data["aggregations"].items()}
        self.parametric_allowed = frozenset(data["parametric_first_arg_allowed"])
        self.first_arg_datetime = frozenset(data["first_arg_datetime"])
        self.add_or_null_datetime = frozenset(data["add_or_null_datetime"])
        self.exposed_names = [n for n in [*self.functions, *self.aggregations] if not n.startswith("_")]

    @staticmethod
    def _find(name: str, table: dict) -> Optional[FunctionMeta]:
        meta = table.get(name)
        if meta is not None:
            return meta
        meta = table.get(name.lower())
        if meta is None or not meta.case_insensitive:
            return None
        return meta

    def aggregation(self, name: str) -> Optional[FunctionMeta]:
        return self._find(name, self.aggregations)

    def function(self, name: str) -> Optional[FunctionMeta]:
        return self._find(name, self.functions)

    def unsupported_message(self, name: str) -> str:
        close = get_close_matches(name, self.exposed_names, 1)
        if close:
            return f"Unsupported function call '{name}(...)'. Perhaps you meant '{close[0]}(...)'?"
        return f"Unsupported function call '{name}(...)'"


@lru_cache(maxsize=1)
def registry() -> FunctionRegistry:
    return FunctionRegistry(json.loads(DATA_FILE.read_text()))


def arity_error(args_count: int, min_n: int, max_n: Optional[int], name: str, term: str, arg_term: str) -> Optional[str]:
    """PostHog's message for a wrong number of arguments or parameters, or None when it fits."""
    too_few = args_count < min_n
    too_many = max_n is not None and args_count > max_n
    plural = lambda n: "s" if n != 1 else ""  # noqa: E731
    if min_n == max_n and (too_few or too_many):
        return f"{term.capitalize()} '{name}' expects {min_n} {arg_term}{plural(min_n)}, found {args_count}"
    if too_few:
        return f"{term.capitalize()} '{name}' expects at least {min_n} {arg_term}{plural(min_n)}, found {args_count}"
    if too_many:
        return f"{term.capitalize()} '{name}' expects at most {max_n} {arg_term}{plural(max_n)}, found {args_count}"
    return None
