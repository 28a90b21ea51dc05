//! The PostHog client's transport in the browser: `fetch` through gloo-net,
//! with no cookies, a per-request timeout and cancellation, both by
//! aborting the request (`AbortController`).

use super::transport::{CancelToken, Cancelled, HttpRequest, HttpResponse, Method, Transport, TransportError};
use futures::future::{select, Either};
use gloo_net::http::{Method as GlooMethod, RequestBuilder};
use gloo_timers::future::TimeoutFuture;
use std::pin::pin;
use std::time::Duration;
use web_sys::{AbortController, RequestCredentials};

/// `fetch` from the page.
#[derive(Clone, Copy, Debug, Default)]
pub struct BrowserTransport;

fn millis(d: Duration) -> u32 {
    d.as_millis().min(u128::from(u32::MAX)) as u32
}

impl Transport for BrowserTransport {
    async fn send(&self, request: HttpRequest, cancel: &CancelToken) -> Result<HttpResponse, TransportError> {
        let controller = AbortController::new().map_err(|_| TransportError::Network("the browser cannot abort requests".into()))?;
        let method = match request.method {
            Method::Get => GlooMethod::GET,
            Method::Post => GlooMethod::POST,
            Method::Delete => GlooMethod::DELETE,
        };
        let mut builder = RequestBuilder::new(&request.url)
            .method(method)
            .credentials(RequestCredentials::Omit)
            .abort_signal(Some(&controller.signal()));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let built = match request.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|e| TransportError::Network(e.to_string()))?;
        let exchange = async {
            let response = built.send().await.map_err(|e| TransportError::Network(e.to_string()))?;
            let status = response.status();
            let body = response.text().await.map_err(|e| TransportError::Network(e.to_string()))?;
            Ok(HttpResponse { status, body })
        };
        let timed = async {
            match select(pin!(exchange), pin!(TimeoutFuture::new(millis(request.timeout)))).await {
                Either::Left((answer, _)) => answer,
                Either::Right(_) => Err(TransportError::Timeout),
            }
        };
        let outcome = match cancel.or_cancel(timed).await {
            Ok(answer) => answer,
            Err(Cancelled) => Err(TransportError::Cancelled),
        };
        if outcome.is_err() {
            // A timed-out or cancelled fetch must not keep running.
            controller.abort();
        }
        outcome
    }

    async fn sleep(&self, duration: Duration, cancel: &CancelToken) -> Result<(), Cancelled> {
        cancel.or_cancel(TimeoutFuture::new(millis(duration))).await
    }
}
