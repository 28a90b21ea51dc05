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
    teams: Vec<Team>,
}

#[derive(Clone, Deserialize)]
struct Team {
    id: u64,
    project_id: Option<u64>,
    #[serde(default)]
    name: String,
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
    let scoped: Vec<u64> = key.scoped_teams.unwrap_or_default();
    let (projects, note) = match client.get("users/@me", ME_PATH).await {
        Ok(body) => match serde_json::from_str::<MeBody>(&body) {
            Ok(me) => (from_me(me, &scoped), None),
            Err(e) => (by_id(&scoped), Some(format!("PostHog's user answer could not be read ({e}); listing the key's projects by id."))),
        },
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

/// The organization's projects the key may use, the current one first.
fn from_me(me: MeBody, scoped: &[u64]) -> Vec<ProjectChoice> {
    let mut teams: Vec<Team> = me.organization.map(|o| o.teams).unwrap_or_default();
    if teams.is_empty() {
        teams.extend(me.team.clone());
    }
    let current = me.team.map(|t| t.choice().id);
    let mut out: Vec<ProjectChoice> = Vec::new();
    for t in teams {
        let c = t.choice();
        let allowed = scoped.is_empty() || scoped.contains(&c.id) || scoped.contains(&t.id);
        if allowed && !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
    out.sort_by_key(|c| (Some(c.id) != current, c.id));
    out
}

fn by_id(scoped: &[u64]) -> Vec<ProjectChoice> {
    scoped.iter().map(|&id| ProjectChoice { id, name: format!("Project {id}") }).collect()
}
