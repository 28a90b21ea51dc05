//! A trace as a tree: its spans and generations hung by `$ai_parent_id`
//! from the node whose `$ai_span_id` it names, siblings in time order.
//!
//! The data is hostile, so every node is placed exactly once: a node whose
//! parent was not read (or is the trace itself, or the node itself) hangs
//! from the trace; a cycle of parents is cut at its earliest node, which
//! hangs from the trace. A trace without ids is its nodes in time order,
//! one level deep. Where a span and a generation claim one id, the span
//! holds it (some SDKs give a generation its step's id); among nodes of one
//! kind, the earliest.

use super::dataset::{GenerationRow, SpanRow};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What a node of the tree is: an index into the spans or the generations given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Span(usize),
    Generation(usize),
}

/// The generations below a node and what they cost (the node's own when it is one).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub generations: u64,
    /// PostHog's cost of the priced ones.
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub errors: u64,
}

/// One node in the tree's pre-order (a parent before its children, siblings in time order).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub item: Item,
    /// 0 for a node hanging from the trace.
    pub depth: usize,
    /// The parent's position in the pre-order; `None` under the trace.
    pub parent: Option<usize>,
    /// How many nodes hang from this one directly, and below it in all (the
    /// nodes after it in the pre-order that are its subtree).
    pub children: usize,
    pub descendants: usize,
    /// This node and everything below it.
    pub totals: Totals,
}

/// The tree of one trace's `gens` and `spans`, in pre-order.
pub fn build(gens: &[GenerationRow], spans: &[SpanRow]) -> Vec<Node> {
    struct Raw<'a> {
        item: Item,
        id: &'a str,
        parent_id: &'a str,
        at: (DateTime<Utc>, &'a str),
    }
    let mut raw: Vec<Raw> = spans.iter().enumerate().map(|(i, s)| Raw { item: Item::Span(i), id: &s.span_id, parent_id: &s.parent_id, at: (s.timestamp, &s.uuid) }).collect();
    raw.extend(gens.iter().enumerate().map(|(i, g)| Raw { item: Item::Generation(i), id: &g.span_id, parent_id: &g.parent_id, at: (g.timestamp, &g.uuid) }));
    // Time order (then uuid, then spans first) decides which node holds a shared id and sibling order.
    crate::order::sort_by(&mut raw, |a, b| a.at.cmp(&b.at).then(matches!(b.item, Item::Span(_)).cmp(&matches!(a.item, Item::Span(_)))));
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for spans_first in [true, false] {
        for (n, r) in raw.iter().enumerate() {
            if !r.id.is_empty() && matches!(r.item, Item::Span(_)) == spans_first {
                owner.entry(r.id).or_insert(n);
            }
        }
    }
    let mut parent: Vec<Option<usize>> = raw.iter().enumerate().map(|(n, r)| owner.get(r.parent_id).copied().filter(|&p| p != n)).collect();
    cut_cycles(&mut parent);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); raw.len()];
    let mut roots = Vec::new();
    // In time order, so each list of children is too.
    for (n, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(n),
            None => roots.push(n),
        }
    }
    let mut out: Vec<Node> = Vec::with_capacity(raw.len());
    // Depth first without recursion: a hostile chain may be thousands deep.
    let mut stack: Vec<(usize, Option<usize>, usize)> = roots.iter().rev().map(|&n| (n, None, 0)).collect();
    while let Some((n, up, depth)) = stack.pop() {
        let totals = match raw[n].item {
            Item::Generation(i) => own_totals(&gens[i]),
            Item::Span(_) => Totals::default(),
        };
        out.push(Node { item: raw[n].item, depth, parent: up, children: children[n].len(), descendants: 0, totals });
        let at = out.len() - 1;
        stack.extend(children[n].iter().rev().map(|&c| (c, Some(at), depth + 1)));
    }
    // Children follow their parent in pre-order: summing from the end adds each subtree once.
    for i in (0..out.len()).rev() {
        if let Some(p) = out[i].parent {
            let (t, below) = (out[i].totals, out[i].descendants);
            out[p].descendants += 1 + below;
            let sum = &mut out[p].totals;
            sum.generations += t.generations;
            sum.cost_usd += t.cost_usd;
            sum.input_tokens += t.input_tokens;
            sum.output_tokens += t.output_tokens;
            sum.errors += t.errors;
        }
    }
    out
}

/// Which nodes of `tree` are out of sight when the nodes at `collapsed` (positions in it) are.
pub fn hidden(tree: &[Node], collapsed: &std::collections::BTreeSet<usize>) -> Vec<bool> {
    let mut until = 0;
    (0..tree.len())
        .map(|i| {
            let out = i < until;
            if !out && collapsed.contains(&i) {
                until = i + 1 + tree[i].descendants;
            }
            out
        })
        .collect()
}

/// One generation's own [`Totals`].
fn own_totals(g: &GenerationRow) -> Totals {
    Totals { generations: 1, cost_usd: g.cost_usd.unwrap_or(0.0), input_tokens: g.tokens.input, output_tokens: g.tokens.output, errors: u64::from(g.is_error) }
}

/// Cuts every cycle of `parent` (nodes in time order) at its earliest
/// node, which then hangs from the trace.
fn cut_cycles(parent: &mut [Option<usize>]) {
    // 0: not seen, 1: on the walk being made, 2: known to reach the trace.
    let mut state = vec![0u8; parent.len()];
    for start in 0..parent.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(n) = at.filter(|&n| state[n] == 0) {
            state[n] = 1;
            path.push(n);
            at = parent[n];
        }
        if let Some(n) = at.filter(|&n| state[n] == 1) {
            let cycle = &path[path.iter().position(|&p| p == n).unwrap_or(0)..];
            if let Some(&earliest) = cycle.iter().min() {
                parent[earliest] = None;
            }
        }
        for n in path {
            state[n] = 2;
        }
    }
}

#[cfg(test)]
mod tests;
