//! Command-line interface (clap). Each subcommand lives in `commands/`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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

  # later, on a branch: measure again and judge latency and accuracy
  edgeperf run --out head.json
  edgeperf compare head.json                 # exit 1 if anything regressed
  edgeperf compare head.json --against main  # baselines as of the merge-base

  # inspect the accepted baselines of a path over commits
  edgeperf history --device cpu --model mobilenet_v2

Exit codes: 0 = no regression, 1 = at least one regression, 2 = error.";

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
  ORT_DYLIB_PATH=/opt/ort/libonnxruntime.so edgeperf run --suite my.toml")]
    Run(RunArgs),
    /// Print the environment fingerprint recorded with every run.
    #[command(after_help = "Examples:\n  edgeperf env\n  edgeperf env --json")]
    Env(EnvArgs),
    /// Judge a run against the baselines: latency and accuracy verdicts per path.
    #[command(after_help = "\
Examples:
  edgeperf compare head.json                          # against baselines/
  edgeperf compare head.json --against origin/main    # baselines at the merge-base
  edgeperf compare head.json --format markdown --out comment.md
  edgeperf compare head.json --format json --out compare-cpu.json

A suspected latency regression is re-measured on this machine with base and head
interleaved before it counts (budget: compare.confirm.budget_seconds per side,
default 20 s). Exit codes: 0 = no regression, 1 = regression, 2 = error.")]
    Compare(CompareArgs),
    /// Manage baselines (accept a run as the new baseline).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Show the accepted baselines of each path over commits, with change points.
    #[command(
        after_help = "Examples:\n  edgeperf history\n  edgeperf history --device cpu --model mobilenet_v2 --format json"
    )]
    History(HistoryArgs),
    /// Publish comparison results (one JSON per device) to a pull request.
    #[command(subcommand)]
    Report(ReportCommand),
    /// One measurement round in this process (used by `run`; not for people).
    #[command(name = "__worker", hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct SuiteArg {
    /// The suite file.
    #[arg(long, default_value = "edgeperf.toml", value_name = "FILE")]
    pub suite: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArg,
    /// Only this device (repeatable). Without it: every device with `default = true`.
    #[arg(long = "device", value_name = "NAME")]
    pub devices: Vec<String>,
    /// Only this model (repeatable).
    #[arg(long = "model", value_name = "NAME")]
    pub models: Vec<String>,
    /// Where to write the run record [default: .edgeperf/runs/run-<UTC time>.json next to the suite].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// One short round per path (smoke test; latency figures are rough).
    #[arg(long)]
    pub quick: bool,
    /// ONNX Runtime library for every device (overrides the suite and ORT_DYLIB_PATH).
    #[arg(long, value_name = "LIB")]
    pub runtime: Option<PathBuf>,
    /// Also print the record as JSON on stdout instead of the table.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RunFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run record to judge (from `edgeperf run --out`).
    pub run: PathBuf,
    /// Baselines directory.
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    /// Judge against the baselines as they are at the merge-base of HEAD and REF (read through git).
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
    /// The suite (thresholds, and the paths to re-measure when confirming).
    #[command(flatten)]
    pub suite: SuiteArg,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Do not re-measure suspects; they are reported as inconclusive.
    #[arg(long)]
    pub no_confirm: bool,
    /// Seconds of measurement per side when confirming a suspect.
    #[arg(long, value_name = "SECONDS")]
    pub confirm_budget: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Store every path of a run as its new baseline and append to its history.
    #[command(after_help = "Example:\n  edgeperf baseline accept run.json --baselines baselines/")]
    Accept(BaselineAcceptArgs),
}

#[derive(Debug, Args)]
pub struct BaselineAcceptArgs {
    pub run: PathBuf,
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Upsert one PR comment (found by a hidden marker) and set a commit status per device.
    #[command(after_help = "\
Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL (default https://api.github.com),
the PR number from --pr or GITHUB_EVENT_PATH, the sha from --sha or GITHUB_SHA.
Also appends the report to $GITHUB_STEP_SUMMARY when set.

Examples:
  edgeperf report github results/compare-*.json --expect-device cpu-x86 --expect-device rpi4
  edgeperf report github compare-cpu.json --pr 42 --sha $SHA --dry-run

Exit codes: 0 = no regression, 1 = a regression or a device without a result, 2 = error.")]
    Github(ReportGithubArgs),
}

#[derive(Debug, Args)]
pub struct ReportGithubArgs {
    /// Comparison files (`edgeperf compare --format json --out ...`), one per device.
    pub results: Vec<PathBuf>,
    /// A device that must have a result; without one it shows as "no result" and fails.
    #[arg(long = "expect-device", value_name = "NAME")]
    pub expect_devices: Vec<String>,
    #[arg(long)]
    pub pr: Option<u64>,
    #[arg(long)]
    pub sha: Option<String>,
    /// Print the comment body and statuses instead of sending them.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[arg(long, default_value = "baselines", value_name = "DIR")]
    pub baselines: PathBuf,
    #[arg(long)]
    pub device: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    pub format: RunFormat,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub suite: SuiteArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub suite: SuiteArg,
    #[arg(long)]
    pub device: String,
    #[arg(long)]
    pub model: String,
    #[arg(long, default_value_t = 0)]
    pub round: u32,
    #[arg(long)]
    pub accuracy: bool,
    #[arg(long)]
    pub warmup: Option<u32>,
    #[arg(long)]
    pub samples: Option<u32>,
    #[arg(long)]
    pub rounds: Option<u32>,
    #[arg(long)]
    pub max_seconds: Option<f64>,
    #[arg(long)]
    pub min_samples: Option<u32>,
    #[arg(long)]
    pub model_file: Option<PathBuf>,
    #[arg(long)]
    pub runtime: Option<PathBuf>,
    #[arg(long)]
    pub paired_with: Option<PathBuf>,
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
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Run(a) => crate::commands::run::run(a),
        Command::Env(a) => crate::commands::env::run(a),
        Command::Compare(a) => crate::commands::compare::run(a),
        Command::Baseline(BaselineCommand::Accept(a)) => crate::commands::baseline::accept(a),
        Command::History(a) => crate::commands::history::run(a),
        Command::Report(ReportCommand::Github(a)) => crate::commands::report::github(a),
        Command::Worker(a) => crate::commands::worker::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {}", e.one_line());
            EXIT_ERROR
        }
    }
}

/// Writes to stdout, treating a closed pipe (`edgeperf ... | head`) as success.
pub fn print_out(text: &str) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(crate::Error::Other(format!("cannot write to stdout: {e}"))),
    }
}
