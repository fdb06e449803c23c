//! Manual: shell completions (`lgtmc completions SHELL`) and man pages (`lgtmc man [COMMAND]`),
//! generated from the clap definition in `cli`, so they cannot drift from the real options.
//!
//! This and `cli` are the only modules that know about clap; `cli` hands over its command.

use clap::Command;
use clap_complete::Shell;

#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    #[error("no command `{name}` (the commands are: {known})")]
    UnknownCommand { name: String, known: String },
    #[error("cannot render the man page: {0}")]
    Render(#[source] std::io::Error),
}

/// The completion script for `shell`.
pub fn completions(shell: Shell, mut command: Command) -> String {
    let mut bytes = Vec::new();
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The roff man page of the program, or of one of its subcommands (`lgtmc-render(1)`).
pub fn man_page(mut command: Command, subcommand: Option<&str>) -> Result<String, ManualError> {
    // Building propagates global options and names subcommands `lgtmc-render`.
    command.build();
    let page = match subcommand {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            Some(found) => found.clone(),
            None => {
                let known: Vec<&str> = command
                    .get_subcommands()
                    .map(Command::get_name)
                    .filter(|n| *n != "help")
                    .collect();
                return Err(ManualError::UnknownCommand {
                    name: name.to_owned(),
                    known: known.join(", "),
                });
            }
        },
    };
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut bytes)
        .map_err(ManualError::Render)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
