//! Parsing LiteLLM's file and the bundled snapshot.

use super::*;

#[test]
fn bundled_snapshot_parses_with_its_source() {
    let t = PriceTable::bundled();
    assert!(t.entries().len() > 3000, "{} entries", t.entries().len());
    assert!(t.entries().iter().all(|e| CHAT_MODES.contains(&e.mode.as_str())));
    let s = t.source();
    assert!(!s.live);
    let (date, version) = (s.date.as_deref().unwrap(), s.litellm_version.as_deref().unwrap());
    assert_eq!(s.label, format!("LiteLLM snapshot {date} (litellm {version})"));
    assert_eq!(date.len(), 10, "{date}");
}

#[test]
fn bundled_snapshot_has_openais_list_prices() {
    let gpt4o = PriceTable::bundled().entry("gpt-4o").unwrap();
    assert_eq!((gpt4o.provider.as_str(), gpt4o.mode.as_str()), ("openai", "chat"));
    assert_eq!(gpt4o.price, ModelPrice { input: 2.5e-6, output: 10e-6, cache_read: Some(1.25e-6), ..ModelPrice::default() });
    assert_eq!((gpt4o.max_input_tokens, gpt4o.max_output_tokens), (Some(128_000), Some(16_384)));
    let mini = PriceTable::bundled().entry("gpt-4o-mini").unwrap();
    assert_eq!((mini.price.input, mini.price.output, mini.price.cache_read), (0.15e-6, 0.6e-6, Some(0.075e-6)));
}

const LIVE: &str = r#"{
  "sample_spec": {"mode": "chat", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of ..."},
  "fallback_generalizations": {"rules": []},
  "gpt-x": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 4e-06,
            "cache_read_input_token_cost": 5e-07, "max_input_tokens": 128000, "max_output_tokens": 16384, "supports_vision": true},
  "gemini/gemini-y": {"litellm_provider": "gemini", "mode": "chat", "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05,
            "input_cost_per_token_above_200k_tokens": 2.5e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
            "output_cost_per_reasoning_token": 1.2e-05},
  "claude-z": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05},
  "text-model": {"litellm_provider": "openai", "mode": "completion", "input_cost_per_token": "2e-06", "output_cost_per_token": 2e-06,
            "cache_read_input_token_cost": "cheap", "max_input_tokens": 4096.5},
  "embed": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-07, "output_cost_per_token": 0},
  "no-mode": {"litellm_provider": "openai", "input_cost_per_token": 1e-07, "output_cost_per_token": 0},
  "no-output": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1e-07},
  "negative": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": -1e-07, "output_cost_per_token": 1e-07},
  "words": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": "free", "output_cost_per_token": null},
  "per-second": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_second": 0.001},
  "a-list": [1, 2, 3],
  "a-number": 7,
  "": {}
}"#;

#[test]
fn live_table_skips_junk_entries() {
    let t = PriceTable::from_litellm_json(LIVE).unwrap();
    let mut keys: Vec<&str> = t.entries().iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["claude-z", "gemini/gemini-y", "gpt-x", "text-model"]);
    assert_eq!(t.source().label, "LiteLLM live");
    assert!(t.source().live);
    let gemini = &t.entry("gemini/gemini-y").unwrap().price;
    assert_eq!((gemini.input_above_200k, gemini.output_above_200k, gemini.reasoning), (Some(2.5e-6), Some(15e-6), Some(12e-6)));
    // A numeric string is a number; an invalid optional price or limit is missing.
    let text = t.entry("text-model").unwrap();
    assert_eq!((text.price.input, text.price.cache_read, text.max_input_tokens), (2e-6, None, None));
    // Claude without cache prices in the table: Anthropic's multipliers, marked as derived.
    let claude = t.entry("claude-z").unwrap();
    assert!(claude.cache_prices_derived);
    assert_eq!(claude.price.cache_write, Some(3e-6 * 1.25));
    assert!(!t.entry("gpt-x").unwrap().cache_prices_derived);
}

#[test]
fn unusable_tables_are_errors_not_panics() {
    for text in ["", "null", "[]", "{", r#"{"a": 1}"#, r#"{"sample_spec": {"mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0}}"#, "<html>rate limited</html>"] {
        assert!(PriceTable::from_litellm_json(text).is_err(), "{text}");
        assert!(PriceTable::from_snapshot_json(text).is_err(), "{text}");
    }
}

#[test]
fn snapshot_shape_reads_like_the_live_shape() {
    let snapshot = r#"{"litellm_version":"1.2.3","snapshot_date":"2026-01-02",
      "columns":["key","litellm_provider","mode","input_cost_per_token","output_cost_per_token","cache_read_input_token_cost","cache_creation_input_token_cost","input_cost_per_token_above_200k_tokens","output_cost_per_token_above_200k_tokens","output_cost_per_reasoning_token","max_input_tokens","max_output_tokens"],
      "models":[
        ["claude-z","anthropic","chat",3e-06,1.5e-05],
        ["gemini/gemini-y","gemini","chat",1.25e-06,1e-05,null,null,2.5e-06,1.5e-05,1.2e-05],
        ["gpt-x","openai","chat",1e-06,4e-06,5e-07,null,null,null,null,128000,16384],
        ["text-model","openai","completion",2e-06,2e-06],
        ["broken","openai","chat","x"],
        "not a row"
      ]}"#;
    let snap = PriceTable::from_snapshot_json(snapshot).unwrap();
    let live = PriceTable::from_litellm_json(LIVE).unwrap();
    let sorted = |t: &PriceTable| {
        let mut v = t.entries().to_vec();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    };
    assert_eq!(sorted(&snap), sorted(&live));
    assert_eq!(snap.source().label, "LiteLLM snapshot 2026-01-02 (litellm 1.2.3)");
}
