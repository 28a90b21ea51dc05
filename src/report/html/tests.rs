use super::render;
use crate::report::markdown::{escape, fenced, link, safe_url, table, to_html};
use crate::report::{recommendations_md, summary_md};
use crate::testing::demo_analysis;

/// The page's former renderer, pulldown-cmark with raw HTML turned into
/// text and unsafe URLs disarmed: what [`render`] must equal.
fn oracle(md: &str) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    fn safe(url: CowStr<'_>) -> CowStr<'_> {
        if safe_url(&url) == "#" { CowStr::Borrowed("#") } else { url }
    }
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|ev| match ev {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => Event::Start(Tag::Link { link_type, dest_url: safe(dest_url), title, id }),
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image { link_type, dest_url: safe(dest_url), title, id }),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// Asserts both renderers agree on `md`, naming the first line that differs.
fn same(md: &str) {
    let (ours, theirs) = (to_html(md), oracle(md));
    if ours != theirs {
        let at = ours.lines().zip(theirs.lines()).position(|(a, b)| a != b).unwrap_or(ours.lines().count().min(theirs.lines().count()));
        panic!("line {at}:\n ours:   {:?}\n theirs: {:?}\nmarkdown:\n{md}", ours.lines().nth(at), theirs.lines().nth(at));
    }
}

#[test]
fn the_golden_report_renders_as_pulldown_cmark_renders_it() {
    let md = include_str!("../../../tests/golden/demo_recommendations.md");
    same(md);
    let html = to_html(md);
    println!("golden report: {} B of Markdown, {} B of HTML, {} tables, {} code blocks, {} links", md.len(), html.len(), html.matches("<table>").count(), html.matches("<pre>").count(), html.matches("<a href").count());
    assert!(html.matches("<table>").count() > 10 && html.contains("<strong>") && html.contains("<code>"));
}

#[test]
fn the_demo_and_hostile_reports_render_as_pulldown_cmark_renders_them() {
    for hostile in [false, true] {
        let a = demo_analysis(hostile);
        same(&recommendations_md(&a));
        same(&summary_md(&a));
    }
}

/// Every payload of the hostile corpus, once.
fn corpus() -> Vec<String> {
    let corpus: serde_json::Value = serde_json::from_str(include_str!("../../../tests/data/hostile_corpus.json")).unwrap();
    let mut out: Vec<String> = corpus["groups"].as_object().unwrap().values().flat_map(|g| g.as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string())).collect();
    for h in corpus["huge"].as_array().unwrap() {
        let unit = h["unit"].as_str().unwrap();
        out.push(unit.repeat(h["chars"].as_u64().unwrap() as usize / unit.len() + 1));
    }
    out
}

/// `text` written into every place the report writers put a value.
fn fragment(text: &str, other: &str) -> String {
    let code = crate::format::visible(text).replace('`', "'").replace(['\n', '\r'], " ");
    let url = crate::analysis::links::trace_url(Some(&("https://us.posthog.com".into(), "1".into())), text, None);
    let mut md = format!("# Report\n\n## {}\n\n### Operation `{code}`\n\n", escape(text));
    md.push_str(&format!("- **Largest driver:** `{code}` $1.00 (41.6%), {}\n- **Trace:** {}\n- `{code}`: the widest {}\n\n", escape(other), link(&escape(text), url.clone()), escape(text)));
    md.push_str(&format!("1. **Move {} off {}**: {}.\n2. **Cache {}**: {}. $1.00 per month\n\n", escape(text), escape(other), escape(text), escape(other), escape(other)));
    md.push_str(&format!("Cost per call is 2.0x higher for `{code}` than for `{}` ({}).\n{}\n\n", code.replace('|', "/"), escape(other), escape(text)));
    md.push_str(&table(&["Operation", "Calls", "Trace"], &[vec![escape(text), "3".into(), link(&escape(other), url)], vec![format!("`{}`", code.replace('|', "\\|")), escape(other), String::new()]]));
    md.push('\n');
    md.push_str(&fenced("text", text));
    md.push_str(&format!("\n- **{}**: {}.\n", escape(text), escape(other)));
    md
}

#[test]
fn the_hostile_corpus_renders_as_pulldown_cmark_renders_it_in_every_place() {
    let payloads = corpus();
    for (i, p) in payloads.iter().enumerate() {
        same(&fragment(p, &payloads[(i + 1) % payloads.len()]));
    }
    println!("hostile corpus: {} payloads, each in every place a value goes", payloads.len());
}

#[test]
fn markup_outside_the_subset_stays_text() {
    let html = render("<div onclick=x>\n\n> quote <b>b</b>\n\n<https://x.example>\n\n    indented <i>\n\n&copy; &bogus; &#x3C;script&#62;", safe_url);
    assert!(!html.contains("<div") && !html.contains("<b>") && !html.contains("<i>") && !html.contains("<script"), "{html}");
    assert!(html.contains("&amp;copy;") && html.contains("&lt;script&gt;"), "{html}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3_000))]
    #[test]
    fn report_fragments_render_as_pulldown_cmark_renders_them(texts in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(
        "ab1 9_*-+#.)([]!`~|<>&;\"'\\{}$=:/\n\r\té\0\u{7}\u{85}\u{2028}\u{202E}\u{200B}→—".chars().collect::<Vec<_>>()), 0..24), 2)) {
        let texts: Vec<String> = texts.into_iter().map(|t| t.into_iter().collect()).collect();
        let md = fragment(&texts[0], &texts[1]);
        proptest::prop_assert_eq!(to_html(&md), oracle(&md), "markdown:\n{}", md);
    }

    #[test]
    fn any_markup_renders_only_the_subsets_tags(chars in proptest::collection::vec(proptest::sample::select(
        "ab1 _*-+#.)([]!`~|<>&;\"'\\:/\n\t".chars().collect::<Vec<_>>()), 0..60)) {
        let md: String = chars.into_iter().collect();
        let md = md.replace("<", "<script ").replace("(", "(javascript:");
        let html = to_html(&md);
        let tags = ["<p>", "</p>", "<h", "</h", "<ul>", "</ul>", "<ol", "</ol>", "<li>", "</li>", "<em>", "</em>", "<strong>", "</strong>", "<del>", "</del>", "<code", "</code>", "<pre>", "</pre>", "<a href=\"", "</a>", "<img src=\"", "<br />", "<table>", "</table>", "<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<th", "</th>", "<td", "</td>"];
        for (at, _) in html.match_indices('<') {
            proptest::prop_assert!(tags.iter().any(|t| html[at..].starts_with(t)), "{} in {}", &html[at..], md);
        }
        proptest::prop_assert!(!html.contains("=\"javascript"), "{}", html);
    }
}
