//! The JSON data files of stages 4 and 7. Pretty-printed with sorted maps,
//! so the same analysis gives the same bytes.

use crate::analysis::root_causes::RootCauses;
use crate::analysis::variance::OperationVariance;
use crate::analysis::Analysis;
use serde::Serialize;

/// `data/cost_variance.json`: the per-trace cost distributions of the top
/// operations, their outliers, and what explains them.
pub fn cost_variance(a: &Analysis) -> String {
    #[derive(Serialize)]
    struct File<'a> {
        window_start: String,
        window_end: String,
        method: &'static str,
        sampled_rate: Option<f64>,
        operations: &'a [OperationVariance],
        root_causes: &'a RootCauses,
    }
    pretty(&File {
        window_start: crate::time::rfc3339_offset(a.window.start),
        window_end: crate::time::rfc3339_offset(a.window.end),
        method: "Cost per trace within an operation. Quantiles: linear interpolation (type 7). Std: population. \
                 Outliers: above mean + 2 sd, or above median + 3 x 1.4826 x MAD. Concentration: share of cost in the most expensive 1% / 10% of traces.",
        sampled_rate: a.sampling.as_ref().map(|s| s.rate),
        operations: &a.variance.operations,
        root_causes: &a.root_causes,
    })
}

/// `data/qualitative_samples.json`: the tagged sample and tag frequencies.
pub fn qualitative_samples(a: &Analysis) -> String {
    pretty(&a.qualitative)
}

/// `value` as pretty-printed JSON with a final newline: every JSON file of the bundle.
pub(super) fn pretty<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("report data serializes");
    s.push('\n');
    s
}
