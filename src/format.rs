//! Number and text formatting shared by the report files, the page and the
//! recommendations' prose (money, shares, counts, bytes, seconds), and how
//! characters that would hide or reorder text are shown ([`visible`]).

use std::borrow::Cow;

/// US dollars: cents above one dollar with thousands separators
/// (`$1,234.56`), four decimals below (`$0.0042`).
pub fn usd(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 1.0 || a == 0.0 {
        format!("{sign}${}", thousands(a, 2))
    } else {
        format!("{sign}${a:.4}")
    }
}

/// A share as a percentage with one decimal (`12.3%`).
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A relative change with its sign (`+12.3%`, `-4.0%`).
pub fn change(delta: f64) -> String {
    format!("{}{:.1}%", if delta >= 0.0 { "+" } else { "-" }, delta.abs() * 100.0)
}

/// An integer with thousands separators.
pub fn count(n: u64) -> String {
    thousands(n as f64, 0)
}

/// A byte count in B, KB or MB (powers of 1,000).
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// Seconds with two decimals (`1.25 s`).
pub fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

/// The first `max` characters of `text`, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// Whether `c` would hide or reorder text where it is shown, rather than
/// show itself: control characters other than tab, line feed and carriage return, the line
/// and paragraph separators (U+2028, U+2029, which end a JavaScript line),
/// bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E,
/// U+2066 to U+2069), zero-width and invisible format characters (U+00AD,
/// U+034F, U+180E, U+200B to U+200D, U+2060 to U+2064, U+206A to U+206F,
/// U+FEFF, U+FFF9 to U+FFFB), blank Hangul fillers (U+115F, U+1160,
/// U+3164, U+FFA0) and Unicode tags (U+E0000 to U+E007F, invisible ASCII).
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// `text` with every [`is_hidden`] character shown as its code point
/// (`<U+202E>`), so names, ids and excerpts from the events read as what
/// they hold: nothing invisible, nothing reversed, no line broken by a
/// separator. Borrowed when there is nothing to show.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usd(1234567.891), "$1,234,567.89");
        assert_eq!((bytes(999), bytes(1_500), bytes(2_345_678)), ("999 B".into(), "1.5 KB".into(), "2.3 MB".into()));
        assert_eq!(usd(0.00421), "$0.0042");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(-12.5), "-$12.50");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(change(-0.04), "-4.0%");
        assert_eq!(change(0.5), "+50.0%");
        assert_eq!(count(20_013), "20,013");
        assert_eq!(count(999), "999");
    }

    #[test]
    fn hidden_characters_are_shown_by_code_point() {
        assert!(matches!(visible("draft_answer naïve 日本 \u{1F600}\tx\ny"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{202E}b\u{200B}c\u{2028}d\0e\u{FEFF}\u{E0041}"), "a<U+202E>b<U+200B>c<U+2028>d<U+0000>e<U+FEFF><U+E0041>");
        for c in ['\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202D}', '\u{2066}', '\u{2069}', '\u{200C}', '\u{200D}', '\u{2029}', '\u{85}', '\u{1B}'] {
            assert!(is_hidden(c) && !visible(&c.to_string()).contains(c), "{:04X}", c as u32);
        }
    }
}
