//! The quality-signal events held in memory (`$ai_evaluation`,
//! `$ai_feedback`, `$ai_metric`, `$ai_embedding`), read and grouped as the
//! HogQL of `posthog::hogql::signals` reads and groups them.

use crate::analysis::dataset::{SignalKind, SignalRow, Window};
use crate::contract::{FAIL_WORDS, MAX_SIGNAL_VALUE, NAME_CHARS, PASS_WORDS, SIGNAL_EVENTS, SIGNAL_ROWS};
use crate::source::digest::prefix;
use crate::source::event::{span_name, prop_f64, prop_text, prop_u64, Event, Generation};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The fields of one signal event the query reads.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalEvent {
    pub kind: SignalKind,
    pub timestamp: DateTime<Utc>,
    /// The evaluation's or metric's name, cut; `""` for the other kinds.
    pub name: String,
    /// `$ai_target_event_id`, lower-cased, `""` when missing.
    pub target: String,
    pub trace_id: String,
    /// Pass (`true`), failure (`false`) or none.
    pub verdict: Option<bool>,
    pub value: Option<f64>,
    /// An embedding's span name, model and provider (names cut).
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub input_tokens: Option<u64>,
    pub cost_usd: Option<f64>,
}

/// `toFloat` of a property's text, within [`MAX_SIGNAL_VALUE`].
fn value(e: &Event, key: &str) -> Option<f64> {
    prop_text(&e.properties, key)?.parse::<f64>().ok().filter(|v| (-MAX_SIGNAL_VALUE..=MAX_SIGNAL_VALUE).contains(v))
}

impl SignalEvent {
    /// The signal `e` holds; `None` for any other event.
    pub fn from_event(e: &Event) -> Option<Self> {
        let [evaluation, feedback, metric, embedding] = SIGNAL_EVENTS;
        let p = &e.properties;
        let text = |key: &str| prop_text(p, key);
        let named = |keys: &[&str]| prefix(keys.iter().find_map(|k| text(k)).as_deref().unwrap_or("unnamed"), NAME_CHARS).to_string();
        let (kind, name, said) = match e.event.as_str() {
            k if k == evaluation => (SignalKind::Evaluation, named(&["$ai_evaluation_name", "$ai_evaluation_id"]), text("$ai_evaluation_result")),
            k if k == feedback => (SignalKind::Feedback, String::new(), text("$ai_feedback_text")),
            k if k == metric => (SignalKind::Metric, named(&["$ai_metric_name"]), text("$ai_metric_value")),
            k if k == embedding => (SignalKind::Embedding, String::new(), None),
            _ => return None,
        };
        let said = said.map(|s| s.to_ascii_lowercase());
        let said = said.as_deref();
        let result = || if kind == SignalKind::Evaluation { text("$ai_evaluation_result").and_then(|t| t.parse::<f64>().ok()) } else { None };
        let verdict = match () {
            _ if text("$ai_evaluation_applicable").as_deref() == Some("false") => None,
            _ if said.is_some_and(|s| PASS_WORDS.contains(&s)) => Some(true),
            _ if said.is_some_and(|s| FAIL_WORDS.contains(&s)) => Some(false),
            _ if result() == Some(1.0) => Some(true),
            _ if result() == Some(0.0) => Some(false),
            _ => None,
        };
        let value = match kind {
            SignalKind::Evaluation => value(e, "$ai_evaluation_numeric_result"),
            SignalKind::Metric => value(e, "$ai_metric_value"),
            _ => None,
        };
        Some(SignalEvent {
            kind,
            timestamp: e.timestamp,
            name,
            target: text("$ai_target_event_id").unwrap_or_default().to_ascii_lowercase(),
            trace_id: text("$ai_trace_id").unwrap_or_default(),
            verdict,
            value,
            operation: span_name(p),
            model: prefix(text("$ai_model").as_deref().unwrap_or(""), NAME_CHARS).to_string(),
            provider: text("$ai_provider").unwrap_or_default(),
            input_tokens: prop_u64(p, "$ai_input_tokens"),
            cost_usd: prop_f64(p, "$ai_total_cost_usd"),
        })
    }
}

/// The window's signals grouped, each judgement placed on the generation it
/// targets, else on its trace's last generation (by time, then uuid), of
/// `generations` (the window's, names grouped as the other answers group them).
pub(super) fn answer<'a>(w: &Window, signals: &[SignalEvent], generations: impl Iterator<Item = &'a Generation>) -> Vec<SignalRow> {
    let mut by_id: HashMap<String, &Generation> = HashMap::new();
    let mut by_trace: HashMap<&str, (DateTime<Utc>, String, &Generation)> = HashMap::new();
    for g in generations {
        let id = g.uuid.to_ascii_lowercase();
        if !g.trace_id.is_empty() {
            let later = by_trace.get(g.trace_id.as_str()).is_none_or(|(t, i, _)| (g.timestamp, &id) > (*t, i));
            if later {
                by_trace.insert(&g.trace_id, (g.timestamp, id.clone(), g));
            }
        }
        by_id.entry(id).or_insert(g);
    }
    let mut groups: BTreeMap<(&str, &str, &str, &str, &str), SignalRow> = BTreeMap::new();
    for s in signals.iter().filter(|s| w.contains(s.timestamp)) {
        let judged = by_id.get(&s.target).copied().or_else(|| by_trace.get(s.trace_id.as_str()).map(|(_, _, g)| *g));
        let (operation, model, provider) = match (s.kind, judged) {
            (SignalKind::Embedding, _) => (s.operation.as_str(), s.model.as_str(), s.provider.as_str()),
            (_, Some(g)) => (g.operation.as_str(), g.model.as_str(), g.provider.as_str()),
            (_, None) => ("", "", ""),
        };
        let row = groups.entry((s.kind.as_str(), &s.name, operation, model, provider)).or_insert_with(|| SignalRow {
            kind: s.kind,
            name: s.name.clone(),
            operation: operation.to_string(),
            model: model.to_string(),
            provider: provider.to_string(),
            ..SignalRow::default()
        });
        row.events += 1;
        row.passed += u64::from(s.verdict == Some(true));
        row.failed += u64::from(s.verdict == Some(false));
        if let Some(v) = s.value {
            row.value_sum += v;
            row.valued += 1;
        }
        let tokens = s.input_tokens.unwrap_or(0);
        row.input_tokens += tokens;
        match s.cost_usd {
            Some(c) => row.cost_usd += c,
            None => {
                row.unpriced += 1;
                row.unpriced_tokens += tokens;
            }
        }
    }
    groups.into_values().take(SIGNAL_ROWS).collect()
}
