use super::*;
use crate::analysis::dataset::{Overview, TokenSums, Window};
use chrono::{TimeZone, Utc};

fn row(trace: &str, op: &str, input: u64, gens: u64) -> TraceOpRow {
    TraceOpRow { trace_id: trace.into(), operation: op.into(), generations: gens, tokens: TokenSums { input, output: 10 * gens, ..TokenSums::default() }, ..TraceOpRow::default() }
}

fn generation(trace: &str, op: &str, output: &str) -> GenerationRow {
    let head = serde_json::to_string(&serde_json::json!([{"role": "assistant", "content": output}])).unwrap();
    GenerationRow { trace_id: trace.into(), operation: op.into(), output_chars: head.chars().count() as u64, output_head: head, input_head: "<script>alert(1)</script> hi".into(), input_chars: 28, ..GenerationRow::default() }
}

fn run(extra: Vec<TraceOpRow>, gens: Vec<GenerationRow>, sample: &[&str]) -> Qualitative {
    let mut trace_ops: Vec<TraceOpRow> = (0..30).map(|i| row(&format!("n{i:02}"), "a", 1000, 1)).collect();
    trace_ops.extend(extra);
    crate::analysis::dataset::sort_trace_ops(&mut trace_ops);
    let t = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let data = Dataset { window: Window { start: t, end: t }, overview: Overview::default(), rollup: vec![], latency: vec![], trace_ops, prefixes: vec![], errors: vec![], generations: gens, sampling: None, signals: vec![], segments: vec![] };
    let selection = Selection { outliers: Default::default(), sample: sample.iter().map(|t| (t.to_string(), Stratum::Median)).collect() };
    compute(&data, &ByOperation::new(&data.trace_ops, &Costing::default()), &Costing::default(), &selection)
}

fn tags(q: &Qualitative, id: &str) -> Vec<Tag> {
    q.samples.iter().find(|s| s.trace_id == id).unwrap().tags.iter().copied().collect()
}

#[test]
fn rules_tag_what_the_rows_and_outputs_show() {
    let extra = vec![
        row("stuffed", "a", 9000, 1),
        TraceOpRow { truncated: 1, ..row("cut", "a", 1000, 1) },
        TraceOpRow { duplicate_inputs: 4, ..row("storm", "a", 5000, 5) },
        TraceOpRow { tool_calls: 6, ..row("tools", "a", 7000, 7) },
        TraceOpRow { empty_outputs: 1, ..row("empty", "a", 1000, 1) },
        row("confused", "a", 1000, 1),
        row("plain", "a", 1000, 1),
    ];
    let gens = vec![generation("confused", "a", "{\"action\": \"lookup_order\", \"order\": "), generation("plain", "a", "Refund approved.")];
    let q = run(extra, gens, &["stuffed", "cut", "storm", "tools", "empty", "confused", "plain"]);
    assert_eq!(tags(&q, "stuffed"), [Tag::PromptStuffing]);
    assert_eq!(tags(&q, "cut"), [Tag::ResponseTruncation]);
    assert_eq!(tags(&q, "storm"), [Tag::RetryStorm]);
    assert_eq!(tags(&q, "tools"), [Tag::ToolAbuse]);
    assert_eq!(tags(&q, "empty"), [Tag::EmptyOutput]);
    assert_eq!(tags(&q, "confused"), [Tag::ModelConfusion]);
    assert_eq!(tags(&q, "plain"), [Tag::Clean]);
    let f = q.frequency(Tag::Clean, None).unwrap();
    assert_eq!((f.seen, f.of), (1, 7));
    assert_eq!(q.frequency(Tag::RetryStorm, Some("a")).map(|f| (f.seen, f.of)), Some((1, 7)));
}

#[test]
fn excerpts_stay_text_and_keep_both_ends_of_long_prompts() {
    let q = run(vec![row("plain", "a", 1000, 1)], vec![generation("plain", "a", "ok")], &["plain"]);
    assert_eq!(q.samples[0].input_excerpt, "<script>alert(1)</script> hi", "cut, never rewritten");
    let long = excerpt(&"h".repeat(400), &"t".repeat(400), 9000);
    assert!(long.starts_with(&"h".repeat(200)) && long.ends_with(&"t".repeat(200)) && long.contains("[…]"));
}

#[test]
fn user_edits_change_tags_and_frequencies() {
    let q = run(vec![TraceOpRow { truncated: 1, ..row("cut", "a", 1000, 1) }, row("plain", "a", 1000, 1)], vec![], &["cut", "plain"]);
    assert_eq!(q.frequency(Tag::ResponseTruncation, None).unwrap().seen, 1);
    let edited = retag(&q, "cut", [Tag::ModelConfusion].into());
    assert_eq!(tags(&edited, "cut"), [Tag::ModelConfusion]);
    assert!(edited.samples[0].edited);
    assert_eq!(edited.frequency(Tag::ResponseTruncation, None).unwrap().seen, 0);
    assert_eq!(edited.frequency(Tag::ModelConfusion, Some("a")).map(|f| f.seen), Some(1), "an added tag holds for the trace's operations");
    let back = retag(&edited, "cut", [Tag::ResponseTruncation].into());
    assert_eq!(back, q, "restoring the rules' tags undoes the edit");
}
