//! edgeperf: per-commit latency and accuracy tracking of deep-learning inference
//! on edge devices. See docs/ARCHITECTURE.md for how a run flows through the
//! modules.

pub mod accuracy;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod confirm;
pub mod dataset;
pub mod env;
pub mod error;
pub mod fs;
pub mod git;
pub mod github;
pub mod preprocess;
pub mod record;
pub mod report;
pub mod runner;
pub mod runtime;
pub mod stats;

pub use error::{Error, Result};
