//! `lgtmc init`: a starter GitOps repository. The example platform of this repository, rendered,
//! in a git repository (unless it is inside one already), with a `.gitignore`, a pre-commit hook
//! that runs `lgtmc check` and a CI workflow that calls lgtmc's reusable render-and-diff workflow,
//! so that its first commit passes both. The placeholders a user must replace come back as
//! warnings at their lines.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::compiler;
use crate::diagnostic::{Problem, SourceFile};
use crate::emit;
use crate::error::Error;
use crate::load::PLATFORM_FILE;

/// The example spec, as committed at the root of lgtmc's own repository.
const EXAMPLE: &[(&str, &str)] = &[
    (PLATFORM_FILE, include_str!("../platform.kdl")),
    (
        "environments/dev.kdl",
        include_str!("../environments/dev.kdl"),
    ),
    (
        "environments/staging.kdl",
        include_str!("../environments/staging.kdl"),
    ),
    (
        "environments/prod.kdl",
        include_str!("../environments/prod.kdl"),
    ),
    ("versions/dev.yaml", include_str!("../versions/dev.yaml")),
    (
        "versions/staging.yaml",
        include_str!("../versions/staging.yaml"),
    ),
    ("versions/prod.yaml", include_str!("../versions/prod.yaml")),
];

pub const GITIGNORE: &str = ".gitignore";
pub const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";
pub const WORKFLOW: &str = ".github/workflows/lgtmc.yml";

/// Where lgtmc is hosted until the user says (`--lgtmc-git`).
const PLACEHOLDER_GIT: &str = "https://github.com/OWNER/lgtmc";

/// What `init` made.
#[derive(Debug)]
pub struct Initialised {
    /// Files written besides `out/`: the spec and the repository's scaffolding.
    pub written: Vec<String>,
    /// Scaffolding files that existed and were left as they were.
    pub kept: Vec<String>,
    /// Files rendered into `out/`.
    pub rendered: usize,
    pub git: Git,
    /// Placeholders to replace, at their lines.
    pub warnings: Vec<Problem>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Git {
    /// `git init` made a new repository.
    Created,
    /// The directory is inside a git work tree already.
    Existing,
    /// No usable `git` on PATH.
    Missing,
}

/// Creates the starter repository in `dir`. Refuses to overwrite an existing spec; scaffolding
/// files that exist are kept. `lgtmc_git` is the `https://github.com/OWNER/REPO` lgtmc is hosted
/// at, for the CI workflow.
pub fn init(dir: &Path, lgtmc_git: Option<&str>) -> Result<Initialised, Error> {
    refuse_existing(dir)?;
    let scaffolding = scaffolding(lgtmc_git)?;
    let mut written = Vec::new();
    let mut kept = Vec::new();
    for (name, text) in EXAMPLE {
        write(dir, name, text)?;
        written.push((*name).to_owned());
    }
    for (name, text) in &scaffolding {
        if dir.join(name).exists() {
            kept.push((*name).to_owned());
        } else {
            write(dir, name, text)?;
            written.push((*name).to_owned());
        }
    }
    let compilation = compiler::compile(dir, None)?;
    let report = emit::write_tree(&dir.join(&compilation.out), &compilation.files)?;
    let mut warnings: Vec<Problem> = EXAMPLE
        .iter()
        .flat_map(|(name, text)| placeholders(&SourceFile::new(*name, *text)))
        .collect();
    if lgtmc_git.is_none() && !kept.iter().any(|name| name == WORKFLOW) {
        let (_, text) = &scaffolding[2];
        warnings.push(workflow_placeholder(dir, text));
    }
    Ok(Initialised {
        written,
        kept,
        rendered: report.written.len(),
        git: git_init(dir),
        warnings,
    })
}

/// `dir` must be a directory (or not exist yet) without any file of the example spec.
fn refuse_existing(dir: &Path) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage {
            message: format!("`{}` is not a directory", dir.display()),
            help: Some("lgtmc init DIR creates DIR, or fills an existing directory".to_owned()),
        });
    }
    let existing: Vec<&str> = EXAMPLE
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| dir.join(name).exists())
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(Error::Usage {
        message: format!(
            "`{}` already has a spec ({})",
            dir.display(),
            existing.join(", ")
        ),
        help: Some("lgtmc init never overwrites; pick an empty directory".to_owned()),
    })
}

/// The repository's scaffolding, with lgtmc's repository filled in: `.gitignore`, the
/// pre-commit configuration and the CI workflow, in that order.
fn scaffolding(lgtmc_git: Option<&str>) -> Result<[(&'static str, String); 3], Error> {
    let repository = match lgtmc_git {
        Some(url) => github_repository(url)?,
        None => "OWNER/lgtmc".to_owned(),
    };
    let git_url = format!("https://github.com/{repository}");
    Ok([
        (GITIGNORE, include_str!("init/gitignore").to_owned()),
        (
            PRE_COMMIT_CONFIG,
            include_str!("init/pre-commit-config.yaml").replace("LGTMC_GIT", &git_url),
        ),
        (
            WORKFLOW,
            include_str!("init/lgtmc.yml")
                .replace(PLACEHOLDER_GIT, &git_url)
                .replace("OWNER/lgtmc/.github/", &format!("{repository}/.github/")),
        ),
    ])
}

/// Writes `name` under `dir`, creating its directories.
fn write(dir: &Path, name: &str, text: &str) -> Result<(), Error> {
    let path = dir.join(name);
    let created = path.parent().map_or(Ok(()), fs::create_dir_all);
    created
        .and_then(|()| fs::write(&path, text))
        .map_err(|source| Error::Emit(emit::EmitError::Write { path, source }))
}

/// The warning at the CI workflow's placeholder for where lgtmc is hosted.
fn workflow_placeholder(dir: &Path, text: &str) -> Problem {
    let file = SourceFile::new(WORKFLOW, text);
    let at = text.find("OWNER/lgtmc/").unwrap_or(0);
    Problem::new(
        &file,
        (at, "OWNER/lgtmc".len()).into(),
        "the CI workflow calls lgtmc at a placeholder, `OWNER/lgtmc`",
        "where lgtmc is hosted",
    )
    .with_help(format!(
        "replace `OWNER/lgtmc` (twice) with lgtmc's GitHub repository, or run init with `--lgtmc-git https://github.com/OWNER/lgtmc`; until then only the pre-commit hook guards {}",
        dir.display()
    ))
}

/// `OWNER/REPO` of an `https://github.com/OWNER/REPO[.git]` URL: GitHub calls a reusable workflow
/// only by that name. The parts are restricted to GitHub's name characters, so the URL needs no
/// escaping in the YAML it is written into.
fn github_repository(url: &str) -> Result<String, Error> {
    let name_ok = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let parts = url
        .strip_prefix("https://github.com/")
        .map(|rest| rest.trim_end_matches('/'))
        .map(|rest| rest.strip_suffix(".git").unwrap_or(rest))
        .and_then(|rest| rest.split_once('/'))
        .filter(|(owner, repo)| name_ok(owner) && name_ok(repo));
    match parts {
        Some((owner, repo)) => Ok(format!("{owner}/{repo}")),
        None => Err(Error::Usage {
            message: format!("--lgtmc-git `{url}` is not a GitHub repository URL"),
            help: Some(
                "give it as https://github.com/OWNER/REPO: the CI workflow calls lgtmc's reusable workflow there, and GitHub calls reusable workflows only by OWNER/REPO"
                    .to_owned(),
            ),
        }),
    }
}

/// A warning at every `https://…example.com…` URL of a starter file: the spec names the GitOps
/// repository, clusters and services by those placeholders, and the GitOps repository comes first
/// because Argo CD and Kargo pull `out/` from it.
fn placeholders(file: &SourceFile) -> Vec<Problem> {
    let text = &*file.text;
    let mut problems = Vec::new();
    for (start, _) in text.match_indices("https://") {
        let url = &text[start..];
        let url = &url[..url.find(['"', '\n']).unwrap_or(url.len())];
        let host = url["https://".len()..]
            .split('/')
            .next()
            .unwrap_or_default();
        if host != "example.com" && !host.ends_with(".example.com") {
            continue;
        }
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = text[line_start..].trim_start();
        let (label, help) = if line.starts_with("gitops ") {
            (
                "Argo CD and Kargo pull out/ from here",
                "edit this first: set the clone URL of this GitOps repository, then `lgtmc render`",
            )
        } else {
            ("a placeholder", "set the real URL, then `lgtmc render`")
        };
        problems.push(
            Problem::new(
                file,
                (start, url.len()).into(),
                format!("`{url}` is a placeholder"),
                label,
            )
            .with_help(help),
        );
    }
    problems
}

/// `git init` in `dir` unless it is inside a work tree; the branch is `main`, the one the CI
/// workflow runs on.
fn git_init(dir: &Path) -> Git {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !git(&["--version"]) {
        Git::Missing
    } else if git(&["rev-parse", "--is-inside-work-tree"]) {
        Git::Existing
    } else if git(&["init", "--quiet", "--initial-branch=main"]) {
        Git::Created
    } else {
        Git::Missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_github_repository_urls() {
        for (url, repository) in [
            ("https://github.com/acme/lgtmc", "acme/lgtmc"),
            ("https://github.com/acme/lgtmc.git", "acme/lgtmc"),
            ("https://github.com/acme/lgtmc/", "acme/lgtmc"),
        ] {
            assert_eq!(github_repository(url).unwrap(), repository);
        }
        for url in [
            "https://gitlab.com/acme/lgtmc",
            "https://github.com/acme",
            "https://github.com/acme/lgtmc/tree/main",
            "https://github.com/acme/lg tmc",
            "https://github.com/acme/\"x",
        ] {
            assert!(github_repository(url).is_err(), "{url}");
        }
    }

    #[test]
    fn the_gitops_placeholder_is_found_first() {
        let file = SourceFile::new(PLATFORM_FILE, include_str!("../platform.kdl"));
        let problems = placeholders(&file);
        assert!(
            problems[0].message.contains("git.example.com"),
            "{problems:?}"
        );
        let line = file
            .text
            .lines()
            .position(|l| l.contains("gitops repo="))
            .unwrap()
            + 1;
        assert_eq!(problems[0].line, line);
        assert!(
            problems[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("edit this first")
        );
    }
}
