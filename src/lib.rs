//! Trace Optimizer: an in-browser LLM cost and quality analyst for PostHog.
//!
//! - [`source`]: where data comes from (PostHog over HTTP, the in-memory
//!   demo project, JSONL exports), answering one query plan.
//! - [`analysis`]: the pure core (pricing, statistics, detectors, findings).
//! - [`report`]: the report files written from an analysis.
//! - [`pipeline`]: the one path from a source to the report (fetch, select,
//!   analyse, write), shared by the page, the command line and the tests.
//! - [`contract`]: the caps and vocabularies both sources apply alike;
//!   [`format`]: how numbers are written; [`time`]: how dates are written
//!   and read; [`order`]: stable sorts that compile once in the wasm.
//! - `ui` (wasm32 only): Leptos components that render state.

pub mod analysis;
pub mod contract;
pub mod format;
pub mod order;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod time;
#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(test)]
mod testing;
