//! Runs an analysis for the page: source, query plan, analysis, report.
//! Every failure ends as a message in [`Phase::Failed`]; results of an
//! earlier run stay on screen.

use super::state::{AppState, Phase, QueryMeter, Results};
use super::store::KeptRun;
use crate::analysis::dataset::{ErrorRow, LatencyRow, Overview, PrefixRow, RollupRow, SegmentRow, SignalRow, TraceOpRow, TraceRows, Window};
use crate::analysis::history::FollowUp;
use crate::analysis::{Origin, Settings};
use crate::pipeline::{self, Prices, Request, Shell};
use crate::report::recommendations_md;
use crate::source::demo::{DemoConfig, DemoGenerator};
use crate::source::memory::MemorySource;
use crate::source::plan::Step;
use crate::source::posthog::browser::BrowserTransport;
use crate::source::posthog::{ApiKey, Client, Host, Meter, Notice, PostHogSource, ProjectChoice};
use crate::source::{DataSource, Page as Answer, RollupPage, SourceError, TraceOpsPage};
use leptos::prelude::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Lets the browser paint before a long synchronous step.
async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Milliseconds on the page's clock.
fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
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
        let mut events = crate::source::demo::Split { generations: Vec::with_capacity(total), ..Default::default() };
        state.start(Step::Connect, &label, String::new());
        // The demo works offline: it prices with the bundled snapshot, from the page's own origin.
        let snapshot = match super::live_prices::snapshot().await {
            Ok(table) => table,
            Err(why) => return state.phase.set(Phase::Failed(why)),
        };
        // In slices, so the page stays responsive, shows progress and can stop.
        loop {
            let detail = format!("generating the demo project: {} of {total} generations", events.generations.len());
            state.phase.set(Phase::Running { step: Step::Connect, source: label.clone(), detail });
            yield_to_browser().await;
            if state.cancelled() {
                return;
            }
            let slice = crate::source::demo::split(demo.by_ref().take(DEMO_SLICE));
            if slice.generations.is_empty() && slice.signals.is_empty() && slice.spans.is_empty() {
                break;
            }
            events.generations.extend(slice.generations);
            events.signals.extend(slice.signals);
            events.spans.extend(slice.spans);
        }
        let source = PageSource::Demo(events.into_source());
        run(state, source, window, settings, Origin { label, posthog: None }, super::store::DEMO.into(), Box::pin(async move { Prices::from(snapshot) })).await;
    });
}

/// The page as the pipeline's shell: steps shown in the progress view,
/// the page's clock, a paint before the analysis, the Cancel button.
struct Page {
    state: AppState,
    label: String,
}

impl Shell for Page {
    fn progress(&mut self, step: Step) {
        self.state.phase.set(Phase::Running { step, source: self.label.clone(), detail: String::new() });
    }

    fn now_ms(&self) -> f64 {
        now_ms()
    }

    async fn pause(&self) {
        yield_to_browser().await;
    }

    fn cancelled(&self) -> bool {
        self.state.cancelled()
    }
}

/// The prior analysis a run of `project` follows up on: the file the user
/// picked, else the one kept in this browser for the project.
fn prior_for(state: AppState, project: &str) -> Option<Arc<FollowUp>> {
    state.prior.get_untracked().or_else(|| super::store::follow_up(project).and_then(|json| FollowUp::parse(&json).ok()).map(Arc::new))
}

/// The page's two sources as one type, so that the query plan and the
/// pipeline (generic over the source) are compiled once in the wasm, not
/// once per source.
enum PageSource {
    Demo(MemorySource),
    PostHog(Box<PostHogSource<BrowserTransport>>),
}

/// Each question goes to the source the run reads.
macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl DataSource for PageSource {
            $(async fn $name(&self, w: &Window, $($arg: $ty),*) -> Result<$out, SourceError> {
                match self {
                    PageSource::Demo(s) => s.$name(w, $($arg),*).await,
                    PageSource::PostHog(s) => s.$name(w, $($arg),*).await,
                }
            })*
        }
    };
}

delegate! {
    overview() -> Overview;
    rollup(page: &RollupPage) -> Answer<RollupRow>;
    latency() -> Vec<LatencyRow>;
    trace_ops(page: &TraceOpsPage) -> Answer<TraceOpRow>;
    prefixes() -> Vec<PrefixRow>;
    errors() -> Vec<ErrorRow>;
    generations(trace_ids: &[String]) -> TraceRows;
    signals() -> Vec<SignalRow>;
    segments() -> Vec<SegmentRow>;
}

/// Runs the pipeline on `source` while `prices` loads; shared by every source.
/// `project` is the key the project's records are kept under in this browser.
async fn run(state: AppState, source: PageSource, window: Window, settings: Settings, origin: Origin, project: String, prices: Pin<Box<dyn Future<Output = Prices>>>) {
    let prior = prior_for(state, &project);
    let request = Request { window, settings, origin, prior: prior.as_deref() };
    let mut page = Page { state, label: request.origin.label.clone() };
    match pipeline::run_and_keep(&source, &request, prices, &mut page).await {
        Ok((run, packed)) => {
            let report_md = recommendations_md(&run.analysis);
            let results = Arc::new(Results { report_md, run, project, reopened: None });
            keep(&results);
            keep_run(state, &results, packed);
            state.results.set(Some(results));
            state.phase.set(Phase::Done);
            super::nav::go(state, super::nav::View::Overview);
        }
        Err(failure) if failure.error == SourceError::Cancelled => state.phase.set(Phase::Cancelled),
        Err(failure) => state.phase.set(Phase::Failed(failure.error.to_string())),
    }
}

/// Keeps `results`'s `analysis.json` (with the reader's marks) in this
/// browser: the next run of the project follows up on it.
pub fn keep(results: &Results) {
    super::store::save_follow_up(&results.project, &crate::report::follow_up::analysis_json(&results.analysis));
}

/// Keeps `packed` (`results`'s run, [`pipeline::kept`]) in this browser's
/// Cache Storage, to be reopened without asking the source again, and
/// records what was kept, or why not.
fn keep_run(state: AppState, results: &Results, packed: Result<Vec<u8>, String>) {
    let project = results.project.clone();
    let w = &results.analysis.window;
    let window = format!("{} to {}", crate::time::day(w.start), crate::time::day(w.end));
    leptos::task::spawn_local(async move {
        let saved = match packed {
            Ok(record) => super::kept_runs::save(&project, &record).await.map(|n| n as u64),
            Err(why) => Err(why),
        };
        let record = match saved {
            Ok(bytes) => KeptRun {
                saved: format!("{} UTC", crate::time::minute(chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default())),
                window,
                bytes,
                not_kept: None,
            },
            Err(why) => KeptRun { not_kept: Some(why), ..KeptRun::default() },
        };
        super::store::save_kept_run(&project, &record);
        state.kept.update(|n| *n += 1);
    });
}

/// Reopens `project`'s kept run, analysed again from the rows it fetched,
/// with the marks made since, without asking the source again. It prices
/// with the snapshot served with the page (a run that priced with live
/// prices may differ where those moved).
pub fn reopen(state: AppState, project: String) {
    leptos::task::spawn_local(async move {
        let label = "the analysis kept in this browser".to_string();
        state.start(Step::Done, &label, "reading it back".into());
        let bytes = match super::kept_runs::load(&project).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return state.phase.set(Phase::Failed("This browser no longer keeps that analysis (its storage was cleared). Analyze again.".into())),
            Err(why) => return state.phase.set(Phase::Failed(why)),
        };
        let snapshot = match super::live_prices::snapshot().await {
            Ok(table) => table,
            Err(why) => return state.phase.set(Phase::Failed(why)),
        };
        yield_to_browser().await;
        let mut run = match crate::pipeline::kept::unpack(&bytes, Prices::from(snapshot)) {
            Ok(run) => run,
            Err(why) => return state.phase.set(Phase::Failed(format!("{why}. Analyze again."))),
        };
        if let Some(f) = super::store::follow_up(&project).and_then(|json| FollowUp::parse(&json).ok()) {
            run.analysis = crate::pipeline::kept::with_marks(run.analysis, &f);
        }
        let reopened = Some(super::store::kept_run(&project).map(|k| k.saved).unwrap_or_default());
        let results = Arc::new(Results { report_md: recommendations_md(&run.analysis), run, project, reopened });
        state.results.set(Some(results));
        state.phase.set(Phase::Done);
        super::nav::go(state, super::nav::View::Overview);
    });
}

/// A PostHog project to analyse, as the connect panel gives it.
pub struct PostHogTarget {
    pub host: Host,
    pub key: ApiKey,
    pub project: ProjectChoice,
    /// The key the project's records are kept under in this browser.
    pub kept: String,
}

/// The client the page uses: `fetch`, the run's cancel token, and notices
/// that feed the query meter and the rate-limit countdown.
pub fn posthog_client(state: AppState, host: Host, key: ApiKey) -> Client<BrowserTransport> {
    let meter = Meter::new();
    let shown = meter.clone();
    Client::new(BrowserTransport, key, host).with_cancel(state.abort.get_value()).with_meter(meter).with_notices(move |n| {
        state.queries.set(Some(QueryMeter { used: shown.used(), budget: shown.budget(), bytes: shown.bytes() }));
        match n {
            Notice::Throttled { remaining_s, .. } => state.throttled_s.set(Some(*remaining_s)),
            Notice::Sent { .. } => state.throttled_s.set(None),
            _ => {}
        }
        if let Some(detail) = notice_detail(n) {
            state.phase.update(|p| {
                if let Phase::Running { detail: d, .. } = p {
                    *d = detail;
                }
            });
        }
    })
}

/// What a notice tells the user, if anything beyond the meter.
fn notice_detail(n: &Notice) -> Option<String> {
    match n {
        Notice::Retrying { query, delay, reason } => Some(format!("{query}: {reason}; trying again in {:.1} s", delay.as_secs_f64())),
        Notice::RunningAsync { query } => Some(format!("{query} is slow: PostHog now runs it in the background")),
        Notice::SwitchedHost { host } => Some(format!("the key is not known on US cloud; using {host}")),
        Notice::Throttled { .. } | Notice::Sent { .. } => None,
    }
}

/// Runs the analysis on a PostHog project, with live LiteLLM prices.
pub fn run_posthog(state: AppState, target: PostHogTarget, settings: Settings) {
    leptos::task::spawn_local(async move {
        let label = format!("PostHog project {} ({})", target.project.name, target.project.id);
        state.start(Step::Connect, &label, String::new());
        let client = posthog_client(state, target.host, target.key);
        let project = target.project.id.to_string();
        // The snapshot is the fallback of the live prices: a run without either does not start.
        let (source, snapshot) = futures::join!(pipeline::posthog_source(client, &project), super::live_prices::snapshot());
        let source = match source {
            Ok(s) => s,
            Err(f) if f.error == SourceError::Cancelled => return state.phase.set(Phase::Cancelled),
            Err(f) => return state.phase.set(Phase::Failed(f.error.to_string())),
        };
        let snapshot = match snapshot {
            Ok(table) => table,
            Err(why) => return state.phase.set(Phase::Failed(why)),
        };
        let posthog = Some((source.client().host(), project));
        let now = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default();
        let window = Window::ending_at(now, settings.window_days);
        run(state, PageSource::PostHog(Box::new(source)), window, settings, Origin { label, posthog }, target.kept, Box::pin(super::live_prices::current(snapshot))).await;
        state.throttled_s.set(None);
    });
}
