//! The command line: clap stays here. `run` parses the arguments, resolves them once into a
//! `config::Invocation` (`paths`), runs the command and maps the outcome to an exit code. It can
//! be called more than once in a process (tests do) and never exits the process itself.
//!
//! One file per command group: `tree` (render, check, diff), `spec` (validate, plan, explain),
//! `setup` (init, schema, completions, man); `print` holds the output streams and error reports.

mod paths;
pub(crate) mod print;
mod setup;
mod spec;
mod tree;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Colours};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; for `check`, out/ is exactly what the spec compiles to
  1  `check` found drift (the diff is printed)
  2  invalid spec or invalid usage (every problem is printed)
  3  out/ cannot take the render (a file in the way, a file lgtmc did not generate, read-only,
     no space; nothing is written), I/O or internal error, or (--crds) a rendered custom
     resource its CRD rejects";

/// Compiles a KDL platform spec into the Helm values, Alloy configuration and manifests of a
/// multi-tenant LGTM observability stack, committed under out/.
#[derive(Debug, Parser)]
#[command(name = "lgtmc", version, after_help = EXIT_CODES, rename_all = "kebab-case")]
struct Cli {
    /// Run as if started in DIR, the directory holding platform.kdl: other relative paths
    /// (--out, --templates, --crds, init's DIR, man's --dir) are read from DIR too. Also
    /// LGTMC_SPEC_DIR (an empty value is unset). Default: the nearest directory holding
    /// platform.kdl, from the working directory up to the root of its git repository.
    #[arg(short = 'C', long, global = true, value_name = "DIR")]
    spec: Option<PathBuf>,
    /// When to colour diffs and diagnostics (NO_COLOR is respected by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColourChoice::Auto)]
    color: ColourChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColourChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
#[command(rename_all = "kebab-case")]
enum Command {
    /// Render the platform into out/: writes only files whose bytes changed, each atomically,
    /// and removes files it generated before that the spec no longer produces.
    Render(TreeArgs),
    /// Exit 0 when out/ is exactly what the spec compiles to; exit 1 with a diff when it is not.
    /// Writes nothing.
    Check(CheckArgs),
    /// Show how out/ differs from what the spec compiles to; with `--base REV`, what changes in the
    /// rendered platform between the spec at git revision REV and the working tree. Always exits 0
    /// unless the spec is invalid. Writes nothing.
    Diff(DiffArgs),
    /// Check the spec only: syntax, schema and semantics. With --crds, also render in memory and
    /// check every custom resource against its CRD. Writes nothing.
    Validate(ValidateArgs),
    /// Create a starter GitOps repository in DIR: the example platform, rendered, a git
    /// repository, a .gitignore, a pre-commit hook running `lgtmc check` and a CI workflow calling
    /// lgtmc's reusable render-and-diff workflow.
    Init(InitArgs),
    /// Print the JSON Schema of the spec.
    Schema,
    /// Print a shell completion script: `lgtmc completions bash > /etc/bash_completion.d/lgtmc`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `lgtmc man | man -l -`; `lgtmc man render` for one command;
    /// `lgtmc man --dir DIR` writes lgtmc.1 and one lgtmc-COMMAND.1 per command into DIR.
    Man {
        /// A command, for its own page.
        command: Option<String>,
        /// Write every page into DIR instead of printing one.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
    /// Print the capacity plan: the storage each environment, tenant and backend needs at steady
    /// state, against the raw Ceph capacity the spec declares, and the CPU and memory each
    /// component and node requests, against the nodes. Writes nothing. Exit 2 when an environment
    /// is over a budget or does not fit nodes it enforces (after printing the plan).
    Plan(PlanArgs),
    /// Explain a rendered value: the spec lines it comes from (file:line:column), the rule that
    /// turned the spec value into it, and the other files derived from the same spec value; or,
    /// when no spec value changes it, that it is lgtmc's own. Writes nothing.
    Explain(ExplainArgs),
}

#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// A rendered YAML, JSON or Alloy file (`out/prod/loki/values.yaml`), or `FILE:LINE` for
    /// every value on that line.
    file: String,
    /// The value: YAML keys joined by `.` (`loki.runtimeConfig.overrides.agents.retention_period`),
    /// `[i]` for a sequence item; Alloy blocks and the attribute joined by `/`
    /// (`prometheus.remote_write "agents" / endpoint / url`). A path above several values explains
    /// each.
    path: Option<String>,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    /// Use templates from DIR in place of the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// Where to create it (created if missing).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where lgtmc is hosted, as https://github.com/OWNER/REPO, for the CI workflow: it builds
    /// lgtmc from there and calls its reusable workflow. Default: a placeholder, with a warning.
    #[arg(long, value_name = "URL")]
    lgtmc_git: Option<String>,
}

#[derive(Debug, clap::Args)]
struct PlanArgs {
    /// Only this environment (repeatable). Default: all.
    #[arg(long = "env", value_name = "ENV")]
    environments: Vec<String>,
    /// `text`: aligned tables; `markdown`: each environment's CAPACITY.md; `json`: for tools.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Use templates from DIR in place of the built-in ones (for `--format markdown`).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    tree: TreeArgs,
    /// `github`: also print GitHub Actions annotations on the drifted files and spec lines.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Compile even when the record of the last render says out/ is up to date (see
    /// LGTMC_CACHE_DIR).
    #[arg(long)]
    no_cache: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Github,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    #[command(flatten)]
    tree: TreeArgs,
    /// Compare with the platform rendered from the spec at this git revision (commit, branch,
    /// tag) instead of with out/.
    #[arg(long, value_name = "REV", conflicts_with = "out")]
    base: Option<String>,
    /// Output format: text (colour on a terminal), markdown (for a pull request), json.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Only the summary of changes, without the text diffs.
    #[arg(long)]
    summary_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
struct TreeArgs {
    /// Only this environment (repeatable). Default: all.
    #[arg(long = "env", value_name = "ENV")]
    environments: Vec<String>,
    /// The rendered tree. Default: the spec's `gitops out` (out/) beside platform.kdl. Inside the
    /// repository it must be that directory; outside, a copy.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Use templates from DIR in place of the built-in ones of the same name.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Check every rendered custom resource against the CustomResourceDefinitions in DIR (and
    /// Kargo step configs and subscriptions against DIR/kargo-schemas).
    #[arg(long, value_name = "DIR")]
    crds: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// Also render in memory and check every custom resource against the CRDs in DIR.
    #[arg(long, value_name = "DIR")]
    crds: Option<PathBuf>,
    /// With --crds: use templates from DIR in place of the built-in ones of the same name.
    #[arg(long, value_name = "DIR", requires = "crds")]
    templates: Option<PathBuf>,
}

/// Runs lgtmc with these arguments; returns the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let mut cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    let choice = match cli.color {
        ColourChoice::Auto => config::ColourChoice::Auto,
        ColourChoice::Always => config::ColourChoice::Always,
        ColourChoice::Never => config::ColourChoice::Never,
    };
    let colour = Colours::resolve(
        choice,
        std::io::stdout().is_terminal(),
        std::io::stderr().is_terminal(),
    );
    let spec_dir = paths::resolve_paths(&mut cli);
    let invocation = paths::invocation(&cli, spec_dir, colour);
    let result = match &cli.command {
        Command::Render(_) => tree::render(invocation),
        Command::Check(args) => tree::check(invocation, true, !args.no_cache),
        Command::Diff(diff)
            if diff.base.is_some() || diff.format != DiffFormat::Text || diff.summary_only =>
        {
            tree::diff_report(invocation, diff.base.as_deref(), diff.summary_only)
        }
        Command::Diff(_) => tree::check(invocation, false, false),
        Command::Validate(_) => spec::validate(&invocation),
        Command::Plan(_) => spec::plan(&invocation),
        Command::Explain(args) => spec::explain(invocation, args),
        Command::Init(args) => setup::init(&invocation, args),
        Command::Schema => setup::schema(),
        Command::Completions { shell } => setup::completions(*shell),
        Command::Man { command, dir } => setup::man(command.as_deref(), dir.as_deref()),
    };
    result.unwrap_or_else(|error| {
        print::report(&error, colour.stderr);
        error.exit_code()
    })
}
