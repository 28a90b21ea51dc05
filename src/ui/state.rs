//! What the page shows, as signals: the phase of the current run and the
//! results of the last one that finished.

use crate::analysis::history::FollowUp;
use crate::analysis::Analysis;
use crate::pipeline::Run;
use crate::source::plan::Step;
use crate::source::posthog::CancelToken;
use super::nav::View;
use leptos::prelude::*;
use std::sync::Arc;

/// Where the current run is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Idle,
    /// `detail` says what the step is doing, when there is more to say.
    Running { step: Step, source: String, detail: String },
    Failed(String),
    /// The user stopped the run; earlier results stay on screen.
    Cancelled,
    Done,
}

/// A finished run with the report written from it. It reads as the
/// [`Run`] it holds (`results.analysis`, `results.selection`, ...).
#[derive(Debug)]
pub struct Results {
    pub run: Run,
    pub report_md: String,
    /// The key the project's records are kept under in this browser ([`super::store::project_key`]).
    pub project: String,
    /// When the results were reopened from this browser's copy: the time it was kept.
    pub reopened: Option<String>,
}

impl std::ops::Deref for Results {
    type Target = Run;

    fn deref(&self) -> &Run {
        &self.run
    }
}

/// The page's state, shared through context.
#[derive(Clone, Copy)]
pub struct AppState {
    pub phase: RwSignal<Phase>,
    pub results: RwSignal<Option<Arc<Results>>>,
    /// Set by the Cancel button; the running step stops at its next check.
    pub cancel: RwSignal<bool>,
    /// Aborts the PostHog requests of the current run in flight.
    pub abort: StoredValue<CancelToken>,
    /// PostHog queries of the current or last run against the hourly budget.
    pub queries: RwSignal<Option<QueryMeter>>,
    /// Seconds left before PostHog's rate limit lets the run go on.
    pub throttled_s: RwSignal<Option<u64>>,
    /// The prior analysis (`analysis.json`) the next run follows up on.
    pub prior: RwSignal<Option<Arc<FollowUp>>>,
    /// The view on screen (the address's hash names it).
    pub view: RwSignal<View>,
    /// The trace open in the Traces view.
    pub trace: RwSignal<Option<String>>,
    /// Bumped when what this browser keeps of a project changes.
    pub kept: RwSignal<u32>,
}

/// What the page shows of the query meter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryMeter {
    pub used: u32,
    pub budget: u32,
    pub bytes: u64,
}

impl AppState {
    /// A fresh, idle state.
    pub fn new() -> Self {
        AppState {
            phase: RwSignal::new(Phase::Idle),
            results: RwSignal::new(None),
            cancel: RwSignal::new(false),
            abort: StoredValue::new(CancelToken::new()),
            queries: RwSignal::new(None),
            throttled_s: RwSignal::new(None),
            prior: RwSignal::new(None),
            view: RwSignal::new(View::Connect),
            trace: RwSignal::new(None),
            kept: RwSignal::new(0),
        }
    }

    /// Marks the start of a run.
    pub fn start(&self, step: Step, source: &str, detail: String) {
        self.cancel.set(false);
        self.abort.set_value(CancelToken::new());
        self.queries.set(None);
        self.throttled_s.set(None);
        self.phase.set(Phase::Running { step, source: source.to_string(), detail });
    }

    /// The Cancel button: the run stops at its next step, and requests in
    /// flight are aborted.
    pub fn request_cancel(&self) {
        self.cancel.set(true);
        self.abort.with_value(CancelToken::cancel);
    }

    /// Whether the user asked to stop; if so, records the cancellation.
    pub fn cancelled(&self) -> bool {
        let c = self.cancel.get_untracked();
        if c {
            self.phase.set(Phase::Cancelled);
        }
        c
    }

    /// Whether a run is under way.
    pub fn busy(&self) -> bool {
        matches!(self.phase.get(), Phase::Running { .. })
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

impl Results {
    /// The same results with a changed analysis (the reader's tags), the
    /// report rewritten from it.
    pub fn with_analysis(&self, analysis: Analysis) -> Results {
        Results { report_md: crate::report::recommendations_md(&analysis), run: Run { analysis, ..self.run.clone() }, project: self.project.clone(), reopened: self.reopened.clone() }
    }
}
