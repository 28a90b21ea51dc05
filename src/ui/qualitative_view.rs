//! The qualitative sample (stage 7): each sampled trace with its excerpts
//! and tags. The reader can change a trace's tags; the tag frequencies,
//! the report and `qualitative_samples.json` follow. Excerpts are text
//! nodes, never HTML.

use super::state::{AppState, Results};
use crate::analysis::links::trace_url;
use crate::analysis::qualitative::{retag, SampledTrace, Tag};
use crate::format::{usd, visible};
use leptos::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The sample, its tag frequencies, and a tag editor per trace.
#[component]
pub fn QualitativeSample(results: Arc<Results>) -> impl IntoView {
    let q = &results.analysis.qualitative;
    let freq: Vec<String> = Tag::ALL
        .iter()
        .filter_map(|t| q.frequency(*t, None).filter(|f| f.seen > 0).map(|f| format!("{}: seen in {}/{} sampled traces", t.name(), f.seen, f.of)))
        .collect();
    let rows = q.samples.iter().map(|s| view! { <SampleRow results=results.clone() sample=s.clone() /> }).collect_view();
    view! {
        <section class="panel qualitative" aria-label="Qualitative sample">
            <h2>"Qualitative sample"</h2>
            <p class="hint">"Tags are set by rules; tick or untick one to correct it. The report and the downloads follow your tags."</p>
            <ul class="tag-frequencies" id="tag-frequencies">{freq.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
            <div class="samples">{rows}</div>
        </section>
    }
}

#[component]
fn SampleRow(results: Arc<Results>, sample: SampledTrace) -> impl IntoView {
    let state = expect_context::<AppState>();
    let link = trace_url(results.analysis.origin.posthog.as_ref(), &sample.trace_id, results.analysis.trace_times.get(&sample.trace_id));
    let tags = Tag::ALL.iter().filter(|t| **t != Tag::Clean).map(|tag| {
        let tag = *tag;
        let (results, id, current) = (results.clone(), sample.trace_id.clone(), sample.tags.clone());
        let toggle = move |_| {
            let mut next: BTreeSet<Tag> = crate::order::set_of(current.iter().copied().filter(|t| *t != Tag::Clean));
            if !next.remove(&tag) {
                next.insert(tag);
            }
            let mut analysis = results.analysis.clone();
            analysis.qualitative = retag(&analysis.qualitative, &id, next);
            state.results.set(Some(Arc::new(results.with_analysis(analysis))));
        };
        view! {
            <label class="tag-choice">
                <input type="checkbox" data-tag=tag.name() prop:checked=sample.tags.contains(&tag) on:change=toggle />
                {tag.name()}
            </label>
        }
    }).collect_view();
    view! {
        <article class="sample" data-trace=sample.trace_id.clone() class:edited=sample.edited>
            <div class="sample-head">
                {match link {
                    Some(href) => view! { <a href=href target="_blank" rel="noopener noreferrer"><code>{super::trace_view::shown_id(&sample.trace_id)}</code></a> }.into_any(),
                    None => view! { <code>{super::trace_view::shown_id(&sample.trace_id)}</code> }.into_any(),
                }}
                " · " {sample.stratum.label()} " · " {usd(sample.cost_usd)} " · " {format!("{} generations", sample.generations)}
                {sample.edited.then(|| view! { <span class="badge">"edited"</span> })}
            </div>
            <div class="tag-choices">{tags}</div>
            {(!sample.reasons.is_empty()).then(|| view! { <p class="reasons">{sample.reasons.join("; ")}</p> })}
            <details>
                <summary>"Excerpts"</summary>
                <h4>"Prompt"</h4>
                <pre class="excerpt">{visible(&sample.input_excerpt).into_owned()}</pre>
                <h4>"Output"</h4>
                <pre class="excerpt">{visible(&sample.output_excerpt).into_owned()}</pre>
            </details>
        </article>
    }
}
