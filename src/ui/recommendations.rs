//! The Recommendations view: one card per fix with its five parts laid out
//! for reading (problem; why, in money and share; evidence linked to
//! PostHog; before and after code; how to measure), savings and effort as
//! badges, and the reader's decision: shipped (on a day), rejected (why),
//! snoozed (until a day). Decisions go into `analysis.json` and are kept in
//! this browser, so the next analysis of the project follows up on them.

use super::nav::{go, View};
use super::state::{AppState, Results};
use crate::analysis::history::{Mark, Status};
use crate::analysis::links::trace_url;
use crate::analysis::recommend::{Effort, Recommendation};
use crate::format::{count, pct, usd};
use chrono::NaiveDate;
use leptos::prelude::*;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// Days a snooze lasts unless the reader picks another day.
pub const SNOOZE_DAYS: i64 = 14;

/// The savings badge.
pub fn savings_badge(monthly_usd: f64) -> impl IntoView {
    view! { <span class="badge savings" title="Expected savings per 30 days">{format!("{} / 30 days", usd(monthly_usd))}</span> }
}

/// The effort badge.
pub fn effort_badge(effort: Effort) -> impl IntoView {
    let class = match effort {
        Effort::Low => "badge effort low",
        Effort::Medium => "badge effort medium",
        Effort::High => "badge effort high",
    };
    view! { <span class=class title="Work needed to ship the fix">{format!("{} effort", effort.label())}</span> }
}

/// Today on the page's clock.
fn today() -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default().date_naive()
}

/// Puts `text` on the clipboard (`navigator.clipboard.writeText`).
fn copy(text: &str) -> bool {
    let Ok(nav) = js_sys::Reflect::get(&window(), &"navigator".into()) else { return false };
    let Ok(clipboard) = js_sys::Reflect::get(&nav, &"clipboard".into()) else { return false };
    let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else { return false };
    write.call1(&clipboard, &text.into()).is_ok()
}

/// A block of code or HogQL with its language and a copy button. Text, never HTML.
#[component]
pub fn CodeBlock(#[prop(into)] label: String, #[prop(into)] language: String, code: String, #[prop(into)] name: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = code.clone();
    let click = move |_| copied.set(copy(&text));
    view! {
        <figure class="code" data-code=name>
            <figcaption>
                <span>{label}</span>
                <span class="lang">{language}</span>
                <button type="button" class="ghost copy" on:click=click>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </figcaption>
            <pre><code>{crate::format::visible(&code).into_owned()}</code></pre>
        </figure>
    }
}

/// Records `mark` on the shown analysis and keeps it in this browser.
fn decide(state: AppState, results: &Results, mark: Mark) {
    let mut analysis = results.analysis.clone();
    analysis.history = analysis.history.with_mark(mark);
    let next = Arc::new(results.with_analysis(analysis));
    super::run::keep(&next);
    state.results.set(Some(next));
}

/// Every recommendation of one analysis: open ones by rank, then snoozed,
/// then those decided.
#[component]
pub fn RecommendationsView(results: Arc<Results>) -> impl IntoView {
    let r = &results.analysis.recommendations;
    let h = &results.analysis.history;
    let status = |id: &str| h.mark(id).map_or(Status::Open, |m| m.status);
    let group = |wanted: fn(Status) -> bool| -> Vec<(usize, Recommendation)> {
        r.items.iter().enumerate().filter(|(_, x)| wanted(status(&x.id))).map(|(i, x)| (i + 1, x.clone())).collect()
    };
    let (open, snoozed, decided) = (group(|s| s == Status::Open), group(|s| s == Status::Snoozed), group(Status::settles));
    let cards = |list: Vec<(usize, Recommendation)>| list.into_iter().map(|(p, x)| view! { <Card results=results.clone() priority=p rec=x /> }).collect_view();
    let lang = match r.language {
        crate::analysis::recommend::Language::Python => "Python",
        crate::analysis::recommend::Language::TypeScript => "TypeScript",
    };
    view! {
        <div class="view-head">
            <h2>"Recommendations"</h2>
            <span class="hint">{format!("{} found, about {} per 30 days together; ranked by savings times ease. Code in {lang}.", r.items.len(), usd(r.monthly_savings_usd))}</span>
        </div>
        {r.shortfall.clone().map(|s| view! { <p class="warnings">{s}</p> })}
        <HistoryPanel results=results.clone() />
        {r.items.is_empty().then(|| view! { <p class="panel hint">"No fix worth recommending was found in this window."</p> })}
        <div class="cards" id="open-recommendations">{cards(open)}</div>
        {(!snoozed.is_empty()).then(|| view! { <h3>"Snoozed"</h3><div class="cards" id="snoozed-recommendations">{cards(snoozed)}</div> })}
        {(!decided.is_empty()).then(|| view! { <h3>"Decided"</h3><div class="cards" id="decided-recommendations">{cards(decided)}</div> })}
    }
}

/// What the follow-up found: prior targets hit or missed, fixes settled before.
#[component]
fn HistoryPanel(results: Arc<Results>) -> impl IntoView {
    let h = results.analysis.history.clone();
    if !h.has_prior {
        return None;
    }
    let targets = h.targets.iter().map(|t| {
        let now = t.current.map_or_else(|| "gone".to_string(), |v| t.metric.show(v));
        view! {
            <tr class:hit=t.hit>
                <td title=t.title.clone()>{crate::format::truncate(&t.title, 60)}</td>
                <td>{t.metric.label()}</td>
                <td class="num">{t.metric.show(t.baseline)}</td>
                <td class="num">{t.metric.show(t.target)}</td>
                <td class="num">{now}</td>
                <td><span class=if t.hit { "badge good" } else { "badge bad" }>{if t.hit { "hit" } else { "miss" }}</span></td>
            </tr>
        }
    }).collect_view();
    let settled = h.settled.iter().map(|s| {
        let detail = match (s.status, s.on, s.reason.as_str()) {
            (Status::Shipped, Some(on), _) => format!("shipped on {on}"),
            (Status::Rejected, _, reason) if !reason.is_empty() => format!("rejected: {reason}"),
            (status, _, _) => status.label().to_string(),
        };
        view! { <li data-id=s.id.clone()>{format!("{} ({detail})", s.title)}</li> }
    }).collect_view();
    Some(view! {
        <section class="panel" id="follow-up" aria-label="Follow-up">
            <h3>{format!("Follow-up on the analysis of the window ending {}", h.prior_window_end.map(crate::time::day).unwrap_or_default())}</h3>
            {(!h.targets.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table id="targets-table">
                        <thead><tr><th>"Recommendation"</th><th>"Metric"</th><th class="num">"Baseline"</th><th class="num">"Target"</th><th class="num">"Now"</th><th>"Result"</th></tr></thead>
                        <tbody>{targets}</tbody>
                    </table>
                </div>
            })}
            {(!h.settled.is_empty()).then(|| view! { <p class="hint">"Not proposed again:"</p><ul id="settled">{settled}</ul> })}
            {(!h.regressions.is_empty()).then(|| view! { <p class="hint">{format!("{} regression(s) since then: see the report's History section.", h.regressions.len())}</p> })}
        </section>
    })
}

/// One recommendation as a card.
#[component]
fn Card(results: Arc<Results>, priority: usize, rec: Recommendation) -> impl IntoView {
    let state = expect_context::<AppState>();
    let a = &results.analysis;
    let mark = a.history.mark(&rec.id).cloned();
    let status = mark.as_ref().map_or(Status::Open, |m| m.status);
    let read = crate::order::set_of(results.generations.iter().map(|g| g.trace_id.as_str()));
    let evidence = rec.evidence.iter().map(|e| {
        let link = trace_url(a.origin.posthog.as_ref(), &e.trace_id, a.trace_times.get(&e.trace_id));
        let id = e.trace_id.clone();
        let tree = read.contains(id.as_str()).then(|| {
            let id = id.clone();
            view! { <button type="button" class="link" on:click=move |_| { state.trace.set(Some(id.clone())); go(state, View::Traces); }>"tree"</button> }
        });
        view! {
            <tr>
                <td title=id.clone()><code>{crate::format::truncate(&id, 24)}</code></td>
                <td class="num">{usd(e.cost_usd)}</td>
                <td class="num">{count(e.input_tokens)}</td>
                <td class="num">{count(e.output_tokens)}</td>
                <td class="issue">{e.issue.clone()}</td>
                <td>{tree}" "{link.map(|href| view! { <a href=href target="_blank" rel="noopener noreferrer">"PostHog"</a> })}</td>
            </tr>
        }
    }).collect_view();
    let lang = a.recommendations.language.fence();
    let m = rec.measurement.clone();
    let shown = |x: f64| m.metric.as_ref().map_or_else(|| pct(x), |metric| metric.show(x));
    let (baseline, target) = (shown(m.baseline), shown(m.target));
    let status_line = mark.as_ref().map(|m| match (m.status, m.on) {
        (Status::Shipped, Some(on)) => format!("Shipped on {on}"),
        (Status::Snoozed, Some(on)) => format!("Snoozed until {on}"),
        (Status::Rejected, _) if !m.reason.is_empty() => format!("Rejected: {}", m.reason),
        (s, _) => s.label().to_string(),
    });
    view! {
        <article class="rec-card" id=format!("rec-{priority}") data-id=rec.id.clone() data-status=status.label() class:decided=status.settles()>
            <header>
                <span class="priority">{format!("#{priority}")}</span>
                <h3 title=crate::format::visible(&rec.title).into_owned()>{crate::format::visible(&rec.title).into_owned()}</h3>
                <span class="badges">
                    {savings_badge(rec.monthly_savings_usd)}
                    {effort_badge(rec.effort)}
                    <span class="badge" title="Share of the window's spend">{format!("{} of spend", pct(rec.share_of_spend))}</span>
                    {status_line.map(|s| view! { <span class="badge status">{s}</span> })}
                </span>
            </header>
            <details open=!status.settles()>
                <summary>"Details"</summary>
                <div class="rec-parts">
                    <section><h4>"Problem"</h4><p>{crate::format::visible(&rec.problem).into_owned()}</p></section>
                    <section>
                        <h4>"Why it matters"</h4>
                        <p>{crate::format::visible(&rec.why).into_owned()}</p>
                        <p class="money">
                            {format!("{} over the window ({} of spend), {} per 30 days", usd(rec.savings_usd), pct(rec.share_of_spend), usd(rec.monthly_savings_usd))}
                            {(rec.monthly_at_risk_usd > 0.0).then(|| format!("; {} per 30 days spent on unusable results", usd(rec.monthly_at_risk_usd)))}
                        </p>
                    </section>
                </div>
                <section>
                    <h4>"Evidence"</h4>
                    <div class="table-wrap">
                        <table class="evidence">
                            <thead><tr><th>"Trace"</th><th class="num">"Cost"</th><th class="num">"Input tokens"</th><th class="num">"Output tokens"</th><th>"Issue"</th><th>"Open"</th></tr></thead>
                            <tbody>{evidence}</tbody>
                        </table>
                    </div>
                    {rec.excerpt.clone().map(|x| view! {
                        <p class="hint">{format!("Excerpt from trace {}:", x.trace_id)}</p>
                        <pre class="excerpt">{crate::format::visible(&x.text).into_owned()}</pre>
                    })}
                </section>
                <section>
                    <h4>"Fix"</h4>
                    <p>{crate::format::visible(&rec.fix).into_owned()}</p>
                    <div class="before-after">
                        <CodeBlock label="Before" language=lang code=rec.code_before.clone() name="before" />
                        <CodeBlock label="After" language=lang code=rec.code_after.clone() name="after" />
                    </div>
                </section>
                <section>
                    <h4>"How to measure"</h4>
                    <p>{format!("{}: from {baseline} to {target}, over {} days. {}", m.label, m.validation.days, m.validation.reason)}</p>
                    <CodeBlock label="In PostHog's SQL editor" language="HogQL" code=m.hogql.clone() name="hogql" />
                </section>
            </details>
            <Decision results=results.clone() id=rec.id.clone() status=status />
        </article>
    }
}

/// Which decision form is open on a card.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    None,
    Ship,
    Reject,
    Snooze,
}

/// The decision buttons of a card, and the small form each opens.
#[component]
fn Decision(results: Arc<Results>, id: String, status: Status) -> impl IntoView {
    let state = expect_context::<AppState>();
    let form = RwSignal::new(Form::None);
    let day = RwSignal::new(today().to_string());
    let reason = RwSignal::new(String::new());
    let open = move |f: Form, default: NaiveDate| {
        day.set(default.to_string());
        form.set(f);
    };
    let save = {
        let (results, id) = (results.clone(), id.clone());
        move |_| {
            let on = crate::time::parse_day(day.get_untracked().trim());
            let mark = match form.get_untracked() {
                Form::Ship => Mark { id: id.clone(), status: Status::Shipped, on: on.or(Some(today())), reason: String::new() },
                Form::Reject => Mark { id: id.clone(), status: Status::Rejected, on: None, reason: reason.get_untracked().trim().to_string() },
                Form::Snooze => Mark { id: id.clone(), status: Status::Snoozed, on: on.or(Some(today() + chrono::Duration::days(SNOOZE_DAYS))), reason: String::new() },
                Form::None => return,
            };
            form.set(Form::None);
            decide(state, &results, mark);
        }
    };
    let undo = move |_| decide(state, &results, Mark { id: id.clone(), status: Status::Open, on: None, reason: String::new() });
    view! {
        <footer class="decision">
            {if status == Status::Open {
                view! {
                    <button type="button" class="mark-shipped" on:click=move |_| open(Form::Ship, today())>"Mark shipped"</button>
                    <button type="button" class="mark-rejected" on:click=move |_| open(Form::Reject, today())>"Reject"</button>
                    <button type="button" class="mark-snoozed" on:click=move |_| open(Form::Snooze, today() + chrono::Duration::days(SNOOZE_DAYS))>"Snooze"</button>
                }.into_any()
            } else {
                view! { <button type="button" class="mark-open" on:click=undo>"Reopen"</button> }.into_any()
            }}
            <Show when=move || form.get() != Form::None>
                <span class="decision-form">
                    {move || match form.get() {
                        Form::Reject => view! {
                            <label class="inline">"Why"
                                <input type="text" class="reason" placeholder="e.g. quality drops on the cheaper model" prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev)) />
                            </label>
                        }.into_any(),
                        f => view! {
                            <label class="inline">{if f == Form::Ship { "Shipped on" } else { "Snooze until" }}
                                <input type="date" class="day" prop:value=day on:input=move |ev| day.set(event_target_value(&ev)) />
                            </label>
                        }.into_any(),
                    }}
                    <button type="button" class="primary save-mark" on:click=save.clone()>"Save"</button>
                    <button type="button" class="ghost" on:click=move |_| form.set(Form::None)>"Cancel"</button>
                </span>
            </Show>
        </footer>
    }
}
