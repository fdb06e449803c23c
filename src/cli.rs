//! The command line: clap stays here. `run` parses the arguments, resolves them into a `Config`,
//! runs the command and maps the outcome to an exit code. It can be called more than once in a
//! process (tests do) and never exits the process itself.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::compiler::{self, Compilation};
use crate::crds;
use crate::diagnostic::did_you_mean;
use crate::emit::{self, Colour};
use crate::error::{EXIT_DRIFT, EXIT_OK, Error};
use crate::init;
use crate::render::{RenderError, TemplateDirError};
use crate::schema;
use crate::{annotate, explain, history, manual, report};

/// `eprintln!` through `print_err`, which survives a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        print_err(&format!("{}\n", format_args!($($arg)*)))
    };
}

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
    let colour = colour(cli.color, std::io::stderr().is_terminal());
    let stdout_colour = self::colour(cli.color, std::io::stdout().is_terminal());
    let spec_dir = resolve_paths(&mut cli);
    match execute(&cli, &spec_dir, stdout_colour) {
        Ok(code) => code,
        Err(error) => {
            report(&error, colour);
            error.exit_code()
        }
    }
}

/// The spec directory: `-C DIR`, else a non-empty `LGTMC_SPEC_DIR`, else the nearest directory
/// with a `platform.kdl` from the working directory up to its git root (as git and cargo search).
/// With an explicit directory, the other relative paths of the command line are rewritten to be
/// read from it, as if lgtmc had been started there; a spec found by searching leaves them
/// relative to the working directory, where the user typed them.
fn resolve_paths(cli: &mut Cli) -> PathBuf {
    let explicit = cli.spec.clone().or_else(|| {
        std::env::var_os("LGTMC_SPEC_DIR")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    });
    let Some(base) = explicit else {
        return search_spec_dir();
    };
    let at = |path: &mut PathBuf| {
        if path.as_path() == Path::new(".") {
            path.clone_from(&base);
        } else if path.is_relative() {
            *path = base.join(&*path);
        }
    };
    let at_option = |path: &mut Option<PathBuf>| path.iter_mut().for_each(at);
    match &mut cli.command {
        Command::Render(tree)
        | Command::Check(CheckArgs { tree, .. })
        | Command::Diff(DiffArgs { tree, .. }) => {
            at_option(&mut tree.out);
            at_option(&mut tree.templates);
            at_option(&mut tree.crds);
        }
        Command::Validate(args) => {
            at_option(&mut args.crds);
            at_option(&mut args.templates);
        }
        Command::Plan(args) => at_option(&mut args.templates),
        Command::Explain(args) => at_option(&mut args.templates),
        Command::Init(args) => at(&mut args.dir),
        Command::Man { dir, .. } => at_option(dir),
        Command::Schema | Command::Completions { .. } => {}
    }
    base
}

/// The nearest of the working directory and its ancestors that holds `platform.kdl`, as a relative
/// path (`.`, `..`, `../..`) so that messages name files as the user would; the search stops at a
/// git root. Nothing found: `.`, where the missing spec is then reported.
fn search_spec_dir() -> PathBuf {
    let Ok(cwd) = std::env::current_dir() else {
        return PathBuf::from(".");
    };
    let mut relative = PathBuf::from(".");
    for (depth, dir) in cwd.ancestors().enumerate() {
        if depth > 0 {
            relative = if depth == 1 {
                PathBuf::from("..")
            } else {
                relative.join("..")
            };
        }
        if dir.join(crate::load::PLATFORM_FILE).is_file() {
            return relative;
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    PathBuf::from(".")
}

fn execute(cli: &Cli, spec_dir: &Path, colour: Colour) -> Result<i32, Error> {
    match &cli.command {
        Command::Render(args) => {
            let (compilation, out_dir, selected) = compile(spec_dir, args, cli.color)?;
            let tree = &compilation.files;
            let scope = |path: &str| in_scope(path, &selected);
            let report = emit::write_tree_in(&out_dir, tree, &scope, &|| waiting(&out_dir))?;
            print_crd_summary(&compilation);
            let count = report.written.len() + report.unchanged.len();
            print_out(&format!(
                "rendered {count} file{} into {}: {} written, {} removed, {} unchanged\n",
                plural(count),
                out_dir.display(),
                report.written.len(),
                report.removed.len(),
                report.unchanged.len()
            ));
            Ok(EXIT_OK)
        }
        Command::Diff(diff)
            if diff.base.is_some() || diff.format != DiffFormat::Text || diff.summary_only =>
        {
            diff_report(spec_dir, diff, colour, cli.color)
        }
        Command::Check(CheckArgs { tree: args, .. })
        | Command::Diff(DiffArgs { tree: args, .. }) => {
            let github = matches!(
                cli.command,
                Command::Check(CheckArgs {
                    format: CheckFormat::Github,
                    ..
                })
            );
            let (compilation, out_dir, selected) =
                compile(spec_dir, args, cli.color).inspect_err(|error| {
                    if github {
                        print_out(&annotate::error(error, spec_dir));
                    }
                })?;
            let tree = &compilation.files;
            let scope = |path: &str| {
                in_scope(path, &selected) && (selected.is_empty() || path != emit::MANIFEST_PATH)
            };
            let drift = emit::compare_tree_in(&out_dir, tree, &scope, &|| waiting(&out_dir))?;
            let compared = tree.keys().filter(|path| scope(path)).count();
            let is_check = matches!(cli.command, Command::Check(_));
            if drift.is_clean() {
                print_crd_summary(&compilation);
                print_out(&format!(
                    "{} is up to date ({compared} file{})\n",
                    out_dir.display(),
                    plural(compared)
                ));
                return Ok(EXIT_OK);
            }
            let diff = emit::format_drift(&drift, &out_label(&out_dir), colour);
            if github {
                print_out(&annotate::drift(
                    &drift,
                    &out_label(&out_dir),
                    spec_dir,
                    &compilation.tenant_lines,
                ));
                print_out(&format!("::group::lgtmc: the diff\n{diff}::endgroup::\n"));
            } else {
                print_out(&diff);
            }
            if is_check {
                errln!(
                    "error: {} is stale: run `lgtmc render` and commit the result",
                    out_dir.display()
                );
                Ok(EXIT_DRIFT)
            } else {
                Ok(EXIT_OK)
            }
        }
        Command::Validate(args) => {
            let spec = compiler::validate_spec(spec_dir)?;
            warn(&spec.warnings, cli.color);
            let checked = match &args.crds {
                Some(dir) => {
                    let crds = crds::load(dir)?;
                    let templates = args.templates.as_deref();
                    Some(compiler::compile_checked(spec_dir, templates, Some(&crds))?)
                }
                None => None,
            };
            let names: Vec<&str> = spec.environments.iter().map(|e| e.name.as_str()).collect();
            let tenants = spec
                .environments
                .first()
                .map_or(0, |e| e.platform.tenants.len());
            print_out(&format!(
                "the spec is valid: {} environment{} ({}), {} tenant{}\n",
                names.len(),
                plural(names.len()),
                names.join(", "),
                tenants,
                plural(tenants)
            ));
            if let Some(compilation) = &checked {
                print_crd_summary(compilation);
            }
            Ok(EXIT_OK)
        }
        Command::Init(args) => {
            let made = init::init(&args.dir, args.lgtmc_git.as_deref())?;
            warn(&made.warnings, cli.color);
            print_out(&init_summary(&args.dir, &made));
            Ok(EXIT_OK)
        }
        Command::Schema => {
            print_out(&schema::text());
            Ok(EXIT_OK)
        }
        Command::Completions { shell } => {
            print_out(&manual::completions(*shell, Cli::command()));
            Ok(EXIT_OK)
        }
        Command::Man { command, dir: None } => {
            print_out(&manual::man_page(Cli::command(), command.as_deref())?);
            Ok(EXIT_OK)
        }
        Command::Man {
            dir: Some(dir),
            command: _,
        } => {
            let pages = manual::write_pages(Cli::command(), dir)?;
            print_out(&format!(
                "wrote {} man pages into {}: {}\n",
                pages.len(),
                dir.display(),
                pages.join(", ")
            ));
            Ok(EXIT_OK)
        }
        Command::Plan(args) => capacity_plan(cli, spec_dir, args),
        Command::Explain(args) => explain_value(spec_dir, args),
    }
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

/// `lgtmc explain FILE PATH` or `lgtmc explain FILE:LINE`.
fn explain_value(spec_dir: &Path, args: &ExplainArgs) -> Result<i32, Error> {
    let (file, target) = match (&args.path, explain::split_line(&args.file)) {
        (Some(path), _) => (args.file.as_str(), explain::Target::Path(path.clone())),
        (None, Some((file, line))) => (file, explain::Target::Line(line)),
        (None, None) => {
            return Err(Error::Usage {
                message: "`explain` needs a value path after the file, or `FILE:LINE`".to_owned(),
                help: Some(format!(
                    "for example `lgtmc explain {} loki.runtimeConfig` or `lgtmc explain {}:12`",
                    args.file, args.file
                )),
            });
        }
    };
    let mut provenance = explain::Provenance::baseline(spec_dir, args.templates.as_deref())?;
    let key = out_key(spec_dir, file, &provenance)?;
    // A wrong path or line is reported before the probes run.
    provenance.explain(&key, &target)?;
    provenance.probe();
    let explanation = provenance.explain(&key, &target)?;
    print_out(&match args.format {
        ExplainFormat::Text => explain::text(&explanation),
        ExplainFormat::Json => explain::json(&explanation),
    });
    Ok(EXIT_OK)
}

/// The path under out/ of a file named relative to the working directory or to `-C`, checked
/// to be what the spec renders now (a stale file's lines would point at other values).
fn out_key(spec_dir: &Path, file: &str, provenance: &explain::Provenance) -> Result<String, Error> {
    let out_dir = spec_dir.join(provenance.out_dir());
    let canonical_out = out_dir.canonicalize().ok();
    let under_out = |path: PathBuf| -> Option<String> {
        let path = path.canonicalize().ok()?;
        let rest = path.strip_prefix(canonical_out.as_ref()?).ok()?;
        let parts: Vec<&str> = rest.iter().filter_map(|part| part.to_str()).collect();
        Some(parts.join("/"))
    };
    let key = under_out(PathBuf::from(file))
        .or_else(|| under_out(spec_dir.join(file)))
        .or_else(|| {
            file.trim_start_matches("./")
                .strip_prefix(&format!("{}/", provenance.out_dir()))
                .map(str::to_owned)
        });
    let Some(key) = key.filter(|key| provenance.rendered(key).is_some()) else {
        let rendered: Vec<String> = provenance
            .files()
            .map(|f| format!("{}/{f}", provenance.out_dir()))
            .collect();
        return Err(Error::Usage {
            message: format!("`{file}` is not a file lgtmc renders"),
            help: Some(
                did_you_mean(file.trim_start_matches("./"), rendered.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        "name a file under out/, relative to the working directory or to -C, as `out/prod/loki/values.yaml`".to_owned()
                    }),
            ),
        });
    };
    let on_disk = emit::read_rendered(&out_dir, &key);
    if on_disk.as_deref() != provenance.rendered(&key) {
        return Err(Error::Usage {
            message: format!("`out/{key}` is not what the spec renders now"),
            help: Some("run `lgtmc render` first: explain answers for the spec as it is, and its lines must be the file's".to_owned()),
        });
    }
    Ok(key)
}

/// `diff --base REV`, or `diff --format markdown|json` against out/: see `report`.
fn diff_report(
    spec_dir: &Path,
    diff: &DiffArgs,
    colour: Colour,
    choice: ColourChoice,
) -> Result<i32, Error> {
    let (compilation, out_dir, selected) = compile(spec_dir, &diff.tree, choice)?;
    let scope = |path: &str| in_scope(path, &selected);
    let mut order = compilation.environments.clone();
    let (base, base_commit, environments) = match &diff.base {
        Some(rev) => {
            let old = history::compile_at(spec_dir, rev, diff.tree.templates.as_deref())?;
            let empty = emit::RenderedTree::new();
            let old_files = old.compilation.as_ref().map_or(&empty, |c| &c.files);
            for env in old.compilation.iter().flat_map(|c| &c.environments) {
                if !order.contains(env) {
                    order.push(env.clone());
                }
            }
            let environments = report::compare(old_files, &compilation.files, &order, &scope);
            (rev.clone(), Some(old.commit), environments)
        }
        None => {
            let wait = || waiting(&out_dir);
            let drift = emit::compare_tree_in(&out_dir, &compilation.files, &scope, &wait)?;
            (
                out_label(&out_dir),
                None,
                report::from_drift(&drift, &order),
            )
        }
    };
    let report = report::Report {
        base,
        base_commit,
        head: "working tree".to_owned(),
        out_label: out_label(&out_dir),
        environments,
    };
    let format = match diff.format {
        DiffFormat::Text => report::Format::Text,
        DiffFormat::Markdown => report::Format::Markdown,
        DiffFormat::Json => report::Format::Json,
    };
    print_out(&report::format(&report, format, colour, diff.summary_only));
    Ok(EXIT_OK)
}

/// `lgtmc plan`: the plan of the selected environments, then any budget warnings and errors.
fn capacity_plan(cli: &Cli, spec_dir: &Path, args: &PlanArgs) -> Result<i32, Error> {
    let markdown = matches!(args.format, PlanFormat::Markdown);
    let report = compiler::capacity(spec_dir, args.templates.as_deref(), markdown)?;
    let names: Vec<String> = report.plans.iter().map(|p| p.environment.clone()).collect();
    check_environments(&names, &args.environments)?;
    let selected =
        |name: &str| args.environments.is_empty() || args.environments.iter().any(|e| e == name);
    let plans: Vec<_> = report
        .plans
        .iter()
        .filter(|p| selected(&p.environment))
        .cloned()
        .collect();
    let compute: Vec<_> = report
        .compute
        .iter()
        .filter(|p| selected(&p.environment))
        .cloned()
        .collect();
    print_out(&match args.format {
        PlanFormat::Text => crate::capacity::text(&plans, &compute),
        PlanFormat::Json => crate::capacity::json(&report.platform, &plans, &compute),
        PlanFormat::Markdown => report
            .plans
            .iter()
            .zip(&report.markdown)
            .filter(|(plan, _)| selected(&plan.environment))
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    });
    warn(&report.warnings, cli.color);
    if report.over_budget.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(Error::Spec(report.over_budget))
    }
}

/// Prints warnings (never fatal) to stderr.
fn warn(warnings: &[crate::diagnostic::Problem], choice: ColourChoice) {
    let theme = match colour(choice, std::io::stderr().is_terminal()) {
        Colour::Always => miette::GraphicalTheme::unicode(),
        Colour::Never => miette::GraphicalTheme::unicode_nocolor(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    for warning in warnings {
        let mut text = String::new();
        let _ = handler.render_report(&mut text, &crate::diagnostic::Warning(warning));
        print_err(&text);
    }
}

/// Fails with a usage error when a selected environment is not one of the platform's.
fn check_environments(known: &[String], selected: &[String]) -> Result<(), Error> {
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

fn compile(
    spec_dir: &Path,
    args: &TreeArgs,
    colour: ColourChoice,
) -> Result<(Compilation, PathBuf, Vec<String>), Error> {
    let crds = args.crds.as_deref().map(crds::load).transpose()?;
    let compilation =
        compiler::compile_checked(spec_dir, args.templates.as_deref(), crds.as_ref())?;
    warn(&compilation.warnings, colour);
    check_environments(&compilation.environments, &args.environments)?;
    let out_dir = out_dir(spec_dir, &compilation.out, args.out.as_deref())?;
    Ok((compilation, out_dir, args.environments.clone()))
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

/// Another render holds the out dir: say why nothing happens yet.
fn waiting(out_dir: &Path) {
    errln!(
        "waiting for another lgtmc render into `{}` to finish",
        out_dir.display()
    );
}

/// Whether `path` belongs to one of the selected environments (all, when none is selected). The
/// manifest describes the whole platform, so it is in every scope of a render.
fn in_scope(path: &str, selected: &[String]) -> bool {
    selected.is_empty()
        || path == emit::MANIFEST_PATH
        || selected.iter().any(|env| {
            path.strip_prefix(env.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// With `--crds`: how many custom resources were checked against how many CRDs.
fn print_crd_summary(compilation: &Compilation) {
    if let Some(summary) = &compilation.custom_resources {
        print_out(&format!("{summary}\n"));
    }
}

fn out_label(out_dir: &Path) -> String {
    out_dir
        .display()
        .to_string()
        .trim_start_matches("./")
        .to_owned()
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Writes to stderr; a closed pipe (`lgtmc check 2>&1 | head -1`) is not an error, and the run
/// still exits with its own code (`eprint!` would panic, exit 101).
fn print_err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Writes to stdout; a closed pipe (`lgtmc diff | head`) is not an error.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

fn colour(choice: ColourChoice, is_terminal: bool) -> Colour {
    match choice {
        ColourChoice::Always => Colour::Always,
        ColourChoice::Never => Colour::Never,
        ColourChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            if is_terminal && !no_color {
                Colour::Always
            } else {
                Colour::Never
            }
        }
    }
}

/// Prints an error once, with source snippets where it has them.
fn report(error: &Error, colour: Colour) {
    let theme = match colour {
        Colour::Always => miette::GraphicalTheme::unicode(),
        Colour::Never => miette::GraphicalTheme::unicode_nocolor(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
    let render = |diagnostic: &dyn miette::Diagnostic| {
        let mut text = String::new();
        let _ = handler.render_report(&mut text, diagnostic);
        print_err(&text);
    };
    match error {
        Error::Spec(problems) => {
            print_err(&crate::diagnostic::render_all(problems, &handler));
            errln!("error: {error}; nothing was written");
        }
        Error::Verify(errors) => {
            for verify_error in errors {
                render(verify_error);
            }
            errln!("error: {error}; nothing was written");
        }
        Error::References(errors) => {
            for reference_error in errors {
                render(reference_error);
            }
            errln!("error: {error}; nothing was written");
        }
        Error::Isolation(errors) => {
            for isolation_error in errors {
                render(isolation_error);
            }
            errln!("error: {error}; nothing was written");
        }
        Error::Render(RenderError::TemplateDir(TemplateDirError::Overrides {
            problems, ..
        })) => {
            for problem in problems {
                render(problem);
            }
            errln!("error: {error}; nothing was written");
        }
        Error::Render(RenderError::TemplateDir(TemplateDirError::NotADirectory { .. })) => {
            errln!("error: {error}");
            errln!(
                "help: --templates takes a directory of overrides named like lgtmc's templates (DIR/mimir/values.yaml.j2 replaces mimir/values.yaml.j2)"
            );
        }
        Error::Render(render_error) => {
            render(render_error);
            errln!("error: nothing was written");
        }
        Error::Usage { message, help } => {
            errln!("error: {message}");
            if let Some(help) = help {
                errln!("help: {help}");
            }
        }
        Error::NoSpec { .. } => {
            errln!("error: {error}");
            errln!("help: run `lgtmc init` to create one, or point at it with `-C DIR`");
        }
        Error::CustomResources(problems) => {
            for problem in problems {
                errln!("error: {problem}");
            }
            errln!("error: {error}; nothing was written");
            errln!(
                "help: a template renders a resource its CRD rejects: fix the template (or your --templates override), or check that the CRDs are the versions lgtmc targets"
            );
        }
        Error::Crds(_) => {
            errln!("error: --crds: {error}");
            errln!(
                "help: --crds takes a directory of CustomResourceDefinition YAML files (apiextensions.k8s.io/v1), optionally with kargo-schemas/ beside them"
            );
        }
        Error::Emit(emit::EmitError::Refused { refusals, .. }) => {
            for refusal in refusals {
                errln!(
                    "error: `{}` {}",
                    refusal.path.display(),
                    refusal.reason.message()
                );
                errln!("  help: {}", refusal.reason.hint());
            }
            errln!("error: {error}");
        }
        Error::Read { .. } | Error::Emit(_) | Error::Manual(_) => errln!("error: {error}"),
        Error::History(history) => {
            errln!("error: {history}");
            if let Some(help) = history.help() {
                errln!("help: {help}");
            }
        }
        Error::AtRevision { rev, source } => {
            errln!(
                "error: the spec at `{rev}` does not compile; the problems below are in that revision, not in the working tree"
            );
            report(source, colour);
        }
    }
}
