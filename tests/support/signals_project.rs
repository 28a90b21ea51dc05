//! A project shaped unlike the demo for the quality signals: a retrieval
//! assistant on Mistral and Cohere models whose answers are evaluated by two
//! evaluations sent the ways SDKs and scripts send them (JSON booleans,
//! `"True"`/`"FALSE"` text, the numbers 1 and 0, `"1.0"`, junk, not
//! applicable), one of them naming only the trace; feedback in words and in
//! free text; two metrics; and embedding calls on two providers, some
//! without a recorded cost. It computes no truth: the tests read it from the
//! raw events.
#![allow(dead_code)] // each test binary uses a part

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Map, Value};
use trace_optimizer::source::event::Event;

/// The evaluated answer step, on two models.
pub const ANSWER: &str = "rag_answer";
pub const RERANK: &str = "rerank";
pub const ROUTE: &str = "route";
pub const LARGE: &str = "mistral-large-latest";
pub const SMALL: &str = "mistral-small-latest";
/// The end of the window the project fills (10 days before it).
pub fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

struct Gen {
    rng: Pcg64,
    events: Vec<Event>,
    n: u64,
}

impl Gen {
    fn uuid(&mut self) -> String {
        self.n += 1;
        let r: u64 = self.rng.random();
        format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", r >> 32, self.n & 0xffff, r & 0xfff, (r >> 12) & 0xfff, self.n)
    }

    fn push(&mut self, event: &str, at: DateTime<Utc>, trace: Option<&str>, props: Value) -> String {
        let uuid = self.uuid();
        let mut p: Map<String, Value> = props.as_object().cloned().unwrap_or_default();
        if let Some(t) = trace {
            p.insert("$ai_trace_id".into(), json!(t));
        }
        self.events.push(Event { uuid: uuid.clone(), event: event.into(), distinct_id: format!("u{}", self.n % 37), timestamp: at, properties: p });
        uuid
    }

    fn generation(&mut self, at: DateTime<Utc>, trace: &str, op: &str, model: &str, provider: &str) -> String {
        let (input, output) = (self.rng.random_range(300..2_000u64), self.rng.random_range(20..400u64));
        let cost = (input as f64 * 2.0 + output as f64 * 6.0) / 1e6;
        self.push(
            "$ai_generation",
            at,
            Some(trace),
            json!({"$ai_span_name": op, "$ai_model": model, "$ai_provider": provider, "$ai_input_tokens": input, "$ai_output_tokens": output,
                   "$ai_total_cost_usd": cost, "$ai_latency": 0.7, "$ai_lib": "posthog-node"}),
        )
    }
}

/// The result an evaluation run sends, by index: the ways results arrive
/// (index 5 sends one that means neither).
fn result(i: usize, pass: bool) -> Value {
    match (i % 7, pass) {
        (2, true) => json!("True"),
        (2, false) => json!("FALSE"),
        (3, p) => json!(u8::from(p)),
        (4, true) => json!("1.0"),
        (4, false) => json!("fail"),
        (5, _) => json!("unsure"),
        (_, p) => json!(p),
    }
}

/// The events, in no particular order.
pub fn generate(seed: u64) -> Vec<Event> {
    let mut g = Gen { rng: Pcg64::seed_from_u64(seed), events: Vec::new(), n: 0 };
    let start = end() - Duration::days(10);
    // A generation before the window, which one evaluation in it judges.
    let old_trace = "trace-before-window";
    let old = g.generation(start - Duration::hours(3), old_trace, ANSWER, LARGE, "mistral");
    g.push("$ai_evaluation", start + Duration::minutes(5), Some(old_trace), json!({"$ai_evaluation_name": "faithful", "$ai_target_event_id": old, "$ai_evaluation_result": true}));
    let mut run = 0usize;
    for t in 0..320 {
        let trace = format!("rag-{t:04}");
        let mut at = start + Duration::seconds(g.rng.random_range(600..(10 * 86_400 - 3_600)));
        g.generation(at, &trace, ROUTE, SMALL, "mistral");
        at += Duration::seconds(1);
        let tokens = g.rng.random_range(40..400u64);
        let mut emb = json!({"$ai_span_name": RERANK, "$ai_model": "embed-english-v3.0", "$ai_provider": "cohere", "$ai_input_tokens": tokens});
        if t % 10 != 3 {
            emb["$ai_total_cost_usd"] = json!(tokens as f64 * 0.1 / 1e6);
        }
        g.push("$ai_embedding", at, Some(&trace), emb);
        if t % 4 == 0 {
            let tokens = g.rng.random_range(1_000..8_000u64);
            g.push("$ai_embedding", at, Some(&trace), json!({"$ai_span_name": "index_docs", "$ai_model": "text-embedding-3-large", "$ai_provider": "openai", "$ai_input_tokens": tokens, "$ai_total_cost_usd": tokens as f64 * 0.13 / 1e6}));
        }
        g.generation(at, &trace, RERANK, "command-r", "cohere");
        at += Duration::seconds(2);
        let small = t % 3 == 0;
        let model = if small { SMALL } else { LARGE };
        let answer = g.generation(at, &trace, ANSWER, model, "mistral");
        if g.rng.random_bool(0.6) {
            run += 1;
            let pass = g.rng.random_bool(if small { 0.62 } else { 0.88 });
            let mut p = json!({"$ai_evaluation_name": "faithful", "$ai_target_event_id": answer, "$ai_target_event_type": "$ai_generation", "$ai_model": "gpt-4.1-nano", "$ai_input_tokens": 700, "$ai_total_cost_usd": 0.0001});
            if run.is_multiple_of(11) {
                p["$ai_evaluation_applicable"] = json!(false);
            } else {
                p["$ai_evaluation_result"] = result(run, pass);
            }
            g.push("$ai_evaluation", at + Duration::seconds(30), Some(&trace), p);
        }
        if t % 5 == 1 {
            // Named by its trace alone: it judges the trace's last generation, the answer.
            let pass = g.rng.random_bool(0.75);
            g.push("$ai_evaluation", at + Duration::seconds(45), Some(&trace), json!({"$ai_evaluation_id": "eval-on-topic", "$ai_evaluation_result": pass}));
        }
        if t % 6 == 2 {
            let text = ["positive", "negative", "Great answer, thanks!", "NEGATIVE"][g.rng.random_range(0..4)];
            g.push("$ai_feedback", at + Duration::seconds(90), Some(&trace), json!({"$ai_feedback_text": text}));
        }
        if t % 8 == 5 {
            let v = g.rng.random_range(0..=10u8);
            g.push("$ai_metric", at + Duration::seconds(95), Some(&trace), json!({"$ai_metric_name": "helpfulness", "$ai_metric_value": v.to_string()}));
        }
    }
    // Feedback on a trace with no generation at all.
    g.push("$ai_feedback", start + Duration::hours(30), Some("orphan-trace"), json!({"$ai_feedback_text": "positive"}));
    g.events
}

/// What an evaluation result means, read from its JSON as a person would:
/// booleans, `true`/`false`/`pass`/`fail` text in any case, the numbers 1 and 0.
pub fn meaning(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_lowercase().as_str() {
            "true" | "pass" | "positive" => Some(true),
            "false" | "fail" | "negative" => Some(false),
            other => other.parse::<f64>().ok().and_then(|x| meaning(&json!(x))),
        },
        _ => None,
    }
}
