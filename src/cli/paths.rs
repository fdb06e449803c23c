//! Resolving the command line: where the spec is (`-C`, `LGTMC_SPEC_DIR`, or a search upwards),
//! every relative path read from `-C`, and the plain-data `Invocation` the commands read.

use std::path::{Path, PathBuf};

use super::{
    CheckArgs, CheckFormat, Cli, Command, DiffArgs, DiffFormat, ExplainFormat, PlanFormat,
};
use crate::config::{Colours, Invocation, OutputFormat};

/// The spec directory: `-C DIR`, else a non-empty `LGTMC_SPEC_DIR`, else the nearest directory
/// with a `platform.kdl` from the working directory up to its git root (as git and cargo search).
/// With an explicit directory, the other relative paths of the command line are rewritten to be
/// read from it, as if lgtmc had been started there; a spec found by searching leaves them
/// relative to the working directory, where the user typed them.
pub(super) fn resolve_paths(cli: &mut Cli) -> PathBuf {
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

/// The command's paths, selection and format as plain data; `spec_dir` from `resolve_paths`.
pub(super) fn invocation(cli: &Cli, spec_dir: PathBuf, colour: Colours) -> Invocation {
    let mut invocation = Invocation {
        spec_dir,
        out: None,
        templates: None,
        crds: None,
        environments: Vec::new(),
        format: OutputFormat::Text,
        colour,
    };
    let tree = match &cli.command {
        Command::Render(tree) => Some(tree),
        Command::Check(CheckArgs { tree, format, .. }) => {
            if *format == CheckFormat::Github {
                invocation.format = OutputFormat::Github;
            }
            Some(tree)
        }
        Command::Diff(DiffArgs { tree, format, .. }) => {
            invocation.format = match format {
                DiffFormat::Text => OutputFormat::Text,
                DiffFormat::Markdown => OutputFormat::Markdown,
                DiffFormat::Json => OutputFormat::Json,
            };
            Some(tree)
        }
        Command::Validate(args) => {
            invocation.crds.clone_from(&args.crds);
            invocation.templates.clone_from(&args.templates);
            None
        }
        Command::Plan(args) => {
            invocation.environments.clone_from(&args.environments);
            invocation.templates.clone_from(&args.templates);
            invocation.format = match args.format {
                PlanFormat::Text => OutputFormat::Text,
                PlanFormat::Markdown => OutputFormat::Markdown,
                PlanFormat::Json => OutputFormat::Json,
            };
            None
        }
        Command::Explain(args) => {
            invocation.templates.clone_from(&args.templates);
            if args.format == ExplainFormat::Json {
                invocation.format = OutputFormat::Json;
            }
            None
        }
        Command::Init(_) | Command::Schema | Command::Completions { .. } | Command::Man { .. } => {
            None
        }
    };
    if let Some(tree) = tree {
        invocation.out.clone_from(&tree.out);
        invocation.templates.clone_from(&tree.templates);
        invocation.crds.clone_from(&tree.crds);
        invocation.environments.clone_from(&tree.environments);
    }
    invocation
}
