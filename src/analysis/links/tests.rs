use super::*;
use chrono::TimeZone;

fn ph() -> (String, String) {
    ("https://eu.posthog.com/".to_string(), "42".to_string())
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, h, m, s).unwrap()
}

fn op(trace: &str, operation: &str, first_seen: DateTime<Utc>) -> TraceOpRow {
    TraceOpRow { trace_id: trace.into(), operation: operation.into(), first_seen, generations: 1, ..TraceOpRow::default() }
}

/// Percent-decoding written apart from [`encode`], bytes then UTF-8.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(v)) = (b[i], hex) {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The path segments of a URL's path (after the host), as a browser splits
/// them: the query starts at the first `?`, the fragment at the first `#`,
/// and `\` separates segments as `/` does in http URLs.
fn segments(path: &str) -> Vec<String> {
    let path = path.split(['?', '#']).next().unwrap();
    path.split(['/', '\\']).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[test]
fn links_send_the_trace_start_not_the_cited_operation() {
    // The cited operation `b` starts 8 minutes after `a`, the trace's first.
    let trace_ops = [op("t", "a", at(10, 0, 30) + Duration::milliseconds(750)), op("t", "b", at(10, 8, 0)), op("u", "a", at(9, 0, 0))];
    let times = TraceTimes::of(&trace_ops, &[], ["t"]);
    let url = trace_url(Some(&ph()), "t", times.get("t")).unwrap();
    assert_eq!(url, "https://eu.posthog.com/project/42/llm-analytics/traces/t?timestamp=2026-11-01T09%3A55%3A30Z");
    assert_eq!(times.get("u"), None, "only the cited traces are kept");
}

#[test]
fn generations_read_closely_widen_the_span() {
    let trace_ops = [op("t", "a", at(10, 0, 0))];
    let generations = [GenerationRow { trace_id: "t".into(), timestamp: at(10, 40, 0), ..GenerationRow::default() }];
    let span = TraceTimes::of(&trace_ops, &generations, ["t"]).get("t").unwrap();
    assert_eq!(span, Span { first: at(10, 0, 0), last: at(10, 40, 0) });
    assert_eq!(trace_url(Some(&ph()), "t", Some(span)).unwrap(), "https://eu.posthog.com/project/42/llm-analytics/traces/t", "a 40-minute trace gets no timestamp");
}

#[test]
fn long_traces_get_no_timestamp() {
    let span = |minutes: i64, extra_s: i64| Some(Span { first: at(10, 0, 0), last: at(10, 0, 0) + Duration::minutes(minutes) + Duration::seconds(extra_s) });
    let has_ts = |s| trace_url(Some(&ph()), "t", s).unwrap().contains("timestamp=");
    assert!(has_ts(span(0, 0)));
    assert!(has_ts(span(15, 0)), "a trace the page reads whole keeps its timestamp");
    assert!(!has_ts(span(15, 1)), "past what the page reads after the timestamp");
    assert!(!has_ts(span(30, 0)));
    assert!(!has_ts(None), "an uncited trace is looked up from the start of the data");
}

#[test]
fn hostile_ids_round_trip_through_url_decoding_and_the_redirect() {
    let ids = ["a/b", "q?x=1&y=2", "h#frag", "100%", "%41", "back\\slash", "sp ace", "日本語 🚀", "run:7@host+(1)", "0c5f6d2e-1b7a-4c1e-9a55-7e0b1f3c2d4e", "a/b?c=<x>\"#%"];
    for id in ids {
        let url = trace_url(Some(&ph()), id, Some(Span { first: at(10, 0, 0), last: at(10, 1, 0) })).unwrap();
        let path = url.strip_prefix("https://eu.posthog.com").unwrap();
        let segs = segments(path);
        assert_eq!(segs.len(), 5, "{id}: {url}");
        assert_eq!((segs[0].as_str(), segs[1].as_str(), segs[3].as_str()), ("project", "42", "traces"), "{url}");
        assert_eq!(decode(&segs[4]), id, "{url}");
        assert!(path.split_once('?').is_some_and(|(_, q)| q == "timestamp=2026-11-01T09%3A55%3A00Z"), "{url}");
        // PostHog's redirect from the legacy route decodes the id and puts
        // it back into the new path as it is.
        match segs[2].as_str() {
            "llm-analytics" => {
                let redirected = segments(&format!("/ai-observability/traces/{id}"));
                assert!(redirected.len() == 3 && decode(&redirected[2]) == id, "{id} does not survive the redirect: {redirected:?}");
            }
            "ai-observability" => {}
            other => panic!("unknown route {other}"),
        }
    }
    assert!(trace_url(Some(&ph()), "0c5f6d2e-1b7a", None).unwrap().contains("/llm-analytics/"), "plain ids keep the route every version has");
    assert!(trace_url(Some(&ph()), "a/b", None).unwrap().contains("/ai-observability/"));
}

#[test]
fn no_page_no_link() {
    assert_eq!(trace_url(None, "t", None), None, "no PostHog, no link");
    for id in ["", ".", ".."] {
        assert_eq!(trace_url(Some(&ph()), id, None), None, "{id:?} names no trace page");
    }
    assert_eq!(encode("é"), "%C3%A9");
}
