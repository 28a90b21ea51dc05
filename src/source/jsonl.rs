//! JSONL exports of PostHog events, read line by line from any [`BufRead`],
//! plain or gzip-compressed. A line that is not an event (invalid JSON, the
//! wrong shape, a bad or out-of-range timestamp) is skipped and counted,
//! never fatal: one bad line in a million must not cost the report.

use super::event::Event;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, BufRead};

/// Skipped lines whose number and reason are kept for the message.
pub const KEPT_SKIPS: usize = 10;

/// The earliest timestamp kept: the start of ClickHouse's `DateTime64`
/// range, so no event PostHog could store is skipped.
pub fn earliest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The end (exclusive) of the timestamps kept: the end of ClickHouse's
/// `DateTime64` range. Far from chrono's limits, so window arithmetic on a
/// kept event cannot overflow.
pub fn latest() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2300, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Why a line was skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Not JSON (or not UTF-8).
    InvalidJson,
    /// JSON, but not an object with string `uuid`, `event`, `distinct_id`,
    /// `timestamp` and an object of `properties`.
    WrongShape,
    /// A timestamp that is not an RFC 3339 date and time.
    BadTimestamp,
    /// A timestamp outside [`earliest`]..[`latest`].
    TimestampOutOfRange,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::InvalidJson => "invalid JSON",
            SkipReason::WrongShape => "not an event",
            SkipReason::BadTimestamp => "bad timestamp",
            SkipReason::TimestampOutOfRange => "timestamp out of range",
        })
    }
}

/// One skipped line: its number (from 1) and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub line: u64,
    pub reason: SkipReason,
}

/// The lines skipped: how many, and the first [`KEPT_SKIPS`] of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Skips {
    pub count: u64,
    pub first: Vec<Skipped>,
}

impl Skips {
    fn add(&mut self, line: u64, reason: SkipReason) {
        self.count += 1;
        if self.first.len() < KEPT_SKIPS {
            self.first.push(Skipped { line, reason });
        }
    }
}

impl fmt::Display for Skips {
    /// `skipped 3 bad lines: 17 (invalid JSON), 204 (timestamp out of range), ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.count == 1 { "" } else { "s" };
        write!(f, "skipped {} bad line{s}: ", self.count)?;
        let listed: Vec<String> = self.first.iter().map(|k| format!("{} ({})", k.line, k.reason)).collect();
        f.write_str(&listed.join(", "))?;
        if self.count > self.first.len() as u64 {
            f.write_str(", ...")?;
        }
        Ok(())
    }
}

/// An event line as written, before its timestamp is checked.
#[derive(Deserialize)]
struct Line {
    uuid: String,
    event: String,
    distinct_id: String,
    timestamp: String,
    properties: Map<String, Value>,
}

/// The event of one line, or why it is skipped.
pub fn parse_line(line: &[u8]) -> Result<Event, SkipReason> {
    let raw: Line = serde_json::from_slice(line).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => SkipReason::WrongShape,
        _ => SkipReason::InvalidJson,
    })?;
    let timestamp = crate::time::parse_instant(&raw.timestamp).ok_or(SkipReason::BadTimestamp)?;
    if timestamp < earliest() || timestamp >= latest() {
        return Err(SkipReason::TimestampOutOfRange);
    }
    Ok(Event { uuid: raw.uuid, event: raw.event, distinct_id: raw.distinct_id, timestamp, properties: raw.properties })
}

/// The events of a JSONL stream, in order; blank lines are passed over and
/// bad lines skipped into [`Reader::skips`]. Only a failed read is an error.
pub struct Reader<R> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    skips: Skips,
    failed: bool,
}

impl<R: BufRead> Reader<R> {
    /// Reads JSONL from `input`.
    pub fn new(input: R) -> Self {
        Reader { input, line: 0, buf: Vec::new(), skips: Skips::default(), failed: false }
    }

    /// The lines skipped so far.
    pub fn skips(&self) -> &Skips {
        &self.skips
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = io::Result<Event>;

    fn next(&mut self) -> Option<io::Result<Event>> {
        while !self.failed {
            self.buf.clear();
            match self.input.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    // A broken stream ends the reading: its error is reported once.
                    self.failed = true;
                    return Some(Err(e));
                }
            }
            self.line += 1;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_line(&self.buf) {
                Ok(event) => return Some(Ok(event)),
                Err(reason) => self.skips.add(self.line, reason),
            }
        }
        None
    }
}

/// The events of JSONL text, and the lines skipped.
pub fn parse(text: &str) -> (Vec<Event>, Skips) {
    let mut reader = Reader::new(text.as_bytes());
    // Reading from memory cannot fail.
    let events = reader.by_ref().filter_map(Result::ok).collect();
    (events, reader.skips)
}

/// `input` decompressed when it starts with gzip's magic bytes (a `.jsonl.gz`
/// file, members concatenated or not), else as it is.
pub fn decompressed<'a, R: BufRead + 'a>(mut input: R) -> io::Result<Box<dyn BufRead + 'a>> {
    let gzip = input.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip { Box::new(io::BufReader::new(flate2::bufread::MultiGzDecoder::new(input))) } else { Box::new(input) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const GOOD: &str = r#"{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"$ai_trace_id":"t1"}}"#;

    fn with_timestamp(ts: &str) -> String {
        GOOD.replace("2026-11-01T10:00:00Z", ts)
    }

    #[test]
    fn bad_lines_are_skipped_with_their_number_and_reason() {
        let text = [
            GOOD,
            "",
            "{not json",
            r#"{"uuid":1,"event":"e","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{}}"#,
            r#"[1,2]"#,
            &with_timestamp("yesterday"),
            &with_timestamp("+262142-12-31T23:59:59Z"),
            &with_timestamp("1899-12-31T23:59:59Z"),
            "   ",
            &with_timestamp("2299-12-31T23:59:59Z"),
        ]
        .join("\n");
        let (events, skips) = parse(&text);
        assert_eq!(events.len(), 2, "the first and the last line are events");
        assert_eq!(events[1].timestamp.to_rfc3339(), "2299-12-31T23:59:59+00:00");
        let got: Vec<(u64, SkipReason)> = skips.first.iter().map(|s| (s.line, s.reason)).collect();
        use SkipReason::*;
        assert_eq!(got, [(3, InvalidJson), (4, WrongShape), (5, WrongShape), (6, BadTimestamp), (7, TimestampOutOfRange), (8, TimestampOutOfRange)]);
        assert_eq!(skips.count, 6);
        assert_eq!(skips.to_string(), "skipped 6 bad lines: 3 (invalid JSON), 4 (not an event), 5 (not an event), 6 (bad timestamp), 7 (timestamp out of range), 8 (timestamp out of range)");
    }

    #[test]
    fn only_the_first_skips_are_listed_but_all_are_counted() {
        let text = vec!["junk"; KEPT_SKIPS + 5].join("\n");
        let (events, skips) = parse(&text);
        assert!(events.is_empty());
        assert_eq!((skips.count, skips.first.len()), (KEPT_SKIPS as u64 + 5, KEPT_SKIPS));
        assert!(skips.to_string().ends_with(", ..."), "{skips}");
    }

    #[test]
    fn invalid_utf8_is_invalid_json_and_crlf_lines_read() {
        let mut bytes = format!("{GOOD}\r\n").into_bytes();
        bytes.extend_from_slice(b"{\"uuid\":\"\xff\"}\n");
        let mut reader = Reader::new(&bytes[..]);
        assert_eq!(reader.by_ref().filter_map(Result::ok).count(), 1);
        assert_eq!(reader.skips().first, [Skipped { line: 2, reason: SkipReason::InvalidJson }]);
    }

    #[test]
    fn gzip_is_read_directly_and_plain_text_passes_through() {
        let text = format!("{GOOD}\nbad\n{GOOD}\n");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        let mut compressed = gz.finish().unwrap();
        // A second member, as `cat a.gz b.gz` makes.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(GOOD.as_bytes()).unwrap();
        compressed.extend(gz.finish().unwrap());
        for (input, events) in [(compressed, 3), (text.into_bytes(), 2)] {
            let mut reader = Reader::new(decompressed(&input[..]).unwrap());
            assert_eq!(reader.by_ref().map(Result::unwrap).count(), events);
            assert_eq!(reader.skips().first, [Skipped { line: 2, reason: SkipReason::InvalidJson }]);
        }
    }

    #[test]
    fn a_corrupt_gzip_stream_is_an_error_not_a_panic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(GOOD.repeat(100).as_bytes()).unwrap();
        let mut bytes = gz.finish().unwrap();
        let n = bytes.len();
        bytes[n / 2] ^= 0xff;
        bytes.truncate(n - 4);
        let results: Vec<_> = Reader::new(decompressed(&bytes[..]).unwrap()).collect();
        assert!(results.iter().any(Result::is_err), "the damage is reported");
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const GOOD: &str = r#"{"uuid":"u1","event":"$ai_generation","distinct_id":"d","timestamp":"2026-11-01T10:00:00Z","properties":{"$ai_trace_id":"t1","$ai_total_cost_usd":0.5}}"#;

    /// A line: a valid event with random bytes replaced, inserted or cut,
    /// or with a random timestamp, or random bytes.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let edit = (0..GOOD.len(), any::<u8>(), 0..3u8);
        prop_oneof![
            proptest::collection::vec(edit, 0..4).prop_map(|edits| {
                let mut b = GOOD.as_bytes().to_vec();
                for (at, byte, kind) in edits {
                    if b.is_empty() {
                        b.push(byte);
                        continue;
                    }
                    let at = at.min(b.len() - 1);
                    match kind {
                        0 => b[at] = byte,
                        1 => b.insert(at, byte),
                        _ => b.truncate(at),
                    }
                }
                b
            }),
            "[-+]?[0-9]{1,7}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})".prop_map(|ts| GOOD.replace("2026-11-01T10:00:00Z", &ts).into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..80),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn any_lines_are_read_or_skipped_never_a_panic(lines in proptest::collection::vec(line(), 0..8)) {
            let input: Vec<u8> = lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
            let mut reader = Reader::new(&input[..]);
            let events: Vec<Event> = reader.by_ref().map(|e| e.unwrap()).collect();
            // Lines as the reader splits them (a random byte may be a line break).
            let lines = input.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count() as u64;
            prop_assert_eq!(events.len() as u64 + reader.skips().count, lines);
            for e in &events {
                prop_assert!(earliest() <= e.timestamp && e.timestamp < latest());
                // A kept event's window arithmetic cannot overflow.
                let _ = crate::analysis::dataset::Window::ending_at(e.timestamp + chrono::Duration::seconds(1), 36_500);
            }
        }
    }
}
