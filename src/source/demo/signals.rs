//! The demo project's quality signals: PostHog evaluations (LLM-as-a-judge)
//! on a sample of four operations' calls, with pass rates that differ by
//! model; user feedback and a satisfaction metric on some traces; and the
//! `$ai_embedding` call `retrieve_context` makes before each search.
//!
//! Every draw comes from a generator of its own, seeded from the project's
//! seed, so the generations stay exactly those of a project without them.

use super::catalog::{ops, DemoModel, GPT_4O_MINI};
use crate::source::event::Event;
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Mixed into the project's seed for the signals' own generator.
const SEED_SALT: u64 = 0x5349_474e_414c_5321;

/// The evaluations run: operation, evaluation, share of its calls judged.
const EVALUATED: [(&str, &str, f64); 4] =
    [(ops::CLASSIFY_INTENT, "label_correct", 0.25), (ops::SAFETY_CHECK, "label_correct", 0.25), (ops::DRAFT_ANSWER, "answer_grounded", 0.25), (ops::SUMMARIZE_THREAD, "answer_grounded", 0.25)];

/// How often a judged answer passes, by evaluation and model: the large
/// models pass more often, so the pass rates differ by model.
fn pass_chance(evaluation: &str, model: &str) -> f64 {
    match (evaluation, model.contains("sonnet"), model.contains("haiku")) {
        ("label_correct", true, _) => 0.97,
        ("label_correct", _, true) => 0.93,
        ("answer_grounded", true, _) => 0.92,
        _ => 0.8,
    }
}

/// Share of `answer_grounded` runs the judge finds not applicable (no claim to check).
const NOT_APPLICABLE: f64 = 0.04;
/// The judge's model.
const JUDGE: DemoModel = GPT_4O_MINI;
/// The embedding model `retrieve_context` uses, with PostHog's price (USD per 1M input tokens).
pub const EMBEDDING_MODEL: &str = "text-embedding-3-small";
const EMBEDDING_PRICE: f64 = 0.02;
/// Share of traces whose user leaves feedback, and of those that is positive.
const FEEDBACK: f64 = 0.08;
const POSITIVE: f64 = 0.7;
/// Share of traces with a `csat` metric (1 to 5).
const CSAT: f64 = 0.05;

/// Verdicts of one evaluation on one operation and model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdicts {
    pub runs: u64,
    pub passed: u64,
    pub failed: u64,
}

/// What the signals plant emitted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SignalTruth {
    /// `evaluation|operation|model` -> verdicts.
    pub evaluations: BTreeMap<String, Verdicts>,
    /// The judges' recorded cost.
    pub judge_cost_usd: f64,
    pub embedding_calls: u64,
    pub embedding_tokens: u64,
    pub embedding_cost_usd: f64,
    pub feedback: Verdicts,
    pub csat_events: u64,
    pub csat_sum: f64,
}

/// The key of [`SignalTruth::evaluations`].
pub fn key(evaluation: &str, operation: &str, model: &str) -> String {
    format!("{evaluation}|{operation}|{model}")
}

/// Emits the signal events, when planted.
pub(super) struct SignalPlant {
    rng: Pcg64,
    on: bool,
    pub truth: SignalTruth,
}

/// The generation an evaluation judges.
pub(super) struct Judged<'a> {
    pub uuid: &'a str,
    pub trace_id: &'a str,
    pub distinct_id: &'a str,
    pub operation: &'a str,
    pub model: &'a str,
    pub at: DateTime<Utc>,
}

impl SignalPlant {
    pub fn new(seed: u64, on: bool) -> Self {
        SignalPlant { rng: Pcg64::seed_from_u64(seed ^ SEED_SALT), on, truth: SignalTruth::default() }
    }

    fn event(&mut self, event: &str, distinct_id: &str, at: DateTime<Utc>, trace_id: &str, mut p: Map<String, Value>) -> Event {
        p.insert("$ai_trace_id".into(), json!(trace_id));
        p.insert("$ai_lib".into(), json!("posthog-python"));
        Event { uuid: super::uuid_of(&mut self.rng), event: event.into(), distinct_id: distinct_id.into(), timestamp: at, properties: p }
    }

    /// The evaluation of a successful call, when its operation is judged and it is sampled.
    pub fn judge(&mut self, g: &Judged) -> Option<Event> {
        let &(_, evaluation, share) = EVALUATED.iter().find(|(op, _, _)| *op == g.operation).filter(|_| self.on)?;
        if !self.rng.random_bool(share) {
            return None;
        }
        let mut p = Map::new();
        p.insert("$ai_evaluation_id".into(), json!(format!("eval-{evaluation}")));
        p.insert("$ai_evaluation_name".into(), json!(evaluation));
        p.insert("$ai_target_event_id".into(), json!(g.uuid));
        p.insert("$ai_target_event_type".into(), json!("$ai_generation"));
        p.insert("$ai_evaluation_result_type".into(), json!("boolean"));
        let v = self.truth.evaluations.entry(key(evaluation, g.operation, g.model)).or_default();
        v.runs += 1;
        if evaluation == "answer_grounded" && self.rng.random_bool(NOT_APPLICABLE) {
            p.insert("$ai_evaluation_applicable".into(), json!(false));
        } else {
            let pass = self.rng.random_bool(pass_chance(evaluation, g.model));
            v.passed += u64::from(pass);
            v.failed += u64::from(!pass);
            p.insert("$ai_evaluation_result".into(), json!(pass));
            p.insert("$ai_evaluation_reasoning".into(), json!(if pass { "The answer follows from the input." } else { "The answer claims something the input does not say." }));
        }
        let usage = super::Usage { input: self.rng.random_range(500..1_100), output: self.rng.random_range(20..60), ..super::Usage::default() };
        let cost = JUDGE.total_cost(&usage);
        self.truth.judge_cost_usd += cost;
        p.insert("$ai_model".into(), json!(JUDGE.name));
        p.insert("$ai_provider".into(), json!(JUDGE.provider));
        p.insert("$ai_input_tokens".into(), json!(usage.input));
        p.insert("$ai_output_tokens".into(), json!(usage.output));
        p.insert("$ai_total_cost_usd".into(), json!(cost));
        let at = g.at + Duration::seconds(self.rng.random_range(5..90));
        Some(self.event("$ai_evaluation", g.distinct_id, at, g.trace_id, p))
    }

    /// The embedding of the customer's message `retrieve_context` searches with.
    pub fn embed(&mut self, trace_id: &str, distinct_id: &str, at: DateTime<Utc>) -> Option<Event> {
        if !self.on {
            return None;
        }
        let tokens: u64 = self.rng.random_range(60..260);
        let cost = tokens as f64 * EMBEDDING_PRICE / 1e6;
        self.truth.embedding_calls += 1;
        self.truth.embedding_tokens += tokens;
        self.truth.embedding_cost_usd += cost;
        let mut p = Map::new();
        p.insert("$ai_span_name".into(), json!(ops::RETRIEVE_CONTEXT));
        p.insert("$ai_model".into(), json!(EMBEDDING_MODEL));
        p.insert("$ai_provider".into(), json!("openai"));
        p.insert("$ai_input_tokens".into(), json!(tokens));
        p.insert("$ai_latency".into(), json!(0.08));
        p.insert("$ai_http_status".into(), json!(200));
        p.insert("$ai_input_cost_usd".into(), json!(cost));
        p.insert("$ai_output_cost_usd".into(), json!(0.0));
        p.insert("$ai_total_cost_usd".into(), json!(cost));
        Some(self.event("$ai_embedding", distinct_id, at, trace_id, p))
    }

    /// The user's feedback and satisfaction score on a finished trace, sometimes.
    pub fn after_trace(&mut self, trace_id: &str, distinct_id: &str, end: DateTime<Utc>) -> Vec<Event> {
        let mut out = Vec::new();
        if !self.on {
            return out;
        }
        if self.rng.random_bool(FEEDBACK) {
            let positive = self.rng.random_bool(POSITIVE);
            self.truth.feedback.runs += 1;
            self.truth.feedback.passed += u64::from(positive);
            self.truth.feedback.failed += u64::from(!positive);
            let mut p = Map::new();
            p.insert("$ai_feedback_text".into(), json!(if positive { "positive" } else { "negative" }));
            out.push(self.event("$ai_feedback", distinct_id, end + Duration::seconds(40), trace_id, p));
        }
        if self.rng.random_bool(CSAT) {
            let score = self.rng.random_range(1..=5u8);
            self.truth.csat_events += 1;
            self.truth.csat_sum += f64::from(score);
            let mut p = Map::new();
            p.insert("$ai_metric_name".into(), json!("csat"));
            p.insert("$ai_metric_value".into(), json!(score.to_string()));
            out.push(self.event("$ai_metric", distinct_id, end + Duration::seconds(60), trace_id, p));
        }
        out
    }
}
