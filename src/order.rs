//! Sorting and selecting through one non-generic routine each in the wasm: the standard sort
//! (and selection) is compiled anew for every comparator, and the page carried one copy per
//! call site (27 KB of the gzipped build). On wasm32 these sort the items' indices
//! behind a dynamic comparator, then move the items into that order by swaps,
//! so each call site adds a few instructions; native builds (the command line
//! on a million traces) call the standard sort directly. Both are stable: the
//! order is the one `slice::sort_by` gives, on every target.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` stably by `cmp` (as `slice::sort_by`).
pub fn sort_by<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if cfg!(target_arch = "wasm32") {
        by_index(items, &cmp);
    } else {
        items.sort_by(cmp);
    }
}

/// Sorts `items` stably by a key (as `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their natural order (as `slice::sort`).
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Reorders `items` so that the item at `k` is the one a sort by `cmp`
/// would put there, those before it no greater and those after no less (as
/// `slice::select_nth_unstable_by`): the top-k selections, in linear time.
pub fn select_nth_by<T>(items: &mut [T], k: usize, cmp: impl Fn(&T, &T) -> Ordering) {
    if cfg!(target_arch = "wasm32") {
        let order = selected_indices(items.len(), k, &|a, b| cmp(&items[a], &items[b]));
        permute(order, &mut |a, b| items.swap(a, b));
    } else {
        items.select_nth_unstable_by(k, cmp);
    }
}

/// The indices `0..n` partitioned around rank `k` by `cmp` on them: the
/// only instance of the standard selection these helpers compile.
fn selected_indices(n: usize, k: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.select_nth_unstable_by(k, |&a, &b| cmp(a, b));
    order
}

/// `items` as a set (as `collect`), inserted one by one: collecting into a
/// B-tree sorts the items first, which compiles the standard sort again for
/// each item type.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for x in items {
        set.insert(x);
    }
    set
}

/// `items` as a map (as `collect`: a later value of a key wins), inserted
/// one by one, as [`set_of`].
pub fn map_of<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in items {
        map.insert(k, v);
    }
    map
}

/// The stable sort through [`sorted_indices`] and [`permute`].
fn by_index<T>(items: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let order = sorted_indices(items.len(), &|a, b| cmp(&items[a], &items[b]));
    permute(order, &mut |a, b| items.swap(a, b));
}

/// The indices `0..n` stably sorted by `cmp` on them: the only instance of
/// the standard sort these helpers compile.
fn sorted_indices(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Calls `swap` so that the item first at `order[k]` ends at position `k`,
/// for every `k`: at most one swap per position.
fn permute(order: Vec<usize>, swap: &mut dyn FnMut(usize, usize)) {
    let n = order.len();
    // at[p]: the original index of the item now at p; pos[i]: where item i now is.
    let mut at: Vec<usize> = (0..n).collect();
    let mut pos: Vec<usize> = (0..n).collect();
    for (k, &want) in order.iter().enumerate() {
        let from = pos[want];
        if from != k {
            swap(k, from);
            let displaced = at[k];
            at[from] = displaced;
            pos[displaced] = from;
            at[k] = want;
            pos[want] = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The wasm's index sort gives the standard stable sort's order, ties
        /// included: the items carry their first position, which the key ignores.
        #[test]
        fn index_sort_matches_the_standard_stable_sort(keys in proptest::collection::vec(0u8..6, 0..60)) {
            let items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut ours = items.clone();
            by_index(&mut ours, &|a: &(u8, usize), b: &(u8, usize)| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }

        /// Natural order and key order agree with the standard library's.
        #[test]
        fn sort_and_key_match(words in proptest::collection::vec("[a-c]{0,3}", 0..40)) {
            let mut ours = words.clone();
            sort(&mut ours);
            let mut std = words.clone();
            std.sort();
            prop_assert_eq!(&ours, &std);
            let mut ours = words.clone();
            sort_by_key(&mut ours, |w| std::cmp::Reverse(w.len()));
            let mut std = words;
            std.sort_by_key(|w| std::cmp::Reverse(w.len()));
            prop_assert_eq!(ours, std);
        }

        /// The index selection partitions as the standard one does: the
        /// item at `k` is the sorted one, none before it greater, none after less.
        #[test]
        fn index_selection_partitions_at_k(keys in proptest::collection::vec(0u8..20, 1..60), at in 0usize..60) {
            let k = at % keys.len();
            let mut ours = keys.clone();
            let order = selected_indices(ours.len(), k, &|a, b| keys[a].cmp(&keys[b]));
            permute(order, &mut |a, b| ours.swap(a, b));
            let mut sorted = keys.clone();
            sorted.sort();
            prop_assert_eq!(ours[k], sorted[k]);
            prop_assert!(ours[..k].iter().all(|x| *x <= ours[k]) && ours[k + 1..].iter().all(|x| *x >= ours[k]));
            ours.sort();
            prop_assert_eq!(ours, sorted);
        }

        /// Sets and maps built by insertion equal those `collect` builds, a
        /// repeated key keeping its last value.
        #[test]
        fn set_and_map_of_match_collect(pairs in proptest::collection::vec((0u8..8, 0u8..255), 0..40)) {
            prop_assert_eq!(set_of(pairs.iter().map(|p| p.0)), pairs.iter().map(|p| p.0).collect::<BTreeSet<_>>());
            prop_assert_eq!(map_of(pairs.iter().copied()), pairs.iter().copied().collect::<BTreeMap<_, _>>());
        }
    }
}
