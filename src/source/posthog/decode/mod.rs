//! PostHog's JSON answers to the dataset's rows. Each row is read cell by
//! cell in its query's `SELECT` order; a body that is not such an answer
//! (malformed, truncated, wrong shape) is a [`SourceError::BadResponse`],
//! never a panic.

mod wire;

use crate::analysis::dataset::*;
use crate::source::{Page, SourceError};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use wire::{Cells, Day, Flag, Float, Int, OptFloat, OptInt, Text, Time};

/// Each row of a query answer through `read`. Rows are read as the body is
/// parsed: a row's cells stay borrowed text until `read` types them, and no
/// other part of the answer is kept.
fn rows<T>(body: &str, read: impl Fn(&mut Cells) -> Result<T, String>) -> Result<Vec<T>, SourceError> {
    let mut out = Vec::new();
    let mut take = |row: Vec<&RawValue>| {
        let mut cells = Cells::new(row);
        out.push(read(&mut cells)?);
        cells.end()
    };
    let mut json = serde_json::Deserializer::from_str(body);
    json.deserialize_map(Answer(&mut take)).and_then(|()| json.end()).map_err(|e| SourceError::BadResponse(e.to_string()))?;
    Ok(out)
}

/// Where each row goes; one type for every query, so that the visitors
/// below are compiled once.
type Take<'t, 'de> = &'t mut dyn FnMut(Vec<&'de RawValue>) -> Result<(), String>;

/// An answer object, of which only `results` is read.
struct Answer<'t, 'de>(Take<'t, 'de>);

impl<'de> Visitor<'de> for Answer<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a query answer")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "results" if seen => return Err(de::Error::duplicate_field("results")),
                "results" => {
                    map.next_value_seed(Results(&mut *self.0))?;
                    seen = true;
                }
                _ => _ = map.next_value::<IgnoredAny>()?,
            }
        }
        if seen { Ok(()) } else { Err(de::Error::missing_field("results")) }
    }
}

/// The `results` array, each row handed on as it is met.
struct Results<'t, 'de>(Take<'t, 'de>);

impl<'de> DeserializeSeed<'de> for Results<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Results<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut n = 0;
        while let Some(row) = seq.next_element::<Vec<&'de RawValue>>()? {
            n += 1;
            (self.0)(row).map_err(|e| de::Error::custom(format!("row {n}, {e}")))?;
        }
        Ok(())
    }
}

fn int(c: &mut Cells) -> Result<u64, String> {
    c.next::<Int>().map(|i| i.0)
}

fn float(c: &mut Cells) -> Result<f64, String> {
    c.next::<Float>().map(|f| f.0)
}

fn text(c: &mut Cells) -> Result<String, String> {
    c.next::<Text>().map(|t| t.0)
}

fn flag(c: &mut Cells) -> Result<bool, String> {
    c.next::<Flag>().map(|f| f.0)
}

fn time(c: &mut Cells) -> Result<chrono::DateTime<chrono::Utc>, String> {
    c.next::<Time>().map(|t| t.0)
}

fn tokens(c: &mut Cells) -> Result<TokenSums, String> {
    Ok(TokenSums { input: int(c)?, output: int(c)?, cache_read: int(c)?, cache_write: int(c)?, reasoning: int(c)? })
}

fn status(c: &mut Cells) -> Result<Option<u16>, String> {
    c.next::<OptInt>().map(|s| s.0.and_then(|s| u16::try_from(s).ok()))
}

fn texts(c: &mut Cells) -> Result<Vec<String>, String> {
    c.next::<Vec<Text>>().map(|v| v.into_iter().map(|t| t.0).collect())
}

/// The overview's single row.
pub fn overview(body: &str) -> Result<Overview, SourceError> {
    let mut all = rows(body, |c| {
        let generations = int(c)?;
        let (traces, trace_operations) = (int(c)?, int(c)?);
        // min/max of no rows is ClickHouse's zero date, not an event.
        let (first, last) = (time(c)?, time(c)?);
        let seen = |t| (generations > 0).then_some(t);
        let (with_payloads, libs) = (int(c)?, texts(c)?);
        let mut quality = DataQuality { repeated_events: int(c)?, missing_trace_ids: int(c)?, ..DataQuality::default() };
        for (property, _) in crate::contract::NUMBER_PROPERTIES {
            let n = int(c)?;
            if n > 0 {
                quality.bad_values.insert(property.to_string(), n);
            }
        }
        quality.generations_with_bad_values = int(c)?;
        let mut naming = OperationNaming::default();
        for rule in crate::contract::Naming::ALL {
            *naming.count_mut(rule) = int(c)?;
        }
        Ok(Overview { generations, traces, trace_operations, first_seen: seen(first), last_seen: seen(last), with_payloads, libs, quality, naming })
    })?;
    all.pop().ok_or_else(|| SourceError::BadResponse("the overview came back without a row".into()))
}

/// Rollup cells.
pub fn rollup(body: &str) -> Result<Vec<RollupRow>, SourceError> {
    rows(body, |c| {
        Ok(RollupRow {
            day: c.next::<Day>()?.0,
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            is_error: flag(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            unpriced: int(c)?,
            tokens: tokens(c)?,
            unpriced_tokens: tokens(c)?,
            long_context: int(c)?,
            latency_s: float(c)?,
            recorded: RecordedCost { calls: int(c)?, input_usd: float(c)?, output_usd: float(c)?, input_tokens: int(c)?, output_tokens: int(c)? },
            cache_reporting: CacheReporting { exclusive: int(c)?, inclusive: int(c)?, unpriced_exclusive: int(c)?, unpriced_inclusive: int(c)? },
            audit: AuditSums {
                cache_write_1h: int(c)?,
                framework_cache: int(c)?,
                unsourced_calls: int(c)?,
                unsourced_usd: float(c)?,
                openrouter_usd: float(c)?,
                manual_usd: float(c)?,
                custom_usd: float(c)?,
                passthrough_usd: float(c)?,
            },
        })
    })
}

/// Latency rows: scope 0 is by operation, 1 by model.
pub fn latency(body: &str) -> Result<Vec<LatencyRow>, SourceError> {
    rows(body, |c| {
        let scope = match int(c)? {
            0 => LatencyScope::Operation,
            1 => LatencyScope::Model,
            other => return Err(format!("unknown latency scope {other}")),
        };
        let (key, generations) = (text(c)?, int(c)?);
        let q: Vec<Float> = c.next()?;
        let [p50, p95, p99] = <[Float; 3]>::try_from(q).map_err(|q| format!("expected 3 quantiles, found {}", q.len()))?.map(|f| f.0);
        Ok(LatencyRow { scope, key, generations, p50, p95, p99, max: float(c)? })
    })
}

/// One page of per-trace rows: the query asks for one row more than the
/// page holds, so a full answer means more follow.
pub fn trace_ops(body: &str, limit: u64) -> Result<Page<TraceOpRow>, SourceError> {
    let mut rows = rows(body, |c| {
        Ok(TraceOpRow {
            trace_id: text(c)?,
            operation: text(c)?,
            first_seen: time(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            unpriced: int(c)?,
            tokens: tokens(c)?,
            unpriced_tokens: tokens(c)?,
            max_input_tokens: int(c)?,
            first_input_tokens: int(c)?,
            last_input_tokens: int(c)?,
            models: texts(c)?,
            errors: int(c)?,
            truncated: int(c)?,
            empty_outputs: int(c)?,
            tool_calls: int(c)?,
            duplicate_inputs: int(c)?,
            latency_s: float(c)?,
            max_latency_s: float(c)?,
        })
    })?;
    let has_more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, has_more })
}

/// Repeated prompt prefixes.
pub fn prefixes(body: &str) -> Result<Vec<PrefixRow>, SourceError> {
    rows(body, |c| {
        Ok(PrefixRow {
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            prefix_hash: text(c)?,
            generations: int(c)?,
            traces: int(c)?,
            min_input_chars: int(c)?,
            input_chars: int(c)?,
            input_tokens: int(c)?,
            cache_read_tokens: int(c)?,
            shared_chars: int(c)?,
            warm_calls: int(c)?,
            cold_calls: int(c)?,
        })
    })
}

/// Grouped errors.
pub fn errors(body: &str) -> Result<Vec<ErrorRow>, SourceError> {
    rows(body, |c| {
        Ok(ErrorRow {
            operation: text(c)?,
            model: text(c)?,
            http_status: status(c)?,
            message: text(c)?,
            generations: int(c)?,
            cost_usd: float(c)?,
            latency_s: float(c)?,
            max_latency_s: float(c)?,
            trace_ids: texts(c)?,
        })
    })
}

/// The grouped quality signals.
pub fn signals(body: &str) -> Result<Vec<SignalRow>, SourceError> {
    rows(body, |c| {
        let kind = text(c)?;
        Ok(SignalRow {
            kind: SignalKind::parse(&kind).ok_or_else(|| format!("unknown signal kind {kind:?}"))?,
            name: text(c)?,
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            events: int(c)?,
            passed: int(c)?,
            failed: int(c)?,
            value_sum: float(c)?,
            valued: int(c)?,
            input_tokens: int(c)?,
            cost_usd: float(c)?,
            unpriced: int(c)?,
            unpriced_tokens: int(c)?,
        })
    })
}

/// Generations of the selected traces and their spans: each row a
/// generation's columns after its kind (`generation` or `span`, whose
/// generation-only columns are empty), then its span and parent ids.
pub fn generations(body: &str) -> Result<TraceRows, SourceError> {
    let read = rows(body, |c| {
        let kind = text(c)?;
        let g = GenerationRow {
            uuid: text(c)?,
            trace_id: text(c)?,
            timestamp: time(c)?,
            operation: text(c)?,
            model: text(c)?,
            provider: text(c)?,
            tokens: tokens(c)?,
            cost_usd: c.next::<OptFloat>()?.0,
            latency_s: float(c)?,
            is_error: flag(c)?,
            http_status: status(c)?,
            error: text(c)?,
            stop_reason: text(c)?,
            max_tokens: c.next::<OptInt>()?.0,
            input_hash: text(c)?,
            input_chars: int(c)?,
            output_chars: int(c)?,
            input_head: text(c)?,
            input_tail: text(c)?,
            output_head: text(c)?,
            span_id: text(c)?,
            parent_id: text(c)?,
        };
        match kind.as_str() {
            "generation" | "span" => Ok((kind == "span", g)),
            other => Err(format!("unknown row kind {other:?}")),
        }
    })?;
    let mut out = TraceRows::default();
    for (span, g) in read {
        if !span {
            out.generations.push(g);
            continue;
        }
        out.spans.push(SpanRow {
            uuid: g.uuid,
            trace_id: g.trace_id,
            timestamp: g.timestamp,
            name: g.operation,
            span_id: g.span_id,
            parent_id: g.parent_id,
            latency_s: g.latency_s,
            is_error: g.is_error,
            error: g.error,
            input_chars: g.input_chars,
            output_chars: g.output_chars,
            input_head: g.input_head,
            input_tail: g.input_tail,
            output_head: g.output_head,
        });
    }
    Ok(out)
}

/// Spend by user and by property value.
pub fn segments(body: &str) -> Result<Vec<SegmentRow>, SourceError> {
    rows(body, |c| {
        Ok(SegmentRow {
            key: text(c)?,
            other: flag(c)?,
            value: text(c)?,
            members: int(c)?,
            generations: int(c)?,
            traces: int(c)?,
            cost_usd: float(c)?,
            errors: int(c)?,
            truncated: int(c)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trace_ops row in SELECT order, with `cost` and `models` as given.
    fn trace_op_row(trace: &str, cost: &str, models: &str) -> String {
        format!(
            r#"["{trace}", "draft", "2026-10-21T09:00:02.250000Z", 3, {cost}, 1, 10, 20, "30", 0, null, 1, 2, 0, 0, 0, 7, 5, 7, {models}, 1, 0, 0, 2, 1, 1.5, 0.75]"#
        )
    }

    fn answer(rows: &[String]) -> String {
        // Keys PostHog sends around `results`, with nested values to skip.
        format!(
            r#"{{"columns": ["trace"], "types": [["trace", "String"]], "results": [{}], "timings": [{{"k": ".", "t": 0.1}}], "hasMore": false}}"#,
            rows.join(", ")
        )
    }

    #[test]
    fn rows_are_read_in_select_order_around_other_keys() {
        let body = answer(&[trace_op_row(r#"t-\"1\""#, "0.25", r#"["gpt-4o", null]"#), trace_op_row("t2", "null", "[]")]);
        let page = trace_ops(&body, 1).unwrap();
        assert!(page.has_more, "a full answer says more rows follow");
        assert_eq!(page.rows.len(), 1);
        let r = &page.rows[0];
        assert_eq!(r.trace_id, "t-\"1\"");
        assert_eq!(r.first_seen.to_rfc3339(), "2026-10-21T09:00:02.250+00:00");
        assert_eq!((r.generations, r.cost_usd, r.unpriced), (3, 0.25, 1));
        assert_eq!(r.tokens, TokenSums { input: 10, output: 20, cache_read: 30, cache_write: 0, reasoning: 0 });
        assert_eq!(r.unpriced_tokens.output, 2);
        assert_eq!((r.max_input_tokens, r.first_input_tokens, r.last_input_tokens), (7, 5, 7));
        assert_eq!(r.models, ["gpt-4o", ""]);
        assert_eq!((r.errors, r.tool_calls, r.duplicate_inputs, r.latency_s, r.max_latency_s), (1, 2, 1, 1.5, 0.75));
        let all = trace_ops(&body, 5).unwrap();
        assert!(!all.has_more);
        assert_eq!(all.rows[1].cost_usd, 0.0, "a null sum is 0");
    }

    #[test]
    fn a_body_that_is_not_the_answer_is_a_bad_response_naming_the_fault() {
        let good = trace_op_row("t1", "0.25", "[]");
        let bad = |body: &str| match trace_ops(body, 10) {
            Err(SourceError::BadResponse(m)) => m,
            other => panic!("expected a bad response, got {other:?}"),
        };
        assert!(bad(&answer(&[good.clone(), trace_op_row("t2", "\"n/a\"", "[]")])).contains("row 2, column 5"));
        assert!(bad(&answer(&[trace_op_row("t1", "0.25", "\"gpt-4o\"")])).contains("column 20"));
        assert!(bad(&answer(&[good.replace(", 0.75]", "]")])).contains("no column 27"));
        assert!(bad(&answer(&[good.replace(", 0.75]", ", 0.75, 1]")])).contains("more than 27 columns"));
        assert!(bad(r#"{"columns": []}"#).contains("missing field `results`"));
        assert!(bad(r#"{"results": [], "results": []}"#).contains("duplicate field"));
        let body = answer(&[good]);
        assert!(!bad(&body[..body.len() / 2]).is_empty(), "a truncated body");
        assert!(!bad(&format!("{body} trailing")).is_empty());
        assert!(!bad("[]").is_empty(), "an array is not an answer");
    }

    #[test]
    fn the_overview_reads_data_quality_keeping_only_properties_with_bad_values() {
        let body = r#"{"results": [[9, 2, 3, "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", 9, ["posthog-python"], 1, 2, 3, 0, 0, 1, 4, 0, 0, 0, 0, 0, 5, 4, 1, 1, 1, 1, 1]]}"#;
        let o = overview(body).unwrap();
        assert_eq!((o.naming.span_name, o.naming.parent_span, o.naming.trace_name, o.naming.prompt, o.naming.model, o.naming.unnamed), (4, 1, 1, 1, 1, 1), "generations by naming rule, in the rule's order");
        let q = o.quality;
        assert_eq!((q.repeated_events, q.missing_trace_ids, q.generations_with_bad_values), (1, 2, 5));
        let bad: Vec<(&str, u64)> = q.bad_values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(bad, [("$ai_input_tokens", 4), ("$ai_latency", 1), ("$ai_total_cost_usd", 3)]);
    }

    #[test]
    fn the_overview_of_no_events_has_no_dates() {
        let body = r#"{"results": [[0, 0, 0, "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0, [], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]}"#;
        let o = overview(body).unwrap();
        assert_eq!((o.generations, o.first_seen, o.last_seen), (0, None, None));
        assert!(o.quality.is_clean());
        assert!(matches!(overview(r#"{"results": []}"#), Err(SourceError::BadResponse(_))));
    }

    /// Every decoder on `body`; each answer is whatever it is, and none may panic.
    #[cfg(not(target_arch = "wasm32"))]
    fn decode_all(body: &str) -> [bool; 8] {
        [
            overview(body).is_ok(),
            rollup(body).is_ok(),
            latency(body).is_ok(),
            trace_ops(body, 10).is_ok(),
            prefixes(body).is_ok(),
            errors(body).is_ok(),
            generations(body).is_ok(),
            signals(body).is_ok(),
        ]
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// A JSON cell of any kind a hostile or broken server could send.
        fn cell() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("null".to_string()),
                any::<bool>().prop_map(|b| b.to_string()),
                any::<i64>().prop_map(|i| i.to_string()),
                any::<u64>().prop_map(|i| i.to_string()),
                any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
                prop_oneof![Just("1e400"), Just("-0"), Just("\"NaN\""), Just("\"inf\""), Just("\"1e999\""), Just("\"-5\""), Just("\"2026-13-45\"")].prop_map(str::to_string),
                any::<String>().prop_map(|t| serde_json::to_string(&t).unwrap_or_default()),
                Just("\"2026-10-21T09:00:02.250000Z\"".to_string()),
            ];
            leaf.prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
                    prop::collection::vec(inner, 0..3).prop_map(|v| format!("{{{}}}", v.iter().enumerate().map(|(i, c)| format!("\"k{i}\":{c}")).collect::<Vec<_>>().join(","))),
                ]
            })
        }

        /// A well-formed answer object whose rows hold random cells.
        fn answer_body() -> impl Strategy<Value = String> {
            prop::collection::vec(prop::collection::vec(cell(), 0..30), 0..5).prop_map(|rows| {
                let rows: Vec<String> = rows.into_iter().map(|r| format!("[{}]", r.join(","))).collect();
                format!("{{\"columns\":[],\"results\":[{}],\"hasMore\":false}}", rows.join(","))
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

            #[test]
            fn any_text_is_decoded_or_refused_without_panicking(body in any::<String>()) {
                decode_all(&body);
            }

            #[test]
            fn random_rows_are_decoded_or_refused_without_panicking(body in answer_body()) {
                decode_all(&body);
            }

            #[test]
            fn a_truncated_answer_is_always_refused(body in answer_body(), cut in any::<prop::sample::Index>()) {
                let cut = cut.index(body.len());
                let cut = (0..=cut).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
                prop_assert_eq!(decode_all(&body[..cut]), [false; 8]);
            }

            #[test]
            fn corrupted_answers_are_decoded_or_refused_without_panicking(
                body in answer_body(), at in any::<prop::sample::Index>(), with in prop::sample::select(vec!["", "\"", "]", "[", "}", ",", "\\", "\u{0}", "\u{2028}", "9", "-", "e", ":", "{\"results\":"]),
            ) {
                let at = at.index(body.len() + 1);
                let at = (0..=at).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
                let mut broken = body.clone();
                broken.insert_str(at, with);
                decode_all(&broken);
                let mut dropped = body;
                if at < dropped.len() {
                    dropped.remove(at);
                }
                decode_all(&dropped);
            }
        }
    }

    #[test]
    fn a_real_answer_survives_every_single_cut_as_an_error() {
        let body = answer(&[trace_op_row(r#"t-\u00e9\"1"#, "0.25", r#"["gpt-4o"]"#), trace_op_row("t2", "null", "[]")]);
        assert!(trace_ops(&body, 10).is_ok());
        for cut in (0..body.len()).filter(|&i| body.is_char_boundary(i)) {
            assert!(trace_ops(&body[..cut], 10).is_err(), "cut at {cut}");
        }
    }
}
