//! Dates and instants written and read in the few fixed forms the project
//! uses: ISO days, UTC minutes and seconds for people, RFC 3339 for files
//! and PostHog. chrono keeps the calendar arithmetic; its general `strftime`
//! formatter and parser are not compiled in (they were about 11 KB of the
//! page's gzipped weight for these few forms).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use std::fmt::Write;

/// The day of a date or an instant as `2026-10-21`.
pub fn day(d: impl Datelike) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A month and day as `10-21` (chart axes).
pub fn month_day(d: impl Datelike) -> String {
    format!("{:02}-{:02}", d.month(), d.day())
}

/// An instant to the minute as `2026-10-21 09:00`.
pub fn minute(t: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", day(t), t.hour(), t.minute())
}

/// An instant to the second as `2026-10-21 09:00:02`.
pub fn second(t: DateTime<Utc>) -> String {
    format!("{}:{:02}", minute(t), t.second())
}

/// An instant with microseconds, as PostHog writes it: `2026-10-21T09:00:02.250000Z`.
pub fn micros(t: DateTime<Utc>) -> String {
    format!("{}.{:06}Z", clock(t), t.nanosecond() / 1_000)
}

/// An instant to the second in RFC 3339: `2026-10-21T09:00:02Z` (PostHog's links).
pub fn rfc3339_seconds(t: DateTime<Utc>) -> String {
    format!("{}Z", clock(t))
}

/// `2026-10-21T09:00:02`.
fn clock(t: DateTime<Utc>) -> String {
    format!("{}T{:02}:{:02}:{:02}", day(t), t.hour(), t.minute(), t.second())
}

/// An instant in RFC 3339 with as many fraction digits as it needs (none,
/// 3, 6 or 9) and `Z`: `2026-10-21T09:00:02.250Z`. The form the files keep.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    rfc3339_to(t, "Z")
}

/// [`rfc3339`] with the offset written `+00:00`.
pub fn rfc3339_offset(t: DateTime<Utc>) -> String {
    rfc3339_to(t, "+00:00")
}

fn rfc3339_to(t: DateTime<Utc>, offset: &str) -> String {
    let mut s = clock(t);
    let ns = t.nanosecond() % 1_000_000_000;
    // Writing to a String cannot fail.
    let _ = match ns {
        0 => Ok(()),
        _ if ns.is_multiple_of(1_000_000) => write!(s, ".{:03}", ns / 1_000_000),
        _ if ns.is_multiple_of(1_000) => write!(s, ".{:06}", ns / 1_000),
        _ => write!(s, ".{ns:09}"),
    };
    s.push_str(offset);
    s
}

/// Reads a day written `2026-10-21`.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?)
}

/// Reads an instant in RFC 3339 and its common relaxations: `T`, `t` or a
/// space between day and time, any number of fraction digits (nanoseconds
/// kept), then `Z`, `UTC`, `+hh:mm`, `+hhmm` or `+hh`, after optional
/// spaces. Without an offset the time is UTC, as ClickHouse writes it. A
/// year of more than four digits takes a sign (`+10000-01-01T…`), as in ISO 8601.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => (0, s),
    };
    let year_digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if year_digits < 4 || (year_digits > 4 && sign == 0) || year_digits > 6 {
        return None;
    }
    let year = digits(&body.as_bytes()[..year_digits])? as i32 * if sign < 0 { -1 } else { 1 };
    let b = &body.as_bytes()[year_digits..];
    if b.len() < 15 || b[0] != b'-' || b[3] != b'-' || !matches!(b[6], b'T' | b't' | b' ') || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, digits(&b[1..3])?, digits(&b[4..6])?)?;
    let (h, m, sec) = (digits(&b[7..9])?, digits(&b[10..12])?, digits(&b[13..15])?);
    let mut rest = &b[15..];
    let mut nanos = 0;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Digits past the ninth are below a nanosecond: read, not kept.
        let kept = &tail[..n.min(9)];
        nanos = digits(kept)? * 10u32.pow(9 - kept.len() as u32);
        rest = &tail[n..];
    }
    while let [b' ', tail @ ..] = rest {
        rest = tail;
    }
    let offset_s = offset(rest)?;
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    date.and_time(time).and_utc().checked_sub_signed(TimeDelta::seconds(offset_s))
}

/// Seconds east of UTC of an offset: empty, `Z`, `UTC`, `±hh:mm`, `±hhmm` or `±hh`.
fn offset(b: &[u8]) -> Option<i64> {
    let (sign, rest) = match b {
        [] | [b'Z' | b'z'] | [b'U', b'T', b'C'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match rest {
        [h1, h2] => ([*h1, *h2], [b'0', b'0']),
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => ([*h1, *h2], [*m1, *m2]),
        _ => return None,
    };
    let (h, m) = (digits(&h)?, digits(&m)?);
    (h < 24 && m < 60).then(|| sign * i64::from(h * 3600 + m * 60))
}

/// The number written by ASCII digits only.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

/// serde for a `DateTime<Utc>` field as [`rfc3339`] text: `#[serde(with = "crate::time::instant")]`.
pub mod instant {
    use chrono::{DateTime, Utc};
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(d)?;
        super::parse_instant(&text).ok_or_else(|| D::Error::custom(format!("not an RFC 3339 instant: {text:?}")))
    }
}

/// serde for an `Option<DateTime<Utc>>` field (null when absent); pair with `#[serde(default)]`.
pub mod instant_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&super::rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::instant")] DateTime<Utc>);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// serde for a `NaiveDate` field as [`day`] text: `#[serde(with = "crate::time::date")]`.
pub mod date {
    use chrono::NaiveDate;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::day(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(d)?;
        super::parse_day(&text).ok_or_else(|| D::Error::custom(format!("not a day written YYYY-MM-DD: {text:?}")))
    }
}

/// serde for an `Option<NaiveDate>` field (null when absent); pair with `#[serde(default)]`.
pub mod date_opt {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&super::day(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        #[derive(Deserialize)]
        struct Wrap(#[serde(with = "super::date")] NaiveDate);
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests;
