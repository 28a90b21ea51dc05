//! The one place text is written into HogQL: string literals of the
//! program's own (the names grouped as "other"), and lists of them for
//! tests of PostHog's parser. Every value from data goes through
//! `{placeholders}`.
//!
//! The rules are PostHog's own (`escape_hogql_string`): the string is
//! single-quoted, backslash and quote are escaped, and so are the control
//! characters the HogQL lexer reads as escapes, but NUL: PostHog's parser
//! drops a `\0` escape, and keeps a raw NUL. Everything else, braces and
//! Unicode included, is literal inside quotes. Tested against PostHog's
//! parser through the emulator (`tests/equivalence.rs`).

/// `s` as a HogQL string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{7}' => out.push_str("\\a"),
            '\u{b}' => out.push_str("\\v"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `values` as the inside of a HogQL `IN (...)` list.
pub fn string_list(values: &[String]) -> String {
    values.iter().map(|v| string(v)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_cannot_close_the_literal() {
        assert_eq!(string("it's"), r"'it\'s'");
        assert_eq!(string(r"a\'; DROP"), r"'a\\\'; DROP'");
        assert_eq!(string("a\nb\t\0"), "'a\\nb\\t\0'");
        assert_eq!(string("{x} é 😀"), "'{x} é 😀'");
    }

    #[test]
    fn every_quote_inside_is_escaped() {
        // Between the outer quotes, a quote only ever follows an odd run of backslashes.
        for s in ["'", "\\'", "\\\\'", "''", "'\\", "x'\\'y"] {
            let lit = string(s);
            let inner = &lit[1..lit.len() - 1];
            let bytes = inner.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                if *b == b'\'' {
                    let run = bytes[..i].iter().rev().take_while(|c| **c == b'\\').count();
                    assert!(run % 2 == 1, "{s:?} -> {lit}");
                }
            }
        }
        assert_eq!(string_list(&["a".into(), "b'".into()]), r"'a', 'b\''");
    }
}
