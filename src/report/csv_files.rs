//! `data/metrics_by_span.csv` and `data/metrics_by_model.csv`.
//!
//! Names come from the user's users' traffic, so every cell is quoted
//! (RFC 4180, `""` inside): no separator in a name, `,` or a locale's `;`,
//! can split it into a cell of its own. A name cell that a spreadsheet
//! would run as a formula ([`defuse`]) is prefixed with `'`. Number cells are
//! written as plain decimals, which spreadsheets read as numbers.

use crate::analysis::metrics::{GroupMetrics, Metrics};
use crate::format::is_hidden;

const TOKEN_COLUMNS: [&str; 5] = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "total_tokens"];

/// Metrics by operation (`$ai_span_name`), most expensive first.
pub fn metrics_by_span(m: &Metrics) -> String {
    let mut header = vec!["operation", "calls", "errors", "error_rate", "cost_usd", "cost_share", "avg_cost_usd"];
    header.extend(TOKEN_COLUMNS);
    header.extend(["p50_latency_s", "p95_latency_s", "unpriced_calls"]);
    write(&header, 1, m.by_operation.iter().map(|g| {
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
    write(&header, 2, m.by_model.iter().map(|g| {
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

/// The file: `header`, then `rows` whose first `names` cells are names
/// (defused) and the rest numbers.
fn write(header: &[&str], names: usize, rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
    // Writing to memory cannot fail, and every row has the header's length.
    let _ = w.write_record(header);
    for row in rows {
        let _ = w.write_record(row.iter().enumerate().map(|(i, c)| if i < names { defuse(c) } else { c.clone() }));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Whether a spreadsheet could read a cell starting with `c` as a formula:
/// `=`, `+`, `-`, `@`, tab and CR (OWASP's CSV injection list), and the
/// full-width `＝`, `＋`, `－`, `＠` that some spreadsheets fold to them.
fn formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}')
}

/// Characters after which a spreadsheet may start a new cell: the list
/// separators of every locale (`,`, `;`, tab) and line breaks. Quoting keeps
/// them inside the cell for a reader using `,`; one using another separator
/// reads past the quotes and splits there.
fn separator(c: char) -> bool {
    matches!(c, ',' | ';' | '\t' | '\n' | '\r')
}

/// A cell a spreadsheet will show as text rather than evaluate, whichever
/// separator it splits on: `'` goes before every formula start ([`formula_start`])
/// that begins the cell or follows a [`separator`], spaces, quotes and
/// invisible characters ([`is_hidden`]), which a spreadsheet may skip or
/// read as an empty quoted text, in between.
fn defuse(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len() + 1);
    let mut at_start = true;
    for c in cell.chars() {
        if at_start && formula_start(c) {
            out.push('\'');
            at_start = separator(c);
        } else if separator(c) {
            at_start = true;
        } else if !(c == ' ' || c == '"' || is_hidden(c)) {
            at_start = false;
        }
        out.push(c);
    }
    out
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

    #[test]
    fn every_cell_is_quoted_and_numbers_stay_numbers() {
        let text = metrics_by_model(&metrics(&["plain"]));
        for line in text.lines() {
            for cell in line.split(',') {
                assert!(cell.len() >= 2 && cell.starts_with('"') && cell.ends_with('"'), "{cell} in {line}");
            }
        }
        let row = csv::Reader::from_reader(text.as_bytes()).records().next().unwrap().unwrap();
        assert!(row.iter().skip(2).all(|c| c.parse::<f64>().is_ok()), "{row:?}");
    }

    /// Whether a field as a spreadsheet reads it (leading spaces, quotes and
    /// invisible characters skipped) could start a formula.
    fn live(field: &str) -> bool {
        field.chars().find(|&c| !(c == ' ' || c == '"' || is_hidden(c) && !formula_start(c))).is_some_and(formula_start)
    }

    #[test]
    fn no_field_starts_a_formula_whatever_the_separator() {
        let hostile = [
            "x;=1+1", "x,=1+1", "=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", " =1", "\u{200B}=1", "\u{FEFF}@x", "\u{FF1D}1+1", "\u{FF0B}1", "\u{FF0D}1", "\u{FF20}x",
            "a\";=cmd|' /C calc'!A0", "a\"\"\n=1", "x;\"=1", "x;+1;-1;@1", "\"=1\"", "x\t=1", "x\r\n=1", "'=already", "p; =HYPERLINK(\"http://x\";\"y\")&\"", "x;\u{200B} =1",
        ];
        // Model and provider cells both hold hostile names: a reader splitting
        // on `;` is past the quotes when it reaches the provider.
        let mut m = metrics(&hostile);
        for (g, p) in m.by_model.iter_mut().zip(hostile.iter().rev()) {
            g.provider = p.to_string();
        }
        for text in [metrics_by_span(&m), metrics_by_model(&m)] {
            for delimiter in [b',', b';', b'\t'] {
                let mut r = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
                for record in r.records() {
                    let record = record.unwrap();
                    for field in &record {
                        assert!(!live(field), "delimiter {:?}: field {field:?} of {record:?}", delimiter as char);
                    }
                }
            }
            // Read as written, each name comes back whole, `'` added only where a formula could start.
            let names: Vec<String> = csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect();
            assert_eq!(names.len(), hostile.len());
            for (name, original) in names.iter().zip(hostile) {
                assert_eq!(name.replace('\'', ""), original.replace('\'', ""), "{original:?}");
                let segments_live = original.split(separator).any(live) || live(original);
                assert_eq!(name != original, segments_live, "{name:?} from {original:?}");
            }
        }
    }
}
