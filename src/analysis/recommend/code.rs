//! Before/after code in the user's own SDK language, with the idioms of
//! PostHog's LLM wrappers (`posthog.ai.openai` / `posthog.ai.anthropic` in
//! Python, `@posthog/ai` in TypeScript).

use crate::format::is_hidden;
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

impl Language {
    /// `s` as a double-quoted string literal of the language, the only way
    /// text from the events enters a code example. Backslashes and quotes
    /// are escaped; line breaks, tabs, backticks (so no Markdown fence can
    /// form), other control characters and every [`is_hidden`] character
    /// (line and paragraph separators, bidi controls, zero-width characters)
    /// become `\u` escapes, so the literal is one visible line that decodes
    /// to exactly `s`. Outside the Basic Multilingual Plane Python writes
    /// `\U0010FFFF` and TypeScript a surrogate pair (valid JSON as well).
    pub fn literal(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c == '`' || c.is_control() || is_hidden(c) => match (self, c as u32) {
                    (_, u @ ..=0xFFFF) => out.push_str(&format!("\\u{u:04x}")),
                    (Language::Python, u) => out.push_str(&format!("\\U{u:08x}")),
                    (Language::TypeScript, _) => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                },
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
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
        let op = self.language.literal(self.operation);
        // Anthropic's Messages API requires max_tokens.
        let mut extra = extra.to_vec();
        if self.anthropic() && !extra.iter().any(|(k, _)| *k == "max_tokens") {
            extra.insert(0, ("max_tokens", "1024"));
        }
        match self.language {
            Language::Python => {
                let mut args = vec![format!("model={}", self.language.literal(model))];
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
                let mut args = vec![format!("model: {}", self.language.literal(model))];
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

/// A comment line in `language`. The text is fixed prose (`'static`): data
/// from the events never enters a comment, where a line separator or a bidi
/// control could end it or hide what follows; it enters code only through
/// [`Language::literal`].
pub fn comment(language: Language, text: &'static str) -> String {
    let mark = match language {
        Language::Python => "#",
        Language::TypeScript => "//",
    };
    text.lines().map(|l| format!("{mark} {l}\n")).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Python string literal decoded by Python's rules for the escapes
    /// [`Language::literal`] may write; `None` for anything else.
    fn python_decode(lit: &str) -> Option<String> {
        let inner = lit.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '"' {
                return None; // an unescaped quote would end the literal
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let hex = |chars: &mut std::str::Chars, n: usize| u32::from_str_radix(&chars.by_ref().take(n).collect::<String>(), 16).ok().and_then(char::from_u32);
            out.push(match chars.next()? {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => hex(&mut chars, 4)?,
                'U' => hex(&mut chars, 8)?,
                _ => return None,
            });
        }
        Some(out)
    }

    /// Characters that end lines, comments or strings, reorder or hide text.
    const HOSTILE: &[char] = &['"', '\'', '\\', '`', '\n', '\r', '\t', '\0', '\u{7}', '\u{1B}', '\u{7F}', '\u{85}', '\u{2028}', '\u{2029}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{E0041}', '\u{1F600}', '/', '*', '#', '$', '{', '}', 'é', 'a', ' '];

    fn line_breaking(c: char) -> bool {
        matches!(c, '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{1C}' | '\u{1D}' | '\u{1E}' | '\u{85}' | '\u{2028}' | '\u{2029}')
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        #[test]
        fn literals_decode_to_the_text_on_one_visible_line(
            picked in proptest::collection::vec(proptest::sample::select(HOSTILE), 0..30),
            any in proptest::collection::vec(any::<char>(), 0..10),
        ) {
            let text: String = picked.into_iter().chain(any).collect();
            let ts = Language::TypeScript.literal(&text);
            let py = Language::Python.literal(&text);
            // serde_json reads JavaScript's double-quoted escapes (JSON is a subset).
            prop_assert_eq!(serde_json::from_str::<String>(&ts).ok(), Some(text.clone()), "typescript {}", ts);
            prop_assert_eq!(python_decode(&py), Some(text.clone()), "python {}", py);
            for lit in [&ts, &py] {
                prop_assert!(!lit.chars().any(|c| line_breaking(c) || is_hidden(c) || c.is_control() || c == '`'), "raw character in {:?}", lit);
            }
        }
    }

    #[test]
    fn names_reach_the_code_only_inside_literals() {
        let model = "gpt-4o\u{2028}require('child_process').exec('x') // \u{202E}";
        let operation = "draft\"); import os #\n`x`";
        for language in [Language::Python, Language::TypeScript] {
            let call = Call { language, provider: "openai", model, operation };
            let code = call.example(&call.request(model, &[], &call.system(false)));
            assert!(code.contains(&language.literal(model)) && code.contains(&language.literal(operation)), "{code}");
            let outside = code.replace(&language.literal(model), "M").replace(&language.literal(operation), "O");
            assert!(!outside.contains("child_process") && !outside.contains("import os"), "{outside}");
            assert!(!code.chars().any(|c| is_hidden(c) || c == '`'), "{code}");
        }
    }
}
