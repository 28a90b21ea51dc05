//! gzip and raw deflate through the browser's own `CompressionStream` and
//! `DecompressionStream`: the kept runs and the results bundle are
//! compressed without a compressor compiled into the wasm.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A compressed format the browser's streams know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// gzip (RFC 1952): the kept runs.
    Gzip,
    /// Raw deflate (RFC 1951): the entries of a zip file.
    DeflateRaw,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::DeflateRaw => "deflate-raw",
        }
    }
}

/// `bytes` compressed in `format`.
pub async fn compress(bytes: &[u8], format: Format) -> Result<Vec<u8>, String> {
    read_all(through("CompressionStream", format, bytes)?, usize::MAX).await
}

/// `bytes` decompressed from `format`; damaged input, or output past
/// `limit` bytes, is an error.
pub async fn decompress(bytes: &[u8], format: Format, limit: usize) -> Result<Vec<u8>, String> {
    read_all(through("DecompressionStream", format, bytes)?, limit).await
}

/// `bytes` piped through a new `class` stream of `format`.
fn through(class: &str, format: Format, bytes: &[u8]) -> Result<web_sys::ReadableStream, String> {
    let missing = || format!("this browser has no {class} for {}", format.name());
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(class)).ok().and_then(|c| c.dyn_into().ok()).ok_or_else(missing)?;
    let pair = js_sys::Reflect::construct(&ctor, &js_sys::Array::of1(&JsValue::from_str(format.name()))).map_err(|_| missing())?;
    let blob = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&js_sys::Uint8Array::from(bytes))).map_err(|e| reason(&e))?;
    Ok(blob.stream().pipe_through(pair.unchecked_ref()))
}

/// What `stream` yields, to its end; past `limit` bytes it is cancelled.
async fn read_all(stream: web_sys::ReadableStream, limit: usize) -> Result<Vec<u8>, String> {
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| reason(&e))?;
        if js_sys::Reflect::get(&chunk, &JsValue::from_str("done")).map_or(true, |d| d.is_truthy()) {
            return Ok(out);
        }
        let value: js_sys::Uint8Array = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|e| reason(&e))?.unchecked_into();
        let at = out.len();
        if value.length() as usize > limit - at {
            let _ = reader.cancel();
            return Err(format!("it inflates past {}", crate::format::bytes(limit as u64)));
        }
        out.resize(at + value.length() as usize, 0);
        value.copy_to(&mut out[at..]);
    }
}

/// A browser error as a sentence.
fn reason(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map_or_else(|| "the browser refused".to_string(), |e| String::from(e.message()))
}
