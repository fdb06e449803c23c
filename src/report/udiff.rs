//! The unified diff of files for people: `check` and `diff` print the drift of `out/` with it,
//! and `diff --base` each changed file. Pure: `emit` reads the bytes, this only formats them.

use std::fmt::Write as _;

use anstyle::Style;
use similar::{Algorithm, ChangeTag, TextDiff, udiff::UnifiedHunkHeader};

use super::style::{Colour, EMPHASIS, HEADING, HUNK, NEW, OLD, paint};
use crate::emit::{Drift, FileDrift};

/// A unified diff of the drift for people, followed by a per-file summary and a count line.
pub fn format_drift(drift: &Drift, out_label: &str, colour: Colour) -> String {
    let label = match out_label.trim_end_matches('/') {
        "" => String::new(),
        label => format!("{label}/"),
    };
    let kinds = [
        ("changed", &drift.changed, "a", "b"),
        ("missing", &drift.missing, "", "b"),
        ("extra", &drift.extra, "a", ""),
    ];
    let name = |side: &str, file: &FileDrift| match side {
        "" => "/dev/null".to_owned(),
        _ => format!("{side}/{label}{}", file.path),
    };
    let mut entries: Vec<_> = (kinds.iter())
        .flat_map(|(_, files, a, b)| files.iter().map(|f| (f, name(a, f), name(b, f))))
        .collect();
    // Interleave by path, like `git diff`, so a reader scans one ordered list of files.
    entries.sort_by(|x, y| x.0.path.cmp(&y.0.path));
    let mut out = String::new();
    for (file, old_name, new_name) in &entries {
        push_file_diff(&mut out, old_name, new_name, file, colour);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    for (kind, files, _, _) in &kinds {
        for file in files.iter() {
            let _ = writeln!(out, "{kind}: {}", file.path);
        }
    }
    let (c, m, e) = (drift.changed.len(), drift.missing.len(), drift.extra.len());
    let _ = writeln!(out, "{c} changed, {m} missing, {e} extra");
    out
}

/// The unified diff of one file from `old` to `new`, headed `--- {old_name}` / `+++ {new_name}`,
/// in the same style as `format_drift` (used by `report` for `diff --base`).
pub fn unified_diff(
    old_name: &str,
    new_name: &str,
    old: &str,
    new: &str,
    colour: Colour,
) -> String {
    let file = FileDrift {
        path: String::new(),
        on_disk: old.to_owned(),
        rendered: new.to_owned(),
    };
    let mut out = String::new();
    push_file_diff(&mut out, old_name, new_name, &file, colour);
    out
}

fn push_line(out: &mut String, colour: Colour, style: Style, line: &str) {
    let _ = writeln!(out, "{}", paint(colour, style, line));
}

fn push_file_diff(out: &mut String, old: &str, new: &str, file: &FileDrift, colour: Colour) {
    push_line(out, colour, HEADING, &format!("--- {old}"));
    push_line(out, colour, HEADING, &format!("+++ {new}"));
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .diff_lines(file.on_disk.as_str(), file.rendered.as_str());
    for group in diff.grouped_ops(3) {
        // UnifiedHunkHeader::new indexes the first op; similar never yields an empty group,
        // but an empty one must not be able to panic us.
        if group.is_empty() {
            continue;
        }
        let header = UnifiedHunkHeader::new(&group).to_string();
        push_line(out, colour, HUNK, &header);
        for change in group.iter().flat_map(|op| diff.iter_inline_changes(op)) {
            let (mut line, style) = match change.tag() {
                ChangeTag::Delete => (String::from("-"), OLD),
                ChangeTag::Insert => (String::from("+"), NEW),
                ChangeTag::Equal => (String::from(" "), Style::new()),
            };
            for (emphasised, text) in change.iter_strings_lossy() {
                // The newline is re-added by push_line, after the colour reset.
                let text = text.strip_suffix('\n').unwrap_or(&text);
                if emphasised && colour == Colour::Always {
                    // A reset ends the emphasis; the line's own colour is set again after it.
                    let _ = write!(line, "{EMPHASIS}{text}{EMPHASIS:#}{style}");
                } else {
                    line.push_str(text);
                }
            }
            push_line(out, colour, style, &line);
            if change.missing_newline() {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
}
