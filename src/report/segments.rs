//! `## Segments`: who and what drives the spend: users, custom properties
//! and feature-flag variants side by side. Always present; says why when
//! there is nothing to show.

use super::markdown::{escape, table};
use crate::analysis::segments::{Bound, Property, Segments, UserSpend, Value, MIN_SPREAD};
use crate::analysis::Analysis;
use crate::format::{count, pct, usd};

/// Writes the section.
pub fn segments(a: &Analysis) -> String {
    let mut s = String::from("## Segments\n\n");
    s.push_str(&body(&a.segments));
    s
}

fn body(seg: &Segments) -> String {
    let Some(users) = &seg.users else {
        return "No segments: the segments query did not answer, so spend by user and by property is not known for this window.\n\n".into();
    };
    let mut s = String::from("Spend by PostHog's recorded cost (calls it could not price count as $0).\n\n");
    s.push_str(&user_spend(users));
    if seg.properties.is_empty() {
        s.push_str("No feature flag or custom property splits the spend: no `$feature/<flag>` property, and no custom property with two values of 30 calls or more whose cost per call differs by 25% or more.\n\n");
    }
    for p in &seg.properties {
        s.push_str(&property(p));
    }
    if !seg.missing.is_empty() {
        let names: Vec<String> = seg.missing.iter().map(|m| format!("`{}`", code(m))).collect();
        s.push_str(&format!(
            "Asked for but not found: {} (not among the {} property keys most generations carry).\n\n",
            names.join(", "),
            crate::contract::SEGMENT_KEYS
        ));
    }
    s
}

fn bound(b: Bound) -> String {
    match b {
        Bound::Exact(x) => usd(x),
        Bound::AtMost(x) => format!("at most {}", usd(x)),
    }
}

fn user_spend(u: &UserSpend) -> String {
    let mut s = String::from("### Spend by user\n\n");
    let share = |x: Option<f64>| x.map_or("not known (too many users to list)".into(), pct);
    s.push_str(&format!(
        "{} users spent {}. The top 1% of users hold {} of it and the top 10% hold {}; cost per user is {} at the median and {} at p95.\n\n",
        count(u.users),
        usd(u.cost_usd),
        share(u.top_1pct_share),
        share(u.top_10pct_share),
        bound(u.p50_usd),
        bound(u.p95_usd),
    ));
    let rows: Vec<Vec<String>> = u
        .top
        .iter()
        .map(|v| vec![escape(&v.value), count(v.calls), count(v.traces), usd(v.cost_usd), pct(v.share), usd(v.cost_per_trace()), pct(v.error_rate())])
        .collect();
    s.push_str(&table(&["User", "Calls", "Traces", "Cost", "Share", "Cost/trace", "Error rate"], &rows));
    s.push('\n');
    s
}

fn property(p: &Property) -> String {
    let mut s = match p.flag_name() {
        Some(flag) => format!("### Feature flag `{}`\n\n", code(flag)),
        None => format!("### Property `{}`\n\n", code(&p.key)),
    };
    if p.spread.is_some_and(|x| x < MIN_SPREAD) {
        s.push_str("Cost per call differs by less than 25% between its values.\n\n");
    } else if let (Some(spread), Some((hi, lo))) = (p.spread, extremes(&p.values)) {
        s.push_str(&format!(
            "Cost per call is {:.1}x higher for `{}` ({}) than for `{}` ({}).\n\n",
            spread,
            code(&hi.value),
            usd(hi.cost_per_call()),
            code(&lo.value),
            usd(lo.cost_per_call())
        ));
    }
    let rows: Vec<Vec<String>> = p
        .values
        .iter()
        .map(|v| {
            let name = if v.other { format!("{} ({} values)", escape(&v.value), count(v.members)) } else { escape(&v.value) };
            vec![name, count(v.calls), count(v.traces), usd(v.cost_usd), pct(v.share), usd(v.cost_per_call()), usd(v.cost_per_trace()), pct(v.error_rate()), pct(v.truncation_rate())]
        })
        .collect();
    s.push_str(&table(&["Value", "Calls", "Traces", "Cost", "Share", "Cost/call", "Cost/trace", "Error rate", "Truncated"], &rows));
    s.push('\n');
    s
}

/// The named values of at least [`MIN_VALUE_CALLS`](crate::analysis::segments::MIN_VALUE_CALLS)
/// calls with the highest and the lowest cost per call.
pub fn extremes(values: &[Value]) -> Option<(&Value, &Value)> {
    let big: Vec<&Value> = values.iter().filter(|v| !v.other && v.calls >= crate::analysis::segments::MIN_VALUE_CALLS).collect();
    let hi = big.iter().max_by(|a, b| a.cost_per_call().total_cmp(&b.cost_per_call()))?;
    let lo = big.iter().min_by(|a, b| a.cost_per_call().total_cmp(&b.cost_per_call()))?;
    Some((hi, lo))
}

/// A name for inside inline code.
fn code(name: &str) -> String {
    crate::format::visible(name).replace('`', "'").replace(['\n', '\r'], " ")
}
