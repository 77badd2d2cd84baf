//! Why a path's latency changed (docs/EXPLAIN.md): the runtime's own
//! per-operator profiles of base and head side by side, what changed in the
//! model graph, and what changed in the settings.
//!
//! Pure: profiles and graphs come in as values (`engine` profiles each side in
//! a worker, `model_graph` reads the model files), an [`Explanation`] comes out.
//!
//! * [`profile`]: one side's profile, raw (every inference) and summarised (each
//!   node's median over the profiled inferences);
//! * [`trace`]: ONNX Runtime's Chrome-trace profile file read; [`runner`]: an
//!   external runner's `profile` reply read;
//! * [`attribution`]: two profiles side by side, per node and per operator,
//!   shares of the change, and how it spreads;
//! * [`graph`]: two model graphs compared; [`settings`]: device settings compared;
//! * [`why`]: the one line; [`document`]: the [`Explanation`] stored.

pub mod attribution;
pub mod document;
pub mod graph;
pub mod profile;
pub mod runner;
pub mod settings;
pub mod trace;
pub mod why;

pub use document::{Brief, ExplainDocument, Explanation, Part, EXPLAIN_SCHEMA_VERSION};

use crate::suite::Provider;

/// An explanation from its parts: the settings that differ, both sides'
/// profile summaries (or why there are none), what the head's device asks to
/// run on, both graphs (or why not), and the seconds it all took.
pub fn assemble(
    settings: Vec<String>,
    profiles: Result<(profile::ProfileSummary, profile::ProfileSummary), String>,
    requested: Provider,
    graphs: Result<(graph::ModelGraph, graph::ModelGraph), String>,
    seconds: f64,
) -> Explanation {
    let profile = match profiles {
        Ok((b, h)) => Part::Available(attribution::attribute(&b, &h, requested)),
        Err(why) => Part::NotAvailable(why),
    };
    let graph = match graphs {
        Ok((b, h)) => Part::Available(graph::diff(&b, &h)),
        Err(why) => Part::NotAvailable(why),
    };
    Explanation {
        why: why::why_line(&settings, &profile, &graph),
        settings,
        profile,
        graph,
        seconds,
    }
}
