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

/// A sortable table. Clicking a header sorts by it; clicking again reverses.
/// Cell text is rendered as text, never as HTML.
#[component]
pub fn SortableTable(id: &'static str, columns: Vec<&'static str>, rows: Vec<Vec<Cell>>) -> impl IntoView {
    let sort = RwSignal::new(None::<(usize, bool)>);
    let header = columns
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let arrow = move || match sort.get() {
                Some((c, true)) if c == i => " ▲",
                Some((c, false)) if c == i => " ▼",
                _ => "",
            };
            let click = move |_| sort.update(|s| *s = Some((i, !matches!(*s, Some((c, true)) if c == i))));
            view! { <th scope="col"><button class="sort" on:click=click>{*label}{arrow}</button></th> }
        })
        .collect_view();
    let sorted = move || {
        let mut rows = rows.clone();
        if let Some((col, ascending)) = sort.get() {
            rows.sort_by(|a, b| {
                let o = compare(&a[col].key, &b[col].key);
                if ascending { o } else { o.reverse() }
            });
        }
        rows
    };
    view! {
        <div class="table-wrap">
            <table id=id>
                <thead><tr>{header}</tr></thead>
                <tbody>
                    {move || sorted().into_iter().map(|r| view! {
                        <tr>{r.into_iter().map(|c| view! { <td>{c.text}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
