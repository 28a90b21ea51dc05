//! Stage 2's price table for a PostHog run: LiteLLM's current file, fetched
//! live (a public file, no credentials), or the bundled snapshot when that
//! fails or takes too long, with the reason kept for the report.

use crate::analysis::pricing::{PriceTable, LITELLM_LIVE_URL};
use crate::pipeline::Prices;
use futures::future::{select, Either};
use std::borrow::Cow;
use std::pin::pin;

/// How long the live table may take before the snapshot is used.
pub const LIVE_TIMEOUT_MS: u32 = 8_000;

/// The live table from `url`, or the bundled snapshot and why.
pub async fn live_or_bundled(url: &str, timeout_ms: u32) -> Prices {
    let fetched = pin!(fetch_table(url));
    let timeout = pin!(gloo_timers::future::TimeoutFuture::new(timeout_ms));
    let outcome = match select(fetched, timeout).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(format!("no answer within {} s", timeout_ms / 1000)),
    };
    match outcome {
        Ok(table) => Prices { table: Cow::Owned(table), note: None },
        Err(why) => {
            let bundled = PriceTable::bundled();
            let note = format!("Live LiteLLM prices could not be read ({why}); prices come from the bundled snapshot ({}).", bundled.source().label);
            Prices { table: Cow::Borrowed(bundled), note: Some(note) }
        }
    }
}

/// The default live source.
pub async fn current() -> Prices {
    live_or_bundled(LITELLM_LIVE_URL, LIVE_TIMEOUT_MS).await
}

async fn fetch_table(url: &str) -> Result<PriceTable, String> {
    let response = gloo_net::http::Request::get(url).send().await.map_err(|e| format!("network: {e}"))?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = response.text().await.map_err(|e| format!("reading the body: {e}"))?;
    PriceTable::from_litellm_json(&text)
}
