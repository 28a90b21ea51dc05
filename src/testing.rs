//! Test fixtures: the demo project through the pipeline.

use crate::analysis::dataset::{Dataset, Window};
use crate::analysis::{Analysis, Origin, Settings};
use crate::pipeline::{self, Prices, Request};
use crate::source::demo::{DemoConfig, DemoGenerator};
use crate::source::digest::TextDigest;
use crate::source::memory::MemorySource;

/// A small demo project's compact rows; `hostile` renames an operation and
/// a trace and fills excerpts with markup, as a user's users might.
pub fn demo_dataset(hostile: bool) -> Dataset {
    let cfg = DemoConfig { generations: 3_000, ..DemoConfig::default() };
    let window = Window::ending_at(cfg.end, cfg.days);
    let crate::source::demo::Split { generations: mut gens, signals, .. } = crate::source::demo::split(DemoGenerator::new(cfg));
    if hostile {
        for g in &mut gens {
            if g.operation == "summarize_thread" {
                g.operation = "sum|<script>alert(1)</script>".into();
            }
            g.trace_id.push_str("<img src=x onerror=alert(1)>");
            g.input = Some(TextDigest::of("<script>steal()</script> ```\n# not a heading\n| cell |"));
        }
    }
    let source = MemorySource::from_generations(gens).with_signals(signals);
    futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("demo fetch").dataset
}

/// [`demo_dataset`], analysed as a PostHog project (trace links included).
pub fn demo_analysis(hostile: bool) -> Analysis {
    let data = demo_dataset(hostile);
    let origin = Origin { label: "Demo".into(), posthog: Some(("https://us.posthog.com".into(), "1".into())) };
    let request = Request { window: data.window, settings: Settings::default(), origin, prior: None };
    pipeline::analyse(&data, &request, &Prices::bundled())
}
