//! The results bundle: every report file and the chart images in one zip.
//! Entries are written in a fixed order with a fixed timestamp, so the same
//! files always give the same bytes. The zip is written here; the
//! compression of its text entries (raw deflate) is the caller's, so the
//! page uses the browser's own compressor and compiles none.

use super::ReportFile;

/// An image of a chart, for `figures/`.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File name inside `figures/` (`cost_by_operation.png`).
    pub name: String,
    pub png: Vec<u8>,
}

/// One file of the bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Its path inside the zip.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Whether compressing it is worth the time (text is; PNGs are compressed already).
    pub compress: bool,
    /// `bytes` compressed by raw deflate (RFC 1951), when the caller did;
    /// stored as they are otherwise, or when that is no smaller.
    pub deflated: Option<Vec<u8>>,
}

/// The entries of a bundle of `files` and `figures` (under `figures/`), in
/// their order, none compressed yet.
pub fn entries(files: &[ReportFile], figures: &[Figure]) -> Vec<Entry> {
    let file = |path: String, bytes: Vec<u8>, compress| Entry { path, bytes, compress, deflated: None };
    files.iter().map(|f| file(f.path.to_string(), f.content.clone().into_bytes(), true)).chain(figures.iter().map(|fig| file(format!("figures/{}", safe_name(&fig.name)), fig.png.clone(), false))).collect()
}

/// The zip of `entries`: a local header and the data of each, then the
/// central directory (no zip64: a bundle is far below its 4 GiB limits).
pub fn zip(entries: &[Entry]) -> Result<Vec<u8>, String> {
    let too_large = || "could not write the bundle: it is larger than a zip file without zip64 holds".to_string();
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for e in entries {
        let (method, data): (u16, &[u8]) = match &e.deflated {
            Some(d) if d.len() < e.bytes.len() => (8, d),
            _ => (0, &e.bytes),
        };
        let offset = u32::try_from(out.len()).map_err(|_| too_large())?;
        let sizes = [u32::try_from(data.len()), u32::try_from(e.bytes.len())];
        let [Ok(packed), Ok(size)] = sizes else { return Err(too_large()) };
        let name = e.path.as_bytes();
        let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
        // Version needed, flags, method, DOS time and date (1980-01-01 00:00), CRC-32, sizes, name length, extra length.
        let mut common = Vec::with_capacity(26);
        for part in [&(if method == 8 { 20u16 } else { 10 }).to_le_bytes()[..], &0u16.to_le_bytes(), &method.to_le_bytes(), &0u16.to_le_bytes(), &0x21u16.to_le_bytes(), &crc32(&e.bytes).to_le_bytes(), &packed.to_le_bytes(), &size.to_le_bytes(), &name_len.to_le_bytes(), &0u16.to_le_bytes()] {
            common.extend_from_slice(part);
        }
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name);
        out.extend_from_slice(data);
        // Made by Unix (zip 2.0); comment length, disk, internal attributes; a regular file, rw-r--r--; where its header starts.
        directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        directory.extend_from_slice(&0x0314u16.to_le_bytes());
        directory.extend_from_slice(&common);
        directory.extend_from_slice(&[0; 6]);
        directory.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name);
    }
    let count = u16::try_from(entries.len()).map_err(|_| too_large())?;
    let (start, length) = (u32::try_from(out.len()).map_err(|_| too_large())?, u32::try_from(directory.len()).map_err(|_| too_large())?);
    out.extend_from_slice(&directory);
    // End of the central directory: disk numbers, entry counts, its length and start, comment length.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for part in [&[0u8; 4][..], &count.to_le_bytes(), &count.to_le_bytes(), &length.to_le_bytes(), &start.to_le_bytes(), &0u16.to_le_bytes()] {
        out.extend_from_slice(part);
    }
    Ok(out)
}

/// The CRC-32 (IEEE, as zip and gzip use it) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut bit = 0;
            while bit < 8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                bit += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !bytes.iter().fold(!0u32, |c, &b| TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}

/// A file name made of `[A-Za-z0-9._-]` only, so no entry escapes `figures/`.
fn safe_name(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    s.trim_start_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read, Write};

    fn files() -> Vec<ReportFile> {
        vec![
            ReportFile { path: "recommendations.md", content: "# Report\n\nsome text ".repeat(50) },
            ReportFile { path: "data/metrics_by_span.csv", content: "operation,calls\na,1\n".into() },
        ]
    }

    /// The entries with their text deflated, as the page's compressor does it.
    fn deflated(mut entries: Vec<Entry>) -> Vec<Entry> {
        for e in entries.iter_mut().filter(|e| e.compress) {
            let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            d.write_all(&e.bytes).unwrap();
            e.deflated = Some(d.finish().unwrap());
        }
        entries
    }

    #[test]
    fn crc32_is_the_standard_one() {
        // The check value of CRC-32/ISO-HDLC, and a gzip member's trailer.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"some text, gzipped").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(crc32(b"some text, gzipped").to_le_bytes(), gz[gz.len() - 8..gz.len() - 4]);
    }

    #[test]
    fn round_trips_files_and_figures() {
        let figs = vec![Figure { name: "../../evil name.png".into(), png: vec![0x89, b'P', b'N', b'G', 1, 2, 3] }];
        let bytes = zip(&deflated(entries(&files(), &figs))).unwrap();
        let mut z = ::zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..z.len()).map(|i| z.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names, ["recommendations.md", "data/metrics_by_span.csv", "figures/_.._evil_name.png"]);
        let mut md = String::new();
        let mut entry = z.by_name("recommendations.md").unwrap();
        assert_eq!(entry.compression(), ::zip::CompressionMethod::Deflated, "repeated text is deflated");
        entry.read_to_string(&mut md).unwrap();
        drop(entry);
        assert_eq!(md, files()[0].content);
        let mut png = Vec::new();
        let mut entry = z.by_name("figures/_.._evil_name.png").unwrap();
        assert_eq!(entry.compression(), ::zip::CompressionMethod::Stored);
        entry.read_to_end(&mut png).unwrap();
        assert_eq!(png, figs[0].png);
    }

    #[test]
    fn stores_what_deflate_does_not_shrink_or_was_not_compressed() {
        let mut es = entries(&files(), &[]);
        es[0].deflated = Some(vec![0; es[0].bytes.len()]);
        let mut z = ::zip::ZipArchive::new(Cursor::new(zip(&es).unwrap())).unwrap();
        for i in 0..z.len() {
            let mut entry = z.by_index(i).unwrap();
            assert_eq!(entry.compression(), ::zip::CompressionMethod::Stored, "entry {i}");
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            assert_eq!(text, files()[i].content);
        }
    }

    #[test]
    fn same_files_same_bytes() {
        assert_eq!(zip(&deflated(entries(&files(), &[]))).unwrap(), zip(&deflated(entries(&files(), &[]))).unwrap());
    }
}
