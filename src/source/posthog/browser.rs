//! The PostHog client's transport in the browser: `fetch` through gloo-net,
//! with no cookies, a per-request timeout and cancellation, both by
//! aborting the request (`AbortController`). Redirects are not followed
//! (`redirect: "manual"`: the browser hands back an opaque redirect, whose
//! target a page cannot read), and the body is read chunk by chunk from its
//! stream, counted against [`MAX_RESPONSE_BYTES`].

use super::transport::{CancelToken, Cancelled, HttpRequest, HttpResponse, Method, Transport, TransportError, MAX_RESPONSE_BYTES};
use futures::future::{select, Either};
use gloo_net::http::{Method as GlooMethod, RequestBuilder, Response};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Reflect, Uint8Array};
use std::pin::pin;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestCredentials, RequestRedirect, ResponseType};

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
            .redirect(RequestRedirect::Manual)
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
            if response.type_() == ResponseType::Opaqueredirect || (300..400).contains(&response.status()) {
                return Err(TransportError::Redirected { location: None });
            }
            let status = response.status();
            let body = read_body(&response).await?;
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

/// The body as text, read from its stream chunk by chunk and given up past
/// [`MAX_RESPONSE_BYTES`] (so a huge answer is never held whole); invalid
/// UTF-8 is replaced, as `Response.text()` does.
async fn read_body(response: &Response) -> Result<String, TransportError> {
    let broken = |what: &str, e: JsValue| TransportError::Network(format!("{what}: {}", e.as_string().unwrap_or_else(|| format!("{e:?}"))));
    let Some(stream) = response.body() else { return Ok(String::new()) };
    let reader = stream.get_reader();
    let read: Function = Reflect::get(&reader, &"read".into()).and_then(|f| f.dyn_into()).map_err(|e| broken("the browser cannot read the answer", e))?;
    let mut bytes = Vec::new();
    loop {
        let promise: js_sys::Promise = read.call0(&reader).and_then(|p| p.dyn_into()).map_err(|e| broken("the answer could not be read", e))?;
        let chunk = JsFuture::from(promise).await.map_err(|e| broken("the connection dropped", e))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into()).and_then(|v| v.dyn_into()).map_err(|e| broken("the answer is not bytes", e))?;
        if bytes.len() as u64 + u64::from(value.length()) > MAX_RESPONSE_BYTES {
            if let Ok(cancel) = Reflect::get(&reader, &"cancel".into()).and_then(|f| f.dyn_into::<Function>()) {
                let _ = cancel.call0(&reader);
            }
            return Err(TransportError::TooLarge);
        }
        let at = bytes.len();
        bytes.resize(at + value.length() as usize, 0);
        value.copy_to(&mut bytes[at..]);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
