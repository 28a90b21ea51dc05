//! Compute time of the analysis core on 100k and 1M (trace, operation)
//! rows, natively: `cargo bench --bench core` (or `scripts/bench-core`).

#[path = "../tests/support/scaled.rs"]
mod scaled;

use std::time::Instant;
use trace_optimizer::analysis::by_operation::ByOperation;
use trace_optimizer::analysis::pricing::{Costing, PriceTable};
use trace_optimizer::analysis::select::select;
use trace_optimizer::analysis::{analyze, Origin, Settings};

fn main() {
    let base = scaled::demo_dataset(5_000);
    let prices = PriceTable::bundled();
    for rows in [100_000, 1_000_000] {
        let data = scaled::scaled(&base, rows);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let picked = select(&data.rollup, &ByOperation::new(&data.trace_ops, &Costing::default()), &data.trace_ops, &Settings::default());
            assert!(!picked.trace_ids().is_empty());
            let a = analyze(&data, &Settings::default(), &Origin::default(), prices);
            let report = trace_optimizer::report::files(&a);
            best = best.min(t.elapsed().as_secs_f64());
            assert!(!report.is_empty());
        }
        println!("core (native): {rows:>9} trace-operation rows: trace selection, analysis and report files in {:.1} ms (best of 3)", best * 1000.0);
    }
}
