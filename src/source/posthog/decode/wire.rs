//! Cell types of PostHog's JSON answers, null-safe: ClickHouse sums of
//! nothing but nulls are null, counts may come as strings, booleans as 0/1.

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::fmt;

/// A count or token sum: an integer (also as text or an integral float); null is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Int(pub u64);

/// A nullable integer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OptInt(pub Option<u64>);

/// A float sum; null is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Float(pub f64);

/// A nullable float.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OptFloat(pub Option<f64>);

/// A boolean as `true`/`false`, 0/1 or their text.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Flag(pub bool);

/// Text; null is empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text(pub String);

/// A UTC instant as PostHog writes it (`2026-10-21T09:00:02.250000Z`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Time(pub DateTime<Utc>);

/// A date (`2026-10-21`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Day(pub NaiveDate);

/// Reads one cell with `visit`, which takes the cell as a number, text or
/// null (`None`); any other JSON value is an error naming `what` was expected.
fn cell<'de, D: Deserializer<'de>, R>(d: D, what: &'static str, visit: impl FnOnce(Option<Scalar>) -> Option<R>) -> Result<R, D::Error> {
    struct V<F>(&'static str, F);
    impl<'de, R, F: FnOnce(Option<Scalar>) -> Option<R>> Visitor<'de> for V<F> {
        type Value = R;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<R, E> {
            (self.1)(Some(Scalar::U64(v))).ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self.0))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<R, E> {
            (self.1)(Some(Scalar::I64(v))).ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &self.0))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<R, E> {
            (self.1)(Some(Scalar::F64(v))).ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self.0))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<R, E> {
            (self.1)(Some(Scalar::Bool(v))).ok_or_else(|| E::invalid_type(Unexpected::Bool(v), &self.0))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<R, E> {
            (self.1)(Some(Scalar::Str(v))).ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self.0))
        }
        fn visit_unit<E: de::Error>(self) -> Result<R, E> {
            (self.1)(None).ok_or_else(|| E::invalid_type(Unexpected::Unit, &self.0))
        }
    }
    d.deserialize_any(V(what, visit))
}

/// A cell that is neither an array, an object nor null.
enum Scalar<'s> {
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(&'s str),
}

/// An integer cell (`Some(None)` for null): negatives as 0, integral
/// floats and integer text accepted; `None` for anything else.
fn int_of(s: Option<Scalar>) -> Option<Option<u64>> {
    let Some(s) = s else { return Some(None) };
    match s {
        Scalar::U64(v) => Some(Some(v)),
        Scalar::I64(v) => Some(Some(v.max(0) as u64)),
        Scalar::F64(v) => (v.fract() == 0.0 && v >= 0.0).then_some(Some(v as u64)),
        Scalar::Str(t) => t.trim().parse().ok().map(Some),
        Scalar::Bool(_) => None,
    }
}

/// A number cell (`Some(None)` for null), also as text; text that reads
/// as infinite or not a number (`"inf"`, `"NaN"`, `"1e999"`) is refused, as
/// no sum the queries write can be either.
fn float_of(s: Option<Scalar>) -> Option<Option<f64>> {
    let Some(s) = s else { return Some(None) };
    match s {
        Scalar::U64(v) => Some(Some(v as f64)),
        Scalar::I64(v) => Some(Some(v as f64)),
        Scalar::F64(v) => Some(Some(v)),
        Scalar::Str(t) => t.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Some),
        Scalar::Bool(_) => None,
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "an integer", |s| int_of(s).map(|i| Int(i.unwrap_or(0))))
    }
}

impl<'de> Deserialize<'de> for OptInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "an integer or null", |s| int_of(s).map(OptInt))
    }
}

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "a number", |s| float_of(s).map(|f| Float(f.unwrap_or(0.0))))
    }
}

impl<'de> Deserialize<'de> for OptFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "a number or null", |s| float_of(s).map(OptFloat))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "a boolean", |s| match s {
            None => Some(Flag(false)),
            Some(Scalar::Bool(b)) => Some(Flag(b)),
            Some(Scalar::U64(v)) if v <= 1 => Some(Flag(v == 1)),
            Some(Scalar::Str("true" | "1")) => Some(Flag(true)),
            Some(Scalar::Str("false" | "0")) => Some(Flag(false)),
            Some(_) => None,
        })
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(Option::<String>::deserialize(d)?.unwrap_or_default()))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "a timestamp", |s| match s? {
            Scalar::Str(t) => crate::time::parse_instant(t).map(Time),
            _ => None,
        })
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        cell(d, "a date", |s| match s? {
            Scalar::Str(t) => crate::time::parse_day(t.get(..10).unwrap_or(t)).map(Day),
            _ => None,
        })
    }
}

/// One answer row read cell by cell, in `SELECT` order. Cells are borrowed
/// JSON text, typed only when read.
pub struct Cells<'a> {
    cells: std::vec::IntoIter<&'a RawValue>,
    at: usize,
}

impl<'a> Cells<'a> {
    /// The cells of `row`.
    pub fn new(row: Vec<&'a RawValue>) -> Self {
        Cells { cells: row.into_iter(), at: 0 }
    }

    /// The next cell as `T`.
    pub fn next<T: Deserialize<'a>>(&mut self) -> Result<T, String> {
        self.at += 1;
        let raw = self.cells.next().ok_or_else(|| format!("a row has no column {}", self.at))?;
        serde_json::from_str(raw.get()).map_err(|e| {
            // The position is within the cell, which says nothing here.
            let e = e.to_string();
            let message = e.rsplit_once(" at line ").map_or(e.as_str(), |(m, _)| m);
            format!("column {}: {message}", self.at)
        })
    }

    /// Fails when cells are left: the answer is not the query's.
    pub fn end(mut self) -> Result<(), String> {
        match self.cells.next() {
            None => Ok(()),
            Some(_) => Err(format!("a row has more than {} columns", self.at)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn nulls_read_as_zero_empty_or_none() {
        assert_eq!(parse::<Int>("null").unwrap(), Int(0));
        assert_eq!(parse::<Float>("null").unwrap(), Float(0.0));
        assert_eq!(parse::<OptFloat>("null").unwrap(), OptFloat(None));
        assert_eq!(parse::<OptInt>("null").unwrap(), OptInt(None));
        assert_eq!(parse::<Text>("null").unwrap(), Text(String::new()));
        assert_eq!(parse::<Flag>("null").unwrap(), Flag(false));
    }

    #[test]
    fn numbers_may_come_as_text_or_integral_floats() {
        assert_eq!(parse::<Int>("\"18446744073709551615\"").unwrap(), Int(u64::MAX));
        assert_eq!(parse::<Int>("12.0").unwrap(), Int(12));
        assert_eq!(parse::<Float>("\"0.25\"").unwrap(), Float(0.25));
        assert_eq!(parse::<Flag>("1").unwrap(), Flag(true));
        assert_eq!(parse::<Flag>("\"false\"").unwrap(), Flag(false));
        assert!(parse::<Int>("1.5").is_err());
        assert!(parse::<Int>("\"n/a\"").is_err());
        assert!(parse::<Flag>("2").is_err());
        assert!(parse::<Float>("[1]").is_err());
        for not_finite in ["\"inf\"", "\"-infinity\"", "\"NaN\"", "\"1e999\""] {
            assert!(parse::<Float>(not_finite).is_err() && parse::<OptFloat>(not_finite).is_err(), "{not_finite}");
        }
    }

    #[test]
    fn times_and_days_read_posthog_formats() {
        let t = parse::<Time>("\"2026-10-21T09:00:02.250000Z\"").unwrap().0;
        assert_eq!(t.to_rfc3339(), "2026-10-21T09:00:02.250+00:00");
        assert_eq!(parse::<Time>("\"2026-10-21 09:00:02.25\"").unwrap().0, t);
        assert_eq!(parse::<Day>("\"2026-10-21\"").unwrap().0.to_string(), "2026-10-21");
        assert!(parse::<Time>("\"yesterday\"").is_err());
    }
}
