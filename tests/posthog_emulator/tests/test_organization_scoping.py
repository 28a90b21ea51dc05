"""Keys scoped to organizations, and organizations that forbid personal API keys, as PostHog's
``APIScopePermission`` answers them."""

import json

from conftest import ALL_KEY

OWN_ORG = "01930000-0000-7000-8000-000000000001"
OTHER_ORG = "01930000-0000-7000-8000-0000000000ff"


def test_current_key_lists_its_organizations(emulator):
    assert emulator.get("/api/personal_api_keys/@current/", key="phx_emulator_org").json()["scoped_organizations"] == [OWN_ORG]
    assert emulator.get("/api/personal_api_keys/@current/", key="phx_emulator_other_org").json()["scoped_organizations"] == [OTHER_ORG]
    assert emulator.get("/api/personal_api_keys/@current/", key=ALL_KEY).json()["scoped_organizations"] == []


def test_a_key_of_another_organization_is_refused_on_project_endpoints(emulator):
    response = emulator.query("SELECT 1", key="phx_emulator_other_org")
    assert response.status_code == 403
    assert response.json()["detail"] == f"API key does not have access to the requested organization: ID {OWN_ORG}."
    assert emulator.query("SELECT 1", key="phx_emulator_org").status_code == 200
    # The user endpoint is exempt from organization scoping: it still names the current organization.
    me = emulator.get("/api/users/@me/", key="phx_emulator_other_org")
    assert me.status_code == 200 and me.json()["organization"]["id"] == OWN_ORG


def test_an_organization_forbidding_personal_keys(fresh_emulator_factory, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"organization": {"name": "Strict Org", "members_can_use_personal_api_keys": False, "membership_level": 1}}))
    emulator = fresh_emulator_factory("--config", str(config))
    response = emulator.query("SELECT 1")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Organization 'Strict Org' does not allow using personal API keys. "
        "Contact an admin to enable personal API keys for this organization."
    )
    assert emulator.get("/api/projects/1/").status_code == 403
    # The key's own description and the user still answer.
    assert emulator.get("/api/personal_api_keys/@current/").status_code == 200
    org = emulator.get("/api/users/@me/").json()["organization"]
    assert (org["membership_level"], org["members_can_use_personal_api_keys"]) == (1, False)


def test_admins_may_use_keys_where_members_may_not(fresh_emulator_factory, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"organization": {"members_can_use_personal_api_keys": False, "membership_level": 8}}))
    emulator = fresh_emulator_factory("--config", str(config))
    assert emulator.query("SELECT 1").status_code == 200
