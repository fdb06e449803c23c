//! Problems in the user's input, each pinned to the file and span that caused it.
//!
//! Every stage before rendering reports `Problem`s, collected rather than returned one by one, so
//! that one run shows everything that is wrong. Messages are lower case, name identifiers in
//! backticks and never end in a full stop.

use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

/// One input file, kept whole so that any later stage can quote it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user sees it, relative to the spec directory (`environments/prod.kdl`).
    pub name: String,
    pub text: Arc<str>,
    /// The byte offset of every line's start, so that locating a problem is a binary search
    /// rather than a scan of the file (thousands of problems in one file stay linear).
    line_starts: Arc<[usize]>,
    /// The number of characters before every multiple of `CHUNK` bytes, so that a column is
    /// counted over at most `CHUNK` bytes however long its line is.
    chars_before_chunk: Arc<[usize]>,
}

const CHUNK: usize = 256;

/// Whether a byte starts a UTF-8 character (is not a continuation byte).
fn starts_char(byte: u8) -> bool {
    byte & 0xC0 != 0x80
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let chars_before_chunk = std::iter::once(0)
            .chain(text.as_bytes().chunks(CHUNK).scan(0, |count, chunk| {
                *count += chunk.iter().filter(|&&b| starts_char(b)).count();
                Some(*count)
            }))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            chars_before_chunk,
        }
    }

    fn named_source(&self) -> NamedSource<Arc<str>> {
        NamedSource::new(&self.name, Arc::clone(&self.text))
    }

    /// 1-based line and column of a byte offset, for one-line summaries.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        (
            line,
            self.chars_before(offset) - self.chars_before(start) + 1,
        )
    }

    /// The number of characters before byte `offset`.
    fn chars_before(&self, offset: usize) -> usize {
        let chunk = offset / CHUNK;
        self.chars_before_chunk[chunk]
            + self.text.as_bytes()[chunk * CHUNK..offset]
                .iter()
                .filter(|&&b| starts_char(b))
                .count()
    }

    /// The length in bytes of the line holding `offset`.
    fn line_len(&self, offset: usize) -> usize {
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line.max(1) - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next);
        end - start
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A problem in the spec: what is wrong, where, and what would fix it.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct Problem {
    pub message: String,
    #[source_code]
    source_code: NamedSource<Arc<str>>,
    /// The primary span first; more spans (say, where a duplicate was first declared) after it.
    #[label(collection)]
    pub labels: Vec<LabeledSpan>,
    #[help]
    pub help: Option<String>,
    /// File and 1-based line and column of the primary span, for sorting and one-line output.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The length of the primary span's line: one too long to quote is reported without it.
    line_len: usize,
}

impl Problem {
    pub fn new(
        source: &SourceFile,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        let (line, column) = source.line_column(span.offset());
        Problem {
            message: message.into(),
            source_code: source.named_source(),
            labels: vec![LabeledSpan::new_primary_with_span(Some(label.into()), span)],
            help: None,
            file: source.name.clone(),
            line,
            column,
            line_len: source.line_len(span.offset().min(source.text.len())),
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary span in the same file.
    #[must_use]
    pub fn with_label(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.labels
            .push(LabeledSpan::new_with_span(Some(label.into()), span));
        self
    }

    fn label(&self) -> Option<&str> {
        self.labels.first().and_then(LabeledSpan::label)
    }

    fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.file, self.line, self.column, &self.message)
    }
}

/// A problem that is reported but does not stop the run (an environment over a capacity budget
/// it does not enforce): the same diagnostic, with a warning's severity.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Warning<'a>(pub &'a Problem);

impl Diagnostic for Warning<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.0.help()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.labels()
    }
}

/// The most problems `render_all` prints; the rest are counted. A hostile spec can hold
/// thousands, and a screenful of the first ones is what a person fixes first.
pub const MAX_SHOWN: usize = 50;

/// The longest source line quoted under a problem; a longer one (a generated spec with everything
/// on one line) is named by file, line and column instead, so output stays bounded.
const MAX_QUOTED_LINE: usize = 400;

/// Renders the first `MAX_SHOWN` problems with `handler`, then a count of the rest: output grows
/// with neither the number of problems nor the length of a line.
pub fn render_all(problems: &[Problem], handler: &miette::GraphicalReportHandler) -> String {
    let mut out = String::new();
    for problem in problems.iter().take(MAX_SHOWN) {
        if problem.line_len > MAX_QUOTED_LINE {
            let _ = handler.render_report(&mut out, &Unquoted(problem));
        } else {
            let _ = handler.render_report(&mut out, problem);
        }
    }
    if problems.len() > MAX_SHOWN {
        out.push_str(&format!(
            "… and {} more problem{} not shown: fix these first\n",
            problems.len() - MAX_SHOWN,
            if problems.len() - MAX_SHOWN == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    out
}

/// A problem on a line too long to quote: its message with the location, and its help.
#[derive(Debug, thiserror::Error)]
#[error("{}\n  at {}:{}:{}", .0.message, .0.file, .0.line, .0.column)]
struct Unquoted<'a>(&'a Problem);

impl Diagnostic for Unquoted<'_> {
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.0.help()
    }
}

/// Sorts problems by position and drops exact repeats (the same base-file problem is found once
/// per environment, and should be reported once).
pub fn tidy(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    problems.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.label() == b.label());
    problems
}

/// A "did you mean" hint: the closest candidate, if any is close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1) + 1)
        .min()
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let file = SourceFile::new("a.kdl", "ab\ncé d\n");
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(3), (2, 1));
        assert_eq!(file.line_column(7), (2, 4));
    }

    #[test]
    fn line_and_column_on_later_lines_and_at_the_end() {
        let file = SourceFile::new("a.kdl", "x\n\nyé\n");
        assert_eq!(file.line_column(2), (2, 1));
        assert_eq!(file.line_column(3), (3, 1));
        assert_eq!(file.line_column(6), (3, 3));
        assert_eq!(file.line_column(7), (4, 1));
        assert_eq!(file.line_column(99), (4, 1));
    }

    #[test]
    fn rendering_is_capped_and_long_lines_are_not_quoted() {
        let line = "x ".repeat(5_000);
        let file = SourceFile::new("a.kdl", format!("{line}\n"));
        let problems: Vec<Problem> = (0..1_000)
            .map(|i| Problem::new(&file, (i * 2..i * 2 + 1).into(), format!("bad {i}"), "here"))
            .collect();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        let text = render_all(&problems, &handler);
        assert!(
            text.contains("bad 49") && !text.contains("bad 50"),
            "{text}"
        );
        assert!(text.contains("at a.kdl:1:99"), "{text}");
        assert!(text.contains("and 950 more problems"), "{text}");
        assert!(text.len() < 20_000, "{} bytes", text.len());
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let fields = ["ingestion-rate", "max-series", "retention"];
        assert_eq!(
            did_you_mean("retnetion", fields).as_deref(),
            Some("did you mean `retention`?")
        );
        assert_eq!(did_you_mean("colour", fields), None);
    }
}
