//! `data/metrics_by_span.csv` and `data/metrics_by_model.csv`.
//!
//! Names come from the user's users' traffic, so a cell that a spreadsheet
//! would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is
//! prefixed with `'`.

use crate::analysis::metrics::{GroupMetrics, Metrics};

const TOKEN_COLUMNS: [&str; 5] = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "total_tokens"];

/// Metrics by operation (`$ai_span_name`), most expensive first.
pub fn metrics_by_span(m: &Metrics) -> String {
    let mut header = vec!["operation", "calls", "errors", "error_rate", "cost_usd", "cost_share", "avg_cost_usd"];
    header.extend(TOKEN_COLUMNS);
    header.extend(["p50_latency_s", "p95_latency_s", "unpriced_calls"]);
    write(&header, m.by_operation.iter().map(|g| {
        let mut row = vec![g.name.clone()];
        row.extend(common(g));
        row.push(g.totals.unpriced_calls.to_string());
        row
    }))
}

/// Metrics by model, most expensive first.
pub fn metrics_by_model(m: &Metrics) -> String {
    let mut header = vec!["model", "provider", "calls", "errors", "error_rate", "cost_usd", "cost_share", "avg_cost_usd"];
    header.extend(TOKEN_COLUMNS);
    header.extend(["p50_latency_s", "p95_latency_s"]);
    write(&header, m.by_model.iter().map(|g| {
        let mut row = vec![g.name.clone(), g.provider.clone()];
        row.extend(common(g));
        row
    }))
}

fn common(g: &GroupMetrics) -> Vec<String> {
    let t = &g.totals;
    vec![
        t.calls.to_string(),
        t.errors.to_string(),
        format!("{:.6}", t.error_rate()),
        format!("{:.6}", t.cost_usd),
        format!("{:.6}", g.cost_share),
        format!("{:.8}", t.avg_cost()),
        t.tokens.input.to_string(),
        t.tokens.output.to_string(),
        t.tokens.cache_read.to_string(),
        t.tokens.cache_write.to_string(),
        t.tokens.total().to_string(),
        format!("{:.3}", g.p50_latency_s),
        format!("{:.3}", g.p95_latency_s),
    ]
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail, and every row has the header's length.
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(row.iter().map(|c| defuse(c)));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A cell a spreadsheet will show as text rather than evaluate.
fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::metrics::{Totals, Trend};

    fn metrics(names: &[&str]) -> Metrics {
        let group = |n: &&str| GroupMetrics {
            name: n.to_string(),
            provider: "openai".into(),
            totals: Totals { calls: 4, errors: 1, cost_usd: 2.0, ..Totals::default() },
            cost_share: 0.5,
            p50_latency_s: 1.0,
            p95_latency_s: 2.5,
        };
        Metrics {
            totals: Totals::default(),
            by_operation: names.iter().map(group).collect(),
            by_model: names.iter().map(group).collect(),
            daily: vec![],
            by_operation_model: vec![],
            cost_trend: Trend::default(),
            calls_trend: Trend::default(),
            error_rate_trend: Trend::default(),
        }
    }

    #[test]
    fn rows_parse_back_with_their_numbers() {
        let text = metrics_by_span(&metrics(&["draft, \"quoted\"\nanswer"]));
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().next(), Some("operation"));
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "draft, \"quoted\"\nanswer");
        assert_eq!((&row[1], &row[3], &row[4]), ("4", "0.250000", "2.000000"));
        assert_eq!(row.len(), 15);
    }

    #[test]
    fn formula_cells_are_defused() {
        let text = metrics_by_model(&metrics(&["=HYPERLINK(\"http://x\")", "@cmd", "plain"]));
        let names: Vec<String> = csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect();
        assert_eq!(names, ["'=HYPERLINK(\"http://x\")", "'@cmd", "plain"]);
    }
}
