//! Manual: shell completions (`lgtmc completions SHELL`) and man pages (`lgtmc man [COMMAND]`,
//! `lgtmc man --dir DIR`), generated from the clap definition in `cli`, so they cannot drift from
//! the real options.
//!
//! This and `cli` are the only modules that know about clap; `cli` hands over its command.

use std::path::{Path, PathBuf};

use clap::Command;
use clap_complete::Shell;
use roff::{Roff, bold, roman};

#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    #[error("no command `{name}` (the commands are: {known})")]
    UnknownCommand { name: String, known: String },
    #[error("cannot render the man page: {0}")]
    Render(#[source] std::io::Error),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The environment variables lgtmc reads, for every page's ENVIRONMENT section.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "LGTMC_SPEC_DIR",
        "The directory holding platform.kdl, as with -C (which wins over it). An empty value is the same as unset.",
    ),
    (
        "LGTMC_CACHE_DIR",
        "Where render keeps its check record (default $XDG_CACHE_HOME/lgtmc, else ~/.cache/lgtmc); empty: no record is kept or read.",
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto (the default) does not colour diffs and diagnostics.",
    ),
];

/// The completion script for `shell`.
pub fn completions(shell: Shell, mut command: Command) -> String {
    let mut bytes = Vec::new();
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The roff man page of the program, or of one of its subcommands (`lgtmc-render(1)`).
pub fn man_page(command: Command, subcommand: Option<&str>) -> Result<String, ManualError> {
    let command = built(command);
    let page = match subcommand {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(found) => found.clone(),
            None => {
                let known: Vec<&str> = command.get_subcommands().map(Command::get_name).collect();
                return Err(ManualError::UnknownCommand {
                    name: name.to_owned(),
                    known: known.join(", "),
                });
            }
        },
    };
    render(page)
}

/// Writes `lgtmc.1` and one `lgtmc-<command>.1` per command into `dir` (created if missing), so
/// that every page the main page refers to exists; returns the file names.
pub fn write_pages(command: Command, dir: &Path) -> Result<Vec<String>, ManualError> {
    let command = built(command);
    let mut pages = vec![command.clone()];
    pages.extend(command.get_subcommands().cloned());
    std::fs::create_dir_all(dir).map_err(|source| ManualError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names = Vec::new();
    for page in pages {
        let name = clap_mangen::Man::new(page.clone()).get_filename();
        let path = dir.join(&name);
        std::fs::write(&path, render(page)?)
            .map_err(|source| ManualError::Write { path, source })?;
        names.push(name);
    }
    Ok(names)
}

/// The command as the pages show it: built (global options propagated, subcommands named
/// `lgtmc-render`), without clap's `help` subcommand, which has no page of its own (`--help` does
/// the same).
fn built(command: Command) -> Command {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    command
}

/// clap_mangen's page, with an ENVIRONMENT section before the exit codes (or the version), and a
/// SEE ALSO from a command's page to the main one.
fn render(page: Command) -> Result<String, ManualError> {
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page.clone())
        .render(&mut bytes)
        .map_err(ManualError::Render)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut extra = Roff::new();
    extra.control("SH", ["ENVIRONMENT"]);
    for (name, meaning) in ENVIRONMENT {
        extra
            .control("TP", [])
            .text([bold(*name)])
            .text([roman(*meaning)]);
    }
    let name = page.get_display_name().unwrap_or(page.get_name());
    if let Some((main, _)) = name.split_once('-') {
        extra
            .control("SH", ["SEE ALSO"])
            .text([bold(main), roman("(1)")]);
    }
    let at = [".SH EXTRA\n", ".SH VERSION\n"]
        .iter()
        .find_map(|heading| text.find(heading))
        .unwrap_or(text.len());
    Ok(format!("{}{}{}", &text[..at], extra.to_roff(), &text[at..]))
}
