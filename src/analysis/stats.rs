//! Descriptive statistics with stated definitions.
//!
//! - Quantiles: linear interpolation between order statistics (Hyndman and
//!   Fan type 7, the default of R and NumPy, and what ClickHouse's
//!   `quantiles` returns exactly for up to 8,192 values).
//! - Standard deviation: population (divide by n), since a window's traces
//!   are the whole population being described, not a sample of it.
//! - MAD: median absolute deviation from the median, unscaled; the robust
//!   outlier rule scales it by 1.4826 so it matches the sd on normal data.

use serde::{Deserialize, Serialize};

/// Scale that makes the MAD a consistent estimator of the sd for normal data.
pub const MAD_SCALE: f64 = 1.4826;

/// Type-7 quantile of already sorted values; `None` when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Sorts a copy of `values` ascending (NaN-free input assumed; NaNs sort last).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    crate::order::sort_by(&mut v, f64::total_cmp);
    v
}

/// Arithmetic mean; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Population standard deviation; `None` when empty.
pub fn std_pop(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64;
    Some(var.sqrt())
}

/// Median absolute deviation (unscaled); `None` when empty.
pub fn mad(values: &[f64]) -> Option<f64> {
    let med = quantile_sorted(&sorted(values), 0.5)?;
    let dev: Vec<f64> = values.iter().map(|v| (v - med).abs()).collect();
    quantile_sorted(&sorted(&dev), 0.5)
}

/// The summary of a distribution reported for each operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub mean: f64,
    pub median: f64,
    pub std: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Summarises `values`; `None` when empty.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let s = sorted(values);
    let q = |p| quantile_sorted(&s, p);
    Some(Summary {
        n: s.len(),
        min: *s.first()?,
        mean: mean(&s)?,
        median: q(0.5)?,
        std: std_pop(&s)?,
        p95: q(0.95)?,
        p99: q(0.99)?,
        max: *s.last()?,
    })
}

/// Upper outlier thresholds by the two rules.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutlierThresholds {
    /// mean + 2 sd
    pub sd_rule: f64,
    /// median + 3 x 1.4826 x MAD
    pub mad_rule: f64,
}

/// Thresholds above which a value is an outlier; `None` when empty.
/// Linear time: medians by selection, not by sorting.
pub fn outlier_thresholds(values: &[f64]) -> Option<OutlierThresholds> {
    let mut v = values.to_vec();
    let med = median_in_place(&mut v)?;
    for x in &mut v {
        *x = (*x - med).abs();
    }
    let mad = median_in_place(&mut v)?;
    Some(OutlierThresholds { sd_rule: mean(values)? + 2.0 * std_pop(values)?, mad_rule: med + 3.0 * MAD_SCALE * mad })
}

/// The type-7 median of `v` (reordering it); `None` when empty.
pub fn median_in_place(v: &mut [f64]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let lo = (n - 1) / 2;
    crate::order::select_nth_by(v, lo, f64::total_cmp);
    let (a, right) = (v[lo], &v[lo + 1..]);
    Some(if n % 2 == 1 { a } else { (a + right.iter().copied().fold(f64::INFINITY, f64::min)) / 2.0 })
}

/// Share of the total held by the largest `fraction` of values
/// (at least one value); 0 when the total is 0. Linear time.
pub fn top_share(values: &[f64], fraction: f64) -> f64 {
    let total: f64 = values.iter().sum();
    if values.is_empty() || total <= 0.0 {
        return 0.0;
    }
    let k = ((values.len() as f64 * fraction).ceil() as usize).clamp(1, values.len());
    // The k largest by selection (linear time), not by sorting everything.
    let mut v = values.to_vec();
    crate::order::select_nth_by(&mut v, k - 1, |a, b| b.total_cmp(a));
    v[..k].iter().sum::<f64>() / total
}

/// One bin of a histogram.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
}

/// Histogram with `bins` bins equally wide on a log10 scale between the
/// smallest positive value and the largest. Values `<= 0` go to the first
/// bin. Every value lands in exactly one bin.
pub fn log_bins(values: &[f64], bins: usize) -> Vec<Bin> {
    let positive = values.iter().copied().filter(|v| *v > 0.0);
    let (lo, hi) = positive.fold((f64::INFINITY, 0.0_f64), |(a, b), v| (a.min(v), b.max(v)));
    if bins == 0 || values.is_empty() {
        return Vec::new();
    }
    if !lo.is_finite() || hi <= lo {
        let edge = if lo.is_finite() { lo } else { 0.0 };
        return vec![Bin { lo: edge, hi: edge.max(hi), count: values.len() }];
    }
    let (llo, lhi) = (lo.log10(), hi.log10());
    let step = (lhi - llo) / bins as f64;
    let mut out: Vec<Bin> = (0..bins)
        .map(|i| Bin {
            lo: 10f64.powf(llo + step * i as f64),
            hi: 10f64.powf(llo + step * (i + 1) as f64),
            count: 0,
        })
        .collect();
    for v in values {
        let i = if *v <= lo { 0 } else { (((v.log10() - llo) / step) as usize).min(bins - 1) };
        out[i].count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert!((quantile_sorted(&v, 0.95).unwrap() - 3.85).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }

    #[test]
    fn summary_of_known_values() {
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!((s.n, s.min, s.max, s.mean, s.std, s.median), (8, 2.0, 9.0, 5.0, 2.0, 4.5));
    }

    #[test]
    fn mad_and_outliers() {
        let v = [1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0];
        assert_eq!(mad(&v), Some(1.0));
        let t = outlier_thresholds(&v).unwrap();
        assert!((t.mad_rule - (2.0 + 3.0 * MAD_SCALE)).abs() < 1e-12);
    }

    #[test]
    fn concentration_of_one_whale() {
        let mut v = vec![1.0; 99];
        v.push(901.0);
        assert!((top_share(&v, 0.01) - 0.901).abs() < 1e-12);
        assert!((top_share(&v, 0.10) - 0.910).abs() < 1e-12);
        assert_eq!(top_share(&[], 0.1), 0.0);
    }

    #[test]
    fn log_bins_span_values() {
        let b = log_bins(&[0.001, 0.01, 0.1, 1.0], 3);
        assert_eq!(b.iter().map(|b| b.count).collect::<Vec<_>>(), vec![1, 1, 2]);
        assert!((b[0].lo - 0.001).abs() < 1e-15 && (b[2].hi - 1.0).abs() < 1e-12);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn costs() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(0.0f64..1000.0, 1..200)
    }

    proptest! {
        #[test]
        fn quantiles_are_monotone_and_bounded(v in costs(), a in 0.0f64..1.0, b in 0.0f64..1.0) {
            let s = sorted(&v);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (ql, qh) = (quantile_sorted(&s, lo).unwrap(), quantile_sorted(&s, hi).unwrap());
            prop_assert!(ql <= qh + 1e-9);
            prop_assert!(s[0] <= ql && qh <= s[s.len() - 1]);
        }

        #[test]
        fn summary_is_ordered(v in costs()) {
            let s = summarize(&v).unwrap();
            prop_assert!(s.min <= s.median && s.median <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max);
            prop_assert!(s.min <= s.mean + 1e-9 && s.mean <= s.max + 1e-9);
            prop_assert!(s.std >= 0.0 && s.std <= (s.max - s.min) + 1e-9);
        }

        #[test]
        fn statistics_are_shift_and_scale_equivariant(v in costs(), c in 0.1f64..10.0, d in 0.0f64..100.0) {
            let w: Vec<f64> = v.iter().map(|x| x * c + d).collect();
            let (a, b) = (summarize(&v).unwrap(), summarize(&w).unwrap());
            let tol = 1e-6 * (1.0 + b.max.abs());
            prop_assert!((b.median - (a.median * c + d)).abs() < tol);
            prop_assert!((b.std - a.std * c).abs() < tol);
            prop_assert!((mad(&w).unwrap() - mad(&v).unwrap() * c).abs() < tol);
        }

        #[test]
        fn selection_median_equals_sorted_median(v in costs()) {
            let mut w = v.clone();
            // The same value up to the rounding of two ways to interpolate a midpoint.
            let (m, q) = (median_in_place(&mut w).unwrap(), quantile_sorted(&sorted(&v), 0.5).unwrap());
            prop_assert!((m - q).abs() <= 1e-12 * q.abs().max(1.0), "{m} vs {q}");
            let t = outlier_thresholds(&v).unwrap();
            prop_assert!((t.mad_rule - (quantile_sorted(&sorted(&v), 0.5).unwrap() + 3.0 * MAD_SCALE * mad(&v).unwrap())).abs() < 1e-9);
        }

        #[test]
        fn top_share_grows_with_fraction(v in costs()) {
            let (s1, s10, all) = (top_share(&v, 0.01), top_share(&v, 0.10), top_share(&v, 1.0));
            prop_assert!(s1 <= s10 + 1e-12 && s10 <= all + 1e-12);
            if v.iter().sum::<f64>() > 0.0 {
                prop_assert!((all - 1.0).abs() < 1e-9);
                // The largest k values hold at least k/n of the total.
                prop_assert!(s10 + 1e-9 >= 0.10 && s1 + 1e-9 >= 0.01);
                // Equal to the definition by a full sort.
                let mut desc = sorted(&v);
                desc.reverse();
                let k = ((v.len() as f64 * 0.10).ceil() as usize).clamp(1, v.len());
                prop_assert!((s10 - desc[..k].iter().sum::<f64>() / v.iter().sum::<f64>()).abs() < 1e-9);
            }
        }

        #[test]
        fn log_bins_count_every_value(v in costs(), bins in 1usize..40) {
            let b = log_bins(&v, bins);
            prop_assert_eq!(b.iter().map(|b| b.count).sum::<usize>(), v.len());
            for w in b.windows(2) { prop_assert!(w[0].hi <= w[1].lo * (1.0 + 1e-9)); }
        }
    }
}
