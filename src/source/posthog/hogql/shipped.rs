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
    let mut qs = vec![overview(&w), rollup(&w, &RollupPage::default()), rollup(&w, &rollup_after), latency(&w), errors(&w), segments(&w), signals(&w)];
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

/// The deepest nesting of calls in `hogql`, outside string literals: a `(`
/// right after a name opens a call; any other `(` (a subquery, `IN (...)`,
/// a tuple, a group) does not count.
fn call_depth(hogql: &str) -> usize {
    const KEYWORDS: [&str; 10] = ["IN", "AS", "FROM", "JOIN", "AND", "OR", "NOT", "SELECT", "WHERE", "ALL"];
    let (mut open, mut best, mut quote, mut escaped, mut word, mut gap) = (Vec::new(), 0, None, false, String::new(), false);
    for c in hogql.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        let after_gap = std::mem::replace(&mut gap, c.is_whitespace());
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                word.clear();
            }
            '(' => {
                open.push(!word.is_empty() && !KEYWORDS.contains(&word.to_uppercase().as_str()));
                best = best.max(open.iter().filter(|call| **call).count());
                word.clear();
            }
            ')' => {
                open.pop();
                word.clear();
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '$' => {
                if after_gap {
                    word.clear();
                }
                word.push(c);
            }
            c if c.is_whitespace() => {}
            _ => word.clear(),
        }
    }
    best
}

/// Calls nest at most this deep in any query. PostHog's parser (ANTLR)
/// takes time that multiplies with each level: on this project's machine a
/// lone call nested 6 deep parsed in about 0.2 to 1.2 s, 8 deep in up to 43
/// s, 12 deep in 199 s. Six is the depth the queries had before the naming rule.
const MAX_CALL_DEPTH: usize = 6;

/// A query's text is at most this long. At the bounded depth the parser's
/// time grows with the text: the longest queries today (the rollup's, about
/// 10,300 characters) parse in about 2 s, and a query that doubled would
/// cost its report as much again on every run. The bound makes such growth a
/// decision, not an accident.
const MAX_QUERY_CHARS: usize = 12_000;

#[test]
fn every_query_is_short_enough_to_parse_quickly() {
    for q in shipped() {
        assert!(q.hogql.chars().count() <= MAX_QUERY_CHARS, "{}: {} characters", q.name, q.hogql.chars().count());
    }
}

#[test]
fn calls_nest_shallow_in_every_query() {
    for q in shipped() {
        assert!(call_depth(&q.hogql) <= MAX_CALL_DEPTH, "{}: calls nest {} deep", q.name, call_depth(&q.hogql));
    }
    assert_eq!(call_depth("SELECT f(g('h(i(j(')), (SELECT k(1)), x IN (SELECT 1)) FROM (SELECT 1)"), 2, "literals, subqueries and groups do not nest calls");
}

#[test]
fn the_naming_rule_is_written_once_per_query_and_reads_the_prompt_once() {
    let naming = crate::contract::hogql_naming(NAMES_WINDOW);
    let prompt = "toString(properties.$ai_input), ''), 1, 'content')";
    assert!(naming.columns.contains(prompt), "the prompt is read where the test looks for it");
    for q in shipped() {
        let (columns, joins, reads) = (q.hogql.matches(&naming.columns).count(), q.hogql.matches(&naming.joins).count(), q.hogql.matches(prompt).count());
        let names = q.hogql.contains("operation");
        assert_eq!((columns, joins, reads), if names { (1, 1, 1) } else { (0, 0, 0) }, "{}: naming columns, joins, prompt reads", q.name);
        // The signals query reads the signal events beside the generations,
        // round 2 its traces' `$ai_span` events, the segments query its
        // traces' `$ai_trace` events.
        let reads = match (names, q.name) {
            (true, "signals" | "generations" | "generations_ai_events") => 4,
            (true, _) => 3,
            (false, "segments") => 2,
            (false, _) => 1,
        };
        assert_eq!(q.hogql.matches("FROM events").count(), reads, "{}: events read once, plus the span and trace names", q.name);
    }
}
