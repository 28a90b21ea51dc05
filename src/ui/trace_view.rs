//! The traces read closely: why each was picked, and its generations with
//! prompt and output excerpts. Trace content is hostile, so every excerpt is
//! a text node inside `<pre>`, never HTML.

use super::state::Results;
use crate::analysis::dataset::GenerationRow;
use crate::analysis::links::trace_url;
use crate::contract::NAME_CHARS;
use crate::format::{count, secs, truncate, usd, visible};
use leptos::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One selected trace and why it was picked.
#[derive(Clone)]
struct Picked {
    trace_id: String,
    why: String,
    cost: f64,
    generations: usize,
}

fn picked(results: &Results) -> Vec<Picked> {
    let mut why: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (op, ids) in &results.selection.outliers {
        for id in ids {
            why.entry(id).or_default().push(format!("cost outlier of {op}"));
        }
    }
    for (id, stratum) in &results.selection.sample {
        why.entry(id).or_default().push(format!("sample: {}", stratum.label()));
    }
    let mut out: Vec<Picked> = why
        .into_iter()
        .map(|(id, reasons)| {
            let gens: Vec<&GenerationRow> = results.generations.iter().filter(|g| g.trace_id == id).collect();
            Picked { trace_id: id.to_string(), why: reasons.join("; "), cost: gens.iter().filter_map(|g| g.cost_usd).sum(), generations: gens.len() }
        })
        .collect();
    out.sort_by(|a, b| b.cost.total_cmp(&a.cost).then(a.trace_id.cmp(&b.trace_id)));
    out
}

/// A trace id as shown: hidden characters visible, cut to [`NAME_CHARS`]
/// characters (ids are kept whole for queries and links, but anyone can send
/// a megabyte of one).
pub fn shown_id(id: &str) -> String {
    truncate(&visible(id), NAME_CHARS as usize)
}

/// The list of traces read, and the one chosen, generation by generation.
#[component]
pub fn TraceView(results: Arc<Results>) -> impl IntoView {
    let traces = picked(&results);
    let chosen = RwSignal::new(traces.first().map(|t| t.trace_id.clone()));
    let rows = traces
        .into_iter()
        .map(|t| {
            let id = t.trace_id.clone();
            let selected = { let id = id.clone(); move || chosen.get().as_deref() == Some(id.as_str()) };
            view! {
                <tr class:selected=selected>
                    <td><button class="link" on:click=move |_| chosen.set(Some(id.clone()))>{shown_id(&t.trace_id)}</button></td>
                    <td>{visible(&t.why).into_owned()}</td>
                    <td>{usd(t.cost)}</td>
                    <td>{t.generations}</td>
                </tr>
            }
        })
        .collect_view();
    let detail = move || chosen.get().map(|id| view! { <TraceDetail results=results.clone() trace_id=id /> });
    view! {
        <section class="panel traces" aria-label="Traces read">
            <h2>"Traces read closely"</h2>
            <div class="table-wrap">
                <table id="traces-table">
                    <thead><tr><th>"Trace"</th><th>"Why"</th><th>"Cost"</th><th>"Generations"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {detail}
        </section>
    }
}

/// One trace's generations in time order.
#[component]
fn TraceDetail(results: Arc<Results>, trace_id: String) -> impl IntoView {
    let gens: Vec<GenerationRow> = results.generations.iter().filter(|g| g.trace_id == trace_id).cloned().collect();
    let link = trace_url(results.analysis.origin.posthog.as_ref(), &trace_id, results.analysis.trace_times.get(&trace_id));
    view! {
        <div class="trace-detail" id="trace-detail">
            <h3>"Trace " <code>{shown_id(&trace_id)}</code></h3>
            {link.map(|href| view! { <p><a href=href target="_blank" rel="noopener noreferrer">"Open this trace in PostHog"</a></p> })}
            {gens.into_iter().map(|g| view! { <GenerationCard g=g /> }).collect_view()}
        </div>
    }
}

#[component]
fn GenerationCard(g: GenerationRow) -> impl IntoView {
    let status = if g.is_error {
        format!("error {}: {}", g.http_status.map(|s| s.to_string()).unwrap_or_default(), g.error)
    } else {
        format!("stop: {}", if g.stop_reason.is_empty() { "-" } else { &g.stop_reason })
    };
    let cost = g.cost_usd.map_or_else(|| "unpriced".to_string(), usd);
    let head = format!(
        "{} · {} · {} · in {} / out {} tokens · {} · {}",
        g.timestamp.format("%Y-%m-%d %H:%M:%S"),
        g.operation,
        g.model,
        count(g.tokens.input),
        count(g.tokens.output),
        cost,
        secs(g.latency_s)
    );
    let prompt = if g.input_chars as usize > g.input_head.chars().count() {
        format!("{}\n[… {} characters in all …]\n{}", g.input_head, count(g.input_chars), g.input_tail)
    } else {
        g.input_head.clone()
    };
    view! {
        <article class="generation" class:error=g.is_error>
            <div class="generation-head">{visible(&head).into_owned()}</div>
            <div class="generation-status">{visible(&status).into_owned()}</div>
            <details>
                <summary>"Prompt and output excerpts"</summary>
                <h4>"Prompt"</h4>
                <pre class="excerpt">{visible(&prompt).into_owned()}</pre>
                <h4>"Output"</h4>
                <pre class="excerpt">{visible(&g.output_head).into_owned()}</pre>
            </details>
        </article>
    }
}
