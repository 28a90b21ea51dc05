//! The traces read closely: the list, filterable by why each was read, its
//! operation and its cost, and the chosen trace as a tree of its spans and
//! generations ([`trace_tree`]) with their excerpts. Trace content is hostile,
//! so every excerpt is a text node inside `<pre>`, never HTML.

use super::state::{AppState, Results};
use crate::analysis::dataset::{GenerationRow, SpanRow};
use crate::analysis::trace_tree::{self, Item, Totals};
use crate::analysis::links::trace_url;
use crate::contract::NAME_CHARS;
use crate::format::{count, secs, truncate, usd, visible};
use leptos::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One selected trace and why it was picked.
#[derive(Clone)]
struct Picked {
    trace_id: String,
    /// The reasons, each a filter value (`cost outlier`, `sample: median`).
    why: Vec<String>,
    /// Which operations the reasons name, and the operations its generations belong to.
    operations: BTreeSet<String>,
    cost: f64,
    generations: usize,
}

fn picked(results: &Results) -> Vec<Picked> {
    let mut why: BTreeMap<&str, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for (op, ids) in &results.selection.outliers {
        for id in ids {
            let e = why.entry(id).or_default();
            // Once, however many operations it is an outlier of.
            if e.1.is_empty() {
                e.0.push("cost outlier".into());
            }
            e.1.insert(op.clone());
        }
    }
    for (id, stratum) in &results.selection.sample {
        why.entry(id).or_default().0.push(format!("sample: {}", stratum.label()));
    }
    let mut out: Vec<Picked> = why
        .into_iter()
        .map(|(id, (reasons, mut operations))| {
            let gens: Vec<&GenerationRow> = results.generations.iter().filter(|g| g.trace_id == id).collect();
            operations.extend(gens.iter().map(|g| g.operation.clone()));
            Picked { trace_id: id.to_string(), why: reasons, operations, cost: gens.iter().filter_map(|g| g.cost_usd).sum(), generations: gens.len() }
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| b.cost.total_cmp(&a.cost).then(a.trace_id.cmp(&b.trace_id)));
    out
}

/// A trace id as shown: hidden characters visible, cut to [`NAME_CHARS`]
/// characters (ids are kept whole for queries and links, but anyone can send
/// a megabyte of one).
pub fn shown_id(id: &str) -> String {
    as_shown(id, NAME_CHARS as usize)
}

/// Text from the events as shown: hidden characters visible, cut to `chars`.
fn as_shown(text: &str, chars: usize) -> String {
    truncate(&visible(text), chars)
}

/// The list of traces read, its filters, and the chosen trace's tree.
#[component]
pub fn TraceView(results: Arc<Results>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let traces = picked(&results);
    if state.trace.get_untracked().is_none_or(|id| !traces.iter().any(|t| t.trace_id == id)) {
        state.trace.set(traces.first().map(|t| t.trace_id.clone()));
    }
    let reasons: BTreeSet<String> = crate::order::set_of(traces.iter().flat_map(|t| t.why.iter().cloned()));
    let operations: BTreeSet<String> = crate::order::set_of(traces.iter().flat_map(|t| t.operations.iter().cloned()));
    let (why, operation, min_cost) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let total = traces.len();
    let shown = Signal::derive(move || {
        let (w, o) = (why.get(), operation.get());
        let floor = min_cost.get().trim().trim_start_matches('$').parse::<f64>().unwrap_or(0.0);
        traces.iter().filter(|t| (w.is_empty() || t.why.contains(&w)) && (o.is_empty() || t.operations.contains(&o)) && t.cost >= floor).cloned().collect::<Vec<_>>()
    });
    let rows = move || {
        shown
            .get()
            .into_iter()
            .map(|t| {
                let id = t.trace_id.clone();
                let selected = { let id = id.clone(); move || state.trace.get().as_deref() == Some(id.as_str()) };
                let ops = t.operations.iter().cloned().collect::<Vec<_>>().join(", ");
                view! {
                    <tr class:selected=selected.clone() aria-selected=move || selected().to_string()>
                        <td title=shown_id(&t.trace_id)><button class="link" on:click=move |_| state.trace.set(Some(id.clone()))>{as_shown(&t.trace_id, 18)}</button></td>
                        <td class="why">{visible(&t.why.join("; ")).into_owned()}</td>
                        <td class="num">{usd(t.cost)}</td>
                        <td class="num">{t.generations}</td>
                        <td title=visible(&ops).into_owned()>{as_shown(&ops, 40)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let count_line = move || {
        let n = shown.with(Vec::len);
        if n == total { format!("{total} traces") } else { format!("{n} of {total} traces") }
    };
    let detail = move || state.trace.get().map(|id| view! { <TraceDetail results=results.clone() trace_id=id /> });
    view! {
        <div class="view-head"><h2>"Traces read closely"</h2></div>
        <div class="traces-layout">
            <section class="panel trace-list" aria-label="Traces read">
                <div class="table-tools">
                    <FilterSelect id="trace-why" label="Why" any="any reason" choices=reasons picked=why />
                    <FilterSelect id="trace-operation" label="Operation" any="any operation" choices=operations picked=operation />
                    <label class="inline">"Cost at least"
                        <input id="trace-min-cost" type="text" inputmode="decimal" placeholder="$0.00" size="7"
                            prop:value=min_cost on:input=move |ev| min_cost.set(event_target_value(&ev)) />
                    </label>
                    <span class="hint" id="traces-count">{count_line}</span>
                </div>
                <div class="table-wrap">
                    <table id="traces-table">
                        <thead><tr><th>"Trace"</th><th>"Why"</th><th class="num">"Cost"</th><th class="num">"Generations"</th><th>"Operations"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
            {detail}
        </div>
    }
}

/// A select of the traces' filter: `any` (the empty value) or one of `choices`, shown visibly.
#[component]
fn FilterSelect(id: &'static str, label: &'static str, any: &'static str, choices: BTreeSet<String>, picked: RwSignal<String>) -> impl IntoView {
    view! {
        <label class="inline">{label}
            <select id=id on:change=move |ev| picked.set(event_target_value(&ev))>
                <option value="">{any}</option>
                {choices.into_iter().map(|c| view! { <option value=c.clone()>{visible(&c).into_owned()}</option> }).collect_view()}
            </select>
        </label>
    }
}

/// One trace's tree ([`trace_tree::build`]): its spans and generations,
/// each node foldable by its toggle (a button, so reachable by keyboard),
/// indented by depth.
#[component]
fn TraceDetail(results: Arc<Results>, trace_id: String) -> impl IntoView {
    let gens: Vec<GenerationRow> = results.generations.iter().filter(|g| g.trace_id == trace_id).cloned().collect();
    let spans: Vec<SpanRow> = results.spans.iter().filter(|s| s.trace_id == trace_id).cloned().collect();
    let tree = trace_tree::build(&gens, &spans);
    let link = trace_url(results.analysis.origin.posthog.as_ref(), &trace_id, results.analysis.trace_times.get(&trace_id));
    let (cost, latency): (f64, f64) = (gens.iter().filter_map(|g| g.cost_usd).sum(), gens.iter().map(|g| g.latency_s).sum());
    let errors = gens.iter().filter(|g| g.is_error).count() + spans.iter().filter(|s| s.is_error).count();
    let first = gens.iter().map(|g| g.timestamp).chain(spans.iter().map(|s| s.timestamp)).min();
    let spans_note = if spans.is_empty() { String::new() } else { format!("{} · ", many(spans.len() as u64, "span")) };
    let summary = format!("{} · {spans_note}{} · {} of model time · {} failed", many(gens.len() as u64, "generation"), usd(cost), secs(latency), errors);
    let offset = move |t: chrono::DateTime<chrono::Utc>| first.map_or(0.0, |f| (t - f).num_milliseconds() as f64 / 1000.0);
    let folded = RwSignal::new(BTreeSet::<usize>::new());
    let hidden = {
        let tree = tree.clone();
        Memo::new(move |_| folded.with(|f| trace_tree::hidden(&tree, f)))
    };
    let nodes = tree
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let is_folded = move || folded.with(|f| f.contains(&i));
            let toggle = (n.children > 0).then(|| {
                let label = format!("Fold or unfold {} nodes below", n.descendants);
                view! {
                    <button class="tree-toggle" aria-label=label on:click=move |_| folded.update(|f| if !f.remove(&i) { f.insert(i); })>
                        {move || if is_folded() { "▸" } else { "▾" }}
                    </button>
                }
            });
            let expanded = (n.children > 0).then_some(move || (!is_folded()).to_string());
            let card = match n.item {
                Item::Span(s) => view! { <SpanCard s=spans[s].clone() totals=n.totals offset_s=offset(spans[s].timestamp) /> }.into_any(),
                Item::Generation(g) => view! { <GenerationCard g=gens[g].clone() offset_s=offset(gens[g].timestamp) /> }.into_any(),
            };
            view! {
                <li role="treeitem" class="tree-node" attr:aria-level=(n.depth + 2).to_string() aria-expanded=expanded data-depth=n.depth
                    style=format!("padding-left: {}px", 18 * n.depth.min(MAX_INDENT)) hidden=move || hidden.with(|h| h[i])>
                    <div class="tree-line">{toggle}{card}</div>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="panel trace-detail" id="trace-detail" aria-label="Trace">
            <div class="trace-head">
                <h3 title=shown_id(&trace_id)>"Trace " <code>{as_shown(&trace_id, 40)}</code></h3>
                {link.map(|href| view! { <a class="button" href=href target="_blank" rel="noopener noreferrer">"Open in PostHog"</a> })}
            </div>
            <p class="hint">{summary}</p>
            <ul class="tree" role="tree" id="trace-tree" aria-label="The trace's spans and generations">
                <li role="treeitem" attr:aria-level="1" aria-expanded="true" class="tree-root">
                    <span class="node-kind">"trace"</span>
                    <ul role="group">{nodes}</ul>
                </li>
            </ul>
        </section>
    }
}

/// `n` things, the noun plural past one.
fn many(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", count(n), if n == 1 { "" } else { "s" })
}

/// Levels past which a deeper node is indented no further (its depth is in `data-depth`).
const MAX_INDENT: usize = 12;

/// A span: its name, what runs below it (generations, tokens, cost), its
/// latency, error and state excerpts.
#[component]
fn SpanCard(s: SpanRow, totals: Totals, offset_s: f64) -> impl IntoView {
    let name = if s.name.is_empty() { "unnamed span".to_string() } else { s.name.clone() };
    // What runs below it, where anything does.
    let below = (totals.generations > 0).then(|| {
        let calls = format!("{} · in {} / out {} tokens", many(totals.generations, "generation"), count(totals.input_tokens), count(totals.output_tokens));
        view! { <span class="num">{calls}</span> <span class="num node-cost">{usd(totals.cost_usd)}</span> }
    });
    let status = if s.is_error { format!("error: {}", s.error) } else { String::new() };
    view! {
        <article class="generation span" class:error=s.is_error>
            <div class="generation-head">
                <span class="node-kind">"span"</span>
                <strong class="node-name" title=visible(&name).into_owned()>{as_shown(&name, 40)}</strong>
                {below}
                <span class="num">{secs(s.latency_s)}</span>
                <span class="hint">{format!("+{offset_s:.1} s · {}", crate::time::second(s.timestamp))}</span>
            </div>
            {s.is_error.then(|| view! { <div class="generation-status bad">{visible(&status).into_owned()}</div> })}
            <Excerpts input=excerpt(&s.input_head, &s.input_tail, s.input_chars) output=s.output_head.clone() input_label="Input state" output_label="Output state" />
        </article>
    }
}

/// The start of a text and, past [`crate::contract::EXCERPT_CHARS`], its end with its whole length between.
fn excerpt(head: &str, tail: &str, chars: u64) -> String {
    if chars as usize > head.chars().count() {
        format!("{head}\n[… {} characters in all …]\n{tail}", count(chars))
    } else {
        head.to_string()
    }
}

/// A node's two excerpts behind a disclosure, as text.
#[component]
fn Excerpts(input: String, output: String, input_label: &'static str, output_label: &'static str) -> impl IntoView {
    view! {
        <details>
            <summary>{format!("{input_label} and {} excerpts", output_label.to_lowercase())}</summary>
            <h4>{input_label}</h4>
            <pre class="excerpt">{visible(&input).into_owned()}</pre>
            <h4>{output_label}</h4>
            <pre class="excerpt">{visible(&output).into_owned()}</pre>
        </details>
    }
}

#[component]
fn GenerationCard(g: GenerationRow, offset_s: f64) -> impl IntoView {
    let status = if g.is_error {
        format!("error {}: {}", g.http_status.map(|s| s.to_string()).unwrap_or_default(), g.error)
    } else {
        format!("stop: {}", if g.stop_reason.is_empty() { "-" } else { &g.stop_reason })
    };
    let cost = g.cost_usd.map_or_else(|| "unpriced".to_string(), usd);
    let prompt = excerpt(&g.input_head, &g.input_tail, g.input_chars);
    view! {
        <article class="generation" class:error=g.is_error>
            <div class="generation-head">
                <span class="node-kind">"generation"</span>
                <strong class="node-name" title=visible(&g.operation).into_owned()>{as_shown(&g.operation, 40)}</strong>
                <span title=visible(&g.model).into_owned()>{as_shown(&g.model, 40)}</span>
                <span class="num">{format!("in {} / out {} tokens", count(g.tokens.input), count(g.tokens.output))}</span>
                <span class="num node-cost">{cost}</span>
                <span class="num">{secs(g.latency_s)}</span>
                <span class="hint">{format!("+{offset_s:.1} s · {}", crate::time::second(g.timestamp))}</span>
            </div>
            <div class="generation-status" class:bad=g.is_error>{visible(&status).into_owned()}</div>
            <Excerpts input=prompt output=g.output_head.clone() input_label="Prompt" output_label="Output" />
        </article>
    }
}
