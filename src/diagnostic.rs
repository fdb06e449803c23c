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
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    fn named_source(&self) -> NamedSource<Arc<str>> {
        NamedSource::new(&self.name, Arc::clone(&self.text))
    }

    /// 1-based line and column of a byte offset, for one-line summaries.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
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

    fn sort_key(&self) -> (String, usize, usize, String) {
        (
            self.file.clone(),
            self.line,
            self.column,
            self.message.clone(),
        )
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

/// Sorts problems by position and drops exact repeats (the same base-file problem is found once
/// per environment, and should be reported once).
pub fn tidy(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(Problem::sort_key);
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
    fn suggestions_only_for_near_misses() {
        let fields = ["ingestion-rate", "max-series", "retention"];
        assert_eq!(
            did_you_mean("retnetion", fields).as_deref(),
            Some("did you mean `retention`?")
        );
        assert_eq!(did_you_mean("colour", fields), None);
    }
}
