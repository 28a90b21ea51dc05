//! The Data Quality panel: what the input got wrong and how it was read, as
//! text (the same rows as the report's section).

use super::state::Results;
use leptos::prelude::*;
use std::sync::Arc;

/// A small table of the input's problems, or a line saying there are none.
#[component]
pub fn DataQualityPanel(results: Arc<Results>) -> impl IntoView {
    let rows = crate::report::data_quality::rows(&results.analysis);
    let naming = crate::report::data_quality::naming_rows(&results.analysis);
    view! {
        <section id="data-quality" aria-label="Data quality">
            <h3>"Data quality"</h3>
            {if rows.is_empty() {
                view! { <p class="hint">"No problems found in the input."</p> }.into_any()
            } else {
                view! {
                    <table class="data-quality">
                        <thead><tr><th>"Problem"</th><th>"Generations"</th><th>"What it could change"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|[what, n, impact]| view! { <tr><td>{what}</td><td>{n}</td><td>{impact}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <table class="data-quality naming" aria-label="How operations were named">
                <thead><tr><th>"Operations named by"</th><th>"Generations"</th></tr></thead>
                <tbody>
                    {naming.into_iter().map(|[rule, n]| view! { <tr><td>{rule}</td><td>{n}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
