//! What commands share for their output: writing to stdout (a closed pipe is not
//! an error), the `--color` choice, and writing a report to `--out` or stdout.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour output that goes to `out` (stdout when `None`): `auto`
    /// colours a terminal unless `NO_COLOR` is set.
    pub fn enabled(self, out: Option<&Path>) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                out.is_none()
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// Writes to stdout, treating a closed pipe (`edgeperf ... | head`) as success.
pub fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Output(e)),
    }
}

/// Writes `text` atomically to `out`, or to stdout without one.
pub fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(p) => Ok(crate::fs::write_atomic(p, text.as_bytes())?),
        None => print_out(text),
    }
}

/// What starts a line on stderr that a progress line may be sitting on: a
/// carriage return and erase-line on a terminal, nothing otherwise (a CI log
/// gets no escape codes).
pub fn clear_progress() -> &'static str {
    if std::io::stderr().is_terminal() {
        "\r\x1b[2K"
    } else {
        ""
    }
}
