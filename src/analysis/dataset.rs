//! The analysis input: the compact answers of the query plan.
//!
//! Every data source (PostHog over HTTP, the in-memory demo project, a JSONL
//! export) produces exactly these rows; the analysis never sees raw events.
//! Each row type documents the HogQL aggregate it mirrors, so the two sources
//! can be checked against each other.

use crate::contract::Naming;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The analysed time range, `[start, end)` in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    #[serde(with = "crate::time::instant")]
    pub start: DateTime<Utc>,
    #[serde(with = "crate::time::instant")]
    pub end: DateTime<Utc>,
}

impl Window {
    /// The `days` days that end at `end`.
    pub fn ending_at(end: DateTime<Utc>, days: u32) -> Self {
        Window { start: end - chrono::Duration::days(i64::from(days)), end }
    }

    /// Length of the window in days (fractional).
    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }

    /// Whether `t` lies inside the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        t >= self.start && t < self.end
    }
}

/// Stage 1: what the window holds, before anything heavier is asked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// `count()` of `$ai_generation` events in the window.
    pub generations: u64,
    /// `uniqExact($ai_trace_id)`.
    pub traces: u64,
    /// `uniqExact(trace, operation)`: the rows the per-trace query will return.
    pub trace_operations: u64,
    #[serde(with = "crate::time::instant_opt", default)]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::instant_opt", default)]
    pub last_seen: Option<DateTime<Utc>>,
    /// SDK names (`$lib`, which names the language, else `$ai_lib`), most used first.
    pub libs: Vec<String>,
    /// Generations whose prompt or output is recorded in `events`
    /// (`$ai_input` or `$ai_output_choices` present). Zero when the project's
    /// ingestion keeps payloads elsewhere (`posthog.ai_events`).
    #[serde(default)]
    pub with_payloads: u64,
    /// What the window's events got wrong, and how it was read.
    #[serde(default)]
    pub quality: DataQuality,
    /// How many generations each rule of the operation naming named.
    #[serde(default)]
    pub naming: OperationNaming,
}

/// Generations by the [`Naming`] rule that named their operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationNaming {
    /// By their own `$ai_span_name`.
    #[serde(default)]
    pub span_name: u64,
    /// By their parent `$ai_span`'s name.
    #[serde(default)]
    pub parent_span: u64,
    /// By their trace's `$ai_trace` name.
    #[serde(default)]
    pub trace_name: u64,
    /// By their prompt's opening.
    #[serde(default)]
    pub prompt: u64,
    /// By their model.
    #[serde(default)]
    pub model: u64,
    /// Not at all (`unnamed`).
    #[serde(default)]
    pub unnamed: u64,
}

impl OperationNaming {
    /// The generations `rule` named.
    pub fn count(&self, rule: Naming) -> u64 {
        match rule {
            Naming::SpanName => self.span_name,
            Naming::ParentSpan => self.parent_span,
            Naming::TraceName => self.trace_name,
            Naming::Prompt => self.prompt,
            Naming::Model => self.model,
            Naming::Unnamed => self.unnamed,
        }
    }

    /// The count of `rule`, to change.
    pub fn count_mut(&mut self, rule: Naming) -> &mut u64 {
        match rule {
            Naming::SpanName => &mut self.span_name,
            Naming::ParentSpan => &mut self.parent_span,
            Naming::TraceName => &mut self.trace_name,
            Naming::Prompt => &mut self.prompt,
            Naming::Model => &mut self.model,
            Naming::Unnamed => &mut self.unnamed,
        }
    }

    /// Counts one generation named by `rule`.
    pub fn add(&mut self, rule: Naming) {
        *self.count_mut(rule) += 1;
    }
}

/// Problems of the input, each read in a stated way rather than guessed at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQuality {
    /// Generations repeating the `uuid` of an earlier one. The in-memory
    /// source drops them (each uuid counts once); in PostHog they are the
    /// copies its storage has not merged away yet (`count() - uniqExact(uuid)`),
    /// which its totals still include.
    #[serde(default)]
    pub repeated_events: u64,
    /// Generations with no or an empty `$ai_trace_id` (counted in every
    /// total, as the trace `""`).
    #[serde(default)]
    pub missing_trace_ids: u64,
    /// Property name -> generations whose value was read as missing because
    /// it was negative, not finite, not a number or absurd
    /// ([`crate::contract::NUMBER_PROPERTIES`]); properties without any are left out.
    #[serde(default)]
    pub bad_values: BTreeMap<String, u64>,
    /// Generations with at least one such value.
    #[serde(default)]
    pub generations_with_bad_values: u64,
}

impl DataQuality {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.repeated_events == 0 && self.missing_trace_ids == 0 && self.generations_with_bad_values == 0
    }
}

/// One cell of the rollup: day x operation x model x error status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RollupRow {
    #[serde(with = "crate::time::date")]
    pub day: NaiveDate,
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub is_error: bool,
    pub generations: u64,
    /// Sum of `$ai_total_cost_usd` where PostHog priced the call.
    pub cost_usd: f64,
    /// Generations PostHog left without a cost (unknown model).
    pub unpriced: u64,
    pub tokens: TokenSums,
    /// Token sums of the unpriced generations only, for backfilling their cost.
    pub unpriced_tokens: TokenSums,
    /// Generations whose prompt passed 200k tokens (long-context pricing).
    pub long_context: u64,
    /// Sum of `$ai_latency` in seconds.
    pub latency_s: f64,
    /// What PostHog recorded of the calls that carry both `$ai_input_cost_usd`
    /// and `$ai_output_cost_usd`: its per-token rate, for pricing the calls
    /// it left unpriced when the table has no entry for the provider.
    #[serde(default)]
    pub recorded: RecordedCost,
    /// Cache tokens of the calls that say in `$ai_cache_reporting_exclusive`
    /// whether their input tokens include them; the other calls follow the
    /// provider's accounting.
    #[serde(default)]
    pub cache_reporting: CacheReporting,
    /// What the cost audit needs beyond the token sums
    /// (`analysis::pricing::audit`): the calls' cost sources and the tokens
    /// PostHog's known pricing patterns touch.
    #[serde(default)]
    pub audit: AuditSums,
}

/// Sums of a rollup cell for the cost audit. "Priced" calls are those with
/// `$ai_total_cost_usd` (`isNotNull(cost)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditSums {
    /// `$ai_cache_creation_1h_input_tokens` of the priced calls: cache writes
    /// with Anthropic's 1-hour lifetime (part of `$ai_cache_creation_input_tokens`).
    pub cache_write_1h: u64,
    /// Cache tokens (read plus write) of the priced calls sent through
    /// LangChain or the Vercel AI SDK (`lower($ai_framework)` `langchain` or
    /// `vercel`) without `$ai_cache_reporting_exclusive`, whose input count
    /// is at least their cache tokens (and these above 0): the shape of input
    /// counted with the cache tokens inside.
    pub framework_cache: u64,
    /// Calls without `$ai_cost_model_source` (PostHog did not price them
    /// itself), and `$ai_total_cost_usd` summed over them (a cost the caller sent).
    pub unsourced_calls: u64,
    pub unsourced_usd: f64,
    /// `$ai_total_cost_usd` of the calls priced by each `$ai_cost_model_source`
    /// PostHog writes; any other value is the rest of `cost_usd`.
    pub openrouter_usd: f64,
    pub manual_usd: f64,
    pub custom_usd: f64,
    pub passthrough_usd: f64,
}

/// Cache tokens (`$ai_cache_read_input_tokens` plus
/// `$ai_cache_creation_input_tokens`, missing as 0) of the calls whose
/// `$ai_cache_reporting_exclusive` is `true` (reported apart from the input
/// tokens) or `false` (counted inside them), over all of a cell's calls and
/// over its unpriced ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheReporting {
    pub exclusive: u64,
    pub inclusive: u64,
    pub unpriced_exclusive: u64,
    pub unpriced_inclusive: u64,
}

/// Sums over the calls that carry both `$ai_input_cost_usd` and
/// `$ai_output_cost_usd` (`sumIf(..., isNotNull(input_cost) AND isNotNull(output_cost))`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordedCost {
    pub calls: u64,
    pub input_usd: f64,
    pub output_usd: f64,
    /// `$ai_input_tokens` and `$ai_output_tokens` of those calls.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl RecordedCost {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &RecordedCost) {
        self.calls += other.calls;
        self.input_usd += other.input_usd;
        self.output_usd += other.output_usd;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// Token counts summed over some generations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSums {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub reasoning: u64,
}

impl TokenSums {
    /// Input plus output tokens (cache and reasoning are reported inside these
    /// or beside them depending on the provider; this is the billed volume).
    pub fn total(&self) -> u64 {
        self.input + self.output
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &TokenSums) {
        self.input += other.input;
        self.output += other.output;
        self.cache_read += other.cache_read;
        self.cache_write += other.cache_write;
        self.reasoning += other.reasoning;
    }
}

/// What a latency row aggregates over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyScope {
    Operation,
    Model,
}

/// Latency quantiles (seconds) for one operation or one model, over the
/// generations that report a latency.
///
/// Quantiles use linear interpolation between order statistics (type 7),
/// which is what ClickHouse's `quantiles` computes exactly up to 8,192 values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    pub scope: LatencyScope,
    /// The operation or model name.
    pub key: String,
    pub generations: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// One trace within one operation: the unit of cost variance.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceOpRow {
    pub trace_id: String,
    pub operation: String,
    #[serde(with = "crate::time::instant")]
    pub first_seen: DateTime<Utc>,
    pub generations: u64,
    /// PostHog's cost of the priced generations.
    pub cost_usd: f64,
    pub unpriced: u64,
    pub tokens: TokenSums,
    pub unpriced_tokens: TokenSums,
    /// Largest single prompt, in input tokens.
    pub max_input_tokens: u64,
    /// Input tokens of the first and of the last generation (context growth).
    pub first_input_tokens: u64,
    pub last_input_tokens: u64,
    /// Distinct models used, sorted.
    pub models: Vec<String>,
    pub errors: u64,
    /// Generations stopped by the token limit.
    pub truncated: u64,
    /// Successful generations with no output tokens.
    pub empty_outputs: u64,
    /// Generations that ended asking for a tool.
    pub tool_calls: u64,
    /// Generations whose input repeats an earlier one of this trace exactly.
    pub duplicate_inputs: u64,
    pub latency_s: f64,
    pub max_latency_s: f64,
}

/// A prompt prefix that repeats across calls of one operation and model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrefixRow {
    pub operation: String,
    pub model: String,
    pub provider: String,
    /// Hash of the first [`PREFIX_GROUP_CHARS`](crate::contract::PREFIX_GROUP_CHARS) characters of `$ai_input` (an opaque id).
    pub prefix_hash: String,
    pub generations: u64,
    pub traces: u64,
    /// Shortest whole input in the group, in characters.
    pub min_input_chars: u64,
    pub input_chars: u64,
    pub input_tokens: u64,
    pub cache_read_tokens: u64,
    /// The longest prefix every input of the group shares, in characters
    /// (Unicode scalar values; a character is shared only whole), up to
    /// [`SHARED_PREFIX_MAX_CHARS`](crate::contract::SHARED_PREFIX_MAX_CHARS):
    /// the common prefix of the group's smallest and largest input, each cut
    /// to that length.
    pub shared_chars: u64,
    /// Successful calls that came at most [`CACHE_WINDOW_S`] after the
    /// group's previous successful call (a prompt cache would still be warm):
    /// the gaps between the group's sorted successful timestamps, in whole
    /// milliseconds, that are at most 300,000
    /// (`arrayCount(d -> d <= 300000, arrayPopFront(arrayDifference(arraySort(groupArrayIf(toUnixTimestamp64Milli(ts), NOT is_error)))))`).
    pub warm_calls: u64,
    /// The group's other successful calls (they would write the cache).
    pub cold_calls: u64,
}

/// Failed generations grouped by operation, model, status and message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorRow {
    pub operation: String,
    pub model: String,
    pub http_status: Option<u16>,
    /// The error message, cut to [`ERROR_CHARS`] characters.
    pub message: String,
    pub generations: u64,
    pub cost_usd: f64,
    pub latency_s: f64,
    pub max_latency_s: f64,
    /// Up to three trace ids showing this error (the smallest ids, so the
    /// choice is deterministic).
    pub trace_ids: Vec<String>,
}

/// One generation of a trace selected for a closer read (round 2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationRow {
    pub uuid: String,
    pub trace_id: String,
    #[serde(with = "crate::time::instant")]
    pub timestamp: DateTime<Utc>,
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub tokens: TokenSums,
    pub cost_usd: Option<f64>,
    pub latency_s: f64,
    pub is_error: bool,
    pub http_status: Option<u16>,
    pub error: String,
    pub stop_reason: String,
    pub max_tokens: Option<u64>,
    /// Whole-input hash (retry detection) and lengths in characters.
    pub input_hash: String,
    pub input_chars: u64,
    pub output_chars: u64,
    /// The start and the end of the prompt, and the start of the output,
    /// each at most [`EXCERPT_CHARS`] characters. Hostile text: render as text.
    pub input_head: String,
    pub input_tail: String,
    pub output_head: String,
    /// `$ai_span_id` and `$ai_parent_id`, cut to [`crate::contract::NAME_CHARS`], `""` when absent.
    pub span_id: String,
    pub parent_id: String,
}

/// One `$ai_span` event of a trace read closely (round 2): a step of a
/// framework's run (LangChain's chains and tools), which generations and
/// other spans hang from by `$ai_parent_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanRow {
    pub uuid: String,
    pub trace_id: String,
    #[serde(with = "crate::time::instant")]
    pub timestamp: DateTime<Utc>,
    /// `$ai_span_name`, cut to [`crate::contract::NAME_CHARS`], `""` when absent.
    pub name: String,
    pub span_id: String,
    pub parent_id: String,
    pub latency_s: f64,
    pub is_error: bool,
    pub error: String,
    /// `$ai_input_state` and `$ai_output_state` as [`GenerationRow`]'s prompt
    /// and output: lengths, and excerpts of [`EXCERPT_CHARS`]. Hostile text.
    pub input_chars: u64,
    pub output_chars: u64,
    pub input_head: String,
    pub input_tail: String,
    pub output_head: String,
}

/// Round 2's answer: the generations of the traces read closely and their
/// spans (at most [`crate::contract::spans_per_trace`] + 1 each, the
/// earliest, so that a cut shows), each ordered by trace, time and uuid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceRows {
    pub generations: Vec<GenerationRow>,
    pub spans: Vec<SpanRow>,
}

/// How the per-trace rows were obtained when a project is too large to read whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Share of traces kept by the hash rule (`1.0` = all).
    pub rate: f64,
    /// Traces kept regardless of the hash because they are the most expensive.
    pub top_traces_kept: u64,
}

/// Everything the analysis reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub window: Window,
    pub overview: Overview,
    pub rollup: Vec<RollupRow>,
    pub latency: Vec<LatencyRow>,
    /// Sorted by trace id, then operation ([`sort_trace_ops`]; the query plan sorts them).
    pub trace_ops: Vec<TraceOpRow>,
    pub prefixes: Vec<PrefixRow>,
    pub errors: Vec<ErrorRow>,
    pub generations: Vec<GenerationRow>,
    pub sampling: Option<Sampling>,
    /// Evaluations, feedback, metrics and embedding calls ([`SignalRow`]).
    #[serde(default)]
    pub signals: Vec<SignalRow>,
    /// Spend by user and by property value ([`SegmentRow`]).
    #[serde(default)]
    pub segments: Vec<SegmentRow>,
}

/// Puts per-trace rows in the order [`Dataset::trace_ops`] keeps: by trace id, then operation.
pub fn sort_trace_ops(rows: &mut [TraceOpRow]) {
    crate::order::sort_by(rows, |a, b| (&a.trace_id, &a.operation).cmp(&(&b.trace_id, &b.operation)));
}

/// What a [`SignalRow`] counts: the event it comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// `$ai_embedding` calls.
    #[default]
    Embedding,
    /// `$ai_evaluation` results.
    Evaluation,
    /// `$ai_feedback` from users.
    Feedback,
    /// `$ai_metric` values.
    Metric,
}

impl SignalKind {
    /// The kind as the query names it (the answers are ordered by this text).
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Embedding => "embedding",
            SignalKind::Evaluation => "evaluation",
            SignalKind::Feedback => "feedback",
            SignalKind::Metric => "metric",
        }
    }

    /// The kind named `s` ([`SignalKind::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        [SignalKind::Embedding, SignalKind::Evaluation, SignalKind::Feedback, SignalKind::Metric].into_iter().find(|k| k.as_str() == s)
    }
}

/// The quality-signal events of the window grouped by kind, name, operation,
/// model and provider (ordered so, at most [`crate::contract::SIGNAL_ROWS`]).
/// An evaluation, feedback or metric is placed on the generation it judges:
/// the `$ai_generation` whose uuid is its `$ai_target_event_id`, else the last
/// generation (by time, then uuid) of its `$ai_trace_id`, both in the window
/// (operation, model and provider `""` when there is none). An embedding
/// keeps its own span name, model and provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalRow {
    pub kind: SignalKind,
    /// `$ai_evaluation_name` (else `$ai_evaluation_id`, else `unnamed`),
    /// `$ai_metric_name` (else `unnamed`); `""` for feedback and embeddings.
    pub name: String,
    pub operation: String,
    pub model: String,
    pub provider: String,
    /// `count()`.
    pub events: u64,
    /// Events whose verdict is a pass or a failure
    /// ([`crate::contract::PASS_WORDS`], [`crate::contract::FAIL_WORDS`]; an
    /// evaluation's number 1 or 0 too); an evaluation marked
    /// `$ai_evaluation_applicable` false has none.
    pub passed: u64,
    pub failed: u64,
    /// Sum and count of the numeric values: `$ai_evaluation_numeric_result`,
    /// `$ai_metric_value` (within [`crate::contract::MAX_SIGNAL_VALUE`]).
    pub value_sum: f64,
    pub valued: u64,
    /// `$ai_input_tokens` summed: an embedding's input, an evaluation's judge prompt.
    pub input_tokens: u64,
    /// `$ai_total_cost_usd` summed (an evaluation's: its judge call), the
    /// events without one, and their input tokens.
    pub cost_usd: f64,
    pub unpriced: u64,
    pub unpriced_tokens: u64,
}

/// One value of one property (or of the pseudo-key
/// [`USER_KEY`](crate::contract::USER_KEY), a user): the window's
/// generations that carry it, on the generation or on its trace's
/// `$ai_trace` event (the generation's own value first). Ordered by key, the
/// named values before the [`OTHER_VALUES`](crate::contract::OTHER_VALUES)
/// row, then by spend ([`rank_cost`](crate::contract::rank_cost) summed)
/// most first, calls, value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The property key, cut to [`NAME_CHARS`](crate::contract::NAME_CHARS).
    pub key: String,
    /// The value as HogQL reads a property as text, cut likewise.
    pub value: String,
    /// Whether the row stands for the key's values past its top ones.
    pub other: bool,
    /// Distinct values the row stands for (1 for a named value).
    pub members: u64,
    pub generations: u64,
    /// Distinct trace ids (the missing id `""` counts as one).
    pub traces: u64,
    /// PostHog's recorded cost (unpriced calls count as 0).
    pub cost_usd: f64,
    pub errors: u64,
    /// Generations stopped by the token limit.
    pub truncated: u64,
}
