//! The direction imports may point (ARCHITECTURE.md, "Layers"), checked on
//! the source text: the analysis core names no source, report, pipeline or
//! UI module; the sources name no report, pipeline or UI; the report names
//! no source, pipeline or UI outside its tests; `contract`, `format`,
//! `order` and `time` name nothing of the crate.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

/// The crate's top-level modules.
const MODULES: [&str; 10] = ["analysis", "contract", "format", "order", "pipeline", "report", "source", "time", "ui", "testing"];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The crate modules a file names by path (`crate::x`, or `super::x` from
/// a module's root file), outside comments.
fn named_modules(path: &Path, text: &str, layer: &str) -> Vec<String> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let at_root = path.parent() == Some(src.as_path()) || path == src.join(layer).join("mod.rs");
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for m in MODULES {
            let via_crate = format!("crate::{m}");
            let via_super = format!("super::{m}");
            let names = |needle: &str| code.match_indices(needle).any(|(i, _)| !code[i + needle.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'));
            if names(&via_crate) || (at_root && names(&via_super)) {
                found.push(m.to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Whether a file holds only tests (`tests.rs`, or a file under a `tests/` folder).
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs") || path.components().any(|c| c.as_os_str() == "tests")
}

/// The violations of `layer`: files that name a module in `forbidden`.
fn violations(layer: &str, forbidden: &[&str], tests_too: bool) -> Vec<String> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let root = src.join(layer);
    // A module is its `layer.rs`, its `layer/` folder, or both.
    let mut files = if root.is_dir() { rust_files(&root) } else { Vec::new() };
    files.extend(Some(src.join(format!("{layer}.rs"))).filter(|f| f.is_file()));
    assert!(!files.is_empty(), "no files for {layer}");
    let mut out = Vec::new();
    for f in files {
        if !tests_too && is_test_file(&f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for m in named_modules(&f, &text, layer) {
            if forbidden.contains(&m.as_str()) {
                out.push(format!("{} names crate::{m}", f.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    out
}

#[test]
fn the_analysis_core_imports_no_source_report_pipeline_or_ui() {
    let bad = violations("analysis", &["source", "report", "pipeline", "ui", "testing"], true);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_sources_import_no_report_pipeline_or_ui() {
    let bad = violations("source", &["report", "pipeline", "ui", "testing"], true);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_report_imports_no_source_pipeline_or_ui() {
    let bad = violations("report", &["source", "pipeline", "ui"], false);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn contract_format_order_and_time_are_leaves() {
    let bad = ["contract", "format", "order", "time"].iter().flat_map(|m| violations(m, &MODULES, true)).collect::<Vec<_>>();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_check_sees_an_import() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/analysis/x.rs");
    assert_eq!(named_modules(&file, "use crate::source::memory;\n// crate::report in a comment\n", "analysis"), ["source"]);
    assert_eq!(named_modules(&file, "let x = crate::sourced;", "analysis"), Vec::<String>::new());
}
