//! The quality signals in the Failures view: evaluation pass rates by
//! evaluation, operation and model, user feedback, and embedding spend
//! apart from the generations'. Text only, tables via the sortable table.

use super::state::Results;
use super::table::{Cell, SortableTable};
use crate::analysis::signals::PassRate;
use crate::format::{count, pct, usd};
use crate::report::quality_signals::{embedding_line, rate};
use leptos::prelude::*;
use std::sync::Arc;

fn pass_row(r: &PassRate) -> Vec<Cell> {
    vec![
        Cell::text(&r.evaluation),
        Cell::text(&r.operation),
        Cell::text(&r.model),
        Cell::num(r.runs as f64, count(r.runs)),
        Cell::num(r.no_verdict() as f64, count(r.no_verdict())),
        Cell::num(r.rate().unwrap_or(-1.0), rate(r)),
    ]
}

/// Evaluations, feedback and embeddings of one analysis; a line when there are none.
#[component]
pub fn SignalsPanel(results: Arc<Results>) -> impl IntoView {
    let s = &results.analysis.signals;
    let evaluations = if s.cells.is_empty() {
        view! { <p class="hint">"No evaluation results in this window: pass rates show here once generations are evaluated ($ai_evaluation)."</p> }.into_any()
    } else {
        view! {
            <p class="hint">"Pass rate over the runs judged pass or fail, by the operation and model of the judged generation."</p>
            <SortableTable id="evaluations-table" columns=vec!["Evaluation", "Operation", "Model", "Runs", "No verdict", "Pass rate"] rows=s.cells.iter().map(pass_row).collect() />
        }
        .into_any()
    };
    let feedback = (s.feedback.runs > 0).then(|| {
        let f = &s.feedback;
        format!("User feedback: {} events, {} positive and {} negative ({} positive).", count(f.runs), count(f.passed), count(f.failed), pct(f.rate().unwrap_or(0.0)))
    });
    let embeddings = match embedding_line(&results.analysis) {
        None => view! { <p class="hint">"No embedding calls in this window."</p> }.into_any(),
        Some(line) => view! {
            <p id="embedding-spend">{format!("{line}.")}</p>
            <SortableTable id="embeddings-table" columns=vec!["Model", "Provider", "Operations", "Calls", "Input tokens", "Cost"]
                rows=s.embeddings.by_model.iter().map(|m| vec![
                    Cell::text(&m.model),
                    Cell::text(&m.provider),
                    Cell::text(&m.operations.join(", ")),
                    Cell::num(m.calls as f64, count(m.calls)),
                    Cell::num(m.input_tokens as f64, count(m.input_tokens)),
                    Cell::num(m.cost_usd, usd(m.cost_usd)),
                ]).collect() />
        }
        .into_any(),
    };
    view! {
        <section class="panel" id="quality-signals">
            <h3>"Quality signals"</h3>
            {evaluations}
            {feedback.map(|f| view! { <p id="feedback-summary">{f}</p> })}
            <h4>"Embeddings"</h4>
            {embeddings}
        </section>
    }
}
