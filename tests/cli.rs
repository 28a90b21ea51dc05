//! The command line on damaged exports: bad lines are skipped and named,
//! gzip is read directly, and the report is still written.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trace-optimizer-cli")).args(args).output().expect("run the command line")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trace-optimizer-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn bad_lines_are_skipped_and_named_and_gzip_is_read() {
    let dir = scratch("bad-lines");
    let demo = dir.join("demo.jsonl");
    let out = cli(&["export-demo", "--generations", "300", "--out", &text(&demo)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported = std::fs::read_to_string(&demo).unwrap();
    let mut lines: Vec<String> = exported.lines().map(str::to_string).collect();
    let generations = lines.iter().filter(|l| l.contains(r#""event":"$ai_generation""#)).count();
    // Damage: a malformed line 3, a timestamp in year 262142 on line 6, a blank line 8,
    // and a line of another shape on line 10 (numbers from 1, as printed).
    let with_year = |l: &str| {
        let at = l.find(r#""timestamp":""#).unwrap() + 13;
        format!("{}+262142-12-31T23:59:59Z{}", &l[..at], &l[at + l[at..].find('"').unwrap()..])
    };
    lines.insert(2, r#"{"uuid": "x", "event": "$ai_generation", "#.to_string());
    lines.insert(5, with_year(&lines[5]).replace(r#""uuid":""#, r#""uuid":"far-"#));
    lines.insert(7, String::new());
    lines.insert(9, r#"{"uuid":"y","event":"$ai_generation"}"#.to_string());
    let damaged = dir.join("damaged.jsonl");
    std::fs::write(&damaged, lines.join("\n")).unwrap();
    // The same events again, compressed: each uuid counts once.
    let gz = dir.join("again.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(exported.as_bytes()).unwrap();
    enc.finish().unwrap();

    let report = dir.join("out");
    let out = cli(&["--events", &text(&damaged), "--events", &text(&gz), "--window-days", "90", "--out", &text(&report)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("{}: skipped 3 bad lines: 3 (invalid JSON), 6 (timestamp out of range), 10 (not an event)", damaged.display())), "{stderr}");
    assert!(!stderr.contains(&format!("{}: skipped", gz.display())), "the compressed copy has no bad lines: {stderr}");
    assert!(stderr.contains(&format!("analysed {generations} generations")), "{generations} distinct generations: {stderr}");
    let md = std::fs::read_to_string(report.join("recommendations.md")).unwrap();
    let quality = &md[md.find("## Data Quality").expect("a Data Quality section")..];
    assert!(quality.contains(&format!("{generations} generations repeat")), "the copies are reported: {}", &quality[..quality.len().min(600)]);
}

#[test]
fn an_absurd_now_or_window_is_refused_not_a_panic() {
    let dir = scratch("absurd");
    let events = dir.join("e.jsonl");
    std::fs::write(&events, r#"{"uuid":"u","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{}}"#).unwrap();
    for extra in [["--now", "+262142-12-31T23:59:59Z"], ["--window-days", "4000000000"]] {
        let mut args = vec!["--events", events.to_str().unwrap(), "--out", dir.to_str().unwrap()];
        args.extend(extra);
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "an error, not a panic (101): {}", String::from_utf8_lossy(&out.stderr));
    }
}

mod properties {
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use trace_optimizer::analysis::dataset::Window;
    use trace_optimizer::analysis::{Origin, Settings};
    use trace_optimizer::pipeline::{self, Prices, Quiet, Request};
    use trace_optimizer::source::memory::MemorySource;

    /// A property value as dirty exports hold them.
    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            (-5i64..2_000).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop_oneof![Just("NaN"), Just("-1"), Just("n/a"), Just(""), Just("1e308"), Just("20000000"), Just("0.5")].prop_map(Value::from),
        ]
    }

    /// A line of JSONL: an event with random values, or junk.
    fn line() -> impl Strategy<Value = String> {
        let event = (0u8..6, 0u8..4, 0u32..40, proptest::collection::vec(value(), 6), any::<bool>(), 0u8..3).prop_map(|(uuid, trace, hour, v, error, op)| {
            let (trace, op) = (["", "t1", "t2", "t'3"][trace as usize], ["a", "b", ""][op as usize]);
            json!({"uuid": format!("u{uuid}"), "event": "$ai_generation", "distinct_id": "d", "timestamp": format!("2026-11-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24),
                "properties": {"$ai_trace_id": trace, "$ai_span_name": op, "$ai_model": "gpt-4o", "$ai_provider": "openai",
                "$ai_total_cost_usd": v[0], "$ai_input_tokens": v[1], "$ai_output_tokens": v[2], "$ai_latency": v[3], "$ai_max_tokens": v[4], "$ai_cache_read_input_tokens": v[5],
                "$ai_is_error": error, "$ai_input": "hello", "$ai_stop_reason": "length"}})
            .to_string()
        });
        prop_oneof![4 => event, 1 => ".{0,30}", 1 => Just(r#"{"uuid":"u9","event":"$ai_generation","distinct_id":"d","timestamp":"+262142-12-31T23:59:59Z","properties":{}}"#.to_string())]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_export_is_analysed_and_written_never_a_panic(lines in proptest::collection::vec(line(), 1..30)) {
            let (events, skips) = trace_optimizer::source::jsonl::parse(&lines.join("\n"));
            prop_assert!(skips.count as usize + events.len() <= lines.len());
            let source = MemorySource::from_events(events);
            let Some(newest) = source.all().iter().map(|g| g.timestamp).max() else { return Ok(()) };
            let request = Request { window: Window::ending_at(newest + chrono::Duration::seconds(1), 30), settings: Settings::default(), origin: Origin { label: "random".into(), posthog: None }, prior: None };
            let run = futures::executor::block_on(pipeline::run(&source, &request, async { Prices::bundled() }, &mut Quiet));
            let run = run.map_err(|f| TestCaseError::fail(f.error.to_string()))?;
            let files = pipeline::write(&run.analysis);
            let md = &files.iter().find(|f| f.path == "recommendations.md").unwrap().content;
            prop_assert!(md.contains("\n## Data Quality\n"));
            prop_assert!(run.analysis.metrics.totals.cost_usd >= 0.0, "no negative cost is summed");
        }
    }
}
