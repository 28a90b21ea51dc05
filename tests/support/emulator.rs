//! The PostHog emulator from Rust tests and benchmarks: its address, a
//! client for it, the events it stores, and starting one.
#![allow(dead_code)] // each test binary uses a part

use serde_json::{Map, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use trace_optimizer::source::event::Event;
use trace_optimizer::source::posthog::hogql::Query;
use trace_optimizer::source::posthog::native::NativeTransport;
use trace_optimizer::source::posthog::{ApiKey, Client, Host, Rank};

/// The key with every scope on every project.
pub const KEY: &str = "phx_emulator_all";
/// The header the emulator's test controls need, and its default value.
pub const ADMIN: (&str, &str) = ("X-Emulator-Admin-Token", "emulator-admin-token");

/// The running emulator's URL, from `POSTHOG_EMULATOR_URL`.
pub fn url() -> String {
    std::env::var("POSTHOG_EMULATOR_URL").expect("set POSTHOG_EMULATOR_URL to a running emulator (scripts/test starts one)")
}

/// A client of the emulator with `key`.
pub fn client(url: &str, key: &str) -> Client<NativeTransport> {
    Client::new(NativeTransport::new(), ApiKey::new(key), Host::Custom(url.to_string()))
}

/// Every event of `project` as the emulator stores it (after ingestion
/// added costs), read back with HogQL page by page.
pub fn stored_events(url: &str, project: &str) -> Vec<Event> {
    let c = client(url, KEY);
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let mut values = Map::new();
        values.insert("after".into(), Value::String(after.clone()));
        let q = Query {
            name: "test-export",
            hogql: "SELECT toString(uuid) AS id, event, distinct_id, toTimeZone(timestamp, 'UTC') AS ts, properties \
                    FROM events WHERE toString(uuid) > {after} ORDER BY id LIMIT 50000"
                .into(),
            values,
        };
        let page: Vec<Event> = futures::executor::block_on(c.query(project, &q, Rank::Urgent, |body| Ok(parse_events(body)))).expect("export the stored events");
        let Some(last) = page.last() else { return events };
        after = last.uuid.clone();
        let full = page.len() == 50_000;
        events.extend(page);
        if !full {
            return events;
        }
    }
}

fn parse_events(body: &str) -> Vec<Event> {
    let v: Value = serde_json::from_str(body).expect("an answer");
    v["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| Event {
            uuid: r[0].as_str().unwrap().to_string(),
            event: r[1].as_str().unwrap().to_string(),
            distinct_id: r[2].as_str().unwrap().to_string(),
            timestamp: r[3].as_str().unwrap().parse().unwrap(),
            properties: serde_json::from_str(r[4].as_str().unwrap()).unwrap(),
        })
        .collect()
}

/// An emulator started by a test or benchmark; stopped when dropped.
pub struct Running {
    pub url: String,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `scripts/posthog-emulator` on a free port with `args` and waits
/// until it has loaded its events.
pub fn start(args: &[String]) -> Running {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/posthog-emulator");
    let mut child = Command::new(script).args(["--port", "0"]).args(args).stdout(Stdio::piped()).spawn().expect("start the emulator");
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.expect("emulator output");
        if let Some(url) = line.strip_prefix("posthog-emulator listening on ") {
            return Running { url: url.trim().to_string(), child };
        }
    }
    let status = child.wait();
    panic!("the emulator stopped before listening: {status:?}");
}

/// Loads `events` into `project` of the emulator at `url` through its
/// admin endpoint (enriched as `--events` files are); returns how many it
/// stored.
pub fn load_events(url: &str, project: &str, events: &[Event]) -> u64 {
    let mut body = Vec::new();
    trace_optimizer::source::event::write_jsonl(events, &mut body).expect("serialise the events");
    let mut answer = ureq::post(format!("{url}/_emulator/events?team_id={project}")).header(ADMIN.0, ADMIN.1).send(&body[..]).expect("load the events");
    let v: Value = serde_json::from_str(&answer.body_mut().read_to_string().expect("the answer")).expect("JSON");
    v["loaded"].as_u64().expect("a count of loaded events")
}

/// Sets what `posthog.ai_events` of `project` holds on the emulator at
/// `url`: `mirror`, `empty`, `full`, `partial:SINCE` or `absent` (see the
/// emulator's `ai_events_mode.py`).
pub fn set_ai_events(url: &str, project: &str, mode: &str) {
    let body = serde_json::json!({"team_id": project.parse::<u64>().expect("a project id"), "mode": mode}).to_string();
    ureq::post(format!("{url}/_emulator/ai_events")).header(ADMIN.0, ADMIN.1).header("Content-Type", "application/json").send(body.as_bytes()).expect("set the ai_events mode");
}
