//! The commands that set things up or describe lgtmc itself: `init`, `schema`, `completions` and
//! `man`.

use std::path::Path;

use clap::CommandFactory;

use crate::config::Invocation;
use crate::error::{EXIT_OK, Error};
use crate::{init, manual, schema};

use super::print::{print_out, warn};
use super::{Cli, InitArgs};

/// `lgtmc init [DIR]`: the starter repository, and what to do next.
pub(super) fn init(invocation: &Invocation, args: &InitArgs) -> Result<i32, Error> {
    let made = init::init(&args.dir, args.lgtmc_git.as_deref())?;
    warn(&made.warnings, invocation.colour.stderr);
    print_out(&init_summary(&args.dir, &made));
    Ok(EXIT_OK)
}

pub(super) fn schema() -> Result<i32, Error> {
    print_out(&schema::text());
    Ok(EXIT_OK)
}

pub(super) fn completions(shell: clap_complete::Shell) -> Result<i32, Error> {
    print_out(&manual::completions(shell, Cli::command()));
    Ok(EXIT_OK)
}

/// `lgtmc man [COMMAND]` prints one page; `lgtmc man --dir DIR` writes them all.
pub(super) fn man(command: Option<&str>, dir: Option<&Path>) -> Result<i32, Error> {
    let Some(dir) = dir else {
        print_out(&manual::man_page(Cli::command(), command)?);
        return Ok(EXIT_OK);
    };
    let pages = manual::write_pages(Cli::command(), dir)?;
    print_out(&format!(
        "wrote {} man pages into {}: {}\n",
        pages.len(),
        dir.display(),
        pages.join(", ")
    ));
    Ok(EXIT_OK)
}

/// What `init` made and what to do next, as a list of commands to copy.
fn init_summary(dir: &Path, made: &init::Initialised) -> String {
    let mut text = format!(
        "created a GitOps repository in {}: {}; rendered {} files into out/\n",
        dir.display(),
        made.written.join(", "),
        made.rendered
    );
    if !made.kept.is_empty() {
        text += &format!("kept the existing {}\n", made.kept.join(", "));
    }
    text += match made.git {
        init::Git::Created => "initialised a git repository (branch main)\n",
        init::Git::Existing => "it is inside a git repository already: no `git init`\n",
        init::Git::Missing => "git is not installed: install it, then run `git init -b main`\n",
    };
    text += "\nnext:\n";
    if dir != Path::new(".") {
        text += &format!("  cd {}\n", dir.display());
    }
    if !made.warnings.is_empty() {
        text += "  # replace the placeholders above, first the `gitops repo` URL, then:\n";
    }
    text += "  lgtmc render                # after every edit of platform.kdl, environments/ or versions/\n";
    text += "  pre-commit install          # the hook runs `lgtmc check` before each commit (pip install pre-commit)\n";
    text += "  git add --all && git commit -m \"platform: first render\"\n";
    text += "  # push to GitHub: .github/workflows/lgtmc.yml checks out/ and comments the diff on pull requests\n";
    text
}
