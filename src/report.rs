//! Report: what changes in the rendered platform between two trees, for people and machines.
//!
//! `lgtmc diff --base REV` compares the platform rendered from the spec at a git revision with the
//! one rendered from the working tree; `lgtmc diff --format markdown|json` without `--base`
//! compares the committed `out/` with the working tree's render. Either way the files that differ
//! are grouped by environment (the first path segment) and component (the second), each with the
//! semantic summary of `summary` before its text diff. Three formats: text (colour on a terminal),
//! Markdown (a pull-request comment or a job summary) and JSON.
//!
//! **Invariants:** pure (trees in, text out). Output is deterministic: environments in promotion
//! order (then any others by name), components and files by name, changes by key path, JSON object
//! keys sorted. `out/.lgtmc-manifest` is bookkeeping and never reported: the files it lists are.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

mod style;
mod udiff;

pub use style::Colour;
pub use udiff::{format_drift, unified_diff};

use crate::emit::{Drift, MANIFEST_PATH, RenderedTree};
use crate::format::Format as FileFormat;
use crate::summary::{self, Change, ChangeKind, Segment, Subject};
use style::paint;

/// The output formats of `lgtmc diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    Added,
    Removed,
    Changed,
}

impl FileStatus {
    fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Removed => "removed",
            FileStatus::Changed => "changed",
        }
    }
}

/// The whole comparison.
#[derive(Debug)]
pub struct Report {
    /// What the old side is, as the user named it: a git revision, or the out dir.
    pub base: String,
    /// The commit the revision resolved to, when the old side is a revision.
    pub base_commit: Option<String>,
    /// What the new side is: `working tree`.
    pub head: String,
    /// The out dir's label, prefixed to file names (`out`).
    pub out_label: String,
    pub environments: Vec<EnvironmentReport>,
}

#[derive(Debug)]
pub struct EnvironmentReport {
    /// Empty for files directly under `out/`.
    pub name: String,
    pub components: Vec<ComponentReport>,
}

#[derive(Debug)]
pub struct ComponentReport {
    /// Empty for files directly under `out/<env>/`.
    pub name: String,
    pub files: Vec<FileReport>,
}

#[derive(Debug)]
pub struct FileReport {
    /// Relative to the out dir: `prod/mimir/values.yaml`.
    pub path: String,
    pub status: FileStatus,
    pub old: String,
    pub new: String,
    /// The semantic changes of a YAML file that changed; `None` for other files, added and removed
    /// files, and YAML that does not parse.
    pub changes: Option<Vec<Change>>,
}

impl FileReport {
    /// `prod/mimir` for `prod/mimir/values.yaml` (Helm values are the component), else the path.
    pub fn label(&self) -> &str {
        self.path
            .strip_suffix("/values.yaml")
            .unwrap_or(self.path.as_str())
    }

    /// Lines added and removed.
    pub fn line_counts(&self) -> (usize, usize) {
        let diff = TextDiff::from_lines(self.old.as_str(), self.new.as_str());
        diff.iter_all_changes()
            .fold((0, 0), |(added, removed), change| match change.tag() {
                ChangeTag::Insert => (added + 1, removed),
                ChangeTag::Delete => (added, removed + 1),
                ChangeTag::Equal => (added, removed),
            })
    }

    /// One-line summaries: the semantic changes, or what happened to the file.
    pub fn summaries(&self) -> Vec<String> {
        match (&self.changes, self.status) {
            (Some(changes), _) if !changes.is_empty() => {
                changes.iter().map(Change::summary).collect()
            }
            (Some(_), _) => vec!["comments or formatting only".to_owned()],
            (None, FileStatus::Changed) => {
                let (added, removed) = self.line_counts();
                vec![format!("changed (+{added} −{removed} lines)")]
            }
            (None, status) => vec![status.as_str().to_owned()],
        }
    }
}

impl Report {
    pub fn files(&self) -> impl Iterator<Item = &FileReport> {
        self.environments
            .iter()
            .flat_map(|e| &e.components)
            .flat_map(|c| &c.files)
    }

    fn count(&self, status: FileStatus) -> usize {
        self.files().filter(|f| f.status == status).count()
    }

    /// `HEAD~1 (0123abc)` or `out`.
    fn base_label(&self) -> String {
        match &self.base_commit {
            Some(commit) => format!("{} ({})", self.base, short(commit)),
            None => self.base.clone(),
        }
    }

    /// `1 file changed, 1 added, 0 removed in 2 environments (dev, prod)`.
    fn totals(&self) -> String {
        let (changed, added, removed) = (
            self.count(FileStatus::Changed),
            self.count(FileStatus::Added),
            self.count(FileStatus::Removed),
        );
        let names: Vec<&str> = self
            .environments
            .iter()
            .map(|e| env_display(&e.name))
            .collect();
        format!(
            "{changed} file{} changed, {added} added, {removed} removed in {} environment{} ({})",
            plural(changed),
            names.len(),
            plural(names.len()),
            names.join(", ")
        )
    }
}

/// Compares two rendered trees. `order` is the promotion order of the environments; `in_scope`
/// selects paths (`--env`).
pub fn compare(
    old: &RenderedTree,
    new: &RenderedTree,
    order: &[String],
    in_scope: &dyn Fn(&str) -> bool,
) -> Vec<EnvironmentReport> {
    let mut files = Vec::new();
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    for path in paths {
        if path == MANIFEST_PATH || !in_scope(path) {
            continue;
        }
        let (status, old_text, new_text) = match (old.get(path), new.get(path)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => (FileStatus::Changed, &**a, &**b),
            (None, Some(b)) => (FileStatus::Added, "", &**b),
            (Some(a), None) => (FileStatus::Removed, &**a, ""),
            (None, None) => continue,
        };
        files.push(file_report(path, status, old_text, new_text));
    }
    group(files, order)
}

/// The report of `out/` drift: the committed files are the old side, the render the new.
pub fn from_drift(drift: &Drift, order: &[String]) -> Vec<EnvironmentReport> {
    let kinds = [
        (FileStatus::Changed, &drift.changed),
        (FileStatus::Added, &drift.missing),
        (FileStatus::Removed, &drift.extra),
    ];
    let files = kinds
        .iter()
        .flat_map(|(status, files)| files.iter().map(move |f| (*status, f)))
        .filter(|(_, f)| f.path != MANIFEST_PATH)
        .map(|(status, f)| file_report(&f.path, status, &f.on_disk, &f.rendered))
        .collect();
    group(files, order)
}

fn file_report(path: &str, status: FileStatus, old: &str, new: &str) -> FileReport {
    let is_yaml = FileFormat::of(path) == Some(FileFormat::Yaml);
    let changes = (is_yaml && status == FileStatus::Changed)
        .then(|| summary::yaml_changes(old, new))
        .flatten();
    FileReport {
        path: path.to_owned(),
        status,
        old: old.to_owned(),
        new: new.to_owned(),
        changes,
    }
}

/// (environment, component) of a path under `out/`.
fn place(path: &str) -> (&str, &str) {
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        [env, component, _, ..] => (env, component),
        [env, _] => (env, ""),
        _ => ("", ""),
    }
}

fn group(files: Vec<FileReport>, order: &[String]) -> Vec<EnvironmentReport> {
    let mut by_env: BTreeMap<String, BTreeMap<String, Vec<FileReport>>> = BTreeMap::new();
    for file in files {
        let (env, component) = place(&file.path);
        let (env, component) = (env.to_owned(), component.to_owned());
        by_env
            .entry(env)
            .or_default()
            .entry(component)
            .or_default()
            .push(file);
    }
    let rank = |name: &str| order.iter().position(|o| o == name).unwrap_or(order.len());
    let mut environments: Vec<EnvironmentReport> = by_env
        .into_iter()
        .map(|(name, components)| EnvironmentReport {
            name,
            components: components
                .into_iter()
                .map(|(name, mut files)| {
                    files.sort_by(|a, b| a.path.cmp(&b.path));
                    ComponentReport { name, files }
                })
                .collect(),
        })
        .collect();
    // Stable: equal ranks (environments not in `order`) stay sorted by name.
    environments.sort_by_key(|e| rank(&e.name));
    environments
}

/// Renders the report. `summary_only` leaves out the text diffs.
pub fn format(report: &Report, format: Format, colour: Colour, summary_only: bool) -> String {
    match format {
        Format::Text => text(report, colour, summary_only),
        Format::Markdown => markdown(report, summary_only),
        Format::Json => json(report, summary_only),
    }
}

fn diff_names(report: &Report, file: &FileReport) -> (String, String) {
    let name = |side: &str| format!("{side}/{}/{}", report.out_label, file.path);
    match file.status {
        FileStatus::Added => ("/dev/null".to_owned(), name("b")),
        FileStatus::Removed => (name("a"), "/dev/null".to_owned()),
        FileStatus::Changed => (name("a"), name("b")),
    }
}

fn file_diff(report: &Report, file: &FileReport, colour: Colour) -> String {
    let (old_name, new_name) = diff_names(report, file);
    unified_diff(&old_name, &new_name, &file.old, &file.new, colour)
}

fn text(report: &Report, colour: Colour, summary_only: bool) -> String {
    let mut out = String::new();
    if report.environments.is_empty() {
        let _ = writeln!(
            out,
            "no change in the rendered platform: {} → {}",
            report.base_label(),
            report.head
        );
        return out;
    }
    for environment in &report.environments {
        let heading = format!("=== {}", env_display(&environment.name));
        let _ = writeln!(out, "{}", paint(colour, style::HEADING, &heading));
        let files = environment.components.iter().flat_map(|c| &c.files);
        for file in files.clone() {
            for line in text_summaries(file, colour) {
                let _ = writeln!(out, "{}: {line}", file.label());
            }
        }
        if !summary_only {
            for file in files {
                out.push('\n');
                out.push_str(&file_diff(report, file, colour));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} → {}: {}",
        report.base_label(),
        report.head,
        report.totals()
    );
    out
}

/// Summaries with the old value in red and the new in green on a terminal.
fn text_summaries(file: &FileReport, colour: Colour) -> Vec<String> {
    match (&file.changes, colour) {
        (Some(changes), Colour::Always) if !changes.is_empty() => changes
            .iter()
            .map(|change| {
                let plain = change.summary();
                let show = |v: &Option<Value>| v.as_ref().map(summary::display_value);
                match (change.kind, show(&change.old), show(&change.new)) {
                    (ChangeKind::Changed, Some(old), Some(new)) => {
                        let subject = plain
                            .strip_suffix(&format!(" {old} → {new}"))
                            .unwrap_or(&plain);
                        format!(
                            "{subject} {} → {}",
                            paint(colour, style::OLD, &old),
                            paint(colour, style::NEW, &new)
                        )
                    }
                    _ => plain,
                }
            })
            .collect(),
        _ => file.summaries(),
    }
}

/// A code span that holds `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let longest = longest_backtick_run(text);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn markdown_change(change: &Change) -> String {
    let subject = match change.subject() {
        Subject::Tenant { tenant, key } if key.is_empty() => format!("tenant {}", code(&tenant)),
        Subject::Tenant { tenant, key } => format!("tenant {} {}", code(&tenant), code(&key)),
        Subject::Key(key) if key.is_empty() => "the document".to_owned(),
        Subject::Key(key) => code(&key),
    };
    let show =
        |v: &Option<Value>| code(&v.as_ref().map(summary::display_value).unwrap_or_default());
    match change.kind {
        ChangeKind::Changed => format!("{subject} {} → {}", show(&change.old), show(&change.new)),
        ChangeKind::Added => format!("{subject} added: {}", show(&change.new)),
        ChangeKind::Removed => format!("{subject} removed (was {})", show(&change.old)),
    }
}

fn markdown(report: &Report, summary_only: bool) -> String {
    let mut out = String::from("## lgtmc: changes in the rendered platform\n\n");
    let base = match &report.base_commit {
        Some(commit) => format!("{} ({})", code(&report.base), code(short(commit))),
        None => code(&report.base),
    };
    if report.environments.is_empty() {
        let _ = writeln!(out, "No change: {base} → {}.", report.head);
        return out;
    }
    let _ = writeln!(out, "{base} → {}: {}.", report.head, report.totals());
    for environment in &report.environments {
        let _ = writeln!(out, "\n### {}\n", env_display(&environment.name));
        let files = environment.components.iter().flat_map(|c| &c.files);
        for file in files.clone() {
            let label = code(file.label());
            match &file.changes {
                Some(changes) if !changes.is_empty() => {
                    for change in changes {
                        let _ = writeln!(out, "- {label}: {}", markdown_change(change));
                    }
                }
                _ => {
                    for line in file.summaries() {
                        let _ = writeln!(out, "- {label}: {line}");
                    }
                }
            }
        }
        if summary_only {
            continue;
        }
        for file in files {
            let (added, removed) = file.line_counts();
            let diff = file_diff(report, file, Colour::Never);
            let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
            let _ = write!(
                out,
                "\n<details><summary><code>{}</code> {} (+{added} −{removed})</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n",
                html_escape(&format!("{}/{}", report.out_label, file.path)),
                file.status.as_str(),
            );
        }
    }
    out
}

fn json_segment(segment: &Segment) -> Value {
    match segment {
        Segment::Key(key) => json!(key),
        Segment::Index(index) => json!(index),
        Segment::Document(label) => json!({ "document": label }),
    }
}

fn json_change(change: &Change) -> Value {
    let mut object = json!({
        "kind": change.kind.as_str(),
        "key": change.key(),
        "path": change.path.iter().map(json_segment).collect::<Vec<_>>(),
        "summary": change.summary(),
    });
    if let Value::Object(map) = &mut object {
        if let Some(tenant) = change.tenant() {
            map.insert("tenant".to_owned(), json!(tenant));
        }
        if let Some(old) = &change.old {
            map.insert("old".to_owned(), old.clone());
        }
        if let Some(new) = &change.new {
            map.insert("new".to_owned(), new.clone());
        }
    }
    object
}

fn json(report: &Report, summary_only: bool) -> String {
    let environments: Vec<Value> = report
        .environments
        .iter()
        .map(|environment| {
            let components: Vec<Value> = environment
                .components
                .iter()
                .map(|component| {
                    let files: Vec<Value> = component
                        .files
                        .iter()
                        .map(|file| {
                            let (added, removed) = file.line_counts();
                            let mut object = json!({
                                "path": file.path,
                                "status": file.status.as_str(),
                                "lines_added": added,
                                "lines_removed": removed,
                                "changes": file.changes.as_ref().map(|c| c.iter().map(json_change).collect::<Vec<_>>()),
                                "summary": file.summaries(),
                            });
                            if let (Value::Object(map), false) = (&mut object, summary_only) {
                                let diff = file_diff(report, file, Colour::Never);
                                map.insert("diff".to_owned(), json!(diff));
                            }
                            object
                        })
                        .collect();
                    json!({ "name": component.name, "files": files })
                })
                .collect();
            json!({ "name": environment.name, "components": components })
        })
        .collect();
    let value = json!({
        "base": report.base,
        "base_commit": report.base_commit,
        "head": report.head,
        "environments": environments,
        "totals": {
            "files_changed": report.count(FileStatus::Changed),
            "files_added": report.count(FileStatus::Added),
            "files_removed": report.count(FileStatus::Removed),
            "semantic_changes": report.files().filter_map(|f| f.changes.as_ref()).map(Vec::len).sum::<usize>(),
        },
    });
    // Serialising a `Value` cannot fail; fall back to the compact form rather than panic.
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

fn env_display(name: &str) -> &str {
    if name.is_empty() { "(top level)" } else { name }
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests;
