//! PostHog's private API as the client uses it: hosts, endpoints, request
//! bodies, and errors mapped from `{type, code, detail, attr}` bodies.

use super::hogql::Query;
use crate::source::SourceError;
use serde::Deserialize;
use serde_json::json;

/// US cloud's API host.
pub const US: &str = "https://us.posthog.com";
/// EU cloud's API host.
pub const EU: &str = "https://eu.posthog.com";

/// Where the user's PostHog lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    Us,
    Eu,
    /// US first; on 401, EU (a key does not say its region).
    Auto,
    /// A self-hosted instance (or a test server), without trailing slash.
    Custom(String),
}

impl Host {
    /// Reads `us`, `eu`, `auto`, or an `https://` URL (cloud ingestion hosts
    /// such as `us.i.posthog.com` mean their region's API host). Plain
    /// `http://` would carry the key in clear text, so it is refused but for
    /// this computer's own addresses ([`is_loopback`]), where a local
    /// PostHog or a test server runs.
    pub fn parse(s: &str) -> Result<Host, String> {
        let t = s.trim().trim_end_matches('/');
        let lower = t.to_ascii_lowercase();
        match lower.as_str() {
            "us" | "https://us.posthog.com" | "https://us.i.posthog.com" | "https://app.posthog.com" => return Ok(Host::Us),
            "eu" | "https://eu.posthog.com" | "https://eu.i.posthog.com" => return Ok(Host::Eu),
            "auto" => return Ok(Host::Auto),
            _ => {}
        }
        let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => return Err(format!("a PostHog host is us, eu, auto or an https:// URL, not {s:?}")),
        };
        if t.contains(['?', '#', ' ', '@', '\\']) || t.chars().any(char::is_control) {
            return Err(format!("a PostHog host is us, eu, auto or an https:// URL without query, fragment or user name, not {s:?}"));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        let name = host_name(authority);
        if name.is_empty() {
            return Err(format!("the URL {s:?} names no host"));
        }
        if !secure && !is_loopback(name) {
            return Err(format!(
                "the key would travel in clear text to {name}: use https:// for a self-hosted PostHog (http:// is accepted only for this computer: localhost, 127.x.x.x, [::1])"
            ));
        }
        Ok(Host::Custom(t.to_string()))
    }

    /// The host tried first.
    pub fn first(&self) -> &str {
        match self {
            Host::Us | Host::Auto => US,
            Host::Eu => EU,
            Host::Custom(url) => url,
        }
    }
}

/// The host name of a URL's authority (`host`, `host:port`, `[v6]:port`),
/// lower-cased as given, without the port or an IPv6 address's brackets.
fn host_name(authority: &str) -> &str {
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// Whether `name` (from [`host_name`]) is this computer: `localhost` (and
/// its subdomains, which browsers resolve to loopback), 127.0.0.0/8 or ::1.
pub fn is_loopback(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || name.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A project id as it goes into a URL: digits only.
pub fn project_id(s: &str) -> Result<String, String> {
    let t = s.trim();
    if !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(format!("a PostHog project id is a number, not {s:?}"))
    }
}

/// The query endpoint of a project.
pub fn query_url(base: &str, project: &str) -> String {
    format!("{base}/api/projects/{project}/query/")
}

/// The status endpoint of an async query (poll with GET, cancel with DELETE).
pub fn query_status_url(base: &str, project: &str, id: &str) -> String {
    let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!("{base}/api/projects/{project}/query/{id}/")
}

/// The key's own description (no scope needed).
pub const CURRENT_KEY_PATH: &str = "/api/personal_api_keys/@current/";
/// The user, their organization and its projects (needs `user:read`).
pub const ME_PATH: &str = "/api/users/@me/";

/// How PostHog should run a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Answer in the response (up to PostHog's execution limit).
    Blocking,
    /// Answer 202 with an id to poll.
    Async,
}

/// The request body of a HogQL query.
pub fn query_body(q: &Query, refresh: Refresh) -> String {
    let refresh = match refresh {
        Refresh::Blocking => "blocking",
        Refresh::Async => "async",
    };
    json!({
        "query": {"kind": "HogQLQuery", "query": q.hogql, "values": q.values},
        "name": format!("trace-optimizer:{}", q.name),
        "refresh": refresh,
    })
    .to_string()
}

/// PostHog's error body.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    code: Option<String>,
    detail: Option<String>,
}

/// Most characters of a body quoted in an error message.
const QUOTED: usize = 200;

/// The error an answer with this status and body stands for.
pub fn error_from(status: u16, body: &str) -> SourceError {
    let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let detail = parsed.detail.unwrap_or_else(|| {
        let t: String = body.chars().filter(|c| !c.is_control()).take(QUOTED).collect();
        if t.trim().is_empty() { format!("HTTP {status}") } else { t }
    });
    match status {
        400 => SourceError::Query(match parsed.code {
            Some(code) => format!("{code}: {detail}"),
            None => detail,
        }),
        401 => SourceError::Unauthorized(detail),
        402 => SourceError::QuotaExceeded(detail),
        403 if detail.contains("missing required scope") => SourceError::Forbidden(format!("{detail} Create a personal API key with the query:read scope.")),
        403 if detail.contains("does not have access to the requested project") => {
            SourceError::Forbidden(format!("{detail} The key is limited to other projects: pick one of them or widen the key."))
        }
        403 if detail.contains("does not have access to the requested organization") => {
            SourceError::Forbidden(format!("{detail} The key is limited to other organizations: pick a project of theirs, or create a key for this organization."))
        }
        403 if super::discovery::forbids_personal_keys(&detail) => SourceError::Forbidden(format!(
            "{detail} This organization lets only its admins use personal API keys (Organization settings, Members can use personal API keys): ask an admin to allow them, or to run the analysis."
        )),
        403 => SourceError::Forbidden(detail),
        404 => SourceError::NotFound(detail),
        429 => SourceError::RateLimited { wait_s: throttle_wait(&detail), detail },
        504 => SourceError::Timeout(detail),
        512 => SourceError::Timeout(format!("PostHog estimated the query would take too long: {detail}")),
        500..=599 => SourceError::Server { status, detail },
        _ => SourceError::BadResponse(format!("unexpected HTTP {status}: {detail}")),
    }
}

/// The wait PostHog names in a throttled error ("Expected available in 37
/// seconds."); `None` for the concurrency limit, which names no wait.
pub fn throttle_wait(detail: &str) -> Option<u64> {
    let rest = &detail[detail.find("available in ")? + "available in ".len()..];
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    number.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(|s| s.ceil() as u64)
}


#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(detail: &str) -> String {
        match error_from(403, &json!({"type": "authentication_error", "code": "permission_denied", "detail": detail}).to_string()) {
            SourceError::Forbidden(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn self_hosted_hosts_need_https_but_this_computer() {
        let custom = |s: &str| Host::parse(s).map(|h| h.first().to_string());
        assert_eq!(custom("https://posthog.example.com/"), Ok("https://posthog.example.com".into()));
        assert_eq!(custom("HTTPS://PostHog.example.com:8443/sub"), Ok("HTTPS://PostHog.example.com:8443/sub".into()));
        for local in ["http://localhost:8000", "http://127.0.0.1:8010", "http://127.9.8.7", "http://[::1]:8000", "http://app.localhost", "http://LOCALHOST"] {
            assert!(custom(local).is_ok(), "{local}");
        }
        for remote in ["http://posthog.example.com", "http://10.0.0.5:8000", "http://[::2]:80", "http://128.0.0.1", "http://localhost.example.com", "http://127.0.0.1.example.com"] {
            let e = custom(remote).unwrap_err();
            assert!(e.contains("clear text") && e.contains("https://"), "{remote}: {e}");
        }
        assert!(custom("ftp://x").unwrap_err().contains("https:// URL"));
        assert!(custom("https://user@posthog.example.com").is_err());
        assert!(custom("https:///api").unwrap_err().contains("names no host"));
        assert!(custom("https://").unwrap_err().contains("https:// URL"));
        assert!(custom("https://x.com/\u{0}").is_err());
    }

    #[test]
    fn organization_refusals_keep_posthogs_text_and_say_what_to_do() {
        let scoped = "API key does not have access to the requested organization: ID 01930000-0000-7000-8000-000000000001.";
        let m = forbidden(scoped);
        assert!(m.starts_with(scoped) && m.contains("limited to other organizations"), "{m}");
        let refused = "Organization 'Acme' does not allow using personal API keys.";
        let m = forbidden(refused);
        assert!(m.starts_with(refused) && m.contains("only its admins"), "{m}");
        assert_eq!(forbidden("You don't have access to the project."), "You don't have access to the project.");
    }
}
