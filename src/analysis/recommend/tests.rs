use super::*;
use crate::analysis::dataset::{Dataset, Window};
use crate::analysis::by_operation::ByOperation;
use crate::analysis::{analyze, Origin, Settings};

mod formulas;
mod history_growth;
mod hogql_parse;

pub(super) fn recommend(data: &Dataset) -> (Analysis, Recommendations) {
    let prices = PriceTable::bundled();
    let a = analyze(data, &Settings::default(), &Origin { label: "Demo project".into(), posthog: None }, prices);
    let r = compute(data, &ByOperation::new(&data.trace_ops, &a.costing), &a, prices, &[]);
    (a, r)
}
