"""Organization, projects and personal API keys the emulator knows, from defaults, flags or JSON.

Defaults (see the README for the table):

* organization ``Emulator Org`` with projects 1 (``Default project``) and 2 (``Second project``);
* ``phx_emulator_all``: scopes ``*``, every project;
* ``phx_emulator_query``: ``query:read`` only (so ``/api/users/@me/`` answers 403 like PostHog);
* ``phx_emulator_project2``: scopes ``*``, scoped to project 2;
* ``phx_emulator_no_query``: ``user:read`` and ``project:read``, no ``query:read``;
* ``phx_emulator_org``: scopes ``*``, scoped to the emulator's organization;
* ``phx_emulator_other_org``: scopes ``*``, scoped to another organization (``OTHER_ORGANIZATION_ID``),
  so every project-based endpoint answers 403 "...requested organization...".

An organization may forbid personal API keys to its members (the JSON config's
``organization.members_can_use_personal_api_keys: false`` with ``membership_level`` below 8, an
admin's): its project-based endpoints then answer 403 with PostHog's "does not allow" text.

A ``--key`` flag reads ``KEY=SCOPES[@PROJECTS]``, for example ``phx_test=*`` or
``phx_p2=query:read,user:read@2``; giving any ``--key`` replaces the default keys.
"""

import json
import uuid
from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    api_token: str
    uuid: str


@dataclass(frozen=True)
class PersonalApiKey:
    value: str
    scopes: tuple
    scoped_teams: tuple = ()
    label: str = ""
    scoped_organizations: tuple = ()  # organization ids (UUID strings)

    def has_scope(self, required: str) -> bool:
        """PostHog's rule: ``*`` grants everything, and ``x:write`` also grants ``x:read``."""
        if "*" in self.scopes:
            return True
        valid = {required}
        if required.endswith(":read"):
            valid.add(required[: -len(":read")] + ":write")
        return bool(valid & set(self.scopes))


@dataclass
class EmulatorConfig:
    organization_id: str = "01930000-0000-7000-8000-000000000001"
    organization_name: str = "Emulator Org"
    user_email: str = "emulator@example.com"
    user_uuid: str = "01930000-0000-7000-8000-0000000000aa"
    # PostHog's organization security setting; admins (level 8 and up) may use keys regardless
    members_can_use_personal_api_keys: bool = True
    membership_level: int = 15  # the user's level: 1 member, 8 admin, 15 owner
    projects: list = field(default_factory=list)
    keys: dict = field(default_factory=dict)

    def project(self, project_id: int) -> Optional[Project]:
        return next((p for p in self.projects if p.id == project_id), None)

    @property
    def refuses_personal_keys(self) -> bool:
        """Whether the organization forbids this (non-admin) user's personal API keys."""
        return not self.members_can_use_personal_api_keys and self.membership_level < ADMIN_LEVEL

    def project_for_token(self, token: str) -> Optional[Project]:
        return next((p for p in self.projects if p.api_token == token), None)

    @property
    def default_project(self) -> Project:
        return self.projects[0]


def _project(project_id: int, name: str) -> Project:
    return Project(project_id, name, f"phc_emulator_project_{project_id}", str(uuid.UUID(int=0x01930000_0000_7000_8000_000000001000 + project_id)))


OTHER_ORGANIZATION_ID = "01930000-0000-7000-8000-0000000000ff"
ADMIN_LEVEL = 8

DEFAULT_KEYS = [
    PersonalApiKey("phx_emulator_all", ("*",), (), "all access"),
    PersonalApiKey("phx_emulator_query", ("query:read",), (), "query only"),
    PersonalApiKey("phx_emulator_project2", ("*",), (2,), "project 2 only"),
    PersonalApiKey("phx_emulator_no_query", ("user:read", "project:read"), (), "no query scope"),
    PersonalApiKey("phx_emulator_org", ("*",), (), "this organization only", (EmulatorConfig.organization_id,)),
    PersonalApiKey("phx_emulator_other_org", ("*",), (), "another organization only", (OTHER_ORGANIZATION_ID,)),
]


def parse_key_flag(text: str) -> PersonalApiKey:
    """``KEY=SCOPES[@PROJECTS]`` with comma-separated scopes and project ids."""
    if "=" not in text:
        raise ValueError(f"--key expects KEY=SCOPES[@PROJECTS], got {text!r}")
    value, rest = text.split("=", 1)
    scopes_text, _, teams_text = rest.partition("@")
    scopes = tuple(s.strip() for s in scopes_text.split(",") if s.strip())
    teams = tuple(int(t) for t in teams_text.split(",") if t.strip())
    if not value or not scopes:
        raise ValueError(f"--key needs a key and at least one scope, got {text!r}")
    return PersonalApiKey(value, scopes, teams, "from --key")


def build_config(key_flags: list, config_file: Optional[str]) -> EmulatorConfig:
    """Defaults, then a JSON config file, then ``--key`` flags (each replacing the keys before it)."""
    config = EmulatorConfig(projects=[_project(1, "Default project"), _project(2, "Second project")])
    config.keys = {k.value: k for k in DEFAULT_KEYS}
    if config_file:
        with open(config_file, encoding="utf-8") as handle:
            data = json.load(handle)
        org = data.get("organization", {})
        config.organization_id = org.get("id", config.organization_id)
        config.organization_name = org.get("name", config.organization_name)
        config.members_can_use_personal_api_keys = bool(org.get("members_can_use_personal_api_keys", True))
        config.membership_level = int(org.get("membership_level", config.membership_level))
        if "projects" in data:
            config.projects = [
                Project(p["id"], p.get("name", f"Project {p['id']}"), p.get("api_token", f"phc_emulator_project_{p['id']}"),
                        p.get("uuid", _project(p["id"], "").uuid))
                for p in data["projects"]
            ]
        if "keys" in data:
            config.keys = {
                k["value"]: PersonalApiKey(k["value"], tuple(k.get("scopes", ["*"])), tuple(k.get("scoped_teams", [])),
                                           k.get("label", ""), tuple(k.get("scoped_organizations", [])))
                for k in data["keys"]
            }
    if key_flags:
        keys = [parse_key_flag(text) for text in key_flags]
        config.keys = {k.value: k for k in keys}
    if not config.projects:
        raise ValueError("the configuration needs at least one project")
    return config
