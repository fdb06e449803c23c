//! `--templates DIR`: reading the overrides of the embedded templates. The one place `render`
//! reads files.

use std::path::Path;

use crate::diagnostic::{Problem, SourceFile, did_you_mean};

use super::TemplateDirError;
use super::embedded;

/// The overrides in `dir`, each named like the embedded template it replaces. A file that
/// replaces nothing (a misspelled name), a symbolic link (git history, which `diff --base` reads,
/// keeps the link, not the file) and a file that is not UTF-8 text are problems, all reported at
/// once, rather than silently not applied.
pub(super) fn read(dir: &Path) -> Result<Vec<(String, String)>, TemplateDirError> {
    let not_a_directory = |reason: String| TemplateDirError::NotADirectory {
        path: dir.to_path_buf(),
        reason,
    };
    match std::fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err(not_a_directory("not a directory".to_owned())),
        Err(error) => return Err(not_a_directory(error.to_string())),
    }
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| not_a_directory(error.to_string()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name = relative.to_string_lossy().replace('\\', "/");
        match read_one(&entry, name) {
            Ok(template) => templates.push(template),
            Err(problem) => problems.push(*problem),
        }
    }
    if problems.is_empty() {
        Ok(templates)
    } else {
        Err(TemplateDirError::Overrides {
            path: dir.to_path_buf(),
            problems: crate::diagnostic::tidy(problems),
        })
    }
}

/// One override, named `name`: its text, or why it cannot be used.
fn read_one(entry: &walkdir::DirEntry, name: String) -> Result<(String, String), Box<Problem>> {
    let shown = entry.path().display().to_string();
    if entry.path_is_symlink() {
        let target = std::fs::read_link(entry.path())
            .map_or_else(|_| String::new(), |t| t.display().to_string());
        let file = SourceFile::new(shown.as_str(), target.as_str());
        return Err(Box::new(
            Problem::new(
                &file,
                (0, target.len()).into(),
                format!("`{shown}` is a symbolic link"),
                "it links to this",
            )
            .with_help(format!(
                "copy the file to `{shown}`: `diff --base` reads overrides from git, which keeps the link, not the file"
            )),
        ));
    }
    let bytes = std::fs::read(entry.path()).map_err(|error| {
        let file = SourceFile::new(shown.as_str(), "");
        Box::new(Problem::new(
            &file,
            (0, 0).into(),
            format!("cannot read `{shown}`: {error}"),
            "here",
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let first_line = text.find('\n').unwrap_or(text.len());
    let file = SourceFile::new(shown.as_str(), text.as_str());
    let known = || embedded::TEMPLATES.iter().map(|(name, _)| *name);
    if !known().any(|known| known == name) {
        let help = did_you_mean(&name, known()).map_or_else(
            || "an override replaces the built-in template at the same path of lgtmc's templates/ directory, for example `mimir/values.yaml.j2`".to_owned(),
            |hint| format!("{hint} an override replaces the built-in template of the same path"),
        );
        Err(Box::new(
            Problem::new(
                &file,
                (0, first_line).into(),
                format!("`{name}` overrides no template of lgtmc"),
                "this template would never be used",
            )
            .with_help(help),
        ))
    } else if std::str::from_utf8(&bytes).is_err() {
        Err(Box::new(Problem::new(
            &file,
            (0, first_line).into(),
            format!("`{shown}` is not UTF-8 text"),
            "templates are UTF-8",
        )))
    } else {
        Ok((name, text))
    }
}
