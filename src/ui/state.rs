//! What the page shows, as signals: the phase of the current run and the
//! results of the last one that finished.

use crate::analysis::dataset::GenerationRow;
use crate::analysis::select::Selection;
use crate::analysis::history::FollowUp;
use crate::analysis::Analysis;
use crate::source::plan::Step;
use crate::source::posthog::CancelToken;
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

/// A finished analysis with the report written from it.
#[derive(Debug)]
pub struct Results {
    pub analysis: Analysis,
    pub report_md: String,
    /// Queries that failed without stopping the run.
    pub warnings: Vec<String>,
    /// The traces read closely, and their generations.
    pub selection: Selection,
    pub generations: Vec<GenerationRow>,
    pub timing: Timing,
}

/// Where a run's time went (milliseconds): asking the source (queries, or
/// generating the demo's answers), then analysing and writing the report;
/// and the rounds of queries that waited on an earlier answer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    pub fetch_ms: f64,
    pub compute_ms: f64,
    pub rounds: u32,
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
        Results {
            report_md: crate::report::recommendations_md(&analysis),
            analysis,
            warnings: self.warnings.clone(),
            selection: self.selection.clone(),
            generations: self.generations.clone(),
            timing: self.timing,
        }
    }
}
