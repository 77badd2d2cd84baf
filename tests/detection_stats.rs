//! Unit tests of the detection experiment's own statistics
//! (`benches/detection/`: the criterion, asv and github-action-benchmark
//! rules, Mann-Whitney, the seeded bootstrap). The bench target has
//! `harness = false`, so `#[cfg(test)]` code in its modules never runs there;
//! this test crate compiles the same files as modules of its own, and their
//! tests run with `cargo test --release --test detection_stats`.

#[path = "../benches/detection/anchors.rs"]
mod anchors;
#[path = "../benches/detection/bootstrap.rs"]
mod bootstrap;
#[path = "../benches/detection/rank.rs"]
mod rank;
