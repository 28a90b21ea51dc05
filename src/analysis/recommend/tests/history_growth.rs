//! History growth, its boundary with context trimming, the providers'
//! minimum cacheable prefix and evidence without trace ids, on hand-made
//! rows whose truth is computed here from the turns themselves.

use super::super::findings::{self, Context};
use super::*;
use crate::analysis::dataset::{Overview, PrefixRow, RollupRow, TokenSums, TraceOpRow};
use chrono::{NaiveDate, TimeZone, Utc};

const GPT: (&str, &str) = ("gpt-4o", "openai");
const K: usize = 4;

fn price((model, provider): (&str, &str)) -> crate::analysis::pricing::ModelPrice {
    PriceTable::bundled().resolve(model, provider).unwrap().price
}

/// A trace's row built from its prompts in time order, `x[i]` input tokens each.
fn turns(id: &str, op: &str, model: &str, x: &[u64]) -> TraceOpRow {
    let tokens = TokenSums { input: x.iter().sum(), output: 50 * x.len() as u64, ..TokenSums::default() };
    TraceOpRow {
        trace_id: id.into(),
        operation: op.into(),
        first_seen: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        generations: x.len() as u64,
        tokens,
        models: vec![model.into()],
        max_input_tokens: *x.iter().max().unwrap(),
        first_input_tokens: x[0],
        last_input_tokens: *x.last().unwrap(),
        ..TraceOpRow::default()
    }
}

/// Prompts that start at `first` and grow by `step` a turn.
fn linear(first: u64, step: u64, n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| first + i * step).collect()
}

/// The bounded history's saving, turn by turn: at turn i >= K the prompt
/// holds the first turn plus the last K turns' additions, x_0 + (x_i - x_{i-K}).
fn truth(x: &[u64]) -> f64 {
    (K..x.len()).map(|i| (x[i] as f64) - (x[0] as f64 + (x[i] - x[i - K]) as f64)).sum()
}

/// The rollup row matching `rows`, priced with the bundled table.
fn rollup_of(rows: &[TraceOpRow], op: &str, (model, provider): (&str, &str)) -> RollupRow {
    let mut tokens = TokenSums::default();
    let mut calls = 0;
    for r in rows.iter().filter(|r| r.operation == op) {
        tokens.add(&r.tokens);
        calls += r.generations;
    }
    let cost = price((model, provider)).cost(&tokens, provider, false);
    RollupRow { day: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), operation: op.into(), model: model.into(), provider: provider.into(), generations: calls, cost_usd: cost, tokens, ..RollupRow::default() }
}

/// Prices each row with the bundled table, as PostHog would have.
fn priced(mut rows: Vec<TraceOpRow>, (model, provider): (&str, &str)) -> Vec<TraceOpRow> {
    for r in &mut rows {
        r.cost_usd = price((model, provider)).cost(&r.tokens, provider, false);
    }
    rows
}

fn dataset(rollup: Vec<RollupRow>, mut trace_ops: Vec<TraceOpRow>, prefixes: Vec<PrefixRow>) -> Dataset {
    crate::analysis::dataset::sort_trace_ops(&mut trace_ops);
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 11, 11, 0, 0, 0).unwrap(), 10);
    Dataset { window, overview: Overview::default(), rollup, latency: vec![], trace_ops, prefixes, errors: vec![], generations: vec![], sampling: None, signals: vec![], segments: vec![] }
}

/// An agent loop: `grown` traces with the given prompts, and 30 single-call traces of 1,200 tokens.
fn agent(grown: &[(&str, Vec<u64>)]) -> (Dataset, Vec<TraceOpRow>) {
    let mut rows: Vec<TraceOpRow> = grown.iter().map(|(id, x)| turns(id, "agent", GPT.0, x)).collect();
    rows.extend((0..30).map(|i| turns(&format!("s{i:02}"), "agent", GPT.0, &[1_200])));
    let rows = priced(rows, GPT);
    (dataset(vec![rollup_of(&rows, "agent", GPT)], rows.clone(), vec![]), rows)
}

fn find(r: &Recommendations, kind: Kind) -> Option<&Recommendation> {
    r.items.iter().find(|x| x.kind == kind)
}

#[test]
fn linear_growth_saves_exactly_the_bounded_history() {
    let grown: Vec<(String, Vec<u64>)> = (0..12).map(|i| (format!("g{i:02}"), linear(1_000 + 100 * i, 600 + 50 * i, 6 + i as usize))).collect();
    let refs: Vec<(&str, Vec<u64>)> = grown.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
    let (data, _) = agent(&refs);
    let (_, r) = recommend(&data);
    let x = find(&r, Kind::HistoryGrowth).expect("a history-growth fix");
    let tokens: f64 = grown.iter().map(|(_, x)| truth(x)).sum();
    let want = tokens * price(GPT).input;
    println!("history growth: computed {:.6}, truth {want:.6} ({tokens} tokens)\n{}\n{}\n{}", x.savings_usd, x.problem, x.why, x.evidence[0].issue);
    assert!((x.savings_usd - want).abs() <= 1e-9 * want, "{} vs {want}", x.savings_usd);
    assert_eq!(x.id, "history_growth:agent");
    assert_eq!(x.effort, Effort::Medium);
    assert!(x.problem.contains("12 of 42 traces") && x.problem.contains("the last 4 turns"), "{}", x.problem);
    assert_eq!(x.evidence[0].trace_id, "g11", "the most expensive growing trace first");
    assert_eq!(x.measurement.metric, Some(Metric::InputTokensPerCall { operation: "agent".into() }));
    let (input, calls) = (data.trace_ops.iter().map(|t| t.tokens.input).sum::<u64>() as f64, data.trace_ops.iter().map(|t| t.generations).sum::<u64>() as f64);
    assert!((x.measurement.target - (input - tokens) / calls).abs() < 1e-9 && (x.measurement.baseline - input / calls).abs() < 1e-9);
    assert!(x.code_after.contains("history[1:][-4:]") && !x.code_before.contains("[-4:]"), "{}", x.code_after);
}

#[test]
fn short_loops_and_flat_prompts_are_not_history_growth() {
    // Four turns that triple the prompt: a bound of the last four turns keeps them all.
    let short: Vec<(String, Vec<u64>)> = (0..20).map(|i| (format!("k{i:02}"), linear(1_000, 1_500, 4))).collect();
    // Twenty turns of a steady prompt.
    let flat: Vec<(String, Vec<u64>)> = (0..20).map(|i| (format!("f{i:02}"), vec![3_000; 20])).collect();
    for rows in [short, flat] {
        let refs: Vec<(&str, Vec<u64>)> = rows.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
        assert!(refs.iter().all(|(_, x)| truth(x) == 0.0), "the truth saves nothing either");
        let (data, _) = agent(&refs);
        let (a, r) = recommend(&data);
        assert!(find(&r, Kind::HistoryGrowth).is_none(), "{:?}", r.items.iter().map(|x| &x.id).collect::<Vec<_>>());
        assert!(a.root_causes.population.iter().all(|c| c.cause != crate::analysis::root_causes::Cause::ContextStuffing));
    }
}

#[test]
fn growing_rows_are_not_also_trimmed() {
    // Growing traces far above the median prompt, and one single oversized prompt.
    let grown: Vec<(String, Vec<u64>)> = (0..8).map(|i| (format!("g{i}"), linear(2_000, 1_000, 12))).collect();
    let mut refs: Vec<(&str, Vec<u64>)> = grown.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
    refs.push(("bloated", vec![40_000]));
    let (data, rows) = agent(&refs);
    let (_, r) = recommend(&data);
    let growth = find(&r, Kind::HistoryGrowth).expect("history growth");
    let trim = find(&r, Kind::ContextTrimming).expect("context trimming of the single oversized prompt");
    let mut sizes: Vec<f64> = rows.iter().map(|t| t.tokens.input as f64 / t.generations as f64).collect();
    sizes.sort_by(f64::total_cmp);
    let median = (sizes[sizes.len() / 2 - 1] + sizes[sizes.len() / 2]) / 2.0;
    assert!(rows.iter().filter(|t| t.generations == 12).all(|t| t.tokens.input as f64 / 12.0 >= 3.0 * median), "the growing rows are bloated too");
    let want_trim = (40_000.0 - median) * price(GPT).input;
    let want_growth = grown.iter().map(|(_, x)| truth(x)).sum::<f64>() * price(GPT).input;
    println!("growth {:.6} (truth {want_growth:.6}), trimming {:.6} (truth {want_trim:.6})", growth.savings_usd, trim.savings_usd);
    assert!((trim.savings_usd - want_trim).abs() <= 1e-9 * want_trim, "trimming counts only the row that does not grow: {} vs {want_trim}", trim.savings_usd);
    assert!((growth.savings_usd - want_growth).abs() <= 1e-9 * want_growth);
    assert_eq!(trim.evidence.iter().map(|e| e.trace_id.as_str()).collect::<Vec<_>>(), ["bloated"]);
}

#[test]
fn empty_trace_ids_count_but_are_never_cited() {
    let grown: Vec<(String, Vec<u64>)> = (0..6).map(|i| (format!("g{i}"), linear(1_000, 800, 10))).collect();
    let mut refs: Vec<(&str, Vec<u64>)> = grown.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
    // The most expensive growing row has no trace id.
    refs.push(("", linear(1_000, 2_000, 20)));
    let (data, _) = agent(&refs);
    let (a, r) = recommend(&data);
    let x = find(&r, Kind::HistoryGrowth).expect("history growth");
    let want = refs.iter().map(|(_, x)| truth(x)).sum::<f64>() * price(GPT).input;
    assert!((x.savings_usd - want).abs() <= 1e-9 * want, "the row without an id counts in the saving");
    assert!(x.problem.contains("7 of 37 traces"), "{}", x.problem);
    assert_eq!(x.evidence.len(), 5);
    for rec in &r.items {
        assert!(rec.evidence.iter().all(|e| !e.trace_id.is_empty()), "{} cites an empty id", rec.id);
        assert!(rec.excerpt.as_ref().is_none_or(|e| !e.trace_id.is_empty()));
    }
    assert!(a.root_causes.diagnoses.iter().all(|d| !d.trace_id.is_empty()));
    assert!(a.qualitative.samples.iter().all(|s| !s.trace_id.is_empty()));
}

#[test]
fn openai_cache_reads_inside_the_input_are_priced_at_the_read_price() {
    let x = linear(1_000, 600, 10);
    let mut row = turns("g0", "agent", GPT.0, &x);
    // Half of every prompt read from cache: OpenAI counts it inside the input tokens.
    row.tokens.cache_read = row.tokens.input / 2;
    let mut rows = vec![row];
    rows.extend((0..5).map(|i| turns(&format!("s{i}"), "agent", GPT.0, &[1_200])));
    let rows = priced(rows, GPT);
    let (_, r) = recommend(&dataset(vec![rollup_of(&rows, "agent", GPT)], rows.clone(), vec![]));
    let got = find(&r, Kind::HistoryGrowth).expect("history growth").savings_usd;
    let p = price(GPT);
    let want = truth(&x) * (p.input + p.cache_read.unwrap()) / 2.0;
    assert!((got - want).abs() <= 1e-9 * want, "{got} vs {want}");
}

#[test]
fn haiku_needs_a_longer_prefix_than_sonnet_to_cache() {
    const SONNET: (&str, &str) = ("claude-sonnet-4-20250514", "anthropic");
    const HAIKU: (&str, &str) = ("claude-3-5-haiku-20241022", "anthropic");
    let case = |(model, provider): (&str, &str)| {
        // 6,000 shared characters at 4 characters a token: a 1,500-token prefix.
        let prefix = PrefixRow {
            operation: "draft".into(),
            model: model.into(),
            provider: provider.into(),
            prefix_hash: "00".into(),
            generations: 300,
            traces: 300,
            min_input_chars: 9_000,
            input_chars: 300 * 10_000,
            input_tokens: 300 * 2_500,
            cache_read_tokens: 0,
            shared_chars: 6_000,
            warm_calls: 280,
            cold_calls: 20,
        };
        let rows = priced((0..300).map(|i| turns(&format!("t{i:03}"), "draft", model, &[2_500])).collect(), (model, provider));
        let data = dataset(vec![rollup_of(&rows, "draft", (model, provider))], rows, vec![prefix]);
        let (a, _) = recommend(&data);
        let by_op = ByOperation::new(&data.trace_ops, &a.costing);
        let ctx = Context::new(&data, &by_op, &a, PriceTable::bundled(), Language::Python);
        findings::prompt_caching(&ctx)
    };
    let sonnet = case(SONNET);
    let x = sonnet.first().expect("Sonnet caches a 1,500-token prefix");
    let p = price(SONNET);
    let (gross, premium) = (1_500.0 * 280.0 * (p.input - p.cache_read.unwrap()), 1_500.0 * 20.0 * (p.cache_write.unwrap() - p.input));
    assert!((x.savings_usd - (gross - premium)).abs() < 1e-9, "net of the write premium: {} vs {}", x.savings_usd, gross - premium);
    let net = crate::format::usd(gross - premium);
    assert!(x.why.contains(&format!("{net} net")) && x.why.contains(&crate::format::usd(premium)), "{}", x.why);
    assert!(case(HAIKU).is_empty(), "Haiku caches nothing under 2,048 tokens");
}

#[test]
fn typescript_projects_get_the_bounded_history_in_typescript() {
    let grown: Vec<(String, Vec<u64>)> = (0..6).map(|i| (format!("g{i}"), linear(1_000, 800, 10))).collect();
    let refs: Vec<(&str, Vec<u64>)> = grown.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
    let (mut data, _) = agent(&refs);
    data.overview.libs = vec!["posthog-node".into()];
    let (_, r) = recommend(&data);
    let x = find(&r, Kind::HistoryGrowth).expect("history growth");
    assert!(x.code_after.contains("history.slice(1).slice(-4)") && x.code_after.contains("// Keep the first turn"), "{}", x.code_after);
    assert!(x.code_before.contains("history.join('\\n')") && !x.code_before.contains("slice(-4)"), "{}", x.code_before);
}

#[test]
fn uneven_growth_is_estimated_within_ten_percent_over_the_population() {
    // 70% of 300 traces add 600 to 1,200 tokens a turn over 5 to 20 turns; the rest keep a
    // prompt of about 2,000 tokens, give or take 5%. The truth sums the bound turn by turn.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let traces: Vec<(String, Vec<u64>)> = (0..300)
        .map(|i| {
            let n = 5 + next(16) as usize;
            let x: Vec<u64> = if i % 10 < 7 {
                let mut x = vec![1_500 + next(1_000)];
                for _ in 1..n {
                    x.push(x.last().unwrap() + 600 + next(601));
                }
                x
            } else {
                (0..n).map(|_| 1_900 + next(201)).collect()
            };
            (format!("t{i:03}"), x)
        })
        .collect();
    let refs: Vec<(&str, Vec<u64>)> = traces.iter().map(|(id, x)| (id.as_str(), x.clone())).collect();
    let (data, _) = agent(&refs);
    let (_, r) = recommend(&data);
    let got = find(&r, Kind::HistoryGrowth).expect("history growth").savings_usd;
    let bounded = |x: &[u64]| -> f64 { (K..x.len()).map(|i| x[i - K] as f64 - x[0] as f64).sum() };
    let want = traces.iter().map(|(_, x)| bounded(x)).sum::<f64>() * price(GPT).input;
    println!("uneven growth: computed {got:.4}, truth {want:.4} ({:+.2}%)", (got / want - 1.0) * 100.0);
    assert!((got - want).abs() <= 0.1 * want, "{got} vs {want}");
}
