//! Annotate: `lgtmc check --format github`, drift and spec problems as GitHub Actions workflow
//! commands (`::error file=…,line=…::message`), which GitHub shows on the files of a pull request.
//!
//! - Every drifted file under `out/` gets an `error` at its first differing line, naming the
//!   semantic changes (committed → rendered).
//! - A tenant whose rendered settings drifted also gets a `notice` at the line of the spec that
//!   declares it (the overlay's line when the environment overrides that tenant), from the
//!   `document::Origins` that `validate` kept (`ValidSpec::tenant_lines`). Other drift has no single spec line lgtmc can name, so it is annotated at
//!   the file only.
//! - A spec problem becomes an `error` at its file, line and column.
//!
//! Paths are the ones the user gave (`-C`, `--out`) joined with file names, so they are relative to
//! the repository root when lgtmc runs there, as GitHub expects.
//!
//! **Invariant:** reads no file: the tenant lines come with the compilation, and a tenant without
//! one only loses its notice: annotating never fails.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use similar::{DiffTag, TextDiff};

use crate::emit::{Drift, FileDrift};
use crate::error::Error;
use crate::format::Format;
use crate::summary::{self, Change};
use crate::validate::TenantLines;

/// The environments and changes one tenant notice names.
type Notice<'a> = (Vec<&'a str>, Vec<&'a str>);

/// At most this many changes are named in one annotation.
const MAX_NAMED: usize = 10;

/// The workflow commands for `drift` between `out_label` and the spec in `spec_dir`, whose
/// tenants are declared at `lines` (`ValidSpec::tenant_lines`, from the origins `validate` kept).
pub fn drift(drift: &Drift, out_label: &str, spec_dir: &Path, lines: &TenantLines) -> String {
    let mut out = String::new();
    let mut tenants: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in &drift.changed {
        let path = join(out_label, &file.path);
        let changes = yaml_changes(file);
        let named = match &changes {
            Some(changes) if !changes.is_empty() => name_changes(changes),
            _ => "its text differs".to_owned(),
        };
        let env = file.path.split('/').next().unwrap_or_default();
        for change in changes.iter().flatten() {
            if let Some(tenant) = change.tenant() {
                let entry = tenants.entry((env.to_owned(), tenant.to_owned()));
                entry
                    .or_default()
                    .push(format!("{path}: {}", change.summary()));
            }
        }
        let message = format!(
            "{path} is not what the spec renders (committed → rendered): {named}. Run `lgtmc render` and commit the result."
        );
        push(
            &mut out,
            "error",
            &path,
            first_changed_line(file),
            None,
            "lgtmc: out/ is stale",
            &message,
        );
    }
    let missing = drift.missing.iter().map(|file| {
        (file, "lgtmc: file missing", "the spec renders {path}, which is not committed. Run `lgtmc render` and commit the result.")
    });
    let extra = drift.extra.iter().map(|file| {
        (file, "lgtmc: stale file", "lgtmc generated {path}, and the spec no longer renders it. Run `lgtmc render` to remove it and commit the result.")
    });
    for (file, title, message) in missing.chain(extra) {
        let path = join(out_label, &file.path);
        let message = message.replace("{path}", &path);
        push(&mut out, "error", &path, None, None, title, &message);
    }
    if !tenants.is_empty() {
        // One notice per spec line: a tenant declared once in platform.kdl explains every
        // environment's drift of it.
        let mut notices: BTreeMap<(&str, usize, &str), Notice> = BTreeMap::new();
        for ((env, tenant), changes) in &tenants {
            if let Some((file, line)) = lines.get(&(env.clone(), tenant.clone())) {
                let notice = notices
                    .entry((file.as_str(), *line, tenant.as_str()))
                    .or_default();
                notice.0.push(env);
                notice.1.extend(changes.iter().map(String::as_str));
            }
        }
        for ((file, line, tenant), (envs, changes)) in notices {
            let shown: Vec<&str> = changes.iter().take(MAX_NAMED).copied().collect();
            let more = changes.len().saturating_sub(MAX_NAMED);
            let mut message = format!(
                "tenant {tenant} is declared here, and its rendered settings are stale: {}",
                shown.join("; ")
            );
            if more > 0 {
                let _ = write!(message, "; and {more} more");
            }
            push(
                &mut out,
                "notice",
                &join_dir(spec_dir, file),
                Some(line),
                None,
                &format!("lgtmc: tenant {tenant} ({})", envs.join(", ")),
                &message,
            );
        }
    }
    out
}

/// The workflow commands for an error: one per spec problem, else one for the whole error.
pub fn error(error: &Error, spec_dir: &Path) -> String {
    let mut out = String::new();
    match error {
        Error::Spec(problems) => {
            for problem in problems {
                let mut message = problem.message.clone();
                if let Some(help) = &problem.help {
                    let _ = write!(message, "\nhelp: {help}");
                }
                push(
                    &mut out,
                    "error",
                    &join_dir(spec_dir, &problem.file),
                    Some(problem.line),
                    Some(problem.column),
                    "lgtmc: invalid spec",
                    &message,
                );
            }
        }
        other => {
            let _ = writeln!(
                out,
                "::error title={}::{}",
                property("lgtmc failed"),
                data(&other.to_string())
            );
        }
    }
    out
}

fn yaml_changes(file: &FileDrift) -> Option<Vec<Change>> {
    let is_yaml = Format::of(&file.path) == Some(Format::Yaml);
    is_yaml
        .then(|| summary::yaml_changes(&file.on_disk, &file.rendered))
        .flatten()
}

fn name_changes(changes: &[Change]) -> String {
    let mut named: Vec<String> = changes
        .iter()
        .take(MAX_NAMED)
        .map(Change::summary)
        .collect();
    let more = changes.len().saturating_sub(MAX_NAMED);
    if more > 0 {
        named.push(format!("and {more} more"));
    }
    named.join("; ")
}

/// The 1-based line of the committed file where the first difference starts.
fn first_changed_line(file: &FileDrift) -> Option<usize> {
    let diff = TextDiff::from_lines(file.on_disk.as_str(), file.rendered.as_str());
    let line_count = file.on_disk.lines().count().max(1);
    diff.ops()
        .iter()
        .map(|op| op.as_tag_tuple())
        .find(|(tag, _, _)| *tag != DiffTag::Equal)
        .map(|(_, old, _)| (old.start + 1).min(line_count))
}

fn join(label: &str, path: &str) -> String {
    match label.trim_end_matches('/') {
        "" | "." => path.to_owned(),
        label => format!("{label}/{path}"),
    }
}

fn join_dir(dir: &Path, path: &str) -> String {
    let label = dir.display().to_string();
    join(label.trim_start_matches("./"), path)
}

fn push(
    out: &mut String,
    level: &str,
    file: &str,
    line: Option<usize>,
    column: Option<usize>,
    title: &str,
    message: &str,
) {
    let mut properties = format!("file={}", property(file));
    if let Some(line) = line {
        let _ = write!(properties, ",line={line}");
    }
    if let Some(column) = column {
        let _ = write!(properties, ",col={column}");
    }
    let _ = write!(properties, ",title={}", property(title));
    let _ = writeln!(out, "::{level} {properties}::{}", data(message));
}

/// Escapes a command's message, as GitHub's runner unescapes it.
pub fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=`, `title=`).
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn first_changed_line_is_in_the_committed_file() {
        let file = |on_disk: &str, rendered: &str| FileDrift {
            path: "a.yaml".to_owned(),
            on_disk: on_disk.to_owned(),
            rendered: rendered.to_owned(),
        };
        assert_eq!(first_changed_line(&file("a\nb\nc\n", "a\nB\nc\n")), Some(2));
        assert_eq!(first_changed_line(&file("a\n", "a\nb\n")), Some(1));
        assert_eq!(first_changed_line(&file("a\n", "a\n")), None);
    }

    #[test]
    fn paths_join_their_directory() {
        assert_eq!(join("out", "prod/x"), "out/prod/x");
        assert_eq!(join("", "prod/x"), "prod/x");
        assert_eq!(join_dir(Path::new("."), "platform.kdl"), "platform.kdl");
        assert_eq!(
            join_dir(Path::new("gitops"), "platform.kdl"),
            "gitops/platform.kdl"
        );
    }
}
