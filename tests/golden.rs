//! The demo project's `recommendations.md`, pinned. A change to the analysis
//! or the writers that alters the report shows here as a diff to review;
//! after reviewing it, rewrite the snapshot with
//! `UPDATE_GOLDEN=1 cargo test --test golden`.
#![cfg(not(target_arch = "wasm32"))]

use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::{Origin, Settings};
use trace_optimizer::pipeline::{self, Prices, Request};
use trace_optimizer::source::demo::{DemoConfig, DemoGenerator};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/demo_recommendations.md");

/// The report the page writes for "Try the demo project" with default settings.
fn demo_report() -> String {
    let cfg = DemoConfig::default();
    let window = Window::ending_at(cfg.end, cfg.days);
    let source = trace_optimizer::source::demo::split(DemoGenerator::new(cfg)).into_source();
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "Demo project".into(), posthog: None }, prior: None };
    let run = futures::executor::block_on(pipeline::run(&source, &request, async { Prices::bundled() }, &mut pipeline::Quiet)).expect("demo run");
    let files = pipeline::write(&run.analysis);
    files.into_iter().find(|f| f.path == "recommendations.md").expect("the report is written").content
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
