//! Human-facing output and exports: aligned terminal tables for runs,
//! comparisons, history, the environment and `doctor`'s checks, the Markdown of the pull-request
//! comment, and every `--format` ([`export`]: text, json, csv, markdown, bmf).
//! Pure: strings from records.

pub mod alert;
pub mod bisect;
pub mod compare;
pub mod doctor;
pub mod doctor_checks;
pub mod env;
pub mod explain;
pub mod export;
pub mod history;
pub mod markdown;
pub mod paired;
pub mod run;
pub mod table;

pub use run::run_table;
