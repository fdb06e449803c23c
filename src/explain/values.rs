//! The values of one rendered file, each with its path and the lines it spans: what `explain`
//! addresses and compares.
//!
//! YAML (and JSON, which is YAML) is read with an event parser that keeps positions
//! (`yaml::events`), since a parsed YAML value forgets them; Alloy with lgtmc's own parser. A value
//! is a leaf: a scalar, an empty mapping or sequence, or (Alloy) an expression that is not a
//! literal, kept as written. Values are compared as text, so `3` and `"3"` differ, as they do for
//! the program that reads the file.
//!
//! Path syntax (docs/explain.md): YAML keys joined by `.`, a key that is not all ASCII letters,
//! digits, `_` and `-` written as a JSON string (`metadata.labels."lgtmc.dev/environment"`),
//! `[i]` for a sequence item, `#i.` before the path in a file of several documents. Alloy:
//! blocks as `name "label"` (with `[i]` when a block of the same name and label repeats in its
//! parent, as `rule` does), then the attribute, joined by ` / `; below the attribute, `.key`
//! and `[i]` as in YAML.

use crate::yaml::{self, Event, Span};

use crate::alloy::{self, Expr, Stmt};

/// One value of a rendered file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub path: String,
    /// The scalar (unquoted and unescaped), `{}` or `[]`, or an Alloy expression as written.
    pub text: String,
    /// 1-based; `end_line` is the last line the value is written on.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
}

/// A mapping, sequence or block, with the line its key (or header) is on, so that `FILE:LINE`
/// on a line that holds only a key explains every value below it.
#[derive(Clone, Debug)]
pub struct Container {
    pub path: String,
    pub line: usize,
}

/// The values of a file, in file order.
#[derive(Clone, Debug, Default)]
pub struct Values {
    pub values: Vec<Value>,
    pub containers: Vec<Container>,
}

/// How a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Alloy,
    /// Markdown, SVG, the manifest: compared line by line only.
    Text,
}

pub fn format_of(path: &str) -> Format {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("yaml" | "yml" | "json") => Format::Yaml,
        Some("alloy") => Format::Alloy,
        _ => Format::Text,
    }
}

/// The values of a file, or `None` for a text format or a file that does not parse.
pub fn read(path: &str, text: &str) -> Option<Values> {
    match format_of(path) {
        Format::Yaml => read_yaml(text),
        Format::Alloy => read_alloy(text),
        Format::Text => None,
    }
}

/// A YAML key as a path segment: bare when it is made only of ASCII letters, digits, `_` and
/// `-`, else a JSON string.
pub fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        serde_json::Value::String(key.to_owned()).to_string()
    }
}

fn child_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key_segment(key)
    } else {
        format!("{path}.{}", key_segment(key))
    }
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        children: usize,
        line: usize,
        column: usize,
    },
    Seq {
        path: String,
        index: usize,
        line: usize,
        column: usize,
    },
}

struct YamlReader {
    values: Values,
    stack: Vec<Frame>,
    documents: usize,
    /// The line of the key the next collection is the value of.
    key_line: Option<usize>,
}

impl YamlReader {
    /// The path of the value that comes next, or `None` when a mapping key comes next.
    fn next_path(&self) -> Option<String> {
        match self.stack.last() {
            None => Some(format!("#{}", self.documents - 1)),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map {
                path,
                key: Some(key),
                ..
            }) => Some(child_key(path, key)),
            Some(Frame::Seq { path, index, .. }) => Some(format!("{path}[{index}]")),
        }
    }

    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, children, .. }) => {
                *key = None;
                *children += 1;
            }
            Some(Frame::Seq { index, .. }) => *index += 1,
            None => {}
        }
    }

    fn scalar(&mut self, text: &str, block: bool, span: Span) {
        let Some(path) = self.next_path() else {
            if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                *key = Some(text.to_owned());
            }
            self.key_line = Some(span.start_line);
            return;
        };
        // A block scalar (`|`, `>`) starts on the line of its indicator, before its content.
        self.push_value(path, text.to_owned(), span, usize::from(block));
        self.advance();
    }

    fn push_value(&mut self, path: String, text: String, span: Span, lines_before: usize) {
        let line = span.start_line;
        // A block scalar's span ends at the start of the line after it.
        let end_line = if span.end_column == 0 && span.end_line > line {
            span.end_line - 1
        } else {
            span.end_line.max(line)
        };
        self.values.values.push(Value {
            path,
            text,
            line: line.saturating_sub(lines_before).max(1),
            column: span.start_column + 1,
            end_line,
        });
        self.key_line = None;
    }

    fn start(&mut self, span: Span, sequence: bool) -> Option<()> {
        let path = self.next_path()?;
        let line = self.key_line.take().unwrap_or(span.start_line);
        self.values.containers.push(Container {
            path: path.clone(),
            line,
        });
        let (line, column) = (span.start_line, span.start_column + 1);
        self.stack.push(if sequence {
            Frame::Seq {
                path,
                index: 0,
                line,
                column,
            }
        } else {
            Frame::Map {
                path,
                key: None,
                children: 0,
                line,
                column,
            }
        });
        Some(())
    }

    fn end(&mut self) {
        let empty = match self.stack.pop() {
            Some(Frame::Map {
                path,
                children: 0,
                line,
                column,
                ..
            }) => Some((path, "{}", line, column)),
            Some(Frame::Seq {
                path,
                index: 0,
                line,
                column,
            }) => Some((path, "[]", line, column)),
            _ => None,
        };
        if let Some((path, text, line, column)) = empty {
            self.values.values.push(Value {
                path,
                text: text.to_owned(),
                line,
                column,
                end_line: line,
            });
        }
        self.advance();
    }
}

fn read_yaml(text: &str) -> Option<Values> {
    let mut reader = YamlReader {
        values: Values::default(),
        stack: Vec::new(),
        documents: 0,
        key_line: None,
    };
    for event in yaml::events(text) {
        let (event, span) = event.ok()?;
        match event {
            Event::DocumentStart => reader.documents += 1,
            Event::Scalar { text, block } => reader.scalar(&text, block, span),
            // lgtmc writes no anchors; an alias is still a value, named as written.
            Event::Alias(id) => reader.scalar(&format!("*{id}"), false, span),
            // A collection as a mapping key: lgtmc writes none, and the path syntax has no
            // spelling for it.
            Event::MappingStart => reader.start(span, false)?,
            Event::SequenceStart => reader.start(span, true)?,
            Event::End => reader.end(),
        }
    }
    let mut values = reader.values;
    if reader.documents == 1 {
        for value in &mut values.values {
            value.path = strip_document(&value.path);
        }
        for container in &mut values.containers {
            container.path = strip_document(&container.path);
        }
    }
    Some(values)
}

fn strip_document(path: &str) -> String {
    let rest = path.strip_prefix("#0").unwrap_or(path);
    rest.strip_prefix('.').unwrap_or(rest).to_owned()
}

/// Byte offset → 1-based line and column (in characters).
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { text, starts }
    }

    fn at(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|start| *start <= offset);
        let start = self.starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, column)
    }
}

struct AlloyReader<'t> {
    lines: Lines<'t>,
    values: Values,
}

fn read_alloy(text: &str) -> Option<Values> {
    let file = alloy::parse(text).ok()?;
    let mut reader = AlloyReader {
        lines: Lines::new(text),
        values: Values::default(),
    };
    reader.body(&file.body, "");
    Some(reader.values)
}

/// A block's segment: its dotted name and its label.
fn block_segment(name: &[String], label: Option<&str>) -> String {
    let name = name.join(".");
    match label {
        Some(label) => format!("{name} {}", serde_json::Value::String(label.to_owned())),
        None => name,
    }
}

fn join_alloy(path: &str, segment: &str) -> String {
    if path.is_empty() {
        segment.to_owned()
    } else {
        format!("{path} / {segment}")
    }
}

impl AlloyReader<'_> {
    fn body(&mut self, body: &[Stmt], path: &str) {
        let segments: Vec<Option<String>> = body
            .iter()
            .map(|stmt| match stmt {
                Stmt::Block { name, label, .. } => Some(block_segment(name, label.as_deref())),
                Stmt::Attribute { .. } => None,
            })
            .collect();
        for (position, stmt) in body.iter().enumerate() {
            match stmt {
                Stmt::Attribute { name, value, .. } => {
                    self.expr(value, &join_alloy(path, name));
                }
                Stmt::Block { body, span, .. } => {
                    let segment = segments[position].clone().unwrap_or_default();
                    let same = |s: &Option<String>| s.as_deref() == Some(segment.as_str());
                    let segment = if segments.iter().filter(|s| same(s)).count() > 1 {
                        let index = segments[..position].iter().filter(|s| same(s)).count();
                        format!("{segment}[{index}]")
                    } else {
                        segment
                    };
                    let block_path = join_alloy(path, &segment);
                    let (line, _) = self.lines.at(span.start);
                    self.values.containers.push(Container {
                        path: block_path.clone(),
                        line,
                    });
                    self.body(body, &block_path);
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr, path: &str) {
        let span = expr.span();
        let (line, column) = self.lines.at(span.start);
        match expr {
            Expr::Array { elements, .. } if !elements.is_empty() => {
                self.container(path, line);
                for (index, element) in elements.iter().enumerate() {
                    self.expr(element, &format!("{path}[{index}]"));
                }
            }
            Expr::Object { fields, .. } if !fields.is_empty() => {
                self.container(path, line);
                for field in fields {
                    self.expr(&field.value, &format!("{path}.{}", key_segment(&field.key)));
                }
            }
            _ => {
                let text = match expr {
                    Expr::String { value, .. } => value.clone(),
                    _ => self
                        .lines
                        .text
                        .get(span.start..span.end)
                        .unwrap_or_default()
                        .to_owned(),
                };
                let (end_line, _) = self.lines.at(span.end.saturating_sub(1).max(span.start));
                self.values.values.push(Value {
                    path: path.to_owned(),
                    text,
                    line,
                    column,
                    end_line,
                });
            }
        }
    }

    fn container(&mut self, path: &str, line: usize) {
        self.values.containers.push(Container {
            path: path.to_owned(),
            line,
        });
    }
}

/// The canonical spelling of a path a user typed, for the file's format: YAML segments re-quoted
/// only where the syntax needs it; Alloy segments trimmed and joined with ` / `. `None` when the
/// path does not parse.
pub fn canonical(format: Format, query: &str) -> Option<String> {
    match format {
        Format::Yaml => canonical_yaml(query),
        Format::Alloy => Some(canonical_alloy(query)),
        Format::Text => None,
    }
}

fn canonical_yaml(query: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = query.trim().chars().peekable();
    let mut key = String::new();
    let mut expect_key = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if key.is_empty() && expect_key => {
                let mut literal = String::from('"');
                let mut escaped = false;
                loop {
                    let c = chars.next()?;
                    literal.push(c);
                    match (escaped, c) {
                        (false, '\\') => escaped = true,
                        (false, '"') => break,
                        _ => escaped = false,
                    }
                }
                let key: String = serde_json::from_str(&literal).ok()?;
                push_key(&mut out, &key, true);
                expect_key = false;
            }
            '.' => {
                if !key.is_empty() {
                    push_key(&mut out, &std::mem::take(&mut key), false);
                } else if expect_key && !out.ends_with(']') {
                    return None;
                }
                expect_key = true;
            }
            '[' => {
                if !key.is_empty() {
                    push_key(&mut out, &std::mem::take(&mut key), false);
                }
                let mut digits = String::new();
                loop {
                    match chars.next()? {
                        ']' => break,
                        d if d.is_ascii_digit() => digits.push(d),
                        _ => return None,
                    }
                }
                let index: usize = digits.parse().ok()?;
                out.push_str(&format!("[{index}]"));
                expect_key = false;
            }
            c => {
                if !expect_key && key.is_empty() {
                    return None;
                }
                key.push(c);
            }
        }
    }
    if !key.is_empty() {
        push_key(&mut out, &key, false);
    }
    Some(out)
}

fn push_key(out: &mut String, key: &str, quoted: bool) {
    let document = !quoted
        && out.is_empty()
        && key
            .strip_prefix('#')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if !out.is_empty() {
        out.push('.');
    }
    if document {
        out.push_str(key);
    } else {
        out.push_str(&key_segment(key));
    }
}

fn canonical_alloy(query: &str) -> String {
    let mut segments = Vec::new();
    let mut segment = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in query.chars() {
        match c {
            '/' if !quoted => segments.push(std::mem::take(&mut segment)),
            '"' if !escaped => {
                quoted = !quoted;
                segment.push(c);
            }
            c => {
                escaped = quoted && c == '\\' && !escaped;
                segment.push(c);
            }
        }
    }
    segments.push(segment);
    segments
        .iter()
        .map(|segment| collapse_spaces(segment.trim()))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// One space between a block's name and its label.
fn collapse_spaces(segment: &str) -> String {
    match segment.split_once('"') {
        Some((name, label)) => format!("{} \"{label}", name.trim_end()),
        None => segment.to_owned(),
    }
}

#[cfg(test)]
mod tests;
