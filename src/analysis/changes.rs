//! What changed: each operation's and each model's daily cost per call and
//! per trace against a baseline, the day a sustained change began, and the
//! money it moved split into its drivers.
//!
//! Read from the rollup (cost, calls, errors and tokens by day, operation and
//! model) and the per-trace rows (traces and repeated inputs by the day the
//! trace began); no query of its own.
//!
//! **Days.** Only complete UTC days of the window count
//! ([`metrics::is_complete_day`]); a partial first or last day would read as a
//! drop in volume.
//!
//! **Baseline.** For a candidate first day `d`, the baseline is the
//! [`BASELINE_DAYS`] complete days just before `d`, or, when the window holds
//! fewer than twice that many complete days, its first half (`n / 2` days,
//! rounded down, of `n` complete days) just before `d`. Its cost per call is
//! pooled (the baseline's cost over its calls), as is its cost per trace.
//!
//! **The day a change began.** The first `d` (oldest first) on which a
//! series' daily cost per call, or per trace, is at least [`CHANGE_RATIO`]
//! times its baseline's, or at most its inverse, on each of at least
//! [`MIN_RUN_DAYS`] consecutive complete days from `d`: one dear day is a spike, not a
//! change. The change lasts while the run does; "after" is the run's days.
//!
//! **Drivers.** The daily cost of a series is written as
//! `V (1 + r - e) Σ s_j k_j + V e ē`, where `V` is the distinct requests per
//! day (calls less repeated inputs), `r` and `e` the repeated inputs and the
//! errors per request, `ē` the cost of an error, `s_j` the share of the
//! successful calls on cell `j` (the models of an operation, the operations
//! of a model) and `k_j` a cell's cost per successful call:
//! `λ_j (P_j ((1 - h_j - w_j) p_in + h_j p_read + w_j p_write) + O_j p_out)`
//! with the prompt tokens per call `P_j` (uncached input plus cache reads and
//! writes, by the provider's accounting), the output tokens `O_j`, the shares
//! `h_j` and `w_j` of the prompt read from and written to the cache, the
//! table's prices `p`, and `λ_j` what was billed over what the table prices
//! (1 when PostHog's cost is the table's). The change in daily cost between
//! the baseline and the run is split among six factors, volume (`V`), mix
//! (`s`), token mix (`P`, `O`), cache-hit rate (`h`, `w`), error or retry
//! rate (`r`, `e`, `ē`) and price (`λ`), by their Shapley values: each
//! factor's mean effect of switching it from before to after over every
//! order of switching, so the parts add up to the change exactly. A cell
//! present in only one period keeps its other period's figures, so a new
//! model counts under mix.

use super::dataset::{Dataset, RollupRow, TokenSums};
use super::metrics::{is_complete_day, ratio, window_days};
use super::pricing::{cache_in_input_flagged, Costing, ModelPrice};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A change is a cost per call or per trace at least this many times the
/// baseline's (or at most its inverse): the threshold.
pub const CHANGE_RATIO: f64 = 1.5;
/// Days of the baseline before a change (the "previous 14 days").
pub const BASELINE_DAYS: usize = 14;
/// Consecutive complete days past the threshold that make a change rather
/// than a spike: three, so that one or two dear days (a batch job, one
/// runaway trace) are not reported as the project's new level.
pub const MIN_RUN_DAYS: usize = 3;
/// Fewest calls (or traces, for the per-trace cost) a baseline needs: fewer
/// make a per-call mean too noisy to compare at 1.5x.
pub const MIN_BASELINE_UNITS: u64 = 20;

/// What a series groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Operation,
    Model,
}

/// Which cost crossed the threshold first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    PerCall,
    PerTrace,
}

/// A factor of the daily cost (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Driver {
    /// Distinct requests per day.
    Volume,
    /// Calls by model (for an operation) or by operation (for a model).
    Mix,
    /// Prompt and output tokens per call.
    TokenMix,
    /// How the prompt splits among uncached input, cache reads and cache writes.
    CacheHit,
    /// Errors and repeated inputs per request, and the cost of an error.
    ErrorRetry,
    /// What was billed against the price table's figure for the same tokens.
    Price,
}

impl Driver {
    /// Every driver, in the order parts are listed.
    pub const ALL: [Driver; 6] = [Driver::Volume, Driver::Mix, Driver::TokenMix, Driver::CacheHit, Driver::ErrorRetry, Driver::Price];

    /// The driver's name in prose; `scope` names the mix.
    pub fn label(self, scope: Scope) -> &'static str {
        match (self, scope) {
            (Driver::Volume, _) => "volume",
            (Driver::Mix, Scope::Operation) => "model mix",
            (Driver::Mix, Scope::Model) => "operation mix",
            (Driver::TokenMix, _) => "token mix",
            (Driver::CacheHit, _) => "cache-hit rate",
            (Driver::ErrorRetry, _) => "error or retry rate",
            (Driver::Price, _) => "price",
        }
    }
}

/// One driver's share of a change, in USD per day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub driver: Driver,
    pub usd_per_day: f64,
}

/// One cell's share of the successful calls before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// A model (of an operation) or an operation (of a model).
    pub name: String,
    pub before: f64,
    pub after: f64,
}

/// A figure before (the baseline) and after (the run of changed days).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BeforeAfter {
    pub before: f64,
    pub after: f64,
}

impl BeforeAfter {
    /// After over before (0 when before is 0).
    pub fn ratio(&self) -> f64 {
        ratio(self.after, self.before)
    }
}

/// A sustained change of one operation's or one model's cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub scope: Scope,
    /// The operation or model.
    pub name: String,
    /// The model's provider (empty for an operation).
    pub provider: String,
    /// Which cost crossed the threshold on the first day.
    pub metric: Metric,
    /// The first day of the change.
    #[serde(with = "crate::time::date")]
    pub began: NaiveDate,
    /// Its last day (the run's), and whether that is the window's last complete day.
    #[serde(with = "crate::time::date")]
    pub last_day: NaiveDate,
    pub ongoing: bool,
    /// Days of the change.
    pub days: u32,
    /// The baseline's first and last day.
    #[serde(with = "crate::time::date")]
    pub baseline_from: NaiveDate,
    #[serde(with = "crate::time::date")]
    pub baseline_to: NaiveDate,
    pub per_call: BeforeAfter,
    /// Cost per trace of the traces that began on those days (0 when none).
    pub per_trace: BeforeAfter,
    pub daily_cost: BeforeAfter,
    pub calls_per_day: BeforeAfter,
    /// Cache reads over prompt tokens.
    pub cache_hit: BeforeAfter,
    /// Errors and repeated inputs over calls.
    pub error_retry_rate: BeforeAfter,
    /// The change in daily cost by driver, every driver listed; they add up
    /// to `daily_cost.after - daily_cost.before`.
    pub parts: Vec<Part>,
    /// The largest part in the direction of the change.
    pub driver: Driver,
    /// The cells whose share moved most (at most three).
    pub mix: Vec<Share>,
    /// The money the change moved over its days: `(after - before) x days` of daily cost.
    pub extra_usd: f64,
}

impl Change {
    /// The ratio of the cost that crossed the threshold.
    pub fn ratio(&self) -> f64 {
        match self.metric {
            Metric::PerCall => self.per_call.ratio(),
            Metric::PerTrace => self.per_trace.ratio(),
        }
    }

    /// A driver's part, USD per day.
    pub fn part(&self, d: Driver) -> f64 {
        self.parts.iter().find(|p| p.driver == d).map_or(0.0, |p| p.usd_per_day)
    }
}

/// Everything this stage found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// Complete days in the window, and the baseline's length in days.
    pub complete_days: u32,
    pub baseline_days: u32,
    /// Largest change in daily cost first.
    pub items: Vec<Change>,
}

impl Changes {
    /// Whether the window is long enough to hold a baseline and a change.
    pub fn comparable(&self) -> bool {
        self.baseline_days > 0 && self.complete_days as usize >= self.baseline_days as usize + MIN_RUN_DAYS
    }
}

/// The baseline's length for a window of `complete_days` complete days.
pub fn baseline_len(complete_days: usize) -> usize {
    BASELINE_DAYS.min(complete_days / 2)
}

/// Sums of one cell (a model of an operation, an operation of a model) over some days.
#[derive(Clone, Debug, Default)]
struct Cell {
    model: String,
    provider: String,
    ok: u64,
    errors: u64,
    ok_cost: f64,
    error_cost: f64,
    tokens: TokenSums,
    exclusive: u64,
    inclusive: u64,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.ok += o.ok;
        self.errors += o.errors;
        self.ok_cost += o.ok_cost;
        self.error_cost += o.error_cost;
        self.tokens.add(&o.tokens);
        self.exclusive += o.exclusive;
        self.inclusive += o.inclusive;
    }

    /// Uncached input, cache reads, cache writes, by the provider's accounting.
    fn prompt(&self) -> (f64, f64, f64) {
        let inside = cache_in_input_flagged(&self.tokens, &self.provider, self.exclusive, self.inclusive);
        (self.tokens.input.saturating_sub(inside) as f64, self.tokens.cache_read as f64, self.tokens.cache_write as f64)
    }
}

/// One series' sums over one day (or a period).
#[derive(Clone, Debug, Default)]
struct Sums {
    cells: BTreeMap<String, Cell>,
    traces: u64,
    trace_cost: f64,
    /// Repeated inputs, and the generations of the per-trace rows they were counted in.
    repeats: f64,
    trace_generations: f64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        for (k, c) in &o.cells {
            self.cells.entry(k.clone()).or_insert_with(|| Cell { model: c.model.clone(), provider: c.provider.clone(), ..Cell::default() }).add(c);
        }
        self.traces += o.traces;
        self.trace_cost += o.trace_cost;
        self.repeats += o.repeats;
        self.trace_generations += o.trace_generations;
    }

    fn calls(&self) -> u64 {
        self.cells.values().map(|c| c.ok + c.errors).sum()
    }

    fn cost(&self) -> f64 {
        self.cells.values().map(|c| c.ok_cost + c.error_cost).sum()
    }

    /// Repeated inputs scaled to the rollup's calls (the per-trace rows may
    /// be a sample), at most every call but one.
    fn retries(&self) -> f64 {
        let calls = self.calls() as f64;
        let scaled = if self.trace_generations > 0.0 { self.repeats * calls / self.trace_generations } else { 0.0 };
        scaled.min((calls - 1.0).max(0.0))
    }

    fn per_call(&self) -> Option<f64> {
        let n = self.calls();
        (n > 0).then(|| self.cost() / n as f64)
    }

    fn per_trace(&self) -> Option<f64> {
        (self.traces > 0).then(|| self.trace_cost / self.traces as f64)
    }
}

/// A series: one operation or one model, day by day over the complete days.
struct Series {
    scope: Scope,
    name: String,
    provider: String,
    days: Vec<Sums>,
}

/// Computes the changes of `data`, priced by `costing`.
pub fn compute(data: &Dataset, costing: &Costing) -> Changes {
    let days: Vec<NaiveDate> = window_days(&data.window).filter(|d| is_complete_day(&data.window, *d)).collect();
    let n = days.len();
    let base = baseline_len(n);
    let mut out = Changes { complete_days: n as u32, baseline_days: base as u32, items: vec![] };
    if !out.comparable() {
        return out;
    }
    let series = build_series(data, costing, &days);
    for s in &series {
        out.items.extend(detect(s, &days, base, costing));
    }
    crate::order::sort_by(&mut out.items, |a, b| {
        let (x, y) = ((a.daily_cost.after - a.daily_cost.before).abs(), (b.daily_cost.after - b.daily_cost.before).abs());
        y.total_cmp(&x).then(a.scope.cmp(&b.scope)).then(a.name.cmp(&b.name)).then(a.provider.cmp(&b.provider))
    });
    out
}

fn build_series(data: &Dataset, costing: &Costing, days: &[NaiveDate]) -> Vec<Series> {
    let index: BTreeMap<NaiveDate, usize> = crate::order::map_of(days.iter().enumerate().map(|(i, d)| (*d, i)));
    let mut map: BTreeMap<(Scope, String, String), Vec<Sums>> = BTreeMap::new();
    for row in &data.rollup {
        let Some(&i) = index.get(&row.day) else { continue };
        let cost = costing.audited_row(row) + costing.backfill_row(row).unwrap_or(0.0);
        let cell = cell_of(row, cost, costing.billed_tokens(row));
        let by_op = &mut map_entry(&mut map, Scope::Operation, &row.operation, "", days.len())[i];
        by_op.cells.entry(format!("{}\u{0}{}", row.model, row.provider)).or_insert_with(|| Cell { model: row.model.clone(), provider: row.provider.clone(), ..Cell::default() }).add(&cell);
        let by_model = &mut map_entry(&mut map, Scope::Model, &row.model, &row.provider, days.len())[i];
        by_model.cells.entry(row.operation.clone()).or_insert_with(|| Cell { model: row.model.clone(), provider: row.provider.clone(), ..Cell::default() }).add(&cell);
    }
    // Per-trace rows come sorted by trace id: a trace's rows are adjacent,
    // so a model is counted once per trace by remembering the last trace seen.
    let mut last_trace: BTreeMap<&str, &str> = BTreeMap::new();
    for row in &data.trace_ops {
        let Some(&i) = index.get(&row.first_seen.date_naive()) else { continue };
        let cost = costing.trace_op_cost(row);
        if let Some(v) = map.get_mut(&(Scope::Operation, row.operation.clone(), String::new())) {
            let s = &mut v[i];
            s.traces += 1;
            s.trace_cost += cost;
            s.repeats += row.duplicate_inputs as f64;
            s.trace_generations += row.generations as f64;
        }
        let share = 1.0 / row.models.len().max(1) as f64;
        for m in &row.models {
            // A per-trace row names models, not providers: the model's calls
            // under every provider share it.
            let keys: Vec<(Scope, String, String)> = map.range((Scope::Model, m.clone(), String::new())..).take_while(|(k, _)| k.0 == Scope::Model && &k.1 == m).map(|(k, _)| k.clone()).collect();
            let new_trace = last_trace.get(m.as_str()) != Some(&row.trace_id.as_str());
            for k in keys {
                let s = &mut map.get_mut(&k).expect("listed")[i];
                if new_trace {
                    s.traces += 1;
                }
                s.trace_cost += cost * share;
                s.repeats += row.duplicate_inputs as f64 * share;
                s.trace_generations += row.generations as f64 * share;
            }
            last_trace.insert(m, &row.trace_id);
        }
    }
    map.into_iter().map(|((scope, name, provider), days)| Series { scope, name, provider, days }).collect()
}

fn map_entry<'a>(map: &'a mut BTreeMap<(Scope, String, String), Vec<Sums>>, scope: Scope, name: &str, provider: &str, n: usize) -> &'a mut Vec<Sums> {
    map.entry((scope, name.to_string(), provider.to_string())).or_insert_with(|| vec![Sums::default(); n])
}

fn cell_of(row: &RollupRow, cost: f64, tokens: TokenSums) -> Cell {
    let mut c = Cell { model: row.model.clone(), provider: row.provider.clone(), ..Cell::default() };
    if row.is_error {
        c.errors = row.generations;
        c.error_cost = cost;
    } else {
        c.ok = row.generations;
        c.ok_cost = cost;
        c.tokens = tokens;
        c.exclusive = row.cache_reporting.exclusive;
        c.inclusive = row.cache_reporting.inclusive;
    }
    c
}

fn pooled(days: &[Sums]) -> Sums {
    let mut s = Sums::default();
    for d in days {
        s.add(d);
    }
    s
}

/// A run found by [`find`]: its baseline's first day, its first day, the
/// day after its last, and the cost that crossed.
#[derive(Clone, Copy)]
struct Run {
    from: usize,
    start: usize,
    end: usize,
    metric: Metric,
}

/// A cost of one day (per call or per trace), when the day has any.
type Daily = fn(&Sums) -> Option<f64>;

/// The first candidate day in `candidates` that begins a run of at least
/// [`MIN_RUN_DAYS`] days (counted up to `cap`) against the baseline days `baseline(d)`.
fn find(s: &Series, candidates: std::ops::Range<usize>, cap: usize, baseline: &dyn Fn(usize) -> usize) -> Option<Run> {
    let crosses = |v: f64, b: f64| v >= CHANGE_RATIO * b || v * CHANGE_RATIO <= b;
    let same_side = |v: f64, b: f64, up: bool| if up { v >= CHANGE_RATIO * b } else { v * CHANGE_RATIO <= b };
    for d in candidates.start..candidates.end.min(cap.saturating_sub(MIN_RUN_DAYS - 1)) {
        let from = baseline(d);
        let before = pooled(&s.days[from..d]);
        let metrics: [(Metric, u64, Option<f64>, Daily); 2] =
            [(Metric::PerCall, before.calls(), before.per_call(), Sums::per_call), (Metric::PerTrace, before.traces, before.per_trace(), Sums::per_trace)];
        for (metric, units, value, daily) in metrics {
            let Some(b) = value.filter(|b| *b > 0.0 && units >= MIN_BASELINE_UNITS) else { continue };
            let Some(first) = daily(&s.days[d]).filter(|v| crosses(*v, b)) else { continue };
            let up = first > b;
            let run = s.days[d..cap].iter().take_while(|day| daily(day).is_some_and(|v| same_side(v, b, up))).count();
            if run >= MIN_RUN_DAYS {
                return Some(Run { from, start: d, end: d + run, metric });
            }
        }
    }
    None
}

/// Every sustained change of `s`, oldest first. A change found inside
/// another (a new level that stays past the threshold against the first
/// change's own days, at most the baseline's length of them, for
/// [`MIN_RUN_DAYS`] days) ends the first and begins the next, so each keeps
/// its own day and driver; after a change ends, the search goes on with the
/// usual baseline.
fn detect(s: &Series, days: &[NaiveDate], base: usize, costing: &Costing) -> Vec<Change> {
    let n = days.len();
    let mut out = Vec::new();
    let mut next = find(s, base..n, n, &|d| d - base);
    while let Some(run) = next {
        let inner = find(s, run.start + MIN_RUN_DAYS..run.end, n, &|c| run.start.max(c - base));
        let end = inner.map_or(run.end, |r| r.start);
        let before = pooled(&s.days[run.from..run.start]);
        out.push(describe(s, days, run.from, run.start, end, run.metric, &before, costing));
        next = inner.or_else(|| find(s, run.end.max(base)..n, n, &|d| d - base));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn describe(s: &Series, days: &[NaiveDate], from: usize, start: usize, end: usize, metric: Metric, before: &Sums, costing: &Costing) -> Change {
    let after = pooled(&s.days[start..end]);
    let (nb, na) = ((start - from) as f64, (end - start) as f64);
    let pair = |f: &dyn Fn(&Sums) -> f64| BeforeAfter { before: f(before), after: f(&after) };
    let hit = |x: &Sums| {
        let (mut read, mut all) = (0.0, 0.0);
        for c in x.cells.values() {
            let (u, r, w) = c.prompt();
            read += r;
            all += u + r + w;
        }
        ratio(read, all)
    };
    let parts = decompose(before, &after, nb, na, costing);
    let up = match metric {
        Metric::PerCall => after.per_call() > before.per_call(),
        Metric::PerTrace => after.per_trace() > before.per_trace(),
    };
    let driver = parts
        .iter()
        .max_by(|a, b| {
            let (x, y) = if up { (a.usd_per_day, b.usd_per_day) } else { (-a.usd_per_day, -b.usd_per_day) };
            x.total_cmp(&y)
        })
        .map_or(Driver::Volume, |p| p.driver);
    let share = |x: &Sums, k: &str| {
        let ok: u64 = x.cells.values().map(|c| c.ok).sum();
        ratio(x.cells.get(k).map_or(0, |c| c.ok) as f64, ok as f64)
    };
    let mut keys: Vec<&String> = before.cells.keys().chain(after.cells.keys()).collect();
    crate::order::sort(&mut keys);
    keys.dedup();
    let mut mix: Vec<Share> = keys
        .into_iter()
        .map(|k| {
            let c = after.cells.get(k).or_else(|| before.cells.get(k)).expect("a key of one of them");
            let name = if s.scope == Scope::Operation { c.model.clone() } else { k.clone() };
            Share { name, before: share(before, k), after: share(&after, k) }
        })
        .filter(|m| (m.after - m.before).abs() >= 0.005)
        .collect();
    crate::order::sort_by(&mut mix, |a, b| (b.after - b.before).abs().total_cmp(&(a.after - a.before).abs()).then(a.name.cmp(&b.name)));
    mix.truncate(3);
    let daily_cost = BeforeAfter { before: before.cost() / nb, after: after.cost() / na };
    Change {
        scope: s.scope,
        name: s.name.clone(),
        provider: s.provider.clone(),
        metric,
        began: days[start],
        last_day: days[end - 1],
        ongoing: end == days.len(),
        days: (end - start) as u32,
        baseline_from: days[from],
        baseline_to: days[start - 1],
        per_call: pair(&|x: &Sums| x.per_call().unwrap_or(0.0)),
        per_trace: pair(&|x: &Sums| x.per_trace().unwrap_or(0.0)),
        calls_per_day: BeforeAfter { before: before.calls() as f64 / nb, after: after.calls() as f64 / na },
        cache_hit: pair(&hit),
        error_retry_rate: pair(&|x: &Sums| ratio(x.retries() + x.cells.values().map(|c| c.errors).sum::<u64>() as f64, x.calls() as f64)),
        extra_usd: (daily_cost.after - daily_cost.before) * na,
        daily_cost,
        parts,
        driver,
        mix,
    }
}

/// One cell's figures in one period (see the module documentation).
#[derive(Clone, Copy, Debug, Default)]
struct CellFactors {
    share: f64,
    prompt: f64,
    output: f64,
    reasoning: f64,
    hit: f64,
    write: f64,
    scale: f64,
    /// Cost per call billed where the prices give nothing for its tokens.
    rest: f64,
}

/// A series' figures in one period.
#[derive(Clone, Debug, Default)]
struct Factors {
    requests: f64,
    retry: f64,
    error: f64,
    error_cost: f64,
    cells: Vec<CellFactors>,
}

/// The prices a cell's tokens are weighed by: the table's, or, for a model
/// it lacks, one price for every token (what the cell was billed over its
/// tokens across both periods), so its factors still weigh tokens alike.
fn weights(c: &Cell, other: Option<&Cell>, costing: &Costing) -> ModelPrice {
    if let Some(p) = costing.price(&c.model, &c.provider) {
        return p.clone();
    }
    let (mut cost, mut tokens) = (0.0, 0.0);
    for x in std::iter::once(c).chain(other) {
        let (u, r, w) = x.prompt();
        cost += x.ok_cost;
        tokens += u + r + w + x.tokens.output as f64;
    }
    let p = ratio(cost, tokens);
    ModelPrice { input: p, output: p, cache_read: Some(p), cache_write: Some(p), ..ModelPrice::default() }
}

/// The cost per successful call that `f`'s token figures give at `p`, before `scale`.
fn unit_cost(f: &CellFactors, p: &ModelPrice) -> f64 {
    let read = p.cache_read.unwrap_or(p.input);
    let write = p.cache_write.unwrap_or(p.input);
    let prompt = f.prompt * ((1.0 - f.hit - f.write) * p.input + f.hit * read + f.write * write);
    prompt + f.output * p.output + p.reasoning.map_or(0.0, |r| f.reasoning * (r - p.output))
}

fn factors(x: &Sums, days: f64, keys: &[String], prices: &[ModelPrice]) -> Factors {
    let calls = x.calls() as f64;
    let retries = x.retries();
    let errors: u64 = x.cells.values().map(|c| c.errors).sum();
    let ok: u64 = x.cells.values().map(|c| c.ok).sum();
    let requests = (calls - retries) / days;
    let cells = keys
        .iter()
        .zip(prices)
        .map(|(k, p)| {
            let c = x.cells.get(k).filter(|c| c.ok > 0)?;
            let n = c.ok as f64;
            let (u, r, w) = c.prompt();
            let all = u + r + w;
            let mut f = CellFactors {
                share: n / ok as f64,
                prompt: all / n,
                output: c.tokens.output as f64 / n,
                reasoning: c.tokens.reasoning as f64 / n,
                hit: ratio(r, all),
                write: ratio(w, all),
                scale: 0.0,
                rest: 0.0,
            };
            let modeled = unit_cost(&f, p);
            if modeled > 0.0 {
                f.scale = c.ok_cost / n / modeled;
            } else {
                f.rest = c.ok_cost / n;
            }
            Some(f)
        })
        .map(|f| f.unwrap_or_default())
        .collect();
    Factors {
        requests,
        retry: ratio(retries, calls - retries),
        error: ratio(errors as f64, calls - retries),
        error_cost: ratio(x.cells.values().map(|c| c.error_cost).sum(), errors as f64),
        cells,
    }
}

/// The daily cost the factors give, each driver's figures taken from `after`
/// where `mask` has its bit (the bit of its position in [`Driver::ALL`]).
fn evaluate(b: &Factors, a: &Factors, present: &[(bool, bool)], prices: &[ModelPrice], mask: u32) -> f64 {
    let pick = |d: Driver| mask & (1 << Driver::ALL.iter().position(|x| *x == d).expect("listed")) != 0;
    let side = |d: Driver| if pick(d) { a } else { b };
    let requests = side(Driver::Volume).requests;
    let rates = side(Driver::ErrorRetry);
    let mut per_ok = 0.0;
    for (j, p) in prices.iter().enumerate() {
        // A cell missing from a period takes the other period's figures.
        let cell = |d: Driver| {
            let (in_b, in_a) = present[j];
            let use_a = if pick(d) { in_a || !in_b } else { !in_b };
            if use_a {
                a.cells[j]
            } else {
                b.cells[j]
            }
        };
        let share = side(Driver::Mix).cells[j].share;
        if share == 0.0 {
            continue;
        }
        let (tokens, cache, price) = (cell(Driver::TokenMix), cell(Driver::CacheHit), cell(Driver::Price));
        let f = CellFactors { prompt: tokens.prompt, output: tokens.output, reasoning: tokens.reasoning, hit: cache.hit, write: cache.write, ..CellFactors::default() };
        per_ok += share * (price.scale * unit_cost(&f, p) + price.rest);
    }
    requests * (1.0 + rates.retry - rates.error) * per_ok + requests * rates.error * rates.error_cost
}

/// The Shapley split of the change in daily cost between `before` (over
/// `nb` days) and `after` (over `na` days).
fn decompose(before: &Sums, after: &Sums, nb: f64, na: f64, costing: &Costing) -> Vec<Part> {
    let mut keys: Vec<String> = before.cells.keys().chain(after.cells.keys()).cloned().collect();
    crate::order::sort(&mut keys);
    keys.dedup();
    let prices: Vec<ModelPrice> = keys
        .iter()
        .map(|k| {
            let (b, a) = (before.cells.get(k), after.cells.get(k));
            let c = a.or(b).expect("a key of one of them");
            weights(c, if a.is_some() { b } else { None }, costing)
        })
        .collect();
    let present: Vec<(bool, bool)> = keys.iter().map(|k| (before.cells.get(k).is_some_and(|c| c.ok > 0), after.cells.get(k).is_some_and(|c| c.ok > 0))).collect();
    let (mut fb, mut fa) = (factors(before, nb, &keys, &prices), factors(after, na, &keys, &prices));
    // An error cost missing from one period (no errors) takes the other's.
    if fb.error == 0.0 {
        fb.error_cost = fa.error_cost;
    }
    if fa.error == 0.0 {
        fa.error_cost = fb.error_cost;
    }
    let k = Driver::ALL.len() as u32;
    let values: Vec<f64> = (0..1u32 << k).map(|mask| evaluate(&fb, &fa, &present, &prices, mask)).collect();
    let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
    Driver::ALL
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let bit = 1u32 << i;
            let usd_per_day = (0..1u32 << k)
                .filter(|m| m & bit == 0)
                .map(|m| {
                    let size = m.count_ones();
                    fact(size) * fact(k - size - 1) / fact(k) * (values[(m | bit) as usize] - values[m as usize])
                })
                .sum();
            Part { driver: *d, usd_per_day }
        })
        .collect()
}

#[cfg(test)]
mod tests;
