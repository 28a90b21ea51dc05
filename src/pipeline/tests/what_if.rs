//! The what-if on the demo project: an operation priced at its own model
//! costs what it costs, and the candidates are the project's providers.

use crate::analysis::what_if::{candidates, project};

#[test]
fn an_operation_priced_at_its_own_model_costs_what_it_costs() {
    let a = crate::testing::demo_analysis(false);
    let table = crate::analysis::pricing::PriceTable::bundled();
    let mut checked = 0;
    for g in &a.metrics.by_operation {
        let models: Vec<_> = a.metrics.by_operation_model.iter().filter(|m| m.operation == g.name).collect();
        let [only] = models.as_slice() else { continue };
        let Some(res) = a.costing.prices.get(&(only.model.clone(), only.provider.clone())) else { continue };
        let entry = table.entry(&res.key).unwrap();
        let p = project(&a, &g.name, entry).unwrap();
        assert!((p.projected_usd / p.current_usd - 1.0).abs() < 0.01, "{}: {} vs {}", g.name, p.projected_usd, p.current_usd);
        assert_eq!(p.calls, g.totals.calls);
        checked += 1;
    }
    let names: Vec<&str> = candidates(&a, table).iter().map(|e| e.key.as_str()).collect();
    assert!(names.contains(&"gpt-4o-mini") && names.iter().any(|n| n.contains("claude")), "the project's providers are offered");
    assert!(!names.iter().any(|n| n.starts_with("mistral")), "providers the project does not use are not");
    assert!(checked >= 3, "only {checked} single-model operations");
    let mini = table.entry("gpt-4o-mini").unwrap();
    let cheaper = project(&a, "draft_answer", mini).unwrap();
    assert!(cheaper.change() < -0.8, "gpt-4o-mini is over 10x cheaper than the demo's draft model: {}", cheaper.change());
}
