"""The aiohttp application: PostHog's query API, account endpoints, capture and test controls.

Request handling for ``/api/`` follows Django REST framework's order in PostHog: authenticate
the personal API key (401), find the project (404), check the key's project scoping and scopes
(403), count the request against the hourly budget (429), then validate the body (400) and run
the query (concurrency 429, 504 on timeout). CORS is django-cors-headers with
``CORS_ORIGIN_ALLOW_ALL`` and ``CORS_ALLOW_CREDENTIALS``: the Origin is echoed, credentials
are allowed and no header is exposed.

``/_emulator/`` holds test-only controls (faults, budget reset, loading events, status). They
answer only when the request carries ``X-Emulator-Admin-Token`` with the configured token.
"""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

import orjson
from aiohttp import web

from . import api_errors
from .ai_events_mode import AiEventsMode
from .capture import CaptureError, decode_body, events_and_token, normalize_event
from .config import EmulatorConfig, PersonalApiKey, Project
from .event_store import EventStore, LoadError
from .faults import FaultInjector
from .limits import ConcurrencyGate, QueryBudget
from .property_types import parse_types
from .query_runner import AsyncQueries, QueryRunner, is_async, parse_request

CORS_ALLOW_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
CORS_ALLOW_HEADERS = "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
CORS_MAX_AGE = "86400"
ADMIN_HEADER = "X-Emulator-Admin-Token"


@dataclass
class ServerSettings:
    max_execution_time: float = 10.0
    async_max_execution_time: float = 600.0
    max_concurrent: int = 3
    queue_timeout: float = 30.0
    hourly_query_budget: int = 120
    admin_token: str = "emulator-admin-token"
    capture_log: Optional[str] = None  # JSONL file receiving each captured event as the SDK sent it
    ai_events: dict = field(default_factory=dict)  # project id -> AiEventsMode (default mirror)
    typed_properties: dict = field(default_factory=dict)  # project id -> given property types, for typed projects


def json_response(body: object, status: int = 200, headers: Optional[dict] = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(error: api_errors.ApiError) -> web.Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return json_response(error.body(), error.status, headers)


class Emulator:
    """Holds the state of one emulator instance and its request handlers."""

    def __init__(self, config: EmulatorConfig, store: EventStore, settings: ServerSettings, faults: FaultInjector):
        self.config = config
        self.store = store
        self.settings = settings
        self.faults = faults
        self.budget = QueryBudget(settings.hourly_query_budget)
        self.gate = ConcurrencyGate(settings.max_concurrent, settings.queue_timeout, config.organization_id)
        self.runner = QueryRunner(store, settings.max_execution_time, dict(settings.ai_events), dict(settings.typed_properties))
        self.async_queries = AsyncQueries()
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="query")

    # ---- middleware ----------------------------------------------------------------------------

    @web.middleware
    async def cors_middleware(self, request: web.Request, handler):
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = web.Response(status=200, headers={"Content-Length": "0"})
            # The test controls (not PostHog's) also take the admin header, so
            # browser tests can set faults; /api/ answers exactly as PostHog.
            extra = f", {ADMIN_HEADER.lower()}" if request.path.startswith("/_emulator/") else ""
            response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS + extra
            response.headers["Access-Control-Allow-Methods"] = CORS_ALLOW_METHODS
            response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        else:
            try:
                response = await handler(request)
            except api_errors.ApiError as error:
                response = error_response(error)
            except web.HTTPException as exc:
                response = self._http_exception_body(exc)
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
        return response

    @staticmethod
    def _http_exception_body(exc: web.HTTPException) -> web.Response:
        if exc.status == 404:
            return error_response(api_errors.not_found())
        if exc.status == 405:
            return error_response(api_errors.method_not_allowed(getattr(exc, "method", "")))
        return error_response(api_errors.ApiError(exc.status, "invalid_request", "error", exc.reason))

    @web.middleware
    async def fault_middleware(self, request: web.Request, handler):
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return await handler(request)
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000.0)
        fault = self.faults.draw()
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError()
        if fault == "error_500":
            return error_response(api_errors.server_error())
        if fault == "throttle_429":
            return error_response(api_errors.throttled(settings.throttle_wait_seconds))
        if fault == "timeout_504" and request.method == "POST" and request.path.endswith("/query/"):
            try:
                body = await request.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and body.get("refresh", "blocking") == "blocking":
                return error_response(api_errors.query_timeout())
        response = await handler(request)
        if fault in ("malformed", "truncated") and isinstance(response, web.Response) and response.body:
            body = bytes(response.body)
            broken = body[: max(1, len(body) // 2)] if fault == "truncated" else b'{"results": [[1, 2], [3,, }' + body[:16]
            return web.Response(body=broken, status=response.status, content_type="application/json")
        return response

    # ---- auth ----------------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> PersonalApiKey:
        header = request.headers.get("Authorization", "")
        if not header:
            raise api_errors.not_authenticated()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise api_errors.not_authenticated()
        key = self.config.keys.get(token.strip())
        if key is None:
            raise api_errors.invalid_personal_api_key()
        return key

    def project_for(self, request: web.Request, key: PersonalApiKey, scope: str) -> Project:
        """Find the project in the path and check the key may use it with ``scope``."""
        raw_id = request.match_info["project_id"]
        if raw_id == "@current":
            allowed = [p for p in self.config.projects if not key.scoped_teams or p.id in key.scoped_teams]
            project = allowed[0] if allowed else None
        else:
            try:
                project = self.config.project(int(raw_id))
            except ValueError:
                project = None
        if project is None:
            raise api_errors.project_not_found()
        # PostHog's order (APIScopePermission.check_team_and_org_permissions): the organization's
        # personal-key setting, then the key's projects, then its organizations, then its scopes.
        if self.config.refuses_personal_keys:
            raise api_errors.personal_keys_forbidden(self.config.organization_name)
        if key.scoped_teams and project.id not in key.scoped_teams:
            raise api_errors.project_not_in_key_scope(project.id)
        if key.scoped_organizations and self.config.organization_id not in key.scoped_organizations:
            raise api_errors.organization_not_in_key_scope(self.config.organization_id)
        if not key.has_scope(scope):
            raise api_errors.missing_scope(scope)
        return project

    # ---- query API -----------------------------------------------------------------------------

    async def create_query(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        project = self.project_for(request, key, "query:read")
        self.budget.check_and_count(project.id)
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise api_errors.parse_error(f"JSON parse error - {exc}")
        query = parse_request(body)
        loop = asyncio.get_running_loop()
        if is_async(query.refresh):
            pending = self.async_queries.create(project.id)
            pending.task = asyncio.create_task(self._run_async(pending, query))
            return json_response({"cache_key": f"cache_{pending.id}", "query_status": pending.status()}, 202)
        async with self.gate.slot(project.id):
            result = await loop.run_in_executor(self.executor, self.runner.run, project.id, query)
        return json_response(result)

    async def _run_async(self, pending, query) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with self.gate.slot(project_id := pending.team_id, wait_forever=True):
                pending.results = await loop.run_in_executor(
                    self.executor, self.runner.run, project_id, query, self.settings.async_max_execution_time
                )
        except api_errors.ApiError as error:
            pending.error = True
            pending.error_message = error.detail
            pending.error_status = 400 if error.status < 500 else 500
            if error.status >= 500:
                pending.error_message = None
        except asyncio.CancelledError:
            return
        pending.complete = not pending.error
        pending.end_time = datetime.now(timezone.utc)

    async def query_status(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        project = self.project_for(request, key, "query:read")
        query_id = request.match_info["query_id"]
        pending = self.async_queries.get(project.id, query_id)
        if pending is None:
            raise api_errors.ApiError(404, "invalid_request", "not_found",
                                      f"Query {query_id} not found for team {project.id}")
        status = 202
        if pending.error:
            status = pending.error_status
        elif pending.complete:
            status = 200
        return json_response({"query_status": pending.status()}, status)

    async def cancel_query(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        project = self.project_for(request, key, "query:read")
        message = self.async_queries.cancel(project.id, request.match_info["query_id"])
        return json_response({"message": message})

    # ---- account endpoints ---------------------------------------------------------------------

    def _team_json(self, project: Project) -> dict:
        return {
            "id": project.id,
            "uuid": project.uuid,
            "organization": self.config.organization_id,
            "project_id": project.id,
            "api_token": project.api_token,
            "name": project.name,
            "completed_snippet_onboarding": True,
            "has_completed_onboarding_for": {"llm_analytics": True},
            "ingested_event": True,
            "is_demo": False,
            "timezone": "UTC",
            "access_control": False,
        }

    def _visible_projects(self, key: PersonalApiKey) -> list:
        return [p for p in self.config.projects if not key.scoped_teams or p.id in key.scoped_teams]

    async def current_key(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        return json_response(
            {
                "id": "emulator-" + key.value[-6:],
                "label": key.label,
                "mask_value": key.value[:4] + "..." + key.value[-4:],
                "created_at": "2026-01-01T00:00:00Z",
                "last_used_at": None,
                "user_id": 1,
                "scopes": list(key.scopes),
                "scoped_teams": list(key.scoped_teams),
                "scoped_organizations": list(key.scoped_organizations),
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        if not key.has_scope("user:read"):
            raise api_errors.missing_scope("user:read")
        projects = self._visible_projects(key) or self.config.projects
        current = projects[0]
        organization = {
            "id": self.config.organization_id,
            "name": self.config.organization_name,
            "slug": "emulator-org",
            "membership_level": self.config.membership_level,
            "members_can_use_personal_api_keys": self.config.members_can_use_personal_api_keys,
            "teams": [self._team_json(p) for p in self.config.projects],
            "projects": [{"id": p.id, "name": p.name, "organization_id": self.config.organization_id}
                         for p in self.config.projects],
        }
        return json_response(
            {
                "uuid": self.config.user_uuid,
                "distinct_id": "emulator-user",
                "first_name": "Emulator",
                "email": self.config.user_email,
                "team": self._team_json(current),
                "organization": organization,
                "organizations": [{"id": self.config.organization_id, "name": self.config.organization_name,
                                   "slug": "emulator-org", "membership_level": self.config.membership_level}],
            }
        )

    async def list_projects(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        if key.scoped_teams:
            raise api_errors.permission_denied(
                "API keys with scoped projects are only supported on project-based endpoints."
            )
        if not key.has_scope("project:read"):
            raise api_errors.missing_scope("project:read")
        results = [self._team_json(p) for p in self.config.projects]
        return json_response({"count": len(results), "next": None, "previous": None, "results": results})

    async def get_project(self, request: web.Request) -> web.Response:
        key = self.authenticate(request)
        project = self.project_for(request, key, "project:read")
        return json_response(self._team_json(project))

    # ---- capture -------------------------------------------------------------------------------

    async def capture(self, request: web.Request) -> web.Response:
        raw = await request.read()
        bearer = None
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            bearer = header[7:].strip()
        try:
            payload = decode_body(raw, request.headers.get("Content-Type", ""))
            raw_events, token = events_and_token(payload, bearer)
            events = [normalize_event(e) for e in raw_events]
        except CaptureError as exc:
            return json_response({"type": "validation_error", "code": "invalid_payload", "detail": str(exc),
                                  "attr": None}, 400)
        project = self.config.project_for_token(token) if token else None
        if project is None:
            return json_response(
                {"type": "authentication_error", "code": "invalid_api_key",
                 "detail": "Project API key invalid. You can find your project API key in PostHog project settings.",
                 "attr": None},
                401,
            )
        if self.settings.capture_log:
            with open(self.settings.capture_log, "a", encoding="utf-8") as log_file:
                for event in events:
                    log_file.write(json.dumps(event, ensure_ascii=False) + "\n")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self.store.insert_events, events, project.id)
        except LoadError as exc:
            return json_response({"type": "validation_error", "code": "invalid_payload", "detail": str(exc),
                                  "attr": None}, 400)
        if request.path.startswith("/i/v1/"):
            return json_response({"results": {e["uuid"]: {"result": "ok"} for e in events}})
        return json_response({"status": 1})

    async def flags(self, request: web.Request) -> web.Response:
        return json_response({"flags": {}, "featureFlags": {}, "featureFlagPayloads": {},
                              "errorsWhileComputingFlags": False, "quotaLimited": [], "requestId": "emulator"})

    # ---- test controls -------------------------------------------------------------------------

    def _check_admin(self, request: web.Request) -> None:
        if request.headers.get(ADMIN_HEADER) != self.settings.admin_token:
            raise api_errors.permission_denied(f"Test controls need the {ADMIN_HEADER} header.")

    async def admin_status(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        loop = asyncio.get_running_loop()
        counts = await loop.run_in_executor(self.executor, self.store.count_events)
        return json_response({
            "events": {str(k): v for k, v in counts.items()},
            "queries_in_last_hour": {str(p.id): self.budget.used(p.id) for p in self.config.projects},
            "hourly_query_budget": self.budget.per_hour,
            "faults": self.faults.describe(),
            "ai_events": {str(p.id): self.runner.ai_events.get(p.id, AiEventsMode()).describe() for p in self.config.projects},
            "typed_properties": sorted(str(t) for t in self.runner.typed_properties),
        })

    async def admin_running(self, request: web.Request) -> web.Response:
        """Running queries per project; answers at once, even while ClickHouse is busy."""
        self._check_admin(request)
        return json_response({str(p.id): self.gate.running[p.id] for p in self.config.projects})

    async def admin_faults(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        try:
            changes = await request.json()
            self.faults.update(changes if isinstance(changes, dict) else {})
        except (ValueError, TypeError) as exc:
            raise api_errors.validation_error(str(exc))
        return json_response(self.faults.describe())

    async def admin_reset_budget(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        body = await request.json() if request.can_read_body else {}
        team = body.get("team_id") if isinstance(body, dict) else None
        if isinstance(body, dict) and "hourly_query_budget" in body:
            self.budget.per_hour = int(body["hourly_query_budget"])
        self.budget.reset(team)
        return json_response({"reset": team if team is not None else "all", "hourly_query_budget": self.budget.per_hour})

    async def admin_ai_events(self, request: web.Request) -> web.Response:
        """``{"team_id": N, "mode": "empty" | "partial:SINCE" | ...}``: what the project's ai_events holds."""
        self._check_admin(request)
        try:
            body = await request.json()
            team = int(body.get("team_id", self.config.default_project.id))
            mode = AiEventsMode.parse(str(body["mode"]))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise api_errors.validation_error(f"ai_events needs a team_id and a mode: {exc}")
        if self.config.project(team) is None:
            raise api_errors.project_not_found()
        self.runner.ai_events[team] = mode
        return json_response({"team_id": team, "mode": mode.describe()})

    async def admin_typed_properties(self, request: web.Request) -> web.Response:
        """``{"team_id": N, "typed": true, "types": {"$x": "Numeric"}}``: whether the project's property
        reads follow its property definitions, and types to set on them (``types`` is optional)."""
        self._check_admin(request)
        try:
            body = await request.json()
            team = int(body.get("team_id", self.config.default_project.id))
            typed = bool(body.get("typed", True))
            types = parse_types(body.get("types", {}), "types")
        except (ValueError, TypeError, AttributeError) as exc:
            raise api_errors.validation_error(f"typed_properties needs a team_id, typed and types: {exc}")
        if self.config.project(team) is None:
            raise api_errors.project_not_found()
        if typed:
            self.runner.typed_properties[team] = types
        else:
            self.runner.typed_properties.pop(team, None)
        return json_response({"team_id": team, "typed": typed, "types": types})

    async def admin_property_definitions(self, request: web.Request) -> web.Response:
        """The project's property definitions: detected from its events, and those given."""
        self._check_admin(request)
        team = int(request.query.get("team_id", self.config.default_project.id))
        detected = await asyncio.get_running_loop().run_in_executor(self.executor, self.store.property_definitions, team)
        given = self.runner.typed_properties.get(team, {})
        return json_response({"team_id": team, "typed": team in self.runner.typed_properties,
                              "definitions": {**detected, **given}, "given": given})

    async def admin_load_events(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        team_id = int(request.query.get("team_id", self.config.default_project.id))
        lines = (await request.read()).splitlines()
        loop = asyncio.get_running_loop()
        try:
            count = await loop.run_in_executor(self.executor, self.store.load_lines, lines, team_id, "request")
        except LoadError as exc:
            raise api_errors.validation_error(str(exc))
        return json_response({"loaded": count, "team_id": team_id})

    async def admin_clear_events(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        await asyncio.get_running_loop().run_in_executor(self.executor, self.store.truncate)
        return json_response({"cleared": True})

    async def redirect(self, request: web.Request) -> web.Response:
        """``/_emulator/redirect/PORT/PATH``: a 307 to ``PATH`` on this machine's ``PORT``, as a
        proxy in front of a PostHog might send; a client must not follow it with the key. The
        target is always loopback, so the route cannot send anyone elsewhere."""
        port = int(request.match_info["port"])
        if not 0 < port < 65536:
            raise api_errors.not_found()
        target = f"http://127.0.0.1:{port}/{request.match_info['tail']}"
        if request.query_string:
            target += "?" + request.query_string
        return web.Response(status=307, headers={"Location": target})

    # ---- app -----------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.cors_middleware, self.fault_middleware], client_max_size=256 * 1024**2)
        routes = []
        for prefix in ("projects", "environments"):
            base = f"/api/{prefix}/{{project_id}}/query"
            routes += [
                web.post(base + "/", self.create_query), web.post(base, self.create_query),
                web.get(base + "/{query_id}/", self.query_status), web.get(base + "/{query_id}", self.query_status),
                web.delete(base + "/{query_id}/", self.cancel_query), web.delete(base + "/{query_id}", self.cancel_query),
            ]
        routes += [
            web.get("/api/personal_api_keys/@current/", self.current_key),
            web.get("/api/personal_api_keys/@current", self.current_key),
            web.get("/api/users/@me/", self.me), web.get("/api/users/@me", self.me),
            web.get("/api/projects/", self.list_projects), web.get("/api/projects", self.list_projects),
            web.get("/api/projects/{project_id}/", self.get_project),
            web.get("/api/projects/{project_id}", self.get_project),
        ]
        for path in ("/batch/", "/batch", "/i/v0/e/", "/i/v0/e", "/e/", "/e", "/capture/", "/capture", "/track/",
                     "/track", "/engage/", "/i/v0/ai/batch/", "/i/v0/ai/batch", "/i/v1/analytics/events"):
            routes.append(web.post(path, self.capture))
        for path in ("/flags/", "/flags", "/decide/", "/decide"):
            routes += [web.post(path, self.flags), web.get(path, self.flags)]
        routes += [
            web.get("/_emulator/status", self.admin_status),
            web.get("/_emulator/running", self.admin_running),
            web.post("/_emulator/faults", self.admin_faults),
            web.post("/_emulator/budget/reset", self.admin_reset_budget),
            web.post("/_emulator/events", self.admin_load_events),
            web.post("/_emulator/ai_events", self.admin_ai_events),
            web.post("/_emulator/typed_properties", self.admin_typed_properties),
            web.get("/_emulator/property_definitions", self.admin_property_definitions),
            web.post("/_emulator/events/clear", self.admin_clear_events),
            web.route("*", r"/_emulator/redirect/{port:\d+}/{tail:.*}", self.redirect),
        ]
        app.add_routes(routes)
        return app
