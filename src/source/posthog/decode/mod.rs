//! PostHog's JSON answers to the dataset's rows. Each row is read cell by
//! cell in its query's `SELECT` order; a body that is not such an answer
//! (malformed, truncated, wrong shape) is a [`SourceError::BadResponse`],
//! never a panic.

mod wire;

use crate::analysis::dataset::*;
use crate::source::{Page, SourceError};
use serde::Deserialize;
use serde_json::Value;
use wire::{Cells, Day, Flag, Float, Int, OptFloat, OptInt, Text, Time};

/// The part of a query answer that is read.
#[derive(Deserialize)]
struct Answer {
    results: Vec<Vec<Value>>,
}

/// Each row of a query answer through `read`.
fn rows<T>(body: &str, read: impl Fn(&mut Cells) -> Result<T, String>) -> Result<Vec<T>, SourceError> {
    let answer: Answer = serde_json::from_str(body).map_err(|e| SourceError::BadResponse(e.to_string()))?;
    answer
        .results
        .into_iter()
        .map(|row| {
            let mut cells = Cells::new(row);
            let out = read(&mut cells)?;
            cells.end().map(|_| out)
        })
        .collect::<Result<_, String>>()
        .map_err(SourceError::BadResponse)
}

fn int(c: &mut Cells) -> Result<u64, String> {
    c.next::<Int>().map(|i| i.0)
}

fn float(c: &mut Cells) -> Result<f64, String> {
    c.next::<Float>().map(|f| f.0)
}

fn text(c: &mut Cells) -> Result<String, String> {
    c.next::<Text>().map(|t| t.0)
}

fn flag(c: &mut Cells) -> Result<bool, String> {
    c.next::<Flag>().map(|f| f.0)
}

fn time(c: &mut Cells) -> Result<chrono::DateTime<chrono::Utc>, String> {
    c.next::<Time>().map(|t| t.0)
}

fn tokens(c: &mut Cells) -> Result<TokenSums, String> {
    Ok(TokenSums { input: int(c)?, output: int(c)?, cache_read: int(c)?, cache_write: int(c)?, reasoning: int(c)? })
}

fn status(c: &mut Cells) -> Result<Option<u16>, String> {
    c.next::<OptInt>().map(|s| s.0.and_then(|s| u16::try_from(s).ok()))
}

fn texts(c: &mut Cells) -> Result<Vec<String>, String> {
    c.next::<Vec<Text>>().map(|v| v.into_iter().map(|t| t.0).collect())
}

/// The overview's single row.
pub fn overview(body: &str) -> Result<Overview, SourceError> {
    let mut all = rows(body, |c| {
        let generations = int(c)?;
        let (traces, trace_operations) = (int(c)?, int(c)?);
        // min/max of no rows is ClickHouse's zero date, not an event.
        let (first, last) = (time(c)?, time(c)?);
        let seen = |t| (generations > 0).then_some(t);
        Ok(Overview { generations, traces, trace_operations, first_seen: seen(first), last_seen: seen(last), with_payloads: int(c)?, libs: texts(c)? })
    })?;
    all.pop().ok_or_else(|| SourceError::BadResponse("the overview came back without a row".into()))
}

/// Rollup cells.
pub fn rollup(body: &str) -> Result<Vec<RollupRow>, SourceError> {
    rows(body, |c| {
        Ok(RollupRow {
            day: c.next::<Day>()?.0,
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            is_error: flag(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            unpriced: int(c)?,
            tokens: tokens(c)?,
            unpriced_tokens: tokens(c)?,
            long_context: int(c)?,
            latency_s: float(c)?,
        })
    })
}

/// Latency rows: scope 0 is by operation, 1 by model.
pub fn latency(body: &str) -> Result<Vec<LatencyRow>, SourceError> {
    rows(body, |c| {
        let scope = match int(c)? {
            0 => LatencyScope::Operation,
            1 => LatencyScope::Model,
            other => return Err(format!("unknown latency scope {other}")),
        };
        let (key, generations) = (text(c)?, int(c)?);
        let q: Vec<Float> = c.next()?;
        let [p50, p95, p99] = <[Float; 3]>::try_from(q).map_err(|q| format!("expected 3 quantiles, found {}", q.len()))?.map(|f| f.0);
        Ok(LatencyRow { scope, key, generations, p50, p95, p99, max: float(c)? })
    })
}

/// One page of per-trace rows: the query asks for one row more than the
/// page holds, so a full answer means more follow.
pub fn trace_ops(body: &str, limit: u64) -> Result<Page<TraceOpRow>, SourceError> {
    let mut rows = rows(body, |c| {
        Ok(TraceOpRow {
            trace_id: text(c)?,
            operation: text(c)?,
            first_seen: time(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            unpriced: int(c)?,
            tokens: tokens(c)?,
            unpriced_tokens: tokens(c)?,
            max_input_tokens: int(c)?,
            first_input_tokens: int(c)?,
            last_input_tokens: int(c)?,
            models: texts(c)?,
            errors: int(c)?,
            truncated: int(c)?,
            empty_outputs: int(c)?,
            tool_calls: int(c)?,
            duplicate_inputs: int(c)?,
            latency_s: float(c)?,
            max_latency_s: float(c)?,
        })
    })?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, has_more })
}

/// Repeated prompt prefixes.
pub fn prefixes(body: &str) -> Result<Vec<PrefixRow>, SourceError> {
    rows(body, |c| {
        Ok(PrefixRow {
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            prefix_hash: text(c)?,
            generations: int(c)?,
            traces: int(c)?,
            min_input_chars: int(c)?,
            input_chars: int(c)?,
            input_tokens: int(c)?,
            cache_read_tokens: int(c)?,
            shared_chars: int(c)?,
            warm_calls: int(c)?,
            cold_calls: int(c)?,
        })
    })
}

/// Grouped errors.
pub fn errors(body: &str) -> Result<Vec<ErrorRow>, SourceError> {
    rows(body, |c| {
        Ok(ErrorRow {
            operation: text(c)?,
            model: text(c)?,
            http_status: status(c)?,
            message: text(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            latency_s: float(c)?,
            max_latency_s: float(c)?,
            trace_ids: texts(c)?,
        })
    })
}

/// Generations of the selected traces.
pub fn generations(body: &str) -> Result<Vec<GenerationRow>, SourceError> {
    rows(body, |c| {
        Ok(GenerationRow {
            uuid: text(c)?,
            trace_id: text(c)?,
            timestamp: time(c)?,
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            tokens: tokens(c)?,
            cost_usd: c.next::<OptFloat>()?.0,
            latency_s: float(c)?,
            is_error: flag(c)?,
            http_status: status(c)?,
            error: text(c)?,
            stop_reason: text(c)?,
            max_tokens: c.next::<OptInt>()?.0,
            input_hash: text(c)?,
            input_chars: int(c)?,
            output_chars: int(c)?,
            input_head: text(c)?,
            input_tail: text(c)?,
            output_head: text(c)?,
        })
    })
}

