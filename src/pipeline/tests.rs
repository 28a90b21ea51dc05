//! The pipeline end to end on the demo project: every planted problem is
//! found with its true savings, a clean project gets no claim, the output is
//! deterministic, and the what-if prices alike.

use crate::analysis::by_operation::ByOperation;
use crate::analysis::dataset::{Dataset, Window};
use crate::analysis::pricing::PriceTable;
use crate::analysis::recommend::{compute, Kind, Recommendations};
use crate::analysis::{Analysis, Origin, Settings};
use crate::pipeline::{self, Prices, Request};
use crate::source::demo::{DemoConfig, DemoGenerator, Plants, Problem, Truth};
use crate::source::memory::MemorySource;

mod audit;
mod changes;
mod kept;
mod limits;
mod segments;
mod signals;
mod what_if;

/// The demo project's dataset and its truth.
fn demo(plants: Plants) -> (Dataset, Truth) {
    let cfg = DemoConfig { plants, ..DemoConfig::default() };
    let window = Window::ending_at(cfg.end, cfg.days);
    let mut gen = DemoGenerator::new(cfg);
    // With the spans: nothing in the analysis may count them.
    let source = crate::source::demo::split(gen.by_ref()).into_source();
    let fetched = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("demo fetch");
    (fetched.dataset, gen.truth().clone())
}

/// The demo's analysis and its recommendations.
fn recommend(data: &Dataset) -> (Analysis, Recommendations) {
    let request = Request { window: data.window, settings: Settings::default(), origin: Origin { label: "Demo project".into(), posthog: None }, prior: None };
    let a = pipeline::analyse(data, &request, &Prices::bundled());
    let r = compute(data, &ByOperation::new(&data.trace_ops, &a.costing), &a, PriceTable::bundled(), &[]);
    (a, r)
}

fn kind_of(p: Problem) -> Kind {
    match p {
        Problem::RetryStorm => Kind::RetryDedupe,
        Problem::ModelMisuse => Kind::ModelDowngrade,
        Problem::PromptBloat => Kind::ContextTrimming,
        Problem::UncachedPrompt => Kind::PromptCaching,
        Problem::Truncation => Kind::Truncation,
    }
}

#[test]
fn every_planted_problem_is_found_in_the_top_five_with_its_true_savings() {
    let (data, truth) = demo(Plants::ALL);
    let (_, r) = recommend(&data);
    let mut report = Vec::new();
    for p in &truth.plants {
        let kind = kind_of(p.problem);
        let rank = r.items.iter().position(|x| x.kind == kind && x.operation == p.operation);
        let found = rank.map(|i| &r.items[i]);
        report.push(format!("{:?} on {}: truth {:.4}, computed {:.4}, rank {:?}", p.problem, p.operation, p.waste_usd, found.map_or(f64::NAN, |x| x.savings_usd), rank.map(|i| i + 1)));
    }
    let report = report.join("\n");
    println!("{report}");
    for p in &truth.plants {
        let kind = kind_of(p.problem);
        let rank = r.items.iter().position(|x| x.kind == kind && x.operation == p.operation).unwrap_or_else(|| panic!("{:?} not found\n{report}", p.problem));
        assert!(rank < 5, "{:?} ranked {}\n{report}", p.problem, rank + 1);
        let got = r.items[rank].savings_usd;
        assert!((got - p.waste_usd).abs() <= 0.1 * p.waste_usd, "{:?}: {got} vs {}\n{report}", p.problem, p.waste_usd);
        let ids: Vec<&str> = r.items[rank].evidence.iter().map(|e| e.trace_id.as_str()).collect();
        assert!(!ids.is_empty() && ids.iter().all(|id| data.trace_ops.iter().any(|t| t.trace_id == *id)), "{:?}: evidence {ids:?}", p.problem);
    }
    assert!(r.shortfall.is_none());
}

#[test]
fn a_clean_project_gets_no_recommendation_above_one_percent_of_spend() {
    let (data, _) = demo(Plants::NONE);
    let (a, r) = recommend(&data);
    for x in &r.items {
        assert!(x.share_of_spend <= 0.01, "{} claims {}", x.id, x.share_of_spend);
    }
    assert!(a.metrics.totals.cost_usd > 0.0);
    assert_eq!(r.shortfall.is_some(), r.items.len() < 3, "a short list says so");
}

#[test]
fn output_is_deterministic_and_ranked() {
    let (data, _) = demo(Plants::ALL);
    let (_, first) = recommend(&data);
    let (_, second) = recommend(&data);
    assert_eq!(first, second);
    assert!(first.items.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(first.roadmap.windows(2).all(|w| w[0].effort <= w[1].effort));
    assert!(first.items.iter().all(|x| x.measurement.validation.days >= 7));
}

#[test]
fn settled_fixes_are_not_proposed_again_and_the_rest_carry_their_targets() {
    let (data, _) = demo(Plants::ALL);
    let (a, all) = recommend(&data);
    let first = all.items[0].prior();
    assert_eq!((first.status, first.baseline, first.target), (crate::analysis::history::Status::Open, Some(all.items[0].measurement.baseline), Some(all.items[0].measurement.target)));
    let settled = vec![(first.id.clone(), crate::analysis::history::Status::Shipped)];
    let rest = compute(&data, &ByOperation::new(&data.trace_ops, &a.costing), &a, PriceTable::bundled(), &settled);
    assert_eq!(rest.items.len() + 1, all.items.len());
    assert!(rest.items.iter().all(|x| x.id != first.id));
}
