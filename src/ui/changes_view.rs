//! What changed, on the page: a short list on the Overview (what, the day it
//! began, the driver) and the full table with every driver's part in the
//! Cost view. Text nodes only; the sentences are the report's.

use super::nav::View;
use super::state::Results;
use super::table::{Cell, SortableTable};
use crate::analysis::changes::{Change, Driver, Scope};
use crate::format::usd;
use crate::report::what_changed::{driver_detail, signed};
use leptos::prelude::*;
use std::sync::Arc;

/// Changes shown on the Overview; the rest are in the Cost view.
const OVERVIEW_CHANGES: usize = 4;

fn what(c: &Change) -> String {
    let kind = if c.scope == Scope::Operation { "operation" } else { "model" };
    format!("{kind} {}", crate::format::visible(&c.name))
}

/// The Overview's list: each change's name, ratio, first day and driver.
#[component]
pub fn ChangesList(results: Arc<Results>) -> impl IntoView {
    let c = &results.analysis.changes;
    let body = if !c.comparable() {
        view! { <p class="hint">{format!("{} complete days: too few to compare with a baseline.", c.complete_days)}</p> }.into_any()
    } else if c.items.is_empty() {
        view! { <p class="hint">"No operation or model changed its cost per call or per trace by 1.5x for 3 days or more."</p> }.into_any()
    } else {
        let items = c.items.iter().take(OVERVIEW_CHANGES).map(|x| {
            let detail = driver_detail(x);
            view! {
                <li>
                    <span class="rec-title">{format!("{} {:.1}x", what(x), x.ratio())}</span>
                    <span class="badges">{format!("since {}", crate::time::day(x.began))}</span>
                    <p class="hint">{format!("{} a day, {}{}", signed(x.daily_cost.after - x.daily_cost.before), x.driver.label(x.scope), if detail.is_empty() { String::new() } else { format!(": {}", crate::format::visible(&detail)) })}</p>
                </li>
            }
        }).collect_view();
        view! { <ol class="top-recs" id="what-changed">{items}</ol> }.into_any()
    };
    view! {
        <section class="panel" aria-label="What changed">
            <h3>"What changed"</h3>
            {body}
            <a href=View::Cost.href()>"Details in Cost"</a>
        </section>
    }
}

fn row(x: &Change) -> Vec<Cell> {
    let mut r = vec![
        Cell::text(&what(x)),
        Cell::text(&crate::time::day(x.began)),
        Cell::num(f64::from(x.days), if x.ongoing { format!("{}, ongoing", x.days) } else { x.days.to_string() }),
        Cell::num(x.per_call.ratio(), format!("{} → {}", usd(x.per_call.before), usd(x.per_call.after))),
        Cell::num(x.per_trace.ratio(), format!("{} → {}", usd(x.per_trace.before), usd(x.per_trace.after))),
        Cell::num(x.daily_cost.after - x.daily_cost.before, signed(x.daily_cost.after - x.daily_cost.before)),
        Cell::text(x.driver.label(x.scope)),
    ];
    r.extend(Driver::ALL.iter().map(|d| Cell::num(x.part(*d), signed(x.part(*d)))));
    r
}

/// The Cost view's section: every change with its parts.
#[component]
pub fn ChangesPanel(results: Arc<Results>) -> impl IntoView {
    let c = &results.analysis.changes;
    view! {
        <section class="panel">
            <h3>"What changed"</h3>
            <p class="hint">{format!("Daily cost per call and per trace against the {} complete days before each change; a change holds 1.5x (or 1/1.5) for 3 days or more. Parts are USD per day and add up to the change.", c.baseline_days)}</p>
            <SortableTable id="changes-table"
                columns=vec!["What", "Began", "Days", "Per call", "Per trace", "Per day", "Driver", "Volume", "Mix", "Token mix", "Cache hits", "Errors, retries", "Price"]
                rows=c.items.iter().map(row).collect() />
        </section>
    }
}
