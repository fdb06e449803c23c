//! The fastest path of `documents`: a reader of the small block-YAML subset lgtmc's templates
//! render (indented maps and sequences, plain and double-quoted scalars, full-line comments,
//! `---` between documents), without a YAML parser. At 2,000 tenants `verify` reads 6,000 such
//! files back, and libyaml's scanner was most of that time even without the intermediate tree
//! (issue 14).
//!
//! Besides block maps and sequences it reads the flow collections and single-quoted scalars
//! the values files and the Grafana kustomization write on one line (`files: ["a", "b"]`,
//! `options: {labels: { "k": "v" }}`, `port: '3200'`), so that no rendered file needs libyaml.
//!
//! It is deliberately narrow, and gives up (`None`) at the first thing outside the subset, so
//! the caller reads the text by the deserializer instead: any byte that is not printable ASCII or
//! `\n` (tabs, `\r`, a BOM, U+2028), trailing spaces, a flow collection that spans lines, holds
//! a pair without braces (`[a: b]`), an empty entry or a trailing comma, a key not followed by
//! `: `, or a plain scalar of more than one word or of anything but letters, digits and `_-./+`,
//! block scalars, anchors, aliases, tags, directives, `...`, an inline comment, a plain scalar
//! that could continue on the next line or holds `#`, `: `, a flow indicator or a quote, an
//! escape other than JSON's (or a surrogate, which libyaml refuses), a key that is not a string
//! or is longer than 512 bytes, a duplicate key, a top-level node that is not at column 0 or is
//! a scalar, nesting deeper than 100, and anything that is not valid YAML. Within the subset a
//! line means one thing in YAML, and the differential tests (`yaml/tests.rs`) hold it to the
//! reference path.
//!
//! **Invariant:** `documents(text)` is `Some` only with the reference path's `Ok` value.

use serde_json::{Map, Value, map::Entry};

use super::scalar::resolve_plain;

/// Every document of `text`, or `None` where the deserializer must decide.
pub(super) fn documents(text: &str) -> Option<Vec<Value>> {
    if !text
        .bytes()
        .all(|byte| byte == b'\n' || (b' '..=b'~').contains(&byte))
    {
        return None;
    }
    let mut segments = vec![Vec::new()];
    let mut separators = 0;
    for line in text.lines() {
        if line.ends_with(' ') || line.starts_with("...") || line.starts_with('%') {
            return None;
        }
        if line == "---" {
            segments.push(Vec::new());
            separators += 1;
            continue;
        }
        if line.starts_with("---") {
            return None;
        }
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let last = segments.last_mut()?;
        last.push(Line {
            indent: line.len() - content.len(),
            content,
        });
    }
    // libyaml starts no document before the first `---` unless something precedes it.
    if separators > 0 && segments[0].is_empty() {
        segments.remove(0);
    }
    segments
        .into_iter()
        .map(|lines| {
            if lines.is_empty() {
                return Some(Value::Null);
            }
            if lines[0].indent != 0 {
                return None;
            }
            let mut reader = Reader { lines, pos: 0 };
            let value = reader.node(0, 0)?;
            (reader.pos == reader.lines.len()).then_some(value)
        })
        .collect()
}

/// Deeper than this, the deserializer decides (it refuses more than 128 levels).
const MAX_DEPTH: usize = 100;

/// A line with content: its indentation in spaces and the rest.
#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    content: &'a str,
}

impl Line<'_> {
    fn is_item(&self) -> bool {
        self.content == "-" || self.content.starts_with("- ")
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// The block node starting at the current line, which is at `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if self.peek()?.is_item() {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    /// The value after `key:` or `-` with nothing else on its line: a deeper block, an
    /// indentless sequence (after a key, at the key's indentation), or null.
    fn nested(&mut self, indent: usize, depth: usize, after_key: bool) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent, depth + 1),
            Some(next) if after_key && next.indent == indent && next.is_item() => {
                self.sequence(indent, depth + 1)
            }
            _ => Some(Value::Null),
        }
    }

    /// A scalar ends its node: a deeper line after it would continue it, or be an error.
    fn after_scalar(&self, indent: usize) -> Option<()> {
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(()),
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !line.is_item()) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            self.pos += 1;
            let Some(rest) = line.content.strip_prefix("- ") else {
                items.push(self.nested(indent, depth, false)?);
                continue;
            };
            if rest.starts_with([' ', '-']) {
                return None;
            }
            if entry(rest)?.is_some() {
                // `- key: value` opens a mapping at the key's column.
                self.pos -= 1;
                self.lines[self.pos] = Line {
                    indent: indent + 2,
                    content: rest,
                };
                items.push(self.mapping(indent + 2, depth + 1)?);
            } else {
                items.push(scalar_at(rest, depth + 1)?);
                self.after_scalar(indent)?;
            }
        }
        Some(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some(line) = self.peek() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || line.is_item() {
                return None;
            }
            self.pos += 1;
            let (key, rest) = entry(line.content)??;
            let value = if rest.is_empty() {
                self.nested(indent, depth, true)?
            } else {
                let value = scalar_at(rest, depth + 1)?;
                self.after_scalar(indent)?;
                value
            };
            match map.entry(key) {
                Entry::Occupied(_) => return None,
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            }
        }
        Some(Value::Object(map))
    }
}

/// A line's content as a map entry: `Some(Some((key, value text)))` (the text empty after a bare
/// `key:`), `Some(None)` if it is a scalar, `None` outside the subset.
fn entry(content: &str) -> Option<Option<(String, &str)>> {
    // A flow collection: a scalar to the caller, which reads it whole (one used as a key,
    // `[a]: b`, has text after it, and the caller gives up).
    if content.starts_with(['[', '{']) {
        return Some(None);
    }
    let (key, after) = if content.starts_with('"') {
        let (key, after) = quoted(content)?;
        if after.is_empty() {
            return Some(None);
        }
        // libyaml looks for an implicit key's `:` only so far (1,024 characters).
        if content.len() - after.len() > MAX_KEY {
            return None;
        }
        (key, after.strip_prefix(':')?)
    } else {
        let bytes = content.as_bytes();
        let Some(colon) = (0..bytes.len())
            .find(|&at| bytes[at] == b':' && matches!(bytes.get(at + 1), None | Some(b' ')))
        else {
            return Some(None);
        };
        let key = &content[..colon];
        let plain_key = key.len() <= MAX_KEY
            && key.starts_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.'))
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'));
        if !plain_key {
            return None;
        }
        match resolve_plain(key)? {
            Value::String(key) => (key, &content[colon + 1..]),
            _ => return None,
        }
    };
    if key == "<<" {
        return None;
    }
    match after.strip_prefix(' ') {
        Some(value) if !value.is_empty() && !value.starts_with(' ') => Some(Some((key, value))),
        None if after.is_empty() => Some(Some((key, ""))),
        _ => None,
    }
}

/// A scalar that is all of `text`: double- or single-quoted, plain, or a flow collection.
#[cfg(test)]
pub(super) fn scalar(text: &str) -> Option<Value> {
    scalar_at(text, 0)
}

/// `scalar`, for a node at `depth` (a flow collection's levels count on from there).
fn scalar_at(text: &str, depth: usize) -> Option<Value> {
    match text.as_bytes().first()? {
        b'"' => {
            let (string, after) = quoted(text)?;
            return after.is_empty().then_some(Value::String(string));
        }
        b'\'' => {
            let (string, after) = single_quoted(text)?;
            return after.is_empty().then_some(Value::String(string));
        }
        b'[' | b'{' => {
            let mut flow = Flow { rest: text };
            let value = flow.node(depth)?;
            return flow.rest.is_empty().then_some(value);
        }
        _ => {}
    }
    let first = text.chars().next()?;
    let starts_plain = first.is_ascii_alphanumeric()
        || matches!(first, '_' | '/' | '.' | '$' | '(' | '+' | '~')
        || (first == '-' && text.as_bytes().get(1).is_some_and(|&b| b != b' '));
    // One pass over the bytes: no `#`, flow indicator or quote, no `: `, no `:` at the end.
    let bytes = text.as_bytes();
    let inside_plain = bytes.iter().enumerate().all(|(at, &byte)| match byte {
        b'#' | b'[' | b']' | b'{' | b'}' | b',' | b'"' | b'\'' => false,
        b':' => matches!(bytes.get(at + 1), Some(&next) if next != b' '),
        _ => true,
    });
    if starts_plain && inside_plain {
        resolve_plain(text)
    } else {
        None
    }
}

/// Keys longer than this (in the text) are left to the deserializer: libyaml looks for an
/// implicit key's `:` only within 1,024 characters.
const MAX_KEY: usize = 512;

/// A flow collection on one line (`[a, "b"]`, `{k: v, "k2": [1]}`), read from `rest`, which
/// ends with it or with what follows it.
struct Flow<'a> {
    rest: &'a str,
}

impl Flow<'_> {
    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start_matches(' ');
    }

    /// Consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        match self.rest.strip_prefix(char::from(byte)) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn node(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.rest.as_bytes().first()? {
            b'[' => self.sequence(depth),
            b'{' => self.mapping(depth),
            b'"' => {
                let (string, after) = quoted(self.rest)?;
                self.rest = after;
                Some(Value::String(string))
            }
            b'\'' => {
                let (string, after) = single_quoted(self.rest)?;
                self.rest = after;
                Some(Value::String(string))
            }
            _ => resolve_plain(self.plain()?),
        }
    }

    /// After an entry: `,` and the next entry, or the closing bracket (`true`).
    fn after_entry(&mut self, close: u8) -> Option<bool> {
        self.skip_spaces();
        if self.eat(close) {
            return Some(true);
        }
        if !self.eat(b',') {
            return None;
        }
        self.skip_spaces();
        // An empty entry or a trailing comma: left to the deserializer.
        (!self.rest.starts_with([',', ']', '}'])).then_some(false)
    }

    fn sequence(&mut self, depth: usize) -> Option<Value> {
        self.eat(b'[');
        self.skip_spaces();
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.node(depth + 1)?);
            // `[a: b]` (a pair in a sequence) fails here, at the `:`.
            if self.after_entry(b']')? {
                return Some(Value::Array(items));
            }
        }
    }

    fn mapping(&mut self, depth: usize) -> Option<Value> {
        self.eat(b'{');
        self.skip_spaces();
        let mut map = Map::new();
        if self.eat(b'}') {
            return Some(Value::Object(map));
        }
        loop {
            let before = self.rest.len();
            let key = if self.rest.starts_with('"') {
                let (key, after) = quoted(self.rest)?;
                self.rest = after;
                key
            } else {
                match resolve_plain(self.plain()?)? {
                    Value::String(key) => key,
                    _ => return None,
                }
            };
            if before - self.rest.len() > MAX_KEY || key == "<<" {
                return None;
            }
            self.rest = self.rest.strip_prefix(": ")?;
            self.skip_spaces();
            let value = self.node(depth + 1)?;
            match map.entry(key) {
                Entry::Occupied(_) => return None,
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            }
            if self.after_entry(b'}')? {
                return Some(Value::Object(map));
            }
        }
    }

    /// A plain scalar of one word of letters, digits and `_-./+`, not starting with `-` or `+`
    /// unless a digit or `.` follows; it must end the collection, the entry or the key.
    fn plain(&mut self) -> Option<&str> {
        let end = self
            .rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+'))
            })
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        let mut bytes = word.bytes();
        let starts = match bytes.next()? {
            b'-' | b'+' => bytes
                .next()
                .is_some_and(|b| b.is_ascii_digit() || b == b'.'),
            _ => true,
        };
        if !starts || !(rest.is_empty() || rest.starts_with([' ', ',', ']', '}', ':'])) {
            return None;
        }
        self.rest = rest;
        Some(word)
    }
}

/// A single-quoted string at the start of `text` (`''` is a quote; nothing else is escaped),
/// and what follows it.
fn single_quoted(text: &str) -> Option<(String, &str)> {
    let mut body = text.strip_prefix('\'')?;
    let mut string = String::new();
    loop {
        let at = body.find('\'')?;
        string.push_str(&body[..at]);
        body = &body[at + 1..];
        match body.strip_prefix('\'') {
            Some(rest) => {
                string.push('\'');
                body = rest;
            }
            None => return Some((string, body)),
        }
    }
}

/// A double-quoted string at the start of `text` with JSON's escapes only, and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut string = String::new();
    let mut rest = body;
    loop {
        // Runs without an escape are copied whole.
        let at = rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        string.push_str(&rest[..at]);
        let (marker, after) = (rest.as_bytes()[at], &rest[at + 1..]);
        if marker == b'"' {
            return Some((string, after));
        }
        let escaped = match after.as_bytes().first()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = after.get(1..5)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                // A surrogate is `None` here, and an error to libyaml.
                string.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                rest = &after[5..];
                continue;
            }
            _ => return None,
        };
        string.push(escaped);
        rest = &after[1..];
    }
}
