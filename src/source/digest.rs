//! What the query plan reads of a prompt or an output: its length, hashes of
//! the whole and of fixed-length prefixes, and short excerpts. Computed once
//! per generation, so the in-memory source never keeps whole payloads.
//!
//! Lengths and cuts count Unicode scalar values, like HogQL's `lengthUTF8`
//! and `substringUTF8`; hashes are ClickHouse's `cityHash64` (CityHash
//! v1.0.2), the only hash in PostHog's HogQL function list, so PostHog
//! computes the same values server-side.

use crate::contract::{EXCERPT_CHARS, PREFIX_CUTS};

/// A payload reduced to what the analysis reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDigest {
    pub chars: u64,
    /// `cityHash64` of the whole text.
    pub hash: u64,
    /// `cityHash64` of the first `PREFIX_CUTS[i]` characters (the whole text when shorter).
    pub prefix_hashes: [u64; PREFIX_CUTS.len()],
    /// First and last [`EXCERPT_CHARS`] characters.
    pub head: String,
    pub tail: String,
}

impl TextDigest {
    /// Digests `text`.
    pub fn of(text: &str) -> TextDigest {
        let bytes = text.as_bytes();
        // Byte offsets of the character cuts, found in one pass.
        let mut cut_ends = [bytes.len(); PREFIX_CUTS.len()];
        let mut head_end = bytes.len();
        let mut chars = 0u64;
        for (i, _) in text.char_indices() {
            if chars == EXCERPT_CHARS {
                head_end = i;
            }
            for (c, cut) in PREFIX_CUTS.iter().enumerate() {
                if chars == *cut {
                    cut_ends[c] = i;
                }
            }
            chars += 1;
        }
        let skip = chars.saturating_sub(EXCERPT_CHARS) as usize;
        let tail_start = text.char_indices().nth(skip).map_or(bytes.len(), |(i, _)| i);
        TextDigest {
            chars,
            hash: city_hash(bytes),
            prefix_hashes: cut_ends.map(|end| city_hash(&bytes[..end])),
            head: text[..head_end].to_string(),
            tail: text[tail_start..].to_string(),
        }
    }
}

/// Collects text as it is written (for instance by `serde_json::to_writer`),
/// so a payload is digested without building a `String` or a JSON value of
/// it first. Input must be UTF-8 once complete; it may be split anywhere.
#[derive(Clone, Debug, Default)]
pub struct DigestWriter {
    bytes: Vec<u8>,
}

impl DigestWriter {
    /// An empty digest.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// The digest of everything written.
    pub fn finish(self) -> TextDigest {
        TextDigest::of(&String::from_utf8_lossy(&self.bytes))
    }
}

impl std::io::Write for DigestWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The first `n` characters of `s`.
pub fn prefix(s: &str, n: u64) -> &str {
    match s.char_indices().nth(n as usize) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// ClickHouse's `cityHash64` of a string's bytes.
pub fn city_hash(bytes: &[u8]) -> u64 {
    cityhash_102_rs::city_hash_64(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_on_characters() {
        let text = "é".repeat(500) + "end";
        let d = TextDigest::of(&text);
        assert_eq!(d.chars, 503);
        assert_eq!(d.head.chars().count(), 400);
        assert!(d.tail.ends_with("end") && d.tail.chars().count() == 400);
    }

    #[test]
    fn prefix_hashes_agree_exactly_up_to_the_cut() {
        let common = "s".repeat(5000);
        let a = TextDigest::of(&(common.clone() + "user A"));
        let b = TextDigest::of(&(common + "user B"));
        assert_eq!(a.prefix_hashes[0], b.prefix_hashes[0], "4096 shared");
        assert_ne!(a.prefix_hashes[1], b.prefix_hashes[1], "6144 differs");
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn prefix_hashes_equal_hashes_of_prefixes() {
        let text = "ab".repeat(5000);
        let d = TextDigest::of(&text);
        assert_eq!(d.prefix_hashes[0], city_hash(prefix(&text, 4096).as_bytes()));
        assert_eq!(d.prefix_hashes[1], city_hash(prefix(&text, 6144).as_bytes()));
        assert_eq!(d.prefix_hashes[5], d.hash, "a cut past the end hashes the whole text");
        assert_eq!(TextDigest::of("short").head, "short");
        assert_eq!(TextDigest::of("short").tail, "short");
    }

    #[test]
    fn writing_in_pieces_gives_the_same_digest() {
        let text = "aé€😀".repeat(700);
        let mut w = DigestWriter::new();
        for chunk in text.as_bytes().chunks(7) {
            w.push(chunk);
        }
        assert_eq!(w.finish(), TextDigest::of(&text));
    }

    #[test]
    fn hash_is_clickhouse_city_hash() {
        // ClickHouse: SELECT cityHash64('t1'), cityHash64('')
        assert_eq!(city_hash(b"t1"), 6_139_083_973_535_984_835);
        assert_eq!(city_hash(b""), 11_160_318_154_034_397_263);
        // SELECT cityHash64(repeat('ab€', n)): every length branch of CityHash.
        for (n, want) in [(17, 2347037017821064911), (33, 5436559109957263116), (64, 12376624116366554378), (65, 4682309813210436775), (200, 7526946939743373853), (5000, 15655320200065068615u64)] {
            assert_eq!(city_hash("ab€".repeat(n).as_bytes()), want, "{n}");
        }
    }
}
