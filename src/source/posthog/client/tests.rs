//! The client against a scripted transport: each test lists PostHog's
//! answers in order and checks what was sent, how long the client slept and
//! what it returned.

use super::*;
use crate::source::posthog::transport::Cancelled;
use futures::executor::block_on;
use std::collections::VecDeque;
use std::rc::Rc;

const KEY: &str = "phx_secret_key_1234";

/// Answers in order; records requests and sleeps instead of waiting.
#[derive(Default)]
struct Scripted {
    answers: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    sent: RefCell<Vec<HttpRequest>>,
    slept: RefCell<Vec<Duration>>,
}

impl Transport for &Scripted {
    async fn send(&self, request: HttpRequest, _cancel: &CancelToken) -> Result<HttpResponse, TransportError> {
        self.sent.borrow_mut().push(request);
        self.answers.borrow_mut().pop_front().expect("the client sent more requests than the script has answers")
    }

    async fn sleep(&self, duration: Duration, cancel: &CancelToken) -> Result<(), Cancelled> {
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        self.slept.borrow_mut().push(duration);
        Ok(())
    }
}

fn script(answers: Vec<Result<HttpResponse, TransportError>>) -> Scripted {
    Scripted { answers: RefCell::new(answers.into()), ..Scripted::default() }
}

fn answer(status: u16, body: &str) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse { status, body: body.to_string() })
}

fn error(status: u16, detail: &str) -> Result<HttpResponse, TransportError> {
    answer(status, &serde_json::json!({ "detail": detail }).to_string())
}

const RESULTS: &str = r#"{"results": [[1]]}"#;

fn query() -> Query {
    Query { name: "test", hogql: "SELECT 1".into(), values: Default::default() }
}

/// Runs the test query on `host`, returning the answer's body as decoded.
fn run(t: &Scripted, host: Host) -> (Result<String, SourceError>, Vec<Notice>, Client<&Scripted>) {
    let notices = Rc::new(RefCell::new(Vec::new()));
    let heard = notices.clone();
    let client = Client::new(t, ApiKey::new(KEY), host).with_notices(move |n| heard.borrow_mut().push(n.clone()));
    let out = block_on(client.query("7", &query(), Rank::Urgent, |body| Ok(body.to_string())));
    let notices = notices.borrow().clone();
    (out, notices, client)
}

fn within(d: Duration, ms: std::ops::RangeInclusive<u64>) -> bool {
    ms.contains(&(d.as_millis() as u64))
}

#[test]
fn server_errors_and_dropped_connections_are_retried_with_growing_backoff() {
    let t = script(vec![error(500, "boom"), Err(TransportError::Network("reset".into())), answer(200, RESULTS)]);
    let (out, notices, client) = run(&t, Host::Us);
    assert_eq!(out.unwrap(), RESULTS);
    let slept = t.slept.borrow();
    assert_eq!(slept.len(), 2);
    assert!(within(slept[0], 250..=500) && within(slept[1], 500..=1000), "{slept:?}");
    assert_eq!(notices.iter().filter(|n| matches!(n, Notice::Retrying { .. })).count(), 2);
    assert_eq!(client.meter().used(), 3, "every attempt is counted against the hourly budget");
}

#[test]
fn retries_end_after_the_policy_attempts_and_out_of_memory_is_not_retried() {
    let t = script(vec![error(502, "a"), error(502, "b"), error(502, "c"), error(502, "d")]);
    assert_eq!(run(&t, Host::Us).0, Err(SourceError::Server { status: 502, detail: "d".into() }));
    assert_eq!(t.sent.borrow().len(), 4);
    let t = script(vec![error(513, "out of memory")]);
    assert!(matches!(run(&t, Host::Us).0, Err(SourceError::Server { status: 513, .. })));
    assert_eq!(t.sent.borrow().len(), 1);
}

#[test]
fn a_named_throttle_wait_is_counted_down_then_the_query_is_sent_again() {
    let t = script(vec![error(429, "Request was throttled. Expected available in 3 seconds."), answer(200, RESULTS)]);
    let (out, notices, _) = run(&t, Host::Us);
    assert_eq!(out.unwrap(), RESULTS);
    let countdown: Vec<u64> = notices.iter().filter_map(|n| if let Notice::Throttled { remaining_s, .. } = n { Some(*remaining_s) } else { None }).collect();
    assert_eq!(countdown, [3, 2, 1]);
    let slept = t.slept.borrow();
    assert_eq!(slept[..3], [Duration::from_secs(1); 3]);
    assert!(within(slept[3], 0..=500), "then a spread so queries do not all return at once");
}

#[test]
fn a_throttle_longer_than_the_policy_allows_ends_the_query() {
    let t = script(vec![error(429, "Request was throttled. Expected available in 3600 seconds.")]);
    assert!(matches!(run(&t, Host::Us).0, Err(SourceError::RateLimited { wait_s: Some(3600), .. })));
    assert!(t.slept.borrow().is_empty());
}

#[test]
fn the_concurrency_limit_backs_off_without_a_countdown() {
    let t = script(vec![error(429, "Too many concurrent queries."), answer(200, RESULTS)]);
    let (out, notices, _) = run(&t, Host::Us);
    assert_eq!(out.unwrap(), RESULTS);
    assert!(within(t.slept.borrow()[0], 500..=1000));
    assert!(!notices.iter().any(|n| matches!(n, Notice::Throttled { .. })));
}

#[test]
fn an_automatic_region_moves_to_eu_after_a_us_401_and_stays_there() {
    let t = script(vec![error(401, "Invalid personal API key."), answer(200, RESULTS), answer(200, RESULTS)]);
    let (out, notices, client) = run(&t, Host::Auto);
    assert_eq!(out.unwrap(), RESULTS);
    assert!(notices.contains(&Notice::SwitchedHost { host: api::EU.to_string() }));
    assert_eq!(client.resolved_host(), Host::Eu);
    block_on(client.query("7", &query(), Rank::Urgent, |b| Ok(b.len()))).unwrap();
    let urls: Vec<String> = t.sent.borrow().iter().map(|r| r.url.clone()).collect();
    assert!(urls[0].starts_with(api::US) && urls[1].starts_with(api::EU) && urls[2].starts_with(api::EU), "{urls:?}");
    assert!(t.slept.borrow().is_empty(), "the switch is immediate");
}

#[test]
fn a_key_refused_by_both_regions_says_so_and_a_chosen_region_is_not_left() {
    let t = script(vec![error(401, "Invalid personal API key."), error(401, "Invalid personal API key.")]);
    match run(&t, Host::Auto).0 {
        Err(SourceError::Unauthorized(m)) => assert!(m.contains("tried US and EU cloud"), "{m}"),
        other => panic!("{other:?}"),
    }
    let t = script(vec![error(401, "Invalid personal API key.")]);
    assert!(matches!(run(&t, Host::Us).0, Err(SourceError::Unauthorized(_))));
    assert_eq!(t.sent.borrow().len(), 1);
}

#[test]
fn the_key_goes_only_into_the_authorization_header_and_is_scrubbed_from_errors() {
    let t = script(vec![answer(400, &format!(r#"{{"code": "bad", "detail": "cannot parse near {KEY}"}}"#))]);
    let (out, _, _) = run(&t, Host::Us);
    let message = out.unwrap_err().to_string();
    assert!(!message.contains(KEY) && message.contains("[key]"), "{message}");
    let sent = t.sent.borrow();
    assert!(!sent[0].url.contains(KEY) && !sent[0].body.as_deref().unwrap_or("").contains(KEY));
    assert_eq!(sent[0].headers.iter().filter(|(_, v)| v.contains(KEY)).map(|(n, _)| *n).collect::<Vec<_>>(), ["Authorization"]);
    assert!(!format!("{:?}", sent[0]).contains(KEY), "Debug leaves header values out");
}

#[test]
fn an_unreadable_answer_is_asked_again_then_reported() {
    let t = script(vec![answer(200, "{"), answer(200, "{"), answer(200, "{"), answer(200, "{")]);
    let client = Client::new(&t, ApiKey::new(KEY), Host::Us);
    let out = block_on(client.query("7", &query(), Rank::Urgent, crate::source::posthog::decode::overview));
    assert!(matches!(out, Err(SourceError::BadResponse(_))), "{out:?}");
    assert_eq!(t.sent.borrow().len(), 4);
}

#[test]
fn a_query_too_slow_to_answer_is_sent_again_async_and_polled() {
    let running = r#"{"query_status": {"id": "q-1", "complete": false}}"#;
    let done = r#"{"query_status": {"id": "q-1", "complete": true, "results": {"results": [[1]]}}}"#;
    let t = script(vec![error(504, "Query timed out"), answer(202, running), answer(202, running), answer(200, done)]);
    let (out, notices, _) = run(&t, Host::Us);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out.unwrap()).unwrap(), serde_json::json!({"results": [[1]]}));
    assert!(notices.contains(&Notice::RunningAsync { query: "test" }));
    let sent = t.sent.borrow();
    assert!(sent[1].body.as_deref().unwrap().contains(r#""refresh":"async""#));
    assert!(sent[2].method == Method::Get && sent[2].url.ends_with("/api/projects/7/query/q-1/"));
    assert_eq!(*t.slept.borrow(), [Duration::from_millis(500), Duration::from_millis(1000)], "polls back off");
}

#[test]
fn a_cancelled_client_sends_nothing() {
    let t = script(vec![]);
    let client = Client::new(&t, ApiKey::new(KEY), Host::Us);
    client.cancel_token().cancel();
    assert_eq!(block_on(client.query("7", &query(), Rank::Urgent, |b| Ok(b.len()))), Err(SourceError::Cancelled));
    assert!(t.sent.borrow().is_empty());
}

#[test]
fn a_pasted_key_loses_invisible_characters_and_keeps_nothing_a_header_cannot_carry() {
    let clean = ApiKey::new("phx_abc123");
    for pasted in ["phx_abc123", "  phx_abc123\n", "phx_abc123\u{200B}", "\u{FEFF}phx_abc\u{200D}123\r\n"] {
        assert_eq!(ApiKey::parse(pasted).as_ref(), Ok(&clean), "{pasted:?}");
    }
    for bad in ["phx_abc 123", "phx_abcé123", "phx_abc\t123", "phx_\u{202E}abc"] {
        let err = ApiKey::parse(bad).unwrap_err();
        assert!(err.contains("paste the key again") && !err.contains("abc"), "{bad:?}: {err}");
    }
    assert!(ApiKey::parse(" \u{200B} ").unwrap_err().contains("Paste a personal API key"));
}

#[test]
fn only_personal_keys_in_posthogs_alphabet_are_taken() {
    assert_eq!(ApiKey::parse("Bearer phx_abc123"), Ok(ApiKey::new("phx_abc123")));
    assert_eq!(ApiKey::parse("bearer  phx_emulator_all"), Ok(ApiKey::new("phx_emulator_all")));
    let refused = |k: &str| ApiKey::parse(k).unwrap_err();
    assert!(refused("phc_abc123").contains("project API key"));
    for wrong in ["abc123", "phx_", "PHX_abc", "sk-abc123"] {
        assert!(refused(wrong).contains("starts with phx_"), "{wrong}");
    }
    let e = refused("phx_abc\"123");
    assert!(e.contains("position 8") && e.contains("letters and digits"), "{e}");
    assert!(refused("phx_ab-c").contains("position 7"));
}

#[test]
fn a_redirect_or_an_oversized_answer_ends_the_query_at_once_with_a_message() {
    let t = script(vec![Err(TransportError::Redirected { location: Some("http://elsewhere.example/api/projects/7/query/".into()) })]);
    let (out, _, _) = run(&t, Host::Custom("https://posthog.example.com".into()));
    match out {
        Err(SourceError::BadResponse(m)) => assert!(m.starts_with("https://posthog.example.com answered with a redirect to http://elsewhere.example/api/") && m.contains("not followed"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(t.sent.borrow().len(), 1, "not retried");
    let t = script(vec![Err(TransportError::Redirected { location: None })]);
    let (out, _, _) = run(&t, Host::Us);
    assert!(matches!(out, Err(SourceError::BadResponse(m)) if m.contains("final https:// address")));
    let t = script(vec![Err(TransportError::TooLarge)]);
    let (out, _, _) = run(&t, Host::Us);
    assert!(matches!(out, Err(SourceError::BadResponse(m)) if m.contains("passed 128 MiB") && m.contains("test")));
    assert_eq!(t.sent.borrow().len(), 1, "not retried");
}
