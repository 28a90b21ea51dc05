//! Stage 2's price table for a PostHog run: LiteLLM's current file, fetched
//! live (a public file, no credentials), or the bundled snapshot when that
//! fails or takes too long, with the reason kept for the report.
//!
//! The snapshot is not compiled into the wasm (it would be a tenth of it):
//! trunk copies it beside `index.html`, and the page fetches it from its own
//! origin once, on the first run (the demo prices with it, offline).

use crate::analysis::pricing::{PriceTable, LITELLM_LIVE_URL, SNAPSHOT_FILE};
use crate::pipeline::Prices;
use futures::future::{select, Either, FutureExt, LocalBoxFuture, Shared};
use std::borrow::Cow;
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;

/// How long the live table may take before the snapshot is used.
pub const LIVE_TIMEOUT_MS: u32 = 8_000;

/// Where the page finds the snapshot: beside `index.html`, relative like
/// every URL of the build, so it works from any path.
pub const SNAPSHOT_URL: &str = SNAPSHOT_FILE;

type Load = Shared<LocalBoxFuture<'static, Result<&'static PriceTable, String>>>;

thread_local! {
    /// The snapshot's load, under way or done (parsed once per page).
    static SNAPSHOT: RefCell<Option<Load>> = const { RefCell::new(None) };
}

/// The bundled snapshot, from [`SNAPSHOT_URL`].
pub fn snapshot() -> impl Future<Output = Result<&'static PriceTable, String>> {
    snapshot_from(SNAPSHOT_URL)
}

/// The bundled snapshot, fetched from `url` by the first call; later calls
/// share that load (whatever `url` they name), and after a failure the next
/// call starts a new one. The error is a sentence for the user.
pub fn snapshot_from(url: &str) -> impl Future<Output = Result<&'static PriceTable, String>> {
    let load = SNAPSHOT.with_borrow_mut(|slot| slot.get_or_insert_with(|| load_snapshot(url.to_string()).boxed_local().shared()).clone());
    async move {
        let result = load.clone().await;
        if result.is_err() {
            SNAPSHOT.with_borrow_mut(|slot| {
                if slot.as_ref().is_some_and(|l| l.ptr_eq(&load)) {
                    *slot = None;
                }
            });
        }
        result
    }
}

async fn load_snapshot(url: String) -> Result<&'static PriceTable, String> {
    let table = get_text(&url).await.and_then(|text| PriceTable::from_snapshot_json(&text));
    // Kept for the page's lifetime, like a table compiled in.
    let table = table.map_err(|why| format!("The bundled LiteLLM price table could not be loaded ({url}: {why}). Reload the page; if this persists, the site is missing {url} beside index.html."))?;
    Ok(Box::leak(Box::new(table)))
}

/// The live table from `url`, or `snapshot` and why.
pub async fn live_or_bundled(url: &str, timeout_ms: u32, snapshot: &'static PriceTable) -> Prices {
    let fetched = pin!(fetch_table(url));
    let timeout = pin!(gloo_timers::future::TimeoutFuture::new(timeout_ms));
    let outcome = match select(fetched, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(format!("no answer within {} s", timeout_ms / 1000)),
    };
    match outcome {
        Ok(table) => Prices { table: Cow::Owned(table), note: None },
        Err(why) => {
            let note = format!("Live LiteLLM prices could not be read ({why}); prices come from the bundled snapshot ({}).", snapshot.source().label);
            Prices { table: Cow::Borrowed(snapshot), note: Some(note) }
        }
    }
}

/// The default live source, with `snapshot` to fall back on.
pub async fn current(snapshot: &'static PriceTable) -> Prices {
    live_or_bundled(LITELLM_LIVE_URL, LIVE_TIMEOUT_MS, snapshot).await
}

async fn fetch_table(url: &str) -> Result<PriceTable, String> {
    PriceTable::from_litellm_json(&get_text(url).await?)
}

/// The body of a GET of `url`, or why not.
async fn get_text(url: &str) -> Result<String, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("network: {e}"))?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| format!("reading the body: {e}"))
}
