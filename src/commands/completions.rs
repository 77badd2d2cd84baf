//! `edgeperf completions SHELL`: a shell completion script on stdout, generated
//! from the clap tree (`cli` passes it in; commands never reach up to `cli`).

use clap::Args;
use clap_complete::Shell;

use super::output::print_out;
use crate::error::{Result, EXIT_OK};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(a: CompletionsArgs, mut command: clap::Command) -> Result<i32> {
    let mut buf = Vec::new();
    let name = command.get_name().to_string();
    clap_complete::generate(a.shell, &mut command, name, &mut buf);
    print_out(&String::from_utf8_lossy(&buf))?;
    Ok(EXIT_OK)
}
