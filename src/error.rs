//! The crate-wide error type. Every error is one line that names the file or the
//! configuration key at fault; every error exits with code 2.

use std::path::PathBuf;

/// Exit code for "no regression / success".
pub const EXIT_OK: i32 = 0;
/// Exit code for "the thing asked about was found": at least one regression.
pub const EXIT_REGRESSION: i32 = 1;
/// Exit code for every error (bad input, missing file, runtime failure).
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSON document could not be parsed or does not match its schema.
    #[error("{path}: {message}")]
    Json { path: PathBuf, message: String },
    /// The suite file is invalid; `key` is the dotted key at fault.
    #[error("{path}: {key}: {message}")]
    Config {
        path: PathBuf,
        key: String,
        message: String,
    },
    /// An input image could not be used.
    #[error("{0}")]
    Preprocess(#[from] crate::preprocess::PreprocessError),
    /// ONNX Runtime (loading, session creation, execution provider, inference) failed.
    #[error("{0}")]
    Runtime(String),
    /// Anything else the user must fix, already phrased as one line.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
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
    pub fn json(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Json {
            path: path.into(),
            message: message.into(),
        }
    }
    /// The one-line message printed to the user (no embedded newlines).
    pub fn one_line(&self) -> String {
        self.to_string().replace('\n', " ")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
