use super::*;
use crate::analysis::dataset::TokenSums;
use proptest::prelude::*;

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap_or_default()
}

fn span(uuid: &str, t: i64, id: &str, parent: &str) -> SpanRow {
    SpanRow { uuid: uuid.into(), trace_id: "t".into(), timestamp: at(t), name: uuid.into(), span_id: id.into(), parent_id: parent.into(), ..SpanRow::default() }
}

fn gen(uuid: &str, t: i64, id: &str, parent: &str, cost: f64) -> GenerationRow {
    let tokens = TokenSums { input: 10, output: 2, ..TokenSums::default() };
    GenerationRow { uuid: uuid.into(), trace_id: "t".into(), timestamp: at(t), span_id: id.into(), parent_id: parent.into(), cost_usd: Some(cost), tokens, ..GenerationRow::default() }
}

/// Each node as (name, depth, parent's name), in pre-order.
fn shape(tree: &[Node], gens: &[GenerationRow], spans: &[SpanRow]) -> Vec<(String, usize, Option<String>)> {
    let name = |item: Item| match item {
        Item::Span(i) => spans[i].uuid.clone(),
        Item::Generation(i) => gens[i].uuid.clone(),
    };
    tree.iter().map(|n| (name(n.item), n.depth, n.parent.map(|p| name(tree[p].item)))).collect()
}

fn row(name: &str, depth: usize, parent: Option<&str>) -> (String, usize, Option<String>) {
    (name.into(), depth, parent.map(String::from))
}

#[test]
fn without_ids_a_trace_is_its_generations_in_time_order() {
    let gens = [gen("c", 3, "", "", 0.1), gen("a", 1, "", "", 0.2), gen("b", 2, "", "", 0.3)];
    let tree = build(&gens, &[]);
    assert_eq!(shape(&tree, &gens, &[]), [row("a", 0, None), row("b", 0, None), row("c", 0, None)]);
    assert!(tree.iter().all(|n| n.children == 0));
}

#[test]
fn spans_nest_their_steps_and_sum_what_is_below() {
    let spans = [span("chain", 0, "s1", "t"), span("agent", 1, "s2", "s1"), span("tool", 4, "s3", "s2")];
    let gens = [gen("g1", 2, "g1", "s2", 0.5), gen("g2", 5, "g2", "s2", 0.25), gen("g3", 6, "g3", "s1", 1.0), gen("loose", 7, "", "", 2.0)];
    let tree = build(&gens, &spans);
    assert_eq!(
        shape(&tree, &gens, &spans),
        [row("chain", 0, None), row("agent", 1, Some("chain")), row("g1", 2, Some("agent")), row("tool", 2, Some("agent")), row("g2", 2, Some("agent")), row("g3", 1, Some("chain")), row("loose", 0, None)]
    );
    let (chain, agent) = (&tree[0], &tree[1]);
    assert_eq!((chain.children, agent.children), (2, 3));
    assert_eq!((chain.totals.generations, agent.totals.generations), (3, 2));
    assert!((chain.totals.cost_usd - 1.75).abs() < 1e-12 && (agent.totals.cost_usd - 0.75).abs() < 1e-12);
    assert_eq!(chain.totals.input_tokens, 30);
    assert_eq!((chain.descendants, agent.descendants), (5, 3));
    // Folding the agent hides its three nodes; folding the chain too hides all but the loose call.
    let fold = |at: &[usize]| hidden(&tree, &at.iter().copied().collect());
    assert_eq!(fold(&[1]), [false, false, true, true, true, false, false]);
    assert_eq!(fold(&[1, 0]), [false, true, true, true, true, true, false]);
}

#[test]
fn a_missing_parent_or_the_node_itself_hangs_from_the_trace() {
    let spans = [span("self", 0, "x", "x"), span("orphan", 1, "y", "not-read")];
    let gens = [gen("g", 2, "", "y", 0.0)];
    let tree = build(&gens, &spans);
    assert_eq!(shape(&tree, &gens, &spans), [row("self", 0, None), row("orphan", 0, None), row("g", 1, Some("orphan"))]);
}

#[test]
fn a_cycle_is_cut_at_its_earliest_node() {
    // a -> b -> c -> a, with d under c: every node once, a under the trace.
    let spans = [span("b", 2, "B", "A"), span("a", 1, "A", "C"), span("c", 3, "C", "B"), span("d", 4, "D", "C")];
    let tree = build(&[], &spans);
    assert_eq!(shape(&tree, &[], &spans), [row("a", 0, None), row("b", 1, Some("a")), row("c", 2, Some("b")), row("d", 3, Some("c"))]);
}

#[test]
fn a_span_holds_an_id_it_shares_with_a_generation() {
    let spans = [span("step", 5, "S", "t")];
    // The generation claims the step's id and comes first; the step still holds it.
    let gens = [gen("g", 1, "S", "t", 0.0), gen("h", 6, "", "S", 0.0)];
    let tree = build(&gens, &spans);
    assert_eq!(shape(&tree, &gens, &spans), [row("g", 0, None), row("step", 0, None), row("h", 1, Some("step"))]);
}

#[test]
fn a_chain_thousands_deep_is_walked_without_recursion() {
    let n = 20_000;
    let spans: Vec<SpanRow> = (0..n).map(|i| span(&format!("{i:05}"), i, &format!("s{i}"), &format!("s{}", i.max(1) - 1))).collect();
    let tree = build(&[], &spans);
    assert_eq!(tree.len(), n as usize);
    assert_eq!(tree.iter().map(|t| t.depth).max(), Some(n as usize - 1));
}

proptest! {
    /// Any ids at all (cycles, self-parents, shared and missing ids): every
    /// node is placed once, after its parent and one level below it, under the
    /// node its parent id names, or under the trace; and the top sums every generation.
    #[test]
    fn every_node_is_placed_once_under_what_it_names(links in prop::collection::vec((0u8..6, 0u8..8, any::<bool>(), 0i64..5), 0..40)) {
        let id = |k: u8| if k == 0 { String::new() } else { format!("i{k}") };
        let (mut spans, mut gens) = (Vec::new(), Vec::new());
        for (n, &(own, parent, is_span, t)) in links.iter().enumerate() {
            let uuid = format!("{n:03}");
            if is_span { spans.push(span(&uuid, t, &id(own), &id(parent))) } else { gens.push(gen(&uuid, t, &id(own), &id(parent), 0.5)) }
        }
        let tree = build(&gens, &spans);
        prop_assert_eq!(tree.len(), links.len());
        let mut seen: Vec<Item> = tree.iter().map(|n| n.item).collect();
        seen.sort_by_key(|i| match i { Item::Span(i) => (0, *i), Item::Generation(i) => (1, *i) });
        seen.dedup();
        prop_assert_eq!(seen.len(), links.len());
        let ids = |item: Item| match item {
            Item::Span(i) => (spans[i].span_id.as_str(), spans[i].parent_id.as_str()),
            Item::Generation(i) => (gens[i].span_id.as_str(), gens[i].parent_id.as_str()),
        };
        for (at, n) in tree.iter().enumerate() {
            match n.parent {
                Some(p) => {
                    prop_assert!(p < at);
                    prop_assert_eq!(n.depth, tree[p].depth + 1);
                    prop_assert_eq!(ids(tree[p].item).0, ids(n.item).1, "hangs from the node its parent id names");
                }
                None => prop_assert_eq!(n.depth, 0),
            }
            prop_assert_eq!(n.children, tree.iter().filter(|c| c.parent == Some(at)).count());
            // Its subtree is the run after it of nodes deeper than it.
            let run = tree[at + 1..].iter().take_while(|c| c.depth > n.depth).count();
            prop_assert_eq!(n.descendants, run);
        }
        let top: u64 = tree.iter().filter(|n| n.parent.is_none()).map(|n| n.totals.generations).sum();
        prop_assert_eq!(top, gens.len() as u64);
    }
}
