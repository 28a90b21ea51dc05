//! `## What Changed`: each sustained change of an operation's or a model's
//! cost per call or per trace, the day it began, and its driver with the
//! money each factor moved. Present when the window can hold a baseline;
//! a sentence when nothing changed.

use super::markdown::{escape, table};
use crate::analysis::changes::{Change, Changes, Driver, Metric, Scope, BASELINE_DAYS, CHANGE_RATIO, MIN_RUN_DAYS};
use crate::analysis::Analysis;
use crate::format::{pct, usd};

/// Share of the project's daily spend a change must move to be named in the
/// executive summary: smaller ones are left to this section, so the summary
/// leads with money.
pub const SUMMARY_SHARE: f64 = 0.01;

/// The change the executive summary names: the largest, when it moves at
/// least [`SUMMARY_SHARE`] of the window's daily spend.
pub fn headline(a: &Analysis) -> Option<&Change> {
    let daily = a.metrics.totals.cost_usd / a.window.days().max(1.0);
    a.changes.items.first().filter(|c| (c.daily_cost.after - c.daily_cost.before).abs() >= SUMMARY_SHARE * daily)
}

/// Writes the section.
pub fn what_changed(a: &Analysis) -> String {
    let c = &a.changes;
    let mut s = String::from("## What Changed\n\n");
    s.push_str(&rule(c));
    if !c.comparable() {
        s.push_str(&format!(
            "The window holds {} complete UTC day{}: too few for a baseline and a change of at least {MIN_RUN_DAYS} days, so nothing was compared.\n\n",
            c.complete_days,
            if c.complete_days == 1 { "" } else { "s" }
        ));
        return s;
    }
    if c.items.is_empty() {
        s.push_str("No operation or model changed its cost per call or per trace by that much for that long in this window.\n\n");
        return s;
    }
    let rows: Vec<Vec<String>> = c.items.iter().map(row).collect();
    s.push_str(&table(&["What", "Began", "Days", "Per call", "Per trace", "Cost per day", "Driver"], &rows));
    s.push_str("\nWhere the change in cost per day came from (USD per day; the parts add up to the change):\n\n");
    let mut head = vec!["What"];
    head.extend(Driver::ALL.iter().map(|d| part_label(*d)));
    let parts: Vec<Vec<String>> = c.items.iter().map(|x| std::iter::once(name(x)).chain(Driver::ALL.iter().map(|d| signed(x.part(*d)))).collect()).collect();
    s.push_str(&table(&head, &parts));
    s.push('\n');
    for x in &c.items {
        s.push_str(&format!("- {}\n", sentence(x)));
    }
    s.push('\n');
    s
}

/// The rule the section applies, in one paragraph.
fn rule(c: &Changes) -> String {
    let base = if c.baseline_days as usize == BASELINE_DAYS {
        format!("the {BASELINE_DAYS} complete UTC days before it")
    } else {
        format!("the {} complete UTC days before it (the first half of this {}-day window, which is shorter than {} days)", c.baseline_days, c.complete_days, 2 * BASELINE_DAYS)
    };
    format!(
        "Each operation's and each model's daily cost per call and per trace is compared with a baseline, {base}. A change begins on the first day from which it stays at {CHANGE_RATIO}x the baseline or more (or at most 1/{CHANGE_RATIO} of it) for at least {MIN_RUN_DAYS} days in a row; a spike of fewer days is not one. Its driver is the factor that moved most of the daily cost: volume (distinct requests), model or operation mix, token mix (prompt and output tokens per call), cache-hit rate, error or retry rate, or price against the price table (Shapley shares, which add up to the change).\n\n"
    )
}

fn name(x: &Change) -> String {
    match x.scope {
        Scope::Operation => format!("operation `{}`", escape_code(&x.name)),
        Scope::Model => format!("model `{}` ({})", escape_code(&x.name), escape(&x.provider)),
    }
}

fn escape_code(s: &str) -> String {
    crate::format::visible(s).replace('`', "'").replace(['\n', '\r'], " ")
}

fn part_label(d: Driver) -> &'static str {
    match d {
        Driver::Volume => "Volume",
        Driver::Mix => "Mix",
        Driver::TokenMix => "Token mix",
        Driver::CacheHit => "Cache hits",
        Driver::ErrorRetry => "Errors, retries",
        Driver::Price => "Price",
    }
}

/// A signed amount of money.
pub fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("-{}", usd(-x))
    } else {
        format!("+{}", usd(x))
    }
}

/// `before -> after (ratio)`.
fn moved(before: f64, after: f64) -> String {
    if before > 0.0 {
        format!("{} → {} ({:.1}x)", usd(before), usd(after), after / before)
    } else {
        format!("{} → {}", usd(before), usd(after))
    }
}

fn row(x: &Change) -> Vec<String> {
    let mark = |m: Metric| if x.metric == m { " *" } else { "" };
    vec![
        name(x),
        crate::time::day(x.began),
        format!("{}{}", x.days, if x.ongoing { ", ongoing" } else { "" }),
        format!("{}{}", moved(x.per_call.before, x.per_call.after), mark(Metric::PerCall)),
        format!("{}{}", moved(x.per_trace.before, x.per_trace.after), mark(Metric::PerTrace)),
        moved(x.daily_cost.before, x.daily_cost.after),
        x.driver.label(x.scope).to_string(),
    ]
}

/// What the driver's figures did, in words.
pub fn driver_detail(x: &Change) -> String {
    match x.driver {
        Driver::Mix if !x.mix.is_empty() => x.mix.iter().map(|m| format!("{} {} → {} of calls", crate::format::visible(&m.name), pct(m.before), pct(m.after))).collect::<Vec<_>>().join(", "),
        Driver::CacheHit => format!("cache reads {} → {} of prompt tokens", pct(x.cache_hit.before), pct(x.cache_hit.after)),
        Driver::ErrorRetry => format!("errors and repeated inputs {} → {} of calls", pct(x.error_retry_rate.before), pct(x.error_retry_rate.after)),
        Driver::Volume => format!("{:.0} → {:.0} calls a day", x.calls_per_day.before, x.calls_per_day.after),
        _ => String::new(),
    }
}

/// One change as a sentence: what, since when, how much, why.
pub fn sentence(x: &Change) -> String {
    let what = match x.metric {
        Metric::PerCall => "cost per call",
        Metric::PerTrace => "cost per trace",
    };
    let detail = driver_detail(x);
    let detail = if detail.is_empty() { String::new() } else { format!(" ({})", escape(&detail)) };
    format!(
        "{} {what} went {:.1}x from {}{}, driven by {}{detail}: {} a day against the baseline of {} to {}, {} over the change's {} days.",
        upper(&name(x)),
        x.ratio(),
        crate::time::day(x.began),
        if x.ongoing { " and still holds".to_string() } else { format!(" to {}", crate::time::day(x.last_day)) },
        x.driver.label(x.scope),
        signed(x.daily_cost.after - x.daily_cost.before),
        crate::time::day(x.baseline_from),
        crate::time::day(x.baseline_to),
        signed(x.extra_usd),
        x.days
    )
}

fn upper(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
