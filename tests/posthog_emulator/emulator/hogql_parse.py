"""Parsing HogQL with PostHog's own parser (the ``hogql-parser`` package).

The C extension imports ``posthog.hogql.errors`` when it loads. PostHog's Python SDK may be
installed in the same environment under the name ``posthog``, so the error classes are
registered directly in ``sys.modules`` instead of shipping a ``posthog`` package.
"""

import json
import sys
import types
from functools import lru_cache


class HogQLSyntaxError(Exception):
    """The parser rejected the query text; ``str()`` is the parser's message."""


def _register_error_module() -> None:
    if "posthog.hogql.errors" in sys.modules:
        return
    module = types.ModuleType("posthog.hogql.errors")

    class BaseHogQLError(Exception):
        def __init__(self, message="", *, start=None, end=None, node=None, fix=None):
            super().__init__(message)
            self.message = message
            self.start = start
            self.end = end

    module.BaseHogQLError = BaseHogQLError
    for name, parent in [
        ("ExposedHogQLError", BaseHogQLError),
        ("InternalHogQLError", BaseHogQLError),
    ]:
        setattr(module, name, type(name, (parent,), {}))
    for name in ["SyntaxError", "QueryError"]:
        setattr(module, name, type(name, (module.ExposedHogQLError,), {}))
    for name in ["NotImplementedError", "ParsingError", "ResolutionError"]:
        setattr(module, name, type(name, (module.InternalHogQLError,), {}))
    sys.modules["posthog.hogql.errors"] = module


_register_error_module()

import hogql_parser  # noqa: E402  (needs the error module registered first)


@lru_cache(maxsize=512)
def _parse_select_json(query: str) -> str:
    """The parser's JSON for a query; cached because parsing a long query takes ~0.1 s."""
    try:
        return hogql_parser.parse_select_json(query)
    except Exception as exc:  # the extension raises the registered error classes
        raise HogQLSyntaxError(str(exc) or "Syntax error") from exc


def parse_select(query: str) -> dict:
    """Return the AST of a SELECT as fresh plain dicts, or raise ``HogQLSyntaxError``."""
    ast = json.loads(_parse_select_json(query))
    if isinstance(ast, dict) and ast.get("error"):
        raise HogQLSyntaxError(ast.get("message") or "Syntax error")
    return ast
