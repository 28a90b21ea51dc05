//! `analysis.json`: what the next analysis needs to follow up on this one.
//! Numbers and decisions only, never trace content. Fixes a prior analysis
//! marked shipped or rejected stay marked, so they are not proposed again.

use crate::analysis::history::{FollowUp, PriorRecommendation};
use crate::analysis::Analysis;

/// Writes `analysis.json`.
pub fn analysis_json(a: &Analysis) -> String {
    let mut recs: Vec<PriorRecommendation> = a
        .recommendations
        .items
        .iter()
        .map(|r| r.prior())
        .collect();
    for settled in &a.history.settled {
        if !recs.iter().any(|r| r.id == settled.id) {
            recs.push(settled.clone());
        }
    }
    super::json_files::pretty(&FollowUp::of(a, recs))
}
