//! The per-trace rows grouped by operation, each priced once.
//!
//! A large project has a million `(trace, operation)` rows. Stages 4 to 8
//! each need the rows of one operation at a time, with their cost; this
//! index is built in one pass per analysis so that no stage scans every row
//! comparing operation names, or prices a row twice.

use super::dataset::TraceOpRow;
use super::pricing::Costing;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Up to this many operations, a row's group is found by scanning them.
const SCAN_LIMIT: usize = 32;

/// One per-trace row and its cost: PostHog's, plus the backfilled cost of
/// its unpriced calls ([`Costing::trace_op_cost`]).
#[derive(Clone, Copy, Debug)]
pub struct Priced<'a> {
    pub row: &'a TraceOpRow,
    pub cost: f64,
}

/// The rows of each operation sorted by trace id (a row's position breaks
/// ties in trace-id order); operations sorted by name.
#[derive(Debug, Default)]
pub struct ByOperation<'a> {
    groups: Vec<(&'a str, Vec<Priced<'a>>)>,
}

impl<'a> ByOperation<'a> {
    /// Groups and prices `rows`, which come sorted by trace id as in
    /// [`super::dataset::Dataset::trace_ops`] (checked in debug builds:
    /// checking a million scattered ids costs more than the grouping).
    pub fn new(rows: &'a [TraceOpRow], costing: &Costing) -> Self {
        let mut groups: Vec<(&str, Vec<Priced>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for row in rows {
            // Projects mostly have tens of operations: a scan beats hashing every row's name.
            let found = if groups.len() <= SCAN_LIMIT { groups.iter().position(|(op, _)| *op == row.operation) } else { index.get(row.operation.as_str()).copied() };
            let i = found.unwrap_or_else(|| {
                groups.push((&row.operation, Vec::new()));
                index.insert(&row.operation, groups.len() - 1);
                groups.len() - 1
            });
            groups[i].1.push(Priced { row, cost: costing.trace_op_cost(row) });
        }
        crate::order::sort_by(&mut groups, |a, b| a.0.cmp(b.0));
        debug_assert!(
            groups.iter().all(|(_, rows)| rows.windows(2).all(|w| compare_ids(&w[0].row.trace_id, &w[1].row.trace_id).is_le())),
            "per-trace rows must come sorted by trace id"
        );
        ByOperation { groups }
    }

    /// The rows of `operation` (none if it has no rows).
    pub fn rows(&self, operation: &str) -> &[Priced<'a>] {
        match self.groups.binary_search_by(|(op, _)| (*op).cmp(operation)) {
            Ok(i) => &self.groups[i].1,
            Err(_) => &[],
        }
    }

    /// The row of `trace_id` in `operation`.
    pub fn find(&self, operation: &str, trace_id: &str) -> Option<&Priced<'a>> {
        let rows = self.rows(operation);
        rows.binary_search_by(|p| compare_ids(&p.row.trace_id, trace_id)).ok().map(|i| &rows[i])
    }

    /// Every operation with its rows, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &[Priced<'a>])> + '_ {
        self.groups.iter().map(|(op, rows)| (*op, rows.as_slice()))
    }
}

/// `a.cmp(b)`, eight bytes at a time. WebAssembly's `memcmp` goes byte by
/// byte, and neighbouring ids in sorted order often share a long prefix.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in x.by_ref().zip(y.by_ref()) {
        let (p, q) = (u64::from_be_bytes(p.try_into().unwrap()), u64::from_be_bytes(q.try_into().unwrap()));
        if p != q {
            return p.cmp(&q);
        }
    }
    let done = a.len().min(b.len()) / 8 * 8;
    a[done..].cmp(&b[done..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(trace: &str, op: &str, cost: f64) -> TraceOpRow {
        TraceOpRow { trace_id: trace.into(), operation: op.into(), cost_usd: cost, ..TraceOpRow::default() }
    }

    #[test]
    fn rows_are_grouped_by_operation_in_trace_order_with_their_cost() {
        let rows = vec![row("t1", "b", 1.0), row("t1", "a", 2.0), row("t2", "b", 3.0), row("t3", "c", 4.0), row("t3", "a", 5.0)];
        let by = ByOperation::new(&rows, &Costing::default());
        let ids = |op: &str| by.rows(op).iter().map(|p| (p.row.trace_id.as_str(), p.cost)).collect::<Vec<_>>();
        assert_eq!(ids("a"), vec![("t1", 2.0), ("t3", 5.0)]);
        assert_eq!(ids("b"), vec![("t1", 1.0), ("t2", 3.0)]);
        assert_eq!(ids("c"), vec![("t3", 4.0)]);
        assert!(by.rows("d").is_empty() && by.rows("").is_empty());
        assert_eq!(by.iter().map(|(op, r)| (op, r.len())).collect::<Vec<_>>(), vec![("a", 2), ("b", 2), ("c", 1)]);
        assert_eq!(by.find("a", "t3").map(|p| p.cost), Some(5.0));
        assert!(by.find("a", "t2").is_none() && by.find("d", "t1").is_none());
    }

    #[test]
    fn many_operations_are_grouped_alike() {
        let rows: Vec<TraceOpRow> = (0..200).map(|i| row(&format!("t{i:03}"), &format!("op{}", i % 70), i as f64)).collect();
        let by = ByOperation::new(&rows, &Costing::default());
        assert_eq!(by.iter().count(), 70);
        assert_eq!(by.rows("op5").iter().map(|p| p.cost).collect::<Vec<_>>(), vec![5.0, 75.0, 145.0]);
        assert_eq!(by.rows("op69").len(), 2);
    }

    #[test]
    #[should_panic(expected = "sorted by trace id")]
    #[cfg(debug_assertions)]
    fn unsorted_rows_are_refused_in_debug_builds() {
        ByOperation::new(&[row("t2", "a", 1.0), row("t1", "a", 1.0)], &Costing::default());
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::compare_ids;

    proptest::proptest! {
        #[test]
        fn ids_compare_as_strings_do(a in "[a-cé0-9-]{0,40}", b in "[a-cé0-9-]{0,40}", shared in "[a-f0-9-]{0,40}") {
            let (a, b) = (format!("{shared}{a}"), format!("{shared}{b}"));
            proptest::prop_assert_eq!(compare_ids(&a, &b), a.cmp(&b));
            proptest::prop_assert_eq!(compare_ids(&a, &a), std::cmp::Ordering::Equal);
        }
    }
}
