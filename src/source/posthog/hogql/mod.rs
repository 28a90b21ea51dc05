//! The HogQL of each query of the plan, as text plus a `values` map. Every
//! value taken from data or settings goes through a `{placeholder}`; the
//! text holds only the program's own literals, written by [`super::escape`]
//! where they are strings. Trace ids are named by their hashes ([`generations`]).
//!
//! Each query reads the window's generations as typed columns ([`Col`])
//! from one pair of CTEs ([`with_generations`]: `base`, then `gens`) and
//! aggregates them, so every column is written once: numbers are
//! read through `toFloat`, text through `toString`, booleans compared as
//! `toString(x) = 'true'` (so the reads hold whether PostHog types the
//! properties from their definitions or leaves them text), the
//! operation is named by [`crate::contract::Naming`]'s rule (joined with the
//! names of the window's `$ai_span` and `$ai_trace` events), days are
//! `toDate` in UTC. Operation and model names are cut to
//! [`NAME_CHARS`], and past the window's top names by spend grouped under
//! one "other" name ([`top_or_other`]). The answers match [`crate::source::memory`] row for row.
//!
//! PostHog parses the HogQL of every query it is sent, and its parser's time
//! grows with the text and steeply with how deeply calls nest: columns are
//! built flat, a step per alias, and the naming rule is written once per
//! query ([`shipped`] holds the bounds, `scripts/bench-parse` the times).

mod aggregates;
mod segments;
#[cfg(test)]
mod shipped;
mod signals;
mod traces;

pub use aggregates::{errors, latency, overview, prefixes, rollup};
pub use segments::segments;
pub use signals::signals;
pub use traces::{generations, trace_ops, TRACES_PER_QUERY};

use crate::analysis::dataset::Window;
use crate::contract::{count_max, float_max, hogql_count as count, hogql_float as float, hogql_naming, hogql_present, hogql_text as text, hogql_true, NAME_CHARS, NAME_EVENTS_MARGIN_S, NUMBER_PROPERTIES, OTHER_MODELS, OTHER_OPERATIONS, RANK_COST_UNITS, TOP_MODELS, TOP_OPERATIONS};
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
    /// The [`crate::contract::Naming`] rule that named the operation.
    Naming,
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
    /// Whether [`NUMBER_PROPERTIES`]' property `i` holds a value read as missing ([`dirty`]).
    Dirty(usize),
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

/// `{name}_cut` when it is one of the `top` names of the window by spend
/// ([`crate::contract::rank_cost`] summed as `rank_weight`, then calls, then
/// name), else `other`: ranked over `base`, all the window's generations.
/// `from` qualifies the column where `gens` joins `base` with another table.
fn top_or_other(name: &str, from: &str, top: usize, other: &str) -> String {
    format!(
        "if({from}{name}_cut IN (SELECT {name}_cut FROM base GROUP BY {name}_cut ORDER BY sum(rank_weight) DESC, count() DESC, {name}_cut LIMIT {top}), {from}{name}_cut, {}) AS {name}",
        super::escape::string(other),
    )
}

/// Float property `prop` as [`float`] reads it, read once: `{name}_read`, then `{name}`.
fn flat_float(prop: &str, name: &str) -> String {
    format!("toFloat(properties.{prop}) AS {name}_read, if({name}_read >= 0 AND {name}_read <= {}, {name}_read, NULL) AS {name}", float_max(prop))
}

/// Count property `prop` as [`count`] reads it, read once: `{name}_read`, then `{name}`.
fn flat_count(prop: &str, name: &str) -> String {
    format!("toFloat(properties.{prop}) AS {name}_read, if({name}_read >= 0 AND {name}_read <= {} AND {name}_read = floor({name}_read), toInt({name}_read), NULL) AS {name}", count_max(prop))
}

impl Col {
    /// The column's select items in `base`, read from `events` (and the naming columns).
    fn select(self) -> String {
        let name = self.name();
        let expr = match self {
            Col::Id => "toString(uuid)".to_string(),
            Col::Ts => "toTimeZone(timestamp, 'UTC')".to_string(),
            Col::Trace => trace(),
            Col::Bucket => format!("cityHash64({}) % 1000", trace()),
            Col::Operation => return format!("{} AS operation_cut", cut("operation_name")),
            Col::Naming => return String::new(),
            Col::Model => return format!("{} AS model_cut", cut(&format!("coalesce({}, '')", text("$ai_model")))),
            Col::Provider => format!("coalesce({}, '')", text("$ai_provider")),
            // `$lib` names the SDK (`posthog-python`, `posthog-node`, `web` for the browser);
            // `$ai_lib` is `posthog-ai` from every one of them, so it only stands in.
            Col::Lib => format!("coalesce(nullIf({}, ''), nullIf({}, ''), '')", text("$lib"), text("$ai_lib")),
            Col::Cost => return flat_float("$ai_total_cost_usd", &name),
            Col::InputCost => return flat_float("$ai_input_cost_usd", &name),
            Col::OutputCost => return flat_float("$ai_output_cost_usd", &name),
            Col::Latency => return flat_float("$ai_latency", &name),
            Col::InputTokens => return flat_count("$ai_input_tokens", &name),
            Col::OutputTokens => return flat_count("$ai_output_tokens", &name),
            Col::CacheReadTokens => return flat_count("$ai_cache_read_input_tokens", &name),
            Col::CacheWriteTokens => return flat_count("$ai_cache_creation_input_tokens", &name),
            Col::ReasoningTokens => return flat_count("$ai_reasoning_tokens", &name),
            Col::CacheWrite1hTokens => return flat_count("$ai_cache_creation_1h_input_tokens", &name),
            Col::Framework => format!("lower(coalesce({}, ''))", text("$ai_framework")),
            // `toString` gives text whatever the property's type, so `nullIf` holds; `""` is no source.
            Col::CostSource => format!("nullIf({}, '')", text("$ai_cost_model_source")),
            Col::MaxTokens => return flat_count("$ai_max_tokens", &name),
            Col::CacheExclusive => text("$ai_cache_reporting_exclusive"),
            Col::IsError => hogql_true("$ai_is_error"),
            // A whole number: negatives (the SDKs' 0 for "no HTTP response") are 0, past 65535 missing.
            Col::Status => return "toFloat(properties.$ai_http_status) AS status_read, \
                multiIf(status_read < 0, 0, status_read > 65535, NULL, status_read = floor(status_read), toInt(status_read), NULL) AS status"
                .to_string(),
            Col::Stop => text("$ai_stop_reason"),
            Col::Error => text("$ai_error"),
            Col::Input => text("$ai_input"),
            Col::Output => text("$ai_output_choices"),
            Col::Dirty(i) => {
                let (prop, read) = NUMBER_PROPERTIES[i];
                dirty(prop, read)
            }
            Col::SpanId => format!("coalesce({}, '')", cut(&text("$ai_span_id"))),
            Col::ParentId => format!("coalesce({}, '')", cut(&text("$ai_parent_id"))),
            Col::SpanName => format!("coalesce({}, '')", cut(&text("$ai_span_name"))),
            Col::InputState => text("$ai_input_state"),
            Col::OutputState => text("$ai_output_state"),
        };
        format!("{expr} AS {name}")
    }

    fn name(self) -> String {
        let name = match self {
            Col::Id => "id",
            Col::Ts => "ts",
            Col::Trace => "trace",
            Col::Bucket => "bucket",
            Col::Operation => "operation",
            Col::Naming => "naming",
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
            Col::Dirty(i) => return format!("dirty_{i}"),
            Col::SpanId => "span_id",
            Col::ParentId => "parent_id",
            Col::SpanName => "span_name",
            Col::InputState => "input_state",
            Col::OutputState => "output_state",
        };
        name.to_string()
    }
}

/// The token columns, in [`crate::analysis::dataset::TokenSums`] order.
const TOKENS: [Col; 5] = [Col::InputTokens, Col::OutputTokens, Col::CacheReadTokens, Col::CacheWriteTokens, Col::ReasoningTokens];

/// The window's `$ai_generation` events, as a `WHERE` condition.
const WINDOW: &str = "event = {event} AND timestamp >= toDateTime({start}, 'UTC') AND timestamp < toDateTime({end}, 'UTC')";

/// The naming events read: the window widened by [`NAME_EVENTS_MARGIN_S`].
const NAMES_WINDOW: &str = "timestamp >= toDateTime({names_start}, 'UTC') AND timestamp < toDateTime({names_end}, 'UTC')";

/// `WITH base AS (...), gens AS (...)`, the CTEs a query reads the
/// window's `$ai_generation` events from, as `cols` of `gens`.
///
/// `base` reads everything from `events`, once per generation: the naming
/// rule's columns and joins where the operation is read, the columns flat.
/// `gens` ranks the operation and model names over `base`
/// ([`top_or_other`]); with [`PayloadTable::AiEvents`], it takes the
/// payloads from `posthog.ai_events` where that holds the event and from
/// `events` where it does not (it may be empty, hold only recent events, or
/// hold the payloads `events` was stripped of): joined by uuid, as PostHog's
/// own reads fall back to `events`. `ai_filter` narrows the `ai_events` side
/// (a condition on its columns), so that only the payloads wanted are held
/// for the join.
fn with_generations(cols: &[Col], table: PayloadTable, ai_filter: Option<&str>) -> String {
    let payloads: Vec<Col> = cols.iter().copied().filter(|c| matches!(c, Col::Input | Col::Output)).collect();
    let named = cols.iter().any(|c| matches!(c, Col::Operation | Col::Naming));
    let ranked = cols.iter().any(|c| matches!(c, Col::Operation | Col::Model));
    let joined = table == PayloadTable::AiEvents && !payloads.is_empty();
    let mut inner: Vec<Col> = cols.to_vec();
    for (needed, col) in [(joined, Col::Id), (ranked, Col::Cost)] {
        if needed && !inner.contains(&col) {
            inner.insert(0, col);
        }
    }
    let mut base: Vec<String> = inner.iter().map(|c| c.select()).filter(|s| !s.is_empty()).collect();
    if ranked {
        base.push(format!("floor(coalesce(cost, 0) * {RANK_COST_UNITS}) AS rank_weight"));
    }
    let (joins, naming) = if named {
        let n = hogql_naming(NAMES_WINDOW);
        (n.joins, format!("{}, ", n.columns))
    } else {
        (String::new(), String::new())
    };
    let from = if joined { "e." } else { "" };
    let outer: Vec<String> = cols
        .iter()
        .map(|c| match c {
            Col::Operation => top_or_other("operation", from, TOP_OPERATIONS, OTHER_OPERATIONS),
            Col::Model => top_or_other("model", from, TOP_MODELS, OTHER_MODELS),
            Col::Input | Col::Output if joined => format!("coalesce(a.{n}, e.{n}) AS {n}", n = c.name()),
            _ if joined => format!("e.{n} AS {n}", n = c.name()),
            _ => c.name(),
        })
        .collect();
    let payload_join = if joined {
        let ai_cols: Vec<String> = payloads
            .iter()
            .map(|c| {
                let column = if *c == Col::Input { "input" } else { "output_choices" };
                format!("{} AS {}", ai_payload(column), c.name())
            })
            .collect();
        let filter = ai_filter.map(|f| format!(" AND {f}")).unwrap_or_default();
        format!(" AS e LEFT JOIN (SELECT toString(uuid) AS id, {} FROM posthog.ai_events WHERE {WINDOW}{filter} LIMIT 1 BY id) AS a ON e.id = a.id", ai_cols.join(", "))
    } else {
        String::new()
    };
    format!(
        "WITH base AS (SELECT {naming}{} FROM events{joins} WHERE {WINDOW}), gens AS (SELECT {} FROM base{payload_join})",
        base.join(", "),
        outer.join(", "),
    )
}

/// `SELECT exprs FROM events WHERE` the window's `$ai_generation` events,
/// for a query that reads no operation or model name.
fn select_in_window(cols: &[String]) -> String {
    format!("SELECT {} FROM events WHERE {WINDOW}", cols.join(", "))
}

/// The values every query needs: the event name and the window.
fn window_values(w: &Window) -> Map<String, Value> {
    let at = |t: chrono::DateTime<chrono::Utc>| Value::String(crate::time::micros(t));
    let mut values = Map::new();
    values.insert("event".into(), Value::String(crate::source::event::AI_GENERATION.into()));
    values.insert("start".into(), at(w.start));
    values.insert("end".into(), at(w.end));
    let margin = chrono::Duration::seconds(NAME_EVENTS_MARGIN_S);
    values.insert("names_start".into(), at(w.start - margin));
    values.insert("names_end".into(), at(w.end + margin));
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

