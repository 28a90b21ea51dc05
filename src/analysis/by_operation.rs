//! The per-trace rows grouped by operation, each priced once.
//!
//! A large project has a million `(trace, operation)` rows. Stages 4 to 8
//! each need the rows of one operation at a time, with their cost; this
//! index is built in one pass per analysis so that no stage scans every row
//! comparing operation names, or prices a row twice.

use super::dataset::TraceOpRow;
use super::pricing::Costing;
use std::collections::HashMap;

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
    /// Groups and prices `rows`.
    pub fn new(rows: &'a [TraceOpRow], costing: &Costing) -> Self {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut groups: Vec<(&str, Vec<Priced>)> = Vec::new();
        for row in rows {
            let i = *index.entry(&row.operation).or_insert_with(|| {
                groups.push((&row.operation, Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(Priced { row, cost: costing.trace_op_cost(row) });
        }
        groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (_, rows) in &mut groups {
            // The query plan returns rows by trace id already; other sources may not.
            if !rows.windows(2).all(|w| w[0].row.trace_id <= w[1].row.trace_id) {
                rows.sort_by(|a, b| a.row.trace_id.cmp(&b.row.trace_id));
            }
        }
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
        rows.binary_search_by(|p| p.row.trace_id.as_str().cmp(trace_id)).ok().map(|i| &rows[i])
    }

    /// Every operation with its rows, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &[Priced<'a>])> + '_ {
        self.groups.iter().map(|(op, rows)| (*op, rows.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(trace: &str, op: &str, cost: f64) -> TraceOpRow {
        TraceOpRow { trace_id: trace.into(), operation: op.into(), cost_usd: cost, ..TraceOpRow::default() }
    }

    #[test]
    fn rows_are_grouped_by_operation_sorted_by_trace_with_their_cost() {
        let rows = vec![row("t1", "b", 1.0), row("t3", "a", 5.0), row("t2", "b", 3.0), row("t3", "c", 4.0), row("t1", "a", 2.0)];
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
}
