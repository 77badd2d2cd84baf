//! `edgeperf man`: the man page (roff) generated from the clap tree, on stdout,
//! or with `--out DIR` one page per command (`edgeperf.1`, `edgeperf-run.1`, ...).

use std::path::PathBuf;

use clap::Args;

use super::output::print_out;
use crate::error::{Error, Result, EXIT_OK};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write edgeperf.1 and a page per subcommand into DIR instead of printing edgeperf.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The roff text of one command's page.
fn page(command: clap::Command) -> Result<String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut buf)
        .map_err(Error::Output)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn run(a: ManArgs, command: clap::Command) -> Result<i32> {
    let Some(dir) = a.out else {
        print_out(&page(command)?)?;
        return Ok(EXIT_OK);
    };
    let command = command.disable_help_subcommand(true);
    let name = command.get_name().to_string();
    let mut written = vec![(format!("{name}.1"), page(command.clone())?)];
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let full = format!("{name}-{}", sub.get_name());
        written.push((format!("{full}.1"), page(sub.clone().name(full))?));
    }
    for (file, text) in &written {
        crate::fs::write_atomic(&dir.join(file), text.as_bytes())?;
    }
    eprintln!("wrote {} man pages under {}", written.len(), dir.display());
    Ok(EXIT_OK)
}
