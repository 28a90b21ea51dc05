//! The last finished run of each project, kept in this browser's Cache
//! Storage (`pipeline::kept`: the fetched rows, gzipped by the browser, at most 32 MiB; about
//! 0.7 MB for the demo) so it can be reopened without asking PostHog again. Cache Storage
//! is per origin, survives reloads, and holds far more than `localStorage`'s
//! 5 MB; what is kept never holds the API key. A short record of it (when,
//! how large, or why it was not kept) sits beside the project's other
//! records in `localStorage` ([`super::store::KeptRun`]).

use super::compress::{compress, decompress, Format};
use crate::pipeline::kept;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

const CACHE: &str = "trace-optimizer.runs";

/// Where `project`'s run is filed in the cache (a URL only by name: nothing fetches it).
fn entry(project: &str) -> String {
    format!("./kept-run/{}", String::from(js_sys::encode_uri_component(project)))
}

fn message(what: &str, e: wasm_bindgen::JsValue) -> String {
    let why = e.dyn_ref::<js_sys::Error>().map_or_else(|| "the browser refused".to_string(), |e| String::from(e.message()));
    format!("{what}: {why}")
}

async fn cache() -> Result<web_sys::Cache, String> {
    let caches = web_sys::window().ok_or("no window")?.caches().map_err(|e| message("this browser keeps no analyses", e))?;
    let cache = JsFuture::from(caches.open(CACHE)).await.map_err(|e| message("this browser keeps no analyses", e))?;
    cache.dyn_into().map_err(|_| "this browser keeps no analyses".to_string())
}

/// Keeps `record` ([`kept::pack`]) gzipped as `project`'s last run,
/// replacing the one before; its size in the cache, or why it is not kept.
pub async fn save(project: &str, record: &[u8]) -> Result<usize, String> {
    let mut bytes = compress(record, Format::Gzip).await.map_err(|why| format!("the analysis could not be compressed: {why}"))?;
    kept::fits(bytes.len())?;
    let cache = cache().await?;
    let response = web_sys::Response::new_with_opt_u8_array(Some(&mut bytes)).map_err(|e| message("the analysis could not be kept", e))?;
    JsFuture::from(cache.put_with_str(&entry(project), &response)).await.map_err(|e| message("the analysis could not be kept", e))?;
    Ok(bytes.len())
}

/// `project`'s kept run, if there is one, decompressed (the record [`kept::unpack`] reads).
pub async fn load(project: &str) -> Result<Option<Vec<u8>>, String> {
    let cache = cache().await?;
    let found = JsFuture::from(cache.match_with_str(&entry(project))).await.map_err(|e| message("the kept analysis could not be read", e))?;
    let Ok(response) = found.dyn_into::<web_sys::Response>() else { return Ok(None) };
    let body = response.array_buffer().map_err(|e| message("the kept analysis could not be read", e))?;
    let buffer = JsFuture::from(body).await.map_err(|e| message("the kept analysis could not be read", e))?;
    let gz = js_sys::Uint8Array::new(&buffer).to_vec();
    decompress(&gz, Format::Gzip, kept::MAX_INFLATED).await.map(Some).map_err(|why| format!("the kept analysis is damaged ({why})"))
}

/// Forgets `project`'s kept run.
pub async fn forget(project: &str) {
    if let Ok(cache) = cache().await {
        let _ = JsFuture::from(cache.delete_with_str(&entry(project))).await;
    }
}
