//! edgeperf: per-commit latency and accuracy tracking of deep-learning inference
//! on edge devices. docs/ARCHITECTURE.md shows the layers and how a run and a
//! comparison flow through the modules.
//!
//! Layers only point down: `cli` -> `commands` (orchestration) -> domain
//! (`suite`, `record`, `compare`, `explain`, `history`, `report`, `dashboard`, `stats`) and adapters
//! (`store`, `engine`, `model_graph`, `dataset`, `preprocess`, `env`, `devstate`, `github`), all over `fs`
//! (the single I/O point), `interrupt` (SIGINT/SIGTERM as a flag) and `error`.

pub mod cli;
pub mod commands;
pub mod compare;
pub mod dashboard;
pub mod dataset;
pub mod devstate;
pub mod engine;
pub mod env;
pub mod error;
pub mod explain;
pub mod fs;
#[cfg(feature = "github")]
pub mod github;
pub mod history;
pub mod interrupt;
pub mod machine;
pub mod model_graph;
pub mod preprocess;
pub mod record;
pub mod report;
pub mod stats;
pub mod store;
pub mod suite;

pub use error::{Error, Result};

// Unit tests share `tests/common/fixtures.rs` (it names this crate `edgeperf`)
// and `tests/common/git_repo.rs` with the integration tests and the benches.
#[cfg(test)]
extern crate self as edgeperf;
#[cfg(test)]
#[path = "../tests/common/fixtures.rs"]
pub(crate) mod fixtures;
#[cfg(test)]
#[path = "../tests/common/git_repo.rs"]
pub(crate) mod git_repo;
