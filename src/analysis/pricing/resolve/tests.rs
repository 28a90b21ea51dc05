//! Resolution of real model names, and the rules' order on small tables.

use super::*;
use crate::analysis::pricing::ModelPrice;
use std::path::Path;

/// (`$ai_model`, `$ai_provider`) as the SDKs send them, with the bundled
/// snapshot's key and rule, or `None` for an unknown model.
type Case = (&'static str, &'static str, Option<(&'static str, Rule)>);

const CASES: &[Case] = &[
    ("gpt-4o", "openai", Some(("gpt-4o", Rule::Exact))),
    ("gpt-4o-mini", "openai", Some(("gpt-4o-mini", Rule::Exact))),
    ("gpt-4o-mini-2024-07-18", "openai", Some(("gpt-4o-mini-2024-07-18", Rule::Exact))),
    ("gpt-4o-2024-05-13", "", Some(("gpt-4o-2024-05-13", Rule::Exact))),
    ("gpt-4.1-nano", "openai", Some(("gpt-4.1-nano", Rule::Exact))),
    ("o3-mini", "openai", Some(("o3-mini", Rule::Exact))),
    ("GPT-4o", "openai", Some(("gpt-4o", Rule::CaseInsensitive))),
    ("openai/gpt-4o", "openai", Some(("gpt-4o", Rule::ProviderPrefix))),
    ("gpt-4o", "azure", Some(("azure/gpt-4o", Rule::ProviderPrefix))),
    ("gemini-2.5-pro", "gemini", Some(("gemini/gemini-2.5-pro", Rule::ProviderPrefix))),
    ("mistral-small-latest", "mistral", Some(("mistral/mistral-small-latest", Rule::ProviderPrefix))),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "bedrock", Some(("anthropic.claude-3-5-sonnet-20240620-v1:0", Rule::Exact))),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic", Some(("anthropic.claude-3-5-sonnet-20240620-v1:0", Rule::Exact))),
    ("claude-sonnet-4-5", "anthropic", Some(("claude-sonnet-4-5", Rule::Exact))),
    // Retired dated Claude ids: Anthropic's own entries are gone, Bedrock's (an alias for Claude) remain.
    ("claude-sonnet-4-20250514", "anthropic", Some(("anthropic.claude-sonnet-4-20250514-v1:0", Rule::VersionSuffix))),
    ("claude-3-5-haiku-20241022", "anthropic", Some(("anthropic.claude-3-5-haiku-20241022-v1:0", Rule::VersionSuffix))),
    ("claude-3-5-sonnet-20241022", "anthropic", Some(("anthropic.claude-3-5-sonnet-20241022-v2:0", Rule::VersionSuffix))),
    ("claude-3-7-sonnet-latest", "anthropic", Some(("anthropic.claude-3-7-sonnet-20250219-v1:0", Rule::VersionSuffix))),
    // Only Vertex lists Gemini 2.0 Flash, at another price than Google AI Studio's: no entry for `gemini`.
    ("gemini-2.0-flash-001", "gemini", None),
    ("gemini-2.0-flash", "gemini", None),
    ("gemini-2.0-flash-001", "vertex_ai", Some(("vertex_ai/gemini-2.0-flash", Rule::VersionSuffix))),
    ("gemini-2.0-flash", "vertex_ai-language-models", Some(("vertex_ai/gemini-2.0-flash", Rule::ProviderPrefix))),
    ("gpt-4o", "text-completion-openai", Some(("gpt-4o", Rule::Exact))),
    ("models/gemini-1.5-pro", "gemini", None),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "openai", Some(("ft:gpt-4o-mini-2024-07-18", Rule::LongestMatch))),
    // The emulator's fault-injection names (a status code appended to a real model).
    ("gpt-4o-500", "openai", Some(("gpt-4o", Rule::VersionSuffix))),
    ("claude-3-5-haiku-429", "anthropic", Some(("anthropic.claude-3-5-haiku-20241022-v1:0", Rule::VersionSuffix))),
    ("gpt-4.1-mini", "openai", Some(("gpt-4.1-mini", Rule::Exact))),
    ("gpt-4.1", "openai", Some(("gpt-4.1", Rule::Exact))),
    ("gpt-4o", "", Some(("gpt-4o", Rule::Exact))),
    ("acme-ft-42", "openai", None),
    ("mystery-model-x", "openai", None),
    ("gpt", "openai", None),
    ("claude", "anthropic", None),
    ("", "openai", None),
];

#[test]
fn real_model_names_resolve_by_the_expected_rule() {
    let table = PriceTable::bundled();
    let mut wrong = Vec::new();
    for &(model, provider, want) in CASES {
        let got = table.resolve_match(model, provider).map(|m| (m.entry.key.as_str(), m.rule));
        if got != want {
            wrong.push(format!("{model:?} ({provider:?}): got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn demo_models_get_their_list_prices() {
    let table = PriceTable::bundled();
    let price = |model: &str, provider: &str| table.resolve(model, provider).unwrap().price;
    let per_m = |p: ModelPrice| (p.input * 1e6, p.output * 1e6, p.cache_read.map(|x| x * 1e6), p.cache_write.map(|x| x * 1e6));
    let close = |a: (f64, f64, Option<f64>, Option<f64>), b: (f64, f64, Option<f64>, Option<f64>)| {
        let near = |x: f64, y: f64| (x - y).abs() < 1e-9;
        near(a.0, b.0) && near(a.1, b.1) && a.2.zip(b.2).is_none_or(|(x, y)| near(x, y)) && a.2.is_some() == b.2.is_some() && a.3.is_some() == b.3.is_some() && a.3.zip(b.3).is_none_or(|(x, y)| near(x, y))
    };
    let cases = [
        ("gpt-4o", "openai", (2.5, 10.0, Some(1.25), None)),
        ("gpt-4o-mini", "openai", (0.15, 0.6, Some(0.075), None)),
        ("claude-sonnet-4-20250514", "anthropic", (3.0, 15.0, Some(0.3), Some(3.75))),
        ("claude-3-5-haiku-20241022", "anthropic", (0.8, 4.0, Some(0.08), Some(1.0))),
        // Vertex's price; the table no longer lists Google AI Studio's ($0.10 / $0.40).
        ("gemini-2.0-flash-001", "vertex_ai", (0.15, 0.6, None, None)),
    ];
    for (model, provider, want) in cases {
        let got = per_m(price(model, provider));
        assert!(close(got, want), "{model}: got {got:?}, want {want:?}");
    }
}

/// Every (`$ai_model`, `$ai_provider`) of the emulator's fixtures is in [`CASES`].
#[test]
fn fixture_models_are_all_in_the_case_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/posthog_emulator/fixtures");
    let Ok(files) = std::fs::read_dir(&dir) else { return };
    let mut missing = Vec::new();
    for path in files.filter_map(Result::ok).map(|f| f.path()).filter(|p| p.extension().is_some_and(|e| e == "jsonl")) {
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            if event["event"] != "$ai_generation" {
                continue;
            }
            let (model, provider) = (event["properties"]["$ai_model"].as_str().unwrap_or(""), event["properties"]["$ai_provider"].as_str().unwrap_or(""));
            if !CASES.iter().any(|c| c.0 == model && c.1 == provider) {
                missing.push(format!("{model:?} ({provider:?}) in {}", path.display()));
            }
        }
    }
    assert!(missing.is_empty(), "add these to CASES:\n{}", missing.join("\n"));
}

fn table(json: &str) -> PriceTable {
    PriceTable::from_litellm_json(json).unwrap()
}

fn chat(provider: &str, input: f64) -> String {
    format!(r#"{{"litellm_provider":"{provider}","mode":"chat","input_cost_per_token":{input},"output_cost_per_token":{input}}}"#)
}

#[test]
fn the_events_provider_wins_over_a_stricter_rule_of_another() {
    let t = table(&format!(r#"{{"gpt-q":{},"azure/gpt-q":{}}}"#, chat("openai", 1.0), chat("azure", 2.0)));
    assert_eq!(t.resolve("gpt-q", "azure").map(|r| (r.key, r.rule)), Some(("azure/gpt-q".into(), "provider-prefix".into())));
    assert_eq!(t.resolve("gpt-q", "openai").map(|r| r.key), Some("gpt-q".into()));
    assert_eq!(t.resolve("gpt-q", "").map(|r| r.key), Some("gpt-q".into()));
}

#[test]
fn another_providers_exact_name_wins_over_a_longest_match() {
    let t = table(&format!(r#"{{"claude-w-4":{},"vertex_ai/claude-w-4-1":{}}}"#, chat("anthropic", 1.0), chat("vertex_ai-anthropic_models", 2.0)));
    let r = t.resolve("claude-w-4-1", "anthropic").unwrap();
    assert_eq!((r.key.as_str(), r.rule.as_str()), ("vertex_ai/claude-w-4-1", "provider-prefix"));
    let r = t.resolve("claude-w-4-2", "anthropic").unwrap();
    assert_eq!((r.key.as_str(), r.rule.as_str()), ("claude-w-4", "longest-match"));
}

#[test]
fn an_entry_of_another_provider_is_used_only_as_a_documented_alias() {
    let t = table(&format!(
        r#"{{"vertex_ai/gemini-z":{},"bedrock/claude-z-1":{},"openai/gpt-z":{}}}"#,
        chat("vertex_ai-language-models", 1.0),
        chat("bedrock", 2.0),
        chat("openai", 3.0)
    ));
    assert_eq!(t.resolve("gemini-z", "gemini"), None, "Google AI Studio is not Vertex AI");
    assert_eq!(t.resolve("gemini-z", "vertexai").map(|r| r.key), Some("vertex_ai/gemini-z".into()));
    let claude = t.resolve_match("claude-z-1", "anthropic").unwrap();
    assert_eq!((claude.entry.key.as_str(), claude.alias("anthropic")), ("bedrock/claude-z-1", true), "Claude is priced alike on its hosts");
    assert!(!claude.alias("bedrock_converse"));
    assert_eq!(t.resolve("claude-z-1", "azure"), None);
    assert_eq!(t.resolve("gpt-z", "azure"), None, "Azure's prices are Azure's entries");
    assert_eq!(t.resolve("gpt-z", "text-completion-openai").map(|r| r.key), Some("openai/gpt-z".into()));
    assert_eq!(t.resolve("gemini-z", "").map(|r| r.key), Some("vertex_ai/gemini-z".into()), "no provider named: any entry");
}

#[test]
fn longest_match_prefers_the_longest_key_and_needs_enough_characters() {
    let t = table(&format!(r#"{{"gpt-9":{},"gpt-9-mini":{},"gpt":{}}}"#, chat("openai", 1.0), chat("openai", 2.0), chat("openai", 3.0)));
    assert_eq!(t.resolve("gpt-9-mini-custom", "openai").map(|r| r.key), Some("gpt-9-mini".into()));
    assert_eq!(t.resolve("gpt-9-custom", "openai").map(|r| r.key), Some("gpt-9".into()));
    assert_eq!(t.resolve("gpt-9o", "openai"), None);
    assert_eq!(t.resolve("gpt-custom", "openai"), None);
}

#[test]
fn region_and_reseller_entries_yield_to_the_plain_one() {
    let t = table(&format!(
        r#"{{"us.anthropic.claude-v-9-20990101-v1:0":{},"anthropic.claude-v-9-20990101-v1:0":{},"deepinfra/anthropic/claude-v-9-latest":{}}}"#,
        chat("bedrock", 2.0),
        chat("bedrock", 1.0),
        chat("deepinfra", 3.0)
    ));
    assert_eq!(t.resolve("claude-v-9-latest", "anthropic").map(|r| r.key), Some("anthropic.claude-v-9-20990101-v1:0".into()));
    assert_eq!(t.resolve("deepinfra/anthropic/claude-v-9-latest", "deepinfra").map(|r| r.key), Some("deepinfra/anthropic/claude-v-9-latest".into()));
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_name_resolves_without_panicking(model in "\\PC{0,40}", provider in "\\PC{0,12}") {
            let _ = PriceTable::bundled().resolve(&model, &provider);
        }

        #[test]
        fn name_shaped_strings_resolve_without_panicking(model in "[a-zA-Z0-9@:/._é-]{0,40}", provider in "[a-z_.-]{0,12}") {
            if let Some(r) = PriceTable::bundled().resolve(&model, &provider) {
                prop_assert!(PriceTable::bundled().entry(&r.key).is_some());
            }
        }
    }
}
