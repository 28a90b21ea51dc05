//! Every query the plan sends, built for one window, and the bounds on their
//! text: PostHog parses each query's HogQL on every report, and its parser's
//! time grows with the text (`scripts/bench-parse` times it).

use super::*;
use crate::source::{RollupPage, TraceOpsPage, TraceSample};

fn window() -> Window {
    Window::ending_at(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default(), 30)
}

/// Each query the plan can send, in every variant (payload table, cursor, sample).
fn shipped() -> Vec<Query> {
    let w = window();
    let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default();
    let rollup_after = RollupPage { after: Some((day, "op".into(), "model".into(), "provider".into(), false)), limit: 1000 };
    let sample = TraceOpsPage { after: Some(("t".into(), "op".into())), limit: 1000, buckets: (0, 500), sample: Some(TraceSample { keep_per_mille: 100, top_traces: 50 }) };
    let traces: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let mut qs = vec![overview(&w), rollup(&w, &RollupPage::default()), rollup(&w, &rollup_after), latency(&w), errors(&w)];
    for table in [PayloadTable::Events, PayloadTable::AiEvents] {
        qs.push(prefixes(&w, table));
        qs.extend(generations(&w, &traces, table));
    }
    qs.push(trace_ops(&w, &TraceOpsPage::default()));
    qs.push(trace_ops(&w, &sample));
    qs
}

/// Writes each shipped query's HogQL to `$HOGQL_QUERIES_DIR/NN-name.hogql`, for `scripts/bench-parse`.
#[test]
#[ignore]
fn write_shipped_queries() {
    let Ok(dir) = std::env::var("HOGQL_QUERIES_DIR") else { panic!("set HOGQL_QUERIES_DIR") };
    for (i, q) in shipped().iter().enumerate() {
        std::fs::write(format!("{dir}/{i:02}-{}.hogql", q.name), &q.hogql).unwrap_or_else(|e| panic!("{dir}: {e}"));
    }
}
