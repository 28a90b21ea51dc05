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
    /// Digests `text`.
    pub fn of(text: &str) -> TextDigest {
        let mut w = DigestWriter::new();
        w.push(text.as_bytes());
        w.finish()
    }
}

/// Digests text as it is written (for instance by `serde_json::to_writer`),
/// so a payload is digested without ever being held whole. Input must be
/// UTF-8 once complete; it may be split anywhere.
#[derive(Clone, Debug)]
pub struct DigestWriter {
    hash: u64,
    chars: u64,
    prefix_hashes: [u64; PREFIX_CUTS.len()],
    reached: usize,
    head: Vec<u8>,
    head_done: bool,
    /// The last bytes written: at least enough for [`EXCERPT_CHARS`] characters.
    tail: Vec<u8>,
}

/// Bytes kept for the tail: four per character at most.
const TAIL_BYTES: usize = 4 * EXCERPT_CHARS as usize;

impl DigestWriter {
    /// An empty digest.
    pub fn new() -> Self {
        DigestWriter {
            hash: FNV_OFFSET,
            chars: 0,
            prefix_hashes: [0; PREFIX_CUTS.len()],
            reached: 0,
            head: Vec::new(),
            head_done: false,
            tail: Vec::new(),
        }
    }

    /// Adds bytes. FNV is a running hash, so each prefix hash is the
    /// running state at its cut.
    pub fn push(&mut self, bytes: &[u8]) {
        // The next character count at which something is recorded.
        let next_mark = |w: &Self| {
            let cut = PREFIX_CUTS.get(w.reached).copied().unwrap_or(u64::MAX);
            if w.head_done { cut } else { cut.min(EXCERPT_CHARS) }
        };
        let mut mark = next_mark(self);
        let mut head_end = if self.head_done { 0 } else { bytes.len() };
        for (i, &b) in bytes.iter().enumerate() {
            if b & 0xC0 != 0x80 {
                // A character starts here: `chars` characters lie before it.
                if self.chars == mark {
                    if !self.head_done && self.chars == EXCERPT_CHARS {
                        self.head_done = true;
                        head_end = i;
                    }
                    while self.reached < PREFIX_CUTS.len() && self.chars == PREFIX_CUTS[self.reached] {
                        self.prefix_hashes[self.reached] = self.hash;
                        self.reached += 1;
                    }
                    mark = next_mark(self);
                }
                self.chars += 1;
            }
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.head.extend_from_slice(&bytes[..head_end]);
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * TAIL_BYTES {
            self.tail.drain(..self.tail.len() - TAIL_BYTES);
        }
    }

    /// The digest of everything written.
    pub fn finish(mut self) -> TextDigest {
        let hash = self.hash;
        for h in &mut self.prefix_hashes[self.reached..] {
            *h = hash;
        }
        // The window may start inside a character: skip to the next one.
        let keep = self.tail.len().saturating_sub(TAIL_BYTES);
        let start = self.tail[keep..].iter().position(|b| b & 0xC0 != 0x80).map_or(self.tail.len(), |p| keep + p);
        let tail = String::from_utf8_lossy(&self.tail[start..]);
        let skip = tail.chars().count().saturating_sub(EXCERPT_CHARS as usize);
        TextDigest {
            chars: self.chars,
            hash,
            prefix_hashes: self.prefix_hashes,
            head: String::from_utf8_lossy(&self.head).into_owned(),
            tail: tail.chars().skip(skip).collect(),
        }
    }
}

impl Default for DigestWriter {
    fn default() -> Self {
        Self::new()
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

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// FNV-1a, 64 bits: small, stable across platforms and Rust versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
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
    fn writing_in_pieces_gives_the_same_digest() {
        let text = "aé€😀".repeat(700);
        let mut w = DigestWriter::new();
        for chunk in text.as_bytes().chunks(7) {
            w.push(chunk);
        }
        assert_eq!(w.finish(), TextDigest::of(&text));
    }

    #[test]
    fn fnv_known_vector() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }
}
