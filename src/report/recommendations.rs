//! `recommendations.md`: the full report.

use crate::format::{change, count, pct, secs, usd};
use super::markdown::{escape, table};
use crate::analysis::metrics::GroupMetrics;
use crate::analysis::Analysis;

/// Writes `recommendations.md`.
pub fn recommendations_md(a: &Analysis) -> String {
    let mut md = String::new();
    md.push_str("# LLM Cost and Quality Report\n\n");
    md.push_str(&executive_summary(a));
    md.push_str(&cost_analysis(a));
    md.push_str(&super::investigation::high_variance_investigation(a));
    md.push_str(&super::failure_modes::failure_mode_analysis(a));
    md.push_str(&super::quality_signals::quality_signals(a));
    md.push_str(&super::data_quality::data_quality(a));
    md.push_str(&super::segments::segments(a));
    md.push_str(&super::what_changed::what_changed(a));
    md.push_str(&super::cost_audit::cost_audit(a));
    md.push_str(&super::qualitative_findings::qualitative_findings(a));
    md.push_str(&super::fixes::recommendations_section(&a.recommendations, &a.origin, &a.trace_times));
    md.push_str(&super::fixes::roadmap_section(&a.recommendations));
    md.push_str(&super::appendix::appendix(a));
    md
}

/// Days of the window, as a whole number when it is one.
fn window_label(a: &Analysis) -> String {
    format!("{} UTC to {} UTC ({} days)", crate::time::minute(a.window.start), crate::time::minute(a.window.end), a.window.days().round())
}

fn executive_summary(a: &Analysis) -> String {
    let m = &a.metrics;
    let mut s = String::from("## Executive Summary\n\n");
    s.push_str(&format!(
        "- **Source:** {}\n- **Window:** {}\n- **Generations analyzed:** {} in {} traces\n- **Total cost:** {} (about {} per 30 days at this rate)\n",
        escape(&a.origin.label),
        window_label(a),
        count(m.totals.calls),
        count(a.overview.traces),
        usd(m.totals.cost_usd),
        usd(a.monthly(m.totals.cost_usd)),
    ));
    if let Some(line) = super::quality_signals::embedding_line(a) {
        s.push_str(&format!("- **Embeddings:** {line}\n"));
    }
    s.push_str(&format!("- **Error rate:** {} ({} failed calls)\n", pct(m.totals.error_rate()), count(m.totals.errors)));
    let top: Vec<String> = m.by_operation.iter().take(3).map(|g| format!("`{}` {} ({})", escape_code(&g.name), usd(g.totals.cost_usd), pct(g.cost_share))).collect();
    if !top.is_empty() {
        s.push_str(&format!("- **Largest cost drivers:** {}\n", top.join(", ")));
    }
    s.push_str(&format!(
        "- **Recent trend:** daily cost {} over the last 7 days and {} over the last 3 days, against the window's daily average of {}\n",
        change(m.cost_trend.change(7)),
        change(m.cost_trend.change(3)),
        usd(m.cost_trend.window_daily)
    ));
    if m.totals.unpriced_calls > 0 {
        s.push_str(&format!("- **Unpriced:** {} calls have no known price and count as $0\n", count(m.totals.unpriced_calls)));
    }
    if let Some(c) = super::what_changed::headline(a) {
        s.push_str(&format!("- **Largest change:** {}
", super::what_changed::sentence(c)));
    }
    s.push_str(&super::history_notes::since_prior(a));
    s.push('\n');
    s
}

/// A name for inside inline code: backticks can't end the span early.
fn escape_code(name: &str) -> String {
    crate::format::visible(name).replace('`', "'").replace(['\n', '\r'], " ")
}

fn cost_analysis(a: &Analysis) -> String {
    let m = &a.metrics;
    let mut s = String::from("## Cost Analysis\n\n### Cost by operation\n\n");
    let op_rows: Vec<Vec<String>> = m
        .by_operation
        .iter()
        .map(|g| {
            vec![
                escape(&g.name),
                count(g.totals.calls),
                usd(g.totals.cost_usd),
                pct(g.cost_share),
                usd(g.totals.avg_cost()),
                count(g.totals.tokens.total()),
                secs(g.p50_latency_s),
                secs(g.p95_latency_s),
                pct(g.totals.error_rate()),
            ]
        })
        .collect();
    s.push_str(&table(&["Operation", "Calls", "Cost", "Share", "Avg cost/call", "Tokens", "p50 latency", "p95 latency", "Error rate"], &op_rows));
    s.push_str("\n### Cost by model\n\n");
    let model_rows: Vec<Vec<String>> = m.by_model.iter().map(model_row).collect();
    s.push_str(&table(&["Model", "Provider", "Calls", "Cost", "Share", "Tokens", "p50 latency", "Error rate"], &model_rows));
    if let Some(line) = super::quality_signals::embedding_line(a) {
        s.push_str(&format!("\nThe tables count generations only; {line} (by model under Quality Signals).\n"));
    }
    s.push_str("\n### Most-called operations\n\n");
    let called: Vec<Vec<String>> = m.most_called().into_iter().take(5).map(|g| vec![escape(&g.name), count(g.totals.calls), usd(g.totals.cost_usd), usd(g.totals.avg_cost())]).collect();
    s.push_str(&table(&["Operation", "Calls", "Cost", "Avg cost/call"], &called));
    s.push_str("\n### Trend\n\nDaily averages over complete UTC days.\n\n");
    let trend = |name: &str, t: &crate::analysis::metrics::Trend, f: &dyn Fn(f64) -> String| {
        vec![name.to_string(), f(t.window_daily), f(t.last_7_daily), change(t.change(7)), f(t.last_3_daily), change(t.change(3))]
    };
    let rows = vec![
        trend("Cost per day", &m.cost_trend, &usd),
        trend("Calls per day", &m.calls_trend, &|x| count(x.round() as u64)),
        trend("Error rate", &m.error_rate_trend, &pct),
    ];
    s.push_str(&table(&["Metric", "Window", "Last 7 days", "Change", "Last 3 days", "Change"], &rows));
    s.push('\n');
    s
}

fn model_row(g: &GroupMetrics) -> Vec<String> {
    vec![
        escape(&g.name),
        escape(&g.provider),
        count(g.totals.calls),
        usd(g.totals.cost_usd),
        pct(g.cost_share),
        count(g.totals.tokens.total()),
        secs(g.p50_latency_s),
        pct(g.totals.error_rate()),
    ]
}
