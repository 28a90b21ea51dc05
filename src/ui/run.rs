//! Runs an analysis for the page: source, query plan, analysis, report.
//! Every failure ends as a message in [`Phase::Failed`]; results of an
//! earlier run stay on screen.

use super::state::{AppState, Phase, QueryMeter, Results, Timing};
use crate::source::posthog::browser::BrowserTransport;
use crate::source::posthog::{key_scopes, ApiKey, Client, Host, Meter, Notice, PostHogSource, ProjectChoice};
use crate::source::SourceError;
use crate::analysis::dataset::Window;
use crate::analysis::pricing::PriceTable;
use std::borrow::Cow;
use std::future::Future;
use crate::analysis::{analyze_following, Origin, Settings};
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
        let prices = async { (Cow::Borrowed(PriceTable::bundled()), None) };
        run(state, source, window, settings, Origin { label, posthog: None }, prices).await;
    });
}

/// The price table of a run, and why it is not the one asked for, if so.
pub type Prices = (Cow<'static, PriceTable>, Option<String>);

/// Fetches with the plan while `prices` loads, and analyses; shared by
/// every source.
pub async fn run<S: DataSource>(state: AppState, source: S, window: Window, settings: Settings, origin: Origin, prices: impl Future<Output = Prices>) {
    let label = origin.label.clone();
    let mut progress = |step| state.phase.set(Phase::Running { step, source: label.clone(), detail: String::new() });
    let started = now_ms();
    let (fetched, (prices, price_note)) = futures::join!(fetch(&source, window, &settings, &mut progress), prices);
    let fetched = match fetched {
        Ok(f) => f,
        Err(failure) if failure.error == SourceError::Cancelled => {
            state.phase.set(Phase::Cancelled);
            return;
        }
        Err(failure) => {
            state.phase.set(Phase::Failed(failure.error.to_string()));
            return;
        }
    };
    yield_to_browser().await;
    if state.cancelled() {
        return;
    }
    let fetched_at = now_ms();
    let prior = state.prior.get_untracked();
    let mut analysis = analyze_following(&fetched.dataset, &settings, &origin, &prices, prior.as_deref());
    analysis.pricing.notes.extend(price_note);
    let report_md = recommendations_md(&analysis);
    let timing = Timing { fetch_ms: fetched_at - started, compute_ms: now_ms() - fetched_at, rounds: fetched.rounds };
    let warnings = fetched.warnings.iter().map(|(q, e)| format!("{q}: {e}")).collect();
    let (selection, generations) = (fetched.selection, fetched.dataset.generations);
    state.results.set(Some(Arc::new(Results { analysis, report_md, warnings, selection, generations, timing })));
    state.phase.set(Phase::Done);
}

/// A PostHog project to analyse, as the connect panel gives it.
pub struct PostHogTarget {
    pub host: Host,
    pub key: ApiKey,
    pub project: ProjectChoice,
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
        // Stage 1: the key and its scope, and the region when automatic
        // (one request, no HogQL).
        match key_scopes(&client).await {
            Ok(k) if !k.can_query() => {
                state.phase.set(Phase::Failed(format!("The API key lacks the query:read scope (it has: {}). Create a personal API key with query:read in PostHog's settings.", k.scopes.join(", "))));
                return;
            }
            Err(SourceError::Cancelled) => return state.phase.set(Phase::Cancelled),
            Err(e @ (SourceError::Unauthorized(_) | SourceError::Forbidden(_) | SourceError::NotFound(_))) => return state.phase.set(Phase::Failed(e.to_string())),
            // Anything else (an unreadable answer, a passing outage) is left
            // to the plan's first query, which retries and reports it.
            Ok(_) | Err(_) => {}
        }
        let project = target.project.id.to_string();
        let source = match PostHogSource::new(client, &project) {
            Ok(s) => s,
            Err(e) => {
                state.phase.set(Phase::Failed(e.to_string()));
                return;
            }
        };
        let posthog = Some((source.client().host(), project));
        let now = chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default();
        let window = Window::ending_at(now, settings.window_days);
        run(state, source, window, settings, Origin { label, posthog }, super::live_prices::current()).await;
        state.throttled_s.set(None);
    });
}
