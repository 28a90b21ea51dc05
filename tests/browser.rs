//! Browser tests of the page's components, in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown --test browser`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/dom.rs"]
mod dom;
use dom::*;

#[wasm_bindgen_test]
async fn analyze_stays_disabled_until_key_and_project_are_filled() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    let analyze = || root.query_selector("#analyze").unwrap().unwrap().has_attribute("disabled");
    assert!(analyze(), "nothing filled");
    input(&root, "#api-key", "phx_test");
    leptos::task::tick().await;
    assert!(analyze(), "project missing");
    input(&root, "#project-id", "42");
    leptos::task::tick().await;
    assert!(!analyze(), "key and project filled");
    input(&root, "#window-days", "0");
    leptos::task::tick().await;
    assert!(analyze(), "a zero-day window is refused");
    let key: HtmlInputElement = root.query_selector("#api-key").unwrap().unwrap().unchecked_into();
    assert_eq!(key.type_(), "password");
}

#[wasm_bindgen_test]
async fn demo_fills_tables_charts_and_a_safe_report() {
    load_echarts();
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#operations-table tbody tr", 60_000).await;
    let rows = root.query_selector_all("#operations-table tbody tr").unwrap();
    assert_eq!(rows.length(), 8, "eight operations in the demo");
    assert_eq!(root.query_selector_all("#models-table tbody tr").unwrap().length(), 5);
    let report = root.query_selector("#report-html").unwrap().unwrap();
    let text = report.text_content().unwrap();
    assert!(text.contains("Executive Summary") && text.contains("Cost Analysis"), "{text}");
    assert!(report.query_selector("script, img, iframe").unwrap().is_none(), "raw HTML must not render");
    leptos::task::tick().await;
    for name in ["cost-by-operation", "cost-by-model", "daily-cost", "latency-vs-cost", "error-rate", "trace-cost-1", "trace-cost-5"] {
        wait_for(&root, &format!("[data-chart={name}] canvas"), 5_000).await;
    }
}

#[wasm_bindgen_test]
async fn changing_a_tag_updates_frequencies_and_the_report() {
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, ".sample input[data-tag=tool_abuse]", 60_000).await;
    let frequencies = || root.query_selector("#tag-frequencies").unwrap().unwrap().text_content().unwrap();
    let report = || root.query_selector("#report-html").unwrap().unwrap().text_content().unwrap();
    assert!(!frequencies().contains("tool_abuse"), "no sampled demo trace loops on tools: {}", frequencies());
    let first: HtmlElement = root.query_selector(".sample input[data-tag=tool_abuse]").unwrap().unwrap().unchecked_into();
    first.click();
    leptos::task::tick().await;
    let after = frequencies();
    assert!(after.contains("tool_abuse: seen in 1/15 sampled traces"), "{after}");
    assert!(report().contains("changed by the reader"), "the report follows the reader's tags");
    assert!(root.query_selector(".sample.edited").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn what_if_prices_an_operation_at_another_model() {
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#what-if-model", 60_000).await;
    let result = || root.query_selector("#what-if-result").unwrap().unwrap().text_content().unwrap();
    assert!(result().starts_with("Pick a model"), "{}", result());
    input(&root, "#what-if-model", "gpt-4o-mini");
    leptos::task::tick().await;
    let text = result();
    assert!(text.contains("at gpt-4o-mini (-") && text.contains("Per 30 days"), "a cheaper model lowers the cost: {text}");
    input(&root, "#what-if-model", "no-such-model");
    leptos::task::tick().await;
    assert!(result().contains("No price for"), "{}", result());
}

#[wasm_bindgen_test]
async fn table_headers_sort_rows() {
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#models-table tbody tr", 60_000).await;
    let first_cell = || root.query_selector("#models-table tbody tr td").unwrap().unwrap().text_content().unwrap();
    let by_cost = first_cell();
    let header: HtmlElement = root.query_selector("#models-table th button").unwrap().unwrap().unchecked_into();
    header.click();
    leptos::task::tick().await;
    let ascending = first_cell();
    header.click();
    leptos::task::tick().await;
    let descending = first_cell();
    assert_eq!(ascending, "claude-3-5-haiku-20241022", "alphabetical first");
    assert_eq!(descending, "gpt-4o-mini", "alphabetical last");
    assert_ne!(by_cost, ascending);
}

#[wasm_bindgen_test]
async fn trace_view_shows_hostile_excerpts_as_text() {
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#traces-table tbody tr", 60_000).await;
    let buttons = root.query_selector_all("#traces-table button.link").unwrap();
    assert!(buttons.length() >= 15, "outliers and the 15-trace sample: {}", buttons.length());
    let mut hostile_seen = 0;
    for i in 0..buttons.length() {
        let b: HtmlElement = buttons.item(i).unwrap().unchecked_into();
        b.click();
        leptos::task::tick().await;
        let detail = wait_for(&root, "#trace-detail .generation", 2_000).await.parent_element().unwrap();
        assert!(detail.query_selector("script, img, iframe").unwrap().is_none(), "markup from trace content");
        let text = detail.text_content().unwrap();
        if text.contains("<script>") || text.contains("<img src=x") {
            hostile_seen += 1;
        }
    }
    // The demo plants hostile messages in about 2% of traces; with its fixed
    // seed, two of the traces read carry one, shown above as plain text.
    assert!(hostile_seen >= 1, "no hostile excerpt among the traces read: the check above proved nothing");
}

fn stored_key() -> Option<String> {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().get_item("trace-optimizer.personal-api-key").unwrap()
}

#[wasm_bindgen_test]
async fn key_reaches_local_storage_only_after_opting_in() {
    web_sys::window().unwrap().local_storage().unwrap().unwrap().clear().unwrap();
    let (root, _h) = mount();
    // A host that refuses at once: the runs Analyze starts here fail fast and stay on this machine.
    choose(&root, "#host", "custom");
    leptos::task::tick().await;
    input(&root, "#custom-url", "http://127.0.0.1:9");
    input(&root, "#api-key", "phx_secret_value");
    input(&root, "#project-id", "7");
    leptos::task::tick().await;
    click(&root, "#analyze");
    leptos::task::tick().await;
    assert_eq!(stored_key(), None, "not opted in");
    // The refused run ends with a message (after its retries); Analyze is enabled again.
    wait_for(&root, "#error-message", 30_000).await;
    click(&root, "#remember-key");
    leptos::task::tick().await;
    click(&root, "#analyze");
    leptos::task::tick().await;
    assert_eq!(stored_key().as_deref(), Some("phx_secret_value"));
    click(&root, "#remember-key");
    leptos::task::tick().await;
    assert_eq!(stored_key(), None, "unchecking forgets at once");
}

#[wasm_bindgen_test]
async fn out_of_range_settings_are_explained_and_block_runs() {
    let (root, _h) = mount();
    input(&root, "#sample-size", "0");
    leptos::task::tick().await;
    let message = wait_for(&root, ".invalid", 1_000).await.text_content().unwrap();
    assert!(message.contains("Sample size"), "{message}");
    assert!(root.query_selector("#demo").unwrap().unwrap().has_attribute("disabled"));
    input(&root, "#sample-size", "15");
    leptos::task::tick().await;
    assert!(root.query_selector(".invalid").unwrap().is_none());
    assert!(!root.query_selector("#demo").unwrap().unwrap().has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn cancel_stops_a_run_and_keeps_earlier_results() {
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#operations-table tbody tr", 60_000).await;
    click(&root, "#demo");
    wait_for(&root, "#cancel", 5_000).await;
    click(&root, "#cancel");
    wait_for(&root, "#cancelled", 10_000).await;
    assert_eq!(root.query_selector_all("#operations-table tbody tr").unwrap().length(), 8, "the first run's results stay");
    assert!(!root.query_selector("#demo").unwrap().unwrap().has_attribute("disabled"), "a new run can start");
}

#[wasm_bindgen_test]
async fn live_prices_are_used_when_they_load_and_the_snapshot_otherwise() {
    use trace_optimizer::ui::live_prices::{live_or_bundled, snapshot_from};
    let snapshot = snapshot_from(SNAPSHOT).await.expect("the runner serves the snapshot");
    let json = r#"{"gpt-4o":{"litellm_provider":"openai","mode":"chat","input_cost_per_token":2.5e-6,"output_cost_per_token":1e-5}}"#;
    let url = format!("data:application/json,{}", js_sys::encode_uri_component(json));
    let trace_optimizer::pipeline::Prices { table, note } = live_or_bundled(&url, 5_000, snapshot).await;
    assert!(table.source().live && note.is_none());
    assert_eq!(table.entries().len(), 1);
    let trace_optimizer::pipeline::Prices { table, note } = live_or_bundled("http://127.0.0.1:9/prices.json", 5_000, snapshot).await;
    assert!(!table.source().live && std::ptr::eq(&*table, snapshot), "the bundled snapshot");
    let note = note.expect("the reason is kept");
    assert!(note.starts_with("Live LiteLLM prices could not be read (network:") && note.contains("bundled snapshot"), "{note}");
}

#[wasm_bindgen_test]
async fn the_snapshot_is_fetched_from_the_pages_origin_and_parsed_once() {
    use trace_optimizer::analysis::pricing::PriceTable;
    use trace_optimizer::ui::live_prices::snapshot_from;
    let (first, again) = (snapshot_from(SNAPSHOT).await.unwrap(), snapshot_from(SNAPSHOT).await.unwrap());
    assert!(std::ptr::eq(first, again), "one table per page");
    // The file the native build compiles in, parsed here on its own.
    let file = PriceTable::from_snapshot_json(include_str!("../src/analysis/pricing/litellm_prices.json")).unwrap();
    assert_eq!(first.entries(), file.entries());
    assert_eq!(first.source(), file.source());
    assert!(!first.source().live && first.source().label.starts_with("LiteLLM snapshot "), "{}", first.source().label);
}

#[wasm_bindgen_test]
async fn a_prior_analysis_json_makes_the_next_run_a_follow_up() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    click(&root, "#demo");
    wait_for(&root, "#report-html h2", 60_000).await;
    assert!(text(&root, "#report-html").contains("first analysis of this project"));
    // The analysis.json of that run, with its first fix marked shipped, as a user would edit it.
    let a = {
        use trace_optimizer::analysis::{dataset::Window, Origin, Settings};
        use trace_optimizer::pipeline::{self, Prices, Request};
        use trace_optimizer::source::{demo::{DemoConfig, DemoGenerator}, memory::MemorySource};
        let cfg = DemoConfig::default();
        let window = Window::ending_at(cfg.end, cfg.days);
        let source = MemorySource::from_generations(DemoGenerator::new(cfg).filter_map(|r| r.generation()).collect());
        let request = Request { window, settings: Settings::default(), origin: Origin { label: "Demo project".into(), posthog: None }, prior: None };
        let prices = Prices::from(trace_optimizer::ui::live_prices::snapshot_from(SNAPSHOT).await.unwrap());
        pipeline::run(&source, &request, async { prices }, &mut pipeline::Quiet).await.unwrap().analysis
    };
    let mut json: serde_json::Value = serde_json::from_str(&trace_optimizer::pipeline::write(&a).into_iter().find(|f| f.path == "analysis.json").unwrap().content).unwrap();
    json["recommendations"][0]["status"] = "shipped".into();
    let shipped = json["recommendations"][0]["title"].as_str().unwrap().to_string();
    let script = format!(
        "const dt = new DataTransfer(); dt.items.add(new File([{}], 'analysis.json', {{type: 'application/json'}})); \
         const input = document.querySelector('#prior-analysis'); input.files = dt.files; input.dispatchEvent(new Event('change'));",
        serde_json::to_string(&json.to_string()).unwrap()
    );
    js_sys::eval(&script).unwrap();
    let note = wait_for(&root, "#prior-note", 5_000).await.text_content().unwrap();
    assert!(note.starts_with("Following up on the analysis of Demo project"), "{note}");
    click(&root, "#demo");
    wait_for(&root, "#cancel", 5_000).await;
    // The first run's report stays on screen until the second one replaces it.
    for _ in 0..1200 {
        if root.query_selector("#cancel").unwrap().is_none() {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    let report = text(&root, "#report-html");
    assert!(report.contains(&format!("Not proposed again: {shipped} (shipped)")), "the shipped fix is settled: {}", &report[..report.find("Cost Analysis").unwrap_or(0)]);
    assert!(!report.contains(&format!("Priority 1: {shipped}")), "and not proposed again");
}

#[wasm_bindgen_test]
async fn the_failure_notice_offers_the_last_results_and_a_reload() {
    use trace_optimizer::report::ReportFile;
    use trace_optimizer::ui::fatal;
    let files = vec![
        ReportFile { path: "recommendations.md", content: "# Report\n\nSpend: $12.50 <b>kept</b>\n".into() },
        ReportFile { path: "data/metrics_by_model.csv", content: "\"model\",\"cost\"\n\"gpt-4o\",\"1.5\"\n".into() },
    ];
    fatal::keep(&[ReportFile { path: "old.md", content: "an earlier run".into() }]);
    fatal::keep(&files);
    fatal::show();
    let notice = document().get_element_by_id("fatal-error").expect("the notice is written outside the app");
    assert_eq!(notice.get_attribute("role").as_deref(), Some("alert"));
    let said = notice.text_content().unwrap();
    assert!(said.contains("Something went wrong") && said.contains("last finished run"), "{said}");
    let links = notice.query_selector_all("a[download]").unwrap();
    assert_eq!(links.length(), 2, "the last run's files only");
    for (i, f) in files.iter().enumerate() {
        let a: web_sys::HtmlAnchorElement = links.item(i as u32).unwrap().dyn_into().unwrap();
        assert!(a.href().starts_with("blob:"), "{}", a.href());
        assert_eq!(a.download(), f.path.rsplit('/').next().unwrap());
        let kept = gloo_net::http::Request::get(&a.href()).send().await.unwrap().text().await.unwrap();
        assert_eq!(kept, f.content, "the download holds the file as it was");
    }
    assert!(notice.query_selector("a.reload").unwrap().unwrap().get_attribute("href").unwrap().starts_with("http"));
    notice.remove();
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// Runs the demo in a freshly mounted page and waits until it is done.
async fn demo_done(root: &HtmlElement) {
    click(root, "#demo");
    wait_for(root, "#cancel", 5_000).await;
    for _ in 0..1200 {
        if root.query_selector("#cancel").unwrap().is_none() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    panic!("the demo did not finish");
}

/// Whether the view `slug` is the one on screen.
fn shown(root: &HtmlElement, slug: &str) -> bool {
    root.query_selector(&format!("#view-{slug}")).unwrap().is_some_and(|v| !v.class_list().contains("hidden-view"))
}

#[wasm_bindgen_test]
async fn the_address_names_the_view_and_back_returns() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    demo_done(&root).await;
    assert!(shown(&root, "overview"), "a finished run opens the overview");
    assert_eq!(web_sys::window().unwrap().location().hash().unwrap(), "#/overview");
    for slug in ["recommendations", "cost", "traces", "failures", "sample", "report"] {
        web_sys::window().unwrap().location().set_hash(&format!("/{slug}")).unwrap();
        for _ in 0..40 {
            if shown(&root, slug) {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(25).await;
        }
        assert!(shown(&root, slug), "#/{slug} shows its view");
        let others = ["overview", "recommendations", "cost", "traces", "failures", "sample", "report"].iter().filter(|s| **s != slug && shown(&root, s)).count();
        assert_eq!(others, 0, "one view at a time");
        let link = root.query_selector(&format!("#nav-{slug}")).unwrap().unwrap();
        assert_eq!(link.get_attribute("aria-current").as_deref(), Some("page"), "the side bar marks {slug}");
    }
    web_sys::window().unwrap().history().unwrap().back().unwrap();
    for _ in 0..40 {
        if shown(&root, "sample") {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(25).await;
    }
    assert!(shown(&root, "sample"), "back returns to the view before");
    assert!(!web_sys::window().unwrap().location().href().unwrap().contains("phx_"), "no key in the address");
}

#[wasm_bindgen_test]
async fn overview_tiles_name_the_window_and_the_savings_found() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    demo_done(&root).await;
    let spend = text(&root, "#tile-spend");
    assert!(spend.contains("Spend over 30 days"), "{spend}");
    let total = text(&root, "#tile-spend .value");
    assert!(!text(&root, "#tile-spend .note").contains(&total), "a 30-day window does not repeat its total as a 30-day figure: {spend}");
    // The savings the recommendations claim, summed from their cards.
    let cards = root.query_selector_all("#open-recommendations .rec-card .badge.savings").unwrap();
    let sum: f64 = (0..cards.length())
        .map(|i| cards.item(i).unwrap().text_content().unwrap().trim_start_matches('$').split(' ').next().unwrap().replace(',', "").parse::<f64>().unwrap())
        .sum();
    let tile: f64 = text(&root, "#tile-savings .value").trim_start_matches('$').replace(',', "").parse().unwrap();
    assert!(cards.length() >= 3 && (tile - sum).abs() <= 0.01 * cards.length() as f64, "savings tile {tile} vs cards {sum}");
    assert_eq!(root.query_selector_all("#top-recommendations li").unwrap().length(), 3, "the top three");
    for id in ["tile-generations", "tile-traces", "tile-errors", "tile-unpriced", "tile-warnings"] {
        assert!(root.query_selector(&format!("#{id} .value")).unwrap().is_some(), "{id}");
    }
}

#[wasm_bindgen_test]
async fn marks_are_kept_and_the_next_run_follows_up_on_them() {
    storage().clear().unwrap();
    let (root, h) = mount();
    demo_done(&root).await;
    // Cards are named by rank (#rec-1); data-id is the recommendation's id.
    let cards = |sel: &str| {
        let cards = root.query_selector_all(&format!("{sel} .rec-card")).unwrap();
        (0..cards.length()).map(|i| cards.item(i).unwrap().unchecked_into::<web_sys::Element>()).map(|c| (c.id(), c.get_attribute("data-id").unwrap())).collect::<Vec<_>>()
    };
    let open = cards("#open-recommendations");
    assert!(open.len() >= 3, "{open:?}");
    let ((ship_card, shipped), (reject_card, rejected)) = (open[0].clone(), open[1].clone());
    click(&root, &format!("#{ship_card} .mark-shipped"));
    leptos::task::tick().await;
    input(&root, &format!("#{ship_card} input.day"), "2026-11-20");
    click(&root, &format!("#{ship_card} .save-mark"));
    leptos::task::tick().await;
    click(&root, &format!("#{reject_card} .mark-rejected"));
    leptos::task::tick().await;
    input(&root, &format!("#{reject_card} input.reason"), "quality first");
    click(&root, &format!("#{reject_card} .save-mark"));
    leptos::task::tick().await;
    let decided: Vec<String> = cards("#decided-recommendations").into_iter().map(|(_, id)| id).collect();
    assert_eq!(decided, vec![shipped.clone(), rejected.clone()], "decided cards move down, in rank order");
    // Kept in this browser, in analysis.json's format, without the key.
    let kept: String = (0..storage().length().unwrap()).filter_map(|i| storage().key(i).unwrap()).find(|k| k.ends_with("demo.analysis")).map(|k| storage().get_item(&k).unwrap().unwrap()).expect("analysis.json kept");
    let json: serde_json::Value = serde_json::from_str(&kept).unwrap();
    let rec = |id: &str| json["recommendations"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!((rec(&shipped)["status"].as_str(), rec(&shipped)["on"].as_str()), (Some("shipped"), Some("2026-11-20")));
    assert_eq!((rec(&rejected)["status"].as_str(), rec(&rejected)["reason"].as_str()), (Some("rejected"), Some("quality first")));
    // A reload: a new page over the same storage offers the follow-up, then runs it.
    drop(h);
    let (root, _h) = mount();
    let kept_note = wait_for(&root, "#kept-demo", 2_000).await.text_content().unwrap();
    assert!(kept_note.contains("2 marked"), "{kept_note}");
    demo_done(&root).await;
    let settled = text(&root, "#settled");
    assert!(settled.contains("shipped on 2026-11-20") && settled.contains("rejected: quality first"), "{settled}");
    let cards = root.query_selector_all(".rec-card").unwrap();
    let proposed: Vec<String> = (0..cards.length()).map(|i| cards.item(i).unwrap().unchecked_into::<web_sys::Element>().get_attribute("data-id").unwrap()).collect();
    assert!(!proposed.contains(&shipped) && !proposed.contains(&rejected), "settled fixes are not proposed again: {proposed:?}");
    let targets = text(&root, "#targets-table");
    assert!(targets.contains("hit") || targets.contains("miss"), "the shipped fix's target is checked: {targets}");
    assert!(text(&root, "#report-html").contains("Not proposed again"), "the report follows up too");
}

#[wasm_bindgen_test]
async fn settings_survive_a_reload_and_the_key_does_not() {
    storage().clear().unwrap();
    let (root, h) = mount();
    input(&root, "#window-days", "30");
    input(&root, "#sample-size", "12");
    input(&root, "#api-key", "phx_not_kept");
    leptos::task::tick().await;
    demo_done(&root).await;
    drop(h);
    let (root, _h) = mount();
    leptos::task::tick().await;
    let value = |sel: &str| root.query_selector(sel).unwrap().unwrap().unchecked_into::<HtmlInputElement>().value();
    assert_eq!(value("#sample-size"), "12", "settings kept: {:?}", storage().get_item("trace-optimizer.settings").unwrap());
    assert_eq!(value("#api-key"), "", "the key is not kept without the opt-in");
    let all: String = (0..storage().length().unwrap()).filter_map(|i| storage().key(i).unwrap()).map(|k| storage().get_item(&k).unwrap().unwrap_or_default()).collect();
    assert!(!all.contains("phx_not_kept"), "nothing stored holds the key");
}

#[wasm_bindgen_test]
async fn tables_filter_and_cut_long_names() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    demo_done(&root).await;
    let rows = || root.query_selector_all("#operations-table tbody tr").unwrap().length();
    assert_eq!(rows(), 8);
    input(&root, "#operations-table-filter", "draft");
    leptos::task::tick().await;
    let first = text(&root, "#operations-table tbody tr td");
    assert!(rows() >= 1 && rows() < 8 && first.contains("draft"), "{} rows, first {first}", rows());
    let cost = root.query_selector("#operations-table tbody tr td:nth-child(3)").unwrap().unwrap();
    assert!(cost.class_list().contains("num"), "numbers are right-aligned");
}

#[wasm_bindgen_test]
async fn traces_filter_by_why_and_open_as_a_tree() {
    storage().clear().unwrap();
    let (root, _h) = mount();
    demo_done(&root).await;
    let all = root.query_selector_all("#traces-table tbody tr").unwrap().length();
    choose(&root, "#trace-why", "cost outlier");
    leptos::task::tick().await;
    let rows = root.query_selector_all("#traces-table tbody tr").unwrap();
    assert!(rows.length() > 0 && rows.length() < all, "{} of {all}", rows.length());
    for i in 0..rows.length() {
        assert!(rows.item(i).unwrap().text_content().unwrap().contains("cost outlier"));
    }
    click(&root, "#traces-table button.link");
    leptos::task::tick().await;
    let items = root.query_selector_all("#trace-tree [role=treeitem] .generation").unwrap();
    assert!(items.length() >= 1, "the trace's generations hang from it");
    let heads: Vec<String> = (0..items.length()).map(|i| items.item(i).unwrap().text_content().unwrap()).collect();
    let stamps: Vec<String> = heads.iter().map(|h| h.split(" · ").last().unwrap_or_default().chars().take(19).collect()).collect();
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_eq!(stamps, sorted, "in time order");
}

#[wasm_bindgen_test]
async fn the_theme_toggle_cycles_and_is_kept() {
    storage().clear().unwrap();
    let (root, h) = mount();
    let theme = || document().document_element().unwrap().get_attribute("data-theme").unwrap();
    let system = theme();
    click(&root, "#theme-toggle");
    leptos::task::tick().await;
    assert_eq!(theme(), "light");
    click(&root, "#theme-toggle");
    leptos::task::tick().await;
    assert_eq!(theme(), "dark");
    drop(h);
    let (root, _h) = mount();
    leptos::task::tick().await;
    assert_eq!(theme(), "dark", "kept across a reload");
    click(&root, "#theme-toggle");
    leptos::task::tick().await;
    assert_eq!(theme(), system, "back to the system's choice");
}

/// The browser's gzip and raw deflate, as the kept runs and the bundle use
/// them: what it compresses an independent inflater (flate2) reads back,
/// what flate2 compresses it reads back, and damaged input or output past
/// the limit is an error.
#[wasm_bindgen_test]
async fn the_browsers_compression_round_trips_with_an_independent_one() {
    use std::io::{Read, Write};
    use trace_optimizer::ui::compress::{compress, decompress, Format};
    let text = "a line of a report, compressed by the browser\n".repeat(400).into_bytes();
    let gz = compress(&text, Format::Gzip).await.unwrap();
    assert!(gz.len() < text.len() / 10, "{} of {}", gz.len(), text.len());
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
    assert_eq!(back, text);
    let raw = compress(&text, Format::DeflateRaw).await.unwrap();
    let mut back = Vec::new();
    flate2::read::DeflateDecoder::new(&raw[..]).read_to_end(&mut back).unwrap();
    assert_eq!(back, text);
    let mut theirs = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    theirs.write_all(&text).unwrap();
    let theirs = theirs.finish().unwrap();
    assert_eq!(decompress(&theirs, Format::Gzip, usize::MAX).await.unwrap(), text);
    let past = decompress(&gz, Format::Gzip, text.len() - 1).await.unwrap_err();
    assert!(past.contains("inflates past"), "{past}");
    assert_eq!(decompress(&gz, Format::Gzip, text.len()).await.unwrap(), text, "exactly at the limit");
    assert!(decompress(&gz[..gz.len() / 2], Format::Gzip, usize::MAX).await.is_err(), "cut short");
    assert!(decompress(b"not gzip at all", Format::Gzip, usize::MAX).await.is_err(), "not gzip");
}
