//! The results bundle: every report file and the chart images in one zip.
//! Entries are written in a fixed order with a fixed timestamp, so the same
//! files always give the same bytes.

use super::ReportFile;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// An image of a chart, for `figures/`.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File name inside `figures/` (`cost_by_operation.png`).
    pub name: String,
    pub png: Vec<u8>,
}

/// Zips `files` and `figures` (under `figures/`).
pub fn zip(files: &[ReportFile], figures: &[Figure]) -> Result<Vec<u8>, String> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let text = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    // PNGs are compressed already.
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let err = |e: &dyn std::fmt::Display| format!("could not write the bundle: {e}");
    for f in files {
        w.start_file(f.path, text).map_err(|e| err(&e))?;
        w.write_all(f.content.as_bytes()).map_err(|e| err(&e))?;
    }
    for fig in figures {
        w.start_file(format!("figures/{}", safe_name(&fig.name)), stored).map_err(|e| err(&e))?;
        w.write_all(&fig.png).map_err(|e| err(&e))?;
    }
    Ok(w.finish().map_err(|e| err(&e))?.into_inner())
}

/// A file name made of `[A-Za-z0-9._-]` only, so no entry escapes `figures/`.
fn safe_name(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    s.trim_start_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn files() -> Vec<ReportFile> {
        vec![
            ReportFile { path: "recommendations.md", content: "# Report\n\nsome text ".repeat(50) },
            ReportFile { path: "data/metrics_by_span.csv", content: "operation,calls\na,1\n".into() },
        ]
    }

    #[test]
    fn round_trips_files_and_figures() {
        let figs = vec![Figure { name: "../../evil name.png".into(), png: vec![0x89, b'P', b'N', b'G', 1, 2, 3] }];
        let bytes = zip(&files(), &figs).unwrap();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..z.len()).map(|i| z.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names, ["recommendations.md", "data/metrics_by_span.csv", "figures/_.._evil_name.png"]);
        let mut md = String::new();
        z.by_name("recommendations.md").unwrap().read_to_string(&mut md).unwrap();
        assert_eq!(md, files()[0].content);
        let mut png = Vec::new();
        z.by_name("figures/_.._evil_name.png").unwrap().read_to_end(&mut png).unwrap();
        assert_eq!(png, figs[0].png);
    }

    #[test]
    fn same_files_same_bytes() {
        assert_eq!(zip(&files(), &[]).unwrap(), zip(&files(), &[]).unwrap());
    }
}
