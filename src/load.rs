//! Stage 1, load: read `platform.kdl` and every `environments/*.kdl`, and parse them as KDL 2;
//! read every `versions/*.yaml` (the chart versions, parsed by `validate`).
//!
//! **Invariant:** with `emit`, this is the only stage that touches the filesystem. Every file is
//! parsed before any error is returned, so syntax errors in several files are reported together.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use kdl::KdlDocument;
use miette::SourceSpan;

use crate::diagnostic::{Problem, SourceFile};

pub const PLATFORM_FILE: &str = "platform.kdl";
pub const ENVIRONMENTS_DIR: &str = "environments";
pub const VERSIONS_DIR: &str = "versions";

/// The parsed spec files. `files[0]` is `platform.kdl`; the overlays follow, sorted by name.
#[derive(Clone, Debug)]
pub struct LoadedSpec {
    pub files: Vec<SourceFile>,
    pub platform: KdlDocument,
    pub overlays: Vec<Overlay>,
    /// `versions/<env>.yaml`, the chart versions of each environment (parsed by `validate`).
    pub versions: Vec<VersionsFile>,
}

#[derive(Clone, Debug)]
pub struct VersionsFile {
    /// Index into `LoadedSpec::files`.
    pub file: usize,
    /// The environment the file name promises (`versions/prod.yaml` → `prod`).
    pub environment: String,
}

#[derive(Clone, Debug)]
pub struct Overlay {
    /// Index into `LoadedSpec::files`.
    pub file: usize,
    /// The environment the file name promises (`environments/prod.kdl` → `prod`).
    pub stem: String,
    pub document: KdlDocument,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("no `{PLATFORM_FILE}` in `{}`", dir.display())]
    NoSpec { dir: PathBuf },
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the spec has syntax errors")]
    Syntax(Vec<Problem>),
}

/// Reads and parses the spec in `spec_dir`.
pub fn load(spec_dir: &Path) -> Result<LoadedSpec, LoadError> {
    let platform_path = spec_dir.join(PLATFORM_FILE);
    let platform_text = match fs::read_to_string(&platform_path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(LoadError::NoSpec {
                dir: spec_dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(LoadError::Io {
                path: platform_path,
                source,
            });
        }
    };
    let mut files = vec![SourceFile::new(PLATFORM_FILE, platform_text)];
    for (stem, path) in files_with_extension(&spec_dir.join(ENVIRONMENTS_DIR), "kdl")? {
        let text = fs::read_to_string(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        files.push(SourceFile::new(
            format!("{ENVIRONMENTS_DIR}/{stem}.kdl"),
            text,
        ));
    }

    let kdl_files = files.len();
    let mut versions = Vec::new();
    for (stem, path) in files_with_extension(&spec_dir.join(VERSIONS_DIR), "yaml")? {
        let text = fs::read_to_string(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        versions.push(VersionsFile {
            file: files.len(),
            environment: stem.clone(),
        });
        files.push(SourceFile::new(format!("{VERSIONS_DIR}/{stem}.yaml"), text));
    }

    let mut problems = Vec::new();
    let mut documents: Vec<KdlDocument> = files[..kdl_files]
        .iter()
        .map(|file| {
            parse(file).unwrap_or_else(|mut found| {
                problems.append(&mut found);
                KdlDocument::new()
            })
        })
        .collect();
    if !problems.is_empty() {
        return Err(LoadError::Syntax(problems));
    }
    let platform = documents.remove(0);
    let overlays = documents
        .into_iter()
        .enumerate()
        .map(|(index, document)| Overlay {
            file: index + 1,
            stem: files[index + 1].name[ENVIRONMENTS_DIR.len() + 1..]
                .trim_end_matches(".kdl")
                .to_owned(),
            document,
        })
        .collect();
    Ok(LoadedSpec {
        files,
        platform,
        overlays,
        versions,
    })
}

/// Parses one KDL 2 document, turning the parser's diagnostics into problems in that file.
pub fn parse(file: &SourceFile) -> Result<KdlDocument, Vec<Problem>> {
    file.text.parse::<KdlDocument>().map_err(|error| {
        error
            .diagnostics
            .into_iter()
            .map(|diagnostic| {
                let span = byte_span(&file.text, diagnostic.span);
                let message = diagnostic
                    .message
                    .unwrap_or_else(|| "invalid KDL".to_owned());
                let problem = Problem::new(
                    file,
                    span,
                    format!("KDL syntax error: {}", lower_first(&message)),
                    diagnostic.label.unwrap_or_else(|| "here".to_owned()),
                );
                match diagnostic.help {
                    Some(help) => problem.with_help(help),
                    None => problem.with_help("the spec is KDL 2: https://kdl.dev"),
                }
            })
            .collect()
    })
}

/// The `kdl` crate reports diagnostic offsets in characters; miette wants bytes.
fn byte_span(text: &str, span: SourceSpan) -> SourceSpan {
    let to_byte = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(byte, _)| byte)
    };
    let start = to_byte(span.offset());
    let end = to_byte(span.offset() + span.len());
    SourceSpan::new(start.into(), end.saturating_sub(start))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The files `dir/*.<extension>` with their stems, sorted by file name. A missing directory
/// means no files.
fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<(String, PathBuf)>, LoadError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LoadError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let matches = path.extension().is_some_and(|ext| ext == extension);
        if let (true, Some(stem)) = (matches, path.file_stem().and_then(|s| s.to_str())) {
            paths.push((stem.to_owned(), path.clone()));
        }
    }
    paths.sort();
    Ok(paths)
}
