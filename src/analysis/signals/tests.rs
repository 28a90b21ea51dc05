use super::*;

fn eval(name: &str, operation: &str, model: &str, passed: u64, failed: u64, none: u64) -> SignalRow {
    SignalRow { kind: SignalKind::Evaluation, name: name.into(), operation: operation.into(), model: model.into(), events: passed + failed + none, passed, failed, cost_usd: 0.001, ..SignalRow::default() }
}

#[test]
fn pass_rates_are_over_verdicts_by_evaluation_operation_and_model() {
    let rows = [eval("grounded", "answer", "big", 90, 10, 5), eval("grounded", "answer", "small", 30, 20, 0), eval("grounded", "", "", 1, 0, 0), eval("tone", "answer", "big", 8, 2, 0)];
    let s = compute(&rows);
    let grounded = &s.evaluations[0];
    assert_eq!((grounded.evaluation.as_str(), grounded.runs, grounded.passed, grounded.failed, grounded.no_verdict()), ("grounded", 156, 121, 30, 5));
    assert_eq!(s.unplaced, 1, "the run with no generation in the window counts only in the total");
    let by_model: Vec<(&str, &str, Option<f64>)> = s.by_model.iter().map(|r| (r.evaluation.as_str(), r.model.as_str(), r.rate())).collect();
    assert_eq!(by_model, [("grounded", "big", Some(0.9)), ("grounded", "small", Some(0.6)), ("tone", "big", Some(0.8))]);
    assert_eq!(s.by_operation.iter().map(|r| r.runs).collect::<Vec<_>>(), [155, 10]);
    assert_eq!(s.judges.events, 166);
    assert!((s.judges.cost_usd - 0.004).abs() < 1e-12);
}

#[test]
fn a_switch_note_gives_both_rates_or_says_which_is_missing() {
    let s = compute(&[eval("grounded", "answer", "big", 90, 10, 0), eval("label", "classify", "small", 45, 5, 0)]);
    let both = s.switch_note("answer", "big", "small");
    assert!(both.contains("big passes 90.0% (90 of 100 judged; grounded on answer)"), "{both}");
    assert!(both.contains("small passes 90.0% (45 of 50 judged; label on classify, not yet on answer)"), "{both}");
    let one = s.switch_note("answer", "big", "tiny");
    assert!(one.contains("no evaluation has judged tiny"), "{one}");
    let none = compute(&[]).switch_note("answer", "big", "small");
    assert!(none.starts_with("No evaluation results for big or small"), "{none}");
}

#[test]
fn embeddings_are_summed_by_model_and_kept_apart() {
    let emb = |model: &str, op: &str, calls: u64, cost: f64, unpriced: u64| SignalRow { kind: SignalKind::Embedding, operation: op.into(), model: model.into(), provider: "openai".into(), events: calls, input_tokens: calls * 100, cost_usd: cost, unpriced, ..SignalRow::default() };
    let s = compute(&[emb("e-large", "search", 10, 0.5, 0), emb("e-small", "index", 40, 0.2, 3), emb("e-small", "search", 5, 0.1, 0)]);
    assert_eq!((s.embeddings.calls, s.embeddings.input_tokens, s.embeddings.unpriced), (55, 5_500, 3));
    assert!((s.embeddings.cost_usd - 0.8).abs() < 1e-12);
    let first = &s.embeddings.by_model[0];
    assert_eq!((first.model.as_str(), first.calls, first.operations.clone()), ("e-large", 10, vec!["search".to_string()]));
    assert_eq!(s.embeddings.by_model[1].operations, ["index", "search"]);
    assert!(s.evaluations.is_empty() && !s.is_empty());
}
