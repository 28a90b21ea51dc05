//! Stage 7, the qualitative read: the sampled traces (cheapest, median,
//! most expensive, slowest, failed) with prompt and output excerpts, each
//! tagged by rules the user can overrule while reading.
//!
//! Excerpts are hostile text from end users; this module only cuts them.

use super::by_operation::ByOperation;
use super::dataset::{Dataset, GenerationRow, TraceOpRow};
use crate::contract::EXCERPT_CHARS;
use super::pricing::Costing;
use super::root_causes::{history_growth, BLOAT_FACTOR, RETRY_DUPLICATES, TOOL_LOOP_CALLS};
use super::select::{Selection, Stratum};
use super::stats::median_in_place;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What a sampled trace shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    PromptStuffing,
    ResponseTruncation,
    ModelConfusion,
    RetryStorm,
    ToolAbuse,
    EmptyOutput,
    Clean,
}

impl Tag {
    /// Every tag, in report order.
    pub const ALL: [Tag; 7] = [Tag::PromptStuffing, Tag::ResponseTruncation, Tag::ModelConfusion, Tag::RetryStorm, Tag::ToolAbuse, Tag::EmptyOutput, Tag::Clean];

    /// The tag's name in files and tables (`prompt_stuffing`).
    pub fn name(self) -> &'static str {
        match self {
            Tag::PromptStuffing => "prompt_stuffing",
            Tag::ResponseTruncation => "response_truncation",
            Tag::ModelConfusion => "model_confusion",
            Tag::RetryStorm => "retry_storm",
            Tag::ToolAbuse => "tool_abuse",
            Tag::EmptyOutput => "empty_output",
            Tag::Clean => "clean",
        }
    }
}

/// Openings of a refusal or confused answer.
const CONFUSION_OPENINGS: [&str; 5] = ["i'm sorry", "i am sorry", "i cannot", "i can't", "as an ai"];

/// One sampled trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampledTrace {
    pub trace_id: String,
    pub stratum: Stratum,
    pub cost_usd: f64,
    pub latency_s: f64,
    pub generations: u64,
    /// The trace's operations, each with the tags its rows show.
    pub operations: BTreeMap<String, BTreeSet<Tag>>,
    /// The tags the rules gave the trace, and the tags in force (the user's when edited).
    pub auto_tags: BTreeSet<Tag>,
    pub tags: BTreeSet<Tag>,
    pub edited: bool,
    /// Why each automatic tag was given.
    pub reasons: Vec<String>,
    /// The prompt and output of the trace's most expensive generation, cut
    /// to about [`EXCERPT_CHARS`] characters each.
    pub input_excerpt: String,
    pub output_excerpt: String,
}

/// How often a tag was seen: overall (`operation` = None) or within one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TagFrequency {
    pub tag: Tag,
    pub operation: Option<String>,
    pub seen: u64,
    pub of: u64,
}

/// Stage 7's result, written as `data/qualitative_samples.json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Qualitative {
    pub samples: Vec<SampledTrace>,
    pub frequencies: Vec<TagFrequency>,
}

/// Reads and tags the sample `selection` picked (never a trace without an id:
/// there is nothing to cite or link).
pub fn compute(data: &Dataset, by_op: &ByOperation, costing: &Costing, selection: &Selection) -> Qualitative {
    let mut medians: BTreeMap<&str, f64> = BTreeMap::new();
    for (op, op_rows) in by_op.iter() {
        let mut per_call: Vec<f64> = op_rows.iter().map(|p| p.row.tokens.input as f64 / p.row.generations.max(1) as f64).collect();
        medians.insert(op, median_in_place(&mut per_call).unwrap_or(0.0));
    }
    let samples = selection
        .sample
        .iter()
        .filter(|(id, _)| !id.is_empty())
        .map(|(id, stratum)| {
            let trace_rows: Vec<&TraceOpRow> = by_op.iter().filter_map(|(op, _)| by_op.find(op, id)).map(|p| p.row).collect();
            let gens: Vec<&GenerationRow> = data.generations.iter().filter(|g| &g.trace_id == id).collect();
            sampled(id, *stratum, &trace_rows, &gens, &medians, costing)
        })
        .collect();
    with_frequencies(samples)
}

fn sampled(id: &str, stratum: Stratum, rows: &[&TraceOpRow], gens: &[&GenerationRow], medians: &BTreeMap<&str, f64>, costing: &Costing) -> SampledTrace {
    let mut operations: BTreeMap<String, BTreeSet<Tag>> = BTreeMap::new();
    let mut reasons = Vec::new();
    for r in rows {
        let tags = operations.entry(r.operation.clone()).or_default();
        let per_gen = r.tokens.input as f64 / r.generations.max(1) as f64;
        let median = medians.get(r.operation.as_str()).copied().unwrap_or(0.0);
        let mut tag = |t: Tag, why: String| {
            tags.insert(t);
            reasons.push(format!("{}: {why}", r.operation));
        };
        if median > 0.0 && per_gen >= BLOAT_FACTOR * median {
            tag(Tag::PromptStuffing, format!("{per_gen:.0} input tokens per call, {:.1}x the median", per_gen / median));
        } else if let Some(g) = history_growth(r) {
            tag(Tag::PromptStuffing, format!("input grew from {} to {} tokens, about {:.0} a turn", r.first_input_tokens, r.last_input_tokens, g.per_turn));
        }
        if r.truncated > 0 {
            tag(Tag::ResponseTruncation, format!("{} of {} calls cut at the token limit", r.truncated, r.generations));
        }
        if r.duplicate_inputs >= RETRY_DUPLICATES {
            tag(Tag::RetryStorm, format!("{} calls repeat an earlier input", r.duplicate_inputs));
        }
        if r.tool_calls >= TOOL_LOOP_CALLS {
            tag(Tag::ToolAbuse, format!("{} tool calls", r.tool_calls));
        }
        if r.empty_outputs > 0 {
            tag(Tag::EmptyOutput, format!("{} successful calls returned nothing", r.empty_outputs));
        }
    }
    for g in gens.iter().filter(|g| !g.is_error) {
        if let Some(why) = confusion(g) {
            operations.entry(g.operation.clone()).or_default().insert(Tag::ModelConfusion);
            reasons.push(format!("{}: {why}", g.operation));
        }
    }
    for tags in operations.values_mut() {
        if tags.is_empty() {
            tags.insert(Tag::Clean);
        }
    }
    let mut auto_tags: BTreeSet<Tag> = crate::order::set_of(operations.values().flatten().copied().filter(|t| *t != Tag::Clean));
    if auto_tags.is_empty() {
        auto_tags.insert(Tag::Clean);
    }
    crate::order::sort(&mut reasons);
    reasons.dedup();
    let shown = gens.iter().max_by(|a, b| a.cost_usd.unwrap_or(0.0).total_cmp(&b.cost_usd.unwrap_or(0.0)).then(b.timestamp.cmp(&a.timestamp)));
    SampledTrace {
        trace_id: id.to_string(),
        stratum,
        cost_usd: rows.iter().map(|r| costing.trace_op_cost(r)).sum(),
        latency_s: rows.iter().map(|r| r.latency_s).sum(),
        generations: rows.iter().map(|r| r.generations).sum(),
        operations,
        tags: auto_tags.clone(),
        auto_tags,
        edited: false,
        reasons,
        input_excerpt: shown.map(|g| excerpt(&g.input_head, &g.input_tail, g.input_chars)).unwrap_or_default(),
        output_excerpt: shown.map(|g| g.output_head.clone()).unwrap_or_default(),
    }
}

/// The start of a prompt, and its end when it is longer than the excerpt.
fn excerpt(head: &str, tail: &str, chars: u64) -> String {
    if chars <= EXCERPT_CHARS {
        head.to_string()
    } else {
        let half = (EXCERPT_CHARS / 2) as usize;
        let start: String = head.chars().take(half).collect();
        let skip = tail.chars().count().saturating_sub(half);
        format!("{start} […] {}", tail.chars().skip(skip).collect::<String>())
    }
}

/// Whether a whole output (seen entire) is malformed structured output or a refusal.
fn confusion(g: &GenerationRow) -> Option<String> {
    if g.output_chars == 0 || g.output_chars > EXCERPT_CHARS {
        return None;
    }
    let choices: serde_json::Value = serde_json::from_str(&g.output_head).ok()?;
    let content = choices.get(0)?.get("content")?.as_str()?.trim();
    let lower = content.to_lowercase();
    if content.starts_with('{') || content.starts_with('[') {
        return serde_json::from_str::<serde_json::Value>(content).is_err().then(|| "structured output that is not valid JSON".to_string());
    }
    CONFUSION_OPENINGS.iter().any(|o| lower.starts_with(o)).then(|| "the model declined or apologised".to_string())
}

/// Recomputes the frequencies from the samples' tags in force.
fn with_frequencies(samples: Vec<SampledTrace>) -> Qualitative {
    let n = samples.len() as u64;
    let mut frequencies: Vec<TagFrequency> = Tag::ALL
        .iter()
        .map(|t| TagFrequency { tag: *t, operation: None, seen: samples.iter().filter(|s| s.tags.contains(t)).count() as u64, of: n })
        .collect();
    let ops: BTreeSet<&String> = crate::order::set_of(samples.iter().flat_map(|s| s.operations.keys()));
    for op in ops {
        let with_op: Vec<BTreeSet<Tag>> = samples.iter().filter_map(|s| s.operations.get(op).map(|auto| effective_op_tags(s, auto))).collect();
        for t in Tag::ALL {
            let seen = with_op.iter().filter(|tags| tags.contains(&t)).count() as u64;
            if seen > 0 {
                frequencies.push(TagFrequency { tag: t, operation: Some(op.clone()), seen, of: with_op.len() as u64 });
            }
        }
    }
    Qualitative { samples, frequencies }
}

/// An operation's tags once the user's edits apply: tags the user removed
/// are gone; tags the user added hold for every operation of the trace.
fn effective_op_tags(s: &SampledTrace, auto: &BTreeSet<Tag>) -> BTreeSet<Tag> {
    if !s.edited {
        return auto.clone();
    }
    let added: BTreeSet<Tag> = crate::order::set_of(s.tags.difference(&s.auto_tags).copied());
    let mut tags: BTreeSet<Tag> = crate::order::set_of(auto.intersection(&s.tags).copied().chain(added));
    if tags.len() > 1 {
        tags.remove(&Tag::Clean);
    }
    if tags.is_empty() {
        tags.insert(Tag::Clean);
    }
    tags
}

/// The sample with `trace_id`'s tags set by the user, frequencies recomputed.
pub fn retag(q: &Qualitative, trace_id: &str, tags: BTreeSet<Tag>) -> Qualitative {
    let samples = q
        .samples
        .iter()
        .cloned()
        .map(|mut s| {
            if s.trace_id == trace_id {
                s.edited = tags != s.auto_tags;
                s.tags = if tags.is_empty() { [Tag::Clean].into() } else { tags.clone() };
            }
            s
        })
        .collect();
    with_frequencies(samples)
}

impl Qualitative {
    /// "seen in k/N sampled traces" for a tag, overall or within an operation.
    pub fn frequency(&self, tag: Tag, operation: Option<&str>) -> Option<&TagFrequency> {
        self.frequencies.iter().find(|f| f.tag == tag && f.operation.as_deref() == operation)
    }
}

#[cfg(test)]
mod tests;
