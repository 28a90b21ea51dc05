"""Auth, scopes, project scoping, account endpoints and CORS, each with PostHog's exact answer."""

import json

import requests

QUERY = {"query": {"kind": "HogQLQuery", "query": "SELECT 1"}}


def post_query(emulator, project=1, headers=None):
    return requests.post(f"{emulator.url}/api/projects/{project}/query/", json=QUERY, headers=headers or {}, timeout=30)


def test_missing_credentials_is_401(emulator):
    response = post_query(emulator)
    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


def test_invalid_key_is_401(emulator):
    response = post_query(emulator, headers={"Authorization": "Bearer phx_not_a_key"})
    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": "Personal API key found in request Authorization header is invalid.",
        "attr": None,
    }


def test_unknown_project_is_404(emulator):
    response = post_query(emulator, project=999, headers={"Authorization": "Bearer phx_emulator_all"})
    assert response.status_code == 404
    assert response.json() == {"type": "invalid_request", "code": "not_found", "detail": "Project not found.", "attr": None}


def test_key_scoped_to_another_project_is_403(emulator):
    response = post_query(emulator, project=1, headers={"Authorization": "Bearer phx_emulator_project2"})
    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key does not have access to the requested project: ID 1.",
        "attr": None,
    }
    assert post_query(emulator, project=2, headers={"Authorization": "Bearer phx_emulator_project2"}).status_code == 200


def test_key_without_query_read_is_403(emulator):
    response = post_query(emulator, headers={"Authorization": "Bearer phx_emulator_no_query"})
    assert response.status_code == 403
    assert response.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key missing required scope 'query:read'",
        "attr": None,
    }


def test_query_only_key_can_query(emulator):
    assert post_query(emulator, headers={"Authorization": "Bearer phx_emulator_query"}).status_code == 200


def test_projects_do_not_see_each_others_events(emulator):
    assert emulator.rows("SELECT count() FROM events WHERE properties.$ai_trace_id LIKE 'p2t%'") == [[0]]
    assert emulator.rows("SELECT count() FROM events", project=2) == [[3]]


def test_current_key_needs_no_scope_and_lists_scopes(emulator):
    body = emulator.get("/api/personal_api_keys/@current/", key="phx_emulator_no_query").json()
    assert body["scopes"] == ["user:read", "project:read"]
    assert body["scoped_teams"] == [] and body["scoped_organizations"] == []
    assert emulator.get("/api/personal_api_keys/@current/").json()["scopes"] == ["*"]
    assert emulator.get("/api/personal_api_keys/@current/", key="phx_emulator_project2").json()["scoped_teams"] == [2]


def test_users_me_needs_user_read(emulator):
    response = emulator.get("/api/users/@me/", key="phx_emulator_query")
    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'user:read'"


def test_users_me_shape(emulator):
    body = emulator.get("/api/users/@me/").json()
    assert body["team"]["id"] == 1 and body["team"]["api_token"] == "phc_emulator_project_1"
    organization = body["organization"]
    assert organization["name"] == "Emulator Org"
    assert [t["id"] for t in organization["teams"]] == [1, 2]
    assert [p["id"] for p in organization["projects"]] == [1, 2]
    assert emulator.get("/api/users/@me/", key="phx_emulator_project2").json()["team"]["id"] == 2


def test_projects_list(emulator):
    body = emulator.get("/api/projects/").json()
    assert body["count"] == 2 and [p["id"] for p in body["results"]] == [1, 2]
    scoped = emulator.get("/api/projects/", key="phx_emulator_project2")
    assert scoped.status_code == 403
    assert scoped.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API keys with scoped projects are only supported on project-based endpoints.",
        "attr": None,
    }
    no_scope = emulator.get("/api/projects/", key="phx_emulator_query")
    assert no_scope.status_code == 403
    assert no_scope.json()["detail"] == "API key missing required scope 'project:read'"


def test_preflight_allows_authorization_and_content_type(emulator):
    response = requests.options(
        f"{emulator.url}/api/projects/1/query/",
        headers={
            "Origin": "http://localhost:8080",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = [h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")]
    assert "authorization" in allowed and "content-type" in allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Expose-Headers" not in response.headers


def test_only_the_test_controls_accept_the_admin_header_cross_origin(emulator):
    def allowed(path):
        response = requests.options(
            f"{emulator.url}{path}",
            headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-emulator-admin-token"},
            timeout=10,
        )
        return [h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")]

    assert "x-emulator-admin-token" in allowed("/_emulator/faults")
    assert "x-emulator-admin-token" not in allowed("/api/projects/1/query/")


def test_cors_on_success_and_error_echoes_origin_and_exposes_nothing(emulator):
    origin = {"Origin": "https://app.example"}
    for response in (
        post_query(emulator, headers={"Authorization": "Bearer phx_emulator_all", **origin}),
        post_query(emulator, headers={"Authorization": "Bearer phx_wrong", **origin}),
        emulator.query("SELECT nope FROM events", headers=origin),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Access-Control-Expose-Headers" not in response.headers


def test_no_cors_headers_without_origin(emulator):
    response = post_query(emulator, headers={"Authorization": "Bearer phx_emulator_all"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_keys_from_flags_replace_the_defaults(fresh_emulator_factory, tmp_path):
    emulator = fresh_emulator_factory("--key", "phx_flag=query:read@2")
    assert emulator.query("SELECT 1", key="phx_flag", project=2).status_code == 200
    assert emulator.query("SELECT 1", key="phx_flag", project=1).status_code == 403
    assert emulator.query("SELECT 1", key="phx_emulator_all").status_code == 401


def test_projects_and_keys_from_a_config_file(fresh_emulator_factory, tmp_path):
    config = tmp_path / "emulator.json"
    config.write_text(json.dumps({
        "organization": {"id": "org-7", "name": "Seven"},
        "projects": [{"id": 7, "name": "Seven", "api_token": "phc_seven"}],
        "keys": [{"value": "phx_seven", "scopes": ["query:read", "user:read"]}],
    }))
    emulator = fresh_emulator_factory("--config", str(config))
    assert emulator.query("SELECT 1", key="phx_seven", project=7).status_code == 200
    me = emulator.get("/api/users/@me/", key="phx_seven").json()
    assert me["team"]["id"] == 7 and me["organization"]["name"] == "Seven"
    assert emulator.query("SELECT 1", key="phx_seven", project=1).status_code == 404
