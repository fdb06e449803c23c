//! The configuration of one run, resolved once: `cli` turns the command line into an
//! [`Invocation`] (paths with `-C` applied, colour decided per stream, the output format, the
//! selected environments), and, once the spec has compiled, into a [`Config`] that also owns the
//! out dir. Plain data: clap stays in `cli`, and the commands read only these.
//!
//! **Invariants:** colour is decided here and nowhere else (`--color`, `NO_COLOR`, whether the
//! stream is a terminal); the out dir is resolved here and nowhere else, from `--out` and the
//! spec's `gitops out`, with the rule that an `--out` inside the repository must be `gitops out`.

use std::path::{Path, PathBuf};

use crate::diagnostic::did_you_mean;
use crate::emit::{self, MANIFEST_PATH};
use crate::error::Error;
use crate::report::Colour;

/// `--color`: when to colour diffs and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColourChoice {
    Auto,
    Always,
    Never,
}

/// Whether each output stream is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colours {
    pub stdout: Colour,
    pub stderr: Colour,
}

impl Colours {
    /// `auto` colours a stream that is a terminal, unless `NO_COLOR` is set to a non-empty value
    /// (no-color.org).
    pub fn resolve(choice: ColourChoice, stdout_terminal: bool, stderr_terminal: bool) -> Colours {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let one = |is_terminal: bool| match choice {
            ColourChoice::Always => Colour::Always,
            ColourChoice::Never => Colour::Never,
            ColourChoice::Auto if is_terminal && !no_color => Colour::Always,
            ColourChoice::Auto => Colour::Never,
        };
        Colours {
            stdout: one(stdout_terminal),
            stderr: one(stderr_terminal),
        }
    }
}

/// The output format a command was asked for; each command accepts some of them (clap checks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// For people (colour on a terminal).
    Text,
    /// `check --format github`: also GitHub Actions workflow commands.
    Github,
    /// A pull-request comment, or each environment's `CAPACITY.md`.
    Markdown,
    /// For tools.
    Json,
}

/// The command line, resolved: every relative path already read from `-C` when one was given.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Where `platform.kdl` is.
    pub spec_dir: PathBuf,
    /// `--out`, as given: becomes [`Config::out_dir`] once the spec's `gitops out` is known.
    pub out: Option<PathBuf>,
    /// `--templates`: overrides of the built-in templates.
    pub templates: Option<PathBuf>,
    /// `--crds`: CustomResourceDefinitions to check rendered custom resources against.
    pub crds: Option<PathBuf>,
    /// `--env`, repeatable; empty selects every environment.
    pub environments: Vec<String>,
    pub format: OutputFormat,
    pub colour: Colours,
}

/// A run's configuration once the spec is known: the invocation, with the one out dir.
#[derive(Clone, Debug)]
pub struct Config {
    pub spec_dir: PathBuf,
    pub templates: Option<PathBuf>,
    pub crds: Option<PathBuf>,
    /// The selected environments, each one of the spec's; empty selects every environment.
    pub environments: Vec<String>,
    pub format: OutputFormat,
    pub colour: Colours,
    /// Where the rendered tree is written and read: `gitops out` in the repository, or an
    /// `--out` copy outside it.
    pub out_dir: PathBuf,
}

impl Invocation {
    /// Checks the selected environments against the spec's and resolves the out dir from
    /// `--out` and the spec's `gitops out`.
    pub fn resolve(self, gitops_out: &str, environments: &[String]) -> Result<Config, Error> {
        check_environments(environments, &self.environments)?;
        let out_dir = out_dir(&self.spec_dir, gitops_out, self.out.as_deref())?;
        Ok(Config {
            spec_dir: self.spec_dir,
            templates: self.templates,
            crds: self.crds,
            environments: self.environments,
            format: self.format,
            colour: self.colour,
            out_dir,
        })
    }

    /// Whether an environment is selected (all are when none is named).
    pub fn selects(&self, environment: &str) -> bool {
        self.environments.is_empty() || self.environments.iter().any(|e| e == environment)
    }
}

impl Config {
    /// Whether `path` (under the out dir) belongs to one of the selected environments (all, when
    /// none is selected). The manifest describes the whole platform, so it is in every scope of a
    /// render.
    pub fn in_scope(&self, path: &str) -> bool {
        self.environments.is_empty()
            || path == MANIFEST_PATH
            || self.environments.iter().any(|env| {
                path.strip_prefix(env.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
    }

    /// The out dir as messages and diff headers name it (`out`, not `./out`).
    pub fn out_label(&self) -> String {
        (self.out_dir.display().to_string())
            .trim_start_matches("./")
            .to_owned()
    }
}

/// Fails with a usage error when a selected environment is not one of the platform's.
pub fn check_environments(known: &[String], selected: &[String]) -> Result<(), Error> {
    for name in selected {
        if !known.contains(name) {
            let help = did_you_mean(name, known.iter().map(String::as_str))
                .unwrap_or_else(|| format!("the environments are: {}", known.join(", ")));
            return Err(Error::Usage {
                message: format!("unknown environment `{name}`"),
                help: Some(help),
            });
        }
    }
    Ok(())
}

/// The one output directory: `gitops out` in the repository (the spec directory), where the
/// Applications point. `--out` may name the same directory, or one outside the repository for a
/// copy (the Applications still point at `gitops out`); any other directory inside the
/// repository would be committed where Argo CD never looks, so it is a usage error.
fn out_dir(spec_dir: &Path, gitops_out: &str, flag: Option<&Path>) -> Result<PathBuf, Error> {
    let in_repo = if spec_dir == Path::new(".") {
        PathBuf::from(gitops_out)
    } else {
        spec_dir.join(gitops_out)
    };
    let Some(flag) = flag else {
        return Ok(in_repo);
    };
    let (flag_at, repo_at, spec_at) = (
        emit::resolved(flag),
        emit::resolved(&in_repo),
        emit::resolved(spec_dir),
    );
    if flag_at == repo_at || !flag_at.starts_with(&spec_at) {
        return Ok(flag.to_path_buf());
    }
    Err(Error::Usage {
        message: format!(
            "`--out {}` is inside the repository, but the spec's Argo CD Applications point at `{gitops_out}` (`gitops out`)",
            flag.display()
        ),
        help: Some(format!(
            "to move the rendered tree, set `gitops out=\"{}\"` in platform.kdl; to render a copy, give --out a directory outside `{}`",
            flag_at.strip_prefix(&spec_at).unwrap_or(&flag_at).display(),
            spec_dir.display()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(environments: &[&str], out_dir: &str) -> Config {
        Config {
            spec_dir: PathBuf::from("."),
            templates: None,
            crds: None,
            environments: environments.iter().map(|e| (*e).to_owned()).collect(),
            format: OutputFormat::Text,
            colour: Colours::resolve(ColourChoice::Never, true, true),
            out_dir: PathBuf::from(out_dir),
        }
    }

    #[test]
    fn the_scope_is_the_selected_environments_and_the_manifest() {
        let all = config(&[], "out");
        assert!(all.in_scope("prod/mimir/values.yaml"));
        let prod = config(&["prod"], "out");
        assert!(prod.in_scope("prod/mimir/values.yaml"));
        assert!(prod.in_scope(MANIFEST_PATH));
        assert!(!prod.in_scope("production/mimir/values.yaml"));
        assert!(!prod.in_scope("kargo/project.yaml"));
    }

    #[test]
    fn colour_follows_the_choice_and_the_terminal() {
        let never = Colours::resolve(ColourChoice::Never, true, true);
        assert_eq!(never.stdout, Colour::Never);
        let always = Colours::resolve(ColourChoice::Always, false, false);
        assert_eq!(
            (always.stdout, always.stderr),
            (Colour::Always, Colour::Always)
        );
    }

    #[test]
    fn the_out_dir_is_gitops_out_in_the_spec_dir_unless_given_outside() {
        let invocation = |out: Option<&str>| Invocation {
            spec_dir: PathBuf::from("."),
            out: out.map(PathBuf::from),
            templates: None,
            crds: None,
            environments: Vec::new(),
            format: OutputFormat::Text,
            colour: Colours::resolve(ColourChoice::Never, false, false),
        };
        let names = ["prod".to_owned()];
        let resolved = invocation(None).resolve("out", &names).unwrap();
        assert_eq!(resolved.out_dir, PathBuf::from("out"));
        assert_eq!(config(&[], "./out").out_label(), "out");
        assert!(
            invocation(Some("elsewhere"))
                .resolve("out", &names)
                .is_err()
        );
        let mut unknown = invocation(None);
        unknown.environments = vec!["prd".to_owned()];
        assert!(unknown.resolve("out", &names).is_err());
    }
}
