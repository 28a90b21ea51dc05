//! The analysis natively: the same query plan and core as the web app, on
//! exported PostHog events (the in-memory source) or on a PostHog project
//! (HogQL through PostHog's query API).
//!
//! ```text
//! trace-optimizer-cli [analyze] --events FILE.jsonl[.gz] [--events ...] --out DIR
//!     [--window-days 30] [--top-n 5] [--sample-size 15] [--min-recs 3] [--segment PROPERTY ...] [--now RFC3339]
//!     [--prices model_prices_and_context_window.json]
//! POSTHOG_PERSONAL_API_KEY=phx_... trace-optimizer-cli [analyze] --posthog-host us|eu|auto|URL
//!     --project ID --out DIR [same options]
//! POSTHOG_PERSONAL_API_KEY=phx_... trace-optimizer-cli projects --posthog-host us|eu|auto|URL
//! trace-optimizer-cli export-demo --out FILE.jsonl [--generations 20000] [--seed 7] [--days 30] [--clean]
//!     [--payloads full|none]
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match cli::run(std::env::args_os().skip(1).collect()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use chrono::{DateTime, Duration, Utc};
    use lexopt::prelude::*;
    use std::ffi::OsString;
    use std::fs::File;
    use std::io::{BufReader, BufWriter, Write};
    use std::path::PathBuf;
    use std::time::Instant;
    use trace_optimizer::analysis::dataset::Window;
    use trace_optimizer::analysis::history::FollowUp;
    use trace_optimizer::analysis::pricing::PriceTable;
    use trace_optimizer::analysis::{Origin, Settings};
    use trace_optimizer::pipeline::{self, Prices, Request, Run, Shell};
    use trace_optimizer::source::demo::{DemoConfig, DemoGenerator, Plants};
    use trace_optimizer::source::event::{Generation, NameEvent};
    use trace_optimizer::source::jsonl::{self, Reader, Skips};
    use trace_optimizer::source::memory::{MemorySource, SignalEvent, TraceProps};
    use trace_optimizer::source::plan::Step;
    use trace_optimizer::source::posthog::native::NativeTransport;
    use trace_optimizer::source::posthog::{discover, ApiKey, Client, Host, Notice};

    type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

    pub fn run(args: Vec<OsString>) -> Result<()> {
        match args.first().and_then(|a| a.to_str()) {
            Some("export-demo") => export_demo(args[1..].to_vec()),
            Some("analyze") => analyze_events(args[1..].to_vec()),
            Some("projects") => list_projects(args[1..].to_vec()),
            Some("-h" | "--help") | None => {
                println!("{}", include_str!("usage.txt"));
                Ok(())
            }
            Some(_) => analyze_events(args),
        }
    }

    /// Where the events come from.
    enum From {
        Files(Vec<PathBuf>),
        PostHog { host: Host, project: String },
    }

    fn analyze_events(args: Vec<OsString>) -> Result<()> {
        let mut p = lexopt::Parser::from_args(args);
        let (mut events, mut out, mut now) = (Vec::<PathBuf>::new(), None::<PathBuf>, None::<DateTime<Utc>>);
        let (mut host, mut project) = (None::<Host>, None::<String>);
        let (mut prices, mut prior) = (None::<PathBuf>, None::<PathBuf>);
        let mut settings = Settings::default();
        while let Some(arg) = p.next()? {
            match arg {
                Long("events") => events.push(p.value()?.into()),
                Long("posthog-host") => host = Some(Host::parse(&p.value()?.string()?)?),
                Long("project") => project = Some(p.value()?.string()?),
                Long("out") => out = Some(p.value()?.into()),
                Long("window-days") => settings.window_days = window_days(p.value()?.parse()?)?,
                Long("top-n") => settings.top_n = p.value()?.parse()?,
                Long("sample-size") => settings.sample_size = p.value()?.parse()?,
                Long("min-recs") => settings.min_recommendations = p.value()?.parse()?,
                Long("segment") => settings.segments.push(p.value()?.string()?),
                Long("now") => now = Some(within_range(p.value()?.string()?.parse()?)?),
                Long("prices") => prices = Some(p.value()?.into()),
                Long("prior") => prior = Some(p.value()?.into()),
                _ => return Err(arg.unexpected().into()),
            }
        }
        let out = out.ok_or("--out DIR is required")?;
        let prior = match &prior {
            Some(path) => Some(FollowUp::parse(&std::fs::read_to_string(path)?).map_err(|e| format!("{}: {e}", path.display()))?),
            None => None,
        };
        let from = match (host, events.is_empty()) {
            (Some(host), true) => From::PostHog { host, project: project.ok_or("--project ID is required with --posthog-host (list them: trace-optimizer-cli projects)")? },
            (None, false) => From::Files(events),
            (Some(_), false) => return Err("give --events files or --posthog-host, not both".into()),
            (None, true) => return Err("at least one --events FILE.jsonl (or --posthog-host and --project) is required".into()),
        };
        let started = Instant::now();
        let prices = match &prices {
            Some(path) => Prices { table: std::borrow::Cow::Owned(PriceTable::from_litellm_json(&std::fs::read_to_string(path)?).map_err(|e| format!("{}: {e}", path.display()))?), note: None },
            None => Prices::bundled(),
        };
        let run = match from {
            From::Files(files) => run_files(&files, now, settings, prior.as_ref(), prices)?,
            From::PostHog { host, project } => run_posthog(host, &project, now, settings, prior.as_ref(), prices)?,
        };
        for w in &run.warnings {
            eprintln!("warning: {w}");
        }
        std::fs::create_dir_all(&out)?;
        for f in pipeline::write(&run.analysis) {
            let path = out.join(f.path);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, f.content)?;
        }
        eprintln!("analysed {} generations in {:.2?}; wrote {}", run.analysis.metrics.totals.calls, started.elapsed(), out.display());
        Ok(())
    }

    /// `days` if it is from one day to a century, the span event timestamps may cover.
    fn window_days(days: u32) -> Result<u32> {
        if (1..=36_500).contains(&days) { Ok(days) } else { Err(format!("--window-days {days} is not from 1 to 36500").into()) }
    }

    /// `t` if an event could carry it (see `jsonl::earliest`), so that window arithmetic cannot overflow.
    fn within_range(t: DateTime<Utc>) -> Result<DateTime<Utc>> {
        if t < jsonl::earliest() || t >= jsonl::latest() {
            return Err(format!("--now {t} is outside {} to {}", jsonl::earliest().date_naive(), jsonl::latest().date_naive()).into());
        }
        Ok(t)
    }

    /// The command line as the pipeline's shell: steps on standard error.
    struct Terminal;

    impl Shell for Terminal {
        fn progress(&mut self, step: Step) {
            eprintln!("step: {step:?}");
        }
    }

    /// The pipeline over JSONL exports (plain or gzip), answered in memory.
    fn run_files(files: &[PathBuf], now: Option<DateTime<Utc>>, settings: Settings, prior: Option<&FollowUp>, prices: Prices) -> Result<Run> {
        let (mut generations, mut signals, mut traces, mut names) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for path in files {
            let skips = read_generations(path, &mut generations, &mut signals, &mut traces, &mut names)?;
            if skips.count > 0 {
                eprintln!("{}: {skips}", path.display());
            }
        }
        let newest = generations.iter().map(|g| g.timestamp).max().ok_or("the files hold no $ai_generation events")?;
        // The window ends just after the newest event unless --now says otherwise
        // (kept timestamps lie far inside chrono's range, so this cannot overflow).
        let end = now.unwrap_or(newest + Duration::seconds(1));
        let window = Window::ending_at(end, settings.window_days);
        let source = MemorySource::from_parts(generations, names).with_signals(signals).with_traces(traces);
        eprintln!("read {} generations from {} file(s)", source.all().len(), files.len());
        let label = files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        let request = Request { window, settings, origin: Origin { label, posthog: None }, prior };
        futures::executor::block_on(pipeline::run(&source, &request, async { prices }, &mut pipeline::Quiet)).map_err(|f| f.error.to_string().into())
    }

    /// The personal API key, from the environment only (flags land in shell history).
    fn api_key() -> Result<ApiKey> {
        match std::env::var("POSTHOG_PERSONAL_API_KEY") {
            Ok(k) if !k.trim().is_empty() => ApiKey::parse(&k).map_err(|e| format!("POSTHOG_PERSONAL_API_KEY: {e}").into()),
            _ => Err("set POSTHOG_PERSONAL_API_KEY to a personal API key with the query:read scope".into()),
        }
    }

    fn client(host: Host) -> Result<Client<NativeTransport>> {
        Ok(Client::new(NativeTransport::new(), api_key()?, host).with_notices(|n| match n {
            Notice::Sent { .. } => {}
            Notice::Throttled { query, remaining_s } if remaining_s % 10 == 0 || *remaining_s <= 3 => eprintln!("{query}: PostHog's hourly query budget is spent; retrying in {remaining_s} s"),
            Notice::Throttled { .. } => {}
            Notice::Retrying { query, delay, reason } => eprintln!("{query}: retrying in {delay:.1?}: {reason}"),
            Notice::RunningAsync { query } => eprintln!("{query}: too slow for a blocking answer; running it asynchronously"),
            Notice::SwitchedHost { host } => eprintln!("the key is not a US cloud key; using {host}"),
        }))
    }

    /// The pipeline against a PostHog project.
    fn run_posthog(host: Host, project: &str, now: Option<DateTime<Utc>>, settings: Settings, prior: Option<&FollowUp>, prices: Prices) -> Result<Run> {
        let source = futures::executor::block_on(pipeline::posthog_source(client(host)?, project)).map_err(|f| f.error.to_string())?;
        let window = Window::ending_at(now.unwrap_or_else(|| std::time::SystemTime::now().into()), settings.window_days);
        let host = source.client().host();
        let request = Request { window, settings, origin: Origin { label: format!("PostHog project {project}"), posthog: Some((host, project.to_string())) }, prior };
        let run = futures::executor::block_on(pipeline::run(&source, &request, async { prices }, &mut Terminal));
        let meter = source.client().meter();
        eprintln!("queries used: {} of PostHog's {} per hour ({}); {:.1} MB fetched", meter.used(), meter.budget(), meter.sent().join(", "), meter.bytes() as f64 / 1e6);
        let run = run.map_err(|f| f.error.to_string())?;
        eprintln!("dependent rounds after the overview: {}", run.timing.rounds);
        Ok(run)
    }

    /// Lists the projects the key can analyse.
    fn list_projects(args: Vec<OsString>) -> Result<()> {
        let mut p = lexopt::Parser::from_args(args);
        let mut host = Host::Auto;
        while let Some(arg) = p.next()? {
            match arg {
                Long("posthog-host") => host = Host::parse(&p.value()?.string()?)?,
                _ => return Err(arg.unexpected().into()),
            }
        }
        let client = client(host)?;
        let found = futures::executor::block_on(discover(&client))?;
        println!("host: {}", client.host());
        println!("scopes: {}{}", found.scopes.join(", "), if found.can_query { "" } else { " (no query:read: analyses will fail)" });
        for p in &found.projects {
            println!("{}\t{}", p.id, p.name);
        }
        if let Some(note) = found.note {
            eprintln!("{note}");
        }
        Ok(())
    }

    /// Streams a JSONL file (gzip read directly), keeping only the digested
    /// generations, quality-signal events and trace properties, and the names
    /// spans and traces give the generations; returns the lines skipped.
    fn read_generations(path: &PathBuf, into: &mut Vec<Generation>, signals: &mut Vec<SignalEvent>, traces: &mut Vec<TraceProps>, names: &mut Vec<NameEvent>) -> Result<Skips> {
        let fail = |e: std::io::Error| format!("{}: {e}", path.display());
        let file = File::open(path).map_err(fail)?;
        let mut reader = Reader::new(jsonl::decompressed(BufReader::new(file)).map_err(fail)?);
        for event in reader.by_ref() {
            let event = event.map_err(fail)?;
            traces.extend(TraceProps::from_event(&event));
            names.extend(NameEvent::from_event(&event));
            match Generation::from_event(&event) {
                Some(g) => into.push(g),
                None => signals.extend(SignalEvent::from_event(&event)),
            }
        }
        Ok(reader.skips().clone())
    }

    fn export_demo(args: Vec<OsString>) -> Result<()> {
        let mut p = lexopt::Parser::from_args(args);
        let mut cfg = DemoConfig::default();
        let (mut out, mut payloads) = (None::<PathBuf>, true);
        while let Some(arg) = p.next()? {
            match arg {
                Long("out") => out = Some(p.value()?.into()),
                Long("generations") => cfg.generations = p.value()?.parse()?,
                Long("seed") => cfg.seed = p.value()?.parse()?,
                Long("days") => cfg.days = p.value()?.parse()?,
                Long("clean") => cfg.plants = Plants::NONE,
                Long("payloads") => {
                    payloads = match p.value()?.string()?.as_str() {
                        "full" => true,
                        "none" => false,
                        other => return Err(format!("--payloads full|none, not {other}").into()),
                    }
                }
                _ => return Err(arg.unexpected().into()),
            }
        }
        let out = out.ok_or("--out FILE.jsonl is required")?;
        let mut w = BufWriter::new(File::create(&out)?);
        let mut gen = DemoGenerator::new(cfg);
        let mut n = 0u64;
        for record in gen.by_ref() {
            let mut event = record.event();
            if !payloads {
                // As PostHog's newer ingestion does: content lives elsewhere.
                for key in ["$ai_input", "$ai_output_choices", "$ai_tools"] {
                    event.properties.shift_remove(key);
                }
            }
            serde_json::to_writer(&mut w, &event)?;
            w.write_all(b"\n")?;
            n += 1;
        }
        w.flush()?;
        let truth = gen.truth();
        eprintln!("wrote {n} events ({} generations, {} traces, ${:.2} at list prices) to {}", truth.generations, truth.traces, truth.cost_usd, out.display());
        Ok(())
    }
}
