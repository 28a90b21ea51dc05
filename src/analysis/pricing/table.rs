//! LiteLLM's price table: parsed from the live file or from the bundled
//! snapshot (written by `scripts/update-prices`), chat models only.

use super::names::{key_form, strip_version, Form};
use super::ModelPrice;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Where the browser fetches the live table (LiteLLM's file on GitHub, same
/// shape as the one in the `litellm` wheel).
pub const LITELLM_LIVE_URL: &str = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json";

/// LiteLLM modes whose prices apply to `$ai_generation` events.
pub const CHAT_MODES: [&str; 3] = ["chat", "completion", "responses"];

/// Keys of LiteLLM's file that are not models.
const NOT_MODELS: [&str; 2] = ["sample_spec", "fallback_generalizations"];

/// The snapshot's file name (written by `scripts/update-prices`). Native
/// builds and unit tests compile it in; the wasm app does not (about 41 KB
/// of its gzipped weight): trunk copies the file beside `index.html`, and
/// the page fetches it (`ui::live_prices`).
pub const SNAPSHOT_FILE: &str = "litellm_prices.json";

#[cfg(any(test, not(target_arch = "wasm32")))]
const SNAPSHOT: &str = include_str!("litellm_prices.json");

/// One model of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceEntry {
    /// The key in LiteLLM's table.
    pub key: String,
    /// LiteLLM's `litellm_provider`.
    pub provider: String,
    /// `chat`, `completion` or `responses`.
    pub mode: String,
    pub price: ModelPrice,
    /// Whether the cache prices were derived (Claude models without them in
    /// the table; see [`ModelPrice::fill_claude_cache_prices`]).
    pub cache_prices_derived: bool,
    pub max_input_tokens: Option<u64>,
    pub max_output_tokens: Option<u64>,
}

/// Which table the prices came from, for the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TableSource {
    /// `LiteLLM snapshot 2026-11-22 (litellm 1.109.1)` or `LiteLLM live`.
    pub label: String,
    /// The day the snapshot was taken (none for the live table).
    pub date: Option<String>,
    /// The `litellm` release the snapshot came from.
    pub litellm_version: Option<String>,
    pub live: bool,
}

/// LiteLLM's prices of chat models, indexed for [`PriceTable::resolve`](super::resolve).
#[derive(Clone, Debug)]
pub struct PriceTable {
    pub(super) entries: Vec<PriceEntry>,
    /// Each entry's key without its provider namespace.
    pub(super) forms: Vec<Form>,
    /// Each entry's namespace-free key without its version suffix.
    pub(super) versionless: Vec<String>,
    source: TableSource,
    pub(super) by_key: HashMap<String, usize>,
    pub(super) by_lower_key: HashMap<String, Vec<usize>>,
    pub(super) by_form: HashMap<String, Vec<usize>>,
    pub(super) by_versionless: HashMap<String, Vec<usize>>,
}

impl PriceTable {
    /// The snapshot compiled into native builds (and unit tests), parsed once.
    #[cfg(any(test, not(target_arch = "wasm32")))]
    pub fn bundled() -> &'static PriceTable {
        static TABLE: std::sync::OnceLock<PriceTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| PriceTable::from_snapshot_json(SNAPSHOT).expect("the bundled price snapshot parses"))
    }

    /// Parses LiteLLM's own file (`model_prices_and_context_window.json`).
    /// Entries that are not chat models, or lack a valid input or output
    /// price, are skipped; an invalid optional price counts as missing. Fails
    /// only when the text is not a JSON object or holds no usable model.
    pub fn from_litellm_json(text: &str) -> Result<PriceTable, String> {
        let root: Map<String, Value> = serde_json::from_str(text).map_err(|e| format!("LiteLLM price table is not a JSON object: {e}"))?;
        let entries = root
            .iter()
            .filter(|(key, _)| !NOT_MODELS.contains(&key.as_str()))
            .filter_map(|(key, v)| {
                let fields = v.as_object()?;
                entry(key, |f| fields.get(f))
            })
            .collect();
        let source = TableSource { label: "LiteLLM live".into(), live: true, ..TableSource::default() };
        PriceTable::new(entries, source)
    }

    /// Parses the compact snapshot written by `scripts/update-prices`: a
    /// `columns` list and one array per model in `models`.
    pub fn from_snapshot_json(text: &str) -> Result<PriceTable, String> {
        let root: Map<String, Value> = serde_json::from_str(text).map_err(|e| format!("price snapshot is not a JSON object: {e}"))?;
        let text_field = |f: &str| root.get(f).and_then(Value::as_str).map(str::to_string);
        let columns: Vec<&str> = root.get("columns").and_then(Value::as_array).map(|c| c.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let rows = root.get("models").and_then(Value::as_array).ok_or("price snapshot has no models")?;
        let entries = rows
            .iter()
            .filter_map(|row| {
                let row = row.as_array()?;
                let field = |f: &str| columns.iter().position(|c| *c == f).and_then(|i| row.get(i));
                entry(field("key")?.as_str()?, field)
            })
            .collect();
        let (date, version) = (text_field("snapshot_date"), text_field("litellm_version"));
        let label = format!("LiteLLM snapshot {} (litellm {})", date.as_deref().unwrap_or("undated"), version.as_deref().unwrap_or("unknown"));
        PriceTable::new(entries, TableSource { label, date, litellm_version: version, live: false })
    }

    fn new(entries: Vec<PriceEntry>, source: TableSource) -> Result<PriceTable, String> {
        if entries.is_empty() {
            return Err("the price table holds no chat model with prices".into());
        }
        let forms: Vec<Form> = entries.iter().map(|e| key_form(&e.key)).collect();
        let versionless: Vec<String> = forms.iter().map(|f| strip_version(&f.bare)).collect();
        let mut table = PriceTable {
            by_key: HashMap::new(),
            by_lower_key: HashMap::new(),
            by_form: HashMap::new(),
            by_versionless: HashMap::new(),
            entries,
            forms,
            versionless,
            source,
        };
        for (i, e) in table.entries.iter().enumerate() {
            table.by_key.insert(e.key.clone(), i);
            table.by_lower_key.entry(e.key.to_lowercase()).or_default().push(i);
            table.by_form.entry(table.forms[i].bare.clone()).or_default().push(i);
            table.by_versionless.entry(table.versionless[i].clone()).or_default().push(i);
        }
        Ok(table)
    }

    /// Where the prices came from.
    pub fn source(&self) -> &TableSource {
        &self.source
    }

    /// The models of the table, in the order they were read.
    pub fn entries(&self) -> &[PriceEntry] {
        &self.entries
    }

    /// The entry of an exact key.
    pub fn entry(&self, key: &str) -> Option<&PriceEntry> {
        self.by_key.get(key).map(|&i| &self.entries[i])
    }
}

/// One entry from its fields, or `None` when it is not a priced chat model.
fn entry<'a>(key: &str, field: impl Fn(&str) -> Option<&'a Value>) -> Option<PriceEntry> {
    let mode = field("mode")?.as_str()?;
    if !CHAT_MODES.contains(&mode) {
        return None;
    }
    let provider = field("litellm_provider").and_then(Value::as_str).unwrap_or_default();
    let number = |f: &str| field(f).and_then(as_price);
    let mut price = ModelPrice {
        input: number("input_cost_per_token")?,
        output: number("output_cost_per_token")?,
        cache_read: number("cache_read_input_token_cost"),
        cache_write: number("cache_creation_input_token_cost"),
        input_above_200k: number("input_cost_per_token_above_200k_tokens"),
        output_above_200k: number("output_cost_per_token_above_200k_tokens"),
        reasoning: number("output_cost_per_reasoning_token"),
        cache_write_1h: number("cache_creation_input_token_cost_above_1hr"),
    };
    let cache_prices_derived = price.fill_claude_cache_prices(key, provider);
    let limit = |f: &str| field(f).and_then(as_price).filter(|x| x.fract() == 0.0 && *x <= u64::MAX as f64).map(|x| x as u64);
    Some(PriceEntry {
        key: key.to_string(),
        provider: provider.to_string(),
        mode: mode.to_string(),
        price,
        cache_prices_derived,
        max_input_tokens: limit("max_input_tokens"),
        max_output_tokens: limit("max_output_tokens"),
    })
}

/// A finite, non-negative number (numeric strings accepted).
fn as_price(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (x.is_finite() && x >= 0.0).then_some(x)
}

#[cfg(test)]
mod tests;
