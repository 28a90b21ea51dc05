//! The demo's quality signals found with their planted figures, and the
//! plant moving nothing else.

use super::{demo, recommend};
use crate::analysis::recommend::Kind;
use crate::source::demo::{signal_key, Plants, EMBEDDING_MODEL};

/// The demo's operations the plant judges or embeds for.
const CLASSIFY_INTENT: &str = "classify_intent";
const SAFETY_CHECK: &str = "safety_check";
const RETRIEVE_CONTEXT: &str = "retrieve_context";

#[test]
fn the_demo_evaluations_feedback_and_embeddings_are_found_with_their_true_figures() {
    let (data, truth) = demo(Plants::ALL);
    let (a, r) = recommend(&data);
    let (s, t) = (&a.signals, &truth.signals);
    assert!(!t.evaluations.is_empty());
    for c in &s.cells {
        let want = &t.evaluations[&signal_key(&c.evaluation, &c.operation, &c.model)];
        println!("{} on {} / {}: {} runs, {} passed, {} failed (planted {want:?})", c.evaluation, c.operation, c.model, c.runs, c.passed, c.failed);
        assert_eq!((c.runs, c.passed, c.failed), (want.runs, want.passed, want.failed));
    }
    assert_eq!(s.cells.len(), t.evaluations.len(), "every planted cell found");
    assert_eq!(s.unplaced, 0);
    assert!((s.judges.cost_usd - t.judge_cost_usd).abs() < 1e-9);
    assert_eq!((s.feedback.runs, s.feedback.passed, s.feedback.failed), (t.feedback.runs, t.feedback.passed, t.feedback.failed));
    let csat = &s.metrics[0];
    assert_eq!((csat.name.as_str(), csat.events), ("csat", t.csat_events));
    assert!((csat.mean.unwrap() - t.csat_sum / t.csat_events as f64).abs() < 1e-9);
    let e = &s.embeddings;
    println!("embeddings: {} calls, {} tokens, ${:.4} (planted {} calls, {} tokens, ${:.4})", e.calls, e.input_tokens, e.cost_usd, t.embedding_calls, t.embedding_tokens, t.embedding_cost_usd);
    assert_eq!((e.calls, e.input_tokens, e.unpriced), (t.embedding_calls, t.embedding_tokens, 0));
    assert!((e.cost_usd - t.embedding_cost_usd).abs() < 1e-9);
    assert_eq!((e.by_model.len(), e.by_model[0].model.as_str(), e.by_model[0].operations.clone()), (1, EMBEDDING_MODEL, vec![RETRIEVE_CONTEXT.to_string()]));
    // The downgrade card of the planted model misuse gives both models' pass rates.
    let card = r.items.iter().find(|x| x.kind == Kind::ModelDowngrade && x.operation == CLASSIFY_INTENT).expect("the planted misuse is found");
    let rate = |op: &str, model: &str| {
        let v = &t.evaluations[&signal_key("label_correct", op, model)];
        crate::format::pct(v.passed as f64 / (v.passed + v.failed) as f64)
    };
    let (sonnet, haiku) = ("claude-sonnet-4-20250514", "claude-3-5-haiku-20241022");
    println!("{}", card.why);
    assert!(card.why.contains(&format!("{sonnet} passes {}", rate(CLASSIFY_INTENT, sonnet))), "{}", card.why);
    assert!(card.why.contains(&format!("{haiku} passes {}", rate(SAFETY_CHECK, haiku))) && card.why.contains("not yet on classify_intent"), "{}", card.why);
}

#[test]
fn the_signal_events_move_no_generation_figure() {
    let (with, truth) = demo(Plants::ALL);
    let (without, plain) = demo(Plants { signals: false, ..Plants::ALL });
    assert!(!with.signals.is_empty() && without.signals.is_empty());
    let strip = |d: &crate::analysis::dataset::Dataset| crate::analysis::dataset::Dataset { signals: vec![], ..d.clone() };
    assert_eq!(strip(&with), without, "every generation answer is the same");
    assert_eq!((truth.generations, truth.traces, truth.cost_usd, &truth.plants), (plain.generations, plain.traces, plain.cost_usd, &plain.plants));
}
