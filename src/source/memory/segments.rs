//! The segments answer from memory, as `posthog::hogql::segments` computes
//! it: each generation's (key, value) pairs (its own custom and flag
//! properties, then its trace's `$ai_trace` properties it lacks, then its
//! `distinct_id` as [`USER_KEY`]), the keys most generations carry, each
//! key's most expensive values by name and the rest as one row.

use super::{truncated, MemorySource};
use crate::analysis::dataset::{SegmentRow, Window};
use crate::contract::{rank_cost, OTHER_VALUES, SEGMENT_KEYS, SEGMENT_USERS, SEGMENT_VALUES, USER_KEY};
use crate::source::event::{prop_text, segment_props, Event, AI_TRACE};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The segment properties of one `$ai_trace` event with a trace id.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceProps {
    trace_id: String,
    timestamp: DateTime<Utc>,
    uuid: String,
    props: Vec<(String, String)>,
}

impl TraceProps {
    /// The properties of `event`, if it is an `$ai_trace` event naming its trace.
    pub fn from_event(event: &Event) -> Option<TraceProps> {
        if event.event != AI_TRACE {
            return None;
        }
        let trace_id = prop_text(&event.properties, "$ai_trace_id").filter(|t| !t.is_empty())?;
        Some(TraceProps { trace_id, timestamp: event.timestamp, uuid: event.uuid.clone(), props: segment_props(&event.properties) })
    }
}

/// One generation's share of a (key, value) pair.
struct Pair<'a> {
    key: &'a str,
    value: &'a str,
    trace: &'a str,
    cost: Option<f64>,
    error: bool,
    truncated: bool,
}

/// A group being summed.
#[derive(Default)]
struct Sums<'a> {
    row: SegmentRow,
    traces: HashSet<&'a str>,
    members: HashSet<&'a str>,
    rank: f64,
}

impl MemorySource {
    /// Adds the trace properties of `traces` (the `$ai_trace` events read
    /// beside the generations).
    pub fn with_traces(mut self, traces: Vec<TraceProps>) -> Self {
        self.trace_props.extend(traces);
        self
    }

    /// The segments of window `w`, in [`SegmentRow`]'s order.
    pub(super) fn segment_rows(&self, w: &Window) -> Vec<SegmentRow> {
        // Each trace's latest `$ai_trace` event of the window (ties by uuid).
        let mut latest: HashMap<&str, &TraceProps> = HashMap::new();
        for t in self.trace_props.iter().filter(|t| w.contains(t.timestamp)) {
            let e = latest.entry(t.trace_id.as_str()).or_insert(t);
            if (t.timestamp, &t.uuid) > (e.timestamp, &e.uuid) {
                *e = t;
            }
        }
        let mut pairs = Vec::new();
        for g in self.generations.iter().filter(|g| w.contains(g.timestamp)) {
            let own = g.segment_props.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let inherited = latest
                .get(g.trace_id.as_str())
                .into_iter()
                .flat_map(|t| t.props.iter())
                .filter(|(k, _)| !g.segment_props.iter().any(|(own, _)| own == k))
                .map(|(k, v)| (k.as_str(), v.as_str()));
            for (key, value) in own.chain(inherited).chain([(USER_KEY, g.distinct_id.as_str())]) {
                pairs.push(Pair { key, value, trace: g.trace_id.as_str(), cost: g.cost_usd, error: g.is_error, truncated: truncated(g) });
            }
        }
        let keys = top_keys(&pairs);
        let named = named_values(&pairs);
        let mut groups: BTreeMap<(&str, bool, &str), Sums> = BTreeMap::new();
        for p in pairs.iter().filter(|p| p.key == USER_KEY || keys.contains(p.key)) {
            let other = !named.contains(&(p.key, p.value));
            let s = groups.entry((p.key, other, if other { OTHER_VALUES } else { p.value })).or_default();
            s.row.generations += 1;
            s.row.cost_usd += p.cost.unwrap_or(0.0);
            s.row.errors += u64::from(p.error);
            s.row.truncated += u64::from(p.truncated);
            s.rank += rank_cost(p.cost);
            s.traces.insert(p.trace);
            s.members.insert(p.value);
        }
        let mut rows: Vec<(f64, SegmentRow)> = groups
            .into_iter()
            .map(|((key, other, value), s)| {
                let row = SegmentRow { key: key.into(), value: value.into(), other, members: s.members.len() as u64, traces: s.traces.len() as u64, ..s.row };
                (s.rank, row)
            })
            .collect();
        crate::order::sort_by(&mut rows, |(ra, a), (rb, b)| {
            (a.key.as_str(), a.other).cmp(&(b.key.as_str(), b.other)).then(rb.total_cmp(ra)).then(b.generations.cmp(&a.generations)).then(a.value.cmp(&b.value))
        });
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

/// The [`SEGMENT_KEYS`] property keys most pairs carry (ties by key), users aside.
fn top_keys<'a>(pairs: &[Pair<'a>]) -> HashSet<&'a str> {
    let mut calls: HashMap<&str, u64> = HashMap::new();
    for p in pairs.iter().filter(|p| p.key != USER_KEY) {
        *calls.entry(p.key).or_default() += 1;
    }
    let mut keys: Vec<_> = calls.into_iter().collect();
    crate::order::sort_by(&mut keys, |a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    keys.into_iter().take(SEGMENT_KEYS).map(|(k, _)| k).collect()
}

/// Each key's values answered by name: the [`SEGMENT_USERS`] users or
/// [`SEGMENT_VALUES`] values with the most spend, then calls, then value.
fn named_values<'a>(pairs: &[Pair<'a>]) -> HashSet<(&'a str, &'a str)> {
    let mut spend: HashMap<(&str, &str), (f64, u64)> = HashMap::new();
    for p in pairs {
        let s = spend.entry((p.key, p.value)).or_default();
        s.0 += rank_cost(p.cost);
        s.1 += 1;
    }
    let mut values: Vec<_> = spend.into_iter().collect();
    crate::order::sort_by(&mut values, |(a, sa), (b, sb)| a.0.cmp(b.0).then(sb.0.total_cmp(&sa.0)).then(sb.1.cmp(&sa.1)).then(a.1.cmp(b.1)));
    let mut named = HashSet::new();
    let mut at: Option<(&str, usize)> = None;
    for ((key, value), _) in values {
        let n = match at {
            Some((k, n)) if k == key => n + 1,
            _ => 1,
        };
        at = Some((key, n));
        if n <= if key == USER_KEY { SEGMENT_USERS } else { SEGMENT_VALUES } {
            named.insert((key, value));
        }
    }
    named
}
