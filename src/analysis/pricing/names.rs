//! Normal forms of model names and provider names, for matching the names
//! events carry against LiteLLM's keys.
//!
//! Everything here works on any string without panicking: it only cuts at
//! ASCII separators, which are always character boundaries.

/// A name without its namespace: `bare` is lowercased and `prefixes` holds
/// the namespace segments that were removed, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub bare: String,
    pub prefixes: Vec<String>,
}

/// An event's model name without any namespace: every path segment
/// (`openai/`, `models/`, `openrouter/anthropic/`) and the dotted vendor or
/// region segments Bedrock uses (`us.anthropic.`).
pub fn event_form(name: &str) -> Form {
    let lower = name.trim().to_lowercase();
    let mut prefixes: Vec<String> = lower.split('/').map(str::to_string).collect();
    let last = prefixes.pop().unwrap_or_default();
    strip_dotted(&last, prefixes)
}

/// A table key without its provider namespace: one leading path segment
/// (`gemini/`, `vertex_ai/`, `bedrock/`), then dotted vendor or region
/// segments. Keys that route through a second namespace
/// (`deepinfra/anthropic/...`, `azure/eu/...`, `bedrock/us-gov-east-1/...`)
/// keep it, so they match only by their whole key: they are resellers' or
/// regions' prices, not the model's list price.
pub fn key_form(key: &str) -> Form {
    let lower = key.to_lowercase();
    match lower.split_once('/') {
        Some((namespace, rest)) if !rest.is_empty() => strip_dotted(rest, vec![namespace.to_string()]),
        _ => strip_dotted(&lower, Vec::new()),
    }
}

/// Removes leading `word.` segments whose word has no digit and is followed
/// by a letter: `us.anthropic.claude-...` loses `us.` and `anthropic.`, while
/// `gpt-4.1` and `gemini-2.0-flash` keep their dots.
fn strip_dotted(name: &str, mut prefixes: Vec<String>) -> Form {
    let mut rest = name;
    while let Some((word, tail)) = rest.split_once('.') {
        let is_word = !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
        if !is_word || !tail.starts_with(|c: char| c.is_ascii_lowercase()) {
            break;
        }
        prefixes.push(word.to_string());
        rest = tail;
    }
    Form { bare: rest.to_string(), prefixes }
}

/// `name` without its date or version suffixes, repeatedly: `@20240620`,
/// `@001`, `-v1:0`, `-20241022`, `-2024-08-06`, `-05-20`, `-04-2026`,
/// `-0613`, `-001`, `-latest`, `-preview`, `-exp`. A cut that would leave
/// no letter, or fewer than two characters, is not made.
pub fn strip_version(name: &str) -> String {
    let mut s = name;
    while let Some(shorter) = strip_one_version(s) {
        if shorter.len() < 2 || !shorter.bytes().any(|b| b.is_ascii_alphabetic()) {
            break;
        }
        s = shorter;
    }
    s.to_string()
}

fn strip_one_version(s: &str) -> Option<&str> {
    if let Some(i) = s.rfind('@') {
        return Some(&s[..i]);
    }
    for word in ["-latest", "-preview", "-exp"] {
        if let Some(rest) = s.strip_suffix(word) {
            return Some(rest);
        }
    }
    if let Some(i) = s.rfind("-v") {
        if let Some((major, minor)) = s[i + 2..].split_once(':') {
            if is_digits(major) && is_digits(minor) {
                return Some(&s[..i]);
            }
        }
    }
    // Trailing groups of digits, as in -2024-08-06, -05-20 or -20241022.
    let mut groups: Vec<usize> = Vec::new();
    let mut rest = s;
    while let Some((head, group)) = rest.rsplit_once('-') {
        if !is_digits(group) {
            break;
        }
        groups.push(group.len());
        rest = head;
    }
    groups.reverse();
    let n = groups.len();
    let take = if n >= 3 && groups[n - 3..] == [4, 2, 2] {
        3
    } else if n >= 2 && (groups[n - 2..] == [2, 2] || groups[n - 2..] == [2, 4]) {
        2
    } else if n >= 1 && matches!(groups[n - 1], 3 | 4 | 8) {
        1
    } else {
        return None;
    };
    let cut = s.len() - groups[n - take..].iter().map(|g| g + 1).sum::<usize>();
    Some(&s[..cut])
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A provider name in LiteLLM's spelling, so that an event's `$ai_provider`
/// and a table entry's `litellm_provider` compare equal when they name the
/// same service: `google` and `gemini`, `bedrock_converse` and `bedrock`,
/// `vertex_ai-anthropic_models` and `vertex_ai`, `openai.chat` and `openai`.
pub fn provider_family(provider: &str) -> String {
    let p = provider.trim().to_lowercase();
    let p = p.split('.').next().unwrap_or_default();
    let family = match p {
        "google" | "google_genai" | "google-genai" | "google_ai_studio" | "googleai" => "gemini",
        "vertex" | "vertexai" | "google_vertexai" | "google-vertex" | "google_vertex" => "vertex_ai",
        "aws" | "amazon" | "amazon_bedrock" | "aws_bedrock" | "amazon-bedrock" => "bedrock",
        "azure_openai" | "azure-openai" | "azure_text" => "azure",
        "text-completion-openai" => "openai",
        "mistralai" => "mistral",
        "cohere_chat" => "cohere",
        "together" => "together_ai",
        "fireworks" => "fireworks_ai",
        "x-ai" => "xai",
        _ if p.starts_with("vertex_ai") => "vertex_ai",
        _ if p.starts_with("bedrock") => "bedrock",
        other => other,
    };
    family.to_string()
}

/// Length of the longest common prefix of `a` and `b` that ends, in both,
/// at a name separator or at the end: whole segments only, so `gpt-4o-500`
/// shares `gpt-4o` with `gpt-4o-2024-11-20`, not `gpt-4o-`.
pub fn common_segments(a: &str, b: &str) -> usize {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let ends_segment = |s: &str, i: usize| matches!(s.as_bytes().get(i), None | Some(b'-' | b'_' | b':' | b'@' | b'/' | b'.'));
    (0..=common).rev().find(|&i| ends_segment(a, i) && ends_segment(b, i)).unwrap_or(0)
}

/// When one of `a`, `b` is a prefix of the other that ends at a name
/// separator (`-`, `_`, `:`, `@`, `/`, or the end), the prefix's length.
/// Dots are not separators: `gpt-4` is no prefix of `gpt-4.5`.
pub fn separated_prefix(a: &str, b: &str) -> Option<usize> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let next = long.strip_prefix(short)?.bytes().next();
    matches!(next, None | Some(b'-' | b'_' | b':' | b'@' | b'/')).then_some(short.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_removed() {
        assert_eq!(event_form("openai/gpt-4o").bare, "gpt-4o");
        assert_eq!(event_form("models/gemini-1.5-pro").bare, "gemini-1.5-pro");
        assert_eq!(event_form("openrouter/anthropic/claude-3.5-sonnet").bare, "claude-3.5-sonnet");
        let f = event_form("us.anthropic.claude-3-5-haiku-20241022-v1:0");
        assert_eq!(f.bare, "claude-3-5-haiku-20241022-v1:0");
        assert_eq!(f.prefixes, ["us", "anthropic"]);
        assert_eq!(event_form("GPT-4.1-nano").bare, "gpt-4.1-nano");
        assert_eq!(key_form("gemini/gemini-2.5-pro"), Form { bare: "gemini-2.5-pro".into(), prefixes: vec!["gemini".into()] });
        assert_eq!(key_form("deepinfra/anthropic/claude-3-7-sonnet-latest").bare, "anthropic/claude-3-7-sonnet-latest");
        assert_eq!(key_form("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0").bare, "claude-3-5-haiku-20241022-v1:0");
    }

    #[test]
    fn version_suffixes_are_removed() {
        let cases = [
            ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("gemini-2.0-flash-001", "gemini-2.0-flash"),
            ("claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
            ("claude-3-5-sonnet@20240620", "claude-3-5-sonnet"),
            ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
            ("gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"),
            ("gpt-4-0613", "gpt-4"),
            ("claude-sonnet-4-5", "claude-sonnet-4-5"),
            ("gpt-4.1-nano", "gpt-4.1-nano"),
            ("deepseek-v3", "deepseek-v3"),
            ("o3", "o3"),
            ("2024-08-06", "2024-08-06"),
        ];
        for (name, want) in cases {
            assert_eq!(strip_version(name), want, "{name}");
        }
    }

    #[test]
    fn providers_compare_by_family() {
        assert_eq!(provider_family("bedrock_converse"), "bedrock");
        assert_eq!(provider_family("vertex_ai-anthropic_models"), "vertex_ai");
        assert_eq!(provider_family("Google"), "gemini");
        assert_eq!(provider_family("openai.chat"), "openai");
        assert_eq!(provider_family("anthropic"), "anthropic");
    }

    #[test]
    fn shared_segments_are_whole() {
        assert_eq!(common_segments("gpt-4o-500", "gpt-4o-2024-11-20"), 6);
        assert_eq!(common_segments("gpt-4o-500", "gpt-4o"), 6);
        assert_eq!(common_segments("claude-3-5-haiku-20241022", "claude-3-5-haiku-20241022-v1:0"), 25);
        assert_eq!(common_segments("abc", "xyz"), 0);
    }

    #[test]
    fn prefixes_end_at_separators() {
        assert_eq!(separated_prefix("gpt-4o", "gpt-4o-500"), Some(6));
        assert_eq!(separated_prefix("gpt-4", "gpt-4o"), None);
        assert_eq!(separated_prefix("gpt-4", "gpt-4.5-preview"), None);
        assert_eq!(separated_prefix("ft:gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini-2024-07-18:acme::x1"), Some(25));
    }
}
