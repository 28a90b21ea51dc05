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
/// with their spans ([`spans_per_trace`]), the whole answer stays within PostHog's [`MAX_ROWS`].
pub fn generations_per_trace(traces: usize) -> u64 {
    ((MAX_ROWS - SPAN_ROWS) / traces.max(1) as u64).clamp(1, 1_000)
}

/// Rows of `$ai_span` events round 2 reads at most, across its traces.
pub const SPAN_ROWS: u64 = 10_000;

/// Most spans kept per trace when `traces` traces are read together. The
/// query reads one more per trace, which tells that a trace had more.
pub fn spans_per_trace(traces: usize) -> u64 {
    (SPAN_ROWS / traces.max(1) as u64).clamp(2, 201) - 1
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

/// Stop reasons that mean the output hit the token limit, lower-cased (both
/// sources compare `lower($ai_stop_reason)`, so Gemini's `MAX_TOKENS` is
/// `max_tokens`): OpenAI chat and the Vercel AI SDK send `length`, Anthropic
/// and Gemini `max_tokens`, and the OpenAI Responses API the response status,
/// `incomplete` (the token limit, or more rarely a content filter), which
/// PostHog's Python SDK replaces by its reason, `max_output_tokens`.
pub const TRUNCATION_STOP_REASONS: [&str; 4] = ["length", "max_tokens", "incomplete", "max_output_tokens"];
/// Stop reasons that mean the model asked for a tool, lower-cased: OpenAI
/// chat `tool_calls`, Anthropic `tool_use`, the Vercel AI SDK `tool-calls`.
/// Gemini and the Responses API end a tool call with `STOP` and `completed`,
/// which no stop reason tells apart.
pub const TOOL_STOP_REASONS: [&str; 3] = ["tool_calls", "tool_use", "tool-calls"];

/// Most prefix groups returned.
pub const PREFIX_ROWS: usize = 200;
/// Most error groups returned.
pub const ERROR_ROWS: usize = 200;

/// The most one call can plausibly cost (USD). The priciest models bill tens
/// of dollars for a million tokens, so a single call above this is a unit or
/// recording error, and summing it would swamp every real cost.
pub const MAX_COST_USD: f64 = 1_000.0;
/// The most tokens one count of one call can plausibly hold: ten times the
/// largest context windows offered (1 to 2 million tokens).
pub const MAX_TOKENS: u64 = 10_000_000;
/// The longest one call can plausibly take (seconds): a day. Longer is a
/// clock or unit error (milliseconds recorded as seconds), not a slow call.
pub const MAX_LATENCY_S: f64 = 86_400.0;

/// How a number property is read. Values that are negative, not finite, not
/// a number (an integer, for counts) or above `max` are read as missing, and
/// counted per property in the overview's data quality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumberRead {
    /// `toFloat`, from 0 to `max`.
    Float { max: f64 },
    /// `toInt`, from 0 to `max`.
    Count { max: u64 },
}

/// The number properties both sources read, with their reading.
pub const NUMBER_PROPERTIES: [(&str, NumberRead); 10] = [
    ("$ai_total_cost_usd", NumberRead::Float { max: MAX_COST_USD }),
    ("$ai_input_cost_usd", NumberRead::Float { max: MAX_COST_USD }),
    ("$ai_output_cost_usd", NumberRead::Float { max: MAX_COST_USD }),
    ("$ai_latency", NumberRead::Float { max: MAX_LATENCY_S }),
    ("$ai_input_tokens", NumberRead::Count { max: MAX_TOKENS }),
    ("$ai_output_tokens", NumberRead::Count { max: MAX_TOKENS }),
    ("$ai_cache_read_input_tokens", NumberRead::Count { max: MAX_TOKENS }),
    ("$ai_cache_creation_input_tokens", NumberRead::Count { max: MAX_TOKENS }),
    ("$ai_reasoning_tokens", NumberRead::Count { max: MAX_TOKENS }),
    ("$ai_max_tokens", NumberRead::Count { max: MAX_TOKENS }),
];

/// The most float property `property` may hold: its limit in
/// [`NUMBER_PROPERTIES`], else the largest finite float.
pub fn float_max(property: &str) -> f64 {
    match NUMBER_PROPERTIES.iter().find(|(p, _)| *p == property) {
        Some((_, NumberRead::Float { max })) => *max,
        _ => f64::MAX,
    }
}

/// Float property `prop` in HogQL as both sources read it: from 0 to its
/// limit ([`float_max`]), else null: junk, negatives, `nan` (no comparison
/// holds), `inf` and absurd values. Shared by the queries and the printed
/// measurement HogQL. `toFloat` reads the same whether PostHog types the
/// property as text or, from its property definition, as a number (then
/// `toFloat(toFloat(x))`).
pub fn hogql_float(prop: &str) -> String {
    let max = float_max(prop);
    format!("if(toFloat(properties.{prop}) >= 0 AND toFloat(properties.{prop}) <= {max}, toFloat(properties.{prop}), NULL)")
}

/// Count property `prop` in HogQL as both sources read it: a whole number
/// from 0 to its limit ([`count_max`]), else null: junk, fractions,
/// negatives, absurd values. Read through `toFloat`, so that `12`, `"12"`
/// and `12.0` are 12 whether PostHog types the property as text or as a
/// number (`toInt` of text refuses `12.0`, `toInt` of a number takes it).
pub fn hogql_count(prop: &str) -> String {
    let max = count_max(prop);
    let f = format!("toFloat(properties.{prop})");
    format!("if({f} >= 0 AND {f} <= {max} AND {f} = floor({f}), toInt({f}), NULL)")
}

/// String property `prop` in HogQL: `toString(properties.{prop})`, its text
/// whatever type PostHog's property definitions give it. A property first
/// seen with a number or a date is typed so, and read bare it is a number or
/// a date, on which `nullIf(x, '')` and `coalesce(x, '')` fail.
pub fn hogql_text(prop: &str) -> String {
    format!("toString(properties.{prop})")
}

/// Whether boolean property `prop` is true in HogQL: its text is `true`. The
/// SDKs send JSON `true`; PostHog may type the property as a boolean
/// (`toBool(...)`), whose text is `true` too, or leave it text.
pub fn hogql_true(prop: &str) -> String {
    format!("{} = 'true'", hogql_text(prop))
}

/// Whether property `prop` holds something in HogQL: not absent, `null` or
/// `""`. Read from the raw JSON, which PostHog's property types leave alone,
/// so that a value a typed read turns into null (text in a number property)
/// still counts as there.
pub fn hogql_present(prop: &str) -> String {
    format!("JSONExtractRaw(properties, '{prop}') NOT IN ('', 'null', '\"\"')")
}

/// The most count property `property` may hold: its limit in
/// [`NUMBER_PROPERTIES`], else the largest 64-bit integer.
pub fn count_max(property: &str) -> u64 {
    match NUMBER_PROPERTIES.iter().find(|(p, _)| *p == property) {
        Some((_, NumberRead::Count { max })) => *max,
        _ => i64::MAX as u64,
    }
}

/// Characters of an operation or model name kept. Anyone holding the public
/// project token can send events, so a name may be any length; real span and
/// model names are far shorter than this, and a 100,000-character one must
/// not reach the tables or the page.
pub const NAME_CHARS: u64 = 200;

/// Operations named in every answer: the most expensive of the window (see
/// [`rank_cost`]; ties by calls, so a real operation PostHog could not price
/// still outranks one-call junk names, then by name). The rest are answered as one operation,
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

/// Most characters of a prefix group's common prompt prefix measured
/// (`PrefixRow::shared_chars`): 131,072 characters, about 32k tokens, well
/// past any system prompt worth caching, while bounding what PostHog
/// aggregates per group (the smallest and largest prompt, cut to this length)
/// and what the in-memory source keeps per prompt.
pub const SHARED_PREFIX_MAX_CHARS: u64 = 131_072;

/// The events the quality-signals query reads beside the generations:
/// evaluations, user feedback, custom metrics and embedding calls.
pub const SIGNAL_EVENTS: [&str; 4] = ["$ai_evaluation", "$ai_feedback", "$ai_metric", "$ai_embedding"];

/// Rows of the quality-signals answer kept (kind, name, operation, model,
/// provider groups, in that order): far above what a project sends (a few
/// evaluations over tens of operations and models), yet bounded against a
/// flood of made-up evaluation or metric names.
pub const SIGNAL_ROWS: usize = 2_000;

/// A verdict read as a pass: `$ai_evaluation_result` (PostHog's evaluations
/// send a JSON boolean; typed as a boolean its text is `true` as well), a
/// `$ai_feedback_text` or `$ai_metric_value` that is a verdict word. Lower-cased
/// (ASCII, as ClickHouse's `lower`); anything else is no verdict.
pub const PASS_WORDS: [&str; 5] = ["true", "pass", "passed", "positive", "yes"];
/// A verdict read as a failure, as [`PASS_WORDS`].
pub const FAIL_WORDS: [&str; 5] = ["false", "fail", "failed", "negative", "no"];

/// Largest magnitude of a numeric signal value (an evaluation's numeric
/// score, a metric's value) summed; past it, or not finite, it is missing.
pub const MAX_SIGNAL_VALUE: f64 = 1e12;
/// The pseudo-key the segments query answers each generation's
/// `distinct_id` under (no custom property can be named so: keys starting
/// with `$` are PostHog's own, see [`segment_key`]).
pub const USER_KEY: &str = "$distinct_id";
/// The value the values past a key's top ones are answered under.
pub const OTHER_VALUES: &str = "(other values)";
/// Property keys of one event read for segments: its first keys in byte
/// order that [`segment_key`] accepts. Real instrumentation tags an event
/// with a handful; the cap bounds what one event with thousands of keys adds.
pub const SEGMENT_PAIRS_PER_EVENT: usize = 64;
/// Property keys answered: the ones most generations carry (ties by key),
/// counting a generation once per key it carries (its own or its trace's).
pub const SEGMENT_KEYS: usize = 30;
/// Values of one property answered by name: the most expensive (by
/// [`rank_cost`] summed, then calls, then value); the rest are one
/// [`OTHER_VALUES`] row. Experiments have two to a few variants and
/// tiers a handful, so 25 names every real segment value.
pub const SEGMENT_VALUES: usize = 25;
/// Users (`distinct_id`s) answered by name, the most expensive first; the
/// rest are one [`OTHER_VALUES`] row. The shares of the top 1% and 10% and
/// the p95 cost per user stay exact up to 200,000, 20,000 and 40,000 users.
pub const SEGMENT_USERS: usize = 10_000;

/// Whether property key `key` is one the segments read: a custom key (not
/// starting with `$`, PostHog's and the SDKs' own), or a feature flag's
/// variant (`$feature/<flag>`).
pub fn segment_key(key: &str) -> bool {
    !key.starts_with('$') || key.starts_with("$feature/")
}

/// How a generation's operation is named: the first of these rules that
/// gives a name, in this order, applied alike by both sources. Real SDKs
/// often send no `$ai_span_name` (the plain OpenAI and Anthropic wrappers) or
/// a client class (LangChain's `ChatOpenAI`), so the span name alone would
/// fold a whole project into one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Naming {
    /// The generation's own `$ai_span_name`, when it [names a step](names_a_step).
    SpanName,
    /// The name of its parent `$ai_span` (the one whose `$ai_span_id` is the
    /// generation's `$ai_parent_id`), when that names a step. A parent that
    /// is the trace itself is no span: the next rule names it.
    ParentSpan,
    /// The name of its trace's `$ai_trace` event: `$ai_span_name`, else
    /// `$ai_trace_name`, the first that names a step, as PostHog's trace view
    /// reads it; of several such events, the earliest.
    TraceName,
    /// The identity of its prompt ([`PROMPT_OPENING_CHARS`]).
    Prompt,
    /// Its model, as `model gpt-4o-mini`.
    Model,
    /// None of these: `unnamed`.
    Unnamed,
}

impl Naming {
    /// Every rule, in the order tried.
    pub const ALL: [Naming; 6] = [Naming::SpanName, Naming::ParentSpan, Naming::TraceName, Naming::Prompt, Naming::Model, Naming::Unnamed];

    /// The rule's position in [`Naming::ALL`], as the HogQL numbers it.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Span names that name a client class rather than a step, exactly: SDK and
/// LangChain classes that none of [`CLIENT_CLASS_PREFIXES`] and
/// [`CLIENT_CLASS_SUFFIXES`] catch (LangChain names a call's span after the
/// class that made it; `AgentExecutor` and `LangGraph` are its default names
/// of an agent run).
pub const CLIENT_CLASS_NAMES: [&str; 16] = [
    "OpenAI", "AzureOpenAI", "Anthropic", "AnthropicVertex", "Bedrock", "Cohere", "Fireworks", "GoogleGenerativeAI", "HuggingFaceEndpoint", "HuggingFaceHub", "HuggingFacePipeline", "Ollama", "Replicate", "Together", "VertexAI", "AgentExecutor",
];
/// Class-name prefixes: a name that is one of these followed by an upper-case
/// ASCII letter and more ASCII letters or digits is a class (`ChatOpenAI`,
/// `AzureChatOpenAI`, `ChatAnthropic`, `ChatGoogleGenerativeAI`,
/// `RunnableSequence`); a `Runnable` may end with its keys in angle brackets
/// (`RunnableParallel<outline>`). A step a user names `ChatBot` is read as a class too.
pub const CLIENT_CLASS_PREFIXES: [&str; 3] = ["Chat", "AzureChat", "Runnable"];
/// Class-name suffixes: a name of ASCII letters and digits, starting with an
/// upper-case letter, that ends with one of these after at least one more
/// character is a class (`FakeListLLM`, `ChatPromptTemplate`, `StrOutputParser`).
pub const CLIENT_CLASS_SUFFIXES: [&str; 3] = ["LLM", "PromptTemplate", "OutputParser"];

/// [`is_client_class`] as an RE2 pattern, for HogQL's `match`.
pub fn client_class_pattern() -> String {
    let word = "[A-Za-z0-9]*";
    let mut alternatives = vec![format!("(Azure)?Chat[A-Z]{word}"), format!("Runnable[A-Z]{word}(<.*>)?"), format!("[A-Z]{word}({})", CLIENT_CLASS_SUFFIXES.join("|"))];
    alternatives.extend(CLIENT_CLASS_NAMES.iter().map(|n| n.to_string()));
    format!("^({})$", alternatives.join("|"))
}

/// Whether a span name names a client class ([`CLIENT_CLASS_NAMES`],
/// [`CLIENT_CLASS_PREFIXES`], [`CLIENT_CLASS_SUFFIXES`]), exactly as
/// [`client_class_pattern`] matches it.
pub fn is_client_class(name: &str) -> bool {
    let word = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    let class = |s: &str| s.as_bytes().first().is_some_and(u8::is_ascii_uppercase) && word(s);
    let chat = |s: &str| s.strip_prefix("AzureChat").or_else(|| s.strip_prefix("Chat")).is_some_and(class);
    let runnable = |s: &str| {
        s.strip_prefix("Runnable").is_some_and(|rest| {
            let head = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
            let keys = &rest[head..];
            class(&rest[..head]) && (keys.is_empty() || (keys.len() >= 2 && keys.starts_with('<') && keys.ends_with('>') && !keys.contains('\n')))
        })
    };
    let suffixed = |s: &str| class(s) && CLIENT_CLASS_SUFFIXES.iter().any(|x| s.len() > x.len() && s.ends_with(x));
    CLIENT_CLASS_NAMES.contains(&name) || chat(name) || runnable(name) || suffixed(name)
}

/// Whether a span or trace name names a step: not empty and not a client class.
pub fn names_a_step(name: &str) -> bool {
    !name.is_empty() && !is_client_class(name)
}

/// Characters of a prompt's first message (its content, or its first part's
/// `text`) that make the prompt's identity under [`Naming::Prompt`]: calls
/// of one step share a system prompt or template far longer than this, and
/// what follows it (the user's question, a document) varies per call.
pub const PROMPT_OPENING_CHARS: u64 = 200;
/// Characters of the opening, its whitespace runs made one space and trimmed,
/// shown in a prompt's operation name: `prompt "You are a support agent…" #a1b2`.
pub const PROMPT_LABEL_CHARS: u64 = 24;
/// Hex digits of the opening's `cityHash64` in a prompt's operation name,
/// telling apart prompts whose first words agree.
pub const PROMPT_HASH_DIGITS: usize = 4;

/// Seconds before and after the window within which `$ai_span` and
/// `$ai_trace` events still name the window's generations: SDKs send a span
/// or a trace when it ends, after the calls within it, and runs of an hour
/// are rare.
pub const NAME_EVENTS_MARGIN_S: i64 = 3_600;

/// The naming rule in HogQL, for the queries and the printed measurement HogQL.
#[derive(Clone, Debug, PartialEq)]
pub struct HogqlNaming {
    /// The joins to write after `FROM events`: the step names of the
    /// `$ai_span` events (`span_names`) and of the `$ai_trace` events
    /// (`trace_names`) for which `names_window` holds.
    pub joins: String,
    /// Select items over `events` and the joins, each reading those before it
    /// by alias and ending in `naming` (the [`Naming`] rule that named the
    /// generation, as its [`Naming::index`]) and `operation_name` (its
    /// operation, uncut). The prompt's first message is read out of
    /// `$ai_input` once, and only where no step name names the generation
    /// (ClickHouse evaluates the branches of `if` lazily).
    pub columns: String,
}

/// The naming rule in HogQL, with `names_window` the condition on
/// `timestamp` that selects the naming events read. Written once per query
/// and flat (each step a named column): PostHog's HogQL parser takes time
/// that grows steeply with how deeply calls nest.
pub fn hogql_naming(names_window: &str) -> HogqlNaming {
    let text = |p: &str| format!("toString(properties.{p})");
    let pattern = client_class_pattern();
    let trace = format!("coalesce({}, '')", text("$ai_trace_id"));
    let (span_name, trace_name) = (text("$ai_span_name"), text("$ai_trace_name"));
    let seen = "tuple(timestamp, toString(uuid)) AS seen";
    let named = |name: &str| format!("{name} != '' AND NOT match({name}, '{pattern}')");
    let joins = format!(
        " LEFT JOIN (SELECT parent_trace, parent_span, argMin(span_name, seen) AS parent_name FROM (SELECT {trace} AS parent_trace, coalesce({span}, '') AS parent_span, \
         coalesce({span_name}, '') AS span_name, {seen} FROM events WHERE event = '$ai_span' AND {names_window}) \
         WHERE {span_step} AND parent_trace != '' AND parent_span != '' GROUP BY parent_trace, parent_span) AS span_names \
         ON {trace} = span_names.parent_trace AND coalesce({parent}, '') = span_names.parent_span \
         LEFT JOIN (SELECT run_trace, argMin(if(span_step, span_name, trace_name), seen) AS run_name FROM (SELECT {trace} AS run_trace, \
         coalesce({span_name}, '') AS span_name, coalesce({trace_name}, '') AS trace_name, {} AS span_step, {} AS trace_step, {seen} \
         FROM events WHERE event = '$ai_trace' AND {names_window}) WHERE (span_step OR trace_step) AND run_trace != '' GROUP BY run_trace) AS trace_names \
         ON {trace} = trace_names.run_trace",
        named("span_name"),
        named("trace_name"),
        span = text("$ai_span_id"),
        parent = text("$ai_parent_id"),
        span_step = named("span_name"),
    );
    let (prompt, model, unnamed) = (Naming::Prompt.index(), Naming::Model.index(), Naming::Unnamed.index());
    let columns = [
        format!("coalesce({span_name}, '') AS own_name"),
        format!("own_name != '' AND NOT match(own_name, '{pattern}') AS own_step"),
        "coalesce(span_names.parent_name, '') AS parent_name".to_string(),
        "coalesce(trace_names.run_name, '') AS run_name".to_string(),
        // The rule when a step's name names the generation, else the prompt's rule, tried next.
        format!("multiIf(own_step, {}, parent_name != '', {}, run_name != '', {}, {prompt}) AS step_rule", Naming::SpanName.index(), Naming::ParentSpan.index(), Naming::TraceName.index()),
        // The first message's content (ClickHouse's index 1: an array's first element, an
        // object's first member), read only for generations no step name names.
        format!("if(step_rule = {prompt}, JSONExtractRaw(coalesce({}, ''), 1, 'content'), '') AS first_content", text("$ai_input")),
        "if(JSONType(first_content) = 'String', first_content, JSONExtractRaw(first_content, 1, 'text')) AS first_text".to_string(),
        format!("substringUTF8(if(JSONType(first_text) = 'String', JSONExtractString(first_text), ''), 1, {PROMPT_OPENING_CHARS}) AS opening"),
        format!("coalesce({}, '') AS naming_model", text("$ai_model")),
        format!("multiIf(step_rule != {prompt}, step_rule, opening != '', {prompt}, naming_model != '', {model}, {unnamed}) AS naming"),
        format!("if(naming = {prompt}, trim(replaceRegexpAll(opening, '[[:space:]]+', ' ')), '') AS prompt_words"),
        format!("if(naming = {prompt}, substring(lower(leftPad(hex(cityHash64(opening)), 16, '0')), 1, {PROMPT_HASH_DIGITS}), '') AS prompt_hash"),
        format!(
            "multiIf(naming = {}, own_name, naming = {}, parent_name, naming = {}, run_name, naming = {prompt}, \
             concat('prompt \"', substringUTF8(prompt_words, 1, {PROMPT_LABEL_CHARS}), if(lengthUTF8(prompt_words) > {PROMPT_LABEL_CHARS}, '…', ''), '\" #', prompt_hash), \
             naming = {model}, concat('model ', naming_model), 'unnamed') AS operation_name",
            Naming::SpanName.index(),
            Naming::ParentSpan.index(),
            Naming::TraceName.index(),
        ),
    ];
    HogqlNaming { joins, columns: columns.join(", ") }
}
