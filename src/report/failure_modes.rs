//! `## Failure-Mode Analysis`: errors by operation and status, rate limits
//! and timeouts, truncation, empty outputs and output-size variance (stage 6).

use crate::format::{count, pct, truncate, usd};
use super::markdown::{escape, link, table};
use crate::analysis::failures::FailureKind;
use crate::analysis::links::trace_url;
use crate::analysis::Analysis;

/// Error groups listed in the report.
const LISTED_GROUPS: usize = 12;

/// Writes the section.
pub fn failure_mode_analysis(a: &Analysis) -> String {
    let f = &a.failures;
    let mut s = String::from("## Failure-Mode Analysis\n\n");
    let total = a.metrics.totals.errors;
    if total == 0 {
        s.push_str("No generation failed in the window.\n\n");
    } else {
        let kinds: Vec<String> = f.by_kind.iter().map(|(k, n)| format!("{} {}", count(*n), k.label())).collect();
        let cost: f64 = f.errors.iter().map(|g| g.cost_usd).sum();
        s.push_str(&format!(
            "{} of {} calls failed ({}): {}. {}\n\n",
            count(total),
            count(a.metrics.totals.calls),
            pct(a.metrics.totals.error_rate()),
            kinds.join(", "),
            if cost > 0.0 { format!("Failed calls cost {}.", usd(cost)) } else { "PostHog recorded no cost for them; what they cost is the retries they caused.".into() }
        ));
        let trace = |id: &String| link(&escape(id), trace_url(a.origin.posthog.as_ref(), id, a.trace_times.get(id)));
        let rows: Vec<Vec<String>> = f
            .errors
            .iter()
            .take(LISTED_GROUPS)
            .map(|g| {
                vec![
                    escape(&g.operation),
                    g.http_status.map_or_else(|| "-".into(), |h| h.to_string()),
                    escape(g.kind.label()),
                    count(g.calls),
                    pct(g.rate),
                    usd(g.cost_usd),
                    escape(&truncate(&g.message, 120)),
                    g.trace_ids.iter().map(trace).collect::<Vec<_>>().join(", "),
                ]
            })
            .collect();
        s.push_str(&table(&["Operation", "HTTP status", "Kind", "Calls", "Rate", "Cost", "Message", "Example traces"], &rows));
        s.push('\n');
        for (kind, advice) in [
            (FailureKind::RateLimit, "rate limits: spread bursts, back off with jitter, or raise the provider tier"),
            (FailureKind::Timeout, "timeouts: long calls that end in an error are paid for and then retried"),
        ] {
            let n = f.count(kind);
            if n > 0 {
                s.push_str(&format!("- {} calls hit {advice}.\n", count(n)));
            }
        }
    }
    s.push_str("\n### Outputs\n\nTruncation is a stop reason of length or max_tokens, or output tokens reaching `$ai_max_tokens`. Output variation is the coefficient of variation of output tokens per generation across traces.\n\n");
    let rows: Vec<Vec<String>> = f
        .outputs
        .iter()
        .map(|o| {
            vec![
                escape(&o.operation),
                count(o.generations),
                format!("{} ({})", count(o.truncated), pct(o.truncation_rate())),
                count(o.empty),
                o.output_cv.map_or_else(|| "too few traces".into(), |cv| format!("{cv:.2}")),
            ]
        })
        .collect();
    s.push_str(&table(&["Operation", "Generations", "Truncated", "Empty outputs", "Output variation"], &rows));
    s.push('\n');
    s
}
