//! Human-facing output: aligned terminal tables for runs, comparisons and
//! history, and the Markdown of the pull-request comment. Pure: strings from
//! records.

pub mod compare;
pub mod history;
pub mod run;
pub mod table;

pub use run::run_table;
