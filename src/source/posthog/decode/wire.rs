//! Cell types of PostHog's JSON answers, null-safe: ClickHouse sums of
//! nothing but nulls are null, counts may come as strings, booleans as 0/1.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

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

fn int_of(v: &Value) -> Option<Option<u64>> {
    match v {
        Value::Null => Some(None),
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|i| i.max(0) as u64)).or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)).map(Some),
        Value::String(s) => s.trim().parse::<u64>().ok().map(Some),
        _ => None,
    }
}

fn float_of(v: &Value) -> Option<Option<f64>> {
    match v {
        Value::Null => Some(None),
        Value::Number(n) => n.as_f64().map(Some),
        Value::String(s) => s.trim().parse::<f64>().ok().map(Some),
        _ => None,
    }
}

fn expected<E: serde::de::Error>(what: &str, v: &Value) -> E {
    let shown: String = v.to_string().chars().take(40).collect();
    E::custom(format!("expected {what}, found {shown}"))
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        int_of(&v).map(|i| Int(i.unwrap_or(0))).ok_or_else(|| expected("an integer", &v))
    }
}

impl<'de> Deserialize<'de> for OptInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        int_of(&v).map(OptInt).ok_or_else(|| expected("an integer or null", &v))
    }
}

impl<'de> Deserialize<'de> for Float {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        float_of(&v).map(|f| Float(f.unwrap_or(0.0))).ok_or_else(|| expected("a number", &v))
    }
}

impl<'de> Deserialize<'de> for OptFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        float_of(&v).map(OptFloat).ok_or_else(|| expected("a number or null", &v))
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Null => Ok(Flag(false)),
            Value::Bool(b) => Ok(Flag(*b)),
            Value::Number(n) if n.as_u64() == Some(0) || n.as_u64() == Some(1) => Ok(Flag(n.as_u64() == Some(1))),
            Value::String(s) if matches!(s.as_str(), "true" | "1") => Ok(Flag(true)),
            Value::String(s) if matches!(s.as_str(), "false" | "0") => Ok(Flag(false)),
            _ => Err(expected("a boolean", &v)),
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(Option::<String>::deserialize(d)?.unwrap_or_default()))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc()))
            .map(Time)
            .map_err(|_| D::Error::custom(format!("expected a timestamp, found {s:?}")))
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").map(Day).map_err(|_| D::Error::custom(format!("expected a date, found {s:?}")))
    }
}

/// One answer row read cell by cell, in `SELECT` order.
pub struct Cells {
    cells: std::vec::IntoIter<Value>,
    at: usize,
}

impl Cells {
    /// The cells of `row`.
    pub fn new(row: Vec<Value>) -> Self {
        Cells { cells: row.into_iter(), at: 0 }
    }

    /// The next cell as `T`.
    pub fn next<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, String> {
        self.at += 1;
        let v = self.cells.next().ok_or_else(|| format!("a row has no column {}", self.at))?;
        serde_json::from_value(v).map_err(|e| format!("column {}: {e}", self.at))
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
