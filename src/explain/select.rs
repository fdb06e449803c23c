//! Which rendered values a question names: a value path (or everything below it), or every
//! value on a line; a path or line that names none is a usage error with a suggestion.

use std::collections::BTreeSet;

use super::values::{self, Format, Values};
use crate::diagnostic::did_you_mean;
use crate::error::Error;

pub(super) fn select_path<'v>(
    file: &str,
    values: &'v Values,
    path: &str,
) -> Result<Vec<&'v values::Value>, Error> {
    let format = values::format_of(file);
    let canonical = values::canonical(format, path).ok_or_else(|| Error::Usage {
        message: format!("`{path}` is not a value path"),
        help: Some(path_help(format).to_owned()),
    })?;
    if let Some(value) = values.values.iter().find(|v| v.path == canonical) {
        return Ok(vec![value]);
    }
    let below: Vec<&values::Value> = values
        .values
        .iter()
        .filter(|v| is_below(&v.path, &canonical))
        .collect();
    if !below.is_empty() {
        return Ok(below);
    }
    let candidates = values
        .values
        .iter()
        .map(|v| v.path.as_str())
        .chain(values.containers.iter().map(|c| c.path.as_str()));
    Err(Error::Usage {
        message: format!("`out/{file}` has no value at `{canonical}`"),
        help: Some(
            did_you_mean(&canonical, candidates).unwrap_or_else(|| path_help(format).to_owned()),
        ),
    })
}

fn path_help(format: Format) -> &'static str {
    match format {
        Format::Alloy => {
            "an Alloy path names blocks, then the attribute: `prometheus.remote_write \"agents\" / endpoint / url` (docs/explain.md)"
        }
        _ => {
            "a YAML path joins keys with `.`, quotes a key with other characters than letters, digits, `_` and `-` (`metadata.labels.\"app.kubernetes.io/name\"`) and indexes sequences with `[i]` (docs/explain.md)"
        }
    }
}

/// Whether `path` is `prefix` or a value below it.
fn is_below(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[', ' ']))
}

pub(super) fn select_line<'v>(
    file: &str,
    values: &'v Values,
    line: usize,
) -> Result<Vec<&'v values::Value>, Error> {
    let on_line: Vec<&values::Value> = values
        .values
        .iter()
        .filter(|v| v.line <= line && line <= v.end_line)
        .collect();
    if !on_line.is_empty() {
        return Ok(on_line);
    }
    // A line with a key only (`agents:`, a block header): everything below it.
    let below: Vec<&values::Value> = values
        .containers
        .iter()
        .filter(|c| c.line == line)
        .flat_map(|c| values.values.iter().filter(|v| is_below(&v.path, &c.path)))
        .collect();
    if !below.is_empty() {
        let mut seen = BTreeSet::new();
        return Ok(below
            .into_iter()
            .filter(|v| seen.insert(v.path.as_str()))
            .collect());
    }
    let nearest = values
        .values
        .iter()
        .min_by_key(|v| v.line.abs_diff(line))
        .map(|v| v.line);
    Err(Error::Usage {
        message: format!("line {line} of `out/{file}` holds no value"),
        help: Some(match nearest {
            Some(nearest) => format!(
                "it is blank, a comment or closes a block; the nearest value is on line {nearest}"
            ),
            None => "the file has no values".to_owned(),
        }),
    })
}
