//! The client of PostHog's API: authentication, the region, retries, the
//! hourly budget meter, at most three queries in flight (ranked for
//! slots, see [`Rank`]), and cancel.
//!
//! - 5xx (but 513, out of memory) and network failures: retried with
//!   jittered exponential backoff, [`RetryPolicy::attempts`] tries in all;
//!   so are answers that cannot be read.
//! - 429 naming a wait (the hourly budget): wait that long, counting down
//!   through [`Notice::Throttled`] once a second, then retry; a wait past
//!   [`RetryPolicy::max_throttle_wait`] ends the query instead.
//! - 429 naming none (too many concurrent queries): a short backoff.
//! - 504 (blocking query too slow): re-sent with `refresh: "async"` and
//!   polled; `DELETE`d on cancel or at the deadline.
//! - 401 from US cloud with [`Host::Auto`]: retried on EU cloud, which is
//!   then used for every later request.
//!
//! The key goes only into the `Authorization` header: never into a URL, a
//! notice or an error (errors are scrubbed of it in case a server echoes it).

mod async_query;
mod slots;

pub use slots::Rank;

use super::api::{self, Host, Refresh};
use super::hogql::Query;
use super::meter::Meter;
use super::transport::{CancelToken, HttpRequest, HttpResponse, Method, Transport, TransportError, MAX_RESPONSE_BYTES};
use slots::Slots;
use crate::source::SourceError;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg32;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::time::Duration;

/// A personal API key; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Invisible characters a paste can carry inside a key (zero-width space,
/// joiners, word joiner, byte-order mark, soft hyphen): dropped wherever they are.
const INVISIBLE: [char; 6] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}'];

/// How PostHog's personal API keys begin (`PERSONAL_API_KEY_PREFIX`).
pub const PERSONAL_KEY_PREFIX: &str = "phx_";

impl ApiKey {
    /// Wraps a key known to be well formed (surrounding whitespace dropped);
    /// what a user pasted goes through [`ApiKey::parse`].
    pub fn new(key: &str) -> Self {
        ApiKey(key.trim().to_string())
    }

    /// A key as the user pasted it: surrounding whitespace, invisible
    /// characters and a leading `Bearer ` dropped; anything else that an HTTP
    /// header cannot carry (the browser would refuse the request) is refused
    /// with a message, and so is a key that is not a personal API key:
    /// PostHog writes those as [`PERSONAL_KEY_PREFIX`] and a base-62 number
    /// (letters and digits, `generate_random_token_personal`); `_` is
    /// accepted too, as local test servers' keys use it.
    pub fn parse(pasted: &str) -> Result<Self, String> {
        let key: String = pasted.chars().filter(|c| !INVISIBLE.contains(c)).collect::<String>().trim().to_string();
        let key = match key.get(..7) {
            Some(b) if b.eq_ignore_ascii_case("bearer ") => key[7..].trim_start().to_string(),
            _ => key,
        };
        if key.is_empty() {
            return Err("Paste a personal API key (PostHog: Settings, Personal API keys).".into());
        }
        if let Some((i, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
            return Err(format!("The API key has a character a request cannot carry ({} at position {}): paste the key again as PostHog shows it (phx_ followed by letters and digits).", c.escape_unicode(), i + 1));
        }
        if key.starts_with("phc_") {
            return Err("This is a project API key (phc_...), which only sends events: paste a personal API key (phx_..., PostHog: Settings, Personal API keys).".into());
        }
        let Some(body) = key.strip_prefix(PERSONAL_KEY_PREFIX).filter(|b| !b.is_empty()) else {
            return Err("A personal API key starts with phx_ followed by letters and digits: paste the key again as PostHog shows it (Settings, Personal API keys).".into());
        };
        if let Some((i, c)) = body.chars().enumerate().find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_')) {
            return Err(format!("The API key has {c:?} at position {}, where a personal API key has only letters and digits: paste the key again as PostHog shows it.", i + 1 + PERSONAL_KEY_PREFIX.len()));
        }
        Ok(ApiKey(key))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// Retry, wait and timeout limits.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Tries of a request failing with 5xx, a network error or an unreadable answer.
    pub attempts: u32,
    /// First backoff; doubled per failure up to `max_delay`, jittered within its upper half.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Retries after PostHog's concurrency 429, backing off from `busy_delay`.
    pub busy_retries: u32,
    pub busy_delay: Duration,
    /// Longest total wait for the hourly budget within one query.
    pub max_throttle_wait: Duration,
    /// Timeout of a blocking query request (PostHog: 10 s running, 30 s queued).
    pub query_timeout: Duration,
    /// Timeout of other requests.
    pub request_timeout: Duration,
    /// First poll interval of an async query; doubled up to `max_poll_interval`.
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
    /// An async query still running after this long is cancelled.
    pub async_deadline: Duration,
    /// Queries in flight at once (PostHog runs 3 per team).
    pub max_in_flight: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            busy_retries: 8,
            busy_delay: Duration::from_secs(1),
            max_throttle_wait: Duration::from_secs(300),
            query_timeout: Duration::from_secs(90),
            request_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            max_poll_interval: Duration::from_secs(5),
            async_deadline: Duration::from_secs(300),
            max_in_flight: 3,
        }
    }
}

/// What the client is doing, for the progress view.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A HogQL query was sent; `attempt` counts from 1.
    Sent { query: &'static str, attempt: u32 },
    /// The hourly budget is spent: the query is retried in `remaining_s`
    /// seconds. Sent once a second, counting down.
    Throttled { query: &'static str, remaining_s: u64 },
    /// A failed request is retried after `delay`.
    Retrying { query: &'static str, delay: Duration, reason: String },
    /// The query was too slow to answer at once; it now runs asynchronously.
    RunningAsync { query: &'static str },
    /// US cloud refused the key; requests go to this host now.
    SwitchedHost { host: String },
}

/// PostHog's API for one key. Build it, then set what the page needs with
/// the `with_*` methods.
pub struct Client<T: Transport> {
    transport: T,
    key: ApiKey,
    host: Host,
    base: RefCell<String>,
    /// A non-401 answer came back: the region is known.
    settled: Cell<bool>,
    policy: RetryPolicy,
    slots: Slots,
    meter: Meter,
    cancel: CancelToken,
    rng: RefCell<Pcg32>,
    notify: Box<dyn Fn(&Notice)>,
}

/// One request and how to treat its answer.
struct Call<'a> {
    what: &'static str,
    method: Method,
    path: &'a str,
    body: Option<String>,
    timeout: Duration,
    /// Counted against the hourly budget (a HogQL query).
    counted: bool,
    /// Statuses returned as answers besides 2xx.
    pass: &'static [u16],
}

impl<T: Transport> Client<T> {
    /// A client for `key` on `host`.
    pub fn new(transport: T, key: ApiKey, host: Host) -> Self {
        let policy = RetryPolicy::default();
        Client {
            transport,
            key,
            base: RefCell::new(host.first().to_string()),
            host,
            settled: Cell::new(false),
            slots: Slots::new(policy.max_in_flight),
            policy,
            meter: Meter::new(),
            cancel: CancelToken::new(),
            rng: RefCell::new(Pcg32::seed_from_u64(0)),
            notify: Box::new(|_| {}),
        }
    }

    /// Counts into `meter` (share one across runs to show the hour's use).
    pub fn with_meter(mut self, meter: Meter) -> Self {
        self.meter = meter;
        self
    }

    /// Stops when `cancel` fires.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Reports progress (waits, retries, region switch) to `notify`.
    pub fn with_notices(mut self, notify: impl Fn(&Notice) + 'static) -> Self {
        self.notify = Box::new(notify);
        self
    }

    /// Uses other limits.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.slots = Slots::new(policy.max_in_flight);
        self.policy = policy;
        self
    }

    /// Seeds the backoff jitter (the same seed gives the same delays).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rng = RefCell::new(Pcg32::seed_from_u64(seed));
        self
    }

    /// The API host in use (EU after an automatic switch).
    pub fn host(&self) -> String {
        self.base.borrow().clone()
    }

    /// The host as chosen, or as found when it was automatic.
    pub fn resolved_host(&self) -> Host {
        match self.host {
            Host::Auto if self.settled.get() && *self.base.borrow() == api::EU => Host::Eu,
            Host::Auto if self.settled.get() => Host::Us,
            ref h => h.clone(),
        }
    }

    /// The meter of queries sent.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// The token that stops this client.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    /// `GET path` (relative to the host), retried like a query but not counted.
    pub async fn get(&self, what: &'static str, path: &str) -> Result<String, SourceError> {
        let call = Call { what, method: Method::Get, path, body: None, timeout: self.policy.request_timeout, counted: false, pass: &[] };
        self.exchange(call).await.map(|r| r.body)
    }

    /// Runs a HogQL query in `project` and reads its answer with `decode`;
    /// when every slot is taken, it waits behind queries of a better `rank`.
    pub async fn query<R>(&self, project: &str, q: &Query, rank: Rank, decode: impl Fn(&str) -> Result<R, SourceError>) -> Result<R, SourceError> {
        let _slot = self.cancel.or_cancel(self.slots.acquire(rank)).await.map_err(|_| SourceError::Cancelled)?;
        let path = format!("/api/projects/{project}/query/");
        let mut unreadable = 0;
        loop {
            let body = Some(api::query_body(q, Refresh::Blocking));
            let call = Call { what: q.name, method: Method::Post, path: &path, body, timeout: self.policy.query_timeout, counted: true, pass: &[504] };
            let answer = self.exchange(call).await?;
            if answer.status == 504 {
                return self.run_async(project, q, &decode).await;
            }
            match decode(&answer.body) {
                Ok(rows) => return Ok(rows),
                Err(e) => {
                    unreadable += 1;
                    if unreadable >= self.policy.attempts {
                        return Err(self.scrub(e));
                    }
                    self.pause(q.name, self.backoff(self.policy.base_delay, unreadable), &e).await?;
                }
            }
        }
    }

    /// Sends a request until it gets an answer to return, retrying as the
    /// module documentation says.
    async fn exchange(&self, call: Call<'_>) -> Result<HttpResponse, SourceError> {
        let (mut failures, mut busy, mut attempt) = (0, 0, 0);
        let mut throttled: u64 = 0;
        loop {
            if self.cancel.is_cancelled() {
                return Err(SourceError::Cancelled);
            }
            attempt += 1;
            if call.counted {
                self.meter.count(call.what);
                (self.notify)(&Notice::Sent { query: call.what, attempt });
            }
            let base = self.host();
            let request = self.request(&base, &call);
            let error = match self.transport.send(request, &self.cancel).await {
                Ok(answer) => {
                    self.meter.add_bytes(answer.body.len());
                    if answer.status != 401 {
                        self.settled.set(true);
                    }
                    if (200..300).contains(&answer.status) || call.pass.contains(&answer.status) {
                        return Ok(answer);
                    }
                    self.scrub(api::error_from(answer.status, &answer.body))
                }
                Err(TransportError::Cancelled) => return Err(SourceError::Cancelled),
                Err(TransportError::Timeout) => SourceError::Network(format!("no answer within {} s", call.timeout.as_secs())),
                Err(TransportError::Network(m)) => self.scrub(SourceError::Network(m)),
                Err(TransportError::Redirected { location }) => return Err(self.scrub(SourceError::BadResponse(redirected(&base, location.as_deref())))),
                Err(TransportError::TooLarge) => {
                    return Err(SourceError::BadResponse(format!(
                        "the answer to {} passed {} MiB, more than PostHog sends for {} rows: it was not read",
                        call.what,
                        MAX_RESPONSE_BYTES / (1024 * 1024),
                        crate::contract::MAX_ROWS
                    )))
                }
            };
            let delay = match &error {
                SourceError::Unauthorized(_) if base != self.host() || self.switch_region() => continue,
                SourceError::Unauthorized(d) if self.host == Host::Auto && base == api::EU => {
                    return Err(SourceError::Unauthorized(format!("{d} (tried US and EU cloud)")));
                }
                SourceError::RateLimited { wait_s: Some(s), .. } => {
                    throttled = throttled.saturating_add(*s);
                    if Duration::from_secs(throttled) > self.policy.max_throttle_wait {
                        return Err(error);
                    }
                    self.countdown(call.what, *s).await?;
                    continue;
                }
                SourceError::RateLimited { wait_s: None, .. } if busy < self.policy.busy_retries => {
                    busy += 1;
                    self.backoff(self.policy.busy_delay, busy)
                }
                e if retried(e) && failures + 1 < self.policy.attempts => {
                    failures += 1;
                    self.backoff(self.policy.base_delay, failures)
                }
                _ => return Err(error),
            };
            self.pause(call.what, delay, &error).await?;
        }
    }

    fn request(&self, base: &str, call: &Call<'_>) -> HttpRequest {
        let mut headers = vec![("Authorization", format!("Bearer {}", self.key.0)), ("Accept", "application/json".to_string())];
        if call.body.is_some() {
            headers.push(("Content-Type", "application/json".to_string()));
        }
        HttpRequest { method: call.method, url: format!("{base}{}", call.path), headers, body: call.body.clone(), timeout: call.timeout }
    }

    /// Moves an automatic region from US to EU, once.
    fn switch_region(&self) -> bool {
        if self.host != Host::Auto || self.settled.get() || *self.base.borrow() != api::US {
            return false;
        }
        *self.base.borrow_mut() = api::EU.to_string();
        (self.notify)(&Notice::SwitchedHost { host: api::EU.to_string() });
        true
    }

    /// Waits `seconds` for the hourly budget, telling the countdown, plus up
    /// to half a second so the queries in flight do not all return at once.
    async fn countdown(&self, query: &'static str, seconds: u64) -> Result<(), SourceError> {
        for remaining_s in (1..=seconds).rev() {
            (self.notify)(&Notice::Throttled { query, remaining_s });
            self.sleep(Duration::from_secs(1)).await?;
        }
        let spread = self.rng.borrow_mut().random_range(0..=500);
        self.sleep(Duration::from_millis(spread)).await
    }

    /// The delay before retry `n` (from 1): `first * 2^(n-1)`, capped, jittered within its upper half.
    fn backoff(&self, first: Duration, n: u32) -> Duration {
        let full = first.saturating_mul(1 << (n - 1).min(16)).min(self.policy.max_delay.max(first));
        let ms = full.as_millis() as u64;
        Duration::from_millis(ms / 2 + self.rng.borrow_mut().random_range(0..=ms - ms / 2))
    }

    async fn pause(&self, query: &'static str, delay: Duration, why: &SourceError) -> Result<(), SourceError> {
        (self.notify)(&Notice::Retrying { query, delay, reason: why.to_string() });
        self.sleep(delay).await
    }

    async fn sleep(&self, d: Duration) -> Result<(), SourceError> {
        self.transport.sleep(d, &self.cancel).await.map_err(|_| SourceError::Cancelled)
    }

    /// `e` without the key in any of its text.
    fn scrub(&self, e: SourceError) -> SourceError {
        let key = &self.key.0;
        if key.len() < 4 {
            return e;
        }
        let s = |t: String| t.replace(key.as_str(), "[key]");
        match e {
            SourceError::Unauthorized(t) => SourceError::Unauthorized(s(t)),
            SourceError::Forbidden(t) => SourceError::Forbidden(s(t)),
            SourceError::NotFound(t) => SourceError::NotFound(s(t)),
            SourceError::RateLimited { detail, wait_s } => SourceError::RateLimited { detail: s(detail), wait_s },
            SourceError::QuotaExceeded(t) => SourceError::QuotaExceeded(s(t)),
            SourceError::Query(t) => SourceError::Query(s(t)),
            SourceError::Timeout(t) => SourceError::Timeout(s(t)),
            SourceError::Server { status, detail } => SourceError::Server { status, detail: s(detail) },
            SourceError::Network(t) => SourceError::Network(s(t)),
            SourceError::BadResponse(t) => SourceError::BadResponse(s(t)),
            SourceError::Cancelled => SourceError::Cancelled,
        }
    }
}

/// What a redirect from `base` means to the user: it is not followed, so
/// the key goes nowhere else; the host to enter instead, when known.
fn redirected(base: &str, location: Option<&str>) -> String {
    let shown = |l: &str| l.chars().filter(|c| !c.is_control()).take(200).collect::<String>();
    match location {
        Some(l) => format!(
            "{base} answered with a redirect to {}; redirects are not followed, so the key is not sent there. If that is your PostHog, enter its https:// address as the host.",
            shown(l)
        ),
        None => format!(
            "{base} answered with a redirect; redirects are not followed, so the key is not sent on. Enter your PostHog's final https:// address as the host (the one its pages show)."
        ),
    }
}

/// Whether sending the same request again may help: PostHog failed (but
/// ran out of memory, which would again) or the connection did.
fn retried(e: &SourceError) -> bool {
    matches!(e, SourceError::Network(_)) || matches!(e, SourceError::Server { status, .. } if *status != 513)
}

#[cfg(test)]
mod tests;
