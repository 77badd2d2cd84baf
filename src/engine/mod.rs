//! Measuring inference: the runtime adapters ([`ort`]: ONNX Runtime sessions with
//! their execution provider; [`litert`]: LiteRT compiled models on their
//! accelerator; [`external`]: a runner program over a JSON-lines protocol) behind
//! one seam ([`backend`]: the `Backend` trait and the types they share), the
//! factory that picks one for a device ([`session`]), one round inside a worker
//! process ([`measure`]), two worker processes on different runtime libraries in
//! lockstep ([`lockstep`]), the worker protocol ([`protocol`]), process
//! spawning ([`spawn`]) with the device state observed around every round
//! ([`observe`]), and running a suite's paths in rounds ([`run`]).

pub mod backend;
pub mod external;
pub mod litert;
pub mod lockstep;
pub mod measure;
pub mod observe;
pub mod ort;
pub mod protocol;
pub mod run;
pub mod session;
pub mod spawn;

pub use protocol::{
    Alternation, PathSpec, RoundResult, WorkerReply, WorkerRequest, WORKER_PROTOCOL,
};
