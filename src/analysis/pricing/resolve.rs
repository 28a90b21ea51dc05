//! Model-name resolution: which table entry prices an event's model.
//!
//! Rules, strictest first: the exact key; the key in any case; the name and
//! the key without their provider namespaces (`openai/gpt-4o`,
//! `gemini/gemini-2.5-pro`, `anthropic.claude-...`), or the key equal to
//! `{provider}/{name}`; both also without date or version suffixes
//! (`-20241022`, `-2024-08-06`, `-001`, `-v1:0`, `@20240620`, `-latest`);
//! then the longest match (a table name that is a prefix of the event's at a
//! separator, or the other way round).
//!
//! An entry is used only when its `litellm_provider` is the event's
//! `$ai_provider`, up to the spellings [`provider_family`] merges (`google`
//! and `gemini`, `vertex_ai-language-models` and `vertex_ai`,
//! `bedrock_converse` and `bedrock`, `azure_openai` and `azure`,
//! `text-completion-openai` and `openai`), or a documented alias
//! ([`CLAUDE_HOSTS`]): Google AI Studio (`gemini`) and Vertex AI are
//! different providers with different prices, so a `gemini` call never takes
//! a `vertex_ai` entry. Entries of the event's own provider are tried first
//! through the first four rules, then those of its aliases, and only then the
//! longest match, in the same two steps. Events that name no provider may
//! take any provider's entry. Among several
//! candidates of one rule the preferred entry is the one whose namespace
//! names the event's provider (`anthropic.claude-...` for Anthropic), whose
//! key shares the most of the event's name, with the fewest namespace
//! segments (no region), and then the newest (greatest) key.

use super::names::{common_segments, event_form, provider_family, separated_prefix, strip_version, Form};
use super::table::{PriceEntry, PriceTable};
use super::Resolution;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;

/// The rule that matched a model name to a table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Exact,
    CaseInsensitive,
    ProviderPrefix,
    VersionSuffix,
    LongestMatch,
}

impl Rule {
    /// The name recorded in [`Resolution::rule`].
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::CaseInsensitive => "case-insensitive",
            Rule::ProviderPrefix => "provider-prefix",
            Rule::VersionSuffix => "version-suffix",
            Rule::LongestMatch => "longest-match",
        }
    }
}

/// A resolved model: the table entry and the rule that found it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match<'a> {
    pub entry: &'a PriceEntry,
    pub rule: Rule,
}

impl Match<'_> {
    /// As recorded in [`Costing`](super::Costing).
    pub fn resolution(&self) -> Resolution {
        Resolution { key: self.entry.key.clone(), rule: self.rule.as_str().into(), price: self.entry.price.clone() }
    }

    /// Whether the entry belongs to an alias of the event's provider
    /// ([`CLAUDE_HOSTS`]) rather than to the provider itself.
    pub fn alias(&self, provider: &str) -> bool {
        !provider_family(provider).is_empty() && provider_family(&self.entry.provider) != provider_family(provider)
    }
}

/// Providers that list Claude at Anthropic's own list price, so that a Claude
/// model sent by one of them may be priced from another's Claude entry (a
/// dated Claude id Anthropic's entries no longer list is still listed on
/// Bedrock, at the same price).
pub const CLAUDE_HOSTS: [&str; 3] = ["anthropic", "bedrock", "vertex_ai"];

/// Whether an entry of `entry_provider` may price an event of provider
/// family `family` as an alias: both host Claude and the entry is a Claude model.
fn claude_alias(key: &str, entry_provider: &str, family: &str) -> bool {
    key.to_lowercase().contains("claude") && CLAUDE_HOSTS.contains(&family) && CLAUDE_HOSTS.contains(&provider_family(entry_provider).as_str())
}

/// Which entries a step of the resolution may use.
#[derive(Clone, Copy)]
enum Fit {
    /// The event's provider's.
    Same,
    /// An alias's ([`CLAUDE_HOSTS`]).
    Alias,
    /// Any provider's (the event names none).
    Any,
}

/// Shortest side of a longest match: shorter names match too much (`gpt`).
const MIN_MATCH_CHARS: usize = 5;
/// A versionless name or a longest match without a digit needs this many
/// characters (`mistral-small` may match, `claude` and `gemini` may not).
const MIN_CHARS_WITHOUT_DIGIT: usize = 8;

/// The event's name in the forms the rules compare.
struct Query {
    name: String,
    lower: String,
    form: Form,
    versionless: String,
    /// `{provider}/{name}` keys, lowercased, as LiteLLM spells them.
    with_provider: Vec<String>,
    family: String,
}

impl PriceTable {
    /// The price of `model` as sent by `provider` (`$ai_model`, `$ai_provider`),
    /// with the rule that matched; `None` when no entry fits.
    pub fn resolve(&self, model: &str, provider: &str) -> Option<Resolution> {
        self.resolve_match(model, provider).map(|m| m.resolution())
    }

    /// Like [`PriceTable::resolve`], with the table entry itself.
    pub fn resolve_match(&self, model: &str, provider: &str) -> Option<Match<'_>> {
        let form = event_form(model);
        if form.bare.is_empty() {
            return None;
        }
        let family = provider_family(provider);
        let lower = model.trim().to_lowercase();
        let mut with_provider = vec![format!("{family}/{lower}")];
        if !provider.trim().is_empty() && provider.trim().to_lowercase() != family {
            with_provider.push(format!("{}/{lower}", provider.trim().to_lowercase()));
        }
        let q = Query { name: model.trim().to_string(), versionless: strip_version(&form.bare), form, lower, with_provider, family };
        let fits: &[Fit] = if q.family.is_empty() { &[Fit::Any] } else { &[Fit::Same, Fit::Alias] };
        for &fit in fits {
            for rule in [Rule::Exact, Rule::CaseInsensitive, Rule::ProviderPrefix, Rule::VersionSuffix] {
                let best = self.candidates(rule, &q).into_iter().filter(|&i| self.fits(i, &q, fit)).min_by_key(|&i| self.rank(i, &q));
                if let Some(i) = best {
                    return Some(Match { entry: &self.entries[i], rule });
                }
            }
        }
        for &fit in fits {
            if let Some(i) = self.longest_match(&q, fit) {
                return Some(Match { entry: &self.entries[i], rule: Rule::LongestMatch });
            }
        }
        None
    }

    fn candidates(&self, rule: Rule, q: &Query) -> Vec<usize> {
        let get = |map: &std::collections::HashMap<String, Vec<usize>>, k: &str| map.get(k).cloned().unwrap_or_default();
        match rule {
            Rule::Exact => self.by_key.get(&q.name).into_iter().copied().collect(),
            Rule::CaseInsensitive => get(&self.by_lower_key, &q.lower),
            Rule::ProviderPrefix => {
                let mut v = get(&self.by_form, &q.form.bare);
                q.with_provider.iter().for_each(|k| v.extend(get(&self.by_lower_key, k)));
                v
            }
            Rule::VersionSuffix if specific(&q.versionless) => get(&self.by_versionless, &q.versionless),
            Rule::VersionSuffix => Vec::new(),
            Rule::LongestMatch => Vec::new(),
        }
    }

    fn same_provider(&self, i: usize, q: &Query) -> bool {
        provider_family(&self.entries[i].provider) == q.family
    }

    fn fits(&self, i: usize, q: &Query, fit: Fit) -> bool {
        match fit {
            Fit::Same => self.same_provider(i, q),
            Fit::Alias => !self.same_provider(i, q) && claude_alias(&self.entries[i].key, &self.entries[i].provider, &q.family),
            Fit::Any => true,
        }
    }

    /// Lower is better: provider fit, then the most name segments shared,
    /// then no region, then an undated alias, then the newest key.
    fn rank(&self, i: usize, q: &Query) -> (u8, Reverse<usize>, usize, bool, Reverse<&str>) {
        let form = &self.forms[i];
        let tier = if self.same_provider(i, q) {
            0
        } else if !q.family.is_empty() && form.prefixes.iter().any(|p| provider_family(p) == q.family) {
            1
        } else {
            2
        };
        let dated = form.bare != self.versionless[i];
        (tier, Reverse(common_segments(&form.bare, &q.form.bare)), form.prefixes.len(), dated, Reverse(self.entries[i].key.as_str()))
    }

    /// The entry sharing the longest separated prefix with the event's name.
    fn longest_match(&self, q: &Query, fit: Fit) -> Option<usize> {
        let names = [q.form.bare.as_str(), q.versionless.as_str()];
        (0..self.entries.len())
            .filter(|&i| self.fits(i, q, fit))
            .filter_map(|i| {
                let keys = [self.forms[i].bare.as_str(), self.versionless[i].as_str()];
                let (len, extra) = names
                    .iter()
                    .flat_map(|n| keys.iter().map(move |k| (n, k)))
                    .filter_map(|(n, k)| separated_prefix(n, k).filter(|&l| long_enough(&n[..l], l)).map(|l| (l, n.len().max(k.len()) - l)))
                    .max_by_key(|&(l, extra)| (l, Reverse(extra)))?;
                Some((i, len, extra))
            })
            .min_by_key(|&(i, len, extra)| (Reverse(len), extra, self.rank(i, q)))
            .map(|(i, ..)| i)
    }
}

fn long_enough(prefix: &str, len: usize) -> bool {
    len >= MIN_MATCH_CHARS && specific(prefix)
}

/// Whether a name says enough to pick a model: a digit, or a long name.
fn specific(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_digit()) || name.len() >= MIN_CHARS_WITHOUT_DIGIT
}

#[cfg(test)]
mod tests;
