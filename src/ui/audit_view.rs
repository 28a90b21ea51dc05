//! The Cost view's Cost Audit section: PostHog's recorded cost against the
//! audited cost, the known pricing patterns with the money each accounts
//! for (the report section's rows), and a headline when the gap is material.

use super::state::Results;
use super::table::{Cell, SortableTable};
use crate::analysis::pricing::audit::CostAudit;
use crate::format::{count, usd};
use leptos::prelude::*;
use std::sync::Arc;

/// One pattern as a table row: sortable by calls, tokens and money.
fn pattern_row(audit: &CostAudit, i: usize, r: [String; 5]) -> Vec<Cell> {
    let f = &audit.patterns[i];
    let [title, calls, tokens, money, ops] = r;
    vec![
        Cell::text(&title),
        Cell::num(f.calls as f64, calls),
        Cell::num(f.tokens as f64, tokens),
        Cell::num(f.recorded_minus_true_usd.abs(), money),
        Cell::text(&ops),
    ]
}

/// The section, below the Cost view's tables.
#[component]
pub fn AuditSection(results: Arc<Results>) -> impl IntoView {
    let audit = &results.analysis.audit;
    let headline = crate::report::cost_audit::headline(audit);
    let rows: Vec<Vec<Cell>> = crate::report::cost_audit::rows(audit).into_iter().enumerate().map(|(i, r)| pattern_row(audit, i, r)).collect();
    let matches = audit.matches();
    let unexplained = audit.unexplained.len();
    view! {
        <section class="panel" id="cost-audit" aria-label="Cost audit">
            <h3>"Cost audit"</h3>
            {audit.material.then(|| view! { <p class="audit-headline"><strong>{headline.clone()}</strong></p> })}
            {(!audit.material).then(|| view! { <p>{headline.clone()}</p> })}
            {matches.then(|| view! { <p class="hint">"PostHog's recorded cost matches the cost recomputed from the tokens and list prices."</p> })}
            {(!rows.is_empty()).then(|| view! {
                <SortableTable id="audit-table" columns=vec!["Pattern", "Calls", "Tokens", "Recorded minus true", "Where"] rows=rows />
            })}
            {(unexplained > 0).then(|| view! {
                <p class="hint">{format!("{} model and operation pairs differ from every costing of their tokens; PostHog's cost is kept for them (see the report).", count(unexplained as u64))}</p>
            })}
            <p class="hint">{format!("Costs elsewhere in this view are audited: {} in all.", usd(audit.audited_usd))}</p>
        </section>
    }
}
