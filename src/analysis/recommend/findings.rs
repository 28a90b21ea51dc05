//! The finders: one function per kind of fix, each computing its savings
//! from the rows that show the problem.

use super::code::{comment, Call, Language};
use super::measure::{self, Daily};
use super::{EvidenceTrace, Excerpt, Kind, Recommendation};
use crate::analysis::by_operation::{ByOperation, Priced};
use crate::analysis::dataset::{Dataset, PrefixRow, TokenSums, TraceOpRow};
use crate::contract::CACHE_WINDOW_S;
use crate::analysis::history::Metric;
use crate::analysis::metrics::{ratio, Totals};
use crate::analysis::pricing::{cache_excluded_from_input, ModelPrice, PriceTable};
use crate::analysis::root_causes::{history_growth, BLOAT_FACTOR, PREMIUM_OUTPUT_PER_M, SHORT_OUTPUT_TOKENS};
use crate::analysis::stats::median_in_place;
use crate::analysis::Analysis;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A saving under this share of the window's spend is not worth a recommendation.
pub const MIN_SHARE_OF_SPEND: f64 = 0.001;
/// Providers cache prompt prefixes of at least this many tokens: Anthropic's
/// prompt caching documentation gives 1,024 tokens as the minimum cacheable
/// prompt for Claude Sonnet and Opus, and OpenAI's prompt caching guide
/// caches prompts of 1,024 tokens or more.
pub const MIN_CACHE_TOKENS: f64 = 1024.0;
/// Claude Haiku models cache prompts of at least this many tokens (2,048 in
/// Anthropic's prompt caching documentation): a shorter prefix is processed
/// at the full price even when marked for caching.
pub const MIN_CACHE_TOKENS_HAIKU: f64 = 2048.0;
/// A prefix group reading at least this share of its shared tokens from cache is cached already.
pub const CACHED_ALREADY: f64 = 0.5;
/// Truncation is worth fixing from this share of an operation's calls...
pub const TRUNCATION_RATE_MIN: f64 = 0.02;
/// ...and this many truncated calls.
pub const TRUNCATION_CALLS_MIN: u64 = 5;
/// Evidence traces listed per recommendation.
pub const EVIDENCE_TRACES: usize = 5;
/// Characters of the excerpt shown.
pub const EXCERPT_CHARS: usize = 300;

/// Cheaper models of the same family, for when the project runs none yet:
/// (part of the current model's table key, the model to try instead).
const STEP_DOWN: [(&str, &str); 8] = [
    ("claude-opus-4", "claude-sonnet-4-20250514"),
    ("claude-sonnet-4", "claude-3-5-haiku-20241022"),
    ("claude-3-7-sonnet", "claude-3-5-haiku-20241022"),
    ("claude-3-5-sonnet", "claude-3-5-haiku-20241022"),
    ("gpt-4.1", "gpt-4.1-mini"),
    ("gpt-4o", "gpt-4o-mini"),
    ("gemini-2.5-pro", "gemini-2.5-flash"),
    ("gemini-1.5-pro", "gemini-1.5-flash"),
];

/// What every finder reads.
pub struct Context<'a> {
    pub data: &'a Dataset,
    pub by_op: &'a ByOperation<'a>,
    pub a: &'a Analysis,
    pub prices: &'a PriceTable,
    pub language: Language,
}

impl<'a> Context<'a> {
    pub fn new(data: &'a Dataset, by_op: &'a ByOperation<'a>, a: &'a Analysis, prices: &'a PriceTable, language: Language) -> Self {
        Context { data, by_op, a, prices, language }
    }

    pub(super) fn totals(&self, op: &str) -> Option<&'a Totals> {
        self.a.metrics.by_operation.iter().find(|g| g.name == op).map(|g| &g.totals)
    }

    fn spend(&self) -> f64 {
        self.a.metrics.totals.cost_usd
    }

    /// Whether a saving is worth a recommendation.
    pub(super) fn material(&self, savings: f64) -> bool {
        savings > 0.0 && savings >= MIN_SHARE_OF_SPEND * self.spend()
    }

    /// The resolved price of a model by name, with its provider.
    pub(super) fn price(&self, model: &str) -> Option<(&'a str, &'a ModelPrice)> {
        self.a.costing.prices.iter().find(|((m, _), _)| m == model).map(|((_, p), r)| (p.as_str(), &r.price))
    }

    pub(super) fn rows(&self, op: &str) -> &'a [Priced<'a>] {
        self.by_op.rows(op)
    }

    /// The model of an operation's first row that names one.
    fn first_model(&self, op: &str) -> String {
        self.rows(op).iter().find_map(|p| p.row.models.first()).cloned().unwrap_or_default()
    }

    pub(super) fn call(&self, provider: &'a str, model: &'a str, operation: &'a str) -> Call<'a> {
        Call { language: self.language, provider, model, operation }
    }

    /// Evidence from the rows that show the problem: the most expensive
    /// first, each with what `issue` says of it. Rows without a trace id
    /// count in the savings but are never cited.
    pub(super) fn evidence(&self, mut rows: Vec<Priced>, issue: impl Fn(&TraceOpRow) -> String) -> Vec<EvidenceTrace> {
        rows.retain(|p| !p.row.trace_id.is_empty());
        let order = |x: &Priced, y: &Priced| y.cost.total_cmp(&x.cost).then_with(|| x.row.trace_id.cmp(&y.row.trace_id));
        if rows.len() > EVIDENCE_TRACES {
            crate::order::select_nth_by(&mut rows, EVIDENCE_TRACES - 1, order);
            rows.truncate(EVIDENCE_TRACES);
        }
        crate::order::sort_by(&mut rows, order);
        rows.into_iter()
            .map(|Priced { row: r, cost }| EvidenceTrace { trace_id: r.trace_id.clone(), first_seen: r.first_seen, cost_usd: cost, input_tokens: r.tokens.input, output_tokens: r.tokens.output, issue: issue(r) })
            .collect()
    }

    /// The prompt start of the first evidence trace that was read closely.
    pub(super) fn excerpt(&self, op: &str, evidence: &[EvidenceTrace], output: bool) -> Option<Excerpt> {
        evidence.iter().find_map(|e| {
            let g = self.data.generations.iter().find(|g| g.trace_id == e.trace_id && g.operation == op && !g.is_error)?;
            let text = if output { &g.output_head } else { &g.input_head };
            (!text.is_empty()).then(|| Excerpt { trace_id: e.trace_id.clone(), text: text.chars().take(EXCERPT_CHARS).collect() })
        })
    }

    /// Assembles a recommendation and its measurement.
    pub(super) fn finish(&self, p: Parts) -> Recommendation {
        let t = self.totals(&p.operation).cloned().unwrap_or_default();
        let spend = self.spend();
        let series = measure::daily_series(self.data, &self.a.costing, &p.operation, p.goal.daily);
        let label = p.goal.metric.label();
        let validation = if p.goal.daily == Daily::TruncationRate {
            measure::ValidationPeriod { days: 2 * measure::MIN_DAYS, reason: "The rollup holds no daily truncation counts, so day-to-day variation is unknown: two weekly cycles.".into() }
        } else {
            measure::period(&series, &label, p.goal.baseline, p.goal.target)
        };
        let measurement = super::Measurement { hogql: measure::hogql(self.data, &self.a.costing, &p.operation, p.goal.daily), label, metric: Some(p.goal.metric), baseline: p.goal.baseline, target: p.goal.target, validation };
        let effort = p.kind.effort();
        let monthly = self.a.monthly(p.savings);
        let at_risk = self.a.monthly(p.at_risk);
        let share = ratio(p.savings, spend);
        let mut why = if p.savings > 0.0 {
            format!(
                "Fixing it saves {} over the window ({} of all spend, {} of this operation's), about {} per 30 days.",
                usd(p.savings),
                pct(share),
                pct(ratio(p.savings, t.cost_usd)),
                usd(monthly)
            )
        } else {
            format!("No money is saved: {} per 30 days buys results that are cut off.", usd(at_risk))
        };
        why.push(' ');
        why.push_str(&p.risk);
        Recommendation {
            id: format!("{}:{}", p.kind.key(), p.operation),
            kind: p.kind,
            title: p.title,
            problem: p.problem,
            why,
            excerpt: p.excerpt,
            evidence: p.evidence,
            fix: p.fix,
            code_before: p.before,
            code_after: p.after,
            measurement,
            savings_usd: p.savings,
            monthly_savings_usd: monthly,
            share_of_spend: share,
            monthly_at_risk_usd: at_risk,
            effort,
            score: (monthly + at_risk) * effort.ease(),
            operation: p.operation,
        }
    }
}

/// The parts a finder fills in.
pub(super) struct Parts {
    pub kind: Kind,
    pub operation: String,
    pub title: String,
    pub problem: String,
    /// The quality risk of the fix, or what it costs.
    pub risk: String,
    pub evidence: Vec<EvidenceTrace>,
    pub excerpt: Option<Excerpt>,
    pub fix: String,
    pub before: String,
    pub after: String,
    pub goal: Goal,
    pub savings: f64,
    pub at_risk: f64,
}

/// What a fix is measured by.
pub(super) struct Goal {
    pub daily: Daily,
    pub metric: Metric,
    pub baseline: f64,
    pub target: f64,
}

impl Goal {
    /// Cost per call of `op` today and after saving `savings` over the window.
    fn cost_per_call(op: &str, t: &Totals, savings: f64) -> Goal {
        Goal { daily: Daily::CostPerCall, metric: Metric::CostPerCall { operation: op.to_string() }, baseline: t.avg_cost(), target: ratio(t.cost_usd - savings, t.calls as f64) }
    }
}

pub(super) fn usd(x: f64) -> String {
    crate::format::usd(x)
}

pub(super) fn pct(x: f64) -> String {
    crate::format::pct(x)
}

/// A whole number with thousands separators.
pub(super) fn n(x: f64) -> String {
    crate::format::count(x.max(0.0).round() as u64)
}

/// Successful generations of a row.
pub(super) fn successes(r: &TraceOpRow) -> u64 {
    r.generations.saturating_sub(r.errors)
}

/// Model downgrade: a premium model on an operation whose outputs are short,
/// priced on the operation's own token mix at the current and a cheaper
/// model of the same provider (one the project already runs, else the next
/// tier down in the price table).
pub fn model_downgrades(ctx: &Context) -> Vec<Recommendation> {
    let mut mix: BTreeMap<(&str, &str, &str), TokenSums> = BTreeMap::new();
    let mut models: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &ctx.data.rollup {
        models.entry(&r.operation).or_default().insert(&r.model);
        if !r.is_error {
            mix.entry((&r.operation, &r.model, &r.provider)).or_default().add(&r.tokens);
        }
    }
    let mut out = Vec::new();
    for ((op, model, provider), tokens) in mix {
        let Some(price) = ctx.a.costing.price(model, provider) else { continue };
        if price.output * 1e6 < PREMIUM_OUTPUT_PER_M {
            continue;
        }
        // An operation that runs one model runs it in every trace: no need to look.
        let only_model = models.get(op).is_some_and(|m| m.len() == 1);
        let rows: Vec<Priced> = ctx.rows(op).iter().filter(|p| (only_model || p.row.models.iter().any(|m| m == model)) && successes(p.row) > 0).copied().collect();
        let mut outputs: Vec<f64> = rows.iter().map(|p| p.row.tokens.output as f64 / successes(p.row) as f64).collect();
        let Some(median_output) = median_in_place(&mut outputs) else { continue };
        if median_output > SHORT_OUTPUT_TOKENS {
            continue;
        }
        let now = price.cost(&tokens, provider, false);
        let Some((candidate, cheaper, source)) = cheaper_model(ctx, model, provider, &tokens, now) else { continue };
        let savings = now - cheaper.cost(&tokens, provider, false);
        let Some(t) = ctx.totals(op).filter(|_| ctx.material(savings)) else { continue };
        let evidence = ctx.evidence(rows, |r| {
            let alt = cheaper.cost(&r.tokens, provider, false);
            format!("{} output tokens on {model} for {}; {} on {candidate}", r.tokens.output, usd(ctx.a.costing.trace_op_cost(r)), usd(alt))
        });
        let call = ctx.call(provider, model, op);
        out.push(ctx.finish(Parts {
            kind: Kind::ModelDowngrade,
            title: format!("Run {op} on {candidate} instead of {model}"),
            problem: format!(
                "{op} runs on {model}, a premium model (output at {} per 1M tokens), yet its median output is {median_output:.0} tokens per call: a short, simple answer. The same {} input and {} output tokens cost {} on {model} and {} on {candidate} ({source}).",
                usd(price.output * 1e6),
                n(tokens.input as f64),
                n(tokens.output as f64),
                usd(now),
                usd(now - savings)
            ),
            risk: format!(
                "Quality risk: a smaller model can misread hard cases; compare {candidate}'s answers with {model}'s on a sample of real inputs before switching, then watch the step's downstream error rate. {}",
                ctx.a.signals.switch_note(op, model, &candidate)
            ),
            excerpt: ctx.excerpt(op, &evidence, true),
            evidence,
            fix: format!("Switch {op} to {candidate}, keeping the prompt; evaluate on a few hundred logged inputs first."),
            before: call.example(&call.request(model, &[], &call.system(false))),
            after: call.example(&format!("{}{}", comment(ctx.language, "Short outputs: the smaller model of the same provider is enough."), call.request(&candidate, &[], &call.system(false)))),
            goal: Goal::cost_per_call(op, t, savings),
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

/// The cheaper model to suggest, its price and where it came from.
fn cheaper_model(ctx: &Context, model: &str, provider: &str, tokens: &TokenSums, now: f64) -> Option<(String, ModelPrice, &'static str)> {
    let used = ctx
        .a
        .costing
        .prices
        .iter()
        .filter(|((m, p), _)| m != model && p.eq_ignore_ascii_case(provider))
        .map(|((m, _), r)| (m.clone(), r.price.clone(), r.price.cost(tokens, provider, false)))
        .filter(|(_, _, c)| *c < now)
        .max_by(|x, y| x.2.total_cmp(&y.2).then_with(|| y.0.cmp(&x.0)));
    if let Some((m, price, _)) = used {
        return Some((m, price, "a model this project already runs"));
    }
    let key = ctx.a.costing.prices.get(&(model.to_string(), provider.to_string()))?.key.to_lowercase();
    let (_, target) = STEP_DOWN.iter().find(|(from, to)| key.contains(from) && !key.contains(to))?;
    let r = ctx.prices.resolve(target, provider)?;
    (r.price.cost(tokens, provider, false) < now).then(|| (target.to_string(), r.price, "the next tier down in LiteLLM's price table"))
}

/// The shortest prefix `model` caches, in tokens: [`MIN_CACHE_TOKENS_HAIKU`]
/// for Claude Haiku models, else [`MIN_CACHE_TOKENS`].
pub fn min_cache_tokens(model: &str) -> f64 {
    if model.to_ascii_lowercase().contains("haiku") {
        MIN_CACHE_TOKENS_HAIKU
    } else {
        MIN_CACHE_TOKENS
    }
}

/// Prompt caching: a long prompt prefix repeated across calls and not read
/// from cache. A call within the cache lifetime of the previous one reads
/// the prefix at the cache-read price; the others write it at the
/// cache-write price. The source counts warm and cold calls from timestamps.
/// The saving is net of the write premium, and only prefixes of at least the
/// model's minimum cacheable length ([`min_cache_tokens`]) count.
pub fn prompt_caching(ctx: &Context) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for g in &ctx.data.prefixes {
        let Some(price) = ctx.a.costing.price(&g.model, &g.provider) else { continue };
        let shared = shared_tokens(g);
        let (read, write) = (price.cache_read.unwrap_or(price.input), price.cache_write.unwrap_or(price.input));
        if shared < min_cache_tokens(&g.model) || read >= price.input || g.cache_read_tokens as f64 >= CACHED_ALREADY * shared * g.generations as f64 {
            continue;
        }
        let (hits, misses) = (g.warm_calls as f64, g.cold_calls as f64);
        let (gross, premium) = (shared * hits * (price.input - read), shared * misses * (write - price.input));
        let savings = gross - premium;
        let op = g.operation.as_str();
        let Some(t) = ctx.totals(op).filter(|_| ctx.material(savings)) else { continue };
        let rows: Vec<Priced> = ctx.rows(op).iter().filter(|p| p.row.models.contains(&g.model) && p.row.tokens.cache_read == 0 && successes(p.row) > 0).copied().collect();
        let evidence = ctx.evidence(rows, |r| format!("{} input tokens, none read from cache; about {} of them the shared prefix", n(r.tokens.input as f64), n(shared)));
        let call = ctx.call(&g.provider, &g.model, op);
        let anthropic = cache_excluded_from_input(&g.provider) || g.model.to_lowercase().contains("claude");
        out.push(ctx.finish(Parts {
            kind: Kind::PromptCaching,
            title: format!("Cache the repeated prompt prefix of {op}"),
            problem: format!(
                "{} calls of {op} on {} ({} traces) start with the same {} characters (about {shared:.0} tokens), and {} of their input tokens were read from cache. Each call pays the full input price ({} per 1M) for that prefix again.",
                g.generations,
                g.model,
                g.traces,
                g.shared_chars,
                g.cache_read_tokens,
                usd(price.input * 1e6)
            ),
            risk: format!(
                "At this traffic about {:.0}% of calls would come within the {}-minute cache lifetime and read the prefix at {} per 1M; the others write it at {} per 1M. Net of the write premium: {} saved on the warm reads, {} more paid on the cold writes, {} net over the window. No quality risk: the model sees the same prompt.",
                ratio(hits, hits + misses) * 100.0,
                CACHE_WINDOW_S / 60,
                usd(read * 1e6),
                usd(write * 1e6),
                usd(gross),
                usd(premium),
                usd(savings)
            ),
            excerpt: ctx.excerpt(op, &evidence, false),
            evidence,
            fix: if anthropic {
                format!("Mark the static system prompt of {op} with cache_control so Anthropic caches it; keep it byte-identical and put per-request text after it.")
            } else {
                format!("Keep the static part of the {op} prompt byte-identical and first, with per-request text after it, so the provider's automatic prefix cache applies.")
            },
            before: call.example(&call.request(&g.model, &[], &call.system(false))),
            after: call.example(&format!(
                "{}{}",
                comment(ctx.language, "The system prompt is identical on every call: cache it, and keep variable text in the user message."),
                call.request(&g.model, &[], &call.system(true))
            )),
            goal: Goal::cost_per_call(op, t, savings),
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

/// Tokens of a group's shared prefix: its characters at the group's own
/// tokens-per-character rate (prompt tokens include Anthropic's cache tokens).
fn shared_tokens(g: &PrefixRow) -> f64 {
    let prompt = g.input_tokens + if cache_excluded_from_input(&g.provider) { g.cache_read_tokens } else { 0 };
    g.shared_chars as f64 * ratio(prompt as f64, g.input_chars as f64)
}

/// Context trimming: traces whose prompts are at least [`BLOAT_FACTOR`] times
/// the operation's median per call; the saving is their input tokens above
/// that median at the input price.
///
/// No double counting with history growth: on an operation that has a
/// history-growth recommendation (in `history`), rows meeting the growth
/// rule ([`history_growth`]) are priced by the bounded history there and
/// skipped here; their size still counts in the median.
pub fn context_trimming(ctx: &Context, history: &[Recommendation]) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for g in &ctx.a.metrics.by_operation {
        let op = g.name.as_str();
        let growth_counted = history.iter().any(|h| h.operation == op);
        let per_call = |r: &TraceOpRow| r.tokens.input as f64 / successes(r) as f64;
        let rows = || ctx.rows(op).iter().filter(|p| successes(p.row) > 0);
        let mut sizes: Vec<f64> = rows().map(|p| per_call(p.row)).collect();
        let Some(median) = median_in_place(&mut sizes).filter(|m| *m > 0.0) else { continue };
        let mut savings = 0.0;
        let mut excess_tokens = 0.0;
        let mut bloated = Vec::new();
        // The input price of the last row's model: neighbouring rows mostly share it.
        let mut last: Option<(&str, Option<f64>)> = None;
        for p in rows().filter(|p| per_call(p.row) >= BLOAT_FACTOR * median && !(growth_counted && history_growth(p.row).is_some())) {
            let r = p.row;
            let Some(model) = r.models.first() else { continue };
            let input_price = match last {
                Some((m, price)) if m == model => price,
                _ => ctx.price(model).map(|(_, price)| price.input),
            };
            last = Some((model, input_price));
            let Some(input_price) = input_price else { continue };
            let excess = r.tokens.input as f64 - median * successes(r) as f64;
            excess_tokens += excess;
            savings += excess * input_price;
            bloated.push(*p);
        }
        if !ctx.material(savings) {
            continue;
        }
        let count = bloated.len();
        let evidence = ctx.evidence(bloated, |r| format!("{} input tokens per call, {:.1}x the median {}", n(per_call(r)), per_call(r) / median, n(median)));
        let model = rows().next().and_then(|p| p.row.models.first()).cloned().unwrap_or_default();
        let provider = ctx.price(&model).map_or("", |(p, _)| p);
        let call = ctx.call(provider, &model, op);
        let t = &g.totals;
        out.push(ctx.finish(Parts {
            kind: Kind::ContextTrimming,
            title: format!("Trim the oversized prompts of {op}"),
            problem: format!(
                "{count} traces of {op} send prompts at least {BLOAT_FACTOR:.0}x the operation's median of {} input tokens per call: {} tokens above the median in all.",
                n(median),
                n(excess_tokens)
            ),
            risk: "Quality risk: whatever is cut must not be needed; keep the most recent turns and a summary of older ones, and compare answers on the trimmed and full prompts for the largest cases.".into(),
            excerpt: ctx.excerpt(op, &evidence, false),
            evidence,
            fix: format!("Cap what {op} puts in its prompt near the operation's typical size: keep the latest messages and a running summary instead of the whole history."),
            before: call.example(&format!("{}{}", prompt_line(ctx.language), call.request(&model, &[], &call.system(false)))),
            after: call.example(&format!(
                "{}{}{}",
                comment(ctx.language, "Keep the prompt near its typical size: recent turns plus a summary of the rest."),
                trim_lines(ctx.language, median),
                call.request(&model, &[], &call.system(false))
            )),
            goal: Goal {
                daily: Daily::InputTokensPerCall,
                metric: Metric::InputTokensPerCall { operation: op.to_string() },
                baseline: ratio(t.tokens.input as f64, t.calls as f64),
                target: ratio(t.tokens.input as f64 - excess_tokens, t.calls as f64),
            },
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

fn prompt_line(language: Language) -> String {
    match language {
        Language::Python => "user_message = build_prompt(full_history)\n".into(),
        Language::TypeScript => "const userMessage = buildPrompt(fullHistory)\n".into(),
    }
}

fn trim_lines(language: Language, median: f64) -> String {
    let budget = (median * 1.5).round();
    match language {
        Language::Python => format!("recent = last_messages(full_history, max_tokens={budget:.0})\nuser_message = build_prompt(summary_of(full_history) + recent)\n"),
        Language::TypeScript => format!("const recent = lastMessages(fullHistory, {{ maxTokens: {budget:.0} }})\nconst userMessage = buildPrompt([...summaryOf(fullHistory), ...recent])\n"),
    }
}

/// Retry dedupe: generations repeating an earlier input of their trace
/// exactly, not counting the retries of failed calls. Each duplicate is
/// priced as a resend of the trace's first prompt with its average output.
pub fn retry_dedupe(ctx: &Context) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for g in &ctx.a.metrics.by_operation {
        let op = g.name.as_str();
        let mut savings = 0.0;
        let mut duplicates = 0;
        let mut rows = Vec::new();
        for p in ctx.rows(op) {
            let r = p.row;
            let dup = r.duplicate_inputs.saturating_sub(r.errors);
            if dup == 0 || successes(r) == 0 {
                continue;
            }
            let ok = successes(r) as f64;
            let input = if r.first_input_tokens > 0 { r.first_input_tokens as f64 } else { r.tokens.input as f64 / ok };
            let each = match r.models.first().and_then(|m| ctx.price(m)) {
                Some((provider, p)) => p.cost(&TokenSums { input: input.round() as u64, output: (r.tokens.output as f64 / ok).round() as u64, ..TokenSums::default() }, provider, false),
                None => p.cost / ok,
            };
            savings += dup as f64 * each;
            duplicates += dup;
            rows.push(*p);
        }
        if !ctx.material(savings) {
            continue;
        }
        let traces = rows.len();
        let evidence = ctx.evidence(rows, |r| format!("{} of {} calls repeat an earlier request exactly", r.duplicate_inputs.saturating_sub(r.errors), r.generations));
        let model = ctx.first_model(op);
        let provider = ctx.price(&model).map_or("", |(p, _)| p);
        let call = ctx.call(provider, &model, op);
        let t = &g.totals;
        out.push(ctx.finish(Parts {
            kind: Kind::RetryDedupe,
            title: format!("Stop resending identical requests in {op}"),
            problem: format!("{traces} traces of {op} resend an identical, successful request: {duplicates} billed duplicates that return the same kind of answer, most likely a retry loop on a response the app rejects."),
            risk: "No quality risk if the loop is replaced by a fix of its cause (a stricter output format, or one retry with the validation error in the prompt).".into(),
            excerpt: ctx.excerpt(op, &evidence, true),
            evidence,
            fix: format!("Find why {op} retries a successful call (usually a schema check on the output); request structured output, and allow at most one retry that tells the model what was wrong."),
            before: call.example(&retry_loop(ctx.language, &call.request(&model, &[], &call.system(false)), false)),
            after: call.example(&retry_loop(ctx.language, &call.request(&model, &[], &call.system(false)), true)),
            goal: Goal::cost_per_call(op, t, savings),
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

fn retry_loop(language: Language, request: &str, fixed: bool) -> String {
    let indent = |s: &str, pad: &str| s.lines().map(|l| format!("{pad}{l}\n")).collect::<String>();
    match (language, fixed) {
        (Language::Python, false) => format!("while True:  # resends the same request until the output parses\n{}    if is_valid(response):\n        break\n", indent(request, "    ")),
        (Language::Python, true) => format!(
            "for attempt in range(2):  # one retry at most, and not the same request\n{}    if is_valid(response):\n        break\n    user_message += \"\\nThe previous answer was not valid JSON: \" + validation_error(response)\n",
            indent(request, "    ")
        ),
        (Language::TypeScript, false) => format!("while (true) {{ // resends the same request until the output parses\n{}  if (isValid(response)) break\n}}\n", indent(request, "  ")),
        (Language::TypeScript, true) => format!(
            "for (let attempt = 0; attempt < 2; attempt++) {{ // one retry at most, and not the same request\n{}  if (isValid(response)) break\n  userMessage += `\\nThe previous answer was not valid JSON: ${{validationError(response)}}`\n}}\n",
            indent(request, "  ")
        ),
    }
}

/// Failed calls: what the errored generations of an operation were billed.
pub fn failed_calls(ctx: &Context) -> Vec<Recommendation> {
    let mut by_op: BTreeMap<&str, (f64, u64, HashSet<&str>)> = BTreeMap::new();
    for e in &ctx.data.errors {
        let entry = by_op.entry(&e.operation).or_default();
        entry.0 += e.cost_usd;
        entry.1 += e.generations;
        entry.2.extend(e.trace_ids.iter().map(String::as_str));
    }
    let mut out = Vec::new();
    for (op, (savings, failed, ids)) in by_op {
        let Some(t) = ctx.totals(op).filter(|_| ctx.material(savings)) else { continue };
        let rows: Vec<Priced> = ctx.rows(op).iter().filter(|p| p.row.errors > 0 && ids.contains(p.row.trace_id.as_str())).copied().collect();
        let evidence = ctx.evidence(rows, |r| format!("{} failed calls", r.errors));
        let model = ctx.first_model(op);
        let provider = ctx.price(&model).map_or("", |(p, _)| p);
        let call = ctx.call(provider, &model, op);
        let baseline = t.error_rate();
        out.push(ctx.finish(Parts {
            kind: Kind::FailedCalls,
            title: format!("Cut the billed failures of {op}"),
            problem: format!("{failed} calls of {op} failed ({} of its calls) and were still billed {} in all.", pct(baseline), usd(savings)),
            risk: "The target halves the error rate as a first step; each failure also costs the user a slower answer.".into(),
            excerpt: None,
            evidence,
            fix: format!("Read the errors of {op} in the Failure-Mode Analysis: back off on rate limits, cap prompt size before the provider rejects it, and set a client timeout below the provider's."),
            before: call.example(&call.request(&model, &[], &call.system(false))),
            after: call.example(&format!("{}{}", comment(ctx.language, "Retry rate limits and overloads with exponential backoff; fail fast on requests that can't succeed."), call.request(&model, &[("timeout", "30")], &call.system(false)))),
            goal: Goal { daily: Daily::ErrorRate, metric: Metric::ErrorRate { operation: op.to_string() }, baseline, target: baseline / 2.0 },
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

/// Truncation: operations whose outputs stop at `max_tokens`. A quality fix:
/// nothing is saved; the spend on cut-off results is what it protects, and
/// raising the limit costs at most the extra output tokens of those calls.
pub fn truncation(ctx: &Context) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for h in ctx.a.failures.outputs.iter().filter(|h| h.truncated >= TRUNCATION_CALLS_MIN && h.truncation_rate() >= TRUNCATION_RATE_MIN) {
        let op = h.operation.as_str();
        let Some(t) = ctx.totals(op) else { continue };
        let at_risk = h.truncated as f64 * t.avg_cost();
        let limit = ctx.data.generations.iter().filter(|g| g.operation == op).find_map(|g| g.max_tokens);
        let rows: Vec<Priced> = ctx.rows(op).iter().filter(|p| p.row.truncated > 0).copied().collect();
        let evidence = ctx.evidence(rows, |r| format!("{} of {} outputs stopped at the token limit", r.truncated, r.generations));
        let model = ctx.first_model(op);
        let (provider, price) = ctx.price(&model).map_or(("", None), |(p, price)| (p, Some(price)));
        let call = ctx.call(provider, &model, op);
        let (old, new) = match limit {
            Some(n) => (n.to_string(), (n * 2).max(n + 16).to_string()),
            None => ("MAX_TOKENS".into(), "2 * MAX_TOKENS".into()),
        };
        let extra = match (limit, price) {
            (Some(n), Some(p)) => format!(" Doubling the limit costs at most {} per 30 days in extra output.", usd(ctx.a.monthly(h.truncated as f64 * n as f64 * p.output))),
            _ => String::new(),
        };
        let rate = h.truncation_rate();
        out.push(ctx.finish(Parts {
            kind: Kind::Truncation,
            title: format!("Stop cutting off the outputs of {op}"),
            problem: format!(
                "{} of {} calls of {op} ({}) stopped at the token limit{}: their outputs are incomplete.",
                h.truncated,
                h.generations,
                pct(rate),
                limit.map_or(String::new(), |n| format!(" (max_tokens {n})"))
            ),
            risk: format!("Users get cut-off text, or the app parses a broken result.{extra}"),
            excerpt: ctx.excerpt(op, &evidence, true),
            evidence,
            fix: format!("Raise max_tokens of {op} above its longest legitimate output, and ask for a length in the prompt instead of relying on the limit."),
            before: call.example(&call.request(&model, &[("max_tokens", &old)], &call.system(false))),
            after: call.example(&format!("{}{}", comment(ctx.language, "The limit must clear the longest good output; ask for brevity in the prompt."), call.request(&model, &[("max_tokens", &new)], &call.system(false)))),
            goal: Goal { daily: Daily::TruncationRate, metric: Metric::TruncationRate { operation: op.to_string() }, baseline: rate, target: (rate / 10.0).min(0.01) },
            operation: op.to_string(),
            savings: 0.0,
            at_risk,
        }));
    }
    out
}
