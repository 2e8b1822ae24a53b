//! The `neardup` binary: the command-line interface ([`cli`]) over the library.
//!
//! The CLI lives here and not in the library, so the library's API has no clap in it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
