//! `summary.md`: one screen for the busy reader. The window, what was
//! analysed, what it cost, the top three findings and the projected monthly
//! savings; no table longer than five rows.

use crate::format::{count, pct, usd};
use super::markdown::{escape, table};
use crate::analysis::Analysis;

/// Findings and roadmap rows shown.
const TOP: usize = 3;
const ROADMAP_ROWS: usize = 5;

/// Writes `summary.md`.
pub fn summary_md(a: &Analysis) -> String {
    let m = &a.metrics;
    let recs = &a.recommendations;
    let mut s = String::from("# Trace Optimizer summary\n\n");
    s.push_str(&format!(
        "- **Source:** {}\n- **Window:** {} to {}\n- **Generations analyzed:** {} in {} traces\n- **Total cost:** {} (about {} per 30 days)\n",
        escape(&a.origin.label),
        crate::time::day(a.window.start),
        crate::time::day(a.window.end),
        count(m.totals.calls),
        count(a.overview.traces),
        usd(m.totals.cost_usd),
        usd(a.monthly(m.totals.cost_usd)),
    ));
    s.push_str(&format!(
        "- **Projected monthly savings:** {} ({} of monthly spend) from {} recommendations\n\n",
        usd(recs.monthly_savings_usd),
        pct(crate::analysis::metrics::ratio(recs.monthly_savings_usd, a.monthly(m.totals.cost_usd))),
        recs.items.len()
    ));
    s.push_str("## Top findings\n\n");
    if recs.items.is_empty() {
        s.push_str("No fix worth recommending was found in this window.\n");
    }
    for (i, r) in recs.items.iter().take(TOP).enumerate() {
        s.push_str(&format!("{}. **{}**: {}. {} per month, {} of spend.\n", i + 1, escape(&r.title), escape(&r.problem), usd(r.monthly_savings_usd), pct(r.share_of_spend)));
    }
    if let Some(short) = &recs.shortfall {
        s.push_str(&format!("\n{}\n", escape(short)));
    }
    if !recs.roadmap.is_empty() {
        s.push_str("\n## Next steps\n\n");
        let rows: Vec<Vec<String>> = recs
            .roadmap
            .iter()
            .take(ROADMAP_ROWS)
            .map(|r| vec![r.priority.to_string(), escape(&r.title), r.effort.label().to_string(), usd(r.monthly_savings_usd), format!("{} days", r.validation_days)])
            .collect();
        s.push_str(&table(&["Priority", "Recommendation", "Effort", "Monthly savings", "Validation period"], &rows));
    }
    s.push_str("\nThe full report, with evidence, code and how to measure each fix, is `recommendations.md`.\n");
    s
}
