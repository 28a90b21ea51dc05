//! What the page shows when the app itself fails. The release build aborts
//! on a panic (`panic = "abort"`), which ends the WebAssembly instance:
//! nothing the app drew reacts any more. So the panic hook, which runs just
//! before the abort, writes a notice into an element of its own outside
//! Leptos, with links to the last finished run's report files. Those were
//! handed to the browser as `Blob` URLs when the run finished
//! ([`keep`]): they live on the JavaScript side and outlive the instance,
//! so the downloads work without any of the app's code. The hook itself
//! touches only the DOM and never unwraps, so it cannot panic in turn.

use crate::report::ReportFile;
use std::cell::RefCell;
use wasm_bindgen::JsCast;

/// The notice's element id (styled in `style/main.css`).
const NOTICE_ID: &str = "fatal-error";

thread_local! {
    /// The last finished run's files as `(name, blob: URL)`.
    static KEPT: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Installs the panic hook: the panic goes to the console, and the page
/// shows the notice.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Trace Optimizer stopped: {info}").into());
        show();
    }));
}

/// Keeps `files` (the report of the run now shown) as `Blob` URLs for the
/// notice, releasing the previous run's.
pub fn keep(files: &[ReportFile]) {
    let urls: Vec<(String, String)> = files.iter().filter_map(|f| blob_url(f).map(|url| (f.path.to_string(), url))).collect();
    KEPT.with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut() {
            for (_, old) in kept.drain(..) {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            *kept = urls;
        }
    });
}

fn blob_url(f: &ReportFile) -> Option<String> {
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(if f.path.ends_with(".json") { "application/json" } else if f.path.ends_with(".csv") { "text/csv" } else { "text/markdown" });
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&f.content.as_str().into()), &opts).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Writes the notice: what happened, the kept files, and a way to reload
/// (what the hook does; public for the browser tests).
pub fn show() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    let notice = match document.get_element_by_id(NOTICE_ID) {
        Some(n) => n,
        None => {
            let Ok(n) = document.create_element("div") else { return };
            n.set_id(NOTICE_ID);
            let _ = n.set_attribute("role", "alert");
            let _ = body.prepend_with_node_1(&n);
            n
        }
    };
    notice.set_text_content(None);
    let add = |tag: &str, text: &str| -> Option<web_sys::Element> {
        let e = document.create_element(tag).ok()?;
        e.set_text_content(Some(text));
        notice.append_child(&e).ok()?;
        Some(e)
    };
    add("strong", "Something went wrong in this page and it stopped.");
    let kept: Vec<(String, String)> = KEPT.with(|k| k.try_borrow().map(|k| k.clone()).unwrap_or_default());
    if kept.is_empty() {
        add("p", "No finished report was lost. Reload the page to start again; your key was not stored unless you asked.");
    } else {
        add("p", "The results of your last finished run are kept: download them here, then reload the page to start again.");
        if let Some(list) = add("ul", "") {
            for (name, url) in &kept {
                let (Ok(li), Ok(a)) = (document.create_element("li"), document.create_element("a")) else { continue };
                if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
                    a.set_href(url);
                    a.set_download(name.rsplit('/').next().unwrap_or(name));
                    a.set_text_content(Some(name));
                    let _ = li.append_child(&a);
                    let _ = list.append_child(&li);
                }
            }
        }
    }
    if let Some(reload) = add("a", "Reload the page") {
        let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        let _ = reload.set_attribute("href", &href);
        let _ = reload.set_attribute("class", "reload");
    }
}
