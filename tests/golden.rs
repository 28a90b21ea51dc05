//! The demo project's `recommendations.md`, pinned. A change to the analysis
//! or the writers that alters the report shows here as a diff to review;
//! after reviewing it, rewrite the snapshot with
//! `UPDATE_GOLDEN=1 cargo test --test golden`.
#![cfg(not(target_arch = "wasm32"))]

use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::pricing::PriceTable;
use trace_optimizer::analysis::{analyze, Origin, Settings};
use trace_optimizer::report::recommendations_md;
use trace_optimizer::source::demo::{DemoConfig, DemoGenerator};
use trace_optimizer::source::memory::MemorySource;
use trace_optimizer::source::plan::fetch;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/demo_recommendations.md");

/// The report the page writes for "Try the demo project" with default settings.
fn demo_report() -> String {
    let cfg = DemoConfig::default();
    let window = Window::ending_at(cfg.end, cfg.days);
    let source = MemorySource::from_generations(DemoGenerator::new(cfg).filter_map(|r| r.generation()).collect());
    let settings = Settings::default();
    let data = futures::executor::block_on(fetch(&source, window, &settings, &mut |_| {})).expect("demo fetch").dataset;
    let origin = Origin { label: "Demo project".into(), posthog: None };
    recommendations_md(&analyze(&data, &settings, &origin, PriceTable::bundled()))
}

#[test]
fn demo_report_matches_the_reviewed_snapshot() {
    let report = demo_report();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(SNAPSHOT, &report).expect("write the snapshot");
        return;
    }
    let pinned = std::fs::read_to_string(SNAPSHOT).expect("the snapshot exists (UPDATE_GOLDEN=1 writes it)");
    if report != pinned {
        let line = report.lines().zip(pinned.lines()).position(|(a, b)| a != b).unwrap_or(report.lines().count().min(pinned.lines().count()));
        panic!(
            "the demo report changed at line {}:\n  now:    {:?}\n  pinned: {:?}\nreview the change, then rewrite the snapshot with UPDATE_GOLDEN=1",
            line + 1,
            report.lines().nth(line).unwrap_or("<end>"),
            pinned.lines().nth(line).unwrap_or("<end>")
        );
    }
}
