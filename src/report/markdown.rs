//! Markdown in and out, safely. Trace content and names come from the
//! users of the user's product, so every value written into a report goes
//! through [`escape`], and every report shown in the page goes through
//! [`to_html`], which turns raw HTML into text and disarms script links.

use crate::format::visible;

/// Escapes text for a Markdown paragraph or table cell, so it renders as
/// exactly itself: characters that would hide or reorder text (bidi
/// controls, zero-width characters, line and paragraph separators, NUL and
/// other controls) are shown by code point (`<U+202E>`, [`visible`]), angle
/// brackets and ampersands become entities, line
/// breaks become spaces (a table row is one line), leading whitespace goes
/// (it would start a code block), and markup characters are backslash-escaped
/// where they could mean something: emphasis, code, links, tables and
/// strikethrough anywhere; `_` unless inside a word (`draft_answer` stays
/// readable); list, heading and rule markers at the start.
pub fn escape(text: &str) -> String {
    let chars: Vec<char> = visible(text).trim_start().chars().collect();
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        let special = match c {
            '\\' | '`' | '*' | '[' | ']' | '(' | ')' | '|' | '~' => true,
            '_' => !(word(i.checked_sub(1)) && word(Some(i + 1))),
            '-' | '+' | '=' | '#' => i == 0,
            '.' => i == digits && (1..=9).contains(&digits),
            _ => false,
        };
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => {
                if special {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// `text` as a fenced code block tagged `info`: the fence is one backtick
/// longer than the longest run of backticks in `text` (at least three), so
/// nothing inside can close it, and the text is kept exactly (one final line
/// break is the block's own).
pub fn fenced(info: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body = text.strip_suffix('\n').unwrap_or(text);
    format!("{fence}{info}\n{body}\n{fence}\n")
}

/// A Markdown table from a header and rows of already escaped cells.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|{}\n", header.join(" | "), header.iter().map(|h| if is_numeric_header(h) { "---:|" } else { "---|" }).collect::<String>());
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

/// `text` (already escaped) as a link to `url`, or as plain text without one.
pub fn link(text: &str, url: Option<String>) -> String {
    match url {
        Some(u) => format!("[{text}]({u})"),
        None => text.to_string(),
    }
}

fn is_numeric_header(h: &str) -> bool {
    !matches!(h, "Operation" | "Model" | "Provider" | "Trace" | "Issue" | "Tag" | "Recommendation" | "Stage" | "Metric" | "File" | "Period" | "Message" | "Status" | "Kind" | "Causes" | "Tags" | "Stratum" | "Input excerpt" | "Output excerpt" | "By operation" | "Frequency" | "Operations" | "Example traces" | "Contents" | "Table entry" | "PostHog's cost" | "Effort" | "Phase" | "Property" | "What it could change" | "Pattern" | "Recorded minus true" | "Where" | "Evaluation" | "User" | "Value")
        && !matches!(h, "What" | "Began" | "Driver")
}

/// Renders Markdown to HTML for the page (the report's own subset, see
/// [`super::html`]). Raw HTML (block or inline) is shown as text, and links
/// or images whose URL is not http(s), mailto or relative are neutralised.
pub fn to_html(md: &str) -> String {
    super::html::render(md, safe_url)
}

/// `url`, or `#` when its scheme is not http(s) or mailto.
pub(super) fn safe_url(url: &str) -> &str {
    let lower: String = url.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s).filter(|s| !s.contains('/') && !s.contains('?') && !s.contains('#'));
    match scheme {
        None | Some("http" | "https" | "mailto") => url,
        Some(_) => "#",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_becomes_text() {
        let html = to_html("hi <b>x</b>\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
    }

    #[test]
    fn script_urls_are_disarmed() {
        for url in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "javascript&#58;alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x"] {
            let html = to_html(&format!("[x]({url}) ![i]({url})"));
            assert!(html.contains("href=\"#\"") && html.contains("src=\"#\""), "{url}: {html}");
        }
        assert!(to_html("[ok](https://us.posthog.com/x)").contains("href=\"https://us.posthog.com/x\""));
        assert!(to_html("[rel](data/metrics_by_span.csv)").contains("href=\"data/metrics_by_span.csv\""));
    }

    #[test]
    fn escaped_text_renders_as_the_same_text() {
        let hostile = "<script>alert('x')</script> | *bold* [l](javascript:1) `code` # h\nnext & $5 ~~s~~";
        let html = to_html(&escape(hostile));
        assert!(!html.contains("<script") && !html.contains("<a ") && !html.contains("<em>") && !html.contains("<code>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"), "{html}");
    }

    #[cfg(not(target_arch = "wasm32"))]
    /// What a paragraph of `text` shows: whitespace as HTML collapses it at
    /// the ends, and the HTML escapes of `&`, `<` and `>`.
    fn shown(text: &str) -> String {
        let flat: String = visible(text).chars().map(|c| if c.is_whitespace() && c.is_ascii() { ' ' } else { c }).collect();
        flat.trim().replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn any_text_renders_as_itself(chars in proptest::collection::vec(proptest::sample::select(
            "ab1 9_*-+#.)([]!`~|<>&\"\\{}$=:/\n\r\té\0\u{7}\u{85}\u{2028}\u{2029}\u{202E}\u{2066}\u{200B}\u{200D}\u{FEFF}".chars().collect::<Vec<_>>()), 0..40)) {
            let text: String = chars.into_iter().collect();
            let expected = shown(&text);
            let html = to_html(&escape(&text));
            let paragraph = if expected.is_empty() { String::new() } else { format!("<p>{expected}</p>\n") };
            proptest::prop_assert_eq!(&html, &paragraph, "text {:?}", text);
            let cell = to_html(&table(&["Trace"], &[vec![escape(&text)]]));
            proptest::prop_assert!(cell.contains(&format!("<td>{expected}</td>")), "text {:?}: {}", text, cell);
        }
    }

    #[test]
    fn hidden_characters_are_shown_not_passed_through() {
        let md = escape("evil\u{202E}gpj.exe\u{2028}x\u{200B}y\0z");
        assert_eq!(md, "evil&lt;U+202E&gt;gpj.exe&lt;U+2028&gt;x&lt;U+200B&gt;y&lt;U+0000&gt;z");
        assert!(to_html(&md).contains("evil&lt;U+202E&gt;gpj.exe"), "{}", to_html(&md));
    }

    #[test]
    fn names_stay_readable() {
        assert_eq!(escape("draft_answer"), "draft_answer");
        assert_eq!(escape("665333cc-f4df-4766"), "665333cc-f4df-4766");
        assert_eq!(escape("_x_ *y* - 1. #"), "\\_x\\_ \\*y\\* - 1. #");
        assert_eq!(escape("- item"), "\\- item");
        assert_eq!(escape("12. step"), "12\\. step");
    }

    #[test]
    fn escaped_pipes_stay_in_their_cell() {
        let md = table(&["Operation", "Calls"], &[vec![escape("a|b"), "3".into()]]);
        let html = to_html(&md);
        assert_eq!(html.matches("<td").count(), 2, "{html}");
        assert!(html.contains("a|b"), "{html}");
    }

    #[test]
    fn code_blocks_cannot_be_closed_early() {
        for text in ["x\n```\n<script>alert(1)</script>", "````\n<b>x</b>\n``````", "`", "a ``` b\n```js"] {
            let html = to_html(&fenced("text", text));
            assert_eq!(html.matches("<pre>").count(), 1, "{html}");
            assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
            let inner = html.split_once("<code class=\"language-text\">").unwrap().1.strip_suffix("</code></pre>\n").unwrap();
            assert_eq!(inner, format!("{}\n", text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")), "the text is kept exactly");
        }
    }
}
