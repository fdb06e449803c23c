//! History: the spec as it was at a git revision, for `lgtmc diff --base REV`.
//!
//! The `git` command line does the reading (no libgit2): `rev-parse` resolves the revision,
//! `ls-tree` lists `platform.kdl` and `environments/` at that commit (and the `--templates`
//! directory, when it is inside the repository), and `cat-file` copies each blob into a private
//! temporary directory, which the caller (`cli`'s `diff --base`) then compiles like any spec
//! directory. The temporary directory is removed when the returned value is dropped. This module
//! only materialises files: it knows nothing of compiling them.
//!
//! **Invariants:** this module writes only inside its own temporary directory, and only paths made
//! of plain components; it never changes the repository, its index or its work tree. A revision
//! that does not hold a `platform.kdl` is a checkout without a spec (`has_spec` false), which the
//! caller compiles to an empty tree (everything is new), so the first pull request that adds lgtmc
//! to a repository still gets a diff.

use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use crate::load::{ENVIRONMENTS_DIR, PLATFORM_FILE, VERSIONS_DIR};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot run `git`: {source}")]
    Spawn {
        #[source]
        source: io::Error,
    },
    #[error("`{}` is not inside a git work tree: {detail}", dir.display())]
    NotARepository { dir: PathBuf, detail: String },
    #[error("unknown git revision `{rev}`")]
    UnknownRevision { rev: String },
    #[error("`git {command}` failed: {detail}")]
    Git { command: String, detail: String },
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("git lists `{path}`, which is not a plain relative path")]
    UnsafePath { path: String },
}

impl HistoryError {
    /// Whether the user can fix it on the command line (a revision or a directory to name
    /// differently); everything else is an environment or I/O failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            HistoryError::NotARepository { .. } | HistoryError::UnknownRevision { .. }
        )
    }

    pub fn help(&self) -> Option<&'static str> {
        match self {
            HistoryError::NotARepository { .. } => Some(
                "`--base` reads the spec from git history: run it in a clone of the GitOps repository (point at the spec with `-C DIR`)",
            ),
            HistoryError::UnknownRevision { .. } => Some(
                "give a commit, branch or tag that exists in this clone (`git log --oneline`); in CI, fetch the history (`fetch-depth: 0`)",
            ),
            HistoryError::Spawn { .. } => Some("`--base` needs `git` on PATH"),
            _ => None,
        }
    }
}

/// The spec at a revision, checked out into a temporary directory.
#[derive(Debug)]
pub struct Checkout {
    /// The full commit id the revision resolved to.
    pub commit: String,
    /// Holds `spec/` and, when the templates were in the repository, `templates/`.
    dir: tempfile::TempDir,
    /// Whether `platform.kdl` exists at that commit.
    pub has_spec: bool,
    /// The templates directory to render with: the one at the commit, or the one given.
    pub templates: Option<PathBuf>,
}

impl Checkout {
    pub fn spec_dir(&self) -> PathBuf {
        self.dir.path().join("spec")
    }
}

/// Copies the spec (and templates inside the repository) as of `rev` into a temporary directory.
pub fn checkout(
    spec_dir: &Path,
    rev: &str,
    templates: Option<&Path>,
) -> Result<Checkout, HistoryError> {
    // A revision starting with `-` would be read by git as an option.
    if rev.is_empty() || rev.starts_with('-') {
        return Err(HistoryError::UnknownRevision {
            rev: rev.to_owned(),
        });
    }
    let top = git(spec_dir, ["rev-parse", "--show-toplevel"]).map_err(|error| match error {
        HistoryError::Git { detail, .. } => HistoryError::NotARepository {
            dir: spec_dir.to_path_buf(),
            detail,
        },
        other => other,
    })?;
    let top = PathBuf::from(top.trim_end_matches('\n'));
    let commit = git(
        spec_dir,
        [
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|error| match error {
        HistoryError::Git { .. } => HistoryError::UnknownRevision {
            rev: rev.to_owned(),
        },
        other => other,
    })?
    .trim()
    .to_owned();

    let dir = tempfile::Builder::new()
        .prefix("lgtmc-base-")
        .tempdir()
        .map_err(|source| HistoryError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let spec_out = dir.path().join("spec");
    create_dir(&spec_out)?;
    // ls-tree takes paths relative to the directory it runs in, and prints them the same way.
    let written = copy_tree(
        spec_dir,
        &commit,
        &[PLATFORM_FILE, ENVIRONMENTS_DIR, VERSIONS_DIR],
        "",
        &spec_out,
    )?;
    let has_spec = written.iter().any(|path| path == PLATFORM_FILE);

    let templates = match templates {
        Some(given) => Some(match inside(&top, given) {
            Some(relative) => {
                let templates_out = dir.path().join("templates");
                create_dir(&templates_out)?;
                let prefix = format!("{relative}/");
                copy_tree(&top, &commit, &[relative.as_str()], &prefix, &templates_out)?;
                templates_out
            }
            None => given.to_path_buf(),
        }),
        None => None,
    };
    Ok(Checkout {
        commit,
        dir,
        has_spec,
        templates,
    })
}

/// `given` relative to the repository top, with forward slashes, if it is inside it.
fn inside(top: &Path, given: &Path) -> Option<String> {
    let top = top.canonicalize().ok()?;
    let given = given.canonicalize().ok()?;
    let relative = given.strip_prefix(&top).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Copies the regular files under `paths` at `commit` (as listed from `cwd`) into `target`,
/// dropping `strip` from each path. Returns the written paths, relative to `target`.
fn copy_tree(
    cwd: &Path,
    commit: &str,
    paths: &[&str],
    strip: &str,
    target: &Path,
) -> Result<Vec<String>, HistoryError> {
    let mut args = vec!["ls-tree", "-r", "-z", commit, "--"];
    args.extend_from_slice(paths);
    let listing = git(cwd, args)?;
    let mut written = Vec::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        // `<mode> <type> <object>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let (Some(mode), Some("blob"), Some(object)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        // Symbolic links (120000) and submodules are not spec files.
        if mode != "100644" && mode != "100755" {
            continue;
        }
        let relative = path.strip_prefix(strip).unwrap_or(path);
        let plain = !relative.is_empty()
            && Path::new(relative)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(HistoryError::UnsafePath {
                path: path.to_owned(),
            });
        }
        let bytes = git_bytes(cwd, ["cat-file", "blob", object])?;
        let destination = target.join(relative);
        if let Some(parent) = destination.parent() {
            create_dir(parent)?;
        }
        std::fs::write(&destination, bytes).map_err(|source| HistoryError::Write {
            path: destination.clone(),
            source,
        })?;
        written.push(relative.to_owned());
    }
    Ok(written)
}

fn create_dir(path: &Path) -> Result<(), HistoryError> {
    std::fs::create_dir_all(path).map_err(|source| HistoryError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn git<I, S>(cwd: &Path, args: I) -> Result<String, HistoryError>
where
    I: IntoIterator<Item = S> + Clone,
    S: AsRef<OsStr>,
{
    let bytes = git_bytes(cwd, args)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn git_bytes<I, S>(cwd: &Path, args: I) -> Result<Vec<u8>, HistoryError>
where
    I: IntoIterator<Item = S> + Clone,
    S: AsRef<OsStr>,
{
    let output = Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args.clone())
        .output()
        .map_err(|source| HistoryError::Spawn { source })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let command: Vec<String> = args
        .into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Err(HistoryError::Git {
        command: command.join(" "),
        detail: if detail.is_empty() {
            format!("exit status {}", output.status)
        } else {
            detail
        },
    })
}
