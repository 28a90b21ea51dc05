//! `## Data Quality`: what the input got wrong and how it was read, with what
//! each problem could change in the figures above, and which rule named the
//! generations' operations. Always present; a clean input says so.

use super::markdown::table;
use crate::analysis::dataset::DataQuality;
use crate::analysis::Analysis;
use crate::contract::{Naming, MAX_COST_USD, MAX_LATENCY_S, MAX_TOKENS};
use crate::format::{count, pct};

/// Writes the section.
pub fn data_quality(a: &Analysis) -> String {
    let mut s = String::from("## Data Quality\n\n");
    let q = &a.overview.quality;
    if q.is_clean() {
        s.push_str("No problems found: every number is within its limits, no event repeats another's uuid, and every generation has a trace id.\n\n");
        s.push_str(&naming(a));
        return s;
    }
    let of = |n: u64| format!("{} ({} of {})", count(n), pct(n as f64 / a.overview.generations.max(1) as f64), count(a.overview.generations));
    for line in problems(q, a.origin.posthog.is_some(), &of) {
        s.push_str(&format!("- {line}\n"));
    }
    s.push('\n');
    if !q.bad_values.is_empty() {
        s.push_str(&format!(
            "Values that cannot be right were read as missing rather than summed: negative, not finite, not a number, or above a limit \
             (a cost above ${}, more than {} tokens in one count, a latency over {} s).\n\n",
            count(MAX_COST_USD as u64),
            count(MAX_TOKENS),
            count(MAX_LATENCY_S as u64)
        ));
        let rows: Vec<Vec<String>> = q.bad_values.iter().map(|(property, n)| vec![format!("`{property}`"), of(*n), impact(property).to_string()]).collect();
        s.push_str(&table(&["Property", "Generations", "What it could change"], &rows));
        s.push('\n');
    }
    s.push_str(&naming(a));
    s
}

/// Which rule named how many generations' operations: one sentence when
/// `$ai_span_name` named them all, else a table.
fn naming(a: &Analysis) -> String {
    let rows = naming_rows(a);
    let n = &a.overview.naming;
    if a.overview.generations == 0 || n.span_name == a.overview.generations {
        return "**Operation names:** every generation named its operation in `$ai_span_name`.\n\n".to_string();
    }
    let rows: Vec<Vec<String>> = rows.into_iter().map(|[rule, n]| vec![rule, n]).collect();
    format!(
        "**Operation names:** where a generation's `$ai_span_name` names no step (it is absent, or a client class such as `ChatOpenAI`), \
         its operation is named by its parent span, else its trace, else the opening of its prompt (`prompt \"first words…\" #hash`), else its model:\n\n{}\n",
        table(&["Named by", "Generations"], &rows)
    )
}

/// The naming rules that named generations, as rows of plain text (rule,
/// generations), in the order the rule tries them.
pub fn naming_rows(a: &Analysis) -> Vec<[String; 2]> {
    let total = a.overview.generations.max(1) as f64;
    Naming::ALL
        .iter()
        .map(|r| (*r, a.overview.naming.count(*r)))
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| {
            let rule = match r {
                Naming::SpanName => "its own $ai_span_name",
                Naming::ParentSpan => "its parent span's name",
                Naming::TraceName => "its trace's name ($ai_trace)",
                Naming::Prompt => "its prompt's opening",
                Naming::Model => "its model",
                Naming::Unnamed => "nothing (unnamed)",
            };
            [rule.to_string(), format!("{} ({})", count(n), pct(n as f64 / total))]
        })
        .collect()
}

/// The problems as rows of plain text (what, generations, what it could
/// change), for the page's panel; empty when the input is clean.
pub fn rows(a: &Analysis) -> Vec<[String; 3]> {
    let q = &a.overview.quality;
    let of = |n: u64| format!("{} ({})", count(n), pct(n as f64 / a.overview.generations.max(1) as f64));
    let mut out = Vec::new();
    if q.repeated_events > 0 {
        let how = if a.origin.posthog.is_some() { "counted until PostHog merges the copies" } else { "counted once" };
        out.push(["Repeated uuid".to_string(), count(q.repeated_events), how.to_string()]);
    }
    if q.missing_trace_ids > 0 {
        out.push(["No trace id".to_string(), of(q.missing_trace_ids), "counted in the totals; never cited".to_string()]);
    }
    for (property, n) in &q.bad_values {
        out.push([format!("{property} read as missing"), of(*n), impact(property).to_string()]);
    }
    out
}

/// One sentence per kind of problem found.
fn problems(q: &DataQuality, posthog: bool, of: &dyn Fn(u64) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if q.repeated_events > 0 {
        let how = if posthog {
            "PostHog keeps such copies until its storage merges them, so every total above counts them"
        } else {
            "each uuid was counted once, its first event kept"
        };
        out.push(format!("**Repeated events:** {} generations repeat the uuid of an earlier one (a resent batch or a retried capture); {how}.", count(q.repeated_events)));
    }
    if q.missing_trace_ids > 0 {
        out.push(format!(
            "**No trace id:** {} generations have no `$ai_trace_id`. They count in every total, together as one trace without an id, and are never cited as evidence.",
            of(q.missing_trace_ids)
        ));
    }
    if q.generations_with_bad_values > 0 {
        out.push(format!("**Unusable numbers:** {} generations hold a value read as missing (by property below).", of(q.generations_with_bad_values)));
    }
    out
}

/// What a value read as missing could change, by property.
fn impact(property: &str) -> &'static str {
    match property {
        "$ai_total_cost_usd" => "PostHog's cost of these calls is unknown: they are priced from their tokens, like unpriced calls",
        "$ai_input_cost_usd" | "$ai_output_cost_usd" => "the split of their recorded cost into input and output is unknown",
        "$ai_latency" => "left out of latency quantiles; latency totals are low by their time",
        "$ai_max_tokens" => "truncation at the token limit cannot be told for them",
        _ => "tokens missing from these calls: token totals, and costs computed from tokens, are low by their count",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_analysis;

    #[test]
    fn a_clean_input_says_so() {
        let a = demo_analysis(false);
        assert!(a.overview.quality.is_clean());
        assert!(data_quality(&a).contains("No problems found"));
    }

    #[test]
    fn each_problem_is_listed_with_its_size_and_impact() {
        let mut a = demo_analysis(false);
        let n = a.overview.generations;
        a.origin.posthog = None;
        a.overview.quality = DataQuality {
            repeated_events: 7,
            missing_trace_ids: n / 10,
            bad_values: [("$ai_total_cost_usd".to_string(), 3), ("$ai_input_tokens".to_string(), 2)].into_iter().collect(),
            generations_with_bad_values: 4,
        };
        let s = data_quality(&a);
        assert!(!s.contains("No problems found"));
        assert!(s.contains("**Repeated events:** 7 generations repeat") && s.contains("counted once"), "{s}");
        assert!(s.contains(&format!("{} ({} of {})", count(n / 10), pct((n / 10) as f64 / n as f64), count(n))), "{s}");
        assert!(s.contains("**Unusable numbers:** 4 ("), "{s}");
        let cost = s.lines().find(|l| l.contains("`$ai_total_cost_usd`")).unwrap();
        assert!(cost.contains("| 3 (") && cost.contains("priced from their tokens"), "{cost}");
        assert!(s.lines().any(|l| l.contains("`$ai_input_tokens`") && l.contains("tokens missing")), "{s}");
        let rows = rows(&a);
        assert_eq!(rows.len(), 4, "repeats, missing trace ids and two properties: {rows:?}");
        assert_eq!(rows[3][0], "$ai_total_cost_usd read as missing");
        a.origin.posthog = Some(("https://us.posthog.com".into(), "1".into()));
        assert!(data_quality(&a).contains("every total above counts them"), "PostHog counts unmerged copies");
    }
}
