//! Compute time of the analysis core on 100k and 1M (trace, operation)
//! rows, natively: `cargo bench --bench core` (or `scripts/bench-core`).

#[path = "../tests/support/scaled.rs"]
mod scaled;

use std::time::Instant;

fn main() {
    let base = scaled::demo_dataset(5_000);
    for rows in [100_000, 1_000_000] {
        let data = scaled::scaled(&base, rows);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let (picked, files) = scaled::select_analyze_report(&data);
            best = best.min(t.elapsed().as_secs_f64());
            assert!(picked > 0 && files > 0);
        }
        println!("core (native): {rows:>9} trace-operation rows: trace selection, analysis and report files in {:.1} ms (best of 3)", best * 1000.0);
    }
}
