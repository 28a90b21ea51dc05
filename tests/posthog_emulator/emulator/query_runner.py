"""Running one HogQLQuery for a team and shaping PostHog's response, blocking or async.

Pipeline: parse with PostHog's parser -> fill ``values`` into ``{placeholders}`` -> reject OFFSET
-> print ClickHouse SQL -> execute on chdb under the execution time limit -> convert values.
Errors map to PostHog's bodies: parser errors to ``hogql_syntax_error``, printer errors to
``hogql_query_error``, ClickHouse errors PostHog exposes to their lower-case code name (for
example ``illegal_type_of_argument``), a timeout to 504, and anything else to PostHog's 500.
"""

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

from . import api_errors
from .ai_events_mode import AiEventsMode
from .event_store import EngineError, EventStore
from .hogql_parse import HogQLSyntaxError, parse_select
from .hogql_printer import print_query
from .hogql_query_rules import fill_placeholders
from .result_values import convert_rows
from .sql_text import QueryError

# ClickHouse codes PostHog shows to users (errors.py, user_safe): code -> (code_name, fixed message or None).
USER_SAFE_CLICKHOUSE_ERRORS = {
    6: ("cannot_parse_text", "Cannot parse a value as the requested type. Check your input formats and type conversions."),
    34: ("too_many_arguments_for_function", None),
    35: ("too_few_arguments_for_function", None),
    36: ("bad_arguments", None),
    38: ("cannot_parse_date", "Cannot parse a date. Check your date values and their format."),
    41: ("cannot_parse_datetime", "Cannot parse a date and time. Check your datetime values and their format."),
    42: ("number_of_arguments_doesnt_match", None),
    43: ("illegal_type_of_argument", None),
    44: ("illegal_column", None),
    46: ("unknown_function", None),
    50: ("unknown_type", None),
    53: ("type_mismatch", None),
    59: ("illegal_type_of_column_for_filter", None),
    60: ("unknown_table", None),
    63: ("unknown_aggregate_function", None),
    69: ("argument_out_of_bound", "An argument is out of bounds."),
    70: ("cannot_convert_type",
         "Cannot convert one type to another in the query. Check the types in your comparisons and IN clauses."),
    72: ("cannot_parse_number", "Cannot parse a number. Check for non-numeric values in your type conversions."),
    80: ("incorrect_query", None),
    122: ("incompatible_columns", None),
    125: ("incorrect_result_of_scalar_subquery",
          "A scalar subquery returned more than one row, or an empty result that cannot be nullable. "
          "Make sure the subquery returns a single value."),
    128: ("too_large_array_size",
          "An array has an invalid or unsupported size. Check array lengths and reduce the number of elements."),
    130: ("cannot_read_array_from_text", "Cannot parse an array. Check the format of the values converted to arrays."),
    135: ("zero_array_or_tuple_index", None),
    153: ("illegal_division", None),
    174: ("cyclic_aliases", None),
    184: ("illegal_aggregation", None),
    190: ("sizes_of_arrays_dont_match",
          "Array sizes do not match. Make sure arrays used together have the same number of elements."),
    207: ("ambiguous_identifier", None),
    211: ("empty_query", None),
    215: ("not_an_aggregate", None),
    258: ("union_all_result_structures_mismatch", "Mismatched number of columns in UNION ALL."),
    264: ("incompatible_type_of_join", None),
    321: ("value_is_out_of_range_of_data_type", None),
    349: ("cannot_insert_null_in_ordinary_column", None),
    352: ("ambiguous_column_name", None),
    353: ("index_of_positional_argument_is_out_of_range", None),
    376: ("cannot_parse_uuid", "Cannot parse a UUID. Check the format of the values converted to UUIDs."),
    377: ("illegal_syntax_for_data_type", None),
    386: ("no_common_type", None),
    395: ("function_throw_if_value_is_non_zero", None),
    403: ("invalid_join_on_expression",
          "Invalid JOIN ON expression. Check that the condition uses supported comparisons between the joined tables."),
    407: ("decimal_overflow", "Decimal overflow while executing query."),
    427: ("cannot_compile_regexp",
          "Cannot compile the regular expression. Check RE2 syntax, escaping, and the number of capturing groups."),
    440: ("invalid_limit_expression", "Invalid LIMIT or OFFSET expression. Use a constant number in the supported range."),
    467: ("cannot_parse_bool", "Cannot parse a boolean. Check for values other than true, false, 1, or 0."),
    476: ("with_ties_without_order_by", None),
}
TIMEOUT_EXCEEDED = 159
MEMORY_LIMIT_EXCEEDED = 241


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def clickhouse_error(error: EngineError) -> api_errors.ApiError:
    """PostHog's answer to a ClickHouse exception (posthog/errors.py + the query API view)."""
    if error.code == TIMEOUT_EXCEEDED:
        return api_errors.query_timeout()
    if error.code == MEMORY_LIMIT_EXCEEDED:
        return api_errors.ApiError(
            504, "server_error", "error",
            "Query has reached the max memory limit before completing. See our docs for how to improve your query "
            "memory footprint. You may need to narrow date range or materialize.",
        )
    if error.code in USER_SAFE_CLICKHOUSE_ERRORS:
        code_name, fixed = USER_SAFE_CLICKHOUSE_ERRORS[error.code]
        message = fixed or error.message.split("Stack trace:")[0].strip()
        return api_errors.validation_error(message, code=code_name)
    return api_errors.clickhouse_internal_error()


@dataclass
class HogQLRequest:
    query: str
    values: Optional[dict]
    name: Optional[str]
    refresh: str


def parse_request(body: object) -> HogQLRequest:
    """Validate the POST body like PostHog's QueryRequest model does for HogQLQuery."""
    if not isinstance(body, dict):
        raise api_errors.parse_error("JSON parse error - Expecting value: line 1 column 1 (char 0)")
    query = body.get("query")
    if not isinstance(query, dict):
        raise api_errors.validation_error("Field required", code="invalid_input", attr="query")
    if query.get("kind") != "HogQLQuery":
        raise api_errors.validation_error(
            f"The emulator only runs HogQLQuery, got kind {query.get('kind')!r}", code="invalid_input", attr="query"
        )
    text = query.get("query")
    if not isinstance(text, str):
        raise api_errors.validation_error("Input should be a valid string", code="invalid_input", attr="query__query")
    values = query.get("values")
    if values is not None and not isinstance(values, dict):
        raise api_errors.validation_error("Input should be a valid dictionary", code="invalid_input", attr="query__values")
    refresh = body.get("refresh", "blocking")
    if body.get("async") is True:
        refresh = "async"
    return HogQLRequest(text, values, body.get("name"), refresh if isinstance(refresh, str) else "blocking")


def is_async(refresh: str) -> bool:
    return refresh in ("async", "force_async", "lazy_async")


class QueryRunner:
    """Runs HogQL for a team on the event store, in a worker thread."""

    def __init__(self, store: EventStore, max_execution_time: float, ai_events: Optional[dict] = None,
                 typed_properties: Optional[dict] = None):
        self.store = store
        self.max_execution_time = max_execution_time
        # project id -> AiEventsMode (what its posthog.ai_events holds); mirror when absent
        self.ai_events = ai_events if ai_events is not None else {}
        # project id -> property types given for it, for the projects whose properties are typed
        self.typed_properties = typed_properties if typed_properties is not None else {}

    def property_types(self, team_id: int) -> Optional[dict]:
        """The types the team's property reads follow (detected, then given), or None: strings."""
        if team_id not in self.typed_properties:
            return None
        return {**self.store.property_definitions(team_id), **self.typed_properties[team_id]}

    def _canonical_names(self, meta_names: list) -> list:
        """Undo the materialized-column shortcut in ClickHouse's column names."""
        replacements = {}
        for key, hot in self.store.materialized.items():
            read = f"replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, '{key}'), ''), 'null'), '^\"|\"$', '')"
            for cast_type, column in hot.casts:
                replacements[column] = f"accurateCastOrNull({read}, '{cast_type}')"
            replacements[hot.column] = read
        names = []
        for name in meta_names:
            for column, canonical in replacements.items():
                name = name.replace(column, canonical)
            names.append(name)
        return names

    def run(self, team_id: int, request: HogQLRequest, max_execution_time: Optional[float] = None) -> dict:
        """Blocking execution; returns PostHog's HogQLQueryResponse as a dict or raises ApiError."""
        timings = []
        started = time.perf_counter()
        try:
            ast = parse_select(request.query)
        except HogQLSyntaxError as exc:
            raise api_errors.validation_error(str(exc), code="hogql_syntax_error")
        timings.append({"k": "./parse_select", "t": round(time.perf_counter() - started, 6)})
        mark = time.perf_counter()
        try:
            ast = fill_placeholders(ast, request.values)
            printed = print_query(ast, team_id, self.store.materialized, self.ai_events.get(team_id, AiEventsMode()),
                                  self.property_types(team_id))
        except QueryError as exc:
            raise api_errors.validation_error(str(exc), code="hogql_query_error")
        timings.append({"k": "./print_ast", "t": round(time.perf_counter() - mark, 6)})
        mark = time.perf_counter()
        try:
            result = self.store.execute(printed.executable, max_execution_time or self.max_execution_time)
        except EngineError as exc:
            raise clickhouse_error(exc)
        timings.append({"k": "./clickhouse_execute", "t": round(time.perf_counter() - mark, 6)})
        rows = convert_rows(result.rows, [t for _, t in result.columns_meta])
        has_more = limit = offset = None
        if printed.paginated:
            has_more = len(rows) > printed.limit
            rows = rows[: printed.limit]
            limit, offset = printed.limit, 0
        timings.append({"k": ".", "t": round(time.perf_counter() - started, 6)})
        names = self._canonical_names([n for n, _ in result.columns_meta])
        now = _now()
        cache_key = "cache_" + hashlib.sha256(
            json.dumps([team_id, request.query, request.values], sort_keys=True, default=str).encode()
        ).hexdigest()[:32]
        return {
            "cache_key": cache_key,
            "cache_target_age": None,
            "calculation_trigger": None,
            "clickhouse": printed.clickhouse,
            "columns": printed.columns,
            "error": None,
            "explain": None,
            "hasMore": has_more,
            "hogql": printed.hogql,
            "is_cached": False,
            "last_refresh": _iso(now),
            "limit": limit,
            "metadata": None,
            "modifiers": None,
            "next_allowed_client_refresh": _iso(now + timedelta(minutes=3)),
            "offset": offset,
            "query": request.query,
            "query_status": None,
            "resolved_date_range": None,
            "results": rows,
            "timezone": "UTC",
            "timings": timings,
            "types": [[name, ch_type] for name, (_, ch_type) in zip(names, result.columns_meta)],
        }


@dataclass
class AsyncQuery:
    id: str
    team_id: int
    start_time: datetime
    complete: bool = False
    error: bool = False
    error_message: Optional[str] = None
    error_status: int = 400
    results: Optional[dict] = None
    end_time: Optional[datetime] = None
    task: Optional[asyncio.Task] = field(default=None, repr=False)

    def status(self) -> dict:
        """PostHog's QueryStatus model."""
        return {
            "complete": self.complete,
            "dashboard_id": None,
            "end_time": _iso(self.end_time) if self.end_time else None,
            "error": self.error,
            "error_message": self.error_message,
            "expiration_time": _iso(self.end_time + timedelta(minutes=20)) if self.end_time else None,
            "id": self.id,
            "insight_id": None,
            "labels": None,
            "pickup_time": _iso(self.start_time),
            "query_async": True,
            "query_progress": None,
            "results": self.results,
            "start_time": _iso(self.start_time),
            "task_id": None,
            "team_id": self.team_id,
        }


class AsyncQueries:
    """Async queries by id; a cancelled query is forgotten, like PostHog deletes its status."""

    def __init__(self):
        self.queries: dict = {}

    def create(self, team_id: int) -> AsyncQuery:
        query = AsyncQuery(uuid.uuid4().hex, team_id, _now())
        self.queries[query.id] = query
        return query

    def get(self, team_id: int, query_id: str) -> Optional[AsyncQuery]:
        query = self.queries.get(query_id)
        return query if query is not None and query.team_id == team_id else None

    def cancel(self, team_id: int, query_id: str) -> str:
        query = self.get(team_id, query_id)
        if query is not None and query.complete:
            return "Query already complete"
        if query is not None:
            if query.task is not None:
                query.task.cancel()
            del self.queries[query_id]
        return "Query task revoked"
