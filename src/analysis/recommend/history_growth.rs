//! History growth: multi-turn (trace, operation) rows whose prompt grows
//! turn over turn because the loop re-sends its whole history, and the
//! saving of a bounded history, measured over every row of the operation.
//!
//! The bound: the first turn's prompt plus the last [`HISTORY_KEPT_TURNS`]
//! turns' additions. For prompts `x_0..x_{n-1}` it saves
//! `sum_{i>=K} (x_{i-K} - x_0)` tokens; a per-trace row holds only the
//! first and last prompt, so the saving is estimated with the average
//! increment `d = (x_{n-1} - x_0) / (n - 1)` as `d (n-K-1)(n-K) / 2`, exact
//! when the prompt grows by the same amount every turn
//! ([`crate::analysis::root_causes::history_growth`], which also holds the
//! rule for which rows count).

use super::code::{comment, Language};
use super::findings::{n, pct, usd, Context, Goal, Parts};
use super::measure::Daily;
use super::{Kind, Recommendation};
use crate::analysis::by_operation::Priced;
use crate::analysis::dataset::TokenSums;
use crate::analysis::history::Metric;
use crate::analysis::metrics::ratio;
use crate::analysis::pricing::{cache_excluded_from_input, ModelPrice};
use crate::analysis::root_causes::{history_growth as growth, HISTORY_KEPT_TURNS, MIN_TURN_GROWTH_TOKENS, STUFFING_GROWTH};

/// The price of one input token a bounded history would not send, for a row
/// with `tokens` on `provider`. Anthropic counts cache reads and writes
/// apart from `input`, so the growth measured in input tokens is billed at
/// the input price. Other providers count cached tokens inside `input`: the
/// row's average prompt-token price then weighs in its cache reads.
fn input_rate(price: &ModelPrice, provider: &str, tokens: &TokenSums) -> f64 {
    if cache_excluded_from_input(provider) || tokens.cache_read + tokens.cache_write == 0 || tokens.input == 0 {
        return price.input;
    }
    let prompt = TokenSums { input: tokens.input, cache_read: tokens.cache_read, cache_write: tokens.cache_write, ..TokenSums::default() };
    price.cost(&prompt, provider, false) / tokens.input as f64
}

/// One recommendation per operation whose growing rows would save a material
/// amount under the bound.
pub fn history_growth(ctx: &Context) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for g in &ctx.a.metrics.by_operation {
        let op = g.name.as_str();
        let all = ctx.rows(op);
        let (mut savings, mut saved_tokens, mut turns, mut added) = (0.0, 0.0, 0u64, 0.0);
        let mut grown: Vec<Priced> = Vec::new();
        // The price of the last row's model: neighbouring rows mostly share it.
        let mut last: Option<(&str, Option<(&str, &ModelPrice)>)> = None;
        for p in all {
            let Some(gr) = growth(p.row) else { continue };
            let Some(model) = p.row.models.first() else { continue };
            let resolved = match last {
                Some((m, resolved)) if m == model => resolved,
                _ => ctx.price(model),
            };
            last = Some((model, resolved));
            let Some((provider, price)) = resolved else { continue };
            savings += gr.saved_tokens * input_rate(price, provider, &p.row.tokens);
            saved_tokens += gr.saved_tokens;
            turns += gr.turns;
            added += gr.per_turn * (gr.turns - 1) as f64;
            grown.push(*p);
        }
        if !ctx.material(savings) {
            continue;
        }
        let (affected, traces) = (grown.len(), all.len());
        // Tokens added per turn over all growing rows (turns after the first).
        let per_turn = ratio(added, (turns - affected as u64) as f64);
        let evidence = ctx.evidence(grown, |r| match growth(r) {
            Some(gr) => format!("input grew from {} to {} tokens over {} turns (about {} a turn); a bounded history sends about {} fewer", n(r.first_input_tokens as f64), n(r.last_input_tokens as f64), gr.turns, n(gr.per_turn), n(gr.saved_tokens)),
            None => String::new(),
        });
        let model = ctx.rows(op).iter().find_map(|p| p.row.models.first()).cloned().unwrap_or_default();
        let provider = ctx.price(&model).map_or("", |(p, _)| p);
        let call = ctx.call(provider, &model, op);
        let t = &g.totals;
        let k = HISTORY_KEPT_TURNS;
        out.push(ctx.finish(Parts {
            kind: Kind::HistoryGrowth,
            title: format!("Bound the history {op} re-sends on every turn"),
            problem: format!(
                "In {affected} of {traces} traces of {op} ({}), the prompt grows turn over turn, about {} input tokens a turn over {:.1} turns on average: the loop re-sends its whole history on every call. A bounded history (the first turn's prompt plus the last {k} turns' additions) would send {} fewer input tokens over the window, {} at the input price.",
                pct(ratio(affected as f64, traces as f64)),
                n(per_turn),
                ratio(turns as f64, affected as f64),
                n(saved_tokens),
                usd(savings)
            ),
            risk: format!(
                "A trace counts when it has more than {k} turns, adds at least {MIN_TURN_GROWTH_TOKENS:.0} tokens a turn and ends with a prompt at least {STUFFING_GROWTH:.1}x its first; the saving is priced at the input price of each trace's model. Quality risk: older turns dropped from the prompt must not be needed; keep a short summary of them if they are, and compare answers on bounded and full histories."
            ),
            excerpt: ctx.excerpt(op, &evidence, false),
            evidence,
            fix: format!("Send {op} the first turn (the task) and only the last {k} turns of its history, with a running summary of the turns in between if the task needs them."),
            before: call.example(&format!("{}{}", history_lines(ctx.language, None), call.request(&model, &[], &call.system(false)))),
            after: call.example(&format!(
                "{}{}{}",
                comment(ctx.language, "Keep the first turn and the latest turns: the prompt stops growing with the loop."),
                history_lines(ctx.language, Some(k)),
                call.request(&model, &[], &call.system(false))
            )),
            goal: Goal {
                daily: Daily::InputTokensPerCall,
                metric: Metric::InputTokensPerCall { operation: op.to_string() },
                baseline: ratio(t.tokens.input as f64, t.calls as f64),
                target: ratio((t.tokens.input as f64 - saved_tokens).max(0.0), t.calls as f64),
            },
            operation: op.to_string(),
            savings,
            at_risk: 0.0,
        }));
    }
    out
}

/// How the prompt is built from the loop's history: all of it, or the first
/// turn and the last `kept` turns.
fn history_lines(language: Language, kept: Option<u64>) -> String {
    match (language, kept) {
        (Language::Python, None) => "history.append(latest_turn)\nuser_message = \"\\n\".join(history)\n".into(),
        (Language::Python, Some(k)) => format!("history.append(latest_turn)\nkept = history[:1] + history[1:][-{k}:]\nuser_message = \"\\n\".join(kept)\n"),
        (Language::TypeScript, None) => "history.push(latestTurn)\nconst userMessage = history.join('\\n')\n".into(),
        (Language::TypeScript, Some(k)) => format!("history.push(latestTurn)\nconst kept = [...history.slice(0, 1), ...history.slice(1).slice(-{k})]\nconst userMessage = kept.join('\\n')\n"),
    }
}
