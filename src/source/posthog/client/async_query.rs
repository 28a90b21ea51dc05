//! A query too slow for a blocking answer (504): re-sent with
//! `refresh: "async"` and polled until done, failed, cancelled or past the
//! deadline; PostHog is told to drop it (`DELETE`) when we stop waiting.

use super::{Call, Client};
use crate::source::posthog::api::{self, Refresh};
use crate::source::posthog::hogql::Query;
use crate::source::posthog::transport::{CancelToken, Method, Transport};
use crate::source::SourceError;
use serde::Deserialize;
use serde_json::Value;

/// An async query's status, as PostHog answers the submit and each poll.
#[derive(Deserialize)]
struct StatusBody {
    query_status: Option<QueryStatus>,
}

#[derive(Deserialize)]
struct QueryStatus {
    id: Option<String>,
    #[serde(default)]
    complete: bool,
    #[serde(default)]
    error: bool,
    error_message: Option<String>,
    results: Option<Value>,
}

/// Where an async query stands.
enum Progress {
    Running(String),
    Done(String),
}

fn progress(body: &str) -> Result<Progress, SourceError> {
    let status = serde_json::from_str::<StatusBody>(body).map_err(|e| SourceError::BadResponse(format!("async query status: {e}")))?.query_status;
    match status {
        // A complete answer straight away (PostHog had it cached).
        None if body.contains("\"results\"") => Ok(Progress::Done(body.to_string())),
        None => Err(SourceError::BadResponse("async query status missing".into())),
        Some(s) if s.error => Err(SourceError::Query(s.error_message.unwrap_or_else(|| "the query failed in PostHog".into()))),
        Some(QueryStatus { complete: true, results: Some(r), .. }) => Ok(Progress::Done(r.to_string())),
        Some(QueryStatus { id: Some(id), .. }) => Ok(Progress::Running(id)),
        Some(_) => Err(SourceError::BadResponse("async query status without an id".into())),
    }
}

impl<T: Transport> Client<T> {
    /// Runs `q` asynchronously and reads its answer with `decode`.
    pub(super) async fn run_async<R>(&self, project: &str, q: &Query, decode: &impl Fn(&str) -> Result<R, SourceError>) -> Result<R, SourceError> {
        (self.notify)(&super::Notice::RunningAsync { query: q.name });
        let path = format!("/api/projects/{project}/query/");
        let body = Some(api::query_body(q, Refresh::Async));
        // A garbled answer to the submission is sent again, up to twice more.
        let mut tries = 0;
        let id = loop {
            tries += 1;
            let submitted = self.exchange(Call { what: q.name, method: Method::Post, path: &path, body: body.clone(), timeout: self.policy.request_timeout, counted: true, pass: &[] }).await?;
            match progress(&submitted.body) {
                Ok(Progress::Done(answer)) => return decode(&answer).map_err(|e| self.scrub(e)),
                Ok(Progress::Running(id)) => break id,
                Err(SourceError::BadResponse(_)) if tries < 3 => continue,
                Err(e) => return Err(e),
            }
        };
        let status_path = api::query_status_url("", project, &id);
        let (mut waited, mut interval) = (std::time::Duration::ZERO, self.policy.poll_interval);
        loop {
            if waited >= self.policy.async_deadline {
                self.forget(&status_path).await;
                return Err(SourceError::Timeout(format!("{} was still running in PostHog after {} s; it was cancelled", q.name, waited.as_secs())));
            }
            if self.sleep(interval).await.is_err() {
                self.forget(&status_path).await;
                return Err(SourceError::Cancelled);
            }
            waited += interval;
            interval = (interval * 2).min(self.policy.max_poll_interval);
            let call = Call { what: q.name, method: Method::Get, path: &status_path, body: None, timeout: self.policy.request_timeout, counted: false, pass: &[400] };
            let answer = match self.exchange(call).await {
                Err(SourceError::Cancelled) => {
                    self.forget(&status_path).await;
                    return Err(SourceError::Cancelled);
                }
                other => other?,
            };
            if answer.status == 202 {
                continue;
            }
            match progress(&answer.body) {
                Ok(Progress::Done(answer)) => return decode(&answer).map_err(|e| self.scrub(e)),
                Ok(Progress::Running(_)) => {}
                // A garbled status answer is asked for again, until the deadline.
                Err(SourceError::BadResponse(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Asks PostHog to drop an async query (best effort, even after cancel).
    async fn forget(&self, status_path: &str) {
        let call = Call { what: "cancel", method: Method::Delete, path: status_path, body: None, timeout: self.policy.request_timeout, counted: false, pass: &[] };
        let request = self.request(&self.host(), &call);
        let _ = self.transport.send(request, &CancelToken::new()).await;
    }
}
