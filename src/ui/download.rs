//! Saving generated files from the page (no server involved).

use wasm_bindgen::JsCast;

/// Offers `content` as a download named `filename`.
pub fn download_text(filename: &str, mime: &str, content: &str) {
    offer(filename, mime, &js_sys::Array::of1(&content.into()));
}

/// Offers `bytes` as a download named `filename`.
pub fn download_bytes(filename: &str, mime: &str, bytes: &[u8]) {
    offer(filename, mime, &js_sys::Array::of1(&js_sys::Uint8Array::from(bytes)));
}

fn offer(filename: &str, mime: &str, parts: &js_sys::Array) {
    if let Err(e) = save(filename, mime, parts) {
        leptos::logging::error!("download of {filename} failed: {e:?}");
    }
}

fn save(filename: &str, mime: &str, parts: &js_sys::Array) -> Result<(), wasm_bindgen::JsValue> {
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
