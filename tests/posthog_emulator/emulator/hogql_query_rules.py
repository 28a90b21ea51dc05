"""Rules applied to a parsed query before printing: ``{placeholders}`` from ``values`` and no OFFSET."""

from typing import Any, Optional

from .sql_text import QueryError

OFFSET_NOT_ALLOWED_MESSAGE = (
    "OFFSET is not supported on queries made with a personal API key. "
    "For pagination, use keyset pagination on the `timestamp` column, e.g. "
    "`WHERE timestamp > :last_seen_timestamp ORDER BY timestamp LIMIT N`. "
    "For bulk data extraction, use batch exports: https://posthog.com/docs/cdp/batch-exports"
)


def fill_placeholders(node: Any, values: Optional[dict]) -> Any:
    """Replace ``{name}`` placeholders with constants from ``values``, as PostHog's query runner does."""
    if isinstance(node, list):
        return [fill_placeholders(n, values) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("node") == "Placeholder":
        expr = node.get("expr") or {}
        chain = expr.get("chain") if expr.get("node") == "Field" else None
        if not chain or len(chain) != 1:
            raise QueryError("Placeholder expressions are not yet supported")
        name = chain[0]
        if not values:
            raise QueryError(f"Unresolved placeholder: {{{name}}}")
        if name in values:
            return {"node": "Constant", "value": values[name]}
        raise QueryError(
            f"Placeholder {{{name}}} is not available in this context. You can use the following: "
            + ", ".join(f"{key}" for key in values)
        )
    return {k: fill_placeholders(v, values) for k, v in node.items()}


def reject_offset(node: Any) -> None:
    """PostHog refuses OFFSET anywhere in a query sent with a personal API key."""
    if isinstance(node, list):
        for n in node:
            reject_offset(n)
        return
    if not isinstance(node, dict):
        return
    if node.get("node") in ("SelectQuery", "SelectSetQuery") and node.get("offset") is not None:
        raise QueryError(OFFSET_NOT_ALLOWED_MESSAGE)
    if node.get("node") == "LimitByExpr" and node.get("offset_value") is not None:
        raise QueryError(OFFSET_NOT_ALLOWED_MESSAGE)
    for key, value in node.items():
        if key not in ("start", "end"):
            reject_offset(value)
