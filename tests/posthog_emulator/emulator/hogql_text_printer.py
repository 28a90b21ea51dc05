"""PostHog's HogQL printing of an AST (for response ``columns`` and the ``hogql`` field)."""

from typing import Any

from .sql_text import ARITHMETIC_OPS, COMPARE_OPS, QueryError, escape_hogql_identifier, print_constant


class HogQLPrinter:
    """PostHog's HogQL printing of an expression, used for response column names and ``hogql``."""

    def visit(self, node: Any) -> str:
        if node is None:
            return ""
        method = getattr(self, f"visit_{node.get('node')}", None)
        return method(node) if method else f"<{node.get('node')}>"

    def visit_Constant(self, node):
        value = node.get("value")
        if node.get("value_type") == "number":
            return str(value)
        try:
            return print_constant(value, "hogql")
        except QueryError:
            return repr(value)

    def visit_Field(self, node):
        if node["chain"] == ["*"]:
            return "*"
        return ".".join(escape_hogql_identifier(c) for c in node["chain"])

    def visit_Alias(self, node):
        return f"{self.visit(node['expr'])} AS {escape_hogql_identifier(node['alias'])}"

    def visit_Call(self, node):
        params = node.get("params")
        params_part = f"({', '.join(self.visit(p) for p in params)})" if params is not None else ""
        distinct = "DISTINCT " if node.get("distinct") else ""
        return f"{node['name']}{params_part}({distinct}{', '.join(self.visit(a) for a in node.get('args') or [])})"

    def visit_ArithmeticOperation(self, node):
        return f"{ARITHMETIC_OPS.get(node['op'], node['op'])}({self.visit(node['left'])}, {self.visit(node['right'])})"

    def visit_CompareOperation(self, node):
        op = node["op"]
        name = COMPARE_OPS.get(op) or {"=~": "match", "!~": "notMatch", "=~*": "imatch", "!~*": "notImatch"}.get(op, op)
        return f"{name}({self.visit(node['left'])}, {self.visit(node['right'])})"

    def visit_And(self, node):
        return f"and({', '.join(self.visit(e) for e in node['exprs'])})"

    def visit_Or(self, node):
        return f"or({', '.join(self.visit(e) for e in node['exprs'])})"

    def visit_Not(self, node):
        return f"not({self.visit(node['expr'])})"

    def visit_Tuple(self, node):
        return f"tuple({', '.join(self.visit(e) for e in node['exprs'])})"

    def visit_Array(self, node):
        return f"[{', '.join(self.visit(e) for e in node['exprs'])}]"

    def visit_ArrayAccess(self, node):
        return f"{self.visit(node['array'])}[{self.visit(node['property'])}]"

    def visit_TupleAccess(self, node):
        return f"{self.visit(node['tuple'])}.{node['index']}"

    def visit_Lambda(self, node):
        args = [escape_hogql_identifier(a) for a in node["args"]]
        head = args[0] if len(args) == 1 else f"({', '.join(args)})"
        return f"{head} -> {self.visit(node['expr'])}"

    def visit_BetweenExpr(self, node):
        negated = " NOT" if node.get("negated") else ""
        return f"{self.visit(node['expr'])}{negated} BETWEEN {self.visit(node['low'])} AND {self.visit(node['high'])}"

    def visit_OrderExpr(self, node):
        return f"{self.visit(node['expr'])} {node.get('order') or 'ASC'}"

    def visit_WindowFunction(self, node):
        exprs = ", ".join(self.visit(e) for e in node.get("exprs") or [])
        return f"{node['name']}({exprs}) OVER (...)"

    def visit_SelectQuery(self, node):
        return "(" + self.print_select(node) + ")"

    def visit_SelectSetQuery(self, node):
        parts = [self.print_select(node["initial_select_query"])]
        for sub in node.get("subsequent_select_queries") or []:
            parts += [sub["set_operator"], self.print_select(sub["select_query"])]
        return "(" + " ".join(parts) + ")"

    def print_select(self, node: dict) -> str:
        if node["node"] == "SelectSetQuery":
            return self.visit_SelectSetQuery(node)[1:-1]
        clauses = ["SELECT " + ("DISTINCT " if node.get("distinct") else "") + ", ".join(
            self.visit(e) for e in node.get("select") or [])]
        join = node.get("select_from")
        froms = []
        while join is not None:
            table = join["table"]
            text = self.visit(table) if table["node"] != "Field" else self.visit_Field(table)
            if join.get("table_args") is not None:
                text += "(" + ", ".join(self.visit(a) for a in join["table_args"]) + ")"
            if join.get("alias"):
                text += f" AS {escape_hogql_identifier(join['alias'])}"
            if join.get("join_type"):
                text = f"{join['join_type']} {text}"
            if join.get("constraint"):
                text += f" {join['constraint']['constraint_type']} {self.visit(join['constraint']['expr'])}"
            froms.append(text)
            join = join.get("next_join")
        if froms:
            clauses.append("FROM " + " ".join(froms))
        for key, word in (("prewhere", "PREWHERE"), ("where", "WHERE")):
            if node.get(key) is not None:
                clauses.append(f"{word} {self.visit(node[key])}")
        if node.get("group_by"):
            clauses.append("GROUP BY " + ", ".join(self.visit(e) for e in node["group_by"]))
        if node.get("having") is not None:
            clauses.append("HAVING " + self.visit(node["having"]))
        if node.get("order_by"):
            clauses.append("ORDER BY " + ", ".join(self.visit(e) for e in node["order_by"]))
        if node.get("limit") is not None:
            clauses.append("LIMIT " + self.visit(node["limit"]))
        return " ".join(clauses)
