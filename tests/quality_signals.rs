//! The quality signals on a project shaped unlike the demo
//! (`support/signals_project.rs`): evaluation pass rates by evaluation,
//! operation and model, feedback, metrics, and embedding calls and cost,
//! each equal to what this file works out from the raw events with its own
//! reading of them; the generation figures do not count the other events.
//! `cargo test --test quality_signals -- --nocapture` prints the figures.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/signals_project.rs"]
mod signals_project;

use serde_json::Value;
use signals_project::{meaning, ANSWER, LARGE, SMALL};
use std::collections::{BTreeMap, HashMap};
use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::{Origin, Settings};
use trace_optimizer::pipeline::{self, Prices, Request, Run};
use trace_optimizer::source::event::Event;
use trace_optimizer::source::memory::MemorySource;

fn run(events: Vec<Event>) -> Run {
    let window = Window::ending_at(signals_project::end(), 10);
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "signals project".into(), posthog: None }, prior: None };
    futures::executor::block_on(pipeline::run(&MemorySource::from_events(events), &request, async { Prices::bundled() }, &mut pipeline::Quiet)).expect("run")
}

fn text(e: &Event, key: &str) -> Option<String> {
    e.properties.get(key).and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Null | Value::String(_) => None,
        other => Some(other.to_string()),
    })
}

fn num(e: &Event, key: &str) -> Option<f64> {
    e.properties.get(key).and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

/// (runs, passed, failed)
type Tally = (u64, u64, u64);

fn tally(t: &mut Tally, verdict: Option<bool>) {
    t.0 += 1;
    t.1 += u64::from(verdict == Some(true));
    t.2 += u64::from(verdict == Some(false));
}

#[test]
fn pass_rates_feedback_metrics_and_embeddings_match_the_raw_events() {
    let events = signals_project::generate(11);
    let window = Window::ending_at(signals_project::end(), 10);
    let inside: Vec<&Event> = events.iter().filter(|e| window.contains(e.timestamp)).collect();
    // The generations of the window: by uuid, and each trace's last one.
    let mut by_id: HashMap<&str, (String, String)> = HashMap::new();
    let mut last: HashMap<String, (chrono::DateTime<chrono::Utc>, &str)> = HashMap::new();
    for e in inside.iter().filter(|e| e.event == "$ai_generation") {
        by_id.insert(&e.uuid, (text(e, "$ai_span_name").unwrap(), text(e, "$ai_model").unwrap()));
        let trace = text(e, "$ai_trace_id").unwrap();
        let entry = last.entry(trace).or_insert((e.timestamp, &e.uuid));
        if (e.timestamp, e.uuid.as_str()) > (entry.0, entry.1) {
            *entry = (e.timestamp, &e.uuid);
        }
    }
    let placed = |e: &Event| -> Option<(String, String)> {
        let target = text(e, "$ai_target_event_id").and_then(|t| by_id.get(t.as_str()).cloned());
        target.or_else(|| last.get(&text(e, "$ai_trace_id")?).and_then(|(_, id)| by_id.get(id).cloned()))
    };
    let mut cells: BTreeMap<(String, String, String), Tally> = BTreeMap::new();
    let (mut unplaced, mut judge_cost, mut feedback, mut feedback_models) = (0u64, 0.0, Tally::default(), BTreeMap::<String, Tally>::new());
    let (mut embed, mut helpfulness) = (BTreeMap::<String, (u64, u64, f64, u64)>::new(), Vec::new());
    for e in &inside {
        match e.event.as_str() {
            "$ai_evaluation" => {
                let name = text(e, "$ai_evaluation_name").or_else(|| text(e, "$ai_evaluation_id")).unwrap();
                let applicable = e.properties.get("$ai_evaluation_applicable") != Some(&Value::Bool(false));
                let verdict = e.properties.get("$ai_evaluation_result").filter(|_| applicable).and_then(meaning);
                judge_cost += num(e, "$ai_total_cost_usd").unwrap_or(0.0);
                match placed(e) {
                    Some((op, model)) => tally(cells.entry((name, op, model)).or_default(), verdict),
                    None => unplaced += 1,
                }
            }
            "$ai_feedback" => {
                let said = text(e, "$ai_feedback_text").unwrap().to_lowercase();
                let verdict = match said.as_str() {
                    "positive" => Some(true),
                    "negative" => Some(false),
                    _ => None,
                };
                tally(&mut feedback, verdict);
                tally(feedback_models.entry(placed(e).map(|p| p.1).unwrap_or_default()).or_default(), verdict);
            }
            "$ai_metric" => helpfulness.push(num(e, "$ai_metric_value").unwrap()),
            "$ai_embedding" => {
                let m = embed.entry(text(e, "$ai_model").unwrap()).or_default();
                m.0 += 1;
                m.1 += num(e, "$ai_input_tokens").unwrap() as u64;
                match num(e, "$ai_total_cost_usd") {
                    Some(c) => m.2 += c,
                    None => m.3 += 1,
                }
            }
            _ => {}
        }
    }
    let r = run(events.clone());
    let s = &r.analysis.signals;
    let got: BTreeMap<(String, String, String), Tally> = s.cells.iter().map(|c| ((c.evaluation.clone(), c.operation.clone(), c.model.clone()), (c.runs, c.passed, c.failed))).collect();
    println!("evaluations (evaluation, operation, model) -> (runs, passed, failed):\n  truth {cells:?}\n  found {got:?}");
    assert_eq!(got, cells);
    assert!(cells.keys().any(|k| k.0 == "eval-on-topic"), "the evaluation naming only its trace is placed on the trace's last generation");
    assert_eq!((s.unplaced, unplaced), (1, 1), "the run judging a generation before the window");
    let rate = |model: &str| {
        let (_, p, f) = cells.iter().filter(|(k, _)| k.1 == ANSWER && k.2 == model).fold((0, 0, 0), |a, (_, t)| (a.0 + t.0, a.1 + t.1, a.2 + t.2));
        p as f64 / (p + f) as f64
    };
    let (large, small) = (rate(LARGE), rate(SMALL));
    println!("pass rate on {ANSWER}: {LARGE} {large:.4}, {SMALL} {small:.4}");
    assert!(large - small > 0.1, "the planted difference by model: {large} vs {small}");
    for (model, want) in [(LARGE, large), (SMALL, small)] {
        let (found, on_op) = s.model_pass_rate(ANSWER, model).expect("judged");
        assert!(on_op && (found.rate().unwrap() - want).abs() < 1e-12, "{model}: {:?} vs {want}", found.rate());
    }
    assert!((s.judges.cost_usd - judge_cost).abs() < 1e-9, "{} vs {judge_cost}", s.judges.cost_usd);
    let fb_models: BTreeMap<String, Tally> = s.feedback_by_model.iter().map(|f| (f.model.clone(), (f.runs, f.passed, f.failed))).collect();
    println!("feedback: truth {feedback:?} {feedback_models:?}, found {:?} {fb_models:?}", (s.feedback.runs, s.feedback.passed, s.feedback.failed));
    assert_eq!((s.feedback.runs, s.feedback.passed, s.feedback.failed), feedback);
    assert_eq!(fb_models, feedback_models);
    let mean = helpfulness.iter().sum::<f64>() / helpfulness.len() as f64;
    assert_eq!(s.metrics.len(), 1);
    assert_eq!(s.metrics[0].events, helpfulness.len() as u64);
    assert!((s.metrics[0].mean.unwrap() - mean).abs() < 1e-9);
    let found: BTreeMap<String, (u64, u64, f64, u64)> = s.embeddings.by_model.iter().map(|m| (m.model.clone(), (m.calls, m.input_tokens, m.cost_usd, m.unpriced))).collect();
    println!("embeddings by model (calls, tokens, cost, unpriced): truth {embed:?}\n  found {found:?}");
    assert_eq!(found.len(), embed.len());
    for (model, want) in &embed {
        let got = found[model];
        assert_eq!((got.0, got.1, got.3), (want.0, want.1, want.3), "{model}");
        assert!((got.2 - want.2).abs() < 1e-12, "{model}: {} vs {}", got.2, want.2);
    }
    // The generation figures count generations only, as without the other events.
    let only_generations: Vec<Event> = events.into_iter().filter(|e| e.event == "$ai_generation").collect();
    let plain = run(only_generations);
    assert_eq!(r.analysis.metrics, plain.analysis.metrics);
    assert!(plain.analysis.signals.is_empty());
}
