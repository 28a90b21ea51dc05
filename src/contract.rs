//! What the two data sources agree on: the caps, cuts and vocabularies that
//! the HogQL (`source::posthog::hogql`) and the in-memory source
//! (`source::memory`) apply identically, and that the analysis may read to
//! describe its input. A change here changes both sources' answers at once.

/// Most rows PostHog returns for one query with `LIMIT`.
pub const MAX_ROWS: u64 = 50_000;

/// Number of trace buckets (`cityHash64(trace_id) % 1000`), for reading the
/// per-trace rows in disjoint ranges and for sampling.
pub const BUCKETS: u16 = 1000;

/// Most generations read per trace when `traces` traces are read together:
/// the whole answer stays within PostHog's [`MAX_ROWS`].
pub fn generations_per_trace(traces: usize) -> u64 {
    (MAX_ROWS / traces.max(1) as u64).clamp(1, 1_000)
}

/// Gap (seconds) within which a repeated prefix would find the prompt cache
/// warm: Anthropic's default cache lifetime, and OpenAI's shortest.
pub const CACHE_WINDOW_S: i64 = 300;

/// Prompt lengths (characters) at which prefixes are compared. The first,
/// about 1,024 tokens, is the smallest prefix providers cache.
pub const PREFIX_CUTS: [u64; 6] = [4096, 6144, 8192, 16384, 32768, 65536];

/// Characters of an error message kept.
pub const ERROR_CHARS: u64 = 160;

/// Characters of prompt and output kept per generation for reading.
pub const EXCERPT_CHARS: u64 = 400;

/// Prompt size (input tokens) past which long-context prices apply to the
/// whole request.
pub const LONG_CONTEXT_TOKENS: u64 = 200_000;

/// Stop reasons that mean the output hit the token limit.
pub const TRUNCATION_STOP_REASONS: [&str; 3] = ["length", "max_tokens", "MAX_TOKENS"];
/// Stop reasons that mean the model asked for a tool.
pub const TOOL_STOP_REASONS: [&str; 2] = ["tool_calls", "tool_use"];

/// Most prefix groups returned.
pub const PREFIX_ROWS: usize = 200;
/// Most error groups returned.
pub const ERROR_ROWS: usize = 200;

/// Characters of an operation or model name kept. Anyone holding the public
/// project token can send events, so a name may be any length; real span and
/// model names are far shorter than this, and a 100,000-character one must
/// not reach the tables or the page.
pub const NAME_CHARS: u64 = 200;

/// Operations named in every answer: the most expensive of the window (see
/// [`rank_cost`]; ties by name). The rest are answered as one operation,
/// [`OTHER_OPERATIONS`], so a flood of made-up span names cannot push real
/// spend out of the tables, yet their calls and cost still count. Projects
/// seen have tens of operations.
pub const TOP_OPERATIONS: usize = 200;
/// Models named in every answer, as [`TOP_OPERATIONS`]; the rest are [`OTHER_MODELS`].
pub const TOP_MODELS: usize = 50;
/// The operation the operations past [`TOP_OPERATIONS`] are grouped under.
pub const OTHER_OPERATIONS: &str = "(other operations)";
/// The model the models past [`TOP_MODELS`] are grouped under.
pub const OTHER_MODELS: &str = "(other models)";

/// Nanodollars per dollar in [`rank_cost`].
pub const RANK_COST_UNITS: f64 = 1e9;

/// A call's weight when names are ranked by spend: PostHog's recorded cost
/// (missing as 0) in whole nanodollars, rounded down. Sums of whole numbers
/// are exact in any order (below 2^53, about $9M per name), so ClickHouse
/// and the in-memory source rank names identically.
pub fn rank_cost(cost_usd: Option<f64>) -> f64 {
    (cost_usd.unwrap_or(0.0) * RANK_COST_UNITS).floor()
}
