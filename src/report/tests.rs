use super::markdown::to_html;
use super::*;
use crate::testing::demo_analysis;
use crate::analysis::Settings;

#[test]
fn sections_come_in_the_specified_order() {
    let md = recommendations_md(&demo_analysis(false));
    let at: Vec<usize> = SECTIONS.iter().map(|s| md.find(&format!("\n## {s}\n")).unwrap_or_else(|| panic!("{s} missing"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    assert!(md.contains("](https://us.posthog.com/project/1/llm-analytics/traces/"), "trace ids link to PostHog");
}

#[test]
fn files_are_deterministic_and_their_json_parses() {
    let (a, b) = (files(&demo_analysis(false)), files(&demo_analysis(false)));
    assert_eq!(a, b);
    for f in a.iter().filter(|f| f.path.ends_with(".json")) {
        serde_json::from_str::<serde_json::Value>(&f.content).unwrap_or_else(|e| panic!("{}: {e}", f.path));
    }
    let variance: serde_json::Value = serde_json::from_str(&a.iter().find(|f| f.path == "data/cost_variance.json").unwrap().content).unwrap();
    assert_eq!(variance["operations"].as_array().unwrap().len(), Settings::default().top_n);
    let samples: serde_json::Value = serde_json::from_str(&a.iter().find(|f| f.path == "data/qualitative_samples.json").unwrap().content).unwrap();
    assert_eq!(samples["samples"].as_array().unwrap().len(), Settings::default().sample_size);
}

#[test]
fn hostile_names_and_excerpts_stay_text() {
    let md = recommendations_md(&demo_analysis(true));
    let html = to_html(&md);
    for tag in ["<script", "<img"] {
        assert!(!html.contains(tag), "{tag} reached the HTML");
    }
    assert_eq!(html.matches("<pre").count(), md.matches("\n```").count() / 2, "code blocks only where the writers open them");
    assert_eq!(html.matches("<h1").count(), 1, "only the report's own title is a heading");
    assert!(html.contains("sum|&lt;script&gt;alert(1)&lt;/script&gt;"), "the operation name is shown as text");
    assert!(html.contains("&lt;script&gt;steal()&lt;/script&gt;"), "excerpts are shown as text");
    assert!(md.contains("%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"), "trace ids are percent-encoded in links");
}

#[test]
fn a_follow_up_reports_targets_regressions_and_settled_fixes() {
    use crate::analysis::history::{FollowUp, Metric, PriorRecommendation, Status};
    let first = demo_analysis(false);
    assert!(recommendations_md(&first).contains("**History:** first analysis of this project"));
    let draft = Metric::CostPerCall { operation: "draft_answer".into() };
    let now = draft.value(&first).unwrap();
    let rec = |id: &str, status, target: f64| PriorRecommendation { id: id.into(), title: format!("fix {id}"), status, metric: Some(draft.clone()), baseline: Some(now * 1.5), target: Some(target), on: None, reason: String::new() };
    let mut prior = FollowUp::of(&first, vec![rec("met", Status::Shipped, now * 1.01), rec("missed", Status::Open, now * 0.5), rec("no", Status::Rejected, now * 0.1)]);
    prior.operations.iter_mut().find(|o| o.operation == "agent_step").unwrap().cost_per_call /= 2.0;
    let data = crate::testing::demo_dataset(false);
    let a = crate::analysis::analyze_following(&data, &first.settings, &first.origin, crate::analysis::pricing::PriceTable::bundled(), Some(&prior));
    let md = recommendations_md(&a);
    assert!(md.contains("1 of 2 prior targets met, 1 regressions, 2 fixes settled"), "rejected targets are not checked");
    assert!(md.contains("| fix met | cost per call of draft_answer |") && md.contains("| hit |") && md.contains("| miss |"));
    assert!(md.contains("| agent_step | cost per call |"), "cost per call doubled against the prior file");
    assert!(md.contains("Not proposed again: fix met (shipped), fix no (rejected)."));
}

#[test]
fn summary_fits_one_screen_with_the_headline_figures() {
    let a = demo_analysis(false);
    let s = summary_md(&a);
    assert!(s.lines().count() <= 40, "one screen: {} lines", s.lines().count());
    for line in [format!("{} in", crate::format::count(a.metrics.totals.calls)), crate::format::usd(a.metrics.totals.cost_usd), crate::format::usd(a.recommendations.monthly_savings_usd)] {
        assert!(s.contains(&line), "{line} missing from the summary");
    }
    let findings = s.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(". **")).count();
    assert_eq!(findings, a.recommendations.items.len().min(3));
    let table_rows = s.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Priority")).count();
    assert!(table_rows <= 5, "no table over 5 rows: {table_rows}");
}

#[test]
fn validation_passes_only_when_every_check_holds() {
    let a = demo_analysis(false);
    let v = validation::validate(&a);
    let stages = serde_json::to_value(&v.stages).unwrap();
    for (name, check) in stages.as_object().unwrap() {
        assert!(check["passed"].as_bool().unwrap(), "{name}: {}", check["message"]);
    }
    assert!(v.overall_passed);
    assert_eq!((v.results.generations_analyzed, v.results.recommendations), (a.metrics.totals.calls, a.recommendations.items.len()));
    let mut broken = a.clone();
    broken.failures.errors.pop();
    let v = validation::validate(&broken);
    assert!(!v.stages.failures.passed && !v.overall_passed, "an error group missing is caught");
    let mut short = a.clone();
    short.settings.min_recommendations = 10;
    short.recommendations.shortfall = Some("only a few fixes hold up".into());
    let v = validation::validate(&short);
    assert!(!v.stages.report.passed && !v.overall_passed && v.stages.report.message.contains("only a few"), "a shortfall is not a pass");
}

#[test]
fn analysis_json_reads_back_as_a_follow_up() {
    let a = demo_analysis(false);
    let f = crate::analysis::history::FollowUp::parse(&follow_up::analysis_json(&a)).expect("parses");
    assert_eq!(f.recommendations.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), a.recommendations.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>());
    assert!(f.recommendations.iter().all(|r| r.metric.is_none() || r.target.is_some()), "a fix with a metric carries its target");
    assert!(f.recommendations.iter().any(|r| r.metric.is_some()), "targets to check next time");
    assert!(!follow_up::analysis_json(&a).contains("<script"), "no trace content");
}
