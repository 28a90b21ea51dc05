//! Why a query failed, in terms a user can act on.

use std::fmt;

/// A failed request to a data source.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceError {
    /// The key is invalid (401).
    Unauthorized(String),
    /// The key lacks a scope or access to the project (403).
    Forbidden(String),
    /// No such project (404).
    NotFound(String),
    /// Throttled (429); PostHog named a wait in seconds, or not.
    RateLimited { detail: String, wait_s: Option<u64> },
    /// The monthly query allowance is used up (402).
    QuotaExceeded(String),
    /// PostHog rejected the HogQL (400): a bug of ours, reported as such.
    Query(String),
    /// Took too long on PostHog's side (504, or still running at our deadline).
    Timeout(String),
    /// PostHog failed (5xx).
    Server { status: u16, detail: String },
    /// The request never completed (network, CORS, dropped connection).
    Network(String),
    /// An answer that could not be read (malformed or truncated body).
    BadResponse(String),
    /// The user cancelled.
    Cancelled,
}

impl SourceError {
    /// Whether sending the same request again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Server { .. } | SourceError::Network(_) | SourceError::BadResponse(_))
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Unauthorized(d) => write!(f, "PostHog did not accept the API key: {d}"),
            SourceError::Forbidden(d) => write!(f, "The API key may not do this: {d}"),
            SourceError::NotFound(d) => write!(f, "Not found: {d}"),
            SourceError::RateLimited { detail, .. } => write!(f, "PostHog is throttling queries: {detail}"),
            SourceError::QuotaExceeded(d) => write!(f, "The project's query allowance is used up: {d}"),
            SourceError::Query(d) => write!(f, "PostHog rejected a query (please report this): {d}"),
            SourceError::Timeout(d) => write!(f, "A query took too long: {d}"),
            SourceError::Server { status, detail } => write!(f, "PostHog failed ({status}): {detail}"),
            SourceError::Network(d) => write!(f, "Could not reach PostHog: {d}"),
            SourceError::BadResponse(d) => write!(f, "PostHog's answer could not be read: {d}"),
            SourceError::Cancelled => write!(f, "Cancelled"),
        }
    }
}

impl std::error::Error for SourceError {}
