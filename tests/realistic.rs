//! The pipeline on a project shaped unlike the demo (`support/agent_project.rs`):
//! each planted leak is found with its true saving, the totals count each
//! generation once and only clean numbers, the data-quality counts are
//! exact, real spend survives a flood of made-up names, and the same
//! project with nothing planted gets no claim.
//!
//! Every truth is computed here from the raw events, with this file's own
//! reading of them (not the analysis' code, not the generator's settings).
//! `cargo test --test realistic -- --nocapture` prints the plants' table.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/agent_project.rs"]
mod agent_project;

use agent_project::{Config, AGENT, EXTRACT, OPERATIONS, PLAN, SUPPORT};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::recommend::Recommendation;
use trace_optimizer::analysis::{Origin, Settings};
use trace_optimizer::pipeline::{self, Prices, Request, Run};
use trace_optimizer::source::event::Event;
use trace_optimizer::source::memory::MemorySource;

/// The bound of a bounded history: the first turn plus the last K turns' additions.
const K: usize = 4;
/// A prompt cache stays warm this long after a call (seconds).
const CACHE_WINDOW_S: i64 = 300;
/// Values past these are absurd, and read as missing: a cost per call, one
/// token count of one call, a latency.
const MAX_COST_USD: f64 = 1_000.0;
const MAX_TOKENS: f64 = 10_000_000.0;
const MAX_LATENCY_S: f64 = 86_400.0;

// ---------------------------------------------------------------- reading

/// One generation as this test reads it.
struct Gen {
    at: i64,
    trace: String,
    op: String,
    model: String,
    provider: String,
    input: Option<String>,
    error: bool,
    input_tokens: Option<f64>,
    output_tokens: Option<f64>,
    cost: Option<f64>,
    input_cost: Option<f64>,
    output_cost: Option<f64>,
    /// Properties whose value was present but not a usable number.
    bad: Vec<&'static str>,
}

/// A property's number: `None` when absent or empty, `Err` when present
/// and negative, not finite, not a number, or above `max`.
fn number(props: &serde_json::Map<String, Value>, key: &str, max: f64) -> Result<Option<f64>, ()> {
    let v = match props.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match v {
        Some(x) if x.is_finite() && (0.0..=max).contains(&x) => Ok(Some(x)),
        _ => Err(()),
    }
}

/// The unique generations (first of each uuid) and how many repeats were dropped.
fn read(events: &[Event]) -> (Vec<Gen>, u64) {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut repeats = 0;
    for e in events.iter().filter(|e| e.event == "$ai_generation") {
        if !seen.insert(e.uuid.clone()) {
            repeats += 1;
            continue;
        }
        let p = &e.properties;
        let mut bad = Vec::new();
        let mut num = |key: &'static str, max: f64| number(p, key, max).unwrap_or_else(|_| { bad.push(key); None });
        let (input_tokens, output_tokens) = (num("$ai_input_tokens", MAX_TOKENS), num("$ai_output_tokens", MAX_TOKENS));
        let cost = num("$ai_total_cost_usd", MAX_COST_USD);
        let (input_cost, output_cost) = (num("$ai_input_cost_usd", MAX_COST_USD), num("$ai_output_cost_usd", MAX_COST_USD));
        num("$ai_latency", MAX_LATENCY_S);
        let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        out.push(Gen {
            at: e.timestamp.timestamp_millis(),
            trace: text("$ai_trace_id"),
            op: text("$ai_span_name"),
            model: text("$ai_model"),
            provider: text("$ai_provider"),
            input: p.get("$ai_input").map(|v| serde_json::to_string(v).unwrap()),
            error: p.get("$ai_is_error") == Some(&Value::Bool(true)),
            input_tokens,
            output_tokens,
            cost,
            input_cost,
            output_cost,
            bad,
        });
    }
    (out, repeats)
}

/// (input, output, cache read, cache write) per token of `model` sold by
/// `provider`, from the bundled LiteLLM table (an entry of that provider only).
fn table_price(model: &str, provider: &str) -> Option<[f64; 4]> {
    static TABLE: OnceLock<Value> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/analysis/pricing/litellm_prices.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    });
    let cols: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let col = |row: &Vec<Value>, name: &str| cols.iter().position(|c| *c == name).and_then(|i| row.get(i)).and_then(Value::as_f64);
    table["models"].as_array().unwrap().iter().map(|r| r.as_array().unwrap()).find(|r| r[0] == model && r[1] == provider).map(|r| {
        let input = col(r, "input_cost_per_token").unwrap();
        [input, col(r, "output_cost_per_token").unwrap(), col(r, "cache_read_input_token_cost").unwrap_or(input), col(r, "cache_creation_input_token_cost").unwrap_or(input)]
    })
}

// ---------------------------------------------------------------- truths

/// What the raw events say.
struct Truth {
    calls: u64,
    cost_usd: f64,
    /// Calls with no cost, no price for their provider and no recorded rate.
    unpriced: u64,
    by_operation: BTreeMap<String, f64>,
    repeated_events: u64,
    missing_trace_ids: u64,
    bad_values: BTreeMap<String, u64>,
    history_usd: f64,
    /// Traces of the agent loop whose inputs grow, of all its traces.
    history_traces: (usize, usize),
    caching_usd: f64,
    /// The support prompt's shared prefix (characters), warm and cold calls.
    caching_parts: (usize, u64, u64),
    /// `gemini-2.0-flash` on the Gemini API: PostHog's recorded (input,
    /// output) per-token rate, and the calls priced at it.
    gemini_rate: (f64, f64),
    gemini_backfilled: u64,
}

fn truth(events: &[Event]) -> Truth {
    let (gens, repeated_events) = read(events);
    // PostHog's recorded rate per model, from the calls that carry it.
    let mut recorded: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
    for g in &gens {
        if let (Some(ic), Some(oc), Some(it), Some(ot)) = (g.input_cost, g.output_cost, g.input_tokens, g.output_tokens) {
            let r = recorded.entry(g.model.as_str()).or_default();
            for (s, v) in r.iter_mut().zip([ic, oc, it, ot]) {
                *s += v;
            }
        }
    }
    let rate = |model: &str| recorded.get(model).map(|r| (r[0] / r[2], r[1] / r[3]));
    let (mut gemini_backfilled, mut unpriced) = (0, 0);
    let mut cost_of = |g: &Gen| -> f64 {
        if let Some(c) = g.cost {
            return c;
        }
        let (it, ot) = (g.input_tokens.unwrap_or(0.0), g.output_tokens.unwrap_or(0.0));
        if let Some(p) = table_price(&g.model, &g.provider) {
            return it * p[0] + ot * p[1];
        }
        let Some((ri, ro)) = rate(&g.model) else {
            unpriced += 1;
            return 0.0;
        };
        gemini_backfilled += 1;
        it * ri + ot * ro
    };
    let costs: Vec<f64> = gens.iter().map(&mut cost_of).collect();
    let mut by_operation = BTreeMap::new();
    for (g, c) in gens.iter().zip(&costs) {
        *by_operation.entry(g.op.clone()).or_insert(0.0) += c;
    }
    let mut bad_values = BTreeMap::new();
    for b in gens.iter().flat_map(|g| &g.bad) {
        *bad_values.entry(b.to_string()).or_insert(0) += 1;
    }

    // History growth: per agent trace, turns in time order, the bounded
    // history's saving sum_{i>=K} (x_{i-K} - x_0) at the input price.
    let mut traces: BTreeMap<&str, Vec<&Gen>> = BTreeMap::new();
    for g in gens.iter().filter(|g| g.op == AGENT) {
        traces.entry(g.trace.as_str()).or_default().push(g);
    }
    let (mut history_tokens, mut growing) = (0.0, 0);
    for turns in traces.values_mut() {
        turns.sort_by_key(|g| g.at);
        let x: Vec<f64> = turns.iter().map(|g| g.input_tokens.expect("agent turns have clean token counts")).collect();
        let saving: f64 = (K..x.len()).map(|i| x[i - K] - x[0]).sum();
        history_tokens += saving.max(0.0);
        growing += usize::from(x.windows(2).all(|w| w[1] >= w[0] + 500.0));
    }
    let agent_model = &gens.iter().find(|g| g.op == AGENT).unwrap();
    let history_usd = history_tokens * table_price(&agent_model.model, &agent_model.provider).unwrap()[0];

    // Prompt caching: the support prompt's longest common prefix, warm calls
    // (a success within 300 s of the previous success) read it at the cache
    // read price, the other successes write it.
    let support: Vec<&Gen> = gens.iter().filter(|g| g.op == SUPPORT).collect();
    let inputs: Vec<&str> = support.iter().filter_map(|g| g.input.as_deref()).collect();
    let shared = inputs.iter().skip(1).fold(inputs[0].len(), |n, s| n.min(inputs[0].bytes().zip(s.bytes()).take_while(|(a, b)| a == b).count()));
    let mut ok: Vec<i64> = support.iter().filter(|g| !g.error).map(|g| g.at).collect();
    ok.sort();
    let warm = ok.windows(2).filter(|w| w[1] - w[0] <= CACHE_WINDOW_S * 1000).count() as u64;
    let cold = ok.len() as u64 - warm;
    let p = table_price(&support[0].model, &support[0].provider).unwrap();
    let prefix_tokens = agent_project::tokens_of(shared) as f64;
    let caching_usd = prefix_tokens * (warm as f64 * (p[0] - p[2]) - cold as f64 * (p[3] - p[0]));

    Truth {
        calls: gens.len() as u64,
        cost_usd: costs.iter().sum(),
        unpriced,
        by_operation,
        repeated_events,
        missing_trace_ids: gens.iter().filter(|g| g.trace.is_empty()).count() as u64,
        bad_values,
        history_usd,
        history_traces: (growing, traces.len()),
        caching_usd,
        caching_parts: (shared, warm, cold),
        gemini_rate: rate("gemini-2.0-flash").unwrap(),
        gemini_backfilled,
    }
}

// ---------------------------------------------------------------- runs

struct Project {
    events: Vec<Event>,
    truth: Truth,
    run: Run,
}

fn analyse(cfg: &Config) -> Project {
    let events = agent_project::generate(cfg);
    let truth = truth(&events);
    let run = run_of(cfg, &events);
    Project { events, truth, run }
}

fn run_of(cfg: &Config, events: &[Event]) -> Run {
    let source = MemorySource::from_events(events.to_vec());
    let request = Request { window: Window::ending_at(cfg.end, cfg.days), settings: Settings::default(), origin: Origin { label: "Agent project".into(), posthog: None }, prior: None };
    futures::executor::block_on(pipeline::run(&source, &request, async { Prices::bundled() }, &mut pipeline::Quiet)).expect("the run")
}

fn planted() -> &'static Project {
    static P: OnceLock<Project> = OnceLock::new();
    P.get_or_init(|| analyse(&Config::planted()))
}

fn clean() -> &'static Project {
    static P: OnceLock<Project> = OnceLock::new();
    P.get_or_init(|| analyse(&Config::clean()))
}

/// The recommendation of `kind` (its key, `history_growth`) on `op`, and its rank (from 1).
fn found<'a>(run: &'a Run, kind: &str, op: &str) -> Option<(usize, &'a Recommendation)> {
    run.analysis.recommendations.items.iter().enumerate().find(|(_, r)| r.kind.key() == kind && r.operation == op).map(|(i, r)| (i + 1, r))
}

/// `Overview.quality`, read through JSON so this file builds whether or not
/// the analysis reports data quality yet.
fn quality(run: &Run) -> Value {
    serde_json::to_value(&run.analysis.overview).unwrap()["quality"].clone()
}

fn operation_cost(run: &Run, op: &str) -> Option<f64> {
    run.analysis.metrics.by_operation.iter().find(|g| g.name == op).map(|g| g.totals.cost_usd)
}

fn near(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

/// The plants, their truths, what the run computed and where it ranked them.
fn table(p: &Project) -> String {
    let (t, run) = (&p.truth, &p.run);
    let spend = t.cost_usd;
    let rec = |kind: &str, op: &str| found(run, kind, op).map_or(("-".to_string(), "-".to_string()), |(rank, r)| (format!("{:.4}", r.savings_usd), rank.to_string()));
    let q = quality(run);
    let mut rows = vec![
        format!("{:<56} {:>12} {:>8} {:>12} {:>5}", "plant", "truth", "share", "computed", "rank"),
        {
            let (c, r) = rec("history_growth", AGENT);
            format!("{:<56} {:>12.4} {:>7.1}% {:>12} {:>5}", format!("history growth on {AGENT} ({} of {} traces)", t.history_traces.0, t.history_traces.1), t.history_usd, 100.0 * t.history_usd / spend, c, r)
        },
        {
            let (c, r) = rec("prompt_caching", SUPPORT);
            let (chars, warm, cold) = t.caching_parts;
            format!("{:<56} {:>12.4} {:>7.1}% {:>12} {:>5}", format!("prompt caching on {SUPPORT} ({chars} ch, {warm}w/{cold}c)"), t.caching_usd, 100.0 * t.caching_usd / spend, c, r)
        },
        format!("{:<56} {:>12} {:>8} {:>12}", "generations (unique)", t.calls, "", run.analysis.metrics.totals.calls),
        format!("{:<56} {:>12.4} {:>8} {:>12.4}", "spend (clean, backfilled)", spend, "", run.analysis.metrics.totals.cost_usd),
        format!("{:<56} {:>12} {:>8} {:>12}", "repeated events", t.repeated_events, "", q["repeated_events"]),
        format!("{:<56} {:>12} {:>8} {:>12}", "missing trace ids", t.missing_trace_ids, "", q["missing_trace_ids"]),
    ];
    for (k, n) in &t.bad_values {
        rows.push(format!("{:<56} {:>12} {:>8} {:>12}", format!("bad {k}"), n, "", q["bad_values"][k]));
    }
    for op in OPERATIONS {
        let label = if op == EXTRACT { format!("spend of {op} ({} backfilled)", t.gemini_backfilled) } else { format!("spend of {op}") };
        let g = t.by_operation[op];
        rows.push(format!("{:<56} {:>12.4} {:>7.1}% {:>12}", label, g, 100.0 * g / spend, operation_cost(run, op).map_or("-".into(), |c| format!("{c:.4}"))));
    }
    rows.push(format!("{:<56} {:>12} {:>8} {:>12}", "operations (real + flood)", t.by_operation.len(), "", run.analysis.metrics.by_operation.len()));
    for (i, r) in run.analysis.recommendations.items.iter().take(5).enumerate() {
        rows.push(format!("{:<56} {:>12} {:>7.1}% {:>12.4} {:>5}", format!("  recommended: {}", r.id), "", 100.0 * r.share_of_spend, r.savings_usd, i + 1));
    }
    rows.join("\n")
}

// ---------------------------------------------------------------- tests

#[test]
fn the_project_plants_what_it_says_at_the_sizes_it_says() {
    let p = planted();
    let t = &p.truth;
    println!("{}", table(p));
    let share = |x: f64| x / t.cost_usd;
    assert!((0.10..=0.20).contains(&share(t.history_usd)), "history growth is {:.1}% of spend", 100.0 * share(t.history_usd));
    assert!(share(t.caching_usd) >= 0.05, "caching saves {:.1}% of spend", 100.0 * share(t.caching_usd));
    let (growing, all) = t.history_traces;
    assert!((0.55..=0.85).contains(&(growing as f64 / all as f64)), "{growing} of {all} agent traces grow");
    assert!(t.caching_parts.0 >= agent_project::SUPPORT_PROMPT_CHARS, "the prefix holds the whole system prompt");
    assert!(t.caching_parts.1 > 2 * t.caching_parts.2, "most support calls come within the cache lifetime");
    let dup_share = t.repeated_events as f64 / t.calls as f64;
    assert!((0.01..=0.03).contains(&dup_share), "{dup_share}");
    assert!(t.bad_values.values().sum::<u64>() >= 24 && t.missing_trace_ids > 0 && t.gemini_backfilled > 0);
    assert!(t.by_operation.len() > agent_project::JUNK_NAMES, "the flood's names are distinct");
    assert_eq!(t.unpriced, 0, "every call has a cost, a price for its provider or a recorded rate");
    let (ri, ro) = t.gemini_rate;
    assert!(near(ri, agent_project::GEMINI_RATE.0, 1e-9) && near(ro, agent_project::GEMINI_RATE.1, 1e-9), "the recorded rate read back from the events: {:?}", t.gemini_rate);
    assert!(table_price("gemini-2.0-flash", "gemini").is_none(), "the price table lacks the Gemini API's entry");
    // Deterministic: the same seed gives the same events.
    assert_eq!(agent_project::generate(&Config::planted()).len(), p.events.len());
}

#[test]
fn each_planted_leak_is_found_in_the_top_five_with_its_true_saving() {
    let p = planted();
    let report = table(p);
    println!("{report}");
    for (kind, op, want) in [("history_growth", AGENT, p.truth.history_usd), ("prompt_caching", SUPPORT, p.truth.caching_usd)] {
        let (rank, r) = found(&p.run, kind, op).unwrap_or_else(|| panic!("no {kind} on {op}\n{report}"));
        assert!(rank <= 5, "{kind} on {op} ranked {rank}\n{report}");
        assert!(near(r.savings_usd, want, 0.10), "{kind} on {op}: {} vs {want}\n{report}", r.savings_usd);
    }
}

#[test]
fn totals_count_each_generation_once_with_clean_backfilled_costs() {
    let p = planted();
    let totals = &p.run.analysis.metrics.totals;
    let report = table(p);
    assert_eq!(totals.calls, p.truth.calls, "{report}");
    assert!(near(totals.cost_usd, p.truth.cost_usd, 0.005), "{} vs {}\n{report}", totals.cost_usd, p.truth.cost_usd);
    assert_eq!(totals.unpriced_calls, p.truth.unpriced, "calls left unpriced\n{report}");
}

#[test]
fn data_quality_counts_equal_the_truth() {
    let p = planted();
    let q = quality(&p.run);
    assert_eq!(q["repeated_events"], p.truth.repeated_events, "{q}");
    assert_eq!(q["missing_trace_ids"], p.truth.missing_trace_ids, "{q}");
    let counted: BTreeMap<String, u64> = q["bad_values"].as_object().expect("bad values by property").iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).filter(|(_, n)| *n > 0).collect();
    assert_eq!(counted, p.truth.bad_values);
}

#[test]
fn every_real_operation_keeps_its_whole_spend_and_the_flood_is_grouped() {
    let p = planted();
    let report = table(p);
    let ops = &p.run.analysis.metrics.by_operation;
    for op in OPERATIONS {
        let got = operation_cost(&p.run, op).unwrap_or_else(|| panic!("{op} is not named\n{report}"));
        assert!(near(got, p.truth.by_operation[op], 0.005), "{op}: {got} vs {}\n{report}", p.truth.by_operation[op]);
    }
    // Loose on purpose: the cap itself is the grouping's to state.
    assert!(ops.len() <= 300, "{} operations listed: the flood is not grouped", ops.len());
    let mut top: Vec<_> = ops.iter().collect();
    top.sort_by(|a, b| b.totals.cost_usd.total_cmp(&a.totals.cost_usd));
    let real: HashSet<&str> = OPERATIONS.into_iter().collect();
    assert!(top.iter().take(5).all(|g| real.contains(g.name.as_str())), "{:?}", top.iter().take(5).map(|g| &g.name).collect::<Vec<_>>());
}

#[test]
fn no_evidence_cites_an_empty_trace_id() {
    let p = planted();
    assert!(p.run.analysis.recommendations.items.iter().any(|r| !r.evidence.is_empty()), "some recommendation cites evidence");
    for r in &p.run.analysis.recommendations.items {
        assert!(r.evidence.iter().all(|e| !e.trace_id.is_empty()), "{} cites an empty trace id", r.id);
        assert!(r.excerpt.as_ref().is_none_or(|x| !x.trace_id.is_empty()), "{} quotes a trace with no id", r.id);
    }
}

#[test]
fn the_clean_control_claims_nothing_above_one_percent_of_spend() {
    let p = clean();
    let t = &p.truth;
    assert_eq!((t.repeated_events, t.missing_trace_ids, t.bad_values.len(), t.gemini_backfilled), (0, 0, 0, 0), "the control is clean");
    assert!(t.history_usd < 0.01 * t.cost_usd, "flat agent inputs: {}", t.history_usd);
    let claims: Vec<String> = p.run.analysis.recommendations.items.iter().map(|r| format!("{} {:.2}%", r.id, 100.0 * r.share_of_spend)).collect();
    println!("clean control, spend {:.4}: {claims:?}", t.cost_usd);
    for r in &p.run.analysis.recommendations.items {
        assert!(r.share_of_spend <= 0.01, "{} claims {:.2}% of spend", r.id, 100.0 * r.share_of_spend);
    }
}

// ------------------------------------------------- without span names

/// The name the planning calls' parent span gives them once span names are stripped.
const PLANNING_SPAN: &str = "planning";
/// The agent runs' name, on their `$ai_trace` events.
const AGENT_RUN: &str = "agent_run";

/// The planted project as plain SDK wrappers send it: no generation carries
/// `$ai_span_name`. The planning call of each agent trace runs in an
/// `$ai_span` named [`PLANNING_SPAN`] (sent when it ends, a second later),
/// the agent's turns directly in the trace (whose `$ai_trace` event is named
/// [`AGENT_RUN`]); every other call has only its prompt to tell it apart.
/// Returns the events and each generation's original operation by uuid.
fn without_span_names(events: &[Event]) -> (Vec<Event>, BTreeMap<String, String>) {
    let (mut out, mut ops) = (Vec::new(), BTreeMap::new());
    for (i, e) in events.iter().enumerate() {
        let mut e = e.clone();
        if e.event == "$ai_generation" {
            let op = e.properties.shift_remove("$ai_span_name").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let trace = e.properties.get("$ai_trace_id").cloned();
            if op == PLAN {
                let span = format!("planning-span-{i}");
                e.properties.insert("$ai_parent_id".into(), span.clone().into());
                let props = serde_json::json!({"$ai_trace_id": trace, "$ai_span_id": span, "$ai_span_name": PLANNING_SPAN, "$ai_parent_id": trace});
                out.push(Event { uuid: format!("{}-span", e.uuid), event: "$ai_span".into(), distinct_id: e.distinct_id.clone(), timestamp: e.timestamp + chrono::Duration::seconds(1), properties: props.as_object().unwrap().clone() });
            } else if op == AGENT {
                e.properties.insert("$ai_parent_id".into(), trace.unwrap());
            }
            ops.insert(e.uuid.clone(), op);
        }
        out.push(e);
    }
    (out, ops)
}

/// The start of a prompt's operation name, from its first message as this
/// test reads it: whitespace runs made one space, trimmed, 24 characters.
fn prompt_name_start(first_message: &str) -> String {
    let words = first_message.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    format!("prompt \"{}", words.chars().take(24).collect::<String>())
}

#[test]
fn without_span_names_each_planted_leak_is_still_found_with_its_true_saving() {
    let cfg = Config::planted();
    let (events, ops) = without_span_names(&agent_project::generate(&cfg));
    assert!(events.iter().all(|e| e.event != "$ai_generation" || !e.properties.contains_key("$ai_span_name")));
    let run = run_of(&cfg, &events);
    // The truths of the named project: stripping names changed no call.
    let truth = &planted().truth;
    let report = table(planted());
    // The support calls share their system prompt, so their prompt names them.
    let support = events.iter().find(|e| ops.get(&e.uuid).is_some_and(|op| op == SUPPORT)).unwrap();
    let support_name = prompt_name_start(support.properties["$ai_input"][0]["content"].as_str().unwrap());
    let support_op = run.analysis.metrics.by_operation.iter().find(|g| g.name.starts_with(&support_name)).unwrap_or_else(|| panic!("no operation named {support_name}…")).name.clone();
    let claims: Vec<String> = run.analysis.recommendations.items.iter().take(5).map(|r| format!("{} {:.4}", r.id, r.savings_usd)).collect();
    println!("without span names: support calls are {support_op:?}; top five: {claims:?}");
    for (kind, op, want) in [("history_growth", AGENT_RUN, truth.history_usd), ("prompt_caching", support_op.as_str(), truth.caching_usd)] {
        let (rank, r) = found(&run, kind, op).unwrap_or_else(|| panic!("no {kind} on {op}: {claims:?}\n{report}"));
        println!("{kind} on {op}: rank {rank}, {:.4} vs the truth {want:.4}", r.savings_usd);
        assert!(rank <= 5, "{kind} on {op} ranked {rank}: {claims:?}");
        assert!(near(r.savings_usd, want, 0.10), "{kind} on {op}: {} vs {want}", r.savings_usd);
    }
    // Each rule named the calls this test gave it, each uuid once.
    let unique: BTreeMap<&str, &str> = events.iter().filter(|e| e.event == "$ai_generation").map(|e| (e.uuid.as_str(), ops[&e.uuid].as_str())).collect();
    let calls = |op: &str| unique.values().filter(|o| **o == op).count() as u64;
    let naming = &run.analysis.overview.naming;
    println!("generations by naming rule: {naming:?}");
    assert_eq!((naming.span_name, naming.parent_span, naming.trace_name), (0, calls(PLAN), calls(AGENT)));
    assert_eq!(naming.prompt + naming.model + naming.unnamed, unique.len() as u64 - calls(PLAN) - calls(AGENT));
    assert!(near(operation_cost(&run, AGENT_RUN).unwrap(), truth.by_operation[AGENT], 0.005), "the agent's turns keep their spend under the trace's name");
    assert!(near(operation_cost(&run, PLANNING_SPAN).unwrap(), truth.by_operation[PLAN], 0.005), "the planning calls keep theirs under their span's name");
    assert!(near(operation_cost(&run, &support_op).unwrap(), truth.by_operation[SUPPORT], 0.005), "the support calls keep theirs under their prompt");
}

/// Writes the planted project for loading elsewhere (the emulator, the
/// command line): `AGENT_PROJECT_JSONL=out.jsonl cargo test --test realistic -- --ignored write`.
#[test]
#[ignore = "writes a file"]
fn write_the_planted_project_as_jsonl() {
    let path = std::env::var_os("AGENT_PROJECT_JSONL").map_or_else(|| std::env::temp_dir().join("agent_project.jsonl"), Into::into);
    agent_project::write_jsonl(&planted().events, &path).unwrap();
    println!("wrote {} events to {}", planted().events.len(), path.display());
}

#[test]
fn the_same_seed_gives_the_same_events_and_json_round_trips() {
    let events = agent_project::generate(&Config::clean());
    assert_eq!(events, agent_project::generate(&Config::clean()));
    let mut out = Vec::new();
    trace_optimizer::source::event::write_jsonl(&events[..50], &mut out).unwrap();
    let back: Vec<Event> = std::str::from_utf8(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back, events[..50]);
}
