//! The demo project: a seeded generator of a realistic PostHog project (a
//! support assistant with eight operations on five models from three
//! providers) with problems planted on purpose, each with its true cost.
//!
//! Events stream out one trace at a time, so a million-generation export
//! never sits in memory. The same seed always gives the same events.

mod audit;
mod catalog;
mod changes;
mod segments;
mod spans;
mod signals;
mod text;

pub use audit::CostPatternTruth;

pub use catalog::{DemoModel, Usage, MODELS};
pub use changes::{ChangeCause, ChangeTruth};
pub use segments::{SegmentTruth, VariantTruth, COSTLY_USER, FLAG, PLAN};
pub use signals::{key as signal_key, SignalTruth, Verdicts, EMBEDDING_MODEL};

use crate::source::digest::{DigestWriter, TextDigest};
use crate::source::event::{Event, Generation, AI_GENERATION};
use catalog::{ops, CLAUDE_HAIKU, CLAUDE_SONNET, GPT_4O, GPT_4O_MINI};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The problems the generator can plant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plants {
    /// `agent_step` repeats an identical, billed request 4 to 9 times in some traces.
    pub retry_storm: bool,
    /// `classify_intent` (a one-word answer) runs on Claude Sonnet instead of Haiku.
    pub model_misuse: bool,
    /// Some `summarize_thread` prompts carry the whole history (8-14x the usual size).
    pub prompt_bloat: bool,
    /// `draft_answer` resends a 1,700-token system prompt without prompt caching.
    pub uncached_prompt: bool,
    /// `generate_title` runs with `max_tokens` 12 and many titles are cut off.
    pub truncation: bool,
    /// `extract_entities` switches to a dearer model, and `safety_check`'s cache stops hitting, on known days.
    pub changes: bool,
    /// `safety_check` runs through LangChain, which counts Claude's cache
    /// tokens inside the input, so PostHog's recorded cost is too high (`audit.rs`).
    pub cost_pattern: bool,
    /// Evaluations whose pass rates differ by model, user feedback, a
    /// metric, and embedding calls (`signals.rs`).
    pub signals: bool,
    /// One user sends a large share of the traces, and the retrieval step's
    /// flag experiment has a variant costing 2x per call (`segments.rs`).
    pub segments: bool,
    /// Some traces run as LangChain chains: a `$ai_span` per step, the
    /// step's generations parented to it, tool spans below (`spans.rs`).
    pub spans: bool,
}

impl Plants {
    /// Every problem planted.
    pub const ALL: Plants = Plants { retry_storm: true, model_misuse: true, prompt_bloat: true, uncached_prompt: true, truncation: true, changes: true, cost_pattern: true, signals: true, segments: true, spans: true };
    /// A clean control project.
    pub const NONE: Plants = Plants { retry_storm: false, model_misuse: false, prompt_bloat: false, uncached_prompt: false, truncation: false, changes: false, cost_pattern: false, signals: false, segments: false, spans: false };
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    pub seed: u64,
    pub days: u32,
    /// Generations to emit (at least; the last trace is completed).
    pub generations: usize,
    /// Events lie in `[end - days, end)`.
    pub end: DateTime<Utc>,
    pub plants: Plants,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 7,
            days: 30,
            generations: 20_000,
            end: Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).single().expect("valid date"),
            plants: Plants::ALL,
        }
    }
}

/// A planted problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    RetryStorm,
    ModelMisuse,
    PromptBloat,
    UncachedPrompt,
    Truncation,
}

/// The ground truth of one planted problem over the generated window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlantTruth {
    pub problem: Problem,
    pub operation: String,
    /// Traces that show the problem.
    pub traces: Vec<String>,
    /// What the problem cost (USD): the money a perfect fix saves.
    pub waste_usd: f64,
}

/// Totals and planted problems of a generated project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub generations: u64,
    pub traces: u64,
    /// Cost at list prices, including the calls PostHog left unpriced.
    pub cost_usd: f64,
    pub plants: Vec<PlantTruth>,
    /// The planted changes of cost per call.
    #[serde(default)]
    pub changes: Vec<ChangeTruth>,
    /// The cost-audit plant's truth, when planted.
    #[serde(default)]
    pub cost_pattern: Option<CostPatternTruth>,
    /// The evaluations, feedback, metric and embeddings emitted.
    #[serde(default)]
    pub signals: SignalTruth,
    /// The costly user and the flag experiment, when planted.
    #[serde(default)]
    pub segments: Option<SegmentTruth>,
}

/// Streams the demo project's records; [`DemoGenerator::truth`] is complete
/// once the stream is exhausted.
pub struct DemoGenerator {
    cfg: DemoConfig,
    rng: Pcg64,
    emitted: usize,
    trace_no: u64,
    buffer: VecDeque<DemoRecord>,
    /// System prompts by operation, built once.
    prompts: HashMap<&'static str, Arc<str>>,
    truth: Truth,
    /// Start of every uncached `draft_answer` call, to price caching at the end.
    draft_calls: Vec<DateTime<Utc>>,
    /// The cost-audit plant, with its own random draws.
    cache_plant: Option<audit::CachePlant>,
    done: bool,
    changes: changes::ChangePlant,
    signals: signals::SignalPlant,
    /// The segments plant's own random stream, when planted.
    segment_plant: Option<segments::SegmentPlant>,
    /// The spans plant's own random stream, when planted.
    span_plant: Option<spans::SpanPlant>,
}

/// Tokens of the `draft_answer` system prompt, and its characters.
const DRAFT_SYSTEM_TOKENS: u64 = 1_700;
const DRAFT_SYSTEM_CHARS: usize = 6_500;
/// Characters per token of the demo's synthetic text.
const CHARS_PER_TOKEN: f64 = 3.8;
/// Anthropic's prompt cache lifetime.
const CACHE_TTL_S: i64 = 300;

impl DemoGenerator {
    /// A generator for `cfg`.
    pub fn new(cfg: DemoConfig) -> Self {
        let rng = Pcg64::seed_from_u64(cfg.seed);
        let plants = [
            (cfg.plants.retry_storm, Problem::RetryStorm, ops::AGENT_STEP),
            (cfg.plants.model_misuse, Problem::ModelMisuse, ops::CLASSIFY_INTENT),
            (cfg.plants.prompt_bloat, Problem::PromptBloat, ops::SUMMARIZE_THREAD),
            (cfg.plants.uncached_prompt, Problem::UncachedPrompt, ops::DRAFT_ANSWER),
            (cfg.plants.truncation, Problem::Truncation, ops::GENERATE_TITLE),
        ];
        let truth = Truth {
            plants: plants
                .iter()
                .filter(|p| p.0)
                .map(|&(_, problem, op)| PlantTruth { problem, operation: op.into(), traces: vec![], waste_usd: 0.0 })
                .collect(),
            segments: cfg.plants.segments.then(|| SegmentTruth { costly_user: COSTLY_USER.into(), flag: FLAG.into(), ..SegmentTruth::default() }),
            ..Truth::default()
        };
        let changes = changes::ChangePlant::new(cfg.plants.changes, cfg.seed, cfg.end, cfg.days);
        let cache_plant = cfg.plants.cost_pattern.then(|| audit::CachePlant::new(cfg.seed, ops::SAFETY_CHECK));
        let signals = signals::SignalPlant::new(cfg.seed, cfg.plants.signals);
        let segment_plant = cfg.plants.segments.then(|| segments::SegmentPlant::new(cfg.seed));
        let span_plant = cfg.plants.spans.then(|| spans::SpanPlant::new(cfg.seed));
        DemoGenerator { cfg, rng, emitted: 0, trace_no: 0, buffer: VecDeque::new(), prompts: HashMap::new(), truth, draft_calls: vec![], cache_plant, done: false, changes, signals, segment_plant, span_plant }
    }

    /// The ground truth of what was emitted so far (final once exhausted).
    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    fn plant(&mut self, problem: Problem) -> Option<&mut PlantTruth> {
        self.truth.plants.iter_mut().find(|p| p.problem == problem)
    }

    fn record(&mut self, problem: Problem, trace: &str, waste: f64) {
        if let Some(p) = self.plant(problem) {
            if p.traces.last().map(String::as_str) != Some(trace) {
                p.traces.push(trace.to_string());
            }
            p.waste_usd += waste;
        }
    }

    /// The system prompt of `operation` (about `chars` characters).
    fn prompt(&mut self, operation: &'static str, chars: usize) -> Arc<str> {
        self.prompts.entry(operation).or_insert_with(|| text::system_prompt(operation, chars).into()).clone()
    }

    fn uuid(&mut self) -> String {
        uuid_of(&mut self.rng)
    }

    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        LogNormal::new(median.ln(), sigma).expect("valid lognormal").sample(&mut self.rng)
    }

    fn tokens(&mut self, median: f64, sigma: f64) -> u64 {
        self.lognormal(median, sigma).round().max(1.0) as u64
    }

    /// A trace start: weekdays busier than weekends, traffic growing 30% over the window.
    fn trace_start(&mut self) -> DateTime<Utc> {
        let span_s = i64::from(self.cfg.days) * 86_400 - 4 * 3_600;
        let start = self.cfg.end - Duration::seconds(i64::from(self.cfg.days) * 86_400) + Duration::hours(2);
        loop {
            let offset = self.rng.random_range(0..span_s);
            let t = start + Duration::seconds(offset);
            let weekday = chrono::Datelike::weekday(&t).num_days_from_monday();
            let weight = if weekday >= 5 { 0.55 } else { 1.0 } * (1.0 + 0.3 * offset as f64 / span_s as f64) / 1.3;
            if self.rng.random_bool(weight.clamp(0.0, 1.0)) {
                return t;
            }
        }
    }

    fn next_trace(&mut self) {
        self.trace_no += 1;
        let mut t = Trace {
            id: self.uuid(),
            user: format!("user_{}", self.rng.random_range(0..400)),
            clock: self.trace_start(),
            customer: text::customer_message(&mut self.rng, self.trace_no),
            events: Vec::new(),
            tags: None,
        };
        if let Some(plant) = &mut self.segment_plant {
            t.user = plant.user(std::mem::take(&mut t.user));
            t.tags = Some(segments::SegmentPlant::tags(&t.user));
        }
        let started = t.clock;
        self.safety_check(&mut t);
        self.classify_intent(&mut t);
        self.retrieve_context(&mut t);
        self.agent_steps(&mut t);
        self.draft_answer(&mut t);
        if self.rng.random_bool(0.4) {
            self.generate_title(&mut t);
        }
        if self.rng.random_bool(0.5) {
            self.extract_entities(&mut t);
        }
        if self.rng.random_bool(0.25) {
            self.summarize_thread(&mut t);
        }
        let latency = round3((t.clock - started).num_milliseconds() as f64 / 1000.0);
        let trace = Record::Trace { uuid: self.uuid(), distinct_id: t.user.clone(), timestamp: t.clock, trace_id: t.id.clone(), latency };
        let after = self.signals.after_trace(&t.id, &t.user, t.clock);
        t.events.extend(after.into_iter().map(DemoRecord::signal_event));
        if let Some(plant) = &mut self.span_plant {
            plant.plant(&mut t);
        }
        self.truth.traces += 1;
        self.buffer.extend(t.events);
        self.buffer.push_back(DemoRecord(trace));
    }

    fn safety_check(&mut self, t: &mut Trace) {
        let mut call = Call::new(ops::SAFETY_CHECK, CLAUDE_HAIKU, self.prompt(ops::SAFETY_CHECK, 600), t.customer.clone());
        let usage = Usage { input: self.tokens(230.0, 0.15), output: self.tokens(8.0, 0.2), ..Usage::default() };
        let mut usage = self.changes.safety_usage(t.clock, usage);
        if let Some(plant) = &mut self.cache_plant {
            usage = plant.usage(usage);
            call.inclusive_cache = true;
        }
        let inclusive = call.inclusive_cache;
        if self.emit(t, call, usage, Outcome::text("{\"safe\": true}")).is_some() && inclusive {
            if let Some(plant) = &mut self.cache_plant {
                plant.record(&CLAUDE_HAIKU, &usage);
            }
        }
    }

    fn classify_intent(&mut self, t: &mut Trace) {
        let misuse = self.cfg.plants.model_misuse;
        let model = if misuse { CLAUDE_SONNET } else { CLAUDE_HAIKU };
        let call = Call::new(ops::CLASSIFY_INTENT, model, self.prompt(ops::CLASSIFY_INTENT, 1_200), t.customer.clone());
        let usage = Usage { input: self.tokens(420.0, 0.2), output: self.tokens(6.0, 0.2), ..Usage::default() };
        let intent = ["refund", "replacement", "troubleshooting", "billing", "cancellation"][self.rng.random_range(0..5)];
        if let Some(cost) = self.emit(t, call, usage, Outcome::text(&format!("{{\"intent\": \"{intent}\"}}"))) {
            if misuse {
                let waste = cost - CLAUDE_HAIKU.total_cost(&usage);
                self.record(Problem::ModelMisuse, &t.id.clone(), waste);
            }
        }
    }

    fn retrieve_context(&mut self, t: &mut Trace) {
        t.events.extend(self.signals.embed(&t.id, &t.user, t.clock).map(DemoRecord::signal_event));
        let call = Call::new(ops::RETRIEVE_CONTEXT, GPT_4O_MINI, self.prompt(ops::RETRIEVE_CONTEXT, 900), t.customer.clone());
        let mut usage = Usage { input: self.tokens(600.0, 0.3), output: self.tokens(60.0, 0.3), ..Usage::default() };
        if matches!(t.tags, Some((_, "test"))) {
            usage.input *= segments::TEST_TOKEN_FACTOR;
            usage.output *= segments::TEST_TOKEN_FACTOR;
        }
        let out = text::filler(&mut self.rng, 200);
        self.emit(t, call, usage, Outcome::text(&format!("search: {out}")));
    }

    fn agent_steps(&mut self, t: &mut Trace) {
        let turns = match self.rng.random_range(0..100) {
            0..35 => 1,
            35..65 => 2,
            65..85 => 3,
            _ => 4,
        };
        let storm = self.cfg.plants.retry_storm && self.rng.random_bool(0.04);
        let system = self.prompt(ops::AGENT_STEP, 2_000);
        let mut history = t.customer.clone();
        for turn in 0..turns {
            let last = turn + 1 == turns;
            let input = self.tokens(1_200.0, 0.2) + 400 * turn as u64;
            let call = Call::new(ops::AGENT_STEP, GPT_4O, system.clone(), history.clone()).with_tools();
            let outcome = if last {
                Outcome::text(&text::filler(&mut self.rng, 450))
            } else {
                Outcome::tool("lookup_order", json!({"order": self.trace_no}))
            };
            let output = if last { self.tokens(120.0, 0.3) } else { self.tokens(40.0, 0.2) };
            let usage = Usage { input, output, ..Usage::default() };
            if storm && turn == 0 {
                // The response fails the app's schema check; it resends the same request.
                for _ in 0..self.rng.random_range(4..=9) {
                    let bad = Outcome::text("{\"action\": \"lookup_order\", \"order\": ");
                    if let Some(cost) = self.emit(t, call.clone(), usage, bad) {
                        self.record(Problem::RetryStorm, &t.id.clone(), cost);
                    }
                }
            }
            self.emit(t, call, usage, outcome);
            history.push_str(&format!(" [tool result {turn}] {}", text::filler(&mut self.rng, (400.0 * CHARS_PER_TOKEN) as usize)));
        }
    }

    fn draft_answer(&mut self, t: &mut Trace) {
        let context_tokens = self.tokens(900.0, 0.15);
        let context = format!("{} Context: {}", t.customer, text::filler(&mut self.rng, (context_tokens as f64 * CHARS_PER_TOKEN) as usize));
        let call = Call::new(ops::DRAFT_ANSWER, CLAUDE_SONNET, self.prompt(ops::DRAFT_ANSWER, DRAFT_SYSTEM_CHARS), context);
        let output = self.tokens(350.0, 0.35);
        let usage = if self.cfg.plants.uncached_prompt {
            self.draft_calls.push(t.clock);
            Usage { input: DRAFT_SYSTEM_TOKENS + context_tokens, output, ..Usage::default() }
        } else if self.rng.random_bool(0.9) {
            Usage { input: context_tokens, output, cache_read: DRAFT_SYSTEM_TOKENS, cache_write: 0 }
        } else {
            Usage { input: context_tokens, output, cache_read: 0, cache_write: DRAFT_SYSTEM_TOKENS }
        };
        if self.cfg.plants.uncached_prompt {
            self.record(Problem::UncachedPrompt, &t.id.clone(), 0.0);
        }
        let answer = text::filler(&mut self.rng, 1_300);
        self.emit(t, call, usage, Outcome::text(&answer));
    }

    fn generate_title(&mut self, t: &mut Trace) {
        let truncation = self.cfg.plants.truncation;
        let max_tokens = if truncation { 12 } else { 40 };
        let call = Call::new(ops::GENERATE_TITLE, GPT_4O_MINI, self.prompt(ops::GENERATE_TITLE, 500), t.customer.clone()).max_tokens(max_tokens);
        let wanted = if truncation { self.tokens(11.0, 0.35) } else { self.tokens(9.0, 0.3) };
        let usage = Usage { input: self.tokens(300.0, 0.2), output: wanted.min(max_tokens), ..Usage::default() };
        let mut outcome = Outcome::text("Customer asks about a damaged order and wants a");
        let cut_off = wanted >= max_tokens;
        if cut_off {
            outcome.stop_reason = "length";
        }
        if self.emit(t, call, usage, outcome).is_some() && cut_off && truncation {
            self.record(Problem::Truncation, &t.id.clone(), 0.0);
        }
    }

    fn extract_entities(&mut self, t: &mut Trace) {
        let call = Call::new(ops::EXTRACT_ENTITIES, self.changes.entities_model(t.clock), self.prompt(ops::EXTRACT_ENTITIES, 1_000), t.customer.clone());
        let usage = Usage { input: self.tokens(900.0, 0.25), output: self.tokens(140.0, 0.3), ..Usage::default() };
        self.emit(t, call, usage, Outcome::text("{\"order_id\": \"…\", \"product\": \"…\", \"sentiment\": \"negative\"}"));
    }

    fn summarize_thread(&mut self, t: &mut Trace) {
        let normal = self.tokens(2_500.0, 0.3);
        let bloated = self.cfg.plants.prompt_bloat && self.rng.random_bool(0.12);
        let input = if bloated { (normal as f64 * self.rng.random_range(8.0..14.0)) as u64 } else { normal };
        let history_chars = ((input as f64 * CHARS_PER_TOKEN) as usize).min(12_000);
        let history = format!("{} Thread so far: {}", t.customer, text::filler(&mut self.rng, history_chars));
        let call = Call::new(ops::SUMMARIZE_THREAD, GPT_4O, self.prompt(ops::SUMMARIZE_THREAD, 700), history);
        let usage = Usage { input, output: self.tokens(260.0, 0.3), ..Usage::default() };
        let summary = text::filler(&mut self.rng, 1_000);
        if self.emit(t, call, usage, Outcome::text(&summary)).is_some() && bloated {
            let waste = (input - normal) as f64 * GPT_4O.input / 1e6;
            self.record(Problem::PromptBloat, &t.id.clone(), waste);
        }
    }

    /// Emits one generation (after a failed attempt and its retry, sometimes).
    /// Returns the cost of the successful call, `None` if it failed for good.
    fn emit(&mut self, t: &mut Trace, call: Call, usage: Usage, outcome: Outcome) -> Option<f64> {
        let roll: f64 = self.rng.random();
        let failure = match call.model.provider {
            _ if roll < 0.004 => Some((Some(500), "Internal server error", 1.0)),
            "anthropic" if roll < 0.007 => Some((Some(529), "Overloaded", 0.5)),
            _ if roll < 0.007 => Some((Some(429), "Rate limit reached for requests. Please try again in 2s.", 0.3)),
            _ if roll < 0.009 => Some((None, "Request timed out.", 60.0)),
            _ => None,
        };
        if let Some((status, message, latency)) = failure {
            let failed = Outcome { error: Some((status, message)), ..outcome.clone() };
            self.push(t, &call, Usage::default(), &failed, latency);
        }
        let ttft = self.lognormal(0.5, 0.4);
        // Cache tokens a LangChain input count holds are not read again: the latency is that of the billed input.
        let read = if call.inclusive_cache { audit::billed(&usage).input } else { usage.input };
        let latency = ttft + usage.output as f64 / call.model.tokens_per_s + read as f64 / 20_000.0;
        self.push(t, &call, usage, &outcome, latency);
        Some(call.model.total_cost(&usage))
    }

    fn push(&mut self, t: &mut Trace, call: &Call, usage: Usage, outcome: &Outcome, latency: f64) {
        let (input_cost, output_cost) = call.model.cost(&usage);
        let experiment = call.operation == ops::RETRIEVE_CONTEXT;
        let segment: Vec<(&'static str, &'static str)> = t.tags.iter().flat_map(|&(plan, variant)| std::iter::once((PLAN, plan)).chain(experiment.then_some((FLAG, variant)))).collect();
        if let (Some(plant), Some(truth)) = (&mut self.segment_plant, &mut self.truth.segments) {
            let recorded = if call.model.priced_by_posthog { input_cost + output_cost } else { 0.0 };
            plant.record(truth, &t.user, recorded, t.tags.filter(|_| experiment).map(|(_, v)| v));
        }
        let record = GenerationRecord {
            uuid: self.uuid(),
            span_id: self.uuid(),
            parent_id: t.id.clone(),
            distinct_id: t.user.clone(),
            timestamp: t.clock,
            trace_id: t.id.clone(),
            call: call.clone(),
            usage,
            outcome: outcome.clone(),
            latency: round3(latency),
            cost: call.model.priced_by_posthog.then_some((input_cost, output_cost)),
            segment,
        };
        t.clock += Duration::milliseconds((latency * 1000.0) as i64 + 5);
        let judged = signals::Judged { uuid: &record.uuid, trace_id: &t.id, distinct_id: &t.user, operation: call.operation, model: call.model.name, at: record.timestamp };
        let evaluation = if outcome.error.is_none() { self.signals.judge(&judged) } else { None };
        t.events.push(DemoRecord(Record::Generation(Box::new(record))));
        t.events.extend(evaluation.map(DemoRecord::signal_event));
        self.emitted += 1;
        self.truth.generations += 1;
        let true_cost = if call.inclusive_cache { call.model.total_cost(&audit::billed(&usage)) } else { input_cost + output_cost };
        self.truth.cost_usd += true_cost;
        self.changes.observe(call.operation, t.clock, true_cost);
    }

    /// Prices the uncached system prompt once every call is known: a cache
    /// hit reads it at the cache price; a call more than the cache lifetime
    /// after the previous one writes it instead.
    fn finish(&mut self) {
        self.truth.changes = self.changes.truths();
        self.truth.cost_pattern = self.cache_plant.as_ref().map(|p| p.truth.clone());
        if self.plant(Problem::UncachedPrompt).is_none() {
            return;
        }
        let mut calls = std::mem::take(&mut self.draft_calls);
        crate::order::sort(&mut calls);
        let m = CLAUDE_SONNET;
        let per_token_saving = |hit: bool| if hit { m.input - m.cache_read } else { m.input - m.cache_write };
        let waste: f64 = calls
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let hit = i > 0 && (*t - calls[i - 1]).num_seconds() <= CACHE_TTL_S;
                DRAFT_SYSTEM_TOKENS as f64 * per_token_saving(hit) / 1e6
            })
            .sum();
        if let Some(p) = self.plant(Problem::UncachedPrompt) {
            p.waste_usd = waste;
        }
    }
}

impl Iterator for DemoGenerator {
    type Item = DemoRecord;

    fn next(&mut self) -> Option<DemoRecord> {
        while self.buffer.is_empty() {
            if self.emitted >= self.cfg.generations {
                if !self.done {
                    self.done = true;
                    self.truth.signals = self.signals.truth.clone();
                    self.finish();
                }
                return None;
            }
            self.next_trace();
        }
        self.buffer.pop_front()
    }
}

/// A trace being generated.
struct Trace {
    id: String,
    user: String,
    clock: DateTime<Utc>,
    customer: String,
    events: Vec<DemoRecord>,
    /// The user's plan and flag variant, when the segments are planted.
    tags: Option<(&'static str, &'static str)>,
}

/// One event of the demo project, as a PostHog [`Event`] (for export) or
/// directly as the [`Generation`] the in-memory source reads, which skips
/// building and re-reading the JSON. Both views agree (tested).
pub struct DemoRecord(Record);

enum Record {
    Generation(Box<GenerationRecord>),
    /// An evaluation, feedback, metric or embedding event.
    Signal(Box<Event>),
    Trace { uuid: String, distinct_id: String, timestamp: DateTime<Utc>, trace_id: String, latency: f64 },
    /// A step of a chain (the spans plant).
    Span(Box<spans::SpanRecord>),
}

/// One LLM call of the demo.
struct GenerationRecord {
    uuid: String,
    span_id: String,
    /// `$ai_parent_id`: the trace, or the step span the spans plant put the call under.
    parent_id: String,
    distinct_id: String,
    timestamp: DateTime<Utc>,
    trace_id: String,
    call: Call,
    usage: Usage,
    outcome: Outcome,
    latency: f64,
    /// PostHog's (input, output) cost; `None` when PostHog can't price the model.
    cost: Option<(f64, f64)>,
    /// Custom and feature-flag properties (the segments plant).
    segment: Vec<(&'static str, &'static str)>,
}

/// A chat message as the SDKs record it in `$ai_input`.
#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

impl DemoRecord {
    /// The record as a PostHog event, properties as the Python SDK and
    /// PostHog's ingestion leave them.
    pub fn event(&self) -> Event {
        match &self.0 {
            Record::Trace { uuid, distinct_id, timestamp, trace_id, latency } => {
                let mut p = Map::new();
                p.insert("$ai_trace_id".into(), json!(trace_id));
                p.insert("$ai_span_name".into(), json!("support_request"));
                p.insert("$ai_latency".into(), json!(latency));
                p.insert("$ai_lib".into(), json!("posthog-python"));
                Event { uuid: uuid.clone(), event: "$ai_trace".into(), distinct_id: distinct_id.clone(), timestamp: *timestamp, properties: p }
            }
            Record::Generation(g) => g.event(),
            Record::Signal(e) => (**e).clone(),
            Record::Span(s) => s.event(),
        }
    }

    fn signal_event(e: Event) -> Self {
        DemoRecord(Record::Signal(Box::new(e)))
    }

    /// The record as the in-memory source reads a quality-signal event; `None` for the others.
    pub fn signal(&self) -> Option<crate::source::memory::SignalEvent> {
        match &self.0 {
            Record::Signal(e) => crate::source::memory::SignalEvent::from_event(e),
            _ => None,
        }
    }

    /// The record as the in-memory source reads it; `None` for non-generations.
    pub fn generation(&self) -> Option<Generation> {
        match &self.0 {
            Record::Generation(g) => Some(g.generation()),
            Record::Trace { .. } | Record::Signal(_) | Record::Span(_) => None,
        }
    }

    /// The record as the in-memory source reads a span; `None` for the others.
    pub fn span(&self) -> Option<crate::source::memory::SpanEvent> {
        match &self.0 {
            Record::Span(s) => crate::source::memory::SpanEvent::from_event(&s.event()),
            _ => None,
        }
    }
}

impl GenerationRecord {
    fn messages(&self) -> [Message<'_>; 2] {
        [Message { role: "system", content: &self.call.system }, Message { role: "user", content: &self.call.user }]
    }

    fn event(&self) -> Event {
        let (m, usage, outcome) = (self.call.model, &self.usage, &self.outcome);
        let mut p = Map::new();
        p.insert("$ai_trace_id".into(), json!(self.trace_id));
        p.insert("$ai_span_id".into(), json!(self.span_id));
        p.insert("$ai_parent_id".into(), json!(self.parent_id));
        p.insert("$ai_span_name".into(), json!(self.call.operation));
        p.insert("$ai_provider".into(), json!(m.provider));
        p.insert("$ai_model".into(), json!(m.name));
        p.insert("$ai_model_parameters".into(), json!({"temperature": 0.2, "max_tokens": self.call.max_tokens}));
        p.insert("$ai_max_tokens".into(), json!(self.call.max_tokens));
        p.insert("$ai_temperature".into(), json!(0.2));
        p.insert("$ai_stream".into(), json!(false));
        p.insert("$ai_input".into(), serde_json::to_value(self.messages()).unwrap_or_default());
        if self.call.tools {
            p.insert("$ai_tools".into(), json!([{"type": "function", "function": {"name": "lookup_order"}}]));
        }
        p.insert("$ai_latency".into(), json!(self.latency));
        p.insert("$ai_lib".into(), json!("posthog-python"));
        p.insert("$ai_lib_version".into(), json!("6.7.0"));
        if self.call.inclusive_cache {
            p.insert("$ai_framework".into(), json!(LANGCHAIN));
        }
        p.insert("$ai_base_url".into(), json!(format!("https://api.{}.example", m.provider)));
        match outcome.error {
            Some((status, message)) => {
                p.insert("$ai_is_error".into(), json!(true));
                p.insert("$ai_error".into(), json!(message));
                if let Some(s) = status {
                    p.insert("$ai_http_status".into(), json!(s));
                }
                p.insert("$ai_input_tokens".into(), json!(0));
                p.insert("$ai_output_tokens".into(), json!(0));
            }
            None => {
                p.insert("$ai_http_status".into(), json!(200));
                p.insert("$ai_is_error".into(), json!(false));
                p.insert("$ai_output_choices".into(), outcome.output.clone());
                p.insert("$ai_stop_reason".into(), json!(outcome.stop_reason));
                p.insert("$ai_input_tokens".into(), json!(usage.input));
                p.insert("$ai_output_tokens".into(), json!(usage.output));
                if usage.cache_read > 0 {
                    p.insert("$ai_cache_read_input_tokens".into(), json!(usage.cache_read));
                }
                if usage.cache_write > 0 {
                    p.insert("$ai_cache_creation_input_tokens".into(), json!(usage.cache_write));
                }
            }
        }
        if let Some((input_cost, output_cost)) = self.cost {
            p.insert("$ai_input_cost_usd".into(), json!(input_cost));
            p.insert("$ai_output_cost_usd".into(), json!(output_cost));
            p.insert("$ai_total_cost_usd".into(), json!(input_cost + output_cost));
            p.insert("$ai_cost_model_source".into(), json!(COST_SOURCE));
        }
        p.extend(self.segment_props());
        Event { uuid: self.uuid.clone(), event: AI_GENERATION.into(), distinct_id: self.distinct_id.clone(), timestamp: self.timestamp, properties: p }
    }

    /// The custom and feature-flag properties, as the event carries them.
    fn segment_props(&self) -> Map<String, Value> {
        self.segment.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
    }

    fn generation(&self) -> Generation {
        let (usage, failed) = (&self.usage, self.outcome.error);
        let nonzero = |n: u64| (n > 0).then_some(n);
        Generation {
            uuid: self.uuid.clone(),
            timestamp: self.timestamp,
            trace_id: self.trace_id.clone(),
            span_id: self.span_id.clone(),
            parent_id: self.parent_id.clone(),
            operation: self.call.operation.to_string(),
            naming: crate::contract::Naming::SpanName,
            model: self.call.model.name.to_string(),
            provider: self.call.model.provider.to_string(),
            lib: "posthog-python".into(),
            input_tokens: Some(usage.input),
            output_tokens: Some(usage.output),
            cache_read_tokens: failed.map_or(nonzero(usage.cache_read), |_| None),
            cache_write_tokens: failed.map_or(nonzero(usage.cache_write), |_| None),
            reasoning_tokens: None,
            cache_write_1h_tokens: None,
            framework: if self.call.inclusive_cache { LANGCHAIN.into() } else { String::new() },
            cost_source: self.cost.map(|_| COST_SOURCE.to_string()),
            cost_usd: self.cost.map(|(i, o)| i + o),
            input_cost_usd: self.cost.map(|(i, _)| i),
            output_cost_usd: self.cost.map(|(_, o)| o),
            latency_s: Some(self.latency),
            is_error: failed.is_some(),
            http_status: failed.map_or(Some(200), |(status, _)| status),
            error: failed.map(|(_, message)| message.to_string()),
            stop_reason: failed.map_or(Some(self.outcome.stop_reason.to_string()), |_| None),
            max_tokens: Some(self.call.max_tokens),
            cache_exclusive: None,
            input: Some(digest(&self.messages()).finish_prompt()),
            output: failed.map_or(Some(digest(&self.outcome.output).finish()), |_| None::<TextDigest>),
            dirty_numbers: 0,
            distinct_id: crate::source::digest::prefix(&self.distinct_id, crate::contract::NAME_CHARS).to_string(),
            segment_props: crate::source::event::segment_props(&self.segment_props()),
        }
    }
}

/// `$ai_framework` of the calls sent through LangChain.
const LANGCHAIN: &str = "langchain";
/// `$ai_cost_model_source` of the calls PostHog priced (its OpenRouter-based table first).
const COST_SOURCE: &str = "openrouter";

/// A value's compact JSON, as HogQL reads a JSON property, ready to digest.
fn digest<T: Serialize>(value: &T) -> DigestWriter {
    let mut w = DigestWriter::new();
    // Writing into a DigestWriter cannot fail.
    let _ = serde_json::to_writer(&mut w, value);
    w
}

/// One request an operation sends.
#[derive(Clone)]
struct Call {
    operation: &'static str,
    model: DemoModel,
    system: Arc<str>,
    user: String,
    max_tokens: u64,
    tools: bool,
    /// Sent through LangChain, whose input counts hold the cache tokens.
    inclusive_cache: bool,
}

impl Call {
    fn new(operation: &'static str, model: DemoModel, system: Arc<str>, user: String) -> Self {
        Call { operation, model, system, user, max_tokens: 1_024, tools: false, inclusive_cache: false }
    }

    fn with_tools(mut self) -> Self {
        self.tools = true;
        self
    }

    fn max_tokens(mut self, n: u64) -> Self {
        self.max_tokens = n;
        self
    }
}

/// How a call ended.
#[derive(Clone)]
struct Outcome {
    output: Value,
    stop_reason: &'static str,
    error: Option<(Option<u16>, &'static str)>,
}

impl Outcome {
    fn text(s: &str) -> Self {
        Outcome { output: text::choice(s), stop_reason: "stop", error: None }
    }

    fn tool(name: &str, args: Value) -> Self {
        Outcome { output: text::tool_call(name, args), stop_reason: "tool_calls", error: None }
    }
}

/// The events of `records` as the in-memory source reads them.
#[derive(Default)]
pub struct Split {
    pub generations: Vec<Generation>,
    /// The quality-signal events.
    pub signals: Vec<crate::source::memory::SignalEvent>,
    pub spans: Vec<crate::source::memory::SpanEvent>,
}

impl Split {
    /// An in-memory source holding these events.
    pub fn into_source(self) -> crate::source::memory::MemorySource {
        crate::source::memory::MemorySource::from_generations(self.generations).with_signals(self.signals).with_spans(self.spans)
    }
}

/// The generations, the quality-signal events and the spans of `records`.
pub fn split(records: impl IntoIterator<Item = DemoRecord>) -> Split {
    let mut out = Split::default();
    for r in records {
        match r.generation() {
            Some(g) => out.generations.push(g),
            None => {
                out.signals.extend(r.signal());
                out.spans.extend(r.span());
            }
        }
    }
    out
}

/// A version-4 uuid drawn from `rng`.
fn uuid_of(rng: &mut Pcg64) -> String {
    let a: u64 = rng.random();
    let b: u64 = rng.random();
    let (a, b) = ((a & !0xf000) | 0x4000, (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000);
    format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff, b >> 48, b & 0xffff_ffff_ffff)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
