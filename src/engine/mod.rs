//! Measuring inference: the runtime adapter ([`ort`]: ONNX Runtime sessions with
//! their execution provider), one round inside a worker process ([`measure`]),
//! two worker processes on different runtime libraries in lockstep ([`lockstep`]),
//! the worker protocol ([`protocol`]) and process spawning ([`spawn`]), and
//! running a suite's paths in rounds ([`run`]).

pub mod lockstep;
pub mod measure;
pub mod ort;
pub mod protocol;
pub mod run;
pub mod spawn;

pub use protocol::{Pairing, PathSpec, RoundResult, WorkerReply, WorkerRequest, WORKER_PROTOCOL};
