//! A second test project, written apart from the demo generator: an agent
//! product whose events look like the PostHog SDKs' (`$ai_generation` with
//! `$ai_trace_id`, `$ai_span_name`, tokens, costs, latency, the messages as
//! JSON), with leaks planted the way real projects have them. It knows the
//! shape of what it plants but computes no truth: the tests work the truth
//! out from the raw events.
//!
//! Every text's token count is its JSON text's length / 4 (rounded up), so
//! a prefix of `c` characters is about `c / 4` tokens.
//!
//! Plants (all off in [`Config::clean`]):
//! - [`AGENT`]: agent loops of 6-15 turns on Claude Haiku; in 70% of the
//!   traces each turn re-sends the whole history (+600 to 1,200 tokens a
//!   turn), the others send flat inputs. Anthropic caches only prompts
//!   marked for it, so no call reads from cache.
//! - [`SUPPORT`]: a 12,000-character system prompt on Claude Sonnet, never
//!   cached, calls minutes apart in business hours.
//! - About 2% of generations emitted twice with the same `uuid`.
//! - A few dozen dirty numbers (negative, `NaN`, `n/a`, 1e308, -1e300,
//!   2e7 tokens, a latency of 1e9 s), as strings and as JSON numbers, on
//!   [`CLASSIFY`].
//! - A flood of [`JUNK_NAMES`] made-up span names, one cheap call each.
//! - [`EXTRACT`] on `gemini-2.0-flash` with `$ai_provider: gemini` (a pair
//!   the price table lacks): some calls carry PostHog's recorded costs, the
//!   others none.
//! - Generations of [`CLASSIFY`] with no or an empty `$ai_trace_id`.
#![allow(dead_code)] // each test binary uses a part

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::{json, Map, Value};
use trace_optimizer::source::event::Event;

/// The agent loop: the history-growth plant.
pub const AGENT: &str = "agent_step";
/// The planning call that opens each agent trace.
pub const PLAN: &str = "plan_task";
/// The support reply with the long shared system prompt: the caching plant.
pub const SUPPORT: &str = "support_reply";
/// Document extraction on Gemini through the Gemini API.
pub const EXTRACT: &str = "extract_fields";
/// Ticket classification: cheap, frequent, where the dirty numbers land.
pub const CLASSIFY: &str = "classify_ticket";
/// The project's real operations.
pub const OPERATIONS: [&str; 5] = [AGENT, PLAN, SUPPORT, EXTRACT, CLASSIFY];
/// Made-up span names in the flood.
pub const JUNK_NAMES: usize = 3_200;
/// Characters of [`SUPPORT`]'s system prompt when planted.
pub const SUPPORT_PROMPT_CHARS: usize = 12_000;
/// The recorded per-token prices of `gemini-2.0-flash` on the Gemini API
/// (input, output), the rate PostHog writes into `$ai_input_cost_usd` and
/// `$ai_output_cost_usd`.
pub const GEMINI_RATE: (f64, f64) = (1.0e-7, 4.0e-7);
/// Prices (input, output per token) the generator writes into
/// `$ai_total_cost_usd`, copied from the bundled LiteLLM table.
const PRICES: [(&str, &str, f64, f64); 4] = [
    ("claude-haiku-4-5", "anthropic", 1e-6, 5e-6),
    ("gpt-4.1-mini", "openai", 4e-7, 1.6e-6),
    ("gpt-4o-mini", "openai", 1.5e-7, 6e-7),
    ("claude-sonnet-4-5", "anthropic", 3e-6, 1.5e-5),
];

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Whether the leaks and the dirt are planted.
    pub plants: bool,
    /// The window's end; events fall in the `days` before it.
    pub end: DateTime<Utc>,
    pub days: u32,
    pub agent_traces: usize,
    pub support_calls: usize,
    pub extract_calls: usize,
    pub classify_calls: usize,
}

impl Config {
    /// The planted project.
    pub fn planted() -> Self {
        Config {
            seed: 11,
            plants: true,
            end: Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap(),
            days: 14,
            agent_traces: 150,
            support_calls: 320,
            extract_calls: 1_500,
            classify_calls: 1_200,
        }
    }

    /// The same project with nothing planted: flat agent inputs, a short
    /// support prompt (below every provider's cacheable minimum), no
    /// repeats, no dirt, no flood, every call priced and traced.
    pub fn clean() -> Self {
        Config { plants: false, ..Config::planted() }
    }
}

const WORDS: [&str; 48] = [
    "the", "customer", "order", "refund", "account", "invoice", "shipping", "status", "update", "please", "check", "policy", "delivery", "warehouse", "item",
    "returned", "damaged", "payment", "card", "declined", "address", "changed", "tracking", "number", "support", "agent", "escalate", "review", "ticket",
    "priority", "subscription", "renewal", "cancel", "plan", "upgrade", "credit", "balance", "report", "search", "result", "tool", "file", "summary",
    "draft", "reply", "note", "step", "done",
];

struct Gen {
    rng: Pcg64,
    cfg: Config,
    events: Vec<Event>,
}

/// A token count of a text as the project's tokenizer sees it.
pub fn tokens_of(chars: usize) -> u64 {
    chars.div_ceil(4) as u64
}

fn price(model: &str) -> (f64, f64) {
    PRICES.iter().find(|p| p.0 == model).map(|p| (p.2, p.3)).expect("a model the generator prices")
}

fn provider(model: &str) -> &'static str {
    PRICES.iter().find(|p| p.0 == model).map(|p| p.1).unwrap_or("gemini")
}

/// One call as the generator builds it before it becomes an event.
struct Call {
    at: DateTime<Utc>,
    trace: Option<String>,
    op: String,
    model: &'static str,
    messages: Value,
    output: String,
    stop: &'static str,
    error: bool,
    lib: &'static str,
    distinct: String,
}

impl Gen {
    fn uuid(&mut self) -> String {
        let (a, b, c, d, e): (u32, u16, u16, u16, u64) = (self.rng.random(), self.rng.random(), self.rng.random(), self.rng.random(), self.rng.random());
        format!("{a:08x}-{b:04x}-4{:03x}-{:04x}-{:012x}", c & 0xfff, 0x8000 | (d & 0x3fff), e & 0xffff_ffff_ffff)
    }

    /// Prose of exactly `chars` characters (letters, spaces and full stops,
    /// nothing JSON escapes).
    fn text(&mut self, chars: usize) -> String {
        let mut s = String::with_capacity(chars + 16);
        while s.len() < chars {
            let w = WORDS[self.rng.random_range(0..WORDS.len())];
            s.push_str(w);
            s.push(if self.rng.random_bool(0.08) { '.' } else { ' ' });
        }
        s.truncate(chars);
        s
    }

    /// Prose of a length drawn from `chars`.
    fn text_in(&mut self, chars: std::ops::Range<usize>) -> String {
        let n = self.rng.random_range(chars);
        self.text(n)
    }

    /// A moment in the window, in the business hours (08:00-18:00 UTC) of a weekday-ish day.
    fn business_moment(&mut self) -> DateTime<Utc> {
        let day = self.rng.random_range(1..self.cfg.days as i64);
        let start = self.cfg.end - Duration::days(day);
        start + Duration::milliseconds(self.rng.random_range(8 * 3_600_000..18 * 3_600_000))
    }

    fn push(&mut self, c: Call) -> usize {
        let input = serde_json::to_string(&c.messages).unwrap();
        let output = json!([{"role": "assistant", "content": c.output}]);
        let (input_tokens, output_tokens) = if c.error { (0, 0) } else { (tokens_of(input.len()), tokens_of(c.output.len())) };
        let latency = if c.error { self.rng.random_range(0.2..2.0) } else { 0.3 + output_tokens as f64 * self.rng.random_range(0.01..0.03) };
        let mut p = Map::new();
        if let Some(t) = &c.trace {
            p.insert("$ai_trace_id".into(), json!(t));
        }
        p.insert("$ai_span_name".into(), json!(c.op));
        p.insert("$ai_span_id".into(), json!(self.uuid()));
        p.insert("$ai_model".into(), json!(c.model));
        p.insert("$ai_provider".into(), json!(provider(c.model)));
        p.insert("$ai_input".into(), c.messages);
        p.insert("$ai_input_tokens".into(), json!(input_tokens));
        p.insert("$ai_output_tokens".into(), json!(output_tokens));
        if c.error {
            p.insert("$ai_is_error".into(), json!(true));
            p.insert("$ai_http_status".into(), json!(529));
            p.insert("$ai_error".into(), json!("overloaded_error: Overloaded"));
        } else {
            p.insert("$ai_output_choices".into(), output);
            p.insert("$ai_stop_reason".into(), json!(c.stop));
        }
        if provider(c.model) == "anthropic" {
            p.insert("$ai_cache_read_input_tokens".into(), json!(0));
            p.insert("$ai_cache_creation_input_tokens".into(), json!(0));
        }
        if provider(c.model) != "gemini" {
            let (i, o) = price(c.model);
            let (ic, oc) = (input_tokens as f64 * i, output_tokens as f64 * o);
            p.insert("$ai_input_cost_usd".into(), json!(ic));
            p.insert("$ai_output_cost_usd".into(), json!(oc));
            p.insert("$ai_total_cost_usd".into(), json!(ic + oc));
        }
        p.insert("$ai_latency".into(), json!((latency * 1000.0).round() / 1000.0));
        p.insert("$lib".into(), json!(c.lib));
        p.insert("$ai_lib".into(), json!("posthog-ai"));
        let uuid = self.uuid();
        self.events.push(Event { uuid, event: "$ai_generation".into(), distinct_id: c.distinct, timestamp: c.at, properties: p });
        self.events.len() - 1
    }

    fn other_event(&mut self, name: &str, at: DateTime<Utc>, distinct: String, props: Value) {
        let uuid = self.uuid();
        self.events.push(Event { uuid, event: name.into(), distinct_id: distinct, timestamp: at, properties: props.as_object().unwrap().clone() });
    }

    fn agent_traces(&mut self) {
        let system = format!("You are the operations agent. {}", self.text(1_500));
        for _ in 0..self.cfg.agent_traces {
            let trace = self.uuid();
            let user = format!("user-{}", self.rng.random_range(1..400));
            let mut at = self.business_moment();
            let task = self.text_in(600..2_000);
            let plan_out = self.text_in(400..900);
            let plan = json!([{"role": "system", "content": "Plan the steps of the task. Answer with a numbered list."}, {"role": "user", "content": task}]);
            self.push(Call { at, trace: Some(trace.clone()), op: PLAN.into(), model: "gpt-4.1-mini", messages: plan, output: plan_out, stop: "stop", error: false, lib: "posthog-python", distinct: user.clone() });
            let turns = self.rng.random_range(6..=15);
            let grows = self.cfg.plants && self.rng.random_bool(0.7);
            let mut history = vec![json!({"role": "system", "content": system}), json!({"role": "user", "content": task})];
            for turn in 0..turns {
                at += Duration::milliseconds(self.rng.random_range(2_000..25_000));
                let last = turn + 1 == turns;
                let output = self.text_in(500..1_400);
                let messages = if grows {
                    Value::Array(history.clone())
                } else {
                    // A flat loop: the system prompt, the task and this step's note only.
                    let note = format!("Step {turn}. {}", self.text_in(180..260));
                    json!([history[0], history[1], {"role": "user", "content": note}])
                };
                self.push(Call { at, trace: Some(trace.clone()), op: AGENT.into(), model: "claude-haiku-4-5", messages, output: output.clone(), stop: if last { "stop" } else { "tool_calls" }, error: false, lib: "posthog-python", distinct: user.clone() });
                // The turn's addition: the reply and the tool's result, 600-1,200 tokens in all.
                let added_tokens: usize = self.rng.random_range(600..=1_200);
                let tool_chars = (added_tokens * 4).saturating_sub(output.len() + 60).max(40);
                let tool = self.text(tool_chars);
                history.push(json!({"role": "assistant", "content": output}));
                history.push(json!({"role": "tool", "content": tool}));
            }
            self.other_event("$ai_trace", at, user, json!({"$ai_trace_id": trace, "$ai_span_name": "agent_run", "$lib": "posthog-python"}));
        }
    }

    fn support_calls(&mut self) {
        let chars = if self.cfg.plants { SUPPORT_PROMPT_CHARS } else { 2_000 };
        let system = self.text(chars);
        // Business-hours traffic: calls a few minutes apart, day after day.
        let mut at = self.cfg.end - Duration::days(self.cfg.days as i64 - 1) + Duration::hours(8);
        for i in 0..self.cfg.support_calls {
            let gap = -180_000.0 * (1.0 - self.rng.random::<f64>()).ln();
            at += Duration::milliseconds(gap as i64 + 1);
            if at.format("%H").to_string().parse::<u32>().unwrap() >= 18 {
                at = at.date_naive().and_hms_opt(8, 0, 0).unwrap().and_utc() + Duration::days(1) + Duration::milliseconds(self.rng.random_range(0..600_000));
            }
            let question = format!("Ticket {i}. {}", self.text_in(300..1_600));
            let messages = json!([{"role": "system", "content": system}, {"role": "user", "content": question}]);
            let output = self.text_in(600..1_800);
            let error = self.rng.random_bool(0.02);
            let distinct = format!("user-{}", self.rng.random_range(1..400));
            let trace = Some(self.uuid());
            self.push(Call { at, trace, op: SUPPORT.into(), model: "claude-sonnet-4-5", messages, output, stop: "end_turn", error, lib: "posthog-node", distinct });
        }
    }

    fn extract_calls(&mut self) {
        for _ in 0..self.cfg.extract_calls {
            let at = self.business_moment();
            let doc = self.text_in(3_000..16_000);
            let messages = json!([{"role": "user", "content": format!("Extract the invoice fields as JSON. {doc}")}]);
            let output = self.text_in(200..800);
            let trace = Some(self.uuid());
            let i = self.push(Call { at, trace, op: EXTRACT.into(), model: "gemini-2.0-flash", messages, output, stop: "STOP", error: false, lib: "posthog-python", distinct: "batch-worker".into() });
            // PostHog recorded the cost of most calls; the rest arrived without one.
            if !self.cfg.plants || self.rng.random_bool(0.6) {
                let p = &mut self.events[i].properties;
                let (it, ot) = (p["$ai_input_tokens"].as_u64().unwrap() as f64, p["$ai_output_tokens"].as_u64().unwrap() as f64);
                let (ic, oc) = (it * GEMINI_RATE.0, ot * GEMINI_RATE.1);
                p.insert("$ai_input_cost_usd".into(), json!(ic));
                p.insert("$ai_output_cost_usd".into(), json!(oc));
                p.insert("$ai_total_cost_usd".into(), json!(ic + oc));
            }
        }
    }

    fn classify_calls(&mut self) {
        let mut at_index = Vec::new();
        for _ in 0..self.cfg.classify_calls {
            let at = self.business_moment();
            let ticket = self.text_in(800..2_400);
            let messages = json!([{"role": "system", "content": "Classify the ticket: billing, shipping, account or other."}, {"role": "user", "content": ticket}]);
            let output = ["billing", "shipping", "account", "other"][self.rng.random_range(0..4)].to_string();
            let trace = Some(self.uuid());
            let distinct = format!("user-{}", self.rng.random_range(1..400));
            at_index.push(self.push(Call { at, trace, op: CLASSIFY.into(), model: "gpt-4o-mini", messages, output, stop: "stop", error: false, lib: "posthog-node", distinct }));
        }
        if !self.cfg.plants {
            return;
        }
        // Dirty numbers, each on its own call (so a call never loses both its cost and its tokens).
        let dirt: [(&str, Value); 16] = [
            ("$ai_total_cost_usd", json!(-0.47)),
            ("$ai_total_cost_usd", json!("-0.19")),
            ("$ai_total_cost_usd", json!("NaN")),
            ("$ai_total_cost_usd", json!("n/a")),
            ("$ai_total_cost_usd", json!(1e308)),
            ("$ai_total_cost_usd", json!("1e308")),
            ("$ai_total_cost_usd", json!(-1e300)),
            ("$ai_total_cost_usd", json!("Infinity")),
            ("$ai_input_tokens", json!(20_000_000)),
            ("$ai_input_tokens", json!("20000000")),
            ("$ai_input_tokens", json!(-12)),
            ("$ai_output_tokens", json!(20_000_000)),
            ("$ai_output_tokens", json!("n/a")),
            ("$ai_latency", json!(1e9)),
            ("$ai_latency", json!("1e9")),
            ("$ai_latency", json!(-3.5)),
        ];
        let mut picked = at_index.clone();
        for k in 0..picked.len() {
            let j = self.rng.random_range(k..picked.len());
            picked.swap(k, j);
        }
        let mut next = picked.into_iter();
        for (key, value) in &dirt {
            for _ in 0..3 {
                let i = next.next().unwrap();
                self.events[i].properties.insert(key.to_string(), value.clone());
            }
        }
        // Calls with no trace id, and with an empty one.
        for k in 0..30 {
            let i = next.next().unwrap();
            if k % 2 == 0 {
                self.events[i].properties.shift_remove("$ai_trace_id");
            } else {
                self.events[i].properties.insert("$ai_trace_id".into(), json!(""));
            }
        }
    }

    /// Made-up span names sent with the public token: one cheap call each.
    fn flood(&mut self) {
        let start = self.cfg.end - Duration::days(3);
        for i in 0..JUNK_NAMES {
            let at = start + Duration::milliseconds(i as i64 * 37_000 + self.rng.random_range(0..30_000));
            let name = format!("{}_{:06x}", WORDS[self.rng.random_range(0..WORDS.len())], self.rng.random::<u32>() & 0xff_ffff);
            let messages = json!([{"role": "user", "content": self.text_in(40..200)}]);
            let output = self.text(20);
            let trace = Some(self.uuid());
            self.push(Call { at, trace, op: name, model: "gpt-4o-mini", messages, output, stop: "stop", error: false, lib: "web", distinct: "flood".into() });
        }
    }

    /// Page views of the product: events the analysis must ignore.
    fn page_views(&mut self) {
        for _ in 0..200 {
            let at = self.business_moment();
            let distinct = format!("user-{}", self.rng.random_range(1..400));
            self.other_event("$pageview", at, distinct, json!({"$current_url": "https://app.example.com/tickets", "$lib": "web"}));
        }
    }

    /// About 2% of generations sent again with the same uuid (a retried
    /// batch), the copy arriving later in the export.
    fn repeats(&mut self) {
        let generations: Vec<usize> = (0..self.events.len()).filter(|&i| self.events[i].event == "$ai_generation").collect();
        let copies: Vec<Event> = generations.into_iter().filter(|_| self.rng.random_bool(0.02)).map(|i| self.events[i].clone()).collect();
        self.events.extend(copies);
    }
}

/// The project's events, in the order an export would list them (by
/// time, with repeated events last).
pub fn generate(cfg: &Config) -> Vec<Event> {
    let mut g = Gen { rng: Pcg64::seed_from_u64(cfg.seed), cfg: cfg.clone(), events: Vec::new() };
    g.agent_traces();
    g.support_calls();
    g.extract_calls();
    g.classify_calls();
    if cfg.plants {
        g.flood();
    }
    g.page_views();
    g.events.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.uuid.cmp(&b.uuid)));
    if cfg.plants {
        g.repeats();
    }
    g.events
}

/// Writes the project's events as JSONL to `path`.
pub fn write_jsonl(events: &[Event], path: &std::path::Path) -> std::io::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    trace_optimizer::source::event::write_jsonl(events, file)
}
