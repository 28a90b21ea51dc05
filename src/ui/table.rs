//! A table whose columns sort on click.

use crate::format::visible;
use leptos::prelude::*;
use std::cmp::Ordering;

/// One cell: the text shown and the key it sorts by.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub text: String,
    pub key: SortKey,
}

/// What a column sorts by.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub enum SortKey {
    Num(f64),
    Text(String),
}

impl Cell {
    /// A number shown as `text`.
    pub fn num(value: f64, text: String) -> Self {
        Cell { text, key: SortKey::Num(value) }
    }

    /// Text that sorts as itself, shown with its hidden characters visible.
    pub fn text(text: &str) -> Self {
        Cell { text: visible(text).into_owned(), key: SortKey::Text(text.to_lowercase()) }
    }
}

fn compare(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::Num(x), SortKey::Num(y)) => x.total_cmp(y),
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// Characters of a text cell shown before it is cut; the whole text is
/// its tooltip. Long enough for the operation and model names of real
/// projects, short enough that a table stays within 1024 px.
pub const CELL_CHARS: usize = 48;

/// A table whose columns sort on click (again to reverse) and whose rows a
/// filter box narrows to those whose text contains what is typed. Numbers
/// are right-aligned; long text is cut, the whole of it on hover. Cell text
/// is rendered as text, never as HTML.
#[component]
pub fn SortableTable(id: &'static str, columns: Vec<&'static str>, rows: Vec<Vec<Cell>>) -> impl IntoView {
    let sort = RwSignal::new(None::<(usize, bool)>);
    let query = RwSignal::new(String::new());
    let numeric: Vec<bool> = (0..columns.len()).map(|i| rows.first().is_some_and(|r| matches!(r.get(i).map(|c| &c.key), Some(SortKey::Num(_))))).collect();
    let total = rows.len();
    let header = columns
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let arrow = move || match sort.get() {
                Some((c, true)) if c == i => " ▲",
                Some((c, false)) if c == i => " ▼",
                _ => "",
            };
            let aria = move || match sort.get() {
                Some((c, true)) if c == i => "ascending",
                Some((c, false)) if c == i => "descending",
                _ => "none",
            };
            let click = move |_| sort.update(|s| *s = Some((i, !matches!(*s, Some((c, true)) if c == i))));
            view! { <th scope="col" class:num=numeric[i] aria-sort=aria><button class="sort" on:click=click>{*label}{arrow}</button></th> }
        })
        .collect_view();
    let shown = Signal::derive(move || {
        let q = query.get().trim().to_lowercase();
        let mut rows: Vec<Vec<Cell>> = rows.iter().filter(|r| q.is_empty() || r.iter().any(|c| matches!(&c.key, SortKey::Text(t) if t.contains(&q)))).cloned().collect();
        if let Some((col, ascending)) = sort.get() {
            crate::order::sort_by(&mut rows, |a, b| {
                let o = compare(&a[col].key, &b[col].key);
                if ascending { o } else { o.reverse() }
            });
        }
        rows
    });
    let count = move || {
        let n = shown.with(Vec::len);
        if n == total { format!("{total} rows") } else { format!("{n} of {total} rows") }
    };
    let numeric_cells = numeric.clone();
    view! {
        <div class="table-tools">
            <input type="search" class="filter" id=format!("{id}-filter") placeholder="Filter rows" aria-label="Filter rows"
                prop:value=query on:input=move |ev| query.set(event_target_value(&ev)) />
            <span class="hint">{count}</span>
        </div>
        <div class="table-wrap">
            <table id=id>
                <thead><tr>{header}</tr></thead>
                <tbody>
                    {move || shown.get().into_iter().map(|r| {
                        let numeric = numeric_cells.clone();
                        view! {
                            <tr>{r.into_iter().enumerate().map(|(i, c)| cell(c, numeric.get(i).copied().unwrap_or(false))).collect_view()}</tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One cell: numbers right-aligned, long text cut with the whole on hover.
fn cell(c: Cell, numeric: bool) -> impl IntoView {
    let cut = crate::format::truncate(&c.text, CELL_CHARS);
    let title = (cut != c.text).then(|| c.text.clone());
    view! { <td class:num=numeric title=title>{cut}</td> }
}
