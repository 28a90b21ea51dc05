//! The report rendered in the page, with its downloads.

use super::compress::{compress, Format};
use super::download::{download_bytes, download_text};
use super::figures;
use super::state::Results;
use crate::report::markdown::to_html;
use crate::report::bundle;
use leptos::prelude::*;
use std::sync::Arc;

/// `recommendations.md` as HTML (raw HTML in it shown as text), with
/// buttons to download it, `summary.md` and the whole results bundle.
#[component]
pub fn ReportView(results: Arc<Results>) -> impl IntoView {
    let md = results.report_md.clone();
    let html = to_html(&md);
    let download = move |_| download_text("recommendations.md", "text/markdown;charset=utf-8", &md);
    let summary = crate::report::summary_md(&results.analysis);
    let download_summary = move |_| download_text("summary.md", "text/markdown;charset=utf-8", &summary);
    let for_bundle = results.clone();
    let bundle_error = RwSignal::new(None::<String>);
    let download_bundle = move |_| {
        let mut entries = bundle::entries(&crate::pipeline::write(&for_bundle.analysis), &figures::collect());
        leptos::task::spawn_local(async move {
            // The browser deflates the text; an entry it cannot is stored as it is.
            for e in entries.iter_mut().filter(|e| e.compress) {
                e.deflated = compress(&e.bytes, Format::DeflateRaw).await.ok();
            }
            match bundle::zip(&entries) {
                Ok(bytes) => download_bytes("trace-optimizer-results.zip", "application/zip", &bytes),
                Err(e) => bundle_error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="panel report" aria-label="Report">
            <div class="report-head">
                <h2>"Report"</h2>
                <div class="actions">
                    <button id="download-recommendations" on:click=download>"Download recommendations.md"</button>
                    <button id="download-summary" on:click=download_summary>"Download summary.md"</button>
                    <button id="download-bundle" on:click=download_bundle>"Download results bundle (.zip)"</button>
                </div>
            </div>
            {move || bundle_error.get().map(|e| view! { <p class="failed" role="alert">{e}</p> })}
            <article id="report-html" class="markdown" inner_html=html></article>
        </section>
    }
}
