//! Before/after code in the user's own SDK language, with the idioms of
//! PostHog's LLM wrappers (`posthog.ai.openai` / `posthog.ai.anthropic` in
//! Python, `@posthog/ai` in TypeScript).

use serde::{Deserialize, Serialize};

/// The language of the code examples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Python,
    TypeScript,
}

impl Language {
    /// The fence tag of a Markdown code block.
    pub fn fence(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::TypeScript => "typescript",
        }
    }
}

/// The SDK language from `$lib` / `$ai_lib` names, most used first: Python
/// for `posthog-python`, TypeScript for `posthog-node`, `web` (posthog-js in
/// the browser), `posthog-js` or `@posthog/ai`. `posthog-ai`, which every SDK
/// sends as `$ai_lib`, says nothing. Returns the language and whether it was
/// detected (Python when not).
pub fn detect_language(libs: &[String]) -> (Language, bool) {
    for lib in libs {
        let l = lib.to_ascii_lowercase();
        if l.contains("python") {
            return (Language::Python, true);
        }
        if l.contains("node") || l.contains("posthog-js") || l.starts_with("@posthog/") || l == "web" {
            return (Language::TypeScript, true);
        }
    }
    (Language::Python, false)
}

/// What a code example is about.
pub struct Call<'a> {
    pub language: Language,
    pub provider: &'a str,
    pub model: &'a str,
    pub operation: &'a str,
}

/// A string literal of either language.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Call<'_> {
    fn anthropic(&self) -> bool {
        self.provider.to_ascii_lowercase().contains("anthropic") || self.model.to_ascii_lowercase().contains("claude")
    }

    /// The wrapped client's construction.
    fn client(&self) -> String {
        match (self.language, self.anthropic()) {
            (Language::Python, true) => "from posthog import Posthog\nfrom posthog.ai.anthropic import Anthropic\n\nposthog = Posthog(POSTHOG_PROJECT_KEY, host=POSTHOG_HOST)\nclient = Anthropic(posthog_client=posthog)\n".into(),
            (Language::Python, false) => "from posthog import Posthog\nfrom posthog.ai.openai import OpenAI\n\nposthog = Posthog(POSTHOG_PROJECT_KEY, host=POSTHOG_HOST)\nclient = OpenAI(posthog_client=posthog)\n".into(),
            (Language::TypeScript, true) => "import { PostHog } from 'posthog-node'\nimport { Anthropic } from '@posthog/ai'\n\nconst posthog = new PostHog(POSTHOG_PROJECT_KEY, { host: POSTHOG_HOST })\nconst client = new Anthropic({ posthog })\n".into(),
            (Language::TypeScript, false) => "import { PostHog } from 'posthog-node'\nimport { OpenAI } from '@posthog/ai'\n\nconst posthog = new PostHog(POSTHOG_PROJECT_KEY, { host: POSTHOG_HOST })\nconst client = new OpenAI({ posthog })\n".into(),
        }
    }

    /// One traced call with `model`, extra arguments (`name=value` in Python
    /// syntax, converted for TypeScript) and the system prompt expression.
    pub fn request(&self, model: &str, extra: &[(&str, &str)], system: &str) -> String {
        let op = lit(self.operation);
        // Anthropic's Messages API requires max_tokens.
        let mut extra = extra.to_vec();
        if self.anthropic() && !extra.iter().any(|(k, _)| *k == "max_tokens") {
            extra.insert(0, ("max_tokens", "1024"));
        }
        match self.language {
            Language::Python => {
                let mut args = vec![format!("model={}", lit(model))];
                args.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
                let (method, messages) = if self.anthropic() {
                    ("client.messages.create", format!("system={system},\n    messages=[{{\"role\": \"user\", \"content\": user_message}}]"))
                } else {
                    ("client.chat.completions.create", format!("messages=[\n        {{\"role\": \"system\", \"content\": {system}}},\n        {{\"role\": \"user\", \"content\": user_message}},\n    ]"))
                };
                format!(
                    "response = {method}(\n    {},\n    {messages},\n    posthog_distinct_id=user_id,\n    posthog_trace_id=trace_id,\n    posthog_properties={{\"$ai_span_name\": {op}}},\n)\n",
                    args.join(",\n    ")
                )
            }
            Language::TypeScript => {
                let mut args = vec![format!("model: {}", lit(model))];
                // Request fields keep the provider's snake_case names in both SDKs.
                args.extend(extra.iter().map(|(k, v)| format!("{k}: {}", ts_value(v))));
                let (method, messages) = if self.anthropic() {
                    ("client.messages.create", format!("system: {system},\n  messages: [{{ role: 'user', content: userMessage }}]"))
                } else {
                    ("client.chat.completions.create", format!("messages: [\n    {{ role: 'system', content: {system} }},\n    {{ role: 'user', content: userMessage }},\n  ]"))
                };
                format!(
                    "const response = await {method}({{\n  {},\n  {messages},\n  posthogDistinctId: userId,\n  posthogTraceId: traceId,\n  posthogProperties: {{ $ai_span_name: {op} }},\n}})\n",
                    args.join(",\n  ")
                )
            }
        }
    }

    /// A whole example: client, then the body.
    pub fn example(&self, body: &str) -> String {
        format!("{}\n{body}", self.client())
    }

    /// The system prompt expression (`SYSTEM_PROMPT`), or the cached block form.
    pub fn system(&self, cached: bool) -> String {
        match (cached, self.anthropic(), self.language) {
            (false, _, Language::Python) => "SYSTEM_PROMPT".into(),
            (false, _, Language::TypeScript) => "SYSTEM_PROMPT".into(),
            (true, true, Language::Python) => "[{\"type\": \"text\", \"text\": SYSTEM_PROMPT, \"cache_control\": {\"type\": \"ephemeral\"}}]".into(),
            (true, true, Language::TypeScript) => "[{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }]".into(),
            // OpenAI caches a stable prefix of 1,024+ tokens by itself: keep
            // SYSTEM_PROMPT byte-identical and first, variable text after it.
            (true, false, _) => "SYSTEM_PROMPT".into(),
        }
    }
}

fn ts_value(v: &str) -> String {
    match v {
        "True" => "true".into(),
        "False" => "false".into(),
        "None" => "null".into(),
        v => v.to_string(),
    }
}

/// A comment line in `language`.
pub fn comment(language: Language, text: &str) -> String {
    let mark = match language {
        Language::Python => "#",
        Language::TypeScript => "//",
    };
    text.lines().map(|l| format!("{mark} {l}\n")).collect()
}
