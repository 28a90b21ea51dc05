//! Compute time of the analysis core in the browser (wasm, headless
//! Chromium) on 100k and 1M (trace, operation) rows. Prints figures; run by
//! `scripts/bench-core` (not part of the test command: it takes a while).
#![cfg(target_arch = "wasm32")]

#[path = "support/scaled.rs"]
mod scaled;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

#[wasm_bindgen_test]
fn core_compute_time_in_the_browser() {
    let base = scaled::demo_dataset(5_000);
    for rows in [100_000, 1_000_000] {
        let data = scaled::scaled(&base, rows);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = now_ms();
            let (picked, files) = scaled::select_analyze_report(&data);
            best = best.min(now_ms() - t);
            assert!(picked > 0 && files > 0);
        }
        web_sys::console::log_1(&format!("core (wasm):   {rows:>9} trace-operation rows: trace selection, analysis and report files in {best:.1} ms (best of 3)").into());
    }
}
