//! The web page: Leptos components that render the state of a run. They
//! hold no analysis logic; [`run`] drives the source, the plan and the
//! analysis, and the components show what it leaves in [`state::AppState`].

mod app;
mod audit_view;
mod changes_view;
pub mod charts;
pub mod compress;
mod connect_panel;
mod dashboard;
mod data_quality;
mod download;
pub mod fatal;
mod failures_view;
mod figures;
mod kept_runs;
mod key_store;
pub mod live_prices;
pub mod nav;
mod overview;
mod prior_input;
mod progress;
mod qualitative_view;
mod recommendations;
mod report_view;
mod segments_view;
pub mod run;
mod signals_view;
pub mod state;
mod store;
mod table;
mod theme;
mod trace_view;
mod what_if;

pub use app::App;
