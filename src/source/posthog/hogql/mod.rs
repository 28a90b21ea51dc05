//! The HogQL of each query of the plan, as text plus a `values` map. Every
//! value taken from data or settings goes through a `{placeholder}`; the
//! text holds only the program's own literals, written by [`super::escape`]
//! where they are strings. Trace ids are named by their hashes ([`generations`]).
//!
//! Each query reads a subquery of typed per-generation columns
//! ([`Col`]) and aggregates it, so the casts are written once: numbers are
//! read through `toFloat`, text through `toString`, booleans compared as
//! `toString(x) = 'true'` (so the reads hold whether PostHog types the
//! properties from their definitions or leaves them text), the
//! operation is `coalesce(nullIf($ai_span_name, ''), 'unnamed')`, days are
//! `toDate` in UTC. Operation and model names are cut to
//! [`NAME_CHARS`], and past the window's top names by spend grouped under
//! one "other" name ([`top_or_other`]). The answers match [`crate::source::memory`] row for row.

mod aggregates;
mod segments;
mod signals;
mod traces;

pub use aggregates::{errors, latency, overview, prefixes, rollup};
pub use segments::segments;
pub use signals::signals;
pub use traces::{generations, trace_ops, TRACES_PER_QUERY};

use crate::analysis::dataset::Window;
use crate::contract::{hogql_count as count, hogql_float as float, hogql_present, hogql_text as text, hogql_true, NAME_CHARS, OTHER_MODELS, OTHER_OPERATIONS, RANK_COST_UNITS, TOP_MODELS, TOP_OPERATIONS};
use serde_json::{Map, Value};

/// One HogQL query: its name (for PostHog's query log and our meter), text and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub name: &'static str,
    pub hogql: String,
    pub values: Map<String, Value>,
}

/// Where prompts and outputs are read from: the `events` table alone, or
/// `posthog.ai_events` merged with `events` by uuid (newer ingestion keeps
/// payloads there instead, for the teams in its rollout and for about 30 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadTable {
    Events,
    AiEvents,
}

/// Typed columns of one generation, as the inner query names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Id,
    Ts,
    Trace,
    Bucket,
    Operation,
    Model,
    Provider,
    Lib,
    Cost,
    InputCost,
    OutputCost,
    Latency,
    InputTokens,
    OutputTokens,
    CacheReadTokens,
    CacheWriteTokens,
    ReasoningTokens,
    CacheWrite1hTokens,
    Framework,
    CostSource,
    MaxTokens,
    CacheExclusive,
    IsError,
    Status,
    Stop,
    Error,
    Input,
    Output,
    SpanId,
    ParentId,
    SpanName,
    InputState,
    OutputState,
}

/// Whether number property `prop` holds a value (not absent, `null` or `""`)
/// that its reading treats as missing. The raw JSON is looked at only where
/// the value is missing (ClickHouse evaluates `AND` lazily).
fn dirty(prop: &str, read: crate::contract::NumberRead) -> String {
    let value = match read {
        crate::contract::NumberRead::Float { .. } => float(prop),
        crate::contract::NumberRead::Count { .. } => count(prop),
    };
    format!("isNull({value}) AND {}", hogql_present(prop))
}

/// An `ai_events` payload column read as `events` reads the property: raw
/// JSON with its outer quotes stripped, where `''` (the older schema's
/// missing value) and `null` are missing.
fn ai_payload(column: &str) -> String {
    format!("replaceRegexpAll(nullIf(nullIf({column}, ''), 'null'), '^\"|\"$', '')")
}

/// The trace id, `''` when missing.
fn trace() -> String {
    format!("coalesce({}, '')", text("$ai_trace_id"))
}

/// A name cut to [`NAME_CHARS`] characters.
fn cut(name: &str) -> String {
    format!("substringUTF8({name}, 1, {NAME_CHARS})")
}

/// `name` when it is one of the `top` names of the window by spend
/// ([`crate::contract::rank_cost`] summed, then calls, then name), else `other`. The
/// ranking is a subquery over the window's generations in `events`.
fn top_or_other(name: &str, top: usize, other: &str) -> String {
    format!(
        "if({name} IN (SELECT name FROM (SELECT {name} AS name, {} AS cost FROM events WHERE {WINDOW}) \
         GROUP BY name ORDER BY sum(floor(coalesce(cost, 0) * {RANK_COST_UNITS})) DESC, count() DESC, name LIMIT {top}), {name}, {})",
        float("$ai_total_cost_usd"),
        super::escape::string(other),
    )
}

impl Col {
    /// The column as read from `events`.
    fn select(self) -> String {
        let expr = match self {
            Col::Id => "toString(uuid)".to_string(),
            Col::Ts => "toTimeZone(timestamp, 'UTC')".to_string(),
            Col::Trace => trace(),
            Col::Bucket => format!("cityHash64({}) % 1000", trace()),
            Col::Operation => top_or_other(&cut("coalesce(nullIf(properties.$ai_span_name, ''), 'unnamed')"), TOP_OPERATIONS, OTHER_OPERATIONS),
            Col::Model => top_or_other(&cut(&format!("coalesce({}, '')", text("$ai_model"))), TOP_MODELS, OTHER_MODELS),
            Col::Provider => format!("coalesce({}, '')", text("$ai_provider")),
            // `$lib` names the SDK (`posthog-python`, `posthog-node`, `web` for the browser);
            // `$ai_lib` is `posthog-ai` from every one of them, so it only stands in.
            Col::Lib => format!("coalesce(nullIf({}, ''), nullIf({}, ''), '')", text("$lib"), text("$ai_lib")),
            Col::Cost => float("$ai_total_cost_usd"),
            Col::InputCost => float("$ai_input_cost_usd"),
            Col::OutputCost => float("$ai_output_cost_usd"),
            Col::Latency => float("$ai_latency"),
            Col::InputTokens => count("$ai_input_tokens"),
            Col::OutputTokens => count("$ai_output_tokens"),
            Col::CacheReadTokens => count("$ai_cache_read_input_tokens"),
            Col::CacheWriteTokens => count("$ai_cache_creation_input_tokens"),
            Col::ReasoningTokens => count("$ai_reasoning_tokens"),
            Col::CacheWrite1hTokens => count("$ai_cache_creation_1h_input_tokens"),
            Col::Framework => format!("lower(coalesce({}, ''))", text("$ai_framework")),
            // `toString` gives text whatever the property's type, so `nullIf` holds; `""` is no source.
            Col::CostSource => format!("nullIf({}, '')", text("$ai_cost_model_source")),
            Col::MaxTokens => count("$ai_max_tokens"),
            Col::CacheExclusive => text("$ai_cache_reporting_exclusive"),
            Col::IsError => hogql_true("$ai_is_error"),
            // A whole number: negatives (the SDKs' 0 for "no HTTP response") are 0, past 65535 missing.
            Col::Status => {
                let f = "toFloat(properties.$ai_http_status)";
                format!("multiIf({f} < 0, 0, {f} > 65535, NULL, {f} = floor({f}), toInt({f}), NULL)")
            }
            Col::Stop => text("$ai_stop_reason"),
            Col::Error => text("$ai_error"),
            Col::Input => text("$ai_input"),
            Col::Output => text("$ai_output_choices"),
            Col::SpanId => format!("coalesce({}, '')", cut(&text("$ai_span_id"))),
            Col::ParentId => format!("coalesce({}, '')", cut(&text("$ai_parent_id"))),
            Col::SpanName => format!("coalesce({}, '')", cut(&text("$ai_span_name"))),
            Col::InputState => text("$ai_input_state"),
            Col::OutputState => text("$ai_output_state"),
        };
        format!("{expr} AS {}", self.name())
    }

    fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Ts => "ts",
            Col::Trace => "trace",
            Col::Bucket => "bucket",
            Col::Operation => "operation",
            Col::Model => "model",
            Col::Provider => "provider",
            Col::Lib => "lib",
            Col::Cost => "cost",
            Col::InputCost => "input_cost",
            Col::OutputCost => "output_cost",
            Col::Latency => "latency",
            Col::InputTokens => "tok_in",
            Col::OutputTokens => "tok_out",
            Col::CacheReadTokens => "tok_cache_read",
            Col::CacheWriteTokens => "tok_cache_write",
            Col::ReasoningTokens => "tok_reasoning",
            Col::CacheWrite1hTokens => "tok_cache_write_1h",
            Col::Framework => "framework",
            Col::CostSource => "cost_source",
            Col::MaxTokens => "max_tokens",
            Col::CacheExclusive => "cache_exclusive",
            Col::IsError => "is_error",
            Col::Status => "status",
            Col::Stop => "stop",
            Col::Error => "error",
            Col::Input => "input",
            Col::Output => "output",
            Col::SpanId => "span_id",
            Col::ParentId => "parent_id",
            Col::SpanName => "span_name",
            Col::InputState => "input_state",
            Col::OutputState => "output_state",
        }
    }
}

/// The token columns, in [`crate::analysis::dataset::TokenSums`] order.
const TOKENS: [Col; 5] = [Col::InputTokens, Col::OutputTokens, Col::CacheReadTokens, Col::CacheWriteTokens, Col::ReasoningTokens];

/// The window's `$ai_generation` events, as a `WHERE` condition.
const WINDOW: &str = "event = {event} AND timestamp >= toDateTime({start}, 'UTC') AND timestamp < toDateTime({end}, 'UTC')";

/// `SELECT cols` of the window's `$ai_generation` events. Everything is read
/// from `events`; with [`PayloadTable::AiEvents`], the payloads come from
/// `posthog.ai_events` where it holds the event and from `events` where it
/// does not (it may be empty, hold only recent events, or hold the payloads
/// `events` was stripped of): joined by uuid, as PostHog's own reads fall
/// back to `events`. `ai_filter` narrows the `ai_events` side (a condition
/// on its columns), so that only the payloads wanted are held for the join.
fn generations_in_window(cols: &[Col], table: PayloadTable) -> String {
    generations_in_window_where(cols, table, None)
}

/// [`generations_in_window`], with `ai_events` read only where `ai_filter` holds.
fn generations_in_window_where(cols: &[Col], table: PayloadTable, ai_filter: Option<&str>) -> String {
    let payloads: Vec<Col> = cols.iter().copied().filter(|c| matches!(c, Col::Input | Col::Output)).collect();
    if table == PayloadTable::Events || payloads.is_empty() {
        let cols: Vec<String> = cols.iter().map(|c| c.select()).collect();
        return select_in_window(&cols);
    }
    let mut inner: Vec<Col> = cols.to_vec();
    if !inner.contains(&Col::Id) {
        inner.push(Col::Id);
    }
    let inner: Vec<String> = inner.iter().map(|c| c.select()).collect();
    let ai_cols: Vec<String> = payloads
        .iter()
        .map(|c| {
            let column = if *c == Col::Input { "input" } else { "output_choices" };
            format!("{} AS {}", ai_payload(column), c.name())
        })
        .collect();
    let outer: Vec<String> = cols
        .iter()
        .map(|c| match c {
            Col::Input | Col::Output => format!("coalesce(a.{n}, e.{n}) AS {n}", n = c.name()),
            _ => format!("e.{n} AS {n}", n = c.name()),
        })
        .collect();
    let filter = ai_filter.map(|f| format!(" AND {f}")).unwrap_or_default();
    format!(
        "SELECT {} FROM ({}) AS e LEFT JOIN (SELECT toString(uuid) AS id, {} FROM posthog.ai_events WHERE {WINDOW}{filter} LIMIT 1 BY id) AS a ON e.id = a.id",
        outer.join(", "),
        select_in_window(&inner),
        ai_cols.join(", "),
    )
}

/// `SELECT exprs FROM events WHERE` the window's `$ai_generation` events.
fn select_in_window(cols: &[String]) -> String {
    format!("SELECT {} FROM events WHERE {WINDOW}", cols.join(", "))
}

/// The values every query needs: the event name and the window.
fn window_values(w: &Window) -> Map<String, Value> {
    let at = |t: chrono::DateTime<chrono::Utc>| Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
    let mut values = Map::new();
    values.insert("event".into(), Value::String(crate::source::event::AI_GENERATION.into()));
    values.insert("start".into(), at(w.start));
    values.insert("end".into(), at(w.end));
    values
}

/// `sum` of each token column, coalesced to 0, as `{prefix}input_tokens` ...;
/// with `only_if`, the `sumIf` of the rows where it holds.
fn token_sums(prefix: &str, only_if: Option<&str>) -> String {
    let names = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"];
    TOKENS
        .iter()
        .zip(names)
        .map(|(c, n)| match only_if {
            Some(cond) => format!("coalesce(sumIf({}, {cond}), 0) AS {prefix}{n}", c.name()),
            None => format!("coalesce(sum({}), 0) AS {prefix}{n}", c.name()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `cityHash64(x)` as 16 lower-case hex digits, like `format!("{:016x}")`.
fn hex_hash(x: &str) -> String {
    format!("lower(leftPad(hex(cityHash64({x})), 16, '0'))")
}

