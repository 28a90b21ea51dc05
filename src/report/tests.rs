use super::markdown::to_html;
use super::*;
use crate::analysis::testing::demo_analysis;
use crate::analysis::Settings;

#[test]
fn sections_come_in_the_specified_order() {
    let md = recommendations_md(&demo_analysis(false));
    let sections = ["## Executive Summary", "## Cost Analysis", "## High-Variance Investigation", "## Failure-Mode Analysis", "## Qualitative Findings", "## Appendix"];
    let at: Vec<usize> = sections.iter().map(|s| md.find(&format!("\n{s}\n")).unwrap_or_else(|| panic!("{s} missing"))).collect();
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
    for tag in ["<script", "<img", "<pre"] {
        assert!(!html.contains(tag), "{tag} reached the HTML");
    }
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
    let rec = |id: &str, status, target: f64| PriorRecommendation { id: id.into(), title: format!("fix {id}"), status, metric: Some(draft.clone()), baseline: Some(now * 1.5), target: Some(target) };
    let mut prior = FollowUp::of(&first, vec![rec("met", Status::Shipped, now * 1.01), rec("missed", Status::Open, now * 0.5), rec("no", Status::Rejected, now * 0.1)]);
    prior.operations.iter_mut().find(|o| o.operation == "agent_step").unwrap().cost_per_call /= 2.0;
    let data = crate::analysis::testing::demo_dataset(false);
    let a = crate::analysis::analyze_following(&data, &first.settings, &first.origin, crate::analysis::pricing::PriceTable::bundled(), Some(&prior));
    let md = recommendations_md(&a);
    assert!(md.contains("1 of 2 prior targets met, 1 regressions, 2 fixes settled"), "rejected targets are not checked");
    assert!(md.contains("| fix met | cost per call of draft_answer |") && md.contains("| hit |") && md.contains("| miss |"));
    assert!(md.contains("| agent_step | cost per call |"), "cost per call doubled against the prior file");
    assert!(md.contains("Not proposed again: fix met (shipped), fix no (rejected)."));
}
