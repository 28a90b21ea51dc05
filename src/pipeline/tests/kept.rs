//! A kept run reads back as the run it was: the same report files, the
//! same traces chosen and generations, the prior it followed up on; a damaged or foreign record is refused
//! with a message; the reader's later marks are laid over it.

use crate::analysis::dataset::Window;
use crate::analysis::history::{FollowUp, Mark, Status};
use crate::analysis::{Origin, Settings};
use crate::pipeline::kept::{fits, unpack, with_marks, MAX_BYTES};
use crate::pipeline::{self, Prices, Quiet, Request, Run};
use crate::source::demo::{DemoConfig, DemoGenerator};
use crate::source::memory::MemorySource;
use std::io::Write;

fn demo_run() -> (Run, Vec<u8>) {
    demo_run_following(None)
}

fn demo_run_following(prior: Option<&FollowUp>) -> (Run, Vec<u8>) {
    let cfg = DemoConfig::default();
    let window = Window::ending_at(cfg.end, cfg.days);
    let source = MemorySource::from_generations(DemoGenerator::new(cfg).filter_map(|r| r.generation()).collect());
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "Demo project".into(), posthog: Some(("https://us.posthog.com".into(), "2".into())) }, prior };
    let (run, packed) = futures::executor::block_on(pipeline::run_and_keep(&source, &request, async { Prices::bundled() }, &mut Quiet)).expect("demo run");
    (run, packed.expect("the demo is kept"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_kept_run_reads_back_as_the_run_it_was() {
    let (run, bytes) = demo_run();
    let gzipped = gzip(&bytes).len();
    eprintln!("kept demo run: {} bytes, {gzipped} gzipped", bytes.len());
    assert_eq!(fits(gzipped), Ok(()));
    let back = unpack(&bytes, Prices::bundled()).expect("reads back");
    assert_eq!(back.analysis, run.analysis);
    assert_eq!(back.selection, run.selection);
    assert_eq!(back.generations, run.generations);
    assert_eq!(back.warnings, run.warnings);
    assert_eq!(back.timing, run.timing);
    assert_eq!(pipeline::write(&back.analysis), pipeline::write(&run.analysis), "the same report files, byte for byte");
    assert!(!run.generations.is_empty() && !run.selection.trace_ids().is_empty(), "the record holds the traces read closely");
}

#[test]
fn a_damaged_or_foreign_record_is_refused_with_a_message() {
    let (_, bytes) = demo_run();
    for (what, bad) in [
        ("cut short", bytes[..bytes.len() / 2].to_vec()),
        ("still compressed", gzip(&bytes)),
        ("empty", Vec::new()),
        ("another version", b"trace-optimizer/run@0\n\x00\x00".to_vec()),
        ("no tag", b"\x00\x01 no tag".to_vec()),
        ("right tag, no body", b"trace-optimizer/run@2\n".to_vec()),
        ("right tag, wrong shape", b"trace-optimizer/run@2\n\xff\xff\xff\xff\xff\xff\x01".to_vec()),
    ] {
        let err = unpack(&bad, Prices::bundled()).err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(err.starts_with("the kept analysis"), "{what}: {err}");
    }
    assert!(unpack(b"x\nrest", Prices::bundled()).unwrap_err().contains("another version (x)"));
    // A body cut anywhere is refused, never a panic.
    for cut in [bytes.len() / 7, bytes.len() / 2, bytes.len() - 1] {
        assert!(unpack(&bytes[..cut], Prices::bundled()).is_err(), "cut at {cut}");
    }
}

#[test]
fn a_record_past_the_limit_is_not_kept() {
    assert_eq!(fits(MAX_BYTES), Ok(()));
    let why = fits(MAX_BYTES + 1).unwrap_err();
    assert!(why.contains("compressed, above the"), "{why}");
}

#[test]
fn marks_made_after_keeping_are_laid_over_the_reopened_run() {
    let (run, bytes) = demo_run();
    let ids: Vec<String> = run.analysis.recommendations.items.iter().map(|r| r.id.clone()).collect();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 20);
    let mut marked = run.analysis.clone();
    marked.history = marked.history.with_mark(Mark { id: ids[0].clone(), status: Status::Shipped, on, reason: String::new() });
    marked.history = marked.history.with_mark(Mark { id: ids[1].clone(), status: Status::Rejected, on: None, reason: "quality first".into() });
    let follow_up = FollowUp::parse(&crate::report::follow_up::analysis_json(&marked)).unwrap();
    let reopened = with_marks(unpack(&bytes, Prices::bundled()).unwrap().analysis, &follow_up);
    assert_eq!(reopened.history.marks, marked.history.marks);
    assert_eq!(pipeline::write(&reopened), pipeline::write(&marked));
    // A follow-up file of another analysis (another window) leaves the marks alone.
    let other = FollowUp { window_end: follow_up.window_end + chrono::Duration::days(1), ..follow_up };
    assert!(with_marks(run.analysis.clone(), &other).history.marks.is_empty());
}

#[test]
fn a_run_that_followed_up_reopens_with_the_prior_it_followed() {
    let (first, _) = demo_run();
    let id = first.analysis.recommendations.items[0].id.clone();
    let mut marked = first.analysis.clone();
    marked.history = marked.history.with_mark(Mark { id: id.clone(), status: Status::Shipped, on: chrono::NaiveDate::from_ymd_opt(2026, 11, 1), reason: String::new() });
    let prior = FollowUp::parse(&crate::report::follow_up::analysis_json(&marked)).unwrap();
    let (second, bytes) = demo_run_following(Some(&prior));
    assert!(second.analysis.history.has_prior && second.analysis.history.is_settled(&id), "the second run followed up");
    let back = unpack(&bytes, Prices::bundled()).unwrap();
    assert_eq!(back.analysis.history, second.analysis.history);
    assert_eq!(pipeline::write(&back.analysis), pipeline::write(&second.analysis));
}
