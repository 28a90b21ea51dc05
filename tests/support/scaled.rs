//! A large dataset for benchmarks: the demo project's answers, with its
//! per-trace rows copied (new trace ids, costs jittered deterministically)
//! until there are `rows` of them. Shared by the native and wasm benchmarks.

use std::sync::OnceLock;
use trace_optimizer::analysis::dataset::{sort_trace_ops, Dataset, TraceOpRow};
use trace_optimizer::analysis::pricing::PriceTable;
use trace_optimizer::analysis::{Origin, Settings};
use trace_optimizer::pipeline::{self, Prices, Request};
use trace_optimizer::source::demo::{DemoConfig, DemoGenerator};
use trace_optimizer::source::memory::MemorySource;

/// The demo project's dataset (a few thousand generations are enough to copy from).
pub fn demo_dataset(generations: usize) -> Dataset {
    let cfg = DemoConfig { generations, ..DemoConfig::default() };
    let window = trace_optimizer::analysis::dataset::Window::ending_at(cfg.end, cfg.days);
    let source = MemorySource::from_generations(DemoGenerator::new(cfg).filter_map(|r| r.generation()).collect());
    futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("demo fetch").dataset
}

/// `base` with its per-trace rows copied up to `rows` rows.
pub fn scaled(base: &Dataset, rows: usize) -> Dataset {
    let mut out = base.clone();
    let seed: Vec<TraceOpRow> = base.trace_ops.clone();
    out.trace_ops = (0..rows)
        .map(|i| {
            let mut r = seed[i % seed.len()].clone();
            let copy = i / seed.len();
            if copy > 0 {
                r.trace_id = format!("{}-{copy}", r.trace_id);
                // A deterministic +-20% jitter so copies do not tie.
                let jitter = 0.8 + 0.4 * ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f64 / (1u64 << 24) as f64;
                r.cost_usd *= jitter;
            }
            r
        })
        .collect();
    sort_trace_ops(&mut out.trace_ops);
    out
}

/// What the page does with fetched rows, timed by the benchmarks: the
/// plan's trace selection, then the analysis and its report files.
/// Returns the traces picked and the files written.
pub fn select_analyze_report(data: &Dataset) -> (usize, usize) {
    let settings = Settings::default();
    let (_, picked) = pipeline::choose(&data.rollup, &data.trace_ops, &settings);
    let request = Request { window: data.window, settings, origin: Origin::default(), prior: None };
    let a = pipeline::analyse(data, &request, &snapshot());
    (picked.len(), pipeline::write(&a).len())
}

/// The bundled price snapshot, parsed once. The wasm build does not carry
/// it (the page fetches it), so the benchmarks read their own copy.
fn snapshot() -> Prices {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| PriceTable::from_snapshot_json(include_str!("../../src/analysis/pricing/litellm_prices.json")).expect("the snapshot parses")).into()
}
