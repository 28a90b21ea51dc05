//! The analysis core: plain Rust, no browser APIs. It turns the query plan's
//! compact rows ([`dataset::Dataset`]) into findings and report files.

pub mod dataset;
pub mod stats;
