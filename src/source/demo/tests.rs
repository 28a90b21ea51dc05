use super::*;
use crate::source::event::Generation;
use std::collections::BTreeSet;

fn small(plants: Plants) -> DemoConfig {
    DemoConfig { generations: 3_000, plants, ..DemoConfig::default() }
}

fn events(cfg: DemoConfig) -> Vec<Event> {
    DemoGenerator::new(cfg).map(|r| r.event()).collect()
}

#[test]
fn typed_generations_equal_the_events_read_back() {
    for record in DemoGenerator::new(small(Plants::ALL)) {
        let event = record.event();
        // Through JSON text too, as an export and re-import would.
        let reread: Event = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(record.generation(), Generation::from_event(&reread), "{}", event.uuid);
    }
}

#[test]
fn same_seed_same_events() {
    let a = events(small(Plants::ALL));
    let b = events(small(Plants::ALL));
    assert_eq!(a, b);
    let c = events(DemoConfig { seed: 8, ..small(Plants::ALL) });
    assert_ne!(a, c);
}

#[test]
fn default_project_has_the_promised_shape() {
    let cfg = DemoConfig::default();
    let (start, end) = (cfg.end - Duration::days(30), cfg.end);
    let mut gen = DemoGenerator::new(cfg);
    let gens: Vec<Generation> = gen.by_ref().filter_map(|r| r.generation()).collect();
    assert!((20_000..20_100).contains(&gens.len()), "{}", gens.len());
    assert!(gens.iter().all(|g| g.timestamp >= start && g.timestamp < end));
    let ops: BTreeSet<_> = gens.iter().map(|g| g.operation.as_str()).collect();
    let models: BTreeSet<_> = gens.iter().map(|g| g.model.as_str()).collect();
    let providers: BTreeSet<_> = gens.iter().map(|g| g.provider.as_str()).collect();
    assert_eq!((ops.len(), models.len(), providers.len()), (8, 5, 3), "{ops:?} {models:?}");
    let errors = gens.iter().filter(|g| g.is_error).count() as f64 / gens.len() as f64;
    assert!((0.005..0.02).contains(&errors), "error rate {errors}");
    assert!(gens.iter().any(|g| g.cache_read_tokens.is_some()) || gen.truth().plants.iter().any(|p| p.problem == Problem::UncachedPrompt));
    // The generations PostHog could not price are exactly the unknown model's.
    assert!(gens.iter().filter(|g| g.cost_usd.is_none()).all(|g| g.model == "gemini-2.0-flash-001"));
    let truth = gen.truth();
    assert_eq!(truth.generations as usize, gens.len());
    assert_eq!(truth.plants.len(), 5);
    for p in &truth.plants {
        assert!(!p.traces.is_empty(), "{:?} planted nowhere", p.problem);
        if p.problem != Problem::Truncation {
            assert!(p.waste_usd > 0.0, "{:?} has no cost", p.problem);
        }
    }
}

#[test]
fn planted_waste_matches_the_events() {
    let mut gen = DemoGenerator::new(small(Plants::ALL));
    let gens: Vec<Generation> = gen.by_ref().filter_map(|r| r.generation()).collect();
    let truth = gen.truth().clone();
    let misuse = truth.plants.iter().find(|p| p.problem == Problem::ModelMisuse).unwrap();
    // Recompute from the events: Sonnet's cost minus Haiku's for the same tokens.
    let recomputed: f64 = gens
        .iter()
        .filter(|g| g.operation == ops::CLASSIFY_INTENT && !g.is_error)
        .map(|g| {
            let u = Usage { input: g.input_tokens.unwrap(), output: g.output_tokens.unwrap(), ..Usage::default() };
            g.cost_usd.unwrap() - CLAUDE_HAIKU.total_cost(&u)
        })
        .sum();
    assert!((recomputed - misuse.waste_usd).abs() < 1e-9, "{recomputed} vs {}", misuse.waste_usd);
    let storm = truth.plants.iter().find(|p| p.problem == Problem::RetryStorm).unwrap();
    for trace in &storm.traces {
        let n = gens.iter().filter(|g| &g.trace_id == trace && g.operation == ops::AGENT_STEP).count();
        assert!(n >= 5, "storm trace {trace} has {n} agent steps");
    }
}

#[test]
fn clean_control_plants_nothing() {
    let mut gen = DemoGenerator::new(small(Plants::NONE));
    let gens: Vec<Generation> = gen.by_ref().filter_map(|r| r.generation()).collect();
    assert!(gen.truth().plants.is_empty());
    assert!(gens.iter().all(|g| g.stop_reason.as_deref() != Some("length")));
    assert!(gens.iter().filter(|g| g.operation == ops::CLASSIFY_INTENT).all(|g| g.model == CLAUDE_HAIKU.name));
}

#[test]
fn the_cost_pattern_truth_matches_the_events() {
    let mut gen = DemoGenerator::new(small(Plants::ALL));
    let gens: Vec<Generation> = gen.by_ref().filter_map(|r| r.generation()).collect();
    let truth = gen.truth().cost_pattern.clone().expect("planted");
    // LangChain's input holds the cache tokens; PostHog billed them again at Haiku's input price.
    let planted: Vec<&Generation> = gens.iter().filter(|g| g.operation == ops::SAFETY_CHECK && !g.is_error).collect();
    let cache: u64 = planted.iter().map(|g| g.cache_read_tokens.unwrap_or(0) + g.cache_write_tokens.unwrap_or(0)).sum();
    assert!(planted.iter().all(|g| g.framework == "langchain" && g.input_tokens.unwrap() >= g.cache_read_tokens.unwrap_or(0) + g.cache_write_tokens.unwrap_or(0)));
    assert_eq!((truth.calls, truth.cache_tokens), (planted.len() as u64, cache));
    assert!((truth.overcharge_usd - cache as f64 * CLAUDE_HAIKU.input / 1e6).abs() < 1e-12);
    // Every other operation's events are those of a project without the plant.
    let mut plain = DemoGenerator::new(small(Plants { cost_pattern: false, ..Plants::ALL }));
    let others: Vec<Generation> = plain.by_ref().filter_map(|r| r.generation()).filter(|g| g.operation != ops::SAFETY_CHECK).collect();
    assert_eq!(others, gens.into_iter().filter(|g| g.operation != ops::SAFETY_CHECK).collect::<Vec<_>>());
}
