//! The demo project's cast: its models with the prices PostHog's ingestion
//! applies, and its operations with their token shapes.

/// A model the demo calls, with PostHog's ingestion prices (USD per 1M tokens).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemoModel {
    pub name: &'static str,
    pub provider: &'static str,
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    /// Output tokens per second, for latencies.
    pub tokens_per_s: f64,
    /// Whether PostHog's cost table knows this exact name (unknown: no cost).
    pub priced_by_posthog: bool,
}

pub const GPT_4O: DemoModel = DemoModel {
    name: "gpt-4o",
    provider: "openai",
    input: 2.5,
    output: 10.0,
    cache_read: 1.25,
    cache_write: 0.0,
    tokens_per_s: 80.0,
    priced_by_posthog: true,
};
pub const GPT_4O_MINI: DemoModel = DemoModel {
    name: "gpt-4o-mini",
    provider: "openai",
    input: 0.15,
    output: 0.6,
    cache_read: 0.075,
    cache_write: 0.0,
    tokens_per_s: 110.0,
    priced_by_posthog: true,
};
pub const CLAUDE_SONNET: DemoModel = DemoModel {
    name: "claude-sonnet-4-20250514",
    provider: "anthropic",
    input: 3.0,
    output: 15.0,
    cache_read: 0.3,
    cache_write: 3.75,
    tokens_per_s: 60.0,
    priced_by_posthog: true,
};
pub const CLAUDE_HAIKU: DemoModel = DemoModel {
    name: "claude-3-5-haiku-20241022",
    provider: "anthropic",
    input: 0.8,
    output: 4.0,
    cache_read: 0.08,
    cache_write: 1.0,
    tokens_per_s: 120.0,
    priced_by_posthog: true,
};
/// A dated Vertex AI model id PostHog's table does not list: its calls
/// arrive unpriced. Its list price is LiteLLM's for `vertex_ai/gemini-2.0-flash`.
pub const GEMINI_FLASH: DemoModel = DemoModel {
    name: "gemini-2.0-flash-001",
    provider: "vertex_ai",
    input: 0.15,
    output: 0.6,
    cache_read: 0.0375,
    cache_write: 0.0,
    tokens_per_s: 150.0,
    priced_by_posthog: false,
};

/// Every model of the demo.
pub const MODELS: [DemoModel; 5] = [GPT_4O, GPT_4O_MINI, CLAUDE_SONNET, CLAUDE_HAIKU, GEMINI_FLASH];

/// Token counts of one call, as the provider reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    /// Anthropic: excludes cache reads and writes. Others: includes cache reads.
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl DemoModel {
    /// The cost PostHog's ingestion adds: (input, output) in USD, following
    /// each provider's token accounting.
    pub fn cost(&self, u: &Usage) -> (f64, f64) {
        let per = |tokens: u64, price: f64| tokens as f64 * price / 1e6;
        let input = if self.provider == "anthropic" {
            per(u.input, self.input) + per(u.cache_read, self.cache_read) + per(u.cache_write, self.cache_write)
        } else {
            per(u.input.saturating_sub(u.cache_read), self.input) + per(u.cache_read, self.cache_read)
        };
        (input, per(u.output, self.output))
    }

    /// Total cost in USD.
    pub fn total_cost(&self, u: &Usage) -> f64 {
        let (i, o) = self.cost(u);
        i + o
    }
}

/// The operations (span names) of the demo's support assistant, in pipeline order.
pub mod ops {
    pub const SAFETY_CHECK: &str = "safety_check";
    pub const CLASSIFY_INTENT: &str = "classify_intent";
    pub const RETRIEVE_CONTEXT: &str = "retrieve_context";
    pub const AGENT_STEP: &str = "agent_step";
    pub const DRAFT_ANSWER: &str = "draft_answer";
    pub const GENERATE_TITLE: &str = "generate_title";
    pub const EXTRACT_ENTITIES: &str = "extract_entities";
    pub const SUMMARIZE_THREAD: &str = "summarize_thread";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_token_accounting() {
        let u = Usage { input: 1_000_000, output: 0, cache_read: 1_000_000, cache_write: 0 };
        // OpenAI counts cached tokens inside input: all of it is a cache read.
        assert!((GPT_4O.total_cost(&u) - 1.25).abs() < 1e-12);
        // Anthropic reports them apart: full input plus the cache read.
        assert!((CLAUDE_SONNET.total_cost(&u) - 3.3).abs() < 1e-12);
    }
}
