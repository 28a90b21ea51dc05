//! Driving the mounted app from browser tests: mount, wait, click, type.
#![allow(dead_code)] // each test binary uses a part

use gloo_timers::future::TimeoutFuture;
use trace_optimizer::ui::App;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Loads ECharts into the runner's page (it has no <script> of ours).
pub fn load_echarts() {
    let doc = document();
    if doc.get_element_by_id("echarts-src").is_some() {
        return;
    }
    let s = doc.create_element("script").unwrap();
    s.set_id("echarts-src");
    s.set_text_content(Some(include_str!("../../node_modules/echarts/dist/echarts.min.js")));
    doc.head().unwrap().append_child(&s).unwrap();
}

/// Where the test runner serves the bundled price snapshot (it serves the
/// crate's directory; the built site has the file beside index.html).
pub const SNAPSHOT: &str = "/src/analysis/pricing/litellm_prices.json";

/// Mounts the app into a fresh element; keep the handle alive. The page's
/// snapshot load starts here, from the runner's copy: runs share it.
pub fn mount() -> (HtmlElement, leptos::mount::UnmountHandle<impl leptos::tachys::view::Mountable>) {
    let snapshot = trace_optimizer::ui::live_prices::snapshot_from(SNAPSHOT);
    wasm_bindgen_futures::spawn_local(async move {
        snapshot.await.expect("the runner serves the snapshot");
    });
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), App);
    (host, handle)
}

/// Waits until `selector` matches inside `root`, up to `ms` milliseconds.
pub async fn wait_for(root: &HtmlElement, selector: &str, ms: u32) -> web_sys::Element {
    for _ in 0..ms / 50 {
        if let Some(el) = root.query_selector(selector).unwrap() {
            return el;
        }
        TimeoutFuture::new(50).await;
    }
    panic!("{selector} did not appear within {ms} ms: {}", root.inner_html());
}

pub fn click(root: &HtmlElement, selector: &str) {
    let el: HtmlElement = root.query_selector(selector).unwrap().unwrap().unchecked_into();
    el.click();
}

pub fn input(root: &HtmlElement, selector: &str, value: &str) {
    let el: HtmlInputElement = root.query_selector(selector).unwrap().unwrap().unchecked_into();
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
}


/// Picks `value` in the `<select>` matching `selector`.
pub fn choose(root: &HtmlElement, selector: &str, value: &str) {
    let el: HtmlSelectElement = root.query_selector(selector).unwrap().unwrap().unchecked_into();
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
}

/// The text of the element matching `selector`, or "" when there is none.
pub fn text(root: &HtmlElement, selector: &str) -> String {
    root.query_selector(selector).unwrap().and_then(|e| e.text_content()).unwrap_or_default()
}
