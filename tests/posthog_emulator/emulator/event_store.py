"""The events table in an in-process ClickHouse (chdb), bulk loading and query execution.

Events are stored with PostHog's columns (``uuid``, ``event``, ``distinct_id``,
``timestamp DateTime64(6, 'UTC')``, ``properties`` as a JSON string, ...) plus ``team_id``.
A few hot ``$ai_*`` properties also live in ``mat_*`` columns that hold exactly the value of
PostHog's property read, ``replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, k), ''),
'null'), '^"|"$', '')``, so aggregates over a million generations stay fast without changing any
result. They are filled at insert from one parse of the properties per row
(``JSONExtractKeysAndValuesRaw``, which yields the same raw text as ``JSONExtractRaw``).

Like PostHog's, the table is a ReplacingMergeTree ordered by (team, day, event, distinct id,
uuid): copies of an event (same uuid, distinct id, event and day) collapse into one row, the one
inserted last. PostHog collapses them at background merges, so queries may count copies until
then; the emulator models the merged state: each load ends with a merge when it stored copies.

Loading goes through JSONEachRow files and ``INSERT ... SELECT FROM file()``, never row by row:
Python checks and enriches the lines in chunks while ClickHouse inserts the previous chunk.
"""

import json
import os
import re
import tempfile
import threading
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterable, Optional

import chdb.session
import orjson

from .ingestion_enrichment import enrich_file_range, enrich_line
from .property_types import definitions_sql

# Properties the product aggregates on; each gets a materialized column named mat_<key>.
HOT_PROPERTIES = (
    "$ai_trace_id", "$ai_span_id", "$ai_parent_id", "$ai_span_name", "$ai_model", "$ai_provider",
    "$ai_input_tokens", "$ai_output_tokens", "$ai_cache_read_input_tokens", "$ai_cache_creation_input_tokens",
    "$ai_reasoning_tokens", "$ai_input_cost_usd", "$ai_output_cost_usd", "$ai_total_cost_usd", "$ai_latency",
    "$ai_time_to_first_token", "$ai_is_error", "$ai_http_status", "$ai_stop_reason", "$ai_max_tokens",
    "$ai_session_id", "$ai_error",
)

CHUNK_LINES = 200_000
CHUNK_BYTES = 128 * 1024 * 1024
# Numeric hot properties also get typed columns holding ``accurateCastOrNull(value, type)``,
# exactly what HogQL's toFloat/toInt print, so casts are not re-parsed from text on every query.
HOT_CASTS = {
    "$ai_input_tokens": ("Int64", "Float64"), "$ai_output_tokens": ("Int64", "Float64"),
    "$ai_cache_read_input_tokens": ("Int64", "Float64"), "$ai_cache_creation_input_tokens": ("Int64", "Float64"),
    "$ai_reasoning_tokens": ("Int64",), "$ai_input_cost_usd": ("Float64",), "$ai_output_cost_usd": ("Float64",),
    "$ai_total_cost_usd": ("Float64",), "$ai_latency": ("Float64",), "$ai_time_to_first_token": ("Float64",),
    "$ai_http_status": ("Int64",), "$ai_max_tokens": ("Int64",),
}
CAST_PREFIX = {"Float64": "matf_", "Int64": "mati_"}

_CLICKHOUSE_ERROR = re.compile(r"Code: (\d+)\. (?:DB::Exception: )?(.*)", re.S)
_FILE_COLUMNS = "uuid String, event String, distinct_id String, timestamp String, properties String"


class EngineError(Exception):
    """ClickHouse rejected or aborted a query; carries ClickHouse's numeric code and message."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class LoadError(Exception):
    """An events file could not be loaded."""


@dataclass
class QueryResult:
    columns_meta: list  # [(clickhouse name, clickhouse type)]
    rows: list


def _line_aligned_ranges(path: str, chunk_bytes: int) -> list:
    """Split a file into byte ranges of about ``chunk_bytes`` that start and end at line breaks."""
    size = os.path.getsize(path)
    ranges, start = [], 0
    with open(path, "rb") as handle:
        while start < size:
            handle.seek(min(start + chunk_bytes, size))
            handle.readline()
            end = min(handle.tell(), size)
            ranges.append((start, end))
            start = end
    return ranges


def _hot_property_sql(key: str) -> str:
    """PostHog's property read for ``key``, computed from the row's parsed map of raw values.

    ``m[key]`` is the raw JSON text (or '' when absent), like ``JSONExtractRaw``; the outer
    quotes are stripped without a regular expression, with the same result as
    ``replaceRegexpAll(..., '^"|"$', '')``.
    """
    quoted = "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raw = f"nullIf(nullIf(m[{quoted}], ''), 'null')"
    head = f"if(startsWith({raw}, '\"'), substring({raw}, 2), {raw})"
    return f"if(endsWith({head}, '\"'), substring({head}, 1, length({head}) - 1), {head})"


def _json_or_null(key: str) -> str:
    return f"nullIf(JSONExtractRaw(properties, '{key}'), '')"


# PostHog's `posthog.ai_events` table (typed columns of LLM events), derived here from `events`.
AI_EVENTS_VIEW_COLUMNS = ", ".join([
    "uuid", "event", "timestamp", "team_id", "distinct_id", "properties", "30 AS retention_days",
    "ifNull(`mat_$ai_trace_id`, '') AS trace_id", "`mat_$ai_session_id` AS session_id",
    "`mat_$ai_parent_id` AS parent_id", "`mat_$ai_span_id` AS span_id",
    "multiIf(event = '$ai_generation', 'generation', event = '$ai_embedding', 'embedding', "
    "event = '$ai_span', 'span', event = '$ai_trace', 'trace', NULL) AS span_type",
    "if(event = '$ai_generation', toString(uuid), NULL) AS generation_id",
    "`mat_$ai_span_name` AS span_name",
    "if(event = '$ai_trace', `mat_$ai_span_name`, NULL) AS trace_name",
    "`mat_$ai_model` AS model", "`mat_$ai_provider` AS provider",
    "JSONExtract(properties, '$ai_framework', 'Nullable(String)') AS framework",
    "`mati_$ai_input_tokens` AS input_tokens", "`mati_$ai_output_tokens` AS output_tokens",
    "`mati_$ai_input_tokens` + `mati_$ai_output_tokens` AS total_tokens",
    "`mati_$ai_reasoning_tokens` AS reasoning_tokens",
    "`mati_$ai_cache_read_input_tokens` AS cache_read_input_tokens",
    "`mati_$ai_cache_creation_input_tokens` AS cache_creation_input_tokens",
    "`matf_$ai_input_cost_usd` AS input_cost_usd", "`matf_$ai_output_cost_usd` AS output_cost_usd",
    "`matf_$ai_total_cost_usd` AS total_cost_usd",
    "JSONExtract(properties, '$ai_request_cost_usd', 'Nullable(Float64)') AS request_cost_usd",
    "JSONExtract(properties, '$ai_web_search_cost_usd', 'Nullable(Float64)') AS web_search_cost_usd",
    "`matf_$ai_latency` AS latency", "`matf_$ai_time_to_first_token` AS time_to_first_token",
    "ifNull(`mat_$ai_is_error` = 'true', false) AS is_error", "`mat_$ai_error` AS error",
    "JSONExtract(properties, '$ai_error_normalized', 'Nullable(String)') AS error_normalized",
    f"{_json_or_null('$ai_input')} AS input", f"{_json_or_null('$ai_output')} AS output",
    f"{_json_or_null('$ai_output_choices')} AS output_choices",
    f"{_json_or_null('$ai_input_state')} AS input_state", f"{_json_or_null('$ai_output_state')} AS output_state",
    f"{_json_or_null('$ai_tools')} AS tools",
])


@dataclass(frozen=True)
class HotProperty:
    """Where a hot property's read (and its casts) are stored."""

    key: str
    column: str
    casts: tuple  # ((ClickHouse type, column), ...)


def materialized_column(key: str) -> str:
    return f"mat_{key}"


def hot_properties() -> dict:
    return {
        key: HotProperty(key, materialized_column(key),
                         tuple((t, CAST_PREFIX[t] + key) for t in HOT_CASTS.get(key, ())))
        for key in HOT_PROPERTIES
    }


class EventStore:
    """One chdb session holding the events of every team."""

    def __init__(self, data_dir: Optional[str] = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="posthog-emulator-") if data_dir is None else None
        self.data_dir = data_dir or self._tmp.name
        self._session = chdb.session.Session(os.path.join(self.data_dir, "chdb"))
        self._lock = threading.Lock()
        # bumped whenever events change, so cached property definitions are recomputed
        self._version = 0
        self._definitions: dict = {}  # team id -> (version, {name: type})
        self._create_table()

    @property
    def materialized(self) -> dict:
        return hot_properties()

    def _create_table(self) -> None:
        mat_columns = ",\n".join(
            [f"`{p.column}` Nullable(String)" for p in hot_properties().values()]
            + [f"`{column}` Nullable({t})" for p in hot_properties().values() for t, column in p.casts]
        )
        self._session.query(
            f"""
            CREATE TABLE IF NOT EXISTS events (
                uuid UUID,
                event String,
                properties String,
                timestamp DateTime64(6, 'UTC'),
                team_id Int64,
                distinct_id String,
                elements_chain String,
                created_at DateTime64(6, 'UTC'),
                `$session_id` Nullable(String),
                `$window_id` Nullable(String),
                {mat_columns}
            ) ENGINE = ReplacingMergeTree
            ORDER BY (team_id, toDate(timestamp), event, cityHash64(distinct_id), cityHash64(uuid))
            SAMPLE BY cityHash64(distinct_id)
            """
        )

        self._session.query(f"CREATE VIEW IF NOT EXISTS ai_events AS SELECT {AI_EVENTS_VIEW_COLUMNS} FROM events "
                            "WHERE startsWith(event, '$ai_')")

    # ---- loading -------------------------------------------------------------------------------

    def load_jsonl_file(self, path: str, team_id: int) -> int:
        """Load a JSONL events file (enriching events that lack costs); returns the number of events.

        A worker process checks and enriches byte ranges of the file into chunk files while this
        process inserts the previous chunk (chdb holds the interpreter lock while it works).
        """
        if not os.path.exists(path):
            raise LoadError(f"events file not found: {path}")
        ranges = _line_aligned_ranges(path, CHUNK_BYTES)
        count = 0
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as workers:
            futures = []
            for index, (start, end) in enumerate(ranges):
                staged = os.path.join(self.data_dir, f"chunk-{os.getpid()}-{index}.jsonl")
                futures.append((workers.submit(enrich_file_range, path, start, end, staged), staged))
            try:
                for future, staged in futures:
                    try:
                        written, error = future.result()
                        if error:
                            raise LoadError(f"{path}: {error}")
                        if written:
                            self._insert_file(staged, team_id)
                        count += written
                    finally:
                        if os.path.exists(staged):
                            os.unlink(staged)
            finally:
                for future, staged in futures:
                    future.cancel()
                for future, staged in futures:
                    if not future.cancelled():
                        try:
                            future.result()
                        except Exception:  # already reported through the first failure
                            pass
                    if os.path.exists(staged):
                        os.unlink(staged)
        self._merge_copies()
        return count

    def insert_events(self, events: Iterable[dict], team_id: int) -> int:
        """Insert already-normalised events (dicts in the JSONL shape)."""
        lines = (json.dumps(e, ensure_ascii=False).encode("utf-8") for e in events)
        return self.load_lines(lines, team_id, origin="capture")

    def load_lines(self, lines: Iterable[bytes], team_id: int, origin: str) -> int:
        """Stage JSONL lines (checked and enriched) in chunk files and bulk-insert them for one team.

        While ClickHouse inserts one chunk, the next is prepared, so both cores work.
        """
        count = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="insert") as inserter:
            pending = None
            chunk = iter(lines)
            number = 0
            while True:
                fd, staged = tempfile.mkstemp(suffix=".jsonl", dir=self.data_dir)
                written = 0
                try:
                    with os.fdopen(fd, "wb") as out:
                        for line in chunk:
                            number += 1
                            line = line.strip()
                            if not line:
                                continue
                            try:
                                out.write(enrich_line(line))
                            except ValueError as exc:
                                raise LoadError(f"{origin}:{number}: {exc}") from exc
                            out.write(b"\n")
                            written += 1
                            if written >= CHUNK_LINES:
                                break
                except BaseException:
                    os.unlink(staged)
                    if pending is not None:
                        pending.result()
                    raise
                if pending is not None:
                    pending.result()
                if not written:
                    os.unlink(staged)
                    break
                pending = inserter.submit(self._insert_and_remove, staged, team_id)
                count += written
            if pending is not None:
                pending.result()
        self._merge_copies()
        return count

    def _merge_copies(self) -> None:
        """Collapse copies of an event now, as PostHog's merges eventually do (see the module doc).

        Counted loads report the lines read, copies included, as PostHog's capture accepts them."""
        copies = self.execute(
            "SELECT count() FROM (SELECT 1 FROM events GROUP BY team_id, toDate(timestamp), event, "
            "cityHash64(distinct_id), cityHash64(uuid) HAVING count() > 1 LIMIT 1)", 600)
        if copies.rows and int(copies.rows[0][0]) > 0:
            with self._lock:
                self._session.query("OPTIMIZE TABLE events FINAL")

    def _insert_and_remove(self, path: str, team_id: int) -> None:
        try:
            self._insert_file(path, team_id)
        finally:
            os.unlink(path)

    def _insert_file(self, path: str, team_id: int) -> None:
        quoted_path = "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"
        hot = hot_properties().values()
        mat_names = [f"`{p.column}`" for p in hot]
        cast_names = [f"`{column}`" for p in hot for _, column in p.casts]
        mat_values = ", ".join(f"{_hot_property_sql(p.key)} AS `{p.column}`" for p in hot)
        cast_values = ", ".join(f"accurateCastOrNull(`{p.column}`, '{t}')" for p in hot for t, _ in p.casts)
        sql = f"""
            INSERT INTO events (uuid, event, properties, timestamp, team_id, distinct_id, elements_chain,
                                created_at, `$session_id`, `$window_id`, {", ".join(mat_names + cast_names)})
            SELECT uuid, event, properties, timestamp, team_id, distinct_id, '', created_at,
                   session_id, window_id, {", ".join(mat_names)}, {cast_values}
            FROM (
                SELECT toUUIDOrZero(uuid) AS uuid, event, properties,
                       parseDateTime64BestEffort(timestamp, 6, 'UTC') AS timestamp, {int(team_id)} AS team_id,
                       distinct_id, now64(6, 'UTC') AS created_at,
                       JSONExtract(m['$session_id'], 'Nullable(String)') AS session_id,
                       JSONExtract(m['$window_id'], 'Nullable(String)') AS window_id,
                       {mat_values}
                FROM (
                    SELECT *, CAST(JSONExtractKeysAndValuesRaw(properties), 'Map(String, String)') AS m
                    FROM file({quoted_path}, 'JSONEachRow', '{_FILE_COLUMNS}')
                )
            )
            SETTINGS input_format_json_read_objects_as_strings = 1, input_format_allow_errors_num = 0,
                     max_insert_threads = 2
        """
        with self._lock:
            self._version += 1
            try:
                self._session.query(sql)
            except Exception as exc:  # chdb raises its own error type with ClickHouse's text
                self._drain_output()
                raise LoadError(str(exc)) from exc

    # ---- queries -------------------------------------------------------------------------------

    def execute(self, sql: str, max_execution_time: float) -> QueryResult:
        """Run a read-only query; raises EngineError with ClickHouse's code on failure."""
        settings = (
            f" SETTINGS readonly = 2, max_execution_time = {max_execution_time:g},"
            " timeout_overflow_mode = 'throw', output_format_json_quote_64bit_integers = 0,"
            " output_format_json_quote_denormals = 0, output_format_json_quote_decimals = 0,"
            " join_use_nulls = 1, max_result_rows = 100000, date_time_output_format = 'iso',"
            " compile_aggregate_expressions = 1, min_count_to_compile_aggregate_expression = 0"
        )
        with self._lock:
            try:
                raw = self._session.query(sql + settings, "JSONCompact").bytes()
            except Exception as exc:
                self._drain_output()
                match = _CLICKHOUSE_ERROR.search(str(exc))
                if match:
                    raise EngineError(int(match.group(1)), match.group(2).strip()) from exc
                raise EngineError(1001, str(exc)) from exc
        if not raw:
            return QueryResult([], [])
        payload = orjson.loads(raw)
        meta = [(m["name"], m["type"]) for m in payload.get("meta", [])]
        return QueryResult(meta, payload.get("data", []))

    def _drain_output(self) -> None:
        """chdb keeps the partial output of a failed query and prepends it to the next result;
        one throwaway query takes it out."""
        try:
            self._session.query("SELECT 1", "JSONCompact").bytes()
        except Exception:  # nothing more to do if even that fails; the next query reports it
            pass

    def count_events(self) -> dict:
        result = self.execute("SELECT team_id, count() FROM events GROUP BY team_id ORDER BY team_id", 30)
        return {int(team): int(n) for team, n in result.rows}

    def truncate(self) -> None:
        with self._lock:
            self._version += 1
            self._session.query("TRUNCATE TABLE events")

    def property_definitions(self, team_id: int) -> dict:
        """The team's event property types as PostHog's ingestion detects them (``property_types``)."""
        version = self._version
        cached = self._definitions.get(team_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = self.execute(definitions_sql(team_id), 600).rows
        definitions = {name: kind for name, kind in rows}
        self._definitions[team_id] = (version, definitions)
        return definitions

    def close(self) -> None:
        self._session.close()
        if self._tmp is not None:
            self._tmp.cleanup()
