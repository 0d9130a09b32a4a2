//! The `slsr` binary: parses the command line and returns the command's exit code.
//! Everything else is in the library (`slsr::cli::commands` and what it calls).

use std::process::ExitCode;

fn main() -> ExitCode {
    slsr::cli::commands::main()
}
