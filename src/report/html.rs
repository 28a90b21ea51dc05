//! The report's Markdown as HTML, rendered exactly as pulldown-cmark (with
//! tables and strikethrough) renders what the report writers emit: ATX
//! headings, paragraphs, bullet and ordered lists, tables with alignment,
//! fenced code, code spans, emphasis, strong, strikethrough, links, images,
//! backslash escapes, and the entities `&amp;`, `&lt;`, `&gt;`, `&quot;` and
//! numeric ones. Anything else is text: raw HTML and unknown entities are
//! shown as written, never passed through as markup.

/// Renders `md` to HTML; link and image URLs go through `url` first.
pub fn render(md: &str, url: fn(&str) -> &str) -> String {
    let lines: Vec<&str> = md.lines().collect();
    let mut out = String::new();
    blocks(&lines, url, &mut out);
    out
}

/// Starts a block element on a fresh line, as pulldown-cmark's writer does.
fn open(out: &mut String, tag: &str) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(tag);
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// A fence opening `line`: its indent, character, length and info string.
fn fence(line: &str) -> Option<(usize, char, usize, &str)> {
    let ind = indent(line);
    let rest = &line[ind..];
    let c = rest.chars().next().filter(|c| ind < 4 && (*c == '`' || *c == '~'))?;
    let n = rest.len() - rest.trim_start_matches(c).len();
    let info = rest[n..].trim();
    (n >= 3 && !(c == '`' && info.contains('`'))).then_some((ind, c, n, info))
}

/// An ATX heading: its level and text.
fn heading(line: &str) -> Option<(usize, &str)> {
    let ind = indent(line);
    let rest = &line[ind..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    let text = &rest[level..];
    if ind >= 4 || !(1..=6).contains(&level) || !(text.is_empty() || text.starts_with([' ', '\t'])) {
        return None;
    }
    let text = text.trim();
    let closed = text.trim_end_matches('#');
    let text = if closed.is_empty() { closed } else if closed.ends_with([' ', '\t']) { closed.trim_end() } else { text };
    Some((level, text))
}

/// A list item's marker: ordered (with its start and delimiter) or the
/// bullet, and the width of marker and spaces, which its content lines are
/// indented by. Items with no content on the marker's line are not items.
fn item(line: &str) -> Option<(Option<u64>, char, usize)> {
    let ind = indent(line);
    let rest = &line[ind..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (start, mark) = match rest.chars().next()? {
        '-' | '*' | '+' if digits == 0 => (None, rest.as_bytes()[0] as char),
        _ if (1..=9).contains(&digits) && rest[digits..].starts_with(['.', ')']) => (rest[..digits].parse().ok(), rest.as_bytes()[digits] as char),
        _ => return None,
    };
    let marker = if digits == 0 { 1 } else { digits + 1 };
    let after = &rest[marker..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    if ind >= 4 || spaces == 0 || blank(after) {
        return None;
    }
    Some((start, mark, ind + marker + if spaces > 4 { 1 } else { spaces }))
}

/// The cells of a table row, split at pipes; `\|` is a pipe in its cell
/// (also in code, and after another backslash).
fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let mut cells = vec![String::new()];
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => cells.last_mut().unwrap().push(chars.next().unwrap()),
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    if cells.len() > 1 && t.trim_end().ends_with('|') && !t.trim_end().ends_with("\\|") && cells.last().is_some_and(|c| blank(c)) {
        cells.pop();
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// A table's alignments, when `line` is a delimiter row for `head`.
fn delimiter_row(head: &str, line: &str) -> Option<Vec<&'static str>> {
    if !head.contains('|') || !line.contains(['|', ':', '-']) {
        return None;
    }
    let aligns: Option<Vec<&str>> = cells(line)
        .iter()
        .map(|c| {
            let inner = c.strip_prefix(':').unwrap_or(c);
            let inner = inner.strip_suffix(':').unwrap_or(inner);
            (!inner.is_empty() && inner.chars().all(|c| c == '-')).then(|| match (c.starts_with(':'), c.ends_with(':')) {
                (true, true) => " style=\"text-align: center\"",
                (true, false) => " style=\"text-align: left\"",
                (false, true) => " style=\"text-align: right\"",
                (false, false) => "",
            })
        })
        .collect();
    aligns.filter(|a| a.len() == cells(head).len() && (line.contains('|') || a.len() == 1))
}

/// Whether `line` starts a block that ends a paragraph.
fn interrupts(line: &str) -> bool {
    heading(line).is_some() || fence(line).is_some() || item(line).is_some_and(|(start, _, _)| start.is_none_or(|s| s == 1))
}

fn blocks(lines: &[&str], url: fn(&str) -> &str, out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if blank(line) {
            i += 1;
        } else if let Some((level, text)) = heading(line) {
            open(out, &format!("<h{level}>"));
            inline(text, url, out);
            out.push_str(&format!("</h{level}>\n"));
            i += 1;
        } else if let Some((ind, c, n, info)) = fence(line) {
            let lang = unescape(info.split(' ').next().unwrap_or(""));
            open(out, "<pre><code");
            if !lang.is_empty() {
                out.push_str(" class=\"language-");
                attr(&lang, out);
                out.push('"');
            }
            out.push('>');
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                let close = l.trim_start_matches(' ');
                if indent(l) < 4 && close.starts_with(&c.to_string().repeat(n)) && close.trim_start_matches(c).trim().is_empty() {
                    i += 1;
                    break;
                }
                text(&l[indent(l).min(ind)..], out);
                out.push('\n');
                i += 1;
            }
            out.push_str("</code></pre>\n");
        } else if let Some(aligns) = lines.get(i + 1).and_then(|next| delimiter_row(line, next)) {
            out.push_str(if out.is_empty() || out.ends_with('\n') { "<table><thead><tr>" } else { "\n<table><thead><tr>" });
            row(&cells(line), &aligns, "th", url, out);
            out.push_str("</tr></thead><tbody>\n");
            i += 2;
            while i < lines.len() && !blank(lines[i]) && !interrupts(lines[i]) {
                out.push_str("<tr>");
                row(&cells(lines[i]), &aligns, "td", url, out);
                out.push_str("</tr>\n");
                i += 1;
            }
            out.push_str("</tbody></table>\n");
        } else if let Some((start, mark, _)) = item(line) {
            i = list(lines, i, start, mark, url, out);
        } else {
            let begin = i;
            i += 1;
            while i < lines.len() && !blank(lines[i]) && !interrupts(lines[i]) && lines.get(i + 1).is_none_or(|n| delimiter_row(lines[i], n).is_none()) {
                i += 1;
            }
            open(out, "<p>");
            paragraph(&lines[begin..i], url, out);
            out.push_str("</p>\n");
        }
    }
}

/// A paragraph's lines as inline content: leading whitespace goes, the last
/// line's trailing whitespace too.
fn paragraph(lines: &[&str], url: fn(&str) -> &str, out: &mut String) {
    let joined: Vec<&str> = lines.iter().map(|l| l.trim_start()).collect();
    inline(joined.join("\n").trim_end(), url, out);
}

fn row(cells: &[String], aligns: &[&str], tag: &str, url: fn(&str) -> &str, out: &mut String) {
    for (k, align) in aligns.iter().enumerate() {
        out.push_str(&format!("<{tag}{align}>"));
        inline(cells.get(k).map_or("", String::as_str), url, out);
        out.push_str(&format!("</{tag}>"));
    }
}

/// A list from the item at `lines[i]`; returns the index after it.
fn list(lines: &[&str], mut i: usize, start: Option<u64>, mark: char, url: fn(&str) -> &str, out: &mut String) -> usize {
    let mut items: Vec<Vec<String>> = Vec::new();
    let mut loose = false;
    while let Some((s, m, width)) = lines.get(i).and_then(|l| item(l)) {
        if m != mark || s.is_some() != start.is_some() {
            break;
        }
        let mut body = vec![lines[i][width..].to_string()];
        i += 1;
        let mut fenced = fence(&body[0]).map(|(_, c, n, _)| (c, n));
        while i < lines.len() {
            let l = lines[i];
            if blank(l) {
                let next = lines[i..].iter().position(|l| !blank(l)).map(|k| i + k);
                match next {
                    Some(k) if indent(lines[k]) >= width => {
                        if fenced.is_none() {
                            loose = true;
                        }
                        body.extend(lines[i..k].iter().map(|_| String::new()));
                        i = k;
                    }
                    _ => break,
                }
            } else if indent(l) >= width {
                body.push(l[width..].to_string());
                i += 1;
            } else if fenced.is_none() && !interrupts(l) && item(l).is_none() && !body.last().is_some_and(|b| blank(b)) && fence(body.last().unwrap()).is_none() && heading(body.last().unwrap()).is_none() {
                body.push(l.to_string());
                i += 1;
            } else {
                break;
            }
            if let Some(last) = body.last() {
                match (fenced, fence(last)) {
                    (None, Some((_, c, n, _))) => fenced = Some((c, n)),
                    (Some((c, n)), Some((_, c2, n2, info))) if c == c2 && n2 >= n && info.is_empty() => fenced = None,
                    _ => {}
                }
            }
        }
        items.push(body);
        if lines.get(i).is_some_and(|l| blank(l)) && lines[i..].iter().find(|l| !blank(l)).and_then(|l| item(l)).is_some_and(|(s, m, _)| m == mark && s.is_some() == start.is_some()) {
            loose = true;
            while blank(lines[i]) {
                i += 1;
            }
        }
    }
    open(out, &match start {
        None => "<ul>\n".to_string(),
        Some(1) => "<ol>\n".to_string(),
        Some(s) => format!("<ol start=\"{s}\">\n"),
    });
    for body in items {
        open(out, "<li>");
        let body: Vec<&str> = body.iter().map(String::as_str).collect();
        if loose {
            blocks(&body, url, out);
        } else {
            let mut inner = String::new();
            blocks(&body, url, &mut inner);
            out.push_str(&tight(&inner));
        }
        out.push_str("</li>\n");
    }
    out.push_str(if start.is_some() { "</ol>\n" } else { "</ul>\n" });
    i
}

/// A tight item's blocks: its own paragraphs lose their tags.
fn tight(html: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut rest = html;
    while let Some(k) = rest.find('<') {
        out.push_str(&rest[..k]);
        rest = &rest[k..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        match tag {
            "<p>" if depth == 0 => {}
            "</p>" if depth == 0 => {
                rest = &rest[end..];
                if !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix('\n') {
                        out.push('\n');
                        rest = r;
                    }
                } else {
                    rest = rest.strip_prefix('\n').unwrap_or(rest);
                }
                continue;
            }
            _ => {
                if tag.starts_with("<ul") || tag.starts_with("<ol") || tag.starts_with("<pre") || tag.starts_with("<table") {
                    depth += 1;
                } else if matches!(tag, "</ul>" | "</ol>" | "</pre>" | "</table>") {
                    depth -= 1;
                }
                out.push_str(tag);
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.strip_suffix('\n').map(String::from).unwrap_or(out)
}

/// HTML body text: `&`, `<` and `>` escaped.
fn text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// An attribute value: body text with `"` escaped too.
fn attr(s: &str, out: &mut String) {
    for part in s.split('"').enumerate() {
        if part.0 > 0 {
            out.push_str("&quot;");
        }
        text(part.1, out);
    }
}

/// A URL in an attribute: pulldown-cmark's `escape_href`.
fn href(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'&' => out.push_str("&amp;"),
            b'\'' => out.push_str("&#x27;"),
            b'!' | b'#'..=b'%' | b'('..=b';' | b'=' | b'?'..=b'Z' | b'^' | b'_' | b'a'..=b'z' | b'~' => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The entity at the start of `s` (`&...;`): its text and length.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        _ => {
            let num = name.strip_prefix('#')?;
            let n = match num.strip_prefix(['x', 'X']) {
                Some(h) if (1..=6).contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()) => u32::from_str_radix(h, 16).ok()?,
                None if (1..=7).contains(&num.len()) && num.chars().all(|c| c.is_ascii_digit()) => num.parse().ok()?,
                _ => return None,
            };
            if n == 0 { '\u{FFFD}' } else { char::from_u32(n).unwrap_or('\u{FFFD}') }
        }
    };
    Some((c, end + 1))
}

/// `s` with backslash escapes and entities resolved (URLs, titles, info strings).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut k = 0;
    while let Some(c) = s[k..].chars().next() {
        let next = s[k + 1..].chars().next();
        if c == '\\' && next.is_some_and(|n| n.is_ascii_punctuation()) {
            out.push(next.unwrap());
            k += 2;
        } else if let Some((e, len)) = (c == '&').then(|| entity(&s[k..])).flatten() {
            out.push(e);
            k += len;
        } else {
            out.push(c);
            k += c.len_utf8();
        }
    }
    out
}

/// One piece of inline content: rendered HTML, or a delimiter run of `*`,
/// `_` or `~` (its remaining count and the tags matched around it), or a
/// bracket opening a link or image.
enum Node {
    Html(String),
    Delim { c: char, n: usize, orig: usize, open: bool, close: bool, active: bool, before: String, after: String },
    Bracket { image: bool, active: bool },
}

fn punct(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_punctuation() } else { !c.is_alphanumeric() && !c.is_whitespace() }
}

fn inline(s: &str, url: fn(&str) -> &str, out: &mut String) {
    let mut nodes: Vec<Node> = Vec::new();
    let mut k = 0;
    let push_text = |nodes: &mut Vec<Node>, t: &str| {
        let mut h = String::new();
        text(t, &mut h);
        match nodes.last_mut() {
            Some(Node::Html(prev)) => prev.push_str(&h),
            _ => nodes.push(Node::Html(h)),
        }
    };
    while let Some(c) = s[k..].chars().next() {
        let rest = &s[k..];
        let prev = s[..k].chars().next_back();
        match c {
            '\\' => match rest[1..].chars().next() {
                Some(n) if n.is_ascii_punctuation() => {
                    push_text(&mut nodes, &n.to_string());
                    k += 2;
                }
                Some('\n') => {
                    nodes.push(Node::Html("<br />\n".into()));
                    k += 2;
                }
                _ => {
                    push_text(&mut nodes, "\\");
                    k += 1;
                }
            },
            '&' => match entity(rest) {
                Some((e, len)) => {
                    push_text(&mut nodes, &e.to_string());
                    k += len;
                }
                None => {
                    push_text(&mut nodes, "&");
                    k += 1;
                }
            },
            '`' => {
                let n = rest.len() - rest.trim_start_matches('`').len();
                let body = &rest[n..];
                let mut at = 0;
                let mut found = None;
                while let Some(p) = body[at..].find('`') {
                    let run = body[at + p..].len() - body[at + p..].trim_start_matches('`').len();
                    if run == n {
                        found = Some(at + p);
                        break;
                    }
                    at += p + run;
                }
                match found {
                    Some(p) => {
                        let code = body[..p].replace('\n', " ");
                        let code = if code.len() >= 2 && code.starts_with(' ') && code.ends_with(' ') && !code.trim().is_empty() { &code[1..code.len() - 1] } else { &code[..] };
                        let mut h = String::from("<code>");
                        text(code, &mut h);
                        h.push_str("</code>");
                        nodes.push(Node::Html(h));
                        k += n + p + n;
                    }
                    None => {
                        push_text(&mut nodes, &rest[..n]);
                        k += n;
                    }
                }
            }
            '*' | '_' | '~' => {
                let n = rest.len() - rest.trim_start_matches(c).len();
                let next = rest[n..].chars().next();
                let ws = |c: Option<char>| c.is_none_or(char::is_whitespace);
                let pu = |c: Option<char>| c.is_some_and(punct);
                let left = !ws(next) && (!pu(next) || ws(prev) || pu(prev));
                let right = !ws(prev) && (!pu(prev) || ws(next) || pu(next));
                let (open, close) = match c {
                    '_' => (left && (!right || pu(prev)), right && (!left || pu(next))),
                    _ => (left, right),
                };
                if c == '~' && n > 2 {
                    push_text(&mut nodes, &rest[..n]);
                } else {
                    nodes.push(Node::Delim { c, n, orig: n, open, close, active: true, before: String::new(), after: String::new() });
                }
                k += n;
            }
            '!' if rest[1..].starts_with('[') => {
                nodes.push(Node::Bracket { image: true, active: true });
                k += 2;
            }
            '[' => {
                nodes.push(Node::Bracket { image: false, active: true });
                k += 1;
            }
            ']' => {
                k += 1;
                let opener = nodes.iter().rposition(|n| matches!(n, Node::Bracket { .. }));
                let Some(o) = opener else {
                    push_text(&mut nodes, "]");
                    continue;
                };
                let Node::Bracket { image, active } = nodes[o] else { unreachable!() };
                let dest = if active { destination(&s[k..]) } else { None };
                let Some((dest, title, len)) = dest else {
                    nodes[o] = Node::Html(if image { "![".into() } else { "[".into() });
                    push_text(&mut nodes, "]");
                    continue;
                };
                k += len;
                emphasis(&mut nodes, o + 1);
                let inner: Vec<Node> = nodes.drain(o + 1..).collect();
                nodes.pop();
                let mut h = String::new();
                if image {
                    h.push_str("<img src=\"");
                    href(url(&dest), &mut h);
                    h.push_str("\" alt=\"");
                    let mut alt = String::new();
                    flatten(inner, &mut alt);
                    h.push_str(&plain(&alt));
                    h.push('"');
                    if let Some(t) = title {
                        h.push_str(" title=\"");
                        attr(&t, &mut h);
                        h.push('"');
                    }
                    h.push_str(" />");
                } else {
                    h.push_str("<a href=\"");
                    href(url(&dest), &mut h);
                    if let Some(t) = title {
                        h.push_str("\" title=\"");
                        attr(&t, &mut h);
                    }
                    h.push_str("\">");
                    flatten(inner, &mut h);
                    h.push_str("</a>");
                    for n in nodes.iter_mut() {
                        if let Node::Bracket { image: false, active } = n {
                            *active = false;
                        }
                    }
                }
                nodes.push(Node::Html(h));
            }
            '\n' => {
                let hard = matches!(nodes.last(), Some(Node::Html(h)) if h.ends_with("  "));
                if let Some(Node::Html(h)) = nodes.last_mut() {
                    let kept = h.trim_end_matches(' ').len();
                    h.truncate(kept);
                }
                nodes.push(Node::Html(if hard { "<br />\n".into() } else { "\n".into() }));
                k += 1;
                k += s[k..].len() - s[k..].trim_start_matches(' ').len();
            }
            c => {
                let end = rest[c.len_utf8()..].find(['\\', '&', '`', '*', '_', '~', '!', '[', ']', '\n']).map_or(rest.len(), |e| e + c.len_utf8());
                push_text(&mut nodes, &rest[..end]);
                k += end;
            }
        }
    }
    emphasis(&mut nodes, 0);
    flatten(nodes, out);
}

/// An image's alt text: the text of its HTML, tags dropped, quotes escaped.
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            '"' if !in_tag => out.push_str("&quot;"),
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// An inline link's `(destination "title")` at the start of `s`: the
/// destination, the title and the length taken.
fn destination(s: &str) -> Option<(String, Option<String>, usize)> {
    let body = s.strip_prefix('(')?;
    let lead = body.len() - body.trim_start().len();
    let mut k = lead;
    let bytes = body.as_bytes();
    let dest_end;
    if body[k..].starts_with('<') {
        let close = body[k + 1..].find(['>', '\n', '<'])?;
        if bytes[k + 1 + close] != b'>' {
            return None;
        }
        dest_end = (k + 1, k + 1 + close);
        k += close + 2;
    } else {
        let begin = k;
        let mut depth = 0;
        while k < bytes.len() {
            match bytes[k] {
                b'\\' if k + 1 < bytes.len() && bytes[k + 1].is_ascii_punctuation() => k += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                b if b.is_ascii_whitespace() || b.is_ascii_control() => break,
                _ => {}
            }
            k += 1;
        }
        if depth != 0 {
            return None;
        }
        dest_end = (begin, k);
    }
    let ws = body[k..].len() - body[k..].trim_start().len();
    let mut title = None;
    let mut j = k + ws;
    if ws > 0 {
        if let Some(q) = body[j..].chars().next().filter(|q| matches!(q, '"' | '\'' | '(')) {
            let closer = if q == '(' { ')' } else { q };
            let mut e = j + 1;
            while e < bytes.len() && bytes[e] != closer as u8 {
                e += if bytes[e] == b'\\' { 2 } else { 1 };
            }
            if e >= bytes.len() {
                return None;
            }
            title = Some(unescape(&body[j + 1..e]));
            j = e + 1;
            j += body[j..].len() - body[j..].trim_start().len();
        }
    }
    if !body[j..].starts_with(')') {
        return None;
    }
    Some((unescape(&body[dest_end.0..dest_end.1]), title, 1 + j + 1))
}

/// CommonMark's "process emphasis" over the delimiter runs from `bottom` on.
fn emphasis(nodes: &mut [Node], bottom: usize) {
    let mut closer = bottom;
    while closer < nodes.len() {
        let (c, cn, corig, copen) = match &nodes[closer] {
            Node::Delim { c, n, orig, close: true, open, active: true, .. } if *n > 0 => (*c, *n, *orig, *open),
            _ => {
                closer += 1;
                continue;
            }
        };
        let found = (bottom..closer).rev().find(|&o| match &nodes[o] {
            Node::Delim { c: oc, n, orig, open: true, close, active: true, .. } if *oc == c && *n > 0 => {
                if c == '~' {
                    *n == cn
                } else {
                    !((*close || copen) && (orig + corig) % 3 == 0 && !(orig % 3 == 0 && corig % 3 == 0))
                }
            }
            _ => false,
        });
        let Some(o) = found else {
            closer += 1;
            continue;
        };
        let on = match &nodes[o] {
            Node::Delim { n, .. } => *n,
            _ => unreachable!(),
        };
        let used = if c == '~' { cn } else if on >= 2 && cn >= 2 { 2 } else { 1 };
        let tag = match (c, used) {
            ('~', _) => "del",
            (_, 2) => "strong",
            _ => "em",
        };
        for between in &mut nodes[o + 1..closer] {
            if let Node::Delim { active, .. } = between {
                *active = false;
            }
        }
        if let Node::Delim { n, after, .. } = &mut nodes[o] {
            *n -= used;
            after.insert_str(0, &format!("<{tag}>"));
        }
        if let Node::Delim { n, before, .. } = &mut nodes[closer] {
            *n -= used;
            before.push_str(&format!("</{tag}>"));
        }
    }
    for node in &mut nodes[bottom..] {
        if let Node::Delim { active, .. } = node {
            *active = false;
        }
    }
}

fn flatten(nodes: Vec<Node>, out: &mut String) {
    for node in nodes {
        match node {
            Node::Html(h) => out.push_str(&h),
            Node::Delim { c, n, before, after, .. } => {
                out.push_str(&before);
                out.extend(std::iter::repeat_n(c, n));
                out.push_str(&after);
            }
            Node::Bracket { image, .. } => out.push_str(if image { "![" } else { "[" }),
        }
    }
}

#[cfg(test)]
mod tests;
