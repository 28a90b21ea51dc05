//! chrono's own formatter and parser are the oracle: they are compiled into
//! the tests only.

use super::*;
use chrono::SecondsFormat;
use proptest::prelude::*;

/// Any instant from 1900 to 2299 with any nanosecond.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-2_208_988_800i64..10_413_792_000, 0u32..1_000_000_000, 0u8..4).prop_map(|(secs, ns, round)| {
        // Round the fraction a quarter of the time each to whole seconds, milliseconds and microseconds.
        let ns = match round {
            0 => 0,
            1 => ns / 1_000_000 * 1_000_000,
            2 => ns / 1_000 * 1_000,
            _ => ns,
        };
        DateTime::from_timestamp(secs, ns).unwrap()
    })
}

proptest! {
    #[test]
    fn writes_as_chrono_writes(t in instant()) {
        prop_assert_eq!(rfc3339(t), t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        prop_assert_eq!(rfc3339_offset(t), t.to_rfc3339());
        prop_assert_eq!(rfc3339_seconds(t), t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        prop_assert_eq!(micros(t), t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
        prop_assert_eq!(second(t), t.format("%Y-%m-%d %H:%M:%S").to_string());
        prop_assert_eq!(minute(t), t.format("%Y-%m-%d %H:%M").to_string());
        prop_assert_eq!(day(t.date_naive()), t.format("%Y-%m-%d").to_string());
        prop_assert_eq!(day(t), day(t.date_naive()));
        prop_assert_eq!(month_day(t.date_naive()), t.format("%m-%d").to_string());
    }

    #[test]
    fn reads_back_what_it_writes(t in instant()) {
        prop_assert_eq!(parse_instant(&rfc3339(t)), Some(t));
        prop_assert_eq!(parse_day(&day(t.date_naive())), Some(t.date_naive()));
    }

    /// Wherever chrono reads a `DateTime<Utc>`, this reads the same instant.
    #[test]
    fn reads_what_chrono_reads(t in instant(), sep in prop::sample::select(vec!["T", "t", " "]), digits in 0usize..12,
                               space in prop::bool::ANY, off in prop::sample::select(vec!["Z", "z", "+00:00", "+05:30", "-08:00", "+0530", "-0800", "+05", "UTC"])) {
        let fraction = match digits {
            0 => String::new(),
            n => format!(".{}", format!("{:09}", t.timestamp_subsec_nanos()).chars().cycle().take(n).collect::<String>()),
        };
        let text = format!("{}{sep}{}{fraction}{}{off}", t.format("%Y-%m-%d"), t.format("%H:%M:%S"), if space { " " } else { "" });
        if let Ok(theirs) = text.parse::<DateTime<Utc>>() {
            prop_assert_eq!(parse_instant(&text), Some(theirs), "{}", text);
        }
    }

    /// Any text at all, hostile or not, is read or refused without a panic.
    #[test]
    fn any_text_is_read_or_refused(text in any::<String>(), prefix in prop::sample::select(vec!["", "2026-10-21", "2026-10-21T09:00:00", "+"])) {
        let text = format!("{prefix}{text}");
        let _ = (parse_instant(&text), parse_day(&text));
    }

    /// Nothing panics on junk, and what is read is what chrono reads or an instant without an offset.
    #[test]
    fn junk_is_refused_or_read_as_chrono_reads(text in "[0-9T:. Z+-]{0,32}") {
        if let Some(ours) = parse_instant(&text) {
            let theirs = text.parse::<DateTime<Utc>>().ok()
                .or_else(|| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f").ok().map(|t| t.and_utc()))
                .or_else(|| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc()))
                .or_else(|| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").ok().map(|t| t.and_utc()))
                .or_else(|| chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc()));
            prop_assert_eq!(Some(ours), theirs, "{}", text);
        }
        if let Some(d) = parse_day(&text) {
            prop_assert_eq!(Some(d), NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
        }
    }
}

#[test]
fn forms_posthog_and_exports_write() {
    let t = DateTime::from_timestamp(1_792_573_202, 250_000_000).unwrap();
    for text in ["2026-10-21T09:00:02.250000Z", "2026-10-21 09:00:02.25", "2026-10-21T09:00:02.250+00:00", "2026-10-21T11:00:02.25+02:00", "2026-10-21 09:00:02.250000 UTC"] {
        assert_eq!(parse_instant(text), Some(t), "{text}");
    }
    assert_eq!(rfc3339(t), "2026-10-21T09:00:02.250Z");
    assert_eq!(micros(t), "2026-10-21T09:00:02.250000Z");
}

#[test]
fn impossible_dates_and_times_are_refused() {
    for text in ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-10-21T24:00:00Z", "2026-10-21T09:60:00Z", "2026-10-21T09:00:00.Z", "2026-10-21T09:00:00+25:00", "2026-10-21T09:00:00Q", "2026-10-21", "yesterday", "２０２６-10-21T09:00:00Z"] {
        assert_eq!(parse_instant(text), None, "{text}");
    }
    assert_eq!(parse_instant("+10000-01-01T00:00:00Z"), "+10000-01-01T00:00:00Z".parse::<DateTime<Utc>>().ok());
    assert_eq!(parse_instant("-0044-03-15T12:00:00Z"), "-0044-03-15T12:00:00Z".parse::<DateTime<Utc>>().ok());
    for text in ["10000-01-01T00:00:00Z", "+9999999-01-01T00:00:00Z", "+262144-01-01T00:00:00Z"] {
        assert_eq!(parse_instant(text), None, "{text}");
    }
    for text in ["2026-02-30", "2026-1-05", "2026/01/05", "", "+2026-01-05"] {
        assert_eq!(parse_day(text), None, "{text}");
    }
}

#[test]
fn serde_forms_match_chrono_serde_text() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Row {
        #[serde(with = "instant")]
        at: DateTime<Utc>,
        #[serde(with = "instant_opt", default)]
        seen: Option<DateTime<Utc>>,
        #[serde(with = "date")]
        on: NaiveDate,
        #[serde(with = "date_opt", default)]
        due: Option<NaiveDate>,
    }
    let t = DateTime::from_timestamp(1_792_573_202, 250_000_000).unwrap();
    let row = Row { at: t, seen: None, on: t.date_naive(), due: Some(t.date_naive()) };
    let json = serde_json::to_string(&row).unwrap();
    assert_eq!(json, r#"{"at":"2026-10-21T09:00:02.250Z","seen":null,"on":"2026-10-21","due":"2026-10-21"}"#);
    assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
    let older = r#"{"at":"2026-10-21T09:00:02.250Z","on":"2026-10-21"}"#;
    assert_eq!(serde_json::from_str::<Row>(older).unwrap(), Row { due: None, ..row });
    assert!(serde_json::from_str::<Row>(r#"{"at":"soon","on":"2026-10-21"}"#).unwrap_err().to_string().contains("not an RFC 3339 instant"));
}
