//! The native [`Transport`]: blocking HTTP (ureq, rustls) on a worker thread
//! per request, so several queries are in flight at once under any executor.
//! A cancelled request returns at once; its thread finishes in the
//! background (ureq cannot abort a call), bounded by the request's timeout.

use super::transport::{CancelToken, Cancelled, HttpRequest, HttpResponse, Method, Transport, TransportError, MAX_RESPONSE_BYTES};
use futures::channel::oneshot;
use std::time::Duration;

/// HTTP over ureq for the command line, the tests and the benchmark.
#[derive(Clone)]
pub struct NativeTransport {
    agent: ureq::Agent,
}

impl NativeTransport {
    /// A transport with its own connection pool. Redirects are not followed
    /// (a 3xx comes back as [`TransportError::Redirected`]).
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).user_agent("trace-optimizer").build();
        NativeTransport { agent: ureq::Agent::new_with_config(config) }
    }
}

impl Default for NativeTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for NativeTransport {
    async fn send(&self, request: HttpRequest, cancel: &CancelToken) -> Result<HttpResponse, TransportError> {
        let agent = self.agent.clone();
        let (tx, rx) = oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(blocking_send(&agent, request));
        });
        match cancel.or_cancel(rx).await {
            Err(Cancelled) => Err(TransportError::Cancelled),
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(TransportError::Network("the request's worker thread ended".into())),
        }
    }

    async fn sleep(&self, duration: Duration, cancel: &CancelToken) -> Result<(), Cancelled> {
        let (tx, rx) = oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(duration);
            let _ = tx.send(());
        });
        cancel.or_cancel(rx).await.map(|_| ())
    }
}

fn blocking_send(agent: &ureq::Agent, r: HttpRequest) -> Result<HttpResponse, TransportError> {
    let sent = match (r.method, r.body) {
        (Method::Post, body) => {
            let mut b = agent.post(&r.url).config().timeout_global(Some(r.timeout)).build();
            for (name, value) in &r.headers {
                b = b.header(*name, value);
            }
            b.send(body.unwrap_or_default())
        }
        (method, _) => {
            let b = if method == Method::Get { agent.get(&r.url) } else { agent.delete(&r.url) };
            let mut b = b.config().timeout_global(Some(r.timeout)).build();
            for (name, value) in &r.headers {
                b = b.header(*name, value);
            }
            b.call()
        }
    };
    let mut response = sent.map_err(failure)?;
    let status = response.status().as_u16();
    if (300..400).contains(&status) {
        let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
        return Err(TransportError::Redirected { location });
    }
    // The limit counts the body as it is read (decompressed), whatever Content-Length said.
    let body = response.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_string().map_err(failure)?;
    Ok(HttpResponse { status, body })
}

/// ureq's error, without anything from the request's headers.
fn failure(e: ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge,
        other => TransportError::Network(other.to_string()),
    }
}
