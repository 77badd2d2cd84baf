//! Thin binary: parse, dispatch to the library, map the outcome to an exit code.
//! 0 = fine, 1 = a regression was found, 2 = error (see `edgeperf::Error`).

fn main() {
    let code = edgeperf::cli::main_with_args(std::env::args_os());
    std::process::exit(code);
}
