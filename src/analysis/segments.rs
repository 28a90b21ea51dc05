//! Segments: who and what drives the spend. Spend by user (`distinct_id`):
//! the top users, the share held by the top 1% and 10% of users, cost per
//! user p50 and p95; and by property value (custom properties of the
//! generation or its trace, feature-flag variants): cost per call and per
//! trace, error and truncation rate, value beside value. Read from the
//! segments answer ([`SegmentRow`]), PostHog's recorded cost.

use super::dataset::SegmentRow;
use super::stats::quantile_sorted;
use crate::contract::USER_KEY;
use serde::{Deserialize, Serialize};

/// Users listed by name in the report and on the page.
pub const TOP_USERS: usize = 10;
/// Custom (non-flag) properties broken down by default: the ones that split
/// spend the most.
pub const DEFAULT_CUSTOM_KEYS: usize = 3;
/// Calls a value needs before its cost per call takes part in a property's
/// spread: below it, a few calls' noise would pass for a segment.
pub const MIN_VALUE_CALLS: u64 = 30;
/// Highest over lowest cost per call a custom property's values must reach
/// to be chosen by default: below a 25% difference, a tag does not split
/// spend enough to be worth a table.
pub const MIN_SPREAD: f64 = 1.25;
/// A property with more distinct values than this share of its traces is an
/// identifier (a request or session id), not a segment, and is not chosen by
/// default.
pub const IDENTIFIER_VALUES_PER_TRACE: f64 = 0.5;

/// Spend by user and by the properties chosen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Segments {
    /// Spend by user; `None` when the segments answer is missing.
    pub users: Option<UserSpend>,
    /// The properties broken down, flags first, then by spread.
    pub properties: Vec<Property>,
    /// Properties asked for (`--segment`) that the answer does not hold.
    pub missing: Vec<String>,
}

/// Spend by `distinct_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserSpend {
    pub users: u64,
    pub cost_usd: f64,
    /// The most expensive users, most first (at most [`TOP_USERS`]).
    pub top: Vec<Value>,
    /// Shares of the spend held by the top 1% and 10% of users (at least
    /// one user each); `None` when those users are not all named.
    pub top_1pct_share: Option<f64>,
    pub top_10pct_share: Option<f64>,
    /// Cost per user, p50 and p95 (type 7 over every user).
    pub p50_usd: Bound,
    pub p95_usd: Bound,
}

/// A figure known exactly, or only as at most a value (when it falls among
/// the users answered as one row).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Bound {
    Exact(f64),
    AtMost(f64),
}

impl Default for Bound {
    fn default() -> Self {
        Bound::Exact(0.0)
    }
}

/// One property's values side by side.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Property {
    pub key: String,
    /// Whether it is a feature flag's variant (`$feature/<flag>`).
    pub flag: bool,
    /// Named values by spend, then the rest as one value.
    pub values: Vec<Value>,
    /// Highest over lowest cost per call among values of at least
    /// [`MIN_VALUE_CALLS`] calls; `None` with fewer than two such values.
    pub spread: Option<f64>,
}

impl Property {
    /// The flag's name, for a `$feature/<flag>` key.
    pub fn flag_name(&self) -> Option<&str> {
        self.key.strip_prefix("$feature/")
    }
}

/// One value (or user) of a property.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub value: String,
    /// The values past the top ones, as one.
    pub other: bool,
    pub members: u64,
    pub calls: u64,
    pub traces: u64,
    pub cost_usd: f64,
    pub errors: u64,
    pub truncated: u64,
    /// Share of the property's spend.
    pub share: f64,
}

impl Value {
    pub fn cost_per_call(&self) -> f64 {
        self.cost_usd / self.calls.max(1) as f64
    }
    pub fn cost_per_trace(&self) -> f64 {
        self.cost_usd / self.traces.max(1) as f64
    }
    pub fn error_rate(&self) -> f64 {
        self.errors as f64 / self.calls.max(1) as f64
    }
    pub fn truncation_rate(&self) -> f64 {
        self.truncated as f64 / self.calls.max(1) as f64
    }
}

/// The segments of `rows`. `asked` names the properties to break down; when
/// empty, the default rule picks them: every feature flag, plus the
/// [`DEFAULT_CUSTOM_KEYS`] custom properties with the largest spread of
/// cost per call between their values (at least two values of
/// [`MIN_VALUE_CALLS`] calls, a spread of at least [`MIN_SPREAD`],
/// identifiers left out), so a tag that splits
/// spend shows and one that does not stays out of the way.
pub fn compute(rows: &[SegmentRow], asked: &[String]) -> Segments {
    if rows.is_empty() {
        return Segments { missing: asked.to_vec(), ..Segments::default() };
    }
    let mut keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).filter(|k| *k != USER_KEY).collect();
    keys.dedup();
    let mut properties: Vec<Property> = keys.iter().map(|k| property(k, rows)).collect();
    let missing: Vec<String> = asked.iter().filter(|a| !keys.contains(&a.as_str())).cloned().collect();
    if asked.is_empty() {
        let mut custom: Vec<Property> = properties.iter().filter(|p| !p.flag && p.spread.is_some_and(|s| s >= MIN_SPREAD) && !identifier(p)).cloned().collect();
        crate::order::sort_by(&mut custom, |a, b| b.spread.unwrap_or(0.0).total_cmp(&a.spread.unwrap_or(0.0)).then(a.key.cmp(&b.key)));
        custom.truncate(DEFAULT_CUSTOM_KEYS);
        properties.retain(|p| p.flag);
        properties.extend(custom);
    } else {
        properties.retain(|p| asked.contains(&p.key));
        crate::order::sort_by_key(&mut properties, |p| asked.iter().position(|a| *a == p.key));
    }
    Segments { users: Some(users(rows)), properties, missing }
}

fn identifier(p: &Property) -> bool {
    let values: u64 = p.values.iter().map(|v| v.members).sum();
    let traces: u64 = p.values.iter().map(|v| v.traces).sum();
    values as f64 > IDENTIFIER_VALUES_PER_TRACE * traces as f64
}

fn values(key: &str, rows: &[SegmentRow]) -> Vec<Value> {
    let of: Vec<&SegmentRow> = rows.iter().filter(|r| r.key == key).collect();
    let total: f64 = of.iter().map(|r| r.cost_usd).sum();
    of.iter()
        .map(|r| Value {
            value: r.value.clone(),
            other: r.other,
            members: r.members,
            calls: r.generations,
            traces: r.traces,
            cost_usd: r.cost_usd,
            errors: r.errors,
            truncated: r.truncated,
            share: if total > 0.0 { r.cost_usd / total } else { 0.0 },
        })
        .collect()
}

fn property(key: &str, rows: &[SegmentRow]) -> Property {
    let values = values(key, rows);
    let per_call: Vec<f64> = values.iter().filter(|v| !v.other && v.calls >= MIN_VALUE_CALLS).map(Value::cost_per_call).collect();
    let (lo, hi) = per_call.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), c| (lo.min(*c), hi.max(*c)));
    let spread = (per_call.len() >= 2 && lo > 0.0).then(|| hi / lo);
    Property { key: key.to_string(), flag: key.starts_with("$feature/"), values, spread }
}

fn users(rows: &[SegmentRow]) -> UserSpend {
    let all = values(USER_KEY, rows);
    let named: Vec<&Value> = all.iter().filter(|v| !v.other).collect();
    let rest = all.iter().find(|v| v.other);
    let users = named.len() as u64 + rest.map_or(0, |r| r.members);
    let cost_usd: f64 = all.iter().map(|v| v.cost_usd).sum();
    // Named users come most expensive first; the rest each cost at most the last named.
    let top_share = |fraction: f64| {
        let k = ((users as f64 * fraction).ceil() as usize).max(1);
        (k <= named.len() && cost_usd > 0.0).then(|| named[..k].iter().map(|v| v.cost_usd).sum::<f64>() / cost_usd)
    };
    let quantile = |p: f64| -> Bound {
        if rest.is_none() {
            let mut costs: Vec<f64> = named.iter().map(|v| v.cost_usd).collect();
            crate::order::sort_by(&mut costs, f64::total_cmp);
            return Bound::Exact(quantile_sorted(&costs, p).unwrap_or(0.0));
        }
        // Ascending positions floor(h) and ceil(h) of h = (n - 1) p, counted from the top.
        let h = (users.saturating_sub(1)) as f64 * p;
        let from_top = |pos: f64| (users - 1) as usize - pos as usize;
        let (a, b) = (from_top(h.floor()), from_top(h.ceil()));
        match (named.get(a), named.get(b)) {
            (Some(x), Some(y)) => Bound::Exact(x.cost_usd + (h - h.floor()) * (y.cost_usd - x.cost_usd)),
            _ => Bound::AtMost(named.last().map_or(0.0, |v| v.cost_usd)),
        }
    };
    UserSpend {
        users,
        cost_usd,
        top: named.iter().take(TOP_USERS).map(|v| (*v).clone()).collect(),
        top_1pct_share: top_share(0.01),
        top_10pct_share: top_share(0.10),
        p50_usd: quantile(0.5),
        p95_usd: quantile(0.95),
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, value: &str, other: bool, members: u64, calls: u64, cost: f64) -> SegmentRow {
        SegmentRow { key: key.into(), value: value.into(), other, members, generations: calls, traces: calls, cost_usd: cost, ..SegmentRow::default() }
    }

    #[test]
    fn figures_past_the_named_users_are_bounds_and_those_within_are_exact() {
        // Three named users and 97 more answered as one row: 100 users.
        let rows = [row(USER_KEY, "a", false, 1, 10, 50.0), row(USER_KEY, "b", false, 1, 5, 20.0), row(USER_KEY, "c", false, 1, 2, 10.0), row(USER_KEY, "(other values)", true, 97, 97, 20.0)];
        let u = compute(&rows, &[]).users.unwrap();
        assert_eq!(u.users, 100);
        // The top 1% is the first user; the top 10% (10 users) reaches into the rest.
        assert_eq!(u.top_1pct_share, Some(0.5));
        assert_eq!(u.top_10pct_share, None);
        // p95 sits at ascending positions 94 and 95 of 0..99: from the top, 5 and 4, both in the rest.
        assert_eq!(u.p95_usd, Bound::AtMost(10.0));
        assert_eq!(u.p50_usd, Bound::AtMost(10.0));
        // With every user named, the quantiles are exact.
        let all = compute(&rows[..3], &[]).users.unwrap();
        assert_eq!(all.p50_usd, Bound::Exact(20.0));
        assert!(matches!(all.p95_usd, Bound::Exact(x) if (x - 47.0).abs() < 1e-12));
    }

    #[test]
    fn by_default_flags_show_and_only_custom_keys_that_split_spend() {
        let rows = [
            row("$feature/f", "a", false, 1, 100, 1.0),
            row("$feature/f", "b", false, 1, 100, 1.1),
            row("even", "x", false, 1, 100, 1.0),
            row("even", "y", false, 1, 100, 1.2),
            row("split", "x", false, 1, 100, 1.0),
            row("split", "y", false, 1, 100, 3.0),
            row(USER_KEY, "u", false, 1, 200, 2.0),
        ];
        let keys: Vec<String> = compute(&rows, &[]).properties.into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["$feature/f", "split"], "the flag whatever its spread; `even` splits spend by less than {MIN_SPREAD}x");
    }
}
