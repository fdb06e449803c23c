//! Stage 1, load: read `platform.kdl` and every `environments/*.kdl`, and parse them as KDL 2;
//! read every `versions/*.yaml` (the chart versions, parsed by `validate`).
//!
//! A large `platform.kdl` is parsed in pieces on all cores (`split`), to the same document.
//!
//! **Invariant:** with `emit`, this is the only stage that touches the filesystem. Every file is
//! parsed before any error is returned, so syntax errors in several files are reported together.

mod split;

use std::fs;
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use kdl::KdlDocument;
use miette::SourceSpan;

use crate::diagnostic::{Problem, SourceFile};
use split::Mark;

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

/// The spec files `load` reads, in its order, each with the name diagnostics give it:
/// `platform.kdl`, each `environments/*.kdl`, each `versions/*.yaml` (sorted by name). The check
/// record (`cache`) digests exactly these, so the two can never disagree on what the spec is.
pub fn input_files(spec_dir: &Path) -> Result<Vec<(String, PathBuf)>, LoadError> {
    let mut files = vec![(PLATFORM_FILE.to_owned(), spec_dir.join(PLATFORM_FILE))];
    for (stem, path) in files_with_extension(&spec_dir.join(ENVIRONMENTS_DIR), "kdl")? {
        files.push((format!("{ENVIRONMENTS_DIR}/{stem}.kdl"), path));
    }
    for (stem, path) in files_with_extension(&spec_dir.join(VERSIONS_DIR), "yaml")? {
        files.push((format!("{VERSIONS_DIR}/{stem}.yaml"), path));
    }
    Ok(files)
}

/// Reads and parses the spec in `spec_dir`.
pub fn load(spec_dir: &Path) -> Result<LoadedSpec, LoadError> {
    let platform_bytes = read_platform(spec_dir)?;
    let mut problems = Vec::new();
    let mut files = vec![text_file(
        PLATFORM_FILE.to_owned(),
        platform_bytes,
        &mut problems,
    )];
    let inputs = input_files(spec_dir)?;
    let mut versions = Vec::new();
    for (name, path) in inputs.into_iter().skip(1) {
        if let Some(stem) = name
            .strip_prefix(VERSIONS_DIR)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.strip_suffix(".yaml"))
        {
            versions.push(VersionsFile {
                file: files.len(),
                environment: stem.to_owned(),
            });
        }
        let bytes = read(&path)?;
        files.push(text_file(name, bytes, &mut problems));
    }
    let kdl_files = versions.first().map_or(files.len(), |v| v.file);
    // A file that is not text cannot be parsed meaningfully; report every such file at once.
    if !problems.is_empty() {
        return Err(LoadError::Syntax(problems));
    }

    let mut documents = parse_all(&files[..kdl_files])?;
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

/// The bytes of `platform.kdl`; its absence means `spec_dir` holds no spec.
fn read_platform(spec_dir: &Path) -> Result<Vec<u8>, LoadError> {
    let platform_path = spec_dir.join(PLATFORM_FILE);
    match fs::read(&platform_path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(LoadError::NoSpec {
            dir: spec_dir.to_path_buf(),
        }),
        Err(source) => Err(LoadError::Io {
            path: platform_path,
            source,
        }),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses every KDL file, collecting the syntax errors of all of them.
fn parse_all(files: &[SourceFile]) -> Result<Vec<KdlDocument>, LoadError> {
    let mut problems = Vec::new();
    let documents: Vec<KdlDocument> = files
        .iter()
        .map(|file| {
            parse(file).unwrap_or_else(|mut found| {
                problems.append(&mut found);
                KdlDocument::new()
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(documents)
    } else {
        Err(LoadError::Syntax(problems))
    }
}

/// A spec file's text; one that is not UTF-8 is a problem at its first bad byte (its text then
/// holds the valid part, so the problem can quote the line).
fn text_file(name: String, bytes: Vec<u8>, problems: &mut Vec<Problem>) -> SourceFile {
    match String::from_utf8(bytes) {
        Ok(text) => SourceFile::new(name, text),
        Err(error) => {
            let bad = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            // Up to the end of the bad byte's line, with the bad bytes shown as U+FFFD.
            let end = bytes[bad..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| bad + i);
            let file = SourceFile::new(name, String::from_utf8_lossy(&bytes[..end]).into_owned());
            problems.push(
                Problem::new(
                    &file,
                    // U+FFFD, which stands for the bad byte in `text`, is three bytes long.
                    (bad..bad + 3).into(),
                    format!("`{}` is not UTF-8 text", file.name),
                    format!("byte 0x{:02x} is not UTF-8", bytes[bad]),
                )
                .with_help("spec files are UTF-8: re-save the file as UTF-8 (the file may be in another encoding, or not a text file)"),
            );
            file
        }
    }
}

/// How deep blocks (`{ }`) and block comments (`/* */`) may nest. The spec needs four levels;
/// the KDL parser recurses once per level, and about 1,400 levels overflow its stack.
pub const MAX_DEPTH: usize = 64;

/// The first `{` or `/*` nested deeper than `MAX_DEPTH`, found by a scan that skips strings
/// and comments as KDL 2 does, before the parser sees the text.
fn too_deep(text: &str) -> Option<usize> {
    split::scan(text, |at, mark| match mark {
        Mark::Open { depth } | Mark::Comment { depth } if depth > MAX_DEPTH => {
            ControlFlow::Break(at)
        }
        _ => ControlFlow::Continue(()),
    })
}

/// Parses one KDL 2 document, turning the parser's diagnostics into problems in that file.
pub fn parse(file: &SourceFile) -> Result<KdlDocument, Vec<Problem>> {
    if let Some(offset) = too_deep(&file.text) {
        return Err(vec![
            Problem::new(
                file,
                (offset..offset + 1).into(),
                format!("the spec nests blocks or comments more than {MAX_DEPTH} deep"),
                "too deep",
            )
            .with_help("the spec language needs at most four levels of `{ }`: close the blocks above this line"),
        ]);
    }
    if let Some(document) = split::parse_in_pieces(&file.text) {
        return Ok(document);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_blocks_and_comments_but_not_strings() {
        let nested = |open: &str, close: &str, depth: usize| {
            format!("{}{}", open.repeat(depth), close.repeat(depth))
        };
        assert_eq!(too_deep(&nested("a {", "}", MAX_DEPTH)), None);
        assert_eq!(
            too_deep(&nested("a {", "}", MAX_DEPTH + 1)),
            Some(3 * MAX_DEPTH + 2)
        );
        assert_eq!(too_deep(&nested("/*", "*/", MAX_DEPTH)), None);
        assert!(too_deep(&nested("/*", "*/", MAX_DEPTH + 1)).is_some());
        let braces = "{".repeat(MAX_DEPTH + 1);
        for quiet in [
            format!("a \"{braces}\""),
            format!("a \"\\\"{braces}\""),
            format!("a #\"\"{braces}\"#"),
            format!("a #\"\\\"{braces}\"#"),
            format!("a \"\"\"\n{braces}\n\"\"\""),
            format!("// {braces}\na"),
            format!("/* {braces} */ a"),
        ] {
            assert_eq!(too_deep(&quiet), None, "{quiet}");
        }
        // A string that never closes hides nothing: the parser reports it.
        assert_eq!(too_deep(&format!("a \"{braces}")), None);
    }

    #[test]
    fn the_first_bad_byte_is_located() {
        let mut problems = Vec::new();
        let file = text_file(
            "a.kdl".to_owned(),
            b"ok\nab\xffcd\nmore".to_vec(),
            &mut problems,
        );
        assert_eq!(file.text.as_ref(), "ok\nab\u{fffd}cd");
        assert_eq!((problems[0].line, problems[0].column), (2, 3));
        assert!(problems[0].message.contains("is not UTF-8"));
    }
}
