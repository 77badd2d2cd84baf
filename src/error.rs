//! The crate-wide error type. Every variant carries what the user needs to find
//! the fault (the file, the configuration key, the device and model, the git
//! reference) and prints as one line; every error exits with code 2, except an
//! interruption by SIGINT or SIGTERM (128 + the signal: 130 for Ctrl-C).

use std::path::PathBuf;

use crate::fs::FsError;
#[cfg(feature = "github")]
use crate::github::GithubError;

/// Exit code for "no regression / success".
pub const EXIT_OK: i32 = 0;
/// Exit code for "the thing asked about was found": at least one regression.
pub const EXIT_REGRESSION: i32 = 1;
/// Exit code for every error (bad input, missing file, runtime failure).
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading, listing or writing a file failed: "cannot read a.json: No such
    /// file or directory (os error 2)", then how to fix it where the caller
    /// knows (`Error::fix`).
    #[error("{error}{}", fix_suffix(fix.as_deref()))]
    Io {
        #[source]
        error: FsError,
        fix: Option<String>,
    },
    /// A JSON document (run record, baseline, comparison) cannot be parsed, does
    /// not match its schema, or cannot be used as it is (an incomplete run).
    #[error("{}: {message}", path.display())]
    Document { path: PathBuf, message: String },
    /// The suite file is invalid; `key` is the dotted key at fault.
    #[error("{}: {key}: {message}", path.display())]
    Config {
        path: PathBuf,
        key: String,
        message: String,
    },
    /// The dataset folder cannot be used.
    #[error("{}: {message}", path.display())]
    Dataset { path: PathBuf, message: String },
    /// An input image could not be read, decoded or preprocessed (`verb`).
    #[error("cannot {verb} image {}: {source}", path.display())]
    Image {
        verb: &'static str,
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The runtime library (ONNX Runtime, LiteRT) cannot be found, loaded or used.
    #[error("{}: {message}", library.display())]
    Runtime { library: PathBuf, message: String },
    /// A device has no usable runtime or execution provider.
    #[error("device {device:?}: {message}")]
    Device { device: String, message: String },
    /// A model file cannot be loaded or does not fit its suite entry.
    #[error("{}: {message}", file.display())]
    Model { file: PathBuf, message: String },
    /// Inference itself failed.
    #[error("{device}/{model}: {message}")]
    Inference {
        device: String,
        model: String,
        message: String,
    },
    /// A measurement worker process failed; `message` is its own one-line error
    /// when it sent one, else how it died.
    #[error("{message} ({device}/{model}, round {round})")]
    Worker {
        device: String,
        model: String,
        round: u32,
        message: String,
    },
    /// SIGINT or SIGTERM stopped the command (see `crate::interrupt`); `message`
    /// says what was going on and what was kept. Exits with 128 + the signal.
    #[error("interrupted by {}: {message}", crate::interrupt::signal_name(*signal))]
    Interrupted { signal: i32, message: String },
    /// A git repository or reference cannot be used.
    #[error("{what}: {message}")]
    Git { what: String, message: String },
    /// The GitHub API refused or failed.
    #[cfg(feature = "github")]
    #[error(transparent)]
    Github(#[from] GithubError),
    /// The command line asks for something that cannot be done: `arg` is the
    /// option, argument or command at fault, `message` why and what to do.
    #[error("{arg}: {message}")]
    Argument { arg: String, message: String },
    /// A baselines folder has no history for the paths asked about.
    #[error("{}: no history for {what} (accept a run of it first: edgeperf baseline accept RUN.json)", dir.display())]
    NoHistory { dir: PathBuf, what: String },
    /// This build of edgeperf leaves out what the command needs (a cargo
    /// feature); `message` says which and how to get it.
    #[error("{command}: {message}")]
    NotBuilt {
        command: &'static str,
        message: &'static str,
    },
    /// A document could not be turned into JSON (a bug: values edgeperf makes
    /// always serialise).
    #[error("cannot serialise {what} as JSON: {source} (a bug in edgeperf: please report it)")]
    Serialise {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// edgeperf and one of its worker processes (`edgeperf __worker`) do not
    /// understand each other.
    #[error("worker protocol: {message} (the worker is started by `edgeperf run` and `compare`, from the same executable; if it was replaced while running, run again)")]
    WorkerProtocol { message: String },
    /// edgeperf cannot find its own executable to start its workers from.
    #[error("cannot locate the edgeperf executable to start its workers: {0} (run edgeperf from a file that stays in place while it runs)")]
    Executable(#[source] std::io::Error),
    /// Writing the output (stdout) failed.
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
}

/// " (fix)", or nothing.
fn fix_suffix(fix: Option<&str>) -> String {
    fix.map(|f| format!(" ({f})")).unwrap_or_default()
}

impl From<FsError> for Error {
    fn from(error: FsError) -> Error {
        Error::Io { error, fix: None }
    }
}

impl Error {
    pub fn config(
        path: impl Into<PathBuf>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            path: path.into(),
            key: key.into(),
            message: message.into(),
        }
    }
    pub fn document(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Document {
            path: path.into(),
            message: message.into(),
        }
    }
    pub fn runtime(library: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Runtime {
            library: library.into(),
            message: message.into(),
        }
    }
    pub fn model(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            file: file.into(),
            message: message.into(),
        }
    }
    pub fn device(device: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Device {
            device: device.into(),
            message: message.into(),
        }
    }
    pub fn git(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Git {
            what: what.into(),
            message: message.into(),
        }
    }
    /// A file error with how to fix it, e.g. "cannot read run.json: No such file
    /// or directory (os error 2) (give the record `edgeperf run --out` wrote)".
    pub fn io_with_fix(error: FsError, fix: impl Into<String>) -> Self {
        Error::Io {
            error,
            fix: Some(fix.into()),
        }
    }
    /// `Error::Argument`: `arg` (an option, argument or command) cannot be used.
    pub fn argument(arg: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Argument {
            arg: arg.into(),
            message: message.into(),
        }
    }
    /// `Error::WorkerProtocol` with `message`.
    pub fn worker_protocol(message: impl Into<String>) -> Self {
        Error::WorkerProtocol {
            message: message.into(),
        }
    }
    /// The process exit code for this error: 2, or 128 + the signal for an
    /// interruption (130 for Ctrl-C), as a shell reports a process it stopped.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted { signal, .. } => crate::interrupt::exit_code(*signal),
            _ => EXIT_ERROR,
        }
    }
    /// The one-line message printed to the user (no embedded newlines).
    pub fn one_line(&self) -> String {
        self.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_one_line_and_names_its_context() {
        let cases = [
            Error::from(FsError::new(
                crate::fs::Op::Read,
                "/x/a.json",
                std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"),
            )),
            Error::document("/x/run.json", "truncated JSON:\nline 3"),
            Error::config("suite.toml", "device[0].provider", "unknown"),
            Error::runtime("/lib/libonnxruntime.so", "too old"),
            Error::model("/m.onnx", "cannot load"),
            Error::device("gpu", "no CUDA"),
            Error::Worker {
                device: "cpu".into(),
                model: "m".into(),
                round: 2,
                message: "killed by signal 9".into(),
            },
            Error::git("--against main", "no merge-base"),
            Error::Interrupted {
                signal: 2,
                message: "stopped the worker (cpu/m, round 1)".into(),
            },
        ];
        let wants = [
            "cannot read /x/a.json: No such file",
            "/x/run.json",
            "device[0].provider",
            "/lib/libonnxruntime.so",
            "/m.onnx",
            "\"gpu\"",
            "cpu/m, round 2",
            "--against main",
            "interrupted by SIGINT: stopped the worker (cpu/m, round 1)",
        ];
        for (e, want) in cases.iter().zip(wants) {
            let line = e.one_line();
            assert!(!line.contains('\n'), "{line}");
            assert!(line.contains(want), "{line} lacks {want}");
        }
        assert_eq!(cases[8].exit_code(), 130);
        assert_eq!(cases[0].exit_code(), EXIT_ERROR);
    }

    #[test]
    fn a_file_error_carries_its_fix_and_other_kinds_say_what_to_do() {
        let missing = FsError::new(
            crate::fs::Op::Read,
            "baselines/cpu/m.json",
            std::io::Error::from_raw_os_error(2),
        );
        assert_eq!(
            Error::io_with_fix(missing, "run `edgeperf baseline accept` first").one_line(),
            "cannot read baselines/cpu/m.json: No such file or directory (os error 2) \
             (run `edgeperf baseline accept` first)"
        );
        let e = Error::NoHistory {
            dir: "bl".into(),
            what: "device cpu".into(),
        };
        assert!(
            e.one_line()
                .starts_with("bl: no history for device cpu (accept a run"),
            "{e}"
        );
        let e = Error::worker_protocol("worker protocol 9 requested, this edgeperf speaks 2");
        assert!(e.one_line().contains("run again"), "{e}");
        let e = Error::Serialise {
            what: "a history entry",
            source: serde_json::from_str::<u8>("x").unwrap_err(),
        };
        assert!(
            e.one_line()
                .starts_with("cannot serialise a history entry as JSON: "),
            "{e}"
        );
        for e in [
            e,
            Error::argument("--format bmf", "env has no measurements"),
        ] {
            assert_eq!(e.exit_code(), EXIT_ERROR);
        }
    }
}
