//! The application layer: one file per subcommand, each with its clap `Args` and
//! the orchestration of the domain (suite, record, compare, report) and the
//! adapters (store, engine, github). `output` holds what they share for output.

pub mod alerts;
pub mod backfill;
pub mod baseline;
pub mod bisect;
pub mod check;
pub mod compare;
pub mod completions;
pub mod confirm;
pub mod dashboard;
pub mod doctor;
pub mod env;
pub mod explain;
pub mod history;
pub mod man;
pub mod output;
pub mod pair;
pub mod replay;
pub mod report;
pub mod run;
pub mod worker;
