//! The report's `Recommendations` and `Implementation Roadmap` sections,
//! written from stage 8's [`Recommendations`]. Every value from the data is
//! escaped; code goes into fenced blocks that it cannot close.

use crate::format::{count, pct, usd};
use super::markdown::{escape, fenced, table};
use crate::analysis::history::Metric;
use crate::analysis::links::{trace_url, TraceTimes};
use crate::analysis::recommend::{Measurement, Recommendation, Recommendations};
use crate::analysis::Origin;

/// `## Recommendations`: each as `### Priority N: title` with its five parts.
pub fn recommendations_section(r: &Recommendations, origin: &Origin, times: &TraceTimes) -> String {
    let mut s = String::from("## Recommendations\n\n");
    if let Some(short) = &r.shortfall {
        s.push_str(&format!("> **Fewer recommendations than asked for.** {}\n\n", escape(short)));
    }
    if r.items.is_empty() {
        s.push_str("No fix worth recommending was found in this window.\n\n");
        return s;
    }
    s.push_str(&format!(
        "{} recommendation{}, ranked by impact x ease (monthly savings, or monthly spend on unusable results, times an ease factor of the effort). Together they save about {} per 30 days. Code examples are in {}{}.\n\n",
        r.items.len(),
        if r.items.len() == 1 { "" } else { "s" },
        usd(r.monthly_savings_usd),
        lang_name(r),
        if r.language_detected { ", the language of the SDK that sent the events" } else { " (the SDK language could not be told from the events)" }
    ));
    for (i, rec) in r.items.iter().enumerate() {
        s.push_str(&recommendation(i + 1, rec, r, origin, times));
    }
    s
}

fn lang_name(r: &Recommendations) -> &'static str {
    match r.language {
        crate::analysis::recommend::Language::Python => "Python",
        crate::analysis::recommend::Language::TypeScript => "TypeScript",
    }
}

fn recommendation(priority: usize, rec: &Recommendation, r: &Recommendations, origin: &Origin, times: &TraceTimes) -> String {
    let mut s = format!("### Priority {priority}: {}\n\n", escape(&rec.title));
    s.push_str(&format!(
        "- **Expected savings:** {} per 30 days ({} over the window, {} of spend)\n- **Effort:** {}\n\n",
        usd(rec.monthly_savings_usd),
        usd(rec.savings_usd),
        pct(rec.share_of_spend),
        rec.effort.label()
    ));
    s.push_str(&format!("**Problem.** {}\n\n**Why it matters.** {}\n\n**Evidence.**\n\n", escape(&rec.problem), escape(&rec.why)));
    let rows: Vec<Vec<String>> = rec
        .evidence
        .iter()
        .map(|e| {
            let id = escape(&e.trace_id);
            let trace = trace_url(origin.posthog.as_ref(), &e.trace_id, times.get(&e.trace_id)).map_or(id.clone(), |url| format!("[{id}]({url})"));
            vec![trace, usd(e.cost_usd), count(e.input_tokens), count(e.output_tokens), escape(&e.issue)]
        })
        .collect();
    s.push_str(&table(&["Trace", "Cost", "Input tokens", "Output tokens", "Issue"], &rows));
    if let Some(x) = &rec.excerpt {
        s.push_str(&format!("\nExcerpt from trace {}:\n\n{}", escape(&x.trace_id), fenced("text", &crate::format::visible(&x.text))));
    }
    let fence = r.language.fence();
    s.push_str(&format!(
        "\n**Fix.** {}\n\nBefore:\n\n{}\nAfter:\n\n{}\n",
        escape(&rec.fix),
        fenced(fence, &rec.code_before),
        fenced(fence, &rec.code_after)
    ));
    s.push_str(&measurement(&rec.measurement));
    s
}

fn measurement(m: &Measurement) -> String {
    let rows = vec![vec![escape(&m.label), value(m, m.baseline), value(m, m.target), format!("{} days", m.validation.days)]];
    format!(
        "**How to measure.**\n\n{}\nValidation period: {}\n\nCheck it in PostHog (SQL editor):\n\n{}\n",
        table(&["Metric", "Baseline", "Target", "Validation period"], &rows),
        escape(&m.validation.reason),
        fenced("sql", &m.hogql)
    )
}

/// A metric value in its unit.
fn value(m: &Measurement, x: f64) -> String {
    match &m.metric {
        Some(Metric::CostPerCall { .. } | Metric::MonthlyCost { .. }) => usd(x),
        Some(Metric::InputTokensPerCall { .. }) => count(x.round() as u64),
        Some(Metric::P95Latency { .. }) => crate::format::secs(x),
        Some(Metric::ErrorRate { .. } | Metric::TruncationRate { .. }) | None => pct(x),
    }
}

/// `## Implementation Roadmap`: quick wins first, then larger changes.
pub fn roadmap_section(r: &Recommendations) -> String {
    let mut s = String::from("## Implementation Roadmap\n\n");
    if r.roadmap.is_empty() {
        s.push_str("Nothing to schedule.\n\n");
        return s;
    }
    s.push_str("Quick wins (low effort) first, then larger changes; within each, by priority.\n\n");
    let rows: Vec<Vec<String>> = r
        .roadmap
        .iter()
        .map(|step| vec![step.priority.to_string(), escape(&step.title), step.effort.label().into(), format!("{} / month", usd(step.monthly_savings_usd)), format!("{} days", step.validation_days), step.phase.clone()])
        .collect();
    s.push_str(&table(&["Priority", "Recommendation", "Effort", "Expected savings", "Validation period", "Phase"], &rows));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
