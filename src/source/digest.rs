//! What the query plan reads of a prompt or an output: its length, hashes of
//! the whole and of fixed-length prefixes, and short excerpts. Computed once
//! per generation, so the in-memory source never keeps whole payloads.
//!
//! Lengths and cuts count Unicode scalar values, like HogQL's `lengthUTF8`
//! and `substringUTF8`.

use crate::analysis::dataset::{EXCERPT_CHARS, PREFIX_CUTS};

/// A payload reduced to what the analysis reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDigest {
    pub chars: u64,
    /// Hash of the whole text.
    pub hash: u64,
    /// Hash of the first `PREFIX_CUTS[i]` characters (the whole text when shorter).
    pub prefix_hashes: [u64; PREFIX_CUTS.len()],
    /// First and last [`EXCERPT_CHARS`] characters.
    pub head: String,
    pub tail: String,
}

impl TextDigest {
    /// Digests `text` in one pass (FNV is a running hash, so each prefix
    /// hash is the running state at its cut).
    pub fn of(text: &str) -> TextDigest {
        let mut hash = FNV_OFFSET;
        let mut prefix_hashes = [None; PREFIX_CUTS.len()];
        let mut chars = 0u64;
        let mut head_end = text.len();
        for (i, c) in text.char_indices() {
            if chars == EXCERPT_CHARS {
                head_end = i;
            }
            for (h, cut) in prefix_hashes.iter_mut().zip(PREFIX_CUTS) {
                if chars == cut {
                    *h = Some(hash);
                }
            }
            let mut buf = [0; 4];
            hash = fnv1a_extend(hash, c.encode_utf8(&mut buf).as_bytes());
            chars += 1;
        }
        let tail_start = match chars.checked_sub(EXCERPT_CHARS) {
            Some(skip) if skip > 0 => text.char_indices().rev().nth(EXCERPT_CHARS as usize - 1).map_or(0, |(i, _)| i),
            _ => 0,
        };
        TextDigest {
            chars,
            hash,
            prefix_hashes: prefix_hashes.map(|h| h.unwrap_or(hash)),
            head: text[..head_end].to_string(),
            tail: text[tail_start..].to_string(),
        }
    }
}

/// The first `n` characters of `s`.
pub fn prefix(s: &str, n: u64) -> &str {
    match s.char_indices().nth(n as usize) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: small, stable across platforms and Rust versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash over more bytes.
fn fnv1a_extend(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
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
        assert_eq!(d.prefix_hashes[0], fnv1a(prefix(&text, 4096).as_bytes()));
        assert_eq!(d.prefix_hashes[1], fnv1a(prefix(&text, 6144).as_bytes()));
        assert_eq!(d.prefix_hashes[5], d.hash, "a cut past the end hashes the whole text");
        assert_eq!(TextDigest::of("short").head, "short");
        assert_eq!(TextDigest::of("short").tail, "short");
    }

    #[test]
    fn fnv_known_vector() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }
}
