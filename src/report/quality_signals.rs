//! `## Quality Signals`: evaluation pass rates by evaluation, operation and
//! model, user feedback, custom metrics, and embedding spend kept apart from
//! the generations'. Right after `Failure-Mode Analysis`: both say whether
//! the calls' results hold up. Always present; a project without such
//! events is told so.

use super::markdown::{escape, table};
use crate::analysis::signals::{PassRate, Signals};
use crate::analysis::Analysis;
use crate::format::{count, pct, usd};

/// A pass rate, or a dash when nothing was judged pass or fail.
pub fn rate(r: &PassRate) -> String {
    r.rate().map_or_else(|| "-".to_string(), pct)
}

/// Writes the section.
pub fn quality_signals(a: &Analysis) -> String {
    let s = &a.signals;
    let mut md = String::from("## Quality Signals\n\n");
    if s.is_empty() {
        md.push_str(
            "No `$ai_evaluation`, `$ai_feedback`, `$ai_metric` or `$ai_embedding` events in this window. Pass rates appear here once \
             generations are evaluated (PostHog's evaluations judge a sample of them), and embedding calls are counted apart from generation spend.\n\n",
        );
        return md;
    }
    md.push_str(&evaluations(a, s));
    md.push_str(&feedback(s));
    md.push_str(&embeddings(a));
    md
}

fn evaluations(a: &Analysis, s: &Signals) -> String {
    let mut md = String::from("### Evaluations\n\n");
    if s.evaluations.is_empty() {
        md.push_str("No `$ai_evaluation` events in this window: no pass rates to set beside the cost, nor to back a model switch.\n\n");
        return md;
    }
    md.push_str("A pass rate counts the runs judged pass or fail; a run marked not applicable, or whose result is neither, has no verdict.\n\n");
    let rows: Vec<Vec<String>> = s.evaluations.iter().map(|r| vec![escape(&r.evaluation), count(r.runs), count(r.passed), count(r.failed), count(r.no_verdict()), rate(r)]).collect();
    md.push_str(&table(&["Evaluation", "Runs", "Passed", "Failed", "No verdict", "Pass rate"], &rows));
    md.push_str("\n#### By operation and model of the judged generation\n\n");
    let rows: Vec<Vec<String>> = s.cells.iter().map(|r| vec![escape(&r.evaluation), escape(&r.operation), escape(&r.model), count(r.runs), rate(r)]).collect();
    md.push_str(&table(&["Evaluation", "Operation", "Model", "Runs", "Pass rate"], &rows));
    md.push('\n');
    if s.unplaced > 0 {
        md.push_str(&format!(
            "{} runs judge a generation outside this window (or name none, with no trace in it): counted above, in no operation or model.\n\n",
            count(s.unplaced)
        ));
    }
    if s.judges.events > 0 {
        md.push_str(&format!(
            "The judges' own calls cost {} over {} evaluation runs (about {} per 30 days), outside the generation totals.\n\n",
            usd(s.judges.cost_usd),
            count(s.judges.events),
            usd(a.monthly(s.judges.cost_usd))
        ));
    }
    md
}

fn feedback(s: &Signals) -> String {
    let mut md = String::new();
    let f = &s.feedback;
    if f.runs > 0 {
        md.push_str("### User feedback\n\n");
        let free = if f.no_verdict() > 0 { format!(", {} in free text", count(f.no_verdict())) } else { String::new() };
        md.push_str(&format!(
            "{} `$ai_feedback` events: {} positive and {} negative{free}; {} positive of those that say which. By the model of the generation each is placed on (its trace's last one when it names none):\n\n",
            count(f.runs),
            count(f.passed),
            count(f.failed),
            rate(f)
        ));
        let rows: Vec<Vec<String>> = s.feedback_by_model.iter().map(|r| vec![if r.model.is_empty() { "(no generation in the window)".to_string() } else { escape(&r.model) }, count(r.runs), rate(r)]).collect();
        md.push_str(&table(&["Model", "Feedback", "Positive"], &rows));
        md.push('\n');
    }
    if !s.metrics.is_empty() {
        md.push_str("### Metrics\n\n");
        let rows: Vec<Vec<String>> = s
            .metrics
            .iter()
            .map(|m| {
                let verdicts = PassRate { runs: m.events, passed: m.passed, failed: m.failed, ..PassRate::default() };
                vec![escape(&m.name), count(m.events), m.mean.map_or_else(|| "-".to_string(), |v| format!("{v:.2}")), rate(&verdicts)]
            })
            .collect();
        md.push_str(&table(&["Metric", "Events", "Mean value", "True share"], &rows));
        md.push('\n');
    }
    md
}

fn embeddings(a: &Analysis) -> String {
    let e = &a.signals.embeddings;
    let mut md = String::from("### Embeddings\n\n");
    match embedding_line(a) {
        None => md.push_str("No `$ai_embedding` calls in this window.\n\n"),
        Some(line) => {
            md.push_str(&format!("{line}.\n\n"));
            let rows: Vec<Vec<String>> = e
                .by_model
                .iter()
                .map(|m| vec![escape(&m.model), escape(&m.provider), escape(&m.operations.join(", ")), count(m.calls), count(m.input_tokens), usd(m.cost_usd), count(m.unpriced)])
                .collect();
            md.push_str(&table(&["Model", "Provider", "Operations", "Calls", "Input tokens", "Cost", "Unpriced calls"], &rows));
            md.push('\n');
        }
    }
    md
}

/// The embedding calls in one sentence, apart from the generation spend;
/// `None` when there are none.
pub fn embedding_line(a: &Analysis) -> Option<String> {
    let e = &a.signals.embeddings;
    if e.calls == 0 {
        return None;
    }
    let unpriced = if e.unpriced > 0 { format!("; {} calls have no recorded cost and count as $0", count(e.unpriced)) } else { String::new() };
    Some(format!(
        "{} embedding calls ({} input tokens) cost {} (about {} per 30 days), counted apart from the generation cost{unpriced}",
        count(e.calls),
        count(e.input_tokens),
        usd(e.cost_usd),
        usd(a.monthly(e.cost_usd))
    ))
}
