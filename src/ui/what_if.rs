//! The what-if: pick an operation and a candidate model, see what the
//! operation would cost at that model's prices.

use super::state::Results;
use crate::analysis::what_if::{candidates, project};
use crate::format::{change, usd, visible};
use leptos::prelude::*;
use std::sync::Arc;

/// The operation picker, the model picker and the projection.
#[component]
pub fn WhatIf(results: Arc<Results>) -> impl IntoView {
    // The table the run priced with (live prices for a PostHog run).
    let priced = results.clone();
    let ops: Vec<String> = results.analysis.metrics.by_operation.iter().map(|g| g.name.clone()).collect();
    let models: Vec<String> = candidates(&results.analysis, &results.prices).iter().map(|e| e.key.clone()).collect();
    let operation = RwSignal::new(ops.first().cloned().unwrap_or_default());
    let model = RwSignal::new(String::new());
    let a = results.clone();
    let outcome = move || {
        let name = model.get();
        if name.trim().is_empty() {
            return "Pick a model to see the operation's cost at its prices.".to_string();
        }
        let Some(entry) = priced.prices.entry(name.trim()) else { return format!("No price for \"{}\" in the price table.", name.trim()) };
        match project(&a.analysis, &operation.get(), entry) {
            Some(p) => format!(
                "{} calls of {}: {} now, {} at {} ({}). Per 30 days: {} now, {} at {}. Prices only: check quality on a sample first.",
                p.calls, p.operation, usd(p.current_usd), usd(p.projected_usd), p.candidate, change(p.change()),
                usd(p.current_monthly_usd), usd(p.projected_monthly_usd), p.candidate
            ),
            None => "That operation has no calls in the window.".to_string(),
        }
    };
    view! {
        <section class="panel what-if" aria-label="What if">
            <h2>"What if"</h2>
            <div class="what-if-form">
                <label>"Operation "
                    <select id="what-if-operation" on:change=move |ev| operation.set(event_target_value(&ev))>
                        {ops.into_iter().map(|o| view! { <option value=o.clone()>{visible(&o).into_owned()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Candidate model "
                    <input id="what-if-model" list="what-if-models" placeholder="gpt-4o-mini" on:input=move |ev| model.set(event_target_value(&ev)) />
                </label>
                <datalist id="what-if-models">{models.into_iter().map(|m| view! { <option value=m /> }).collect_view()}</datalist>
            </div>
            <p id="what-if-result" role="status">{move || visible(&outcome()).into_owned()}</p>
        </section>
    }
}
