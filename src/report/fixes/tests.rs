use super::*;
use crate::analysis::dataset::TraceOpRow;
use crate::analysis::history::Metric;
use crate::analysis::recommend::{roadmap, Effort, EvidenceTrace, Excerpt, Kind, Language, ValidationPeriod};
use crate::report::markdown::to_html;
use chrono::{TimeZone, Utc};

const HOSTILE: &str = "<script>alert(1)</script> | *x* [l](javascript:1)";

fn rec(id: &str, effort: Effort, score: f64) -> Recommendation {
    Recommendation {
        id: id.into(),
        kind: Kind::RetryDedupe,
        operation: HOSTILE.into(),
        title: format!("Stop resending identical requests in {HOSTILE}"),
        problem: format!("3 traces of {HOSTILE} resend a request"),
        why: "Fixing it saves $2.00.".into(),
        evidence: vec![EvidenceTrace { trace_id: "t/1<b>".into(), first_seen: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), cost_usd: 0.5, input_tokens: 1200, output_tokens: 40, issue: HOSTILE.into() }],
        excerpt: Some(Excerpt { trace_id: "t/1<b>".into(), text: "```\n<script>alert(2)</script>".into() }),
        fix: "Allow one retry.".into(),
        code_before: "while True:\n    pass\n".into(),
        code_after: "for attempt in range(2):\n    pass\n".into(),
        measurement: Measurement {
            label: "cost per call of op".into(),
            metric: Some(Metric::CostPerCall { operation: "op".into() }),
            baseline: 0.004,
            target: 0.003,
            validation: ValidationPeriod { days: 14, reason: "two weeks".into() },
            hogql: "SELECT 1\n```\n<script>".into(),
        },
        savings_usd: 2.0,
        monthly_savings_usd: 2.0,
        share_of_spend: 0.02,
        monthly_at_risk_usd: 0.0,
        effort,
        score,
    }
}

fn recs(items: Vec<Recommendation>, min_wanted: usize) -> Recommendations {
    let shortfall = (items.len() < min_wanted).then(|| "1 recommendation was found where at least 3 were asked for.".to_string());
    Recommendations { roadmap: roadmap(&items), items, language: Language::Python, language_detected: true, min_wanted, shortfall, savings_usd: 2.0, monthly_savings_usd: 2.0 }
}

#[test]
fn sections_have_the_product_titles_and_five_parts() {
    let r = recs(vec![rec("retry_dedupe:a", Effort::Medium, 2.0), rec("truncation:b", Effort::Low, 1.0)], 2);
    let origin = Origin { label: "x".into(), posthog: Some(("https://eu.posthog.com".into(), "42".into())) };
    let started = TraceOpRow { trace_id: "t/1<b>".into(), operation: "a".into(), first_seen: Utc.with_ymd_and_hms(2026, 11, 1, 0, 2, 0).unwrap(), ..TraceOpRow::default() };
    let md = recommendations_section(&r, &origin, &TraceTimes::of(&[started], &[], ["t/1<b>"])) + &roadmap_section(&r);
    assert!(md.starts_with("## Recommendations\n"));
    assert!(md.contains("### Priority 1: Stop resending") && md.contains("### Priority 2: "));
    for part in ["**Problem.**", "**Why it matters.**", "**Evidence.**", "**Fix.**", "**How to measure.**", "```python\n", "```sql\n"] {
        assert!(md.contains(part), "{part}");
    }
    assert!(md.contains("](https://eu.posthog.com/project/42/ai-observability/traces/t%2F1%3Cb%3E?timestamp=2026-10-31T23%3A57%3A00Z)"), "{md}");
    assert!(md.contains("## Implementation Roadmap\n"));
    let roadmap_part = &md[md.find("## Implementation Roadmap").unwrap()..];
    assert!(roadmap_part.find("| 2 |").unwrap() < roadmap_part.find("| 1 |").unwrap(), "the quick win comes first");
}

#[test]
fn hostile_text_stays_text() {
    let r = recs(vec![rec("retry_dedupe:a", Effort::Medium, 2.0)], 3);
    let md = recommendations_section(&r, &Origin::default(), &TraceTimes::default()) + &roadmap_section(&r);
    let html = to_html(&md);
    assert!(!html.contains("<script") && !html.contains("href=\"javascript"), "{html}");
    assert!(!html.contains("<em>"), "{html}");
    assert_eq!(html.matches("<pre>").count(), 4, "excerpt, before, after and HogQL blocks stay closed: {html}");
    assert!(md.contains("Fewer recommendations than asked for"), "the shortfall is stated");
    assert!(!md.contains("](http"), "no PostHog origin, no links");
}

/// Every trace linked in the demo report sends its trace's earliest event
/// (over all its operations and the generations read) minus 5 minutes, or
/// no time when it lasts over 15 minutes; measured here from the dataset.
#[test]
fn report_links_start_at_each_trace_start() {
    let data = crate::testing::demo_dataset(true);
    let md = crate::report::recommendations_md(&crate::testing::demo_analysis(true));
    let decode = |s: &str| {
        let mut bytes = Vec::new();
        let mut rest = s.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            match (b, tail.get(..2).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())) {
                (b'%', Some(v)) => (bytes.push(v), rest = &tail[2..]),
                _ => (bytes.push(b), rest = tail),
            };
        }
        String::from_utf8(bytes).unwrap()
    };
    let (mut timed, mut untimed) = (0, 0);
    for link in md.split("](https://us.posthog.com/project/1/").skip(1) {
        let link = &link[..link.find(')').unwrap()];
        let (path, query) = link.split_once('?').map_or((link, None), |(p, q)| (p, Some(q)));
        let id = decode(path.rsplit('/').next().unwrap());
        let times: Vec<_> = data.trace_ops.iter().filter(|r| r.trace_id == id).map(|r| r.first_seen).chain(data.generations.iter().filter(|g| g.trace_id == id).map(|g| g.timestamp)).collect();
        let (first, last) = (*times.iter().min().expect("a linked trace is in the data"), *times.iter().max().unwrap());
        if last - first > chrono::Duration::minutes(15) {
            assert_eq!(query, None, "{link}");
            untimed += 1;
        } else {
            let sent = decode(query.and_then(|q| q.strip_prefix("timestamp=")).expect("a timestamp"));
            assert_eq!(sent, (first - chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ").to_string(), "{link}");
            timed += 1;
        }
    }
    assert!(timed > 0, "the demo report links traces: {md}");
    eprintln!("{timed} links with a timestamp, {untimed} without");
}
