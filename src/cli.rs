//! Command-line interface: the clap command tree and dispatch to `commands/`
//! (each subcommand's arguments live with it), errors printed as one line, exit
//! codes 0 (fine), 1 (regression), 2 (error).

use std::ffi::OsString;
use std::io::Write;

use clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{
    backfill::BackfillArgs, baseline::BaselineCommand, bisect::BisectArgs, check::CheckArgs,
    compare::CompareArgs, completions::CompletionsArgs, dashboard::DashboardArgs,
    doctor::DoctorArgs, env::EnvArgs, explain::ExplainArgs, history::HistoryArgs, man::ManArgs,
    report::ReportCommand, run::RunArgs, worker::WorkerArgs,
};
use crate::error::{EXIT_ERROR, EXIT_OK};

const ABOUT: &str = "Track the latency and accuracy of deep-learning inference per device, commit by commit, and fail pull requests that make a model slower or less accurate.";

const LONG_ABOUT: &str = "\
Track the latency and accuracy of deep-learning inference per device, commit by
commit, and fail pull requests that make a model slower or less accurate.

A suite (edgeperf.toml) lists devices and models. A device is one way to run a
model, of three kinds (runtime_kind):
  onnxruntime  ONNX Runtime with an execution provider (cpu, openvino, cuda,
               tensorrt), its options, threads and runtime library (the default)
  litert       LiteRT on its CPU, GPU or NPU accelerator, running a model's
               .tflite file
  external     a runner program for any other runtime, speaking a small
               JSON-lines protocol (docs/EXTERNAL_RUNNERS.md)
A model is an ONNX file (and, for LiteRT, its .tflite) with its preprocessing.
A path is one device x one model.

Workflow:
  # measure every default path of the suite, print a table, write a run record
  edgeperf run --out run.json

  # accept it as the baseline (one file per path under baselines/)
  edgeperf baseline accept run.json

  # later, on a branch: judge latency and accuracy against the base, measuring
  # once (paths whose inputs did not change are not measured at all)
  edgeperf check --against main              # exit 1 if anything regressed

  # or by hand: measure, then judge the run
  edgeperf run --out head.json
  edgeperf compare head.json --against main  # baselines as of the merge-base

  # inspect the accepted baselines of a path over commits
  edgeperf history --device cpu --model mobilenet_v2
  edgeperf dashboard            # the same as a static site: .edgeperf/site/index.html

  # take results elsewhere: csv, markdown, or Bencher Metric Format
  edgeperf run --format bmf > bmf.json && bencher run --file bmf.json --adapter json

Exit codes: 0 = no regression, 1 = at least one regression, 2 = error,
130 = stopped by Ctrl-C (143 by SIGTERM) during `run`, `check` or `compare`.";

#[derive(Debug, Parser)]
#[command(name = "edgeperf", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure latency (every single inference) and accuracy of the suite's paths.
    #[command(after_help = "\
Examples:
  edgeperf run                                  # default devices, all models
  edgeperf run --device cpu --model mobilenet_v2 --out run.json
  edgeperf run --quick                          # one short round: a smoke test
  edgeperf run --device openvino-cpu            # a non-default device
  edgeperf run --format bmf > bmf.json          # Bencher Metric Format on stdout
  ORT_DYLIB_PATH=/opt/ort/libonnxruntime.so edgeperf run --suite my.toml")]
    Run(RunArgs),
    /// Check that this device is ready to measure: runtimes, providers, clocks, temperature, throttling, memory, disk.
    #[command(after_help = "\
Examples:
  edgeperf doctor                        # the suite's default devices
  edgeperf doctor --device rpi4          # one device, by its [device.state]
  edgeperf doctor --format json          # the checks as a document
  edgeperf doctor --sysroot /tmp/pi-tree # read /sys, /proc, /etc under a copy

Exit codes: 0 = ready (warnings may remain), 1 = at least one problem, 2 = error.")]
    Doctor(DoctorArgs),
    /// Print the environment fingerprint recorded with every run.
    #[command(
        after_help = "Examples:\n  edgeperf env\n  edgeperf env --json\n  edgeperf env --format markdown"
    )]
    Env(EnvArgs),
    /// Judge a run against the baselines: latency and accuracy verdicts per path.
    #[command(after_help = "\
Examples:
  edgeperf compare head.json                          # against baselines/
  edgeperf compare head.json --against origin/main    # baselines at the merge-base
  edgeperf compare head.json --format markdown --out comment.md
  edgeperf compare head.json --format json --out compare-cpu.json

Every path with a baseline is re-measured on this machine with base and head
interleaved before a latency verdict counts, until the sequential rule decides
(compare.confirm: 10 s per side, 16 s for an estimate past the minimum change);
without that (--no-confirm, no suite, no base side) a path is \"not confirmed\".
In a pull request, `edgeperf check` measures once instead of `run` + `compare`.
Exit codes: 0 = no regression, 1 = regression (or an undecided path with
--fail-on-undecided), 2 = error.")]
    Compare(CompareArgs),
    /// Say why a path's latency changed: per-operator profiles of base and head
    /// side by side, what changed in the model graph and in the settings.
    #[command(after_help = "\
Examples:
  edgeperf explain --device cpu --model mobilenet_v2                # working tree vs baselines/
  edgeperf explain --device cpu --model mobilenet_v2 --against main # vs the merge-base
  edgeperf explain head.json --device cpu --model mobilenet_v2      # the run's head
  edgeperf explain --device cpu --model m --base-model old.onnx     # two files, same device
  edgeperf explain --device cpu --model m --format json --out why.json

Both sides are profiled with the runtime's own profiler (ONNX Runtime's session
profiler; LiteRT's; an external runner's `profile`) in runs of their own, base and
head alternating as in a confirmation; `compare` does the same for every regressed
or improved path ([compare.explain], docs/EXPLAIN.md). Exit codes: 0 = explained
(a part that cannot be had says why), 2 = error.")]
    Explain(ExplainArgs),
    /// Check a pull request on this device, measuring once: identical paths are
    /// skipped, the others measured base against head interleaved.
    #[command(after_help = "\
Examples:
  edgeperf check --device cpu --against origin/main                # the PR loop's step
  edgeperf check --device cpu --against origin/main --format json --out compare-cpu.json
  edgeperf check --against origin/main --fail-on-undecided         # no pass without a decision
  edgeperf check --against HEAD --remeasure-identical              # time the whole loop

For each path: without a baseline the head is measured like `run` does (new);
when every input (model bytes, device and model entries, runtime library,
dataset, edgeperf version) is byte-identical to the base's it is reported
\"identical: not re-measured\"; else one solo round of the head (accuracy,
memory, cold start) and base and head in alternating blocks until the
sequential rule decides (docs/DETECTION.md). The head's latency figures come
from those rounds. Exit codes: 0 = no regression, 1 = regression (or an
undecided path with --fail-on-undecided), 2 = error.")]
    Check(CheckArgs),
    /// Manage baselines (accept a run as the new baseline).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Show the accepted baselines of each path over commits, with change points.
    #[command(
        after_help = "Examples:\n  edgeperf history\n  edgeperf history --device cpu --model mobilenet_v2 --format json"
    )]
    History(HistoryArgs),
    /// Find the first commit that changed a path: binary search over the first-parent commits between GOOD and BAD, each probe a replay against GOOD interleaved on this machine.
    #[command(after_help = "\
Examples:
  edgeperf bisect v1.2 main --path cpu/mobilenet_v2
  edgeperf bisect 1a2b3c4 9f8e7d6 --path cpu/resnet50 --build 'python export.py'
  edgeperf bisect HEAD~30 HEAD --path npu/m --format markdown >> $GITHUB_STEP_SUMMARY

BAD is replayed first: its change against GOOD gives the direction to look
for (nothing to find when it is not changed by the threshold). A probe that
is inconclusive is measured again with twice the rounds, then skipped; a
commit whose path cannot be built or had is skipped and named (as git bisect
skip). 16 commits take 5 replays when none is skipped.
Exit codes: 0 = a culprit (or a few commits, with skips) named, 1 = nothing
found (BAD not changed, or BAD could not be judged), 2 = error.")]
    Bisect(BisectArgs),
    /// Record baselines for past commits A..B in commit order, each paired with the one before; resumable.
    #[command(after_help = "\
Examples:
  edgeperf backfill v1.0..main --device cpu
  edgeperf backfill 1a2b3c4..HEAD --build 'python export.py' --model resnet50

Each commit is measured with its own suite and model bytes (git, LFS, the
artifact store, or --build in a temporary worktree), replayed interleaved
against the nearest earlier commit in the history, and accepted. Ctrl-C (or a
crash) keeps the commits done under .edgeperf/backfill/; the same command goes
on from there, and a commit accepted twice keeps one history line.")]
    Backfill(BackfillArgs),
    /// Write the baseline history as a static site: charts per path, no network needed.
    #[command(after_help = "\
Examples:
  edgeperf dashboard                                   # baselines/ -> .edgeperf/site/
  edgeperf dashboard --baselines baselines --out site  # what the Pages workflow runs
  xdg-open .edgeperf/site/index.html

Commit links use --repo-url, else GITHUB_SERVER_URL/GITHUB_REPOSITORY, else the
`origin` remote (https or ssh form); without any, points show the commit in their
tooltip only.")]
    Dashboard(DashboardArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "\
Examples:
  edgeperf completions bash > ~/.local/share/bash-completion/completions/edgeperf
  edgeperf completions zsh > ~/.zfunc/_edgeperf
  edgeperf completions fish > ~/.config/fish/completions/edgeperf.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one per command with --out DIR.
    #[command(
        after_help = "Examples:\n  edgeperf man | man -l -\n  edgeperf man --out target/man"
    )]
    Man(ManArgs),
    /// Publish comparison results (one JSON per device) to a pull request.
    #[command(subcommand)]
    Report(ReportCommand),
    /// One measurement round in this process (used by `run`; not for people).
    #[command(name = "__worker", hide = true)]
    Worker(WorkerArgs),
}

/// Parses arguments, runs the command, prints any error as one line, and returns
/// the process exit code.
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        // Help and version as clap prints them (a bare `edgeperf` shows the
        // help and exits 2).
        Err(e) if !e.use_stderr() || e.kind() == DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{}", usage_error(&e));
            return EXIT_ERROR;
        }
    };
    // Ctrl-C or SIGTERM stop the workers of these and end with 128 + signal.
    if matches!(
        cli.command,
        Command::Run(_)
            | Command::Compare(_)
            | Command::Check(_)
            | Command::Explain(_)
            | Command::Bisect(_)
            | Command::Backfill(_)
            | Command::Baseline(BaselineCommand::Pair(_))
    ) {
        crate::interrupt::install();
    }
    let result = match cli.command {
        Command::Run(a) => crate::commands::run::run(a),
        Command::Doctor(a) => crate::commands::doctor::run(a),
        Command::Env(a) => crate::commands::env::run(a),
        Command::Compare(a) => crate::commands::compare::run(a),
        Command::Explain(a) => crate::commands::explain::run(a),
        Command::Check(a) => crate::commands::check::run(a),
        Command::Baseline(c) => crate::commands::baseline::run(c),
        Command::History(a) => crate::commands::history::run(a),
        Command::Bisect(a) => crate::commands::bisect::run(a),
        Command::Backfill(a) => crate::commands::backfill::run(a),
        Command::Dashboard(a) => crate::commands::dashboard::run(a),
        Command::Completions(a) => crate::commands::completions::run(a, Cli::command()),
        Command::Man(a) => crate::commands::man::run(a, Cli::command()),
        Command::Report(c) => crate::commands::report::run(c),
        Command::Worker(a) => crate::commands::worker::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}", e.one_line());
            e.exit_code()
        }
    }
}

/// A command-line error as one `error: ` line: clap's message, its tip, the
/// possible values and the usage (clap spreads them over several lines).
fn usage_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut parts = Vec::new();
    let mut usage = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u);
        } else if !line.starts_with("For more information") {
            parts.push(line.trim_start_matches("error: "));
        }
    }
    let mut message = String::new();
    for p in parts {
        if !message.is_empty() {
            // "...not provided:" runs on into its list, and a message into its
            // "[possible values: ...]"; a tip is a clause of its own.
            let runs_on = message.ends_with(':') || p.starts_with('[');
            message.push_str(if runs_on { " " } else { "; " });
        }
        message.push_str(p);
    }
    let mut out = format!("error: {message}");
    if let Some(u) = usage {
        out.push_str(&format!(" (usage: {u}; see --help)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command (hidden ones included) as
    /// "edgeperf run --device", with whether it has a help text.
    fn arguments(cmd: &clap::Command, path: &str, out: &mut Vec<(String, bool)>) {
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let name = match (a.get_long(), a.get_short()) {
                (Some(l), _) => format!("--{l}"),
                (None, Some(s)) => format!("-{s}"),
                (None, None) => format!("<{id}>"),
            };
            let has_help = a
                .get_help()
                .or(a.get_long_help())
                .is_some_and(|h| !h.to_string().trim().is_empty());
            out.push((format!("{path} {name}"), has_help));
        }
        for sub in cmd.get_subcommands() {
            arguments(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_argument_has_a_help_text() {
        let mut all = Vec::new();
        arguments(&Cli::command(), "edgeperf", &mut all);
        assert!(all.len() > 40, "the walk missed arguments: {all:?}");
        assert!(all
            .iter()
            .any(|(a, _)| a == "edgeperf report github --expect-device"));
        let missing: Vec<&String> = all.iter().filter(|(_, h)| !h).map(|(a, _)| a).collect();
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }

    /// The long help names the three kinds of device, not only ONNX Runtime's
    /// execution providers.
    #[test]
    fn the_long_help_says_what_a_device_is() {
        let help = Cli::command().render_long_help().to_string();
        for kind in ["onnxruntime", "litert", "external", "execution provider"] {
            assert!(help.contains(kind), "long help lacks {kind:?}:\n{help}");
        }
    }
}
