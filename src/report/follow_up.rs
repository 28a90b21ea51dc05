//! `analysis.json`: what the next analysis needs to follow up on this one.
//! Numbers and decisions only, never trace content. Fixes a prior analysis
//! marked shipped or rejected stay marked, so they are not proposed again;
//! the reader's marks on this analysis (shipped, rejected, snoozed) are written
//! on their recommendations.

use crate::analysis::history::{FollowUp, PriorRecommendation};
use crate::analysis::Analysis;

/// Writes `analysis.json`.
pub fn analysis_json(a: &Analysis) -> String {
    let mut recs: Vec<PriorRecommendation> = a
        .recommendations
        .items
        .iter()
        .map(|r| r.prior().marked(a.history.mark(&r.id)))
        .collect();
    for settled in &a.history.settled {
        if !recs.iter().any(|r| r.id == settled.id) {
            recs.push(settled.clone());
        }
    }
    super::json_files::pretty(&FollowUp::of(a, recs))
}

#[cfg(test)]
mod tests {
    use super::analysis_json;
    use crate::analysis::history::{FollowUp, Mark, Status};

    #[test]
    fn the_readers_marks_are_written_and_the_next_run_settles_them() {
        let mut a = crate::testing::demo_analysis(false);
        let ids: Vec<String> = a.recommendations.items.iter().map(|r| r.id.clone()).collect();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
        a.history = a.history.with_mark(Mark { id: ids[0].clone(), status: Status::Shipped, on, reason: String::new() });
        a.history = a.history.with_mark(Mark { id: ids[1].clone(), status: Status::Rejected, on: None, reason: "quality first".into() });
        let f = FollowUp::parse(&analysis_json(&a)).unwrap();
        let status = |id: &str| f.recommendations.iter().find(|r| r.id == id).map(|r| (r.status, r.on, r.reason.clone())).unwrap();
        assert_eq!(status(&ids[0]), (Status::Shipped, on, String::new()));
        assert_eq!(status(&ids[1]), (Status::Rejected, None, "quality first".to_string()));
        assert!(ids[2..].iter().all(|id| status(id).0 == Status::Open), "the rest stay open");
        let data = crate::testing::demo_dataset(false);
        let next = crate::analysis::analyze_following(&data, &a.settings, &a.origin, crate::analysis::pricing::PriceTable::bundled(), Some(&f));
        let proposed: Vec<&str> = next.recommendations.items.iter().map(|r| r.id.as_str()).collect();
        assert!(!proposed.contains(&ids[0].as_str()) && !proposed.contains(&ids[1].as_str()), "{proposed:?}");
        assert!(next.history.targets.iter().any(|t| t.id == ids[0]), "the shipped fix's target is checked");
        let again = FollowUp::parse(&analysis_json(&next)).unwrap();
        assert!(again.recommendations.iter().any(|r| r.id == ids[1] && r.reason == "quality first"), "a rejection and its reason carry on to the run after");
    }
}
