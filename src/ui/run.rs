//! Runs an analysis for the page: source, query plan, analysis, report.
//! Every failure ends as a message in [`Phase::Failed`]; results of an
//! earlier run stay on screen.

use super::state::{AppState, Phase, Results};
use crate::analysis::dataset::Window;
use crate::analysis::pricing::PriceTable;
use crate::analysis::{analyze, Origin, Settings};
use crate::report::recommendations_md;
use crate::source::demo::{DemoConfig, DemoGenerator};
use crate::source::memory::MemorySource;
use crate::source::plan::{fetch, Step};
use crate::source::DataSource;
use leptos::prelude::*;
use std::sync::Arc;

/// Lets the browser paint before a long synchronous step.
async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Demo records generated between two paints.
const DEMO_SLICE: usize = 2_000;

/// Runs the built-in demo project through the whole pipeline.
pub fn run_demo(state: AppState, settings: Settings) {
    leptos::task::spawn_local(async move {
        let label = "Demo project".to_string();
        let cfg = DemoConfig { days: settings.window_days, ..DemoConfig::default() };
        let (total, window) = (cfg.generations, Window::ending_at(cfg.end, settings.window_days));
        let mut demo = DemoGenerator::new(cfg);
        let mut generations = Vec::with_capacity(total);
        state.start(Step::Connect, &label, String::new());
        // In slices, so the page stays responsive, shows progress and can stop.
        loop {
            let detail = format!("generating the demo project: {} of {total} generations", generations.len());
            state.phase.set(Phase::Running { step: Step::Connect, source: label.clone(), detail });
            yield_to_browser().await;
            if state.cancelled() {
                return;
            }
            let before = generations.len();
            generations.extend(demo.by_ref().take(DEMO_SLICE).filter_map(|r| r.generation()));
            if generations.len() == before {
                break;
            }
        }
        let source = MemorySource::from_generations(generations);
        // The demo works offline: it prices with the bundled snapshot.
        run(state, source, window, settings, Origin { label, posthog: None }, PriceTable::bundled()).await;
    });
}

/// Fetches with the plan and analyses; shared by every source.
pub async fn run<S: DataSource>(state: AppState, source: S, window: Window, settings: Settings, origin: Origin, prices: &PriceTable) {
    let label = origin.label.clone();
    let mut progress = |step| state.phase.set(Phase::Running { step, source: label.clone(), detail: String::new() });
    let fetched = match fetch(&source, window, &settings, &mut progress).await {
        Ok(f) => f,
        Err(failure) => {
            state.phase.set(Phase::Failed(failure.error.to_string()));
            return;
        }
    };
    yield_to_browser().await;
    if state.cancelled() {
        return;
    }
    let analysis = analyze(&fetched.dataset, &settings, &origin, prices);
    let report_md = recommendations_md(&analysis);
    let warnings = fetched.warnings.iter().map(|(q, e)| format!("{q}: {e}")).collect();
    let (selection, generations) = (fetched.selection, fetched.dataset.generations);
    state.results.set(Some(Arc::new(Results { analysis, report_md, warnings, selection, generations })));
    state.phase.set(Phase::Done);
}
