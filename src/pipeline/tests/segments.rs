//! Segments found with the right numbers: the demo's costly user and flag
//! experiment against the generator's truth, and a project shaped otherwise
//! (trace-level properties on `$ai_trace` events, three variants, users
//! past the top ones) against figures computed here from its raw events.

use super::*;
use crate::analysis::segments::{Bound, Segments};
use crate::source::demo::{COSTLY_USER, FLAG, PLAN};
use crate::source::event::Event;
use chrono::{TimeZone, Utc};
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

fn segments_of(data: &Dataset, asked: &[&str]) -> Segments {
    let settings = Settings { segments: asked.iter().map(|s| s.to_string()).collect(), ..Settings::default() };
    let request = Request { window: data.window, settings, origin: Origin { label: "Segments".into(), posthog: None }, prior: None };
    pipeline::analyse(data, &request, &Prices::bundled()).segments
}

#[test]
fn the_demos_costly_user_and_costlier_variant_are_found_with_their_true_numbers() {
    let (data, truth) = demo(Plants::ALL);
    let t = truth.segments.expect("planted");
    let seg = segments_of(&data, &[]);
    let users = seg.users.as_ref().expect("users");
    let top = &users.top[0];
    let share = t.costly_user_cost_usd / t.recorded_cost_usd;
    println!("costly user {}: truth {:.4} ({:.1}%), found {} {:.4} ({:.1}%); {} users", t.costly_user, t.costly_user_cost_usd, share * 100.0, top.value, top.cost_usd, top.share * 100.0, users.users);
    assert_eq!(top.value, COSTLY_USER);
    assert!(close(top.cost_usd, t.costly_user_cost_usd) && close(top.share, share));
    assert_eq!(users.users, t.users);
    assert!(share > 0.1, "the plant holds a large share: {share}");
    // The top 1% of a few hundred users is a handful, the key account first.
    assert!(users.top_1pct_share.expect("all users named") >= share);
    // The default rule shows the flag.
    let flag = seg.properties.iter().find(|p| p.key == FLAG).expect("the flag is shown by default");
    for v in &t.variants {
        let found = flag.values.iter().find(|f| f.value == v.variant).expect("variant");
        println!("{} {}: truth {} calls {:.4}, found {} calls {:.4}", FLAG, v.variant, v.calls, v.cost_usd, found.calls, found.cost_usd);
        assert_eq!(found.calls, v.calls);
        assert!(close(found.cost_usd, v.cost_usd));
    }
    let per_call = |name: &str| t.variants.iter().find(|v| v.variant == name).map(|v| v.cost_usd / v.calls as f64).unwrap();
    let ratio = per_call("test") / per_call("control");
    println!("test / control cost per call: truth {ratio:.3}, found {:.3}", flag.spread.unwrap());
    assert!(close(flag.spread.expect("two big variants"), ratio));
    assert!((1.8..2.2).contains(&ratio), "the test variant costs about 2x per call: {ratio}");
    // Asked for by name, the plan shows alone; an unknown key is said.
    let asked = segments_of(&data, &[PLAN, "nope"]);
    assert_eq!(asked.properties.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), [PLAN]);
    assert_eq!(asked.missing, ["nope"]);
}

#[test]
fn a_clean_demo_has_users_but_no_flag() {
    let (data, truth) = demo(Plants::NONE);
    assert!(truth.segments.is_none());
    let seg = segments_of(&data, &[]);
    assert!(seg.properties.is_empty(), "{:?}", seg.properties);
    assert!(seg.users.expect("users").top.iter().all(|u| u.value != COSTLY_USER));
}

/// One event of the project below.
fn event(uuid: String, event: &str, user: &str, minute: i64, props: Value) -> Event {
    let ts = Utc.with_ymd_and_hms(2026, 10, 3, 0, 0, 0).unwrap() + chrono::Duration::minutes(minute);
    let properties: Map<String, Value> = props.as_object().cloned().unwrap_or_default();
    Event { uuid, event: event.into(), distinct_id: user.into(), timestamp: ts, properties }
}

/// Type-7 quantile of ascending `xs`.
fn quantile(xs: &[f64], p: f64) -> f64 {
    let h = (xs.len() - 1) as f64 * p;
    let (lo, hi) = (xs[h.floor() as usize], xs[h.ceil() as usize]);
    lo + (h - h.floor()) * (hi - lo)
}

#[test]
fn a_differently_shaped_project_gives_the_figures_its_raw_events_give() {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(41);
    let mut events = Vec::new();
    let teams = ["search", "billing", "growth"];
    for trace in 0..900 {
        // One heavy account sends a third of the traces; 120 others the rest.
        let user = if trace % 3 == 0 { "org-heavy".to_string() } else { format!("org-{:03}", rng.random_range(0..120)) };
        let id = format!("tr-{trace:04}");
        let team = teams[rng.random_range(0..3)];
        let variant = ["baseline", "short-ctx", "long-ctx"][rng.random_range(0..3)];
        events.push(event(format!("t-{trace}"), "$ai_trace", &user, trace as i64, json!({"$ai_trace_id": id, "team": team, "$ai_span_name": "run"})));
        for call in 0..rng.random_range(1..5) {
            let factor = if variant == "long-ctx" { 3.0 } else { 1.0 };
            let cost = rng.random_range(0.001..0.02) * factor;
            let mut p = json!({"$ai_trace_id": id, "$ai_model": "mistral-large", "$ai_provider": "mistral", "$ai_span_name": "plan",
                "$ai_total_cost_usd": cost, "$ai_input_tokens": 100, "$ai_output_tokens": 20, "$feature/context-size": variant,
                "$ai_is_error": call == 3, "$ai_stop_reason": if call == 2 { "length" } else { "stop" }});
            if call == 1 && trace % 10 == 0 {
                // The generation's own value wins over its trace's.
                p["team"] = json!("override");
            }
            events.push(event(format!("g-{trace}-{call}"), "$ai_generation", &user, trace as i64, p));
        }
    }
    // The truths, from the raw events.
    let gens: Vec<&Event> = events.iter().filter(|e| e.event == "$ai_generation").collect();
    let team_of_trace: BTreeMap<String, String> = events.iter().filter(|e| e.event == "$ai_trace").map(|e| (e.properties["$ai_trace_id"].as_str().unwrap().to_string(), e.properties["team"].as_str().unwrap().to_string())).collect();
    let cost = |e: &Event| e.properties["$ai_total_cost_usd"].as_f64().unwrap();
    let mut by_user: BTreeMap<&str, f64> = BTreeMap::new();
    let mut by_variant: BTreeMap<&str, (u64, f64, u64, u64)> = BTreeMap::new();
    let mut by_team: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for e in &gens {
        *by_user.entry(e.distinct_id.as_str()).or_default() += cost(e);
        let v = by_variant.entry(e.properties["$feature/context-size"].as_str().unwrap()).or_default();
        v.0 += 1;
        v.1 += cost(e);
        v.2 += u64::from(e.properties["$ai_is_error"] == json!(true));
        v.3 += u64::from(e.properties["$ai_stop_reason"] == json!("length"));
        let team = e.properties.get("team").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| team_of_trace[e.properties["$ai_trace_id"].as_str().unwrap()].clone());
        let t = by_team.entry(team).or_default();
        t.0 += 1;
        t.1 += cost(e);
    }
    let total: f64 = by_user.values().sum();
    let mut costs: Vec<f64> = by_user.values().copied().collect();
    costs.sort_by(f64::total_cmp);
    let top = |k: usize| costs.iter().rev().take(k).sum::<f64>() / total;
    let n = costs.len();

    let source = MemorySource::from_events(events.clone());
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 10, 5, 0, 0, 0).unwrap(), 7);
    let data = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("fetch").dataset;
    let seg = segments_of(&data, &["$feature/context-size", "team"]);
    let u = seg.users.expect("users");
    println!("{n} users; top 1% {:.4} / {:.4}, top 10% {:.4} / {:.4}; p50 {:.5} / {:?}; p95 {:.5} / {:?}", top(n.div_ceil(100)), u.top_1pct_share.unwrap(), top(n.div_ceil(10)), u.top_10pct_share.unwrap(), quantile(&costs, 0.5), u.p50_usd, quantile(&costs, 0.95), u.p95_usd);
    assert_eq!(u.users as usize, n);
    assert_eq!(u.top[0].value, "org-heavy");
    assert!(close(u.top[0].cost_usd, by_user["org-heavy"]));
    assert!(close(u.top_1pct_share.unwrap(), top(n.div_ceil(100))));
    assert!(close(u.top_10pct_share.unwrap(), top(n.div_ceil(10))));
    assert!(matches!(u.p50_usd, Bound::Exact(x) if close(x, quantile(&costs, 0.5))));
    assert!(matches!(u.p95_usd, Bound::Exact(x) if close(x, quantile(&costs, 0.95))));
    let flag = &seg.properties[0];
    assert_eq!(flag.flag_name(), Some("context-size"));
    for v in &flag.values {
        let (calls, c, errors, truncated) = by_variant[v.value.as_str()];
        println!("variant {}: {} calls {:.4} (truth {calls} {c:.4}), {:.3}/call, errors {} truncated {}", v.value, v.calls, v.cost_usd, v.cost_per_call(), v.errors, v.truncated);
        assert_eq!((v.calls, v.errors, v.truncated), (calls, errors, truncated));
        assert!(close(v.cost_usd, c));
    }
    let per_call = |name: &str| by_variant[name].1 / by_variant[name].0 as f64;
    assert!(close(flag.spread.unwrap(), per_call("long-ctx") / per_call("baseline").min(per_call("short-ctx"))));
    let team = &seg.properties[1];
    assert_eq!(team.key, "team");
    assert_eq!(team.values.len(), by_team.len());
    for v in &team.values {
        let (calls, c) = &by_team[v.value.as_str()];
        assert_eq!(v.calls, *calls, "team {}", v.value);
        assert!(close(v.cost_usd, *c));
    }
}
