"""Printing ClickHouse SQL from the parser's JSON AST, the way PostHog's HogQL printer does.

The printer follows PostHog's HogQL printer where it matters for results:

* property reads print as
  ``replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(properties, '$x'), ''), 'null'), '^"|"$', '')``,
  so properties are nullable strings and uncast arithmetic fails as it does on PostHog;
* functions map to the ClickHouse names of PostHog's function list (``toFloat`` is
  ``accurateCastOrNull(x, 'Float64')``) and anything outside that list is rejected;
* ``=`` and ``!=`` on nullable operands wrap in ``ifNull`` exactly as PostHog does;
* ``timestamp`` reads as ``toTimeZone(events.timestamp, 'UTC')``; every events table gets a
  ``team_id`` guard;
* with the project's property definitions (typed-properties mode), ``properties.$x`` of
  ``events`` is read by its type as PostHog's ``PropertySwapper`` does (``property_types``);
* constants, including the filled ``{placeholders}``, are escaped with PostHog's escaping rules,
  so values are always data.

Queries the emulator does not model (person joins, cohorts, lazy tables) fail with a
``QueryError`` naming what is missing, rather than running something different.
"""

import re
from dataclasses import dataclass, field
from typing import Optional

from .ai_events_mode import AI_LARGE_PROPERTIES, AiEventsMode
from .hogql_functions import COMPARISON_FUNCTIONS, FunctionMeta, arity_error, registry
from .hogql_query_rules import reject_offset
from .hogql_tables import AI_EVENTS_COLUMNS, AI_EVENTS_JSON_COLUMNS, EVENTS_COLUMNS, EVENTS_DATETIME_COLUMNS
from .hogql_text_printer import HogQLPrinter
from .property_types import STRING_INPUT_CONVERSIONS, typed_read
from .sql_text import (
    ARITHMETIC_OPS,
    COMPARE_OPS,
    NUMBER_TEXT,
    QueryError,
    escape_clickhouse_identifier,
    escape_string,
    print_constant,
)

DEFAULT_RETURNED_ROWS = 100
MAX_SELECT_RETURNED_ROWS = 50000
TIMEZONE = "UTC"

DATETIME_FUNCTIONS = {
    "now", "current_timestamp", "toDateTime", "toDateTime64", "toDateTimeUS", "parseDateTime",
    "parseDateTimeBestEffort", "toTimeZone", "timezone", "toStartOfDay", "toStartOfHour", "toStartOfMinute",
    "toStartOfSecond", "toStartOfFiveMinutes", "toStartOfTenMinutes", "toStartOfFifteenMinutes",
    "toStartOfInterval", "toStartOfWeek", "toStartOfMonth", "toStartOfQuarter", "toStartOfYear",
    "toStartOfISOYear", "toMonday", "toDate", "to_date", "today", "yesterday", "current_date", "dateTrunc",
    "date_trunc", "date_bin", "date_add", "date_subtract", "dateAdd", "dateSub", "fromUnixTimestamp",
    "fromUnixTimestamp64Milli", "to_timestamp", "toLastDayOfMonth", "toLastDayOfWeek", "timeSlot",
    "make_timestamp", "make_date", "UUIDv7ToDateTime",
}
# Functions whose result has the type of their first argument.
FIRST_ARG_TYPED_FUNCTIONS = {
    "min", "max", "any", "anyLast", "argMin", "argMax", "minIf", "maxIf", "anyIf", "argMinIf", "argMaxIf",
    "coalesce", "ifnull", "ifNull", "assumeNotNull", "toNullable", "addYears", "addMonths", "addWeeks", "addDays",
    "addHours", "addMinutes", "addSeconds", "addQuarters", "subtractYears", "subtractMonths", "subtractWeeks",
    "subtractDays", "subtractHours", "subtractMinutes", "subtractSeconds", "subtractQuarters",
}

@dataclass
class Printed:
    """A printed expression with the little type knowledge the printer needs."""

    sql: str
    nullable: bool = True
    datetime: bool = False
    json_properties: bool = False  # a ``properties`` column: fields below it are property reads


@dataclass
class TableInScope:
    """A table, subquery or table function in a FROM/JOIN clause."""

    kind: str  # "events", "subquery", "numbers"
    ref: str  # the name fields are qualified with (alias or table name)
    alias: Optional[str]
    columns: dict = field(default_factory=dict)  # name -> Printed-like info for subqueries


@dataclass
class SelectScope:
    tables: list = field(default_factory=list)
    aliases: dict = field(default_factory=dict)  # alias -> Printed info
    ctes: dict = field(default_factory=dict)  # name -> ("subquery", columns) | ("column", Printed)


@dataclass
class PrintedQuery:
    clickhouse: str
    executable: str
    hogql: str
    columns: list
    paginated: bool
    limit: int


class ClickHousePrinter:
    """Prints one HogQL SELECT (or UNION) as ClickHouse SQL for one team."""

    def __init__(self, team_id: int, materialized: Optional[dict] = None, ai_events: AiEventsMode = AiEventsMode(),
                 property_types: Optional[dict] = None):
        self.team_id = team_id
        self.ai_events = ai_events
        # property name -> PostHog type, when the project's properties are typed; None reads strings
        self.property_types = property_types
        # inside toFloatOrZero(...) and the like, whose argument PostHog leaves a string
        self.untyped_argument = False
        self.materialized = materialized or {}
        self.functions = registry()
        self.scopes: list[SelectScope] = []
        self.lambda_args: list[set] = []
        self.aggregation_stack: list[str] = []
        self.join_constraint_depth = 0
        # canonical SQL of a property read (or of its toFloat/toInt) -> column holding exactly that value
        self.substitutions: dict[str, str] = {}
        self._last_columns: list = []
        self._last_column_info: dict = {}

    # ---- selects -------------------------------------------------------------------------------

    def print_top(self, node: dict, paginate_limit: Optional[int]) -> tuple[str, list]:
        """Print the outermost query; returns the SQL and the output column names."""
        if node["node"] == "SelectSetQuery":
            parts = [self.print_select(node["initial_select_query"], top_level=True)[0]]
            columns = self._last_columns
            for sub in node.get("subsequent_select_queries") or []:
                parts.append(sub["set_operator"])
                parts.append(self.print_select(sub["select_query"], top_level=True)[0])
            return " ".join(parts), columns
        sql, columns = self.print_select(node, top_level=True, paginate_limit=paginate_limit)
        return sql, columns

    def print_subquery(self, node: dict) -> tuple[str, dict]:
        """Print a nested SELECT or UNION in parentheses; returns its column info."""
        if node["node"] == "SelectSetQuery":
            sql, cols = self.print_select(node["initial_select_query"])
            parts = [sql]
            for sub in node.get("subsequent_select_queries") or []:
                parts.append(sub["set_operator"])
                parts.append(self.print_select(sub["select_query"])[0])
            return "(" + " ".join(parts) + ")", self._last_column_info
        sql, _ = self.print_select(node)
        return f"({sql})", self._last_column_info

    def print_select(self, node: dict, top_level: bool = False, paginate_limit: Optional[int] = None):
        if node.get("node") == "SelectSetQuery":
            sql, info = self.print_subquery(node)
            return sql, list(info)
        scope = SelectScope()
        if self.scopes:
            scope.ctes = dict(self.scopes[-1].ctes)
        self.scopes.append(scope)
        try:
            return self._print_select_body(node, scope, top_level, paginate_limit)
        finally:
            self.scopes.pop()

    def _print_select_body(self, node, scope, top_level, paginate_limit):
        with_parts = []
        for cte in node.get("ctes") or []:
            with_parts.append(self._print_cte(cte, scope))

        joins, guards = [], []
        join = node.get("select_from")
        while join is not None:
            joins.append(self._print_join(join, scope, guards))
            join = join.get("next_join")

        columns, column_info, select_parts = [], {}, []
        for expr in node.get("select") or [{"node": "Constant", "value": 1}]:
            for name, printed, info in self._print_select_item(expr, scope):
                select_parts.append(printed)
                columns.append(name)
                column_info[name] = info
        self._last_columns = columns
        self._last_column_info = column_info

        where = node.get("where")
        where_sql = self.visit(where).sql if where is not None else None
        guard_sql = [g for g in guards if g]
        if guard_sql:
            conditions = guard_sql + ([where_sql] if where_sql else [])
            where_sql = conditions[0] if len(conditions) == 1 else f"and({', '.join(conditions)})"

        clauses = []
        if with_parts:
            clauses.append("WITH " + ", ".join(with_parts))
        clauses.append("SELECT " + ("DISTINCT " if node.get("distinct") else "") + ", ".join(select_parts))
        if joins:
            clauses.append("FROM " + " ".join(joins))
        for array_join in [node.get("array_join_op")]:
            if array_join:
                items = ", ".join(self.visit(e).sql for e in node.get("array_join_list") or [])
                clauses.append(f"{array_join} {items}")
        if node.get("prewhere") is not None:
            clauses.append("PREWHERE " + self.visit(node["prewhere"]).sql)
        if where_sql:
            clauses.append("WHERE " + where_sql)
        if node.get("group_by"):
            clauses.append("GROUP BY " + ", ".join(self.visit(e).sql for e in node["group_by"]))
        if node.get("having") is not None:
            clauses.append("HAVING " + self.visit(node["having"]).sql)
        if node.get("window_exprs"):
            windows = ", ".join(
                f"{escape_clickhouse_identifier(name)} AS ({self._print_window_expr(expr)})"
                for name, expr in node["window_exprs"].items()
            )
            clauses.append("WINDOW " + windows)
        if node.get("order_by"):
            clauses.append("ORDER BY " + ", ".join(self.visit(e).sql for e in node["order_by"]))
        limit_by = node.get("limit_by")
        if limit_by:
            exprs = ", ".join(self.visit(e).sql for e in limit_by["exprs"])
            clauses.append(f"LIMIT {self.visit(limit_by['n']).sql} BY {exprs}")

        limit = node.get("limit")
        if top_level:
            if limit is None:
                limit_sql = str(paginate_limit if paginate_limit is not None else MAX_SELECT_RETURNED_ROWS)
            elif limit.get("node") == "Constant" and isinstance(limit.get("value"), int):
                limit_sql = str(min(limit["value"], MAX_SELECT_RETURNED_ROWS))
            else:
                limit_sql = f"min2({MAX_SELECT_RETURNED_ROWS}, {self.visit(limit).sql})"
            clauses.append(f"LIMIT {limit_sql}")
        elif limit is not None:
            clauses.append(f"LIMIT {self.visit(limit).sql}")
        if node.get("limit_with_ties"):
            clauses.append("WITH TIES")
        return " ".join(clauses), columns

    def _print_cte(self, cte: dict, scope: SelectScope) -> str:
        name = cte["name"]
        if cte.get("cte_type") == "column":
            printed = self.visit(cte["expr"])
            scope.ctes[name] = ("column", printed)
            return f"{printed.sql} AS {escape_clickhouse_identifier(name)}"
        sql, info = self.print_subquery(cte["expr"])
        scope.ctes[name] = ("subquery", info)
        return f"{escape_clickhouse_identifier(name)} AS {sql}"

    def _print_join(self, join: dict, scope: SelectScope, guards: list) -> str:
        table = join["table"]
        alias = join.get("alias")
        parts = [join["join_type"]] if join.get("join_type") else []
        guard = None
        if table["node"] == "Field":
            chain = table["chain"]
            name = ".".join(str(c) for c in chain)
            if join.get("table_final"):
                raise QueryError("The FINAL keyword is not supported in HogQL as it causes slow queries")
            if chain == ["events"]:
                if join.get("table_args") is not None:
                    raise QueryError("Table 'events' does not accept arguments")
                ref = alias or "events"
                scope.tables.append(TableInScope("events", ref, alias))
                parts.append("events" if alias is None or alias == "events" else f"events AS {escape_clickhouse_identifier(alias)}")
                guard = f"equals({escape_clickhouse_identifier(ref)}.team_id, {int(self.team_id)})"
            elif chain in (["posthog", "ai_events"], ["ai_events"]):
                if self.ai_events.kind == "absent":
                    raise QueryError(f"Unknown table `{name}`.")
                if join.get("table_args") is not None:
                    raise QueryError("Table 'ai_events' does not accept arguments")
                ref = alias or "ai_events"
                columns = {name: Printed("", nullable, name == "timestamp", name in AI_EVENTS_JSON_COLUMNS)
                           for name, nullable in AI_EVENTS_COLUMNS.items()}
                scope.tables.append(TableInScope("ai_events", ref, alias, columns))
                parts.append(f"ai_events AS {escape_clickhouse_identifier(ref)}")
                held = self.ai_events.holds(f"{escape_clickhouse_identifier(ref)}.timestamp")
                guard = f"and(equals({escape_clickhouse_identifier(ref)}.team_id, {int(self.team_id)}), {held})"
            elif chain == ["numbers"]:
                args = join.get("table_args") or []
                if not args:
                    raise QueryError("Table function 'numbers' requires arguments")
                if len(args) > 2:
                    raise QueryError("Table function 'numbers' requires at most 2 arguments")
                ref = alias or "numbers"
                scope.tables.append(TableInScope("numbers", ref, alias, {"number": Printed("number", False)}))
                printed_args = ", ".join(self.visit(a).sql for a in args)
                parts.append(f"numbers({printed_args}) AS {escape_clickhouse_identifier(ref)}")
            elif len(chain) == 1 and chain[0] in scope.ctes and scope.ctes[chain[0]][0] == "subquery":
                ref = alias or chain[0]
                scope.tables.append(TableInScope("subquery", ref, alias, scope.ctes[chain[0]][1]))
                parts.append(escape_clickhouse_identifier(chain[0]) + (f" AS {escape_clickhouse_identifier(alias)}" if alias else ""))
            else:
                raise QueryError(f"Unknown table `{name}`.")
        elif table["node"] in ("SelectQuery", "SelectSetQuery"):
            sql, info = self.print_subquery(table)
            scope.tables.append(TableInScope("subquery", alias or "", alias, info))
            parts.append(sql + (f" AS {escape_clickhouse_identifier(alias)}" if alias else ""))
        else:
            raise QueryError("Only selecting from a table or a subquery is supported")

        sample = join.get("sample")
        if sample is not None:
            ratio = sample["sample_value"]
            value = self._print_ratio(ratio)
            if value != "1" or sample.get("offset_value") is not None:
                offset = f" OFFSET {self._print_ratio(sample['offset_value'])}" if sample.get("offset_value") else ""
                parts.append(f"SAMPLE {value}{offset}")
        constraint = join.get("constraint")
        if constraint is not None:
            self.join_constraint_depth += 1
            try:
                expr = self.visit(constraint["expr"]).sql
            finally:
                self.join_constraint_depth -= 1
            if guard and join.get("join_type") and "LEFT" in join["join_type"]:
                expr = f"and({guard}, {expr})"
                guard = None
            parts.append(f"{constraint['constraint_type']} {expr}")
        guards.append(guard)
        return " ".join(parts)

    def _print_ratio(self, ratio: dict) -> str:
        left = self.visit(ratio["left"]).sql
        return left if ratio.get("right") is None else f"{left}/{self.visit(ratio['right']).sql}"

    def _print_select_item(self, expr: dict, scope: SelectScope):
        """Yield (column name, printed SQL, info) for one select expression, expanding ``*``."""
        if expr["node"] == "Field" and expr["chain"][-1] == "*":
            tables = scope.tables
            if len(expr["chain"]) == 2:
                tables = [t for t in scope.tables if t.ref == expr["chain"][0]]
                if not tables:
                    raise QueryError(f"Unable to resolve field: {expr['chain'][0]}")
            for table in tables:
                names = list(EVENTS_COLUMNS) if table.kind == "events" else list(table.columns)
                for name in names:
                    printed = self._table_field(table, [name])
                    yield name, self._with_alias(printed.sql, name), printed
            return
        if expr["node"] == "Alias":
            printed = self.visit(expr["expr"])
            alias = expr["alias"]
            scope.aliases[alias] = printed
            if expr.get("hidden"):
                yield alias, printed.sql, printed
            else:
                yield alias, self._with_alias(printed.sql, alias), printed
            return
        printed = self.visit(expr)
        if expr["node"] == "Field":
            name = str(expr["chain"][-1])
            scope.aliases.setdefault(name, printed)
            yield name, self._with_alias(printed.sql, name), printed
            return
        yield HogQLPrinter().visit(expr), printed.sql, printed

    @staticmethod
    def _with_alias(sql: str, alias: str) -> str:
        if "%" in alias:
            raise QueryError(f'Alias "{alias}" contains unsupported character \'%\'')
        ident = escape_clickhouse_identifier(alias)
        if sql == ident:
            return sql
        return f"{sql} AS {ident}"

    # ---- expressions ---------------------------------------------------------------------------

    def visit(self, node: dict) -> Printed:
        kind = node.get("node")
        method = getattr(self, f"visit_{kind}", None)
        if method is None:
            raise QueryError(f"Unsupported HogQL expression: {kind}")
        return method(node)

    def visit_Constant(self, node: dict) -> Printed:
        value = node.get("value")
        if node.get("value_type") == "number" and isinstance(value, str):
            if not NUMBER_TEXT.match(value):
                raise QueryError(f"Invalid number: {value}")
            return Printed(value, False)
        return Printed(print_constant(value), value is None)

    def visit_Alias(self, node: dict) -> Printed:
        inner = self.visit(node["expr"])
        self.scopes[-1].aliases[node["alias"]] = inner
        if node.get("hidden"):
            return inner
        return Printed(self._with_alias(inner.sql, node["alias"]), inner.nullable, inner.datetime)

    def visit_Field(self, node: dict) -> Printed:
        chain = node["chain"]
        head = chain[0]
        if chain == ["*"]:
            return Printed("*", False)
        for args in reversed(self.lambda_args):
            if head in args:
                return Printed(".".join(escape_clickhouse_identifier(c) for c in chain))
        scope = self.scopes[-1] if self.scopes else SelectScope()
        if len(chain) > 1:
            for table in scope.tables:
                if table.ref and head == table.ref:
                    return self._table_field(table, chain[1:])
        if head in scope.aliases and len(chain) == 1:
            info = scope.aliases[head]
            return Printed(escape_clickhouse_identifier(head), info.nullable, info.datetime)
        matches = [t for t in scope.tables if self._has_column(t, head)]
        if len(matches) > 1:
            raise QueryError(f"Ambiguous query. Found multiple sources for field: {head}")
        if matches:
            return self._table_field(matches[0], chain)
        if head in scope.ctes and scope.ctes[head][0] == "column":
            info = scope.ctes[head][1]
            return Printed(escape_clickhouse_identifier(head), info.nullable, info.datetime)
        raise QueryError(f"Unable to resolve field: {head}")

    @staticmethod
    def _has_column(table: TableInScope, name: str) -> bool:
        if table.kind == "events":
            return name in EVENTS_COLUMNS
        return name in table.columns

    def _table_field(self, table: TableInScope, chain: list) -> Printed:
        name = chain[0]
        qualifier = escape_clickhouse_identifier(table.ref) + "." if table.ref else ""
        if table.kind != "events":
            if name not in table.columns:
                raise QueryError(f"Unable to resolve field: {name}")
            info = table.columns[name]
            sql = qualifier + escape_clickhouse_identifier(name)
            if table.kind == "ai_events" and name == "timestamp" and len(chain) == 1:
                return Printed(f"toTimeZone({sql}, {escape_string(TIMEZONE)})", False, True)
            if getattr(info, "json_properties", False) and len(chain) > 1:
                return Printed(self._property_read(sql, chain[1:], table))
            for part in chain[1:]:
                if isinstance(part, int) or str(part).isdigit():
                    sql = f"{sql}.{int(part)}"
                else:
                    raise QueryError(f"Can not access property {part} on field {name}")
            return Printed(sql, getattr(info, "nullable", True), getattr(info, "datetime", False))
        if name not in EVENTS_COLUMNS:
            raise QueryError(f"Unable to resolve field: {name}")
        column = qualifier + escape_clickhouse_identifier(name)
        if name == "properties" and len(chain) > 1:
            read = self._property_read(column, chain[1:], table)
            if self.property_types is not None and len(chain) == 2 and not self.untyped_argument:
                key = str(chain[1])
                sql, datetime = typed_read(read, self.property_types.get(key), key)
                return Printed(sql, True, datetime)
            return Printed(read)
        if len(chain) > 1:
            raise QueryError(f"Can not access property {chain[1]} on field {name}")
        if name in EVENTS_DATETIME_COLUMNS:
            return Printed(f"toTimeZone({column}, {escape_string(TIMEZONE)})", False, True)
        return Printed(column, EVENTS_COLUMNS[name], json_properties=name == "properties")

    def _property_read(self, column: str, keys: list, table: TableInScope) -> str:
        args = ", ".join(str(k) if isinstance(k, int) else escape_string(str(k)) for k in keys)
        canonical = f"replaceRegexpAll(nullIf(nullIf(JSONExtractRaw({column}, {args}), ''), 'null'), '^\"|\"$', '')"
        if len(keys) == 1 and keys[0] in self.materialized and table.kind == "events":
            hot = self.materialized[keys[0]]
            qualifier = escape_clickhouse_identifier(table.ref) + "." if table.ref else ""
            self.substitutions[canonical] = qualifier + escape_clickhouse_identifier(hot.column)
            for cast_type, cast_column in hot.casts:
                self.substitutions[f"accurateCastOrNull({canonical}, '{cast_type}')"] = (
                    qualifier + escape_clickhouse_identifier(cast_column)
                )
        if len(keys) == 1 and keys[0] in AI_LARGE_PROPERTIES and table.kind == "events" and self.ai_events.strips_events:
            qualifier = escape_clickhouse_identifier(table.ref) + "." if table.ref else ""
            held = self.ai_events.holds(f"{qualifier}timestamp")
            return f"if(and(startsWith({qualifier}event, '$ai_'), {held}), NULL, {canonical})"
        return canonical

    def visit_ArithmeticOperation(self, node: dict) -> Printed:
        left, right = self.visit(node["left"]), self.visit(node["right"])
        name = ARITHMETIC_OPS.get(node["op"])
        if name is None:
            raise QueryError(f"Unknown ArithmeticOperationOp {node['op']}")
        return Printed(f"{name}({left.sql}, {right.sql})", True, left.datetime or right.datetime)

    def visit_And(self, node: dict) -> Printed:
        exprs = [self.visit(e).sql for e in node["exprs"]]
        return Printed(exprs[0] if len(exprs) == 1 else f"and({', '.join(exprs)})")

    def visit_Or(self, node: dict) -> Printed:
        exprs = [self.visit(e).sql for e in node["exprs"]]
        return Printed(exprs[0] if len(exprs) == 1 else f"or({', '.join(exprs)})")

    def visit_Not(self, node: dict) -> Printed:
        return Printed(f"not({self.visit(node['expr']).sql})")

    def visit_Tuple(self, node: dict) -> Printed:
        return Printed(f"tuple({', '.join(self.visit(e).sql for e in node['exprs'])})")

    def visit_Array(self, node: dict) -> Printed:
        return Printed(f"[{', '.join(self.visit(e).sql for e in node['exprs'])}]")

    def visit_ArrayAccess(self, node: dict) -> Printed:
        return Printed(f"{self.visit(node['array']).sql}[{self.visit(node['property']).sql}]")

    def visit_TupleAccess(self, node: dict) -> Printed:
        inner = self.visit(node["tuple"])
        index = int(str(node["index"]))
        if node["tuple"]["node"] in ("Field", "Tuple", "Call"):
            return Printed(f"{inner.sql}.{index}")
        return Printed(f"({inner.sql}).{index}")

    def visit_Lambda(self, node: dict) -> Printed:
        args = node["args"]
        if not args:
            raise QueryError("Lambdas require at least one argument")
        self.lambda_args.append(set(args))
        try:
            body = self.visit(node["expr"]).sql
        finally:
            self.lambda_args.pop()
        idents = [escape_clickhouse_identifier(a) for a in args]
        head = idents[0] if len(idents) == 1 else f"({', '.join(idents)})"
        return Printed(f"{head} -> {body}")

    def visit_OrderExpr(self, node: dict) -> Printed:
        return Printed(f"{self.visit(node['expr']).sql} {node.get('order') or 'ASC'}")

    def visit_BetweenExpr(self, node: dict) -> Printed:
        negated = " NOT" if node.get("negated") else ""
        return Printed(
            f"{self.visit(node['expr']).sql}{negated} BETWEEN {self.visit(node['low']).sql} AND {self.visit(node['high']).sql}"
        )

    def visit_SelectQuery(self, node: dict) -> Printed:
        return Printed(self.print_subquery(node)[0])

    visit_SelectSetQuery = visit_SelectQuery

    def visit_Placeholder(self, node: dict) -> Printed:
        raise QueryError("You can not use placeholders here")

    def visit_CompareOperation(self, node: dict) -> Printed:
        op = node["op"]
        left_node, right_node = node["left"], node["right"]
        left, right = self.visit(left_node), self.visit(right_node)
        is_const = lambda n: n.get("node") == "Constant"  # noqa: E731
        if op in ("==", "!="):
            eq = op == "=="
            if is_const(left_node) and is_const(right_node):
                same = left_node.get("value") == right_node.get("value")
                return Printed("1" if same == eq else "0", False)
            fn = "equals" if eq else "notEquals"
            if self.join_constraint_depth or (not left.nullable and not right.nullable):
                return Printed(f"{fn}({left.sql}, {right.sql})", False)
            for const, other in ((right_node, left), (left_node, right)):
                if is_const(const):
                    if const.get("value") is None:
                        return Printed(f"{'isNull' if eq else 'isNotNull'}({other.sql})", False)
                    return Printed(f"ifNull({fn}({left.sql}, {right.sql}), {0 if eq else 1})", False)
            if eq:
                return Printed(f"ifNull(equals({left.sql}, {right.sql}), isNull({left.sql}) and isNull({right.sql}))", False)
            return Printed(
                f"ifNull(notEquals({left.sql}, {right.sql}), isNotNull({left.sql}) or isNotNull({right.sql}))", False
            )
        if op in COMPARE_OPS:
            return Printed(f"{COMPARE_OPS[op]}({left.sql}, {right.sql})")
        if op == "=~":
            return Printed(f"match({left.sql}, {right.sql})")
        if op == "!~":
            return Printed(f"not(match({left.sql}, {right.sql}))")
        if op == "=~*":
            return Printed(f"match({left.sql}, concat('(?i)', {right.sql}))")
        if op == "!~*":
            return Printed(f"not(match({left.sql}, concat('(?i)', {right.sql})))")
        raise QueryError(f"Unsupported comparison operator: {op}")

    def visit_WindowFunction(self, node: dict) -> Printed:
        name = node["name"]
        if not (self.functions.function(name) or self.functions.aggregation(name)):
            raise QueryError(self.functions.unsupported_message(name))
        exprs = [self.visit(e).sql for e in node.get("exprs") or []]
        args = [self.visit(e).sql for e in node.get("args") or []]
        if name in ("lag", "lead"):
            name = f"{name}InFrame"
            if exprs:
                exprs[0] = f"toNullable({exprs[0]})"
        if node.get("over_expr"):
            over = f"({self._print_window_expr(node['over_expr'])})"
        elif node.get("over_identifier"):
            over = escape_clickhouse_identifier(node["over_identifier"])
        else:
            over = "()"
        ident = escape_clickhouse_identifier(name)
        if args:
            return Printed(f"{ident}({', '.join(exprs)})({', '.join(args)}) OVER {over}")
        return Printed(f"{ident}({', '.join(exprs)}) OVER {over}")

    def _print_window_expr(self, node: dict) -> str:
        parts = []
        if node.get("partition_by"):
            parts.append("PARTITION BY " + ", ".join(self.visit(e).sql for e in node["partition_by"]))
        if node.get("order_by"):
            parts.append("ORDER BY " + ", ".join(self.visit(e).sql for e in node["order_by"]))
        if node.get("frame_method"):
            parts.append(node["frame_method"])
            start, end = node.get("frame_start"), node.get("frame_end")
            if start and end:
                parts.append(f"BETWEEN {self._frame(start)} AND {self._frame(end)}")
            elif start:
                parts.append(self._frame(start))
        return " ".join(parts)

    @staticmethod
    def _frame(node: dict) -> str:
        if node["frame_type"] == "CURRENT ROW":
            return "CURRENT ROW"
        value = node.get("frame_value")
        return f"{int(value) if value is not None else 'UNBOUNDED'} {node['frame_type']}"

    # ---- calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: dict) -> Printed:
        saved = self.untyped_argument
        self.untyped_argument = node["name"] in STRING_INPUT_CONVERSIONS
        try:
            return self._visit_call(node)
        finally:
            self.untyped_argument = saved

    def _visit_call(self, node: dict) -> Printed:
        name = node["name"]
        args = node.get("args") or []
        functions = self.functions
        meta = functions.aggregation(name) or functions.function(name)
        if meta is not None and meta.parametric_first_arg:
            self._check_parametric_first_arg(name, args)
        if meta is not None and meta.template is not None:
            return self._print_template(name, meta, args)
        if name in COMPARISON_FUNCTIONS:
            if len(args) != 2:
                raise QueryError(f"Comparison '{name}' requires exactly two arguments")
            return self.visit_CompareOperation({"op": COMPARISON_FUNCTIONS[name], "left": args[0], "right": args[1]})
        aggregation = functions.aggregation(name)
        if aggregation is not None:
            return self._print_aggregation(node, aggregation)
        function = functions.function(name)
        if function is not None:
            return self._print_function(node, function)
        raise QueryError(functions.unsupported_message(name))

    def _check_parametric_first_arg(self, name: str, args: list) -> None:
        if not args:
            raise QueryError(f"Missing arguments in function '{name}'")
        first = args[0]
        if first.get("node") != "Constant":
            raise QueryError(f"Expected constant string as first arg in function '{name}', got {first.get('node')}")
        if not isinstance(first.get("value"), str):
            raise QueryError(f"Expected constant string as first arg in function '{name}', got '{first.get('value')}'")
        if first["value"] not in self.functions.parametric_allowed:
            raise QueryError(f"Invalid parametric function in '{name}', '{first['value']}' is not supported.")

    def _print_template(self, name: str, meta: FunctionMeta, args: list) -> Printed:
        printed = [self.visit(a).sql for a in args]
        if meta.positional:
            try:
                return Printed(meta.template.format(*printed))
            except (KeyError, IndexError) as exc:
                raise QueryError(f"Invalid argument reference in function '{name}': {exc}")
        count = meta.template.count("{}")
        if len(args) != count:
            raise QueryError(f"Function '{name}' requires exactly {count} argument{'s' if count != 1 else ''}")
        return Printed(meta.template.format(*printed))

    def _print_aggregation(self, node: dict, meta: FunctionMeta) -> Printed:
        name = node["name"]
        args = node.get("args") or []
        params = node.get("params")
        message = arity_error(len(args), meta.min_args, meta.max_args, name, "aggregation", "argument")
        if message:
            raise QueryError(message)
        if meta.min_params:
            if params is None:
                raise QueryError(f"Aggregation '{name}' requires parameters in addition to arguments")
            message = arity_error(len(params), meta.min_params, meta.max_params, name, "aggregation", "parameter")
            if message:
                raise QueryError(message)
        if self.aggregation_stack:
            raise QueryError(
                f"Aggregation '{name}' cannot be nested inside another aggregation '{self.aggregation_stack[-1]}'."
            )
        self.aggregation_stack.append(name)
        try:
            printed_args = [self.visit(a) for a in args]
        finally:
            self.aggregation_stack.pop()
        params_part = f"({', '.join(self.visit(p).sql for p in params)})" if params is not None else ""
        distinct = "DISTINCT " if node.get("distinct") else ""
        datetime = name in FIRST_ARG_TYPED_FUNCTIONS and bool(printed_args) and printed_args[0].datetime
        nullable = not name.startswith(("count", "uniq"))
        sql = f"{meta.clickhouse_name}{params_part}({distinct}{', '.join(a.sql for a in printed_args)})"
        return Printed(sql, nullable, datetime)

    def _print_function(self, node: dict, meta: FunctionMeta) -> Printed:
        name = node["name"]
        args = node.get("args") or []
        params = node.get("params")
        message = arity_error(len(args), meta.min_args, meta.max_args, name, "function", "argument")
        if message:
            raise QueryError(message)
        if meta.min_params:
            if params is None:
                raise QueryError(f"Function '{name}' requires parameters in addition to arguments")
            message = arity_error(len(params), meta.min_params, meta.max_params, name, "function", "parameter")
            if message:
                raise QueryError(message)

        passthrough = 1 if meta.clickhouse_name == "accurateCastOrNull" and "{0}" in "".join(meta.suffix_args) else 0
        node_args = args[: len(args) - passthrough]
        passthrough_args = args[len(args) - passthrough :]
        printed_args = [self.visit(a) for a in node_args]

        if name in self.functions.first_arg_datetime:
            sql_args = []
            for index, (arg, printed) in enumerate(zip(node_args, printed_args)):
                if index == 0:
                    if arg.get("node") == "Call" and arg.get("name") in self.functions.add_or_null_datetime:
                        sql_args.append(f"assumeNotNull(toDateTime({printed.sql}))")
                    else:
                        sql_args.append(f"toDateTime({printed.sql}, 'UTC')")
                else:
                    sql_args.append(printed.sql)
        elif name.lower() == "concat":
            sql_args = [self._concat_arg(arg, printed) for arg, printed in zip(node_args, printed_args)]
        else:
            sql_args = [p.sql for p in printed_args]

        for suffix in meta.suffix_args:
            if passthrough_args:
                if not all(a.get("node") == "Constant" for a in passthrough_args):
                    raise QueryError(f"Suffix argument '{suffix}' expects ast.Constant arguments")
                suffix = suffix.format(*[a.get("value") for a in passthrough_args])
            sql_args.append(escape_string(suffix))

        clickhouse_name = meta.clickhouse_name
        if meta.datetime_overload and printed_args and printed_args[0].datetime:
            clickhouse_name = meta.datetime_overload
        if meta.tz_aware:
            has_tz_override = len(args) == meta.max_args
            if not has_tz_override:
                sql_args.append(escape_string(TIMEZONE))
            first = args[0] if args else None
            if (
                clickhouse_name == "parseDateTime64BestEffortOrNull"
                and len(args) == 1
                and first.get("node") == "Constant"
                and isinstance(first.get("value"), str)
            ):
                clickhouse_name = "parseDateTime64BestEffort"
                if re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{1,6}$", first["value"]):
                    clickhouse_name = "toDateTime64"
                elif re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", first["value"]) or re.match(
                    r"^\d{4}-\d{2}-\d{2}$", first["value"]
                ):
                    clickhouse_name = "toDateTime"
            precision_functions = (
                "parseDateTime64BestEffortOrNull",
                "parseDateTime64BestEffortUSOrNull",
                "parseDateTime64BestEffort",
                "toDateTime64",
            )
            if (clickhouse_name == "now64" and (len(args) == 0 or (has_tz_override and len(args) == 1))) or (
                clickhouse_name in precision_functions and (len(args) == 1 or (has_tz_override and len(args) == 2))
            ):
                sql_args = [*sql_args[:-1], "6", *sql_args[-1:]]
        if name == "toStartOfWeek" and len(args) == 1:
            sql_args.insert(1, "0")
        if name in ("trimLeft", "ltrim") and len(sql_args) == 2:
            return Printed(f"trim(LEADING {sql_args[1]} FROM {sql_args[0]})")
        if name in ("trimRight", "rtrim") and len(sql_args) == 2:
            return Printed(f"trim(TRAILING {sql_args[1]} FROM {sql_args[0]})")
        if name.lower() in ("trim", "btrim") and len(sql_args) == 2:
            return Printed(f"trim(BOTH {sql_args[1]} FROM {sql_args[0]})")

        params_part = f"({', '.join(self.visit(p).sql for p in params)})" if params is not None else ""
        datetime = name in DATETIME_FUNCTIONS or (
            name in FIRST_ARG_TYPED_FUNCTIONS and bool(printed_args) and printed_args[0].datetime
        )
        return Printed(f"{clickhouse_name}{params_part}({', '.join(sql_args)})", True, datetime)

    @staticmethod
    def _concat_arg(arg: dict, printed: Printed) -> str:
        if arg.get("node") == "Constant":
            if arg.get("value") is None:
                return "''"
            if isinstance(arg.get("value"), str):
                return printed.sql
            return f"toString({printed.sql})"
        if arg.get("node") == "Call" and arg.get("name") == "toString":
            inner = arg.get("args") or []
            if len(inner) == 1 and inner[0].get("node") == "Constant":
                return "''" if inner[0].get("value") is None else printed.sql
            return f"ifNull({printed.sql}, '')"
        return f"ifNull(toString({printed.sql}), '')"

    def visit_JoinConstraint(self, node: dict) -> Printed:
        return self.visit(node["expr"])


def print_query(ast: dict, team_id: int, materialized: Optional[dict] = None, ai_events: AiEventsMode = AiEventsMode(),
                property_types: Optional[dict] = None) -> PrintedQuery:
    """Print a parsed, placeholder-filled query for one team with PostHog's row limits applied;
    ``property_types`` (name -> type) types property reads as PostHog does."""
    reject_offset(ast)
    paginated = ast["node"] == "SelectQuery" and ast.get("limit") is None
    printer = ClickHousePrinter(team_id, materialized, ai_events, property_types)
    sql, columns = printer.print_top(ast, DEFAULT_RETURNED_ROWS + 1 if paginated else None)
    executable = sql
    for canonical in sorted(printer.substitutions, key=len, reverse=True):
        executable = executable.replace(canonical, printer.substitutions[canonical])
    hogql_ast = dict(ast)
    if ast["node"] == "SelectQuery":
        if paginated:
            hogql_ast["limit"] = {"node": "Constant", "value": DEFAULT_RETURNED_ROWS + 1}
        elif ast["limit"].get("node") == "Constant" and isinstance(ast["limit"].get("value"), int):
            hogql_ast["limit"] = {"node": "Constant", "value": min(ast["limit"]["value"], MAX_SELECT_RETURNED_ROWS)}
    hogql = HogQLPrinter().print_select(hogql_ast)
    limit = DEFAULT_RETURNED_ROWS if paginated else MAX_SELECT_RETURNED_ROWS
    return PrintedQuery(sql, executable, hogql, columns, paginated, limit)
