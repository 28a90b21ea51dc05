//! Prices true to the provider, end to end: events through the in-memory
//! source and the pipeline, checked against costs computed from the events.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use trace_optimizer::analysis::dataset::Window;
use trace_optimizer::analysis::pricing::{PriceBasis, PriceTable};
use trace_optimizer::analysis::{Origin, Settings};
use trace_optimizer::pipeline::{self, Prices, Request};
use trace_optimizer::source::event::Event;
use trace_optimizer::source::memory::MemorySource;

/// Google AI Studio's price of Gemini 2.0 Flash, USD per token: what
/// PostHog recorded on the calls it priced.
const AI_STUDIO: (f64, f64) = (0.10e-6, 0.40e-6);

fn event(i: u64, model: &str, provider: &str, input: u64, output: u64, cost: Option<(f64, f64)>) -> Event {
    let mut p = json!({"$ai_trace_id": format!("t{i}"), "$ai_span_name": "extract", "$ai_model": model, "$ai_provider": provider, "$ai_input_tokens": input, "$ai_output_tokens": output});
    if let Some((i, o)) = cost {
        p["$ai_input_cost_usd"] = json!(i);
        p["$ai_output_cost_usd"] = json!(o);
        p["$ai_total_cost_usd"] = json!(i + o);
    }
    let timestamp = Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).unwrap() + Duration::minutes(37 * i as i64);
    Event { uuid: format!("u{i}"), event: "$ai_generation".into(), distinct_id: "d".into(), timestamp, properties: p.as_object().unwrap().clone() }
}

#[test]
fn gemini_is_priced_at_posthogs_recorded_rate_and_unknown_models_are_named() {
    // 60 Gemini calls to Google AI Studio, every fifth one left unpriced by
    // PostHog; 4 calls of a model nobody prices.
    let mut events = Vec::new();
    let mut truth = 0.0;
    for i in 0..60u64 {
        let (input, output) = (800 + 53 * i, 90 + 7 * i);
        let cost = (input as f64 * AI_STUDIO.0, output as f64 * AI_STUDIO.1);
        truth += cost.0 + cost.1;
        events.push(event(i, "gemini-2.0-flash", "gemini", input, output, (i % 5 != 0).then_some(cost)));
    }
    for i in 60..64u64 {
        events.push(event(i, "acme-ft-42", "acme", 500, 50, None));
    }
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(), 30);
    let source = MemorySource::from_events(events.clone());
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "prices".into(), posthog: None }, prior: None };
    let run = futures::executor::block_on(pipeline::run(&source, &request, async { Prices::bundled() }, &mut pipeline::Quiet)).expect("run");
    let pricing = &run.analysis.pricing;
    let gemini = pricing.models.iter().find(|m| m.model == "gemini-2.0-flash").unwrap();
    let gemini_usd = gemini.posthog_usd + gemini.backfilled_usd;
    // What Vertex AI's entry, the only one the table lists, would have added.
    let vertex = &PriceTable::bundled().entry("vertex_ai/gemini-2.0-flash").unwrap().price;
    let unpriced: Vec<&Event> = events.iter().filter(|e| e.properties["$ai_model"] == "gemini-2.0-flash" && !e.properties.contains_key("$ai_total_cost_usd")).collect();
    let at_vertex = gemini.posthog_usd + unpriced.iter().map(|e| e.properties["$ai_input_tokens"].as_f64().unwrap() * vertex.input + e.properties["$ai_output_tokens"].as_f64().unwrap() * vertex.output).sum::<f64>();
    println!("gemini-2.0-flash (gemini), 60 calls, 12 unpriced: truth ${truth:.6}; priced ${gemini_usd:.6}; with Vertex AI's entry ${at_vertex:.6}");
    assert_eq!((gemini.basis, gemini.backfilled_calls), (PriceBasis::PosthogRecordedRate, 12));
    assert!((gemini_usd - truth).abs() <= 1e-9 * truth, "{gemini_usd} vs {truth}");
    assert!(at_vertex > truth * 1.01, "the case tells the two prices apart");
    let acme = pricing.models.iter().find(|m| m.model == "acme-ft-42").unwrap();
    assert_eq!((acme.basis, pricing.totals.unpriced_calls), (PriceBasis::Unpriced, 4));
    let files = pipeline::write(&run.analysis);
    let file = |name: &str| files.iter().find(|f| f.path == name).unwrap().content.clone();
    let report = file("recommendations.md");
    assert!(report.contains("4 calls of models without a known price count as $0: acme-ft-42 (acme)."), "the report names the unpriced model");
    assert!(report.contains("| gemini-2.0-flash | gemini | PostHog's recorded rate | $0.100 | $0.400 |"), "the appendix names the rate used");
    let json = file("data/model_pricing.json");
    assert!(json.contains(r#""why": "unpriced: no entry for provider \"acme\", and PostHog recorded no cost of this model in the window""#), "{json}");
}
