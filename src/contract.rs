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

/// Characters of a prompt whose hash groups repeated prefixes: about 1,024
/// tokens, the smallest prefix providers cache.
pub const PREFIX_GROUP_CHARS: u64 = 4096;

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

/// Most characters of a prefix group's common prompt prefix measured
/// (`PrefixRow::shared_chars`): 131,072 characters, about 32k tokens, well
/// past any system prompt worth caching, while bounding what PostHog
/// aggregates per group (the smallest and largest prompt, cut to this length)
/// and what the in-memory source keeps per prompt.
pub const SHARED_PREFIX_MAX_CHARS: u64 = 131_072;
