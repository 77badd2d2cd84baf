//! Command-line interface: the clap command tree and dispatch to `commands/`
//! (each subcommand's arguments live with it), errors printed as one line, exit
//! codes 0 (fine), 1 (regression), 2 (error).

use std::ffi::OsString;
use std::io::Write;

use clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{
    baseline::BaselineCommand, check::CheckArgs, compare::CompareArgs,
    completions::CompletionsArgs, dashboard::DashboardArgs, env::EnvArgs, history::HistoryArgs,
    man::ManArgs, report::ReportCommand, run::RunArgs, worker::WorkerArgs,
};
use crate::error::{EXIT_ERROR, EXIT_OK};

const ABOUT: &str = "Track the latency and accuracy of deep-learning inference per device, commit by commit, and fail pull requests that make a model slower or less accurate.";

const LONG_ABOUT: &str = "\
Track the latency and accuracy of deep-learning inference per device, commit by
commit, and fail pull requests that make a model slower or less accurate.

A suite (edgeperf.toml) lists devices (an ONNX Runtime execution provider, its
options, threads and runtime library) and models (an ONNX file and its
preprocessing). A path is one device x one model.

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
        Command::Run(_) | Command::Compare(_) | Command::Check(_)
    ) {
        crate::interrupt::install();
    }
    let result = match cli.command {
        Command::Run(a) => crate::commands::run::run(a),
        Command::Env(a) => crate::commands::env::run(a),
        Command::Compare(a) => crate::commands::compare::run(a),
        Command::Check(a) => crate::commands::check::run(a),
        Command::Baseline(c) => crate::commands::baseline::run(c),
        Command::History(a) => crate::commands::history::run(a),
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
