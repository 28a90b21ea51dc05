//! A data source over generations held in memory (the demo project or a
//! JSONL export). It answers each query of the plan exactly as the HogQL in
//! `posthog::hogql` does against PostHog, so the two can be compared.

use super::event::{Event, Generation, NameEvent};
use super::{DataSource, Page, RollupPage, SourceError, TraceOpsPage, TraceSample};
use crate::analysis::dataset::*;
use crate::analysis::stats::{quantile_sorted, sorted};
use crate::contract::*;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

mod signals;
mod spans;
pub use signals::SignalEvent;
pub use spans::SpanEvent;

/// Generations in memory, answering the query plan.
#[derive(Clone, Debug, Default)]
pub struct MemorySource {
    generations: Vec<Generation>,
    /// Evaluations, feedback, metrics and embedding calls.
    signals: Vec<SignalEvent>,
    names: Names,
    /// When each dropped repeat of an earlier generation's uuid happened.
    repeated: Vec<chrono::DateTime<chrono::Utc>>,
    grouped: Grouped,
    /// The `$ai_trace` events' segment properties ([`segments::TraceProps`]).
    trace_props: Vec<segments::TraceProps>,
    /// The `$ai_span` events, each uuid once.
    spans: Vec<SpanEvent>,
}

/// For each window asked about, the generations answered under an "other"
/// name ([`TOP_OPERATIONS`], [`TOP_MODELS`]): their index and renamed copy,
/// by index. Filled once per window and never emptied (an append-only
/// chain), so the answers can borrow from it.
#[derive(Clone, Debug, Default)]
struct Grouped {
    entry: OnceCell<(Window, Vec<(usize, Generation)>)>,
    next: OnceCell<Box<Grouped>>,
}

impl Grouped {
    /// The renamed generations of `w`, made by `make` the first time.
    fn of(&self, w: &Window, make: impl FnOnce() -> Vec<(usize, Generation)>) -> &[(usize, Generation)] {
        let mut at = self;
        loop {
            match at.entry.get() {
                Some((seen, renamed)) if seen == w => return renamed,
                Some(_) => at = at.next.get_or_init(Box::default),
                None => return &at.entry.get_or_init(|| (*w, make())).1,
            }
        }
    }
}

/// The step names of `$ai_span` events by (trace, span id) and of `$ai_trace`
/// events by trace, each list in (time, uuid) order.
#[derive(Clone, Debug, Default)]
struct Names {
    spans: HashMap<(String, String), Vec<NameEvent>>,
    traces: HashMap<String, Vec<NameEvent>>,
}

impl Names {
    fn new(events: Vec<NameEvent>) -> Self {
        let mut names = Names::default();
        for e in events {
            match e.span_id.clone() {
                Some(span) => names.spans.entry((e.trace_id.clone(), span)).or_default().push(e),
                None => names.traces.entry(e.trace_id.clone()).or_default().push(e),
            }
        }
        for list in names.spans.values_mut().chain(names.traces.values_mut()) {
            crate::order::sort_by(list, |a, b| (a.timestamp, &a.uuid).cmp(&(b.timestamp, &b.uuid)));
        }
        names
    }

    /// The name and rule the parent span or the trace gives `g` when its own
    /// properties name no step, from the naming events within `w` widened by
    /// [`NAME_EVENTS_MARGIN_S`]: the earliest of each, as `argMin` by
    /// `(timestamp, uuid)` picks it.
    fn of(&self, g: &Generation, w: &Window) -> Option<(String, Naming)> {
        if g.naming == Naming::SpanName || g.trace_id.is_empty() {
            return None;
        }
        let margin = chrono::Duration::seconds(NAME_EVENTS_MARGIN_S);
        let within = |list: Option<&Vec<NameEvent>>| list.and_then(|l| l.iter().find(|e| e.timestamp >= w.start - margin && e.timestamp < w.end + margin)).map(|e| super::digest::prefix(&e.name, NAME_CHARS).to_string());
        let parent = if g.parent_id.is_empty() { None } else { within(self.spans.get(&(g.trace_id.clone(), g.parent_id.clone()))) };
        parent.map(|n| (n, Naming::ParentSpan)).or_else(|| within(self.traces.get(&g.trace_id)).map(|n| (n, Naming::TraceName)))
    }
}

/// A generation of a window by index, with the name its parent span or trace gives it.
type Named<'a> = (usize, &'a Generation, Option<(String, Naming)>);

/// The `top` names of `calls` (name, PostHog's cost) by spend ([`rank_cost`]
/// summed, most first, then by calls, then by name); `None` when there are no
/// more than `top`.
fn top_names<'a>(calls: impl Iterator<Item = (&'a str, Option<f64>)>, top: usize) -> Option<HashSet<&'a str>> {
    let mut spend: HashMap<&str, (f64, u64)> = HashMap::new();
    for (name, cost) in calls {
        let s = spend.entry(name).or_default();
        s.0 += rank_cost(cost);
        s.1 += 1;
    }
    if spend.len() <= top {
        return None;
    }
    let mut names: Vec<_> = spend.into_iter().collect();
    crate::order::sort_by(&mut names, |a, b| b.1 .0.total_cmp(&a.1 .0).then(b.1 .1.cmp(&a.1 .1)).then(a.0.cmp(b.0)));
    Some(names.into_iter().take(top).map(|(n, _)| n).collect())
}

impl MemorySource {
    /// Keeps the `$ai_generation` events of `events`, each uuid once, the
    /// quality-signal events ([`SignalEvent`]), trace properties, the spans
    /// ([`SpanEvent`]) and the names their `$ai_span` and `$ai_trace` events give.
    pub fn from_events(events: impl IntoIterator<Item = Event>) -> Self {
        let (mut generations, mut signals, mut trace_props, mut names, mut spans) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for e in events {
            trace_props.extend(segments::TraceProps::from_event(&e));
            names.extend(NameEvent::from_event(&e));
            spans.extend(SpanEvent::from_event(&e));
            match Generation::from_event(&e) {
                Some(g) => generations.push(g),
                None => signals.extend(SignalEvent::from_event(&e)),
            }
        }
        MemorySource { trace_props, ..Self::from_parts(generations, names).with_signals(signals).with_spans(spans) }
    }

    /// Adds `$ai_span` events to those held, each uuid once (the first).
    pub fn with_spans(mut self, spans: impl IntoIterator<Item = SpanEvent>) -> Self {
        let mut seen: HashSet<String> = self.spans.iter().map(|s| s.uuid.clone()).collect();
        self.spans.extend(spans.into_iter().filter(|s| seen.insert(s.uuid.clone())));
        self
    }

    /// Adds quality-signal events to those held.
    pub fn with_signals(mut self, signals: impl IntoIterator<Item = SignalEvent>) -> Self {
        self.signals.extend(signals);
        self
    }

    /// Holds already parsed generations, each uuid once: the first is kept
    /// and the others counted as repeated (PostHog's merges collapse such
    /// copies into one row too).
    pub fn from_generations(generations: Vec<Generation>) -> Self {
        Self::from_parts(generations, Vec::new())
    }

    /// [`MemorySource::from_generations`], with the names of `$ai_span` and
    /// `$ai_trace` events ([`NameEvent`]) for the generations whose own
    /// properties name no step.
    pub fn from_parts(generations: Vec<Generation>, names: Vec<NameEvent>) -> Self {
        let first: Vec<bool> = {
            let mut seen = std::collections::HashSet::with_capacity(generations.len());
            generations.iter().map(|g| seen.insert(g.uuid.as_str())).collect()
        };
        let (mut kept, mut repeated) = (Vec::with_capacity(generations.len()), Vec::new());
        for (g, first) in generations.into_iter().zip(first) {
            if first {
                kept.push(g);
            } else {
                repeated.push(g.timestamp);
            }
        }
        MemorySource { generations: kept, signals: Vec::new(), names: Names::new(names), repeated, grouped: Grouped::default(), trace_props: Vec::new(), spans: Vec::new() }
    }

    /// All generations held, in input order (names cut, not grouped).
    pub fn all(&self) -> &[Generation] {
        &self.generations
    }

    /// The generations of the window, named by their parent span or trace
    /// where their own properties name no step, and with the names past the
    /// window's top operations and models grouped, as the HogQL does.
    fn in_window<'a>(&'a self, w: &'a Window) -> impl Iterator<Item = &'a Generation> + 'a {
        let mut renamed = self.grouped.of(w, || self.renamed(w)).iter().peekable();
        self.generations.iter().enumerate().filter(move |(_, g)| w.contains(g.timestamp)).map(move |(i, g)| renamed.next_if(|(at, _)| *at == i).map_or(g, |(_, r)| r))
    }

    /// The generations of the window named by their parent span or trace, or
    /// answered under an "other" name: renamed, by index.
    fn renamed(&self, w: &Window) -> Vec<(usize, Generation)> {
        let window: Vec<Named> = self.generations.iter().enumerate().filter(|(_, g)| w.contains(g.timestamp)).map(|(i, g)| (i, g, self.names.of(g, w))).collect();
        fn operation<'a>((_, g, named): &'a Named) -> &'a str {
            named.as_ref().map_or(g.operation.as_str(), |(n, _)| n.as_str())
        }
        let ops = top_names(window.iter().map(|x| (operation(x), x.1.cost_usd)), TOP_OPERATIONS);
        let models = top_names(window.iter().map(|x| (x.1.model.as_str(), x.1.cost_usd)), TOP_MODELS);
        let other = |top: &Option<HashSet<&str>>, name: &str| top.as_ref().is_some_and(|t| !t.contains(name));
        window
            .iter()
            .filter(|x| x.2.is_some() || other(&ops, operation(x)) || other(&models, &x.1.model))
            .map(|x| {
                let mut g = x.1.clone();
                if let Some((name, naming)) = &x.2 {
                    g.operation = name.clone();
                    g.naming = *naming;
                }
                if other(&ops, operation(x)) {
                    g.operation = OTHER_OPERATIONS.to_string();
                }
                if other(&models, &g.model) {
                    g.model = OTHER_MODELS.to_string();
                }
                (x.0, g)
            })
            .collect()
    }

    /// The `n` most expensive traces of the window: PostHog's cost summed
    /// over the trace, most first, ties by trace id.
    fn top_traces<'a>(&'a self, w: &'a Window, n: u64) -> BTreeSet<&'a str> {
        let mut cost: HashMap<&str, f64> = HashMap::new();
        for g in self.in_window(w) {
            *cost.entry(g.trace_id.as_str()).or_default() += g.cost_usd.unwrap_or(0.0);
        }
        let mut traces: Vec<_> = cost.into_iter().collect();
        crate::order::sort_by(&mut traces, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        traces.into_iter().take(n as usize).map(|(t, _)| t).collect()
    }
}

/// The token counts of one generation (missing counts are zero, as `sum` skips nulls).
fn tokens(g: &Generation) -> TokenSums {
    TokenSums {
        input: g.input_tokens.unwrap_or(0),
        output: g.output_tokens.unwrap_or(0),
        cache_read: g.cache_read_tokens.unwrap_or(0),
        cache_write: g.cache_write_tokens.unwrap_or(0),
        reasoning: g.reasoning_tokens.unwrap_or(0),
    }
}

/// Whether the generation stopped at its token limit.
/// Only where the SDK sent `$ai_max_tokens` can reaching it mark a truncation.
fn truncated(g: &Generation) -> bool {
    stopped_for(g, &TRUNCATION_STOP_REASONS) || matches!((g.output_tokens, g.max_tokens), (Some(o), Some(m)) if m > 0 && o >= m)
}

/// Whether the generation's stop reason, lower-cased as ClickHouse's `lower`
/// does (ASCII only), is one of `reasons`.
fn stopped_for(g: &Generation, reasons: &[&str]) -> bool {
    g.stop_reason.as_deref().is_some_and(|r| reasons.contains(&r.to_ascii_lowercase().as_str()))
}

/// The bucket (0..1000) of a trace id for sampling: `cityHash64(trace_id) % 1000`.
pub fn sample_bucket(trace_id: &str) -> u16 {
    (super::digest::city_hash(trace_id.as_bytes()) % u64::from(BUCKETS)) as u16
}

impl DataSource for MemorySource {
    async fn overview(&self, w: &Window) -> Result<Overview, SourceError> {
        let mut o = Overview::default();
        let mut traces = BTreeSet::new();
        let mut pairs = BTreeSet::new();
        let mut libs: HashMap<&str, u64> = HashMap::new();
        for g in self.in_window(w) {
            o.generations += 1;
            traces.insert(g.trace_id.as_str());
            pairs.insert((g.trace_id.as_str(), g.operation.as_str()));
            o.first_seen = Some(o.first_seen.map_or(g.timestamp, |t| t.min(g.timestamp)));
            o.last_seen = Some(o.last_seen.map_or(g.timestamp, |t| t.max(g.timestamp)));
            if !g.lib.is_empty() {
                *libs.entry(g.lib.as_str()).or_default() += 1;
            }
            o.with_payloads += u64::from(g.input.is_some() || g.output.is_some());
            o.naming.add(g.naming);
            o.quality.missing_trace_ids += u64::from(g.trace_id.is_empty());
            o.quality.generations_with_bad_values += u64::from(g.dirty_numbers != 0);
            for (i, (property, _)) in NUMBER_PROPERTIES.iter().enumerate() {
                if g.dirty_numbers & 1 << i != 0 {
                    *o.quality.bad_values.entry(property.to_string()).or_default() += 1;
                }
            }
        }
        o.quality.repeated_events = self.repeated.iter().filter(|t| w.contains(**t)).count() as u64;
        o.traces = traces.len() as u64;
        o.trace_operations = pairs.len() as u64;
        let mut libs: Vec<_> = libs.into_iter().collect();
        crate::order::sort_by(&mut libs, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        o.libs = libs.into_iter().take(5).map(|(l, _)| l.to_string()).collect();
        Ok(o)
    }

    async fn rollup(&self, w: &Window, page: &RollupPage) -> Result<Page<RollupRow>, SourceError> {
        let mut cells: BTreeMap<_, RollupRow> = BTreeMap::new();
        for g in self.in_window(w) {
            let day = g.timestamp.date_naive();
            let key = (day, g.operation.as_str(), g.model.as_str(), g.provider.as_str(), g.is_error);
            let row = cells.entry(key).or_insert_with(|| RollupRow {
                day,
                operation: g.operation.clone(),
                model: g.model.clone(),
                provider: g.provider.clone(),
                is_error: g.is_error,
                ..RollupRow::default()
            });
            let t = tokens(g);
            row.generations += 1;
            row.tokens.add(&t);
            match g.cost_usd {
                Some(c) => row.cost_usd += c,
                None => {
                    row.unpriced += 1;
                    row.unpriced_tokens.add(&t);
                }
            }
            row.long_context += u64::from(t.input > LONG_CONTEXT_TOKENS);
            row.latency_s += g.latency_s.unwrap_or(0.0);
            if let (Some(input_usd), Some(output_usd)) = (g.input_cost_usd, g.output_cost_usd) {
                row.recorded.add(&RecordedCost { calls: 1, input_usd, output_usd, input_tokens: t.input, output_tokens: t.output });
            }
            let cache = t.cache_read + t.cache_write;
            audit_sums(&mut row.audit, g, &t);
            let unpriced = if g.cost_usd.is_none() { cache } else { 0 };
            let r = &mut row.cache_reporting;
            let (all, of_unpriced) = match g.cache_exclusive {
                Some(true) => (&mut r.exclusive, &mut r.unpriced_exclusive),
                Some(false) => (&mut r.inclusive, &mut r.unpriced_inclusive),
                None => continue,
            };
            *all += cache;
            *of_unpriced += unpriced;
        }
        let after = page.after.as_ref().map(|(d, o, m, p, e)| (*d, o.as_str(), m.as_str(), p.as_str(), *e));
        Ok(page_of(cells.into_iter().filter(|(k, _)| after.is_none_or(|a| *k > a)).map(|(_, r)| r), page.limit))
    }

    async fn latency(&self, w: &Window) -> Result<Vec<LatencyRow>, SourceError> {
        let mut groups: BTreeMap<(LatencyScope, &str), Vec<f64>> = BTreeMap::new();
        for g in self.in_window(w) {
            if let Some(l) = g.latency_s {
                groups.entry((LatencyScope::Operation, g.operation.as_str())).or_default().push(l);
                groups.entry((LatencyScope::Model, g.model.as_str())).or_default().push(l);
            }
        }
        Ok(groups
            .into_iter()
            .map(|((scope, key), values)| {
                let s = sorted(&values);
                let q = |p| quantile_sorted(&s, p).unwrap_or(0.0);
                LatencyRow { scope, key: key.to_string(), generations: s.len() as u64, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1.0) }
            })
            .collect())
    }

    async fn trace_ops(&self, w: &Window, page: &TraceOpsPage) -> Result<Page<TraceOpRow>, SourceError> {
        let after = page.after.as_ref().map(|(t, o)| (t.as_str(), o.as_str()));
        let top = page.sample.map(|s| self.top_traces(w, s.top_traces)).unwrap_or_default();
        let kept = |trace: &str| {
            let b = sample_bucket(trace);
            b >= page.buckets.0 && b < page.buckets.1 && page.sample.is_none_or(|s: TraceSample| b < s.keep_per_mille || top.contains(trace))
        };
        let mut groups: BTreeMap<(&str, &str), Vec<&Generation>> = BTreeMap::new();
        for g in self.in_window(w) {
            let key = (g.trace_id.as_str(), g.operation.as_str());
            if after.is_some_and(|a| key <= a) || !kept(&g.trace_id) {
                continue;
            }
            groups.entry(key).or_default().push(g);
        }
        let limit = page.limit as usize;
        let has_more = groups.len() > limit;
        let rows = groups.into_iter().take(limit).map(|(_, gens)| trace_op_row(gens)).collect();
        Ok(Page { rows, has_more })
    }

    async fn prefixes(&self, w: &Window) -> Result<Vec<PrefixRow>, SourceError> {
        let mut groups: BTreeMap<(&str, &str, &str, u64), Vec<&Generation>> = BTreeMap::new();
        for g in self.in_window(w) {
            if let Some(input) = &g.input {
                groups.entry((g.operation.as_str(), g.model.as_str(), g.provider.as_str(), input.prefix_hash)).or_default().push(g);
            }
        }
        let mut rows: Vec<PrefixRow> = groups
            .into_iter()
            .filter(|(_, gens)| gens.len() >= 3)
            .map(|((op, model, provider, hash), gens)| {
                let inputs: Vec<_> = gens.iter().filter_map(|g| g.input.as_ref()).collect();
                let min_chars = inputs.iter().map(|d| d.chars).min().unwrap_or(0);
                let shared = shared_prefix(&inputs, min_chars);
                let (warm, cold) = cache_calls(&gens);
                PrefixRow {
                    operation: op.to_string(),
                    model: model.to_string(),
                    provider: provider.to_string(),
                    prefix_hash: format!("{hash:016x}"),
                    generations: gens.len() as u64,
                    traces: crate::order::set_of(gens.iter().map(|g| g.trace_id.as_str())).len() as u64,
                    min_input_chars: min_chars,
                    input_chars: inputs.iter().map(|d| d.chars).sum(),
                    input_tokens: gens.iter().map(|g| g.input_tokens.unwrap_or(0)).sum(),
                    cache_read_tokens: gens.iter().map(|g| g.cache_read_tokens.unwrap_or(0)).sum(),
                    shared_chars: shared,
                    warm_calls: warm,
                    cold_calls: cold,
                }
            })
            .collect();
        crate::order::sort_by(&mut rows, |a, b| b.generations.cmp(&a.generations).then_with(|| (&a.operation, &a.model, &a.prefix_hash).cmp(&(&b.operation, &b.model, &b.prefix_hash))));
        rows.truncate(PREFIX_ROWS);
        Ok(rows)
    }

    async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError> {
        let mut groups: BTreeMap<(&str, &str, Option<u16>, String), Vec<&Generation>> = BTreeMap::new();
        for g in self.in_window(w).filter(|g| g.is_error) {
            let message = super::digest::prefix(g.error.as_deref().unwrap_or(""), ERROR_CHARS).to_string();
            groups.entry((g.operation.as_str(), g.model.as_str(), g.http_status, message)).or_default().push(g);
        }
        let mut rows: Vec<ErrorRow> = groups
            .into_iter()
            .map(|((op, model, status, message), gens)| ErrorRow {
                operation: op.to_string(),
                model: model.to_string(),
                http_status: status,
                message,
                generations: gens.len() as u64,
                cost_usd: gens.iter().filter_map(|g| g.cost_usd).sum(),
                latency_s: gens.iter().filter_map(|g| g.latency_s).sum(),
                max_latency_s: gens.iter().filter_map(|g| g.latency_s).fold(0.0, f64::max),
                trace_ids: crate::order::set_of(gens.iter().map(|g| g.trace_id.clone())).into_iter().take(3).collect(),
            })
            .collect();
        crate::order::sort_by(&mut rows, |a, b| b.generations.cmp(&a.generations).then_with(|| (&a.operation, &a.model, a.http_status, &a.message).cmp(&(&b.operation, &b.model, b.http_status, &b.message))));
        rows.truncate(ERROR_ROWS);
        Ok(rows)
    }

    async fn generations(&self, w: &Window, trace_ids: &[String]) -> Result<TraceRows, SourceError> {
        let wanted: BTreeSet<&str> = crate::order::set_of(trace_ids.iter().map(String::as_str));
        let mut rows: Vec<GenerationRow> = self
            .in_window(w)
            .filter(|g| wanted.contains(g.trace_id.as_str()))
            .map(|g| GenerationRow {
                uuid: g.uuid.clone(),
                trace_id: g.trace_id.clone(),
                timestamp: g.timestamp,
                operation: g.operation.clone(),
                model: g.model.clone(),
                provider: g.provider.clone(),
                tokens: tokens(g),
                cost_usd: g.cost_usd,
                latency_s: g.latency_s.unwrap_or(0.0),
                is_error: g.is_error,
                http_status: g.http_status,
                error: g.error.as_deref().map(|e| super::digest::prefix(e, ERROR_CHARS).to_string()).unwrap_or_default(),
                stop_reason: g.stop_reason.clone().unwrap_or_default(),
                max_tokens: g.max_tokens,
                input_hash: g.input.as_ref().map(|d| format!("{:016x}", d.hash)).unwrap_or_default(),
                input_chars: g.input.as_ref().map_or(0, |d| d.chars),
                output_chars: g.output.as_ref().map_or(0, |d| d.chars),
                input_head: g.input.as_ref().map(|d| d.head.clone()).unwrap_or_default(),
                input_tail: g.input.as_ref().map(|d| d.tail.clone()).unwrap_or_default(),
                output_head: g.output.as_ref().map(|d| d.head.clone()).unwrap_or_default(),
                span_id: g.span_id.clone(),
                parent_id: super::event::name(&g.parent_id),
            })
            .collect();
        crate::order::sort_by(&mut rows, |a, b| (&a.trace_id, a.timestamp, &a.uuid).cmp(&(&b.trace_id, b.timestamp, &b.uuid)));
        first_per_trace(&mut rows, generations_per_trace(wanted.len()), |r| &r.trace_id);
        let spans = spans::answer(w, &self.spans, &wanted, spans_per_trace(wanted.len()) + 1);
        Ok(TraceRows { generations: rows, spans })
    }

    async fn signals(&self, w: &Window) -> Result<Vec<SignalRow>, SourceError> {
        Ok(signals::answer(w, &self.signals, self.in_window(w)))
    }

    async fn segments(&self, w: &Window) -> Result<Vec<SegmentRow>, SourceError> {
        Ok(self.segment_rows(w))
    }
}

/// Adds one generation to its cell's [`AuditSums`], as the rollup's HogQL does.
fn audit_sums(a: &mut AuditSums, g: &Generation, t: &TokenSums) {
    let cache = t.cache_read + t.cache_write;
    if g.cost_usd.is_some() {
        a.cache_write_1h += g.cache_write_1h_tokens.unwrap_or(0);
        let framework = matches!(g.framework.as_str(), "langchain" | "vercel");
        if framework && g.cache_exclusive.is_none() && cache > 0 && t.input >= cache {
            a.framework_cache += cache;
        }
    }
    let cost = g.cost_usd.unwrap_or(0.0);
    match g.cost_source.as_deref() {
        None => {
            a.unsourced_calls += 1;
            a.unsourced_usd += cost;
        }
        Some("openrouter") => a.openrouter_usd += cost,
        Some("manual") => a.manual_usd += cost,
        Some("custom") => a.custom_usd += cost,
        Some("passthrough") => a.passthrough_usd += cost,
        Some(_) => {}
    }
}

/// Keeps the first `cap` rows of each trace of `rows` (sorted by trace).
fn first_per_trace<T>(rows: &mut Vec<T>, cap: u64, trace: impl Fn(&T) -> &str) {
    let mut seen: HashMap<String, u64> = HashMap::new();
    rows.retain(|r| {
        let n = seen.entry(trace(r).to_string()).or_default();
        *n += 1;
        *n <= cap
    });
}

/// The first `limit` of `rows`, and whether more follow.
fn page_of<T>(rows: impl Iterator<Item = T>, limit: u64) -> Page<T> {
    let mut rows: Vec<T> = rows.take(limit as usize + 1).collect();
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Page { rows, has_more }
}

/// The prefix every input of a group shares, in characters, up to
/// [`SHARED_PREFIX_MAX_CHARS`]: the common prefix of the smallest and the
/// largest capped prompt (bytewise order, as ClickHouse's `min` and `max` of
/// strings). The group's long prompts share their first
/// [`PREFIX_GROUP_CHARS`] characters (their hashes are the key), so what
/// follows decides both the order and the rest of the common prefix. Inputs
/// too short to keep it group only with identical texts, which share their
/// whole length.
fn shared_prefix(inputs: &[&super::digest::TextDigest], min_chars: u64) -> u64 {
    let rests = || inputs.iter().filter_map(|d| d.prefix_rest.as_deref());
    match (rests().min(), rests().max()) {
        (Some(lo), Some(hi)) => PREFIX_GROUP_CHARS + super::digest::shared_chars(lo, hi),
        _ => min_chars.min(SHARED_PREFIX_MAX_CHARS),
    }
}

/// Successful calls within [`CACHE_WINDOW_S`] of the group's previous
/// successful call, and the other successful calls (a failed call writes no cache).
fn cache_calls(gens: &[&Generation]) -> (u64, u64) {
    let mut times: Vec<i64> = gens.iter().filter(|g| !g.is_error).map(|g| g.timestamp.timestamp_millis()).collect();
    crate::order::sort(&mut times);
    let warm = times.windows(2).filter(|w| w[1] - w[0] <= CACHE_WINDOW_S * 1000).count() as u64;
    (warm, times.len() as u64 - warm)
}

/// Aggregates one trace's generations within one operation.
fn trace_op_row(mut gens: Vec<&Generation>) -> TraceOpRow {
    crate::order::sort_by(&mut gens, |a, b| (a.timestamp, &a.uuid).cmp(&(b.timestamp, &b.uuid)));
    let first = gens[0];
    let last = gens[gens.len() - 1];
    let mut row = TraceOpRow {
        trace_id: first.trace_id.clone(),
        operation: first.operation.clone(),
        first_seen: first.timestamp,
        first_input_tokens: first.input_tokens.unwrap_or(0),
        last_input_tokens: last.input_tokens.unwrap_or(0),
        ..TraceOpRow::default()
    };
    let mut models = BTreeSet::new();
    let mut inputs = BTreeSet::new();
    let mut with_input = 0;
    for g in &gens {
        let t = tokens(g);
        row.generations += 1;
        row.tokens.add(&t);
        match g.cost_usd {
            Some(c) => row.cost_usd += c,
            None => {
                row.unpriced += 1;
                row.unpriced_tokens.add(&t);
            }
        }
        row.max_input_tokens = row.max_input_tokens.max(t.input);
        models.insert(g.model.clone());
        row.errors += u64::from(g.is_error);
        row.truncated += u64::from(truncated(g));
        row.empty_outputs += u64::from(!g.is_error && g.output_tokens == Some(0));
        row.tool_calls += u64::from(stopped_for(g, &TOOL_STOP_REASONS));
        if let Some(d) = &g.input {
            with_input += 1;
            inputs.insert(d.hash);
        }
        row.latency_s += g.latency_s.unwrap_or(0.0);
        row.max_latency_s = row.max_latency_s.max(g.latency_s.unwrap_or(0.0));
    }
    row.models = models.into_iter().collect();
    row.duplicate_inputs = with_input - inputs.len() as u64;
    row
}

mod segments;
pub use segments::TraceProps;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod names_tests;
#[cfg(test)]
mod naming_tests;
