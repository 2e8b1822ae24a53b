//! `completions SHELL` and `man`: the shell completion scripts and the roff manual page.
//!
//! Input: the CLI definition itself ([`super::args::Cli`]), so neither can fall behind a flag.
//! Output: a completion script for one shell (clap_complete), or one man page (clap_mangen)
//! on standard output. Invariants: the man page covers every subcommand at every depth
//! (`neardup index build` included), each under its own heading with its synopsis,
//! description and options; both outputs are pure functions of the CLI definition.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Command, CommandFactory};
use clap_complete::Shell;

use super::args::Cli;

/// Print the completion script for `shell`.
pub(super) fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<ExitCode> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "neardup", out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Print the man page: the top-level page clap_mangen writes (name, synopsis, description,
/// options, the list of subcommands, version), then one section per subcommand.
pub(super) fn man(out: &mut dyn Write) -> io::Result<ExitCode> {
    let mut cmd = Cli::command();
    // Building fills in every subcommand's full name ("neardup index build") for the synopses.
    cmd.build();
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut roff)?;
    copy_roff(&roff, false, out)?;
    for sub in cmd.get_subcommands() {
        subcommand_section(sub, out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One subcommand (and, after it, its own subcommands): a `.SH` heading with its full name,
/// and clap_mangen's synopsis, description and options sections demoted to `.SS`, so that
/// one page holds them all.
fn subcommand_section(cmd: &Command, out: &mut dyn Write) -> io::Result<()> {
    if cmd.get_name() == "help" {
        return Ok(());
    }
    let full = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_uppercase();
    writeln!(out, ".SH \"{}\"", full.replace('"', ""))?;
    let page = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    page.render_synopsis_section(&mut roff)?;
    page.render_description_section(&mut roff)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page.render_options_section(&mut roff)?;
    }
    if cmd.has_subcommands() {
        page.render_subcommands_section(&mut roff)?;
    }
    copy_roff(&roff, true, out)?;
    for sub in cmd.get_subcommands() {
        subcommand_section(sub, out)?;
    }
    Ok(())
}

/// Copy clap_mangen's roff, fitted to one page: references to separate pages
/// (`neardup\-index\-build(1)`) become the command's name, whose section is further down;
/// with `demote`, `.SH` headings become `.SS` and the string definitions every render
/// repeats (defined once at the top of the page) are dropped.
fn copy_roff(roff: &[u8], demote: bool, out: &mut dyn Write) -> io::Result<()> {
    for line in String::from_utf8_lossy(roff).lines() {
        if let Some(name) = line
            .strip_prefix("neardup\\-")
            .and_then(|l| l.strip_suffix("(1)"))
        {
            writeln!(out, "\\fBneardup {}\\fR", name.replace("\\-", " "))?;
        } else if !demote {
            writeln!(out, "{line}")?;
        } else if let Some(heading) = line.strip_prefix(".SH ") {
            writeln!(out, ".SS {heading}")?;
        } else if !line.starts_with(".ie \\n(.g .ds Aq") && !line.starts_with(".el .ds Aq") {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
