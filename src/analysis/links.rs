//! Links back into PostHog.
//!
//! Trace pages live at `{host}/project/{id}/llm-analytics/traces/{trace_id}`:
//! PostHog's long-standing route, which its newest frontend redirects to
//! `/ai-observability/traces/{trace_id}` (keeping the query string), so one
//! link works on old self-hosted instances and on the cloud alike. The
//! `timestamp` parameter helps PostHog find the trace quickly.

use chrono::{DateTime, SecondsFormat, Utc};

/// The trace's page in PostHog, when the data came from PostHog and the
/// trace has an id (an empty one has no page).
pub fn trace_url(posthog: Option<&(String, String)>, trace_id: &str, seen: Option<DateTime<Utc>>) -> Option<String> {
    let (host, project) = posthog.filter(|_| !trace_id.is_empty())?;
    let mut url = format!("{}/project/{}/llm-analytics/traces/{}", host.trim_end_matches('/'), encode(project), encode(trace_id));
    if let Some(t) = seen {
        url.push_str("?timestamp=");
        url.push_str(&encode(&t.to_rfc3339_opts(SecondsFormat::Millis, true)));
    }
    Some(url)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn links_encode_hostile_ids() {
        let ph = ("https://eu.posthog.com/".to_string(), "42".to_string());
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap();
        assert_eq!(
            trace_url(Some(&ph), "a/b?c=<x>\"", Some(t)).unwrap(),
            "https://eu.posthog.com/project/42/llm-analytics/traces/a%2Fb%3Fc%3D%3Cx%3E%22?timestamp=2026-11-01T10%3A00%3A00.000Z"
        );
        assert_eq!(trace_url(None, "t", None), None, "no PostHog, no link");
        assert_eq!(trace_url(Some(&ph), "", Some(t)), None, "no id, no link");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
