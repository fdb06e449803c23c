//! `lgtmc init`: a starter GitOps repository, the example platform of this repository, rendered.

use std::fs;
use std::path::Path;

use crate::compiler;
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

/// Writes the example spec into `dir` and renders it into `dir/out` (its `gitops out`). Refuses to overwrite an
/// existing spec. Returns how many files were written.
pub fn init(dir: &Path) -> Result<usize, Error> {
    let existing: Vec<&str> = EXAMPLE
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| dir.join(name).exists())
        .collect();
    if !existing.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "`{}` already has a spec ({})",
                dir.display(),
                existing.join(", ")
            ),
            help: Some("lgtmc init never overwrites; pick an empty directory".to_owned()),
        });
    }
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        let created = path.parent().map_or(Ok(()), fs::create_dir_all);
        created
            .and_then(|()| fs::write(&path, text))
            .map_err(|source| {
                Error::Emit(emit::EmitError::Write {
                    path: path.clone(),
                    source,
                })
            })
    };
    for (name, text) in EXAMPLE {
        write(name, text)?;
    }
    let compilation = compiler::compile(dir, None)?;
    let report = emit::write_tree(&dir.join(&compilation.out), &compilation.files)?;
    Ok(EXAMPLE.len() + report.written.len())
}
