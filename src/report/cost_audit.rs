//! `## Cost Audit`: PostHog's recorded cost against the cost recomputed
//! from each call's tokens and the price table, with the known pricing
//! patterns named and the money each accounts for. Always present; a
//! project PostHog prices right says so.

use super::markdown::{escape, table};
use crate::analysis::pricing::audit::{CostAudit, Pattern};
use crate::analysis::pricing::GAP_THRESHOLD;
use crate::analysis::Analysis;
use crate::format::{count, pct, usd};

/// Writes the section.
pub fn cost_audit(a: &Analysis) -> String {
    let audit = &a.audit;
    let mut s = String::from("## Cost Audit\n\n");
    if audit.groups.is_empty() {
        s.push_str("No generations to audit.\n\n");
        return s;
    }
    s.push_str(&format!("{}\n\n", headline(audit)));
    if audit.matches() {
        s.push_str("PostHog's recorded cost matches the cost recomputed from every priced call's tokens and list prices: none of the known pricing patterns was found.\n\n");
    }
    let rows = rows(audit);
    if !rows.is_empty() {
        // Operation names come from the events: the one column escaped.
        let md: Vec<Vec<String>> = rows.iter().map(|[p, calls, tokens, money, ops]| vec![p.clone(), calls.clone(), tokens.clone(), money.clone(), escape(ops)]).collect();
        s.push_str(&table(&["Pattern", "Calls", "Tokens", "Recorded minus true", "Where"], &md));
        s.push('\n');
        for f in &audit.patterns {
            if let Some(p) = f.pattern {
                s.push_str(&format!("- **{}**: {}.\n", p.title(), p.explanation()));
            }
        }
        s.push('\n');
    }
    if !audit.unexplained.is_empty() {
        s.push_str(&format!("Gaps no known pattern explains (PostHog's cost more than {:.0}% from every costing of the tokens); PostHog's cost is kept for them:\n\n", GAP_THRESHOLD * 100.0));
        let md: Vec<Vec<String>> = audit
            .unexplained
            .iter()
            .take(10)
            .map(|g| vec![escape(&g.operation), escape(&g.model), escape(&g.provider), usd(g.recorded_usd), g.recomputed_usd.map_or("-".into(), usd)])
            .collect();
        s.push_str(&table(&["Operation", "Model", "Provider", "Recorded", "Recomputed"], &md));
        s.push('\n');
    }
    let src = &audit.sources;
    let sourced = [("OpenRouter prices", src.openrouter_usd), ("manual prices", src.manual_usd), ("custom prices", src.custom_usd), ("passthrough", src.passthrough_usd), ("other sources", src.other_usd)];
    let parts: Vec<String> = sourced.iter().filter(|(_, v)| *v > 0.0).map(|(name, v)| format!("{} by {name}", usd(*v))).collect();
    if !parts.is_empty() || src.caller_calls > 0 {
        let mut line = format!("Where the recorded cost came from (`$ai_cost_model_source`): {}", if parts.is_empty() { "none named".to_string() } else { parts.join(", ") });
        if src.caller_calls > 0 {
            line.push_str(&format!("; {} sent by the caller on {} calls without a source, which PostHog kept as sent", usd(src.caller_usd), count(src.caller_calls)));
        }
        s.push_str(&format!("{line}.\n\n"));
    }
    s.push_str(
        "The report's other figures use the audited cost: where PostHog's recorded cost is wrong by a known pattern, the cost recomputed from the tokens; \
         elsewhere PostHog's cost; for calls PostHog left unpriced, the table's price of their tokens.\n\n",
    );
    s
}

/// The recorded and audited totals in one sentence.
pub fn headline(audit: &CostAudit) -> String {
    let gap = audit.audited_usd - audit.recorded_and_backfilled_usd;
    let mut line = format!("PostHog recorded {} for the window; the audited cost is {}", usd(audit.recorded_usd), usd(audit.audited_usd));
    let backfilled = audit.recorded_and_backfilled_usd - audit.recorded_usd;
    if backfilled > 0.0 {
        line.push_str(&format!(", {} of which prices calls PostHog left unpriced", usd(backfilled)));
    }
    if gap.abs() > 0.0 && audit.mispriced_usd() != 0.0 {
        let side = if audit.mispriced_usd() > 0.0 { "over-reports" } else { "under-reports" };
        line.push_str(&format!(": PostHog {side} the priced calls by {} ({})", usd(audit.mispriced_usd().abs()), pct(audit.mispriced_usd().abs() / audit.audited_usd.max(f64::MIN_POSITIVE))));
    }
    line.push('.');
    line
}

/// The patterns found as plain-text rows (pattern, calls, tokens, money, where), for the report and the page.
pub fn rows(audit: &CostAudit) -> Vec<[String; 5]> {
    audit
        .patterns
        .iter()
        .filter_map(|f| {
            let p = f.pattern?;
            let money = f.recorded_minus_true_usd;
            let side = if money >= 0.0 { "too high by" } else { "too low by" };
            let money = if p == Pattern::Unpriced { format!("{} unrecorded", usd(-money)) } else { format!("{side} {}", usd(money.abs())) };
            let mut ops = f.operations.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            if f.operations.len() > 3 {
                ops.push_str(&format!(" and {} more", f.operations.len() - 3));
            }
            Some([p.title().to_string(), count(f.calls), count(f.tokens), money, ops])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_names_the_demo_pattern_and_a_clean_audit_says_it_matches() {
        let a = crate::testing::demo_analysis(false);
        let s = cost_audit(&a);
        assert!(s.starts_with("## Cost Audit\n\n") && s.contains(Pattern::CacheInsideInput.title()) && s.contains("| safety_check |"), "{s}");
        assert!(!s.contains("matches the cost recomputed"));
        let mut clean = a.clone();
        clean.audit.patterns.retain(|p| p.pattern == Some(Pattern::Unpriced));
        let s = cost_audit(&clean);
        assert!(s.contains("matches the cost recomputed") && !s.contains(Pattern::CacheInsideInput.title()), "{s}");
    }
}
