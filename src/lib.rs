//! Trace Optimizer: an in-browser LLM cost and quality analyst for PostHog.
//!
//! - [`analysis`]: the pure core (statistics, detectors, pricing, report writers).
//! - [`source`]: the data sources (PostHog over HTTP, the in-memory demo project).
//! - `ui` (wasm32 only): Leptos components that render state.

pub mod analysis;
pub mod source;
