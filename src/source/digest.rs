//! What the query plan reads of a prompt or an output: its length, hashes of
//! the whole and of its first [`PREFIX_GROUP_CHARS`] characters, short
//! excerpts and, for long prompts only, the prefix that prompt caching could
//! reuse. Computed once per generation, so the in-memory source never keeps
//! whole payloads.
//!
//! Lengths and cuts count Unicode scalar values, like HogQL's `lengthUTF8`
//! and `substringUTF8`; hashes are ClickHouse's `cityHash64` (CityHash
//! v1.0.2), the only hash in PostHog's HogQL function list, so PostHog
//! computes the same values server-side.

use crate::contract::{EXCERPT_CHARS, PREFIX_GROUP_CHARS, SHARED_PREFIX_MAX_CHARS};
use std::sync::Arc;

/// A payload reduced to what the analysis reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDigest {
    pub chars: u64,
    /// `cityHash64` of the whole text.
    pub hash: u64,
    /// `cityHash64` of the first [`PREFIX_GROUP_CHARS`] characters (the whole text when shorter).
    pub prefix_hash: u64,
    /// Characters [`PREFIX_GROUP_CHARS`] to [`SHARED_PREFIX_MAX_CHARS`] of a
    /// prompt at least [`PREFIX_GROUP_CHARS`] long, for measuring the prefix
    /// it shares with the prompts of its group ([`shared_chars`]). The first
    /// [`PREFIX_GROUP_CHARS`] are not kept: the group's prompts share them
    /// (they hash alike). `None` for outputs and for shorter prompts: those
    /// group only with identical texts, which share their whole length.
    pub prefix_rest: Option<Arc<str>>,
    /// First and last [`EXCERPT_CHARS`] characters.
    pub head: String,
    pub tail: String,
}

impl TextDigest {
    /// Digests an output (or any text whose prefix is not compared).
    pub fn of(text: &str) -> TextDigest {
        digest(text, false)
    }

    /// Digests a prompt, keeping the rest of its capped prefix when it is long enough to group.
    pub fn of_prompt(text: &str) -> TextDigest {
        digest(text, true)
    }
}

fn digest(text: &str, keep_prefix: bool) -> TextDigest {
    let bytes = text.as_bytes();
    // Byte offsets of the character cuts, found in one pass.
    let (mut head_end, mut group_end, mut cap_end) = (bytes.len(), bytes.len(), bytes.len());
    let mut chars = 0u64;
    for (i, _) in text.char_indices() {
        match chars {
            EXCERPT_CHARS => head_end = i,
            PREFIX_GROUP_CHARS => group_end = i,
            SHARED_PREFIX_MAX_CHARS => cap_end = i,
            _ => {}
        }
        chars += 1;
    }
    let skip = chars.saturating_sub(EXCERPT_CHARS) as usize;
    let tail_start = text.char_indices().nth(skip).map_or(bytes.len(), |(i, _)| i);
    TextDigest {
        chars,
        hash: city_hash(bytes),
        prefix_hash: city_hash(&bytes[..group_end]),
        prefix_rest: (keep_prefix && chars >= PREFIX_GROUP_CHARS).then(|| Arc::from(&text[group_end..cap_end])),
        head: text[..head_end].to_string(),
        tail: text[tail_start..].to_string(),
    }
}

/// Characters at the start of `a` and `b` that are the same: their longest
/// common prefix in Unicode scalar values. A character whose first bytes
/// agree but whose last do not is not shared. This is what the prefixes
/// query computes in HogQL from the group's smallest and largest prompt.
pub fn shared_chars(a: &str, b: &str) -> u64 {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count() as u64
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

    /// The digest of everything written, as [`TextDigest::of`].
    pub fn finish(self) -> TextDigest {
        TextDigest::of(&String::from_utf8_lossy(&self.bytes))
    }

    /// The digest of everything written, as [`TextDigest::of_prompt`].
    pub fn finish_prompt(self) -> TextDigest {
        TextDigest::of_prompt(&String::from_utf8_lossy(&self.bytes))
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
    fn prefix_hash_is_the_hash_of_the_first_cut() {
        let common = "s".repeat(5000);
        let a = TextDigest::of_prompt(&(common.clone() + "user A"));
        let b = TextDigest::of_prompt(&(common + "user B"));
        assert_eq!(a.prefix_hash, b.prefix_hash, "4096 shared");
        assert_ne!(a.hash, b.hash);
        let text = "ab".repeat(5000);
        assert_eq!(TextDigest::of(&text).prefix_hash, city_hash(prefix(&text, 4096).as_bytes()));
        assert_eq!(TextDigest::of("short").prefix_hash, TextDigest::of("short").hash, "a cut past the end hashes the whole text");
        assert_eq!(TextDigest::of("short").head, "short");
        assert_eq!(TextDigest::of("short").tail, "short");
    }

    #[test]
    fn only_long_prompts_keep_the_rest_of_their_capped_prefix() {
        let long = "é".repeat(SHARED_PREFIX_MAX_CHARS as usize + 10);
        let d = TextDigest::of_prompt(&long);
        assert_eq!(d.prefix_rest.as_deref().map(|p| p.chars().count() as u64), Some(SHARED_PREFIX_MAX_CHARS - PREFIX_GROUP_CHARS));
        assert_eq!(TextDigest::of(&long).prefix_rest, None, "outputs keep no prefix");
        let just_long = "x".repeat(PREFIX_GROUP_CHARS as usize) + "yz";
        assert_eq!(TextDigest::of_prompt(&just_long).prefix_rest.as_deref(), Some("yz"));
        assert_eq!(TextDigest::of_prompt(&just_long[3..]).prefix_rest, None);
    }

    #[test]
    fn shared_chars_count_whole_characters() {
        assert_eq!(shared_chars("abc", "abd"), 2);
        assert_eq!(shared_chars("abc", "abc"), 3);
        assert_eq!(shared_chars("ab", "abc"), 2);
        assert_eq!(shared_chars("", "abc"), 0);
        // é is C3 A9 and è is C3 A8: the first byte agrees, the character does not.
        assert_eq!(shared_chars("aaé", "aaè"), 2);
        // € is E2 82 AC and ₭ is E2 82 AD: two bytes agree.
        assert_eq!(shared_chars("x€😀", "x₭😀"), 1);
        assert_eq!(shared_chars("😀😀a", "😀😀b"), 2);
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
