//! The HTTP layer under the PostHog client, as a trait: the browser
//! implements it with `fetch` (gloo-net and an `AbortController`), the
//! command line and the tests with [`super::native::NativeTransport`].
//!
//! What an implementation must do:
//! - [`Transport::send`]: send the request exactly as given (method, URL,
//!   headers, body; no cookies, so `credentials: "omit"` in a browser) and
//!   resolve with the status and the whole body as text, whatever the status
//!   (4xx and 5xx are answers, not errors). Never follow a redirect: the
//!   request carries the key, and a redirect could send it to another host
//!   or over plain HTTP; a 3xx is [`TransportError::Redirected`]. Stop
//!   reading a body past [`MAX_RESPONSE_BYTES`] (counted as it arrives) with
//!   [`TransportError::TooLarge`]. Give up after `request.timeout`
//!   with [`TransportError::Timeout`]; a connection that fails or drops
//!   before the body is complete is [`TransportError::Network`]. When
//!   `cancel` fires while the request is in flight, abort it and resolve
//!   with [`TransportError::Cancelled`] at once (wrap the in-flight future in
//!   [`CancelToken::or_cancel`] and abort in the `Err` branch).
//! - [`Transport::sleep`]: wait `duration`, or resolve with `Err(Cancelled)`
//!   as soon as `cancel` fires.
//! - Never log, print or store a request's headers: they hold the API key.

use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// HTTP methods the client uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One request. `headers` holds the `Authorization` header: never log it
/// (`Debug` leaves header values out).
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// A JSON body (with `Content-Type: application/json` among the headers).
    pub body: Option<String>,
    /// Give up after this long.
    pub timeout: Duration,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest").field("method", &self.method).field("url", &self.url).field("headers", &names).field("timeout", &self.timeout).finish()
    }
}

/// A complete answer.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// Largest response body read, in bytes: PostHog answers at most 50,000
/// rows ([`crate::contract::MAX_ROWS`]), and the widest row (a generation
/// with three 400-character excerpts, an error message, names and ids) is
/// about 2.5 kB of JSON when its text is ASCII, so a full answer stays
/// near 120 MiB. Anything larger is not an answer the page could hold.
pub const MAX_RESPONSE_BYTES: u64 = 128 * 1024 * 1024;

/// Why no answer came back.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportError {
    /// No complete answer within the request's timeout.
    Timeout,
    /// The connection failed or dropped (DNS, TLS, reset, CORS in a browser).
    Network(String),
    /// The server answered with a redirect, which is not followed; the
    /// target when the transport can read it (a browser cannot).
    Redirected { location: Option<String> },
    /// The body passed [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// The cancel token fired.
    Cancelled,
}

/// The cancel token fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// Sends HTTP requests and sleeps; see the module documentation for the contract.
#[allow(async_fn_in_trait)] // single-threaded in the browser; no Send bound wanted
pub trait Transport {
    /// Sends `request`; resolves with any status, or why there is no answer.
    async fn send(&self, request: HttpRequest, cancel: &CancelToken) -> Result<HttpResponse, TransportError>;
    /// Waits `duration` unless `cancel` fires first.
    async fn sleep(&self, duration: Duration, cancel: &CancelToken) -> Result<(), Cancelled>;
}

/// Stops a run: requests in flight are aborted and no new step starts.
/// Clones share the same state.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<Mutex<CancelState>>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: bool,
    wakers: Vec<Waker>,
}

impl CancelToken {
    /// A token that has not fired.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fires the token; everything waiting on it resumes.
    pub fn cancel(&self) {
        let wakers = {
            let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
            s.cancelled = true;
            std::mem::take(&mut s.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Whether the token fired.
    pub fn is_cancelled(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).cancelled
    }

    /// Resolves when the token fires.
    pub fn cancelled(&self) -> impl Future<Output = ()> + '_ {
        WhenCancelled(self)
    }

    /// Runs `f` unless the token fires first (then `f` is dropped).
    pub async fn or_cancel<F: Future>(&self, f: F) -> Result<F::Output, Cancelled> {
        if self.is_cancelled() {
            return Err(Cancelled);
        }
        match futures::future::select(pin!(f), pin!(self.cancelled())).await {
            futures::future::Either::Left((out, _)) => Ok(out),
            futures::future::Either::Right(_) => Err(Cancelled),
        }
    }
}

struct WhenCancelled<'a>(&'a CancelToken);

impl Future for WhenCancelled<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0 .0.lock().unwrap_or_else(|e| e.into_inner());
        if s.cancelled {
            return Poll::Ready(());
        }
        if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use futures::executor::block_on;

    #[test]
    fn or_cancel_stops_a_pending_future_when_fired() {
        let token = CancelToken::new();
        let (_tx, rx) = oneshot::channel::<u8>();
        let other = token.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.cancel();
        });
        assert_eq!(block_on(token.or_cancel(rx)), Err(Cancelled));
        t.join().unwrap();
        assert!(token.is_cancelled());
    }

    #[test]
    fn or_cancel_passes_results_through_and_refuses_after_firing() {
        let token = CancelToken::new();
        assert_eq!(block_on(token.or_cancel(async { 7 })), Ok(7));
        token.cancel();
        assert_eq!(block_on(token.or_cancel(async { 7 })), Err(Cancelled));
    }

    #[test]
    fn debug_leaves_header_values_out() {
        let r = HttpRequest { method: Method::Get, url: "https://x/api/".into(), headers: vec![("Authorization", "Bearer phx_secret".into())], body: None, timeout: Duration::from_secs(1) };
        let shown = format!("{r:?}");
        assert!(shown.contains("Authorization") && !shown.contains("phx_secret"), "{shown}");
    }
}
