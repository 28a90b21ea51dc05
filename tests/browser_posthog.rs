//! The page against the local PostHog (the emulator), in headless Chromium:
//! the real client over `fetch`, discovery, a full analysis, and the faults
//! PostHog can throw. `scripts/test` starts the emulator with the demo
//! project (3,000 generations) and builds this with its URL:
//! `POSTHOG_EMULATOR_URL=http://127.0.0.1:PORT cargo test --target wasm32-unknown-unknown --test browser_posthog`.
#![cfg(target_arch = "wasm32")]

use serde_json::json;
use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::Settings;
use trace_optimizer::source::demo::DemoConfig;
use trace_optimizer::source::memory::MemorySource;
use trace_optimizer::pipeline::fetch;
use trace_optimizer::source::posthog::browser::BrowserTransport;
use trace_optimizer::source::event::Event;
use trace_optimizer::source::posthog::hogql::Query;
use trace_optimizer::source::posthog::{ApiKey, Client, Host, PostHogSource, Rank};
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

#[path = "support/dom.rs"]
mod dom;
use dom::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Generations of the demo project the emulator was loaded with.
const GENERATIONS: usize = 3_000;

fn url() -> &'static str {
    // Read at build time: the tests run inside the browser.
    match option_env!("POSTHOG_EMULATOR_URL") {
        Some(url) => url,
        None => panic!("build with POSTHOG_EMULATOR_URL set to a running emulator (scripts/test does)"),
    }
}

fn demo_config() -> DemoConfig {
    DemoConfig { generations: GENERATIONS, ..DemoConfig::default() }
}

/// Sets the emulator's faults (test control, not a PostHog endpoint).
async fn faults(body: serde_json::Value) {
    let r = gloo_net::http::Request::post(&format!("{}/_emulator/faults", url()))
        .header("X-Emulator-Admin-Token", "emulator-admin-token")
        .json(&body)
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "setting faults {body}");
}

async fn no_faults() {
    faults(json!({"seed": 0, "latency_ms": 0, "drop": 0, "error_500": 0, "throttle_429": 0, "malformed": 0, "truncated": 0, "timeout_504": 0})).await;
    let r = gloo_net::http::Request::post(&format!("{}/_emulator/budget/reset", url()))
        .header("X-Emulator-Admin-Token", "emulator-admin-token")
        .json(&json!({}))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Mounts the app and fills the connect panel for the emulator.
async fn connect(key: &str) -> (HtmlElement, impl Sized) {
    let (root, handle) = mount();
    choose(&root, "#host", "custom");
    leptos::task::tick().await;
    input(&root, "#custom-url", url());
    input(&root, "#api-key", key);
    leptos::task::tick().await;
    (root, handle)
}

/// Waits for the report, or fails with the page's error message.
async fn report(root: &HtmlElement, ms: u32) -> String {
    for _ in 0..ms / 50 {
        if root.query_selector("#report-html h2").unwrap().is_some() {
            return text(root, "#report-html");
        }
        if let Some(e) = root.query_selector("#error-message").unwrap() {
            panic!("the run failed: {}", e.text_content().unwrap_or_default());
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    panic!("no report within {ms} ms: {}", text(root, ".progress"));
}

/// The events the local PostHog stores in `project`, as its ingestion left
/// them (it prices the calls of models it knows, as PostHog does), read with
/// HogQL as the native equivalence tests read them.
async fn stored_events(project: &str) -> Vec<Event> {
    let client = Client::new(BrowserTransport, ApiKey::new("phx_emulator_all"), Host::Custom(url().into()));
    let (mut events, mut after) = (Vec::new(), String::new());
    loop {
        let mut values = serde_json::Map::new();
        values.insert("after".into(), after.clone().into());
        let hogql = "SELECT toString(uuid) AS id, event, distinct_id, toTimeZone(timestamp, 'UTC') AS ts, properties FROM events WHERE toString(uuid) > {after} ORDER BY id LIMIT 50000";
        let q = Query { name: "test-export", hogql: hogql.into(), values };
        let page: Vec<Event> = client.query(project, &q, Rank::Urgent, |body| Ok(parse_events(body))).await.expect("export the stored events");
        let full = page.len() == 50_000;
        let Some(last) = page.last() else { return events };
        after = last.uuid.clone();
        events.extend(page);
        if !full {
            return events;
        }
    }
}

fn parse_events(body: &str) -> Vec<Event> {
    let v: serde_json::Value = serde_json::from_str(body).expect("an answer");
    v["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| Event {
            uuid: r[0].as_str().unwrap().to_string(),
            event: r[1].as_str().unwrap().to_string(),
            distinct_id: r[2].as_str().unwrap().to_string(),
            timestamp: r[3].as_str().unwrap().parse().unwrap(),
            properties: serde_json::from_str(r[4].as_str().unwrap()).unwrap(),
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_client_reads_what_the_memory_source_computes() {
    no_faults().await;
    let cfg = demo_config();
    let window = Window::ending_at(cfg.end, cfg.days);
    // The stored events, not the generator's: the local PostHog's ingestion
    // prices the demo's Gemini calls, which the demo leaves unpriced.
    let memory = MemorySource::from_events(stored_events("1").await);
    let client = Client::new(BrowserTransport, ApiKey::new("phx_emulator_all"), Host::Custom(url().into()));
    let posthog = PostHogSource::new(client, "1").unwrap();
    let settings = Settings::default();
    let (want, got) = (fetch(&memory, window, &settings, &mut |_| {}).await.unwrap(), fetch(&posthog, window, &settings, &mut |_| {}).await.unwrap());
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let (w, g) = (&want.dataset, &got.dataset);
    assert_eq!((g.overview.generations, g.overview.traces, g.overview.trace_operations), (w.overview.generations, w.overview.traces, w.overview.trace_operations));
    let calls = |d: &trace_optimizer::analysis::dataset::Dataset| d.rollup.iter().map(|r| r.generations).sum::<u64>();
    let tokens = |d: &trace_optimizer::analysis::dataset::Dataset| d.rollup.iter().map(|r| r.tokens.input + r.tokens.output).sum::<u64>();
    assert_eq!((calls(g), tokens(g)), (calls(w), tokens(w)));
    assert_eq!(g.trace_ops.len(), w.trace_ops.len());
    assert_eq!(want.selection.trace_ids(), got.selection.trace_ids(), "the same traces are read closely");
    assert_eq!(g.generations.len(), w.generations.len());
    assert_eq!(g.signals.iter().map(|r| (r.events, r.passed)).collect::<Vec<_>>(), w.signals.iter().map(|r| (r.events, r.passed)).collect::<Vec<_>>(), "the same quality signals");
    assert_eq!(posthog.client().meter().used(), trace_optimizer::source::plan::planned_queries(&g.overview), "no query beyond the plan");
}

#[wasm_bindgen_test]
async fn a_key_finds_its_projects_and_the_analysis_runs_in_few_queries() {
    no_faults().await;
    let (root, _h) = connect("phx_emulator_all").await;
    click(&root, "#discover");
    let select = wait_for(&root, "#project-select", 10_000).await;
    let options = select.text_content().unwrap();
    assert!(options.contains("Default project (1)") && options.contains("Second project (2)"), "{options}");
    click(&root, "#analyze");
    let md = report(&root, 60_000).await;
    assert!(md.contains("PostHog project Default project (1)"), "the report names its source");
    let link = root.query_selector(&format!("#report-html a[href^='{}/project/1/llm-analytics/traces/']", url())).unwrap();
    assert!(link.is_some(), "trace ids link to the trace in PostHog");
    let meter = text(&root, "#query-meter");
    let used: u32 = meter.trim_start_matches("PostHog queries: ").split(' ').next().unwrap().parse().unwrap();
    assert!((1..=9).contains(&used), "at most 9 queries for a small project (seven, one page of per-trace rows, the generations): {meter}");
}

#[wasm_bindgen_test]
async fn a_refused_key_says_so() {
    no_faults().await;
    let (root, _h) = connect("phx_not_a_key").await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    let message = wait_for(&root, "#error-message", 10_000).await.text_content().unwrap();
    assert!(message.contains("did not accept the API key"), "{message}");
}

#[wasm_bindgen_test]
async fn a_key_without_query_scope_says_which_scope_is_missing() {
    no_faults().await;
    let (root, _h) = connect("phx_emulator_no_query").await;
    click(&root, "#discover");
    let note = wait_for(&root, "#discover-note", 10_000).await.text_content().unwrap();
    assert!(note.contains("query:read"), "{note}");
    wait_for(&root, "#project-select", 1_000).await;
    click(&root, "#analyze");
    let message = wait_for(&root, "#error-message", 10_000).await.text_content().unwrap();
    assert!(message.contains("lacks the query:read scope"), "{message}");
}

#[wasm_bindgen_test]
async fn server_errors_bad_bodies_and_dropped_connections_are_retried() {
    no_faults().await;
    // About one request in three fails; each is retried up to 4 times.
    faults(json!({"seed": 7, "error_500": 0.15, "malformed": 0.05, "truncated": 0.05, "drop": 0.05})).await;
    let (root, _h) = connect("phx_emulator_all").await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    let md = report(&root, 90_000).await;
    no_faults().await;
    assert!(md.contains("Executive Summary") && md.contains("Failure-Mode Analysis"), "a whole report");
    let meter = text(&root, "#query-meter");
    assert!(!meter.starts_with("PostHog queries: 8 "), "retries count against the budget: {meter}");
}

#[wasm_bindgen_test]
async fn a_rate_limit_shows_a_countdown_then_the_run_goes_on() {
    no_faults().await;
    faults(json!({"seed": 3, "throttle_429": 0.3, "throttle_wait_seconds": 2})).await;
    let (root, _h) = connect("phx_emulator_all").await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    let countdown = wait_for(&root, "#throttle", 30_000).await.text_content().unwrap();
    assert!(countdown.contains("going on in"), "{countdown}");
    let md = report(&root, 90_000).await;
    no_faults().await;
    assert!(md.contains("Executive Summary") && md.contains("Failure-Mode Analysis"), "a whole report");
    assert!(root.query_selector("#throttle").unwrap().is_none(), "the countdown ends with the wait");
}

#[wasm_bindgen_test]
async fn cancel_aborts_queries_in_flight_and_keeps_earlier_results() {
    no_faults().await;
    let (root, _h) = connect("phx_emulator_all").await;
    click(&root, "#demo");
    wait_for(&root, "#operations-table tbody tr", 60_000).await;
    faults(json!({"latency_ms": 3000})).await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    wait_for(&root, "#cancel", 5_000).await;
    gloo_timers::future::TimeoutFuture::new(500).await;
    let started = js_sys::Date::now();
    click(&root, "#cancel");
    wait_for(&root, "#cancelled", 5_000).await;
    let waited = js_sys::Date::now() - started;
    no_faults().await;
    assert!(waited < 2_500.0, "requests in flight are aborted, not awaited ({waited} ms)");
    assert_eq!(root.query_selector_all("#operations-table tbody tr").unwrap().length(), 8, "the demo's results stay");
}

#[wasm_bindgen_test]
async fn a_query_over_the_time_limit_is_run_async_and_polled() {
    no_faults().await;
    faults(json!({"seed": 5, "timeout_504": 0.5})).await;
    let (root, _h) = connect("phx_emulator_all").await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    let mut saw_async = false;
    for _ in 0..600 {
        saw_async |= text(&root, ".progress").contains("PostHog now runs it in the background");
        if root.query_selector("#report-html h2").unwrap().is_some() || root.query_selector("#error-message").unwrap().is_some() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    let md = report(&root, 1_000).await;
    no_faults().await;
    assert!(saw_async, "the progress view said a query went async");
    assert!(md.contains("Executive Summary") && md.contains("Failure-Mode Analysis"), "a whole report");
}

#[wasm_bindgen_test]
async fn a_pasted_key_with_invisible_characters_works_and_a_broken_one_says_why() {
    no_faults().await;
    // A zero-width space and a newline from a paste: dropped, the key works.
    let (root, _h) = connect("phx_emulator_all\u{200B}\n").await;
    click(&root, "#discover");
    let options = wait_for(&root, "#project-select", 10_000).await.text_content().unwrap();
    assert!(options.contains("Default project (1)"), "{options}");
    drop(root);
    // A character no header can carry: a clear message, and no request.
    let (root, _h2) = connect("phx_emulator é all").await;
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    click(&root, "#analyze");
    let message = wait_for(&root, "#error-message", 10_000).await.text_content().unwrap();
    assert!(message.contains("paste the key again"), "{message}");
    assert!(root.query_selector("#analyze").unwrap().unwrap().get_attribute("disabled").is_none(), "Analyze can be pressed again");
}

#[wasm_bindgen_test]
async fn a_redirect_is_not_followed_and_a_plain_http_host_is_refused() {
    no_faults().await;
    let queries = || async {
        let r = gloo_net::http::Request::get(&format!("{}/_emulator/status", url())).header("X-Emulator-Admin-Token", "emulator-admin-token").send().await.unwrap();
        r.json::<serde_json::Value>().await.unwrap()["queries_in_last_hour"]["1"].as_u64().unwrap()
    };
    // The redirect points back at the emulator itself: followed, the query would run there.
    let port = url().rsplit(':').next().unwrap();
    let (root, _h) = mount();
    choose(&root, "#host", "custom");
    leptos::task::tick().await;
    input(&root, "#custom-url", &format!("{}/_emulator/redirect/{port}", url()));
    input(&root, "#api-key", "phx_emulator_all");
    input(&root, "#project-id", "1");
    leptos::task::tick().await;
    let before = queries().await;
    click(&root, "#analyze");
    let message = wait_for(&root, "#error-message", 20_000).await.text_content().unwrap();
    assert!(message.contains("answered with a redirect") && message.contains("not followed"), "{message}");
    assert!(!message.contains("phx_emulator_all"));
    assert_eq!(queries().await, before, "the redirect's target ran no query: the key was not sent there");
    // A self-hosted host over plain HTTP is refused before any request, loopback aside.
    input(&root, "#custom-url", "http://posthog.example.com");
    leptos::task::tick().await;
    let refused = wait_for(&root, "#host-error", 5_000).await.text_content().unwrap();
    assert!(refused.contains("clear text") && refused.contains("https://"), "{refused}");
    assert!(root.query_selector("#analyze").unwrap().unwrap().get_attribute("disabled").is_some(), "Analyze waits for an https:// host");
}
