//! The prior analysis: the `analysis.json` of an earlier results bundle,
//! read from a file the user picks, so the next run follows up on it.

use super::state::AppState;
use crate::analysis::history::FollowUp;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// A file picker for `analysis.json`, and what was read from it.
#[component]
pub fn PriorInput() -> impl IntoView {
    let state = expect_context::<AppState>();
    let message = RwSignal::new(None::<String>);
    let on_change = move |ev: leptos::ev::Event| {
        let Some(file) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            state.prior.set(None);
            message.set(None);
            return;
        };
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()).unwrap_or_default();
            match FollowUp::parse(&text) {
                Ok(f) => {
                    message.set(Some(format!(
                        "Following up on the analysis of {} ({} recommendations, window ending {}).",
                        f.source,
                        f.recommendations.len(),
                        crate::time::day(f.window_end)
                    )));
                    state.prior.set(Some(Arc::new(f)));
                }
                Err(e) => {
                    state.prior.set(None);
                    message.set(Some(format!("{}: {e}", file.name())));
                }
            }
        });
    };
    view! {
        <label>"Prior analysis (optional)"
            <input id="prior-analysis" type="file" accept=".json,application/json" on:change=on_change />
        </label>
        {move || message.get().map(|m| view! { <p id="prior-note" class="hint" role="status">{m}</p> })}
    }
}
