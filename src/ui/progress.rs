//! The stages of a run as they progress, and the failure message if any.

use super::state::{AppState, Phase};
use crate::format::visible;
use crate::source::plan::Step;
use leptos::prelude::*;

const STEPS: [(Step, &str); 4] = [(Step::Connect, "Connect"), (Step::Aggregates, "Aggregates (round 1)"), (Step::Details, "Trace details (round 2)"), (Step::Done, "Analyse and write")];

/// The run's status: while a run goes, the stepper of the stages with the
/// query meter and Cancel, floating over the view (it moves nothing);
/// after, the error that ended it or a line saying it was cancelled.
#[component]
pub fn ProgressView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let status = move || match state.phase.get() {
        Phase::Idle | Phase::Done => None,
        Phase::Cancelled => Some(
            view! {
                <section class="panel" role="status">
                    <p id="cancelled">"Cancelled. Results of an earlier run, if any, are still in the views."</p>
                </section>
            }
            .into_any(),
        ),
        Phase::Failed(message) => Some(
            view! {
                <section class="panel failed" role="alert">
                    <h2>"The analysis stopped"</h2>
                    <p id="error-message">{visible(&message).into_owned()}</p>
                </section>
            }
            .into_any(),
        ),
        Phase::Running { step, source, detail } => {
            let current = STEPS.iter().position(|(s, _)| *s == step).unwrap_or(STEPS.len());
            Some(
                view! {
                    <section class="panel progress" aria-live="polite" id="progress">
                        <h2>{format!("Analysing {source}")}</h2>
                        <ol class="steps">
                            {STEPS
                                .iter()
                                .enumerate()
                                .map(|(i, (_, label))| {
                                    let class = if i < current { "done" } else if i == current { "active" } else { "todo" };
                                    view! { <li class=class aria-current=(i == current).then_some("step")>{*label}</li> }
                                })
                                .collect_view()}
                        </ol>
                        <button id="cancel" on:click=move |_| state.request_cancel()>"Cancel"</button>
                        <p class="hint">{detail}</p>
                        <QueryMeterLine />
                    </section>
                }
                .into_any(),
            )
        }
    };
    view! { <div class="status-slot">{status}</div> }
}

/// Queries used against PostHog's hourly budget, and the rate-limit countdown.
#[component]
pub fn QueryMeterLine() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || state.queries.get().map(|q| view! {
            <p id="query-meter" class="hint">
                {format!("PostHog queries: {} of {} this hour · {} fetched", q.used, q.budget, crate::format::bytes(q.bytes))}
            </p>
        })}
        {move || state.throttled_s.get().map(|s| view! {
            <p id="throttle" class="warning" role="status">
                {format!("PostHog's hourly query budget is spent; going on in {s} s.")}
            </p>
        })}
    }
}
