//! A finished run as the page keeps it, so the last analysis of a project
//! can be reopened without asking the source again: what the run fetched
//! (the compact rows of the dataset), what it was asked (settings, origin,
//! the prior analysis it followed up on), its warnings and timing, in
//! postcard's compact binary form behind a format tag. The page keeps it
//! gzipped by the browser's own compression streams (no compressor in the
//! wasm): [`pack`] and [`unpack`] take the record as it is, and [`fits`]
//! bounds what is kept. Reopening analyses those rows again, which gives the same
//! analysis when the prices are the same (the analysis is deterministic),
//! and needs no reader for the whole analysis in the page. Nothing kept
//! holds the API key: no part of a dataset or a request does.

use super::{analyse, choose, Prices, Request, Run, Timing};
use crate::analysis::dataset::{Dataset, SpanRow};
use crate::analysis::history::{FollowUp, Mark};
use crate::analysis::{Analysis, Origin, Settings};
use serde::{Deserialize, Serialize};

/// The format tag a kept run starts with. Postcard does not describe its
/// own shape, so a change to any row type of the dataset must change it.
pub const FORMAT: &[u8] = b"trace-optimizer/run@2\n";

/// The largest kept run, compressed. Larger runs are not kept (the page
/// says so): Cache Storage allows more, but reading a larger record back
/// would hold the page about as long as a new analysis.
pub const MAX_BYTES: usize = 32 << 20;

/// The largest a kept run may grow when read back: a guard against a
/// record that inflates without bound.
pub const MAX_INFLATED: usize = 512 << 20;

#[derive(Serialize, Deserialize)]
struct Record<D, P, S, O, W> {
    dataset: D,
    /// The spans of the traces read closely.
    spans: P,
    settings: S,
    origin: O,
    /// The prior's `analysis.json` (its optional fields are left out when
    /// empty, which a format without field names cannot read back).
    prior: Option<String>,
    warnings: W,
    fetch_ms: f64,
    compute_ms: f64,
    rounds: u32,
}

/// What a run fetched and was asked, as a record to compress and keep.
pub fn pack(dataset: &Dataset, spans: &[SpanRow], request: &Request, warnings: &[String], timing: &Timing) -> Result<Vec<u8>, String> {
    let record = Record {
        dataset,
        spans,
        settings: &request.settings,
        origin: &request.origin,
        prior: request.prior.map(serde_json::to_string).transpose().map_err(|e| e.to_string())?,
        warnings,
        fetch_ms: timing.fetch_ms,
        compute_ms: timing.compute_ms,
        rounds: timing.rounds,
    };
    let body = postcard::to_allocvec(&record).map_err(|e| e.to_string())?;
    Ok([FORMAT, &body].concat())
}

/// Whether a record `compressed` bytes long is kept, or why not (past [`MAX_BYTES`]).
pub fn fits(compressed: usize) -> Result<(), String> {
    if compressed > MAX_BYTES {
        return Err(format!("it takes {} compressed, above the {} this browser keeps", crate::format::bytes(compressed as u64), crate::format::bytes(MAX_BYTES as u64)));
    }
    Ok(())
}

/// The run kept in `raw` (a record of [`pack`], decompressed), analysed
/// again with `prices`; an unreadable or foreign record is an error,
/// never a panic.
pub fn unpack(raw: &[u8], prices: Prices) -> Result<Run, String> {
    let damaged = |e: &dyn std::fmt::Display| format!("the kept analysis is damaged ({e})");
    let Some(body) = raw.strip_prefix(FORMAT) else {
        let tag = raw.split(|&b| b == b'\n').next().unwrap_or_default();
        return Err(format!("the kept analysis was written by another version ({})", crate::format::truncate(&String::from_utf8_lossy(tag), 40)));
    };
    let r: Record<Dataset, Vec<SpanRow>, Settings, Origin, Vec<String>> = postcard::from_bytes(body).map_err(|e| damaged(&e))?;
    let prior = r.prior.map(|json| FollowUp::parse(&json)).transpose().map_err(|e| damaged(&e))?;
    let request = Request { window: r.dataset.window, settings: r.settings, origin: r.origin, prior: prior.as_ref() };
    let (selection, _) = choose(&r.dataset.rollup, &r.dataset.trace_ops, &request.settings);
    let analysis = analyse(&r.dataset, &request, &prices);
    let timing = Timing { fetch_ms: r.fetch_ms, compute_ms: r.compute_ms, rounds: r.rounds };
    Ok(Run { analysis, selection, generations: r.dataset.generations, spans: r.spans, warnings: r.warnings, prices: prices.table, timing })
}

/// `analysis` with the reader's marks of `follow_up` (the project's kept
/// `analysis.json`, written on every mark), when that file is this
/// analysis's own (same window): a reopened run shows the marks made since
/// it was kept.
pub fn with_marks(mut analysis: Analysis, follow_up: &FollowUp) -> Analysis {
    if follow_up.window_start != analysis.window.start || follow_up.window_end != analysis.window.end {
        return analysis;
    }
    for r in &follow_up.recommendations {
        if analysis.recommendations.items.iter().any(|x| x.id == r.id) {
            analysis.history = analysis.history.with_mark(Mark { id: r.id.clone(), status: r.status, on: r.on, reason: r.reason.clone() });
        }
    }
    analysis
}
