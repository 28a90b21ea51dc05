//! Which projects a key can analyse, so the user picks one instead of
//! typing an id: the key's own description (`/api/personal_api_keys/@current/`,
//! no scope needed) and, when the key may read the user (`user:read`), the
//! organization's projects from `/api/users/@me/`.

use super::api::{CURRENT_KEY_PATH, ME_PATH};
use super::client::Client;
use super::transport::Transport;
use crate::source::SourceError;
use serde::Deserialize;

/// A project the user can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectChoice {
    pub id: u64,
    /// The project's name, or `Project {id}` when the key cannot read names.
    pub name: String,
}

/// What the key may do and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// The key's scopes (`*` when unrestricted).
    pub scopes: Vec<String>,
    /// Whether the scopes allow HogQL queries (`query:read`).
    pub can_query: bool,
    /// Projects to offer, the user's current one first when known. Empty
    /// when neither the key nor the user names one: ask for the id.
    pub projects: Vec<ProjectChoice>,
    /// Why the list may be partial or empty, for the connect panel.
    pub note: Option<String>,
}

/// The key's own description: its scopes, and the projects it is limited to.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct KeyScopes {
    /// `*` when unrestricted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Project ids, when the key is limited to some.
    #[serde(default)]
    pub scoped_teams: Option<Vec<u64>>,
    /// Organization ids (UUIDs), when the key is limited to some: PostHog
    /// refuses it on every project of the others.
    #[serde(default)]
    pub scoped_organizations: Option<Vec<String>>,
}

impl KeyScopes {
    /// Whether the scopes allow HogQL queries (`query:read`).
    pub fn can_query(&self) -> bool {
        self.scopes.iter().any(|s| matches!(s.as_str(), "*" | "query:read" | "query:write"))
    }
}

/// Asks PostHog what the client's key may do (one request, no scope
/// needed): all a run needs before its queries, where [`discover`] also
/// lists projects for the picker.
pub async fn key_scopes<T: Transport>(client: &Client<T>) -> Result<KeyScopes, SourceError> {
    let body = client.get("personal_api_keys/@current", CURRENT_KEY_PATH).await?;
    serde_json::from_str(&body).map_err(|e| SourceError::BadResponse(format!("the key's description: {e}")))
}

#[derive(Deserialize)]
struct MeBody {
    team: Option<Team>,
    organization: Option<Organization>,
}

#[derive(Deserialize)]
struct Organization {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    teams: Vec<Team>,
    /// The organization's security setting: `false` keeps personal API keys to its admins.
    #[serde(default)]
    members_can_use_personal_api_keys: Option<bool>,
    /// The user's level in it: 1 member, 8 admin, 15 owner.
    #[serde(default)]
    membership_level: Option<u8>,
}

/// PostHog's lowest membership level that may use personal API keys where members may not.
const ADMIN_LEVEL: u8 = 8;

#[derive(Clone, Deserialize)]
struct Team {
    id: u64,
    project_id: Option<u64>,
    #[serde(default)]
    name: String,
    /// The team's organization id.
    #[serde(default)]
    organization: Option<String>,
}

impl Team {
    fn choice(&self) -> ProjectChoice {
        let id = self.project_id.unwrap_or(self.id);
        let name = if self.name.is_empty() { format!("Project {id}") } else { self.name.clone() };
        ProjectChoice { id, name }
    }
}

/// Asks PostHog what the client's key may do (two requests, no HogQL).
/// Fails only when the key itself is refused or PostHog cannot be reached.
pub async fn discover<T: Transport>(client: &Client<T>) -> Result<Discovery, SourceError> {
    let key = key_scopes(client).await?;
    let can_query = key.can_query();
    let scoped: Vec<u64> = key.scoped_teams.clone().unwrap_or_default();
    let orgs: Vec<String> = key.scoped_organizations.clone().unwrap_or_default();
    let (projects, note) = match client.get("users/@me", ME_PATH).await {
        Ok(body) => match serde_json::from_str::<MeBody>(&body) {
            Ok(me) => from_me(me, &scoped, &orgs),
            Err(e) => (by_id(&scoped), Some(format!("PostHog's user answer could not be read ({e}); listing the key's projects by id."))),
        },
        Err(SourceError::Forbidden(detail)) if forbids_personal_keys(&detail) => return Err(SourceError::Forbidden(detail)),
        Err(SourceError::Forbidden(_)) => (
            by_id(&scoped),
            Some(if scoped.is_empty() {
                "The key may not read your user (no user:read scope), so its projects are unknown: enter the project id (PostHog: Settings, Project, Project ID).".to_string()
            } else {
                "The key may not read your user (no user:read scope): its projects are listed by id.".to_string()
            }),
        ),
        Err(SourceError::Cancelled) => return Err(SourceError::Cancelled),
        Err(e) => (by_id(&scoped), Some(format!("Projects could not be listed: {e}"))),
    };
    Ok(Discovery { scopes: key.scopes, can_query, projects, note })
}

/// Whether a 403's detail is PostHog's refusal of an organization that
/// forbids its members personal API keys ("Organization 'X' does not allow
/// using personal API keys.").
pub fn forbids_personal_keys(detail: &str) -> bool {
    detail.contains("does not allow using personal API keys")
}

/// The organization's projects the key may use (its projects, within its
/// organizations), the current one first; with a note when the key's
/// organizations leave none of them.
fn from_me(me: MeBody, scoped: &[u64], orgs: &[String]) -> (Vec<ProjectChoice>, Option<String>) {
    let refused = me.organization.as_ref().is_some_and(|o| o.members_can_use_personal_api_keys == Some(false) && o.membership_level.is_some_and(|l| l < ADMIN_LEVEL));
    let (org_id, org_name, mut teams) = match me.organization {
        Some(o) => (o.id, o.name, o.teams),
        None => (None, String::new(), Vec::new()),
    };
    if teams.is_empty() {
        teams.extend(me.team.clone());
    }
    let current = me.team.map(|t| t.choice().id);
    let mut out: Vec<ProjectChoice> = Vec::new();
    let mut other_org = 0;
    for t in teams {
        let c = t.choice();
        let team_org = t.organization.as_ref().or(org_id.as_ref());
        let in_orgs = orgs.is_empty() || team_org.is_some_and(|o| orgs.contains(o));
        let allowed = scoped.is_empty() || scoped.contains(&c.id) || scoped.contains(&t.id);
        other_org += usize::from(allowed && !in_orgs);
        if allowed && in_orgs && !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
    crate::order::sort_by_key(&mut out, |c| (Some(c.id) != current, c.id));
    let name = if org_name.is_empty() { "your current organization".to_string() } else { format!("your current organization ({org_name})") };
    let note = if out.is_empty() && other_org > 0 {
        Some(format!(
            "The key is limited to other organizations than {name}, whose projects PostHog would refuse: switch to the key's organization in PostHog and list again, or create a key for this one."
        ))
    } else if refused && !out.is_empty() {
        Some(format!(
            "{name} lets only its admins use personal API keys, so PostHog may refuse this key on its projects: ask an admin to allow members' keys (Organization settings), or to run the analysis."
        ))
    } else {
        None
    };
    (out, note)
}

fn by_id(scoped: &[u64]) -> Vec<ProjectChoice> {
    scoped.iter().map(|&id| ProjectChoice { id, name: format!("Project {id}") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::posthog::{ApiKey, CancelToken, Cancelled, Host, HttpRequest, HttpResponse, TransportError};
    use futures::executor::block_on;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::time::Duration;

    /// PostHog's answers in order, by path; records the paths asked.
    #[derive(Default)]
    struct Scripted {
        answers: RefCell<VecDeque<(&'static str, u16, String)>>,
        asked: RefCell<Vec<String>>,
    }

    impl Transport for &Scripted {
        async fn send(&self, request: HttpRequest, _cancel: &CancelToken) -> Result<HttpResponse, TransportError> {
            self.asked.borrow_mut().push(request.url.clone());
            let (path, status, body) = self.answers.borrow_mut().pop_front().expect("more requests than scripted answers");
            assert!(request.url.ends_with(path), "asked {} where the script answers {path}", request.url);
            Ok(HttpResponse { status, body })
        }

        async fn sleep(&self, _duration: Duration, _cancel: &CancelToken) -> Result<(), Cancelled> {
            Ok(())
        }
    }

    const OWN: &str = "01930000-0000-7000-8000-000000000001";
    const OTHER: &str = "01930000-0000-7000-8000-0000000000ff";

    fn key(orgs: &[&str]) -> String {
        serde_json::json!({"scopes": ["*"], "scoped_teams": [], "scoped_organizations": orgs}).to_string()
    }

    fn me(members_can_use_keys: bool, level: u8) -> String {
        let team = |id: u64, name: &str| serde_json::json!({"id": id, "project_id": id, "name": name, "organization": OWN});
        serde_json::json!({
            "team": team(2, "Second"),
            "organization": {"id": OWN, "name": "Acme", "membership_level": level, "members_can_use_personal_api_keys": members_can_use_keys,
                             "teams": [team(1, "Default"), team(2, "Second")]},
        })
        .to_string()
    }

    fn discover_with(answers: Vec<(&'static str, u16, String)>) -> (Result<Discovery, SourceError>, usize) {
        let t = Scripted { answers: RefCell::new(answers.into()), ..Scripted::default() };
        let client = Client::new(&t, ApiKey::new("phx_test"), Host::Custom("http://posthog.test".into()));
        let out = block_on(discover(&client));
        let asked = t.asked.borrow().len();
        (out, asked)
    }

    fn ids(d: &Discovery) -> Vec<u64> {
        d.projects.iter().map(|p| p.id).collect()
    }

    #[test]
    fn a_key_of_the_users_organization_lists_its_projects() {
        for orgs in [&[][..], &[OWN][..], &[OTHER, OWN][..]] {
            let (d, asked) = discover_with(vec![(CURRENT_KEY_PATH, 200, key(orgs)), (ME_PATH, 200, me(true, 1))]);
            let d = d.unwrap();
            assert_eq!((ids(&d), d.note, asked), (vec![2, 1], None, 2), "scoped to {orgs:?}");
        }
    }

    #[test]
    fn a_key_of_other_organizations_offers_none_of_this_ones_projects() {
        let (d, _) = discover_with(vec![(CURRENT_KEY_PATH, 200, key(&[OTHER])), (ME_PATH, 200, me(true, 15))]);
        let d = d.unwrap();
        assert!(d.projects.is_empty(), "{:?}", d.projects);
        let note = d.note.expect("a note says why");
        assert!(note.contains("other organizations") && note.contains("Acme"), "{note}");
    }

    #[test]
    fn an_organization_keeping_keys_to_admins_is_named_for_members_only() {
        let (d, _) = discover_with(vec![(CURRENT_KEY_PATH, 200, key(&[])), (ME_PATH, 200, me(false, 1))]);
        let note = d.unwrap().note.expect("members are warned");
        assert!(note.contains("only its admins") && note.contains("Acme"), "{note}");
        let (d, _) = discover_with(vec![(CURRENT_KEY_PATH, 200, key(&[])), (ME_PATH, 200, me(false, 8))]);
        assert_eq!(d.unwrap().note, None, "an admin's key is not refused");
    }

    #[test]
    fn posthogs_refusal_of_personal_keys_is_explained() {
        let refusal = "Organization 'Acme' does not allow using personal API keys. Contact an admin to enable personal API keys for this organization.";
        let body = serde_json::json!({"type": "authentication_error", "code": "permission_denied", "detail": refusal}).to_string();
        let (d, asked) = discover_with(vec![(CURRENT_KEY_PATH, 403, body.clone())]);
        match d {
            Err(SourceError::Forbidden(m)) => assert!(m.starts_with(refusal) && m.contains("ask an admin"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(asked, 1);
        // On the user endpoint too it is the refusal, not a missing user:read scope.
        let (d, _) = discover_with(vec![(CURRENT_KEY_PATH, 200, key(&[])), (ME_PATH, 403, body)]);
        assert!(matches!(d, Err(SourceError::Forbidden(m)) if forbids_personal_keys(&m) && !m.contains("user:read")));
    }

    #[test]
    fn a_missing_user_scope_still_lists_the_keys_projects_by_id() {
        let body = serde_json::json!({"detail": "API key missing required scope 'user:read'"}).to_string();
        let scoped = serde_json::json!({"scopes": ["query:read"], "scoped_teams": [7]}).to_string();
        let (d, _) = discover_with(vec![(CURRENT_KEY_PATH, 200, scoped), (ME_PATH, 403, body)]);
        let d = d.unwrap();
        assert_eq!(ids(&d), vec![7]);
        assert!(d.note.unwrap().contains("user:read"));
    }
}
