//! `## Qualitative Findings`: the tagged sample (stage 7), with tag
//! frequencies and excerpts. Excerpts are hostile text: escaped, and shown
//! as quotes, never as markup.

use crate::format::{count, truncate, usd};
use super::markdown::{escape, link, table};
use crate::analysis::links::trace_url;
use crate::analysis::qualitative::Tag;
use crate::analysis::Analysis;

/// Excerpt length in the report's sample table (the full excerpt is in
/// `data/qualitative_samples.json`).
const SHORT_EXCERPT: usize = 160;

/// Writes the section.
pub fn qualitative_findings(a: &Analysis) -> String {
    let q = &a.qualitative;
    let mut s = String::from("## Qualitative Findings\n\n");
    if q.samples.is_empty() {
        s.push_str("No trace could be sampled in this window.\n\n");
        return s;
    }
    let n = q.samples.len();
    let edited = q.samples.iter().filter(|t| t.edited).count();
    s.push_str(&format!(
        "{} traces sampled across the cheapest, median, most expensive, slowest and failed ones; tags are set by rules{}.\n\n",
        count(n as u64),
        if edited > 0 { format!(", {} of them changed by the reader", count(edited as u64)) } else { String::new() }
    ));
    let rows: Vec<Vec<String>> = Tag::ALL
        .iter()
        .filter_map(|t| q.frequency(*t, None).filter(|f| f.seen > 0).map(|f| (t, f)))
        .map(|(t, f)| {
            let ops: Vec<String> = q
                .frequencies
                .iter()
                .filter(|g| g.tag == *t && g.seen > 0)
                .filter_map(|g| g.operation.as_ref().map(|op| format!("{} {}/{}", escape(op), g.seen, g.of)))
                .collect();
            vec![format!("`{}`", t.name()), format!("seen in {}/{} sampled traces", f.seen, f.of), ops.join(", ")]
        })
        .collect();
    s.push_str(&table(&["Tag", "Frequency", "By operation"], &rows));
    s.push_str("\n### Sampled traces\n\n");
    let rows: Vec<Vec<String>> = q
        .samples
        .iter()
        .map(|t| {
            let tags: Vec<&str> = t.tags.iter().map(|g| g.name()).collect();
            vec![
                link(&escape(&t.trace_id), trace_url(a.origin.posthog.as_ref(), &t.trace_id, a.trace_times.get(&t.trace_id))),
                escape(t.stratum.label()),
                usd(t.cost_usd),
                count(t.generations),
                escape(&tags.join(", ")),
                excerpt(&t.input_excerpt),
                excerpt(&t.output_excerpt),
            ]
        })
        .collect();
    s.push_str(&table(&["Trace", "Stratum", "Cost", "Generations", "Tags", "Input excerpt", "Output excerpt"], &rows));
    s.push('\n');
    s
}

fn excerpt(text: &str) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        format!("\"{}\"", escape(&truncate(text, SHORT_EXCERPT)))
    }
}
