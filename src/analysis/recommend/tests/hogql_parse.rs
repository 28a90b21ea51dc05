//! The measurement HogQL parses with PostHog's own parser (`hogql-parser`,
//! through the emulator's wrapper), run by the emulator's Python.

use super::super::measure::{hogql, Daily};
use crate::analysis::dataset::{Dataset, Overview, RollupRow, Window};
use crate::analysis::pricing::Costing;
use crate::contract::OTHER_OPERATIONS;
use chrono::{TimeZone, Utc};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The Python with `hogql-parser`: `$EMULATOR_PYTHON`, else the repository's `.venv`.
fn python() -> Option<PathBuf> {
    let p = std::env::var_os("EMULATOR_PYTHON").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    p.exists().then_some(p)
}

const CHECK: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
from emulator.hogql_parse import parse_select
bad = []
for q in json.load(sys.stdin):
    try:
        parse_select(q)
    except Exception as e:
        bad.append([q, str(e)])
print(json.dumps(bad))
"#;

#[test]
fn measurement_queries_parse_as_hogql() {
    let Some(python) = python() else {
        // Never a silent pass: without the parser this test fails, unless
        // the run says on purpose that it goes without Python.
        let why = "no Python with hogql-parser: run scripts/emulator-tests once to create .venv, or set EMULATOR_PYTHON";
        assert!(std::env::var_os("SKIP_PYTHON_TESTS").is_some(), "{why} (or set SKIP_PYTHON_TESTS=1 to skip this test)");
        eprintln!("skipped, as SKIP_PYTHON_TESTS asks: {why}");
        return;
    };
    let ops = ["draft_answer", "it's a \\ 'quoted' op", "unnamed", "emoji 🚀 op", OTHER_OPERATIONS];
    let kinds = [Daily::CostPerCall, Daily::InputTokensPerCall, Daily::ErrorRate, Daily::TruncationRate];
    // A window starting mid-day, and unpriced calls of every operation, so
    // the queries carry every comment they can.
    let window = Window { start: Utc.with_ymd_and_hms(2026, 11, 1, 9, 30, 0).unwrap(), end: Utc.with_ymd_and_hms(2026, 11, 15, 9, 30, 0).unwrap() };
    let rollup = ops.iter().map(|op| RollupRow { day: window.start.date_naive(), operation: op.to_string(), generations: 3, unpriced: 2, ..RollupRow::default() }).collect();
    let data = Dataset { window, overview: Overview::default(), rollup, latency: vec![], trace_ops: vec![], prefixes: vec![], errors: vec![], generations: vec![], sampling: None, signals: vec![], segments: vec![] };
    let costing = Costing::default();
    let queries: Vec<String> = ops.iter().flat_map(|op| kinds.iter().map(|k| hogql(&data, &costing, op, *k))).collect();
    assert!(queries.iter().all(|q| q.contains(">= toDateTime('2026-11-02 00:00:00', 'UTC')")), "from the first complete day: {}", queries[0]);
    assert!(queries.iter().filter(|q| q.contains("left 2 of these calls unpriced")).count() == ops.len(), "the cost queries say what they leave out");
    assert!(queries.iter().filter(|q| q.contains("no name selects them")).count() == kinds.len());
    let emulator = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/posthog_emulator");
    let mut child = Command::new(python).arg("-c").arg(CHECK).arg(emulator).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("python runs");
    child.stdin.take().unwrap().write_all(serde_json::to_string(&queries).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bad: Vec<(String, String)> = serde_json::from_slice(&out.stdout).expect("a JSON list");
    assert!(bad.is_empty(), "{bad:#?}");
}
