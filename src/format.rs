//! Number and text formatting shared by the report files, the page and the
//! recommendations' prose (money, shares, counts, bytes, seconds).

/// US dollars: cents above one dollar with thousands separators
/// (`$1,234.56`), four decimals below (`$0.0042`).
pub fn usd(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a >= 1.0 || a == 0.0 {
        format!("{sign}${}", thousands(a, 2))
    } else {
        format!("{sign}${a:.4}")
    }
}

/// A share as a percentage with one decimal (`12.3%`).
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A relative change with its sign (`+12.3%`, `-4.0%`).
pub fn change(delta: f64) -> String {
    format!("{}{:.1}%", if delta >= 0.0 { "+" } else { "-" }, delta.abs() * 100.0)
}

/// An integer with thousands separators.
pub fn count(n: u64) -> String {
    thousands(n as f64, 0)
}

/// A byte count in B, KB or MB (powers of 1,000).
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// Seconds with two decimals (`1.25 s`).
pub fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

/// The first `max` characters of `text`, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usd(1234567.891), "$1,234,567.89");
        assert_eq!((bytes(999), bytes(1_500), bytes(2_345_678)), ("999 B".into(), "1.5 KB".into(), "2.3 MB".into()));
        assert_eq!(usd(0.00421), "$0.0042");
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(-12.5), "-$12.50");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(change(-0.04), "-4.0%");
        assert_eq!(change(0.5), "+50.0%");
        assert_eq!(count(20_013), "20,013");
        assert_eq!(count(999), "999");
    }
}
