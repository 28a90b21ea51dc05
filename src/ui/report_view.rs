//! The report rendered in the page, with its downloads.

use super::download::download_text;
use super::state::Results;
use crate::report::markdown::to_html;
use leptos::prelude::*;
use std::sync::Arc;

/// `recommendations.md` as HTML (raw HTML in it shown as text) and a
/// button to download it.
#[component]
pub fn ReportView(results: Arc<Results>) -> impl IntoView {
    let md = results.report_md.clone();
    let html = to_html(&md);
    let download = move |_| download_text("recommendations.md", "text/markdown;charset=utf-8", &md);
    view! {
        <section class="panel report" aria-label="Report">
            <div class="report-head">
                <h2>"Report"</h2>
                <button id="download-recommendations" on:click=download>"Download recommendations.md"</button>
            </div>
            <article id="report-html" class="markdown" inner_html=html></article>
        </section>
    }
}
