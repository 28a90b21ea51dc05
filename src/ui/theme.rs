//! Light and dark themes: the system's choice (`prefers-color-scheme`)
//! unless the reader picks one, kept in this browser.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

const KEY: &str = "trace-optimizer.theme";

/// The reader's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    System,
    Light,
    Dark,
}

impl Choice {
    fn value(self) -> &'static str {
        match self {
            Choice::System => "system",
            Choice::Light => "light",
            Choice::Dark => "dark",
        }
    }

    fn from_value(v: &str) -> Self {
        match v {
            "light" => Choice::Light,
            "dark" => Choice::Dark,
            _ => Choice::System,
        }
    }

    /// The next choice of the toggle: system, light, dark, system...
    fn next(self) -> Self {
        match self {
            Choice::System => Choice::Light,
            Choice::Light => Choice::Dark,
            Choice::Dark => Choice::System,
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

/// `matchMedia("(prefers-color-scheme: dark)")`, through JS reflection (no extra web-sys feature).
fn dark_query() -> Option<wasm_bindgen::JsValue> {
    let w = window();
    let f: js_sys::Function = js_sys::Reflect::get(&w, &"matchMedia".into()).ok()?.dyn_into().ok()?;
    f.call1(&w, &"(prefers-color-scheme: dark)".into()).ok()
}

/// Whether the system asks for dark.
fn system_dark(query: Option<&wasm_bindgen::JsValue>) -> bool {
    query.and_then(|q| js_sys::Reflect::get(q, &"matches".into()).ok()).and_then(|v| v.as_bool()).unwrap_or(false)
}

/// Calls `f` whenever the system's choice changes (a sunset schedule, say).
fn on_change(query: &wasm_bindgen::JsValue, f: impl Fn() + 'static) {
    let closure = wasm_bindgen::closure::Closure::<dyn Fn()>::new(f);
    if let Ok(add) = js_sys::Reflect::get(query, &"addEventListener".into()).and_then(|a| a.dyn_into::<js_sys::Function>()) {
        let _ = add.call2(query, &"change".into(), closure.as_ref());
    }
    // The page lives as long as the window: the listener is never removed.
    closure.forget();
}

/// Applies the kept choice to the page and returns the signal that says
/// whether the page is dark now (charts follow it).
pub fn init() -> (RwSignal<Choice>, Memo<bool>) {
    let kept = storage().and_then(|s| s.get_item(KEY).ok().flatten()).map_or(Choice::System, |v| Choice::from_value(&v));
    let choice = RwSignal::new(kept);
    let query = dark_query();
    let system = RwSignal::new(system_dark(query.as_ref()));
    if let Some(q) = query {
        let seen = q.clone();
        on_change(&q, move || {
            system.try_set(system_dark(Some(&seen)));
        });
    }
    let dark = Memo::new(move |_| match choice.get() {
        Choice::System => system.get(),
        Choice::Light => false,
        Choice::Dark => true,
    });
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", if dark.get() { "dark" } else { "light" });
        }
    });
    (choice, dark)
}

/// The toggle: system, light, dark.
#[component]
pub fn ThemeToggle(choice: RwSignal<Choice>) -> impl IntoView {
    let click = move |_| {
        let next = choice.get_untracked().next();
        choice.set(next);
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, next.value());
        }
    };
    let label = move || match choice.get() {
        Choice::System => "Theme: system",
        Choice::Light => "Theme: light",
        Choice::Dark => "Theme: dark",
    };
    view! { <button id="theme-toggle" class="ghost" type="button" on:click=click title="Switch between the system's theme, light and dark">{label}</button> }
}
