//! The report's Appendix: how the figures were obtained, which data files
//! accompany the report, and where each model's price came from.

use crate::format::{count, pct, usd};
use super::markdown::{escape, table};
use crate::analysis::Analysis;

/// The data files of the results bundle, with what each holds.
pub const DATA_FILES: [(&str, &str); 9] = [
    ("recommendations.md", "this report"),
    ("summary.md", "one screen for the busy reader"),
    ("validation_report.json", "the analysis checking itself, stage by stage"),
    ("analysis.json", "numbers and decisions for the next analysis to follow up on"),
    ("data/metrics_by_span.csv", "calls, cost, tokens, latency and errors by operation"),
    ("data/metrics_by_model.csv", "the same by model"),
    ("data/cost_variance.json", "per-trace cost distributions of the top operations"),
    ("data/qualitative_samples.json", "the sampled traces with excerpts, tags and tag frequencies"),
    ("data/model_pricing.json", "prices used, backfilled costs, and the cross-check against PostHog"),
];

/// Writes the `## Appendix` section.
pub fn appendix(a: &Analysis) -> String {
    let mut s = String::from("## Appendix\n\n### Method\n\n");
    s.push_str(
        "- Aggregates are computed by PostHog (HogQL over `$ai_generation` events) or, for exported events and the demo, \
         by the same queries answered in memory; the report reads compact rows, never raw events.\n\
         - An operation is a generation's `$ai_span_name` when it names a step (not a client class such as `ChatOpenAI`), else its parent span's name, \
         else its trace's name, else its prompt's opening, else its model (`unnamed` when none); Data Quality counts each rule. The unit of cost variance is one trace's cost within one operation.\n\
         - Quantiles interpolate between order statistics (type 7); standard deviations are population ones; outliers lie above \
         mean + 2 sd or above median + 3 x 1.4826 x MAD.\n\
         - Trends compare the daily averages of the last 7 and last 3 complete UTC days with the whole window's.\n\
         - Projected monthly figures scale the window's figures to 30 days.\n",
    );
    if let Some(sampling) = &a.sampling {
        s.push_str(&format!(
            "- The project was too large to read every trace: per-trace figures use {} of traces, chosen by a hash of the trace id, \
             plus the {} most expensive traces kept whole. Totals, daily series and per-model figures are exact.\n",
            pct(sampling.rate),
            count(sampling.top_traces_kept)
        ));
    }
    s.push_str("\n### Data files\n\n");
    let files: Vec<Vec<String>> = DATA_FILES.iter().map(|(f, what)| vec![format!("`{f}`"), escape(what)]).collect();
    s.push_str(&table(&["File", "Contents"], &files));
    s.push_str(&pricing(a));
    s
}

fn pricing(a: &Analysis) -> String {
    let p = &a.pricing;
    let mut s = format!("\n### Pricing\n\nPrices per 1M tokens from {}.", escape(&p.source.label));
    if p.totals.backfilled_calls > 0 {
        s.push_str(&format!(" {} calls PostHog left unpriced were priced here, adding {}.", count(p.totals.backfilled_calls), usd(p.totals.backfilled_usd)));
    }
    if p.totals.unpriced_calls > 0 {
        let names: Vec<String> = p.models.iter().filter(|m| m.price.is_none() && m.unpriced_calls > 0).map(|m| format!("{} ({})", escape(&m.model), escape(&m.provider))).collect();
        s.push_str(&format!(" {} calls of models without a known price count as $0: {}.", count(p.totals.unpriced_calls), names.join(", ")));
    }
    s.push_str("\n\n");
    let per_m = |x: f64| format!("${:.3}", x * 1e6);
    let rows: Vec<Vec<String>> = p
        .models
        .iter()
        .map(|m| {
            let price = m.price.as_ref();
            vec![
                escape(&m.model),
                escape(&m.provider),
                match (&m.resolved_key, &m.price) {
                    (Some(k), _) => format!("{} ({})", escape(k), m.rule.map_or("", |r| r.as_str())),
                    (None, Some(_)) => "PostHog's recorded rate".to_string(),
                    (None, None) if m.provider.trim().is_empty() => "no price".to_string(),
                    (None, None) => format!("unpriced: no entry for provider {}", escape(&m.provider)),
                },
                price.map_or_else(|| "-".into(), |p| per_m(p.input)),
                price.map_or_else(|| "-".into(), |p| per_m(p.output)),
                count(m.calls),
                match (m.gap_ratio, m.flagged) {
                    (Some(g), true) => format!("{} off: {}", pct(g.abs()), escape(m.gap_reason.as_deref().unwrap_or("unexplained"))),
                    (Some(_), false) => "agrees".into(),
                    (None, _) => "-".into(),
                },
            ]
        })
        .collect();
    s.push_str(&table(&["Model", "Provider", "Table entry", "Input", "Output", "Calls", "PostHog's cost"], &rows));
    for note in &p.notes {
        s.push_str(&format!("\n- {}", escape(note)));
    }
    s.push('\n');
    s
}
