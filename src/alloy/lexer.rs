//! The lexer of Alloy syntax: tokens, string escapes, and the terminators that upstream's
//! scanner (`syntax/scanner`, v1.18) inserts at a newline after the same tokens.

use super::{BinaryOp, Span, is_ident_continue, is_ident_start};

pub(super) type Diag = (String, Span);

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Number(String, bool),
    /// Unescaped value, and whether it was a backtick string.
    Str(String, bool),
    Bool(bool),
    Null,
    Punct(char),
    Bin(BinaryOp),
    Terminator,
    Illegal,
    Eof,
}

impl Tok {
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("identifier {name:?}"),
            Tok::Number(..) => "number".into(),
            Tok::Str(..) => "string".into(),
            Tok::Bool(b) => b.to_string(),
            Tok::Null => "null".into(),
            Tok::Punct(c) => format!("\"{c}\""),
            Tok::Bin(op) => format!("\"{}\"", op.symbol()),
            Tok::Terminator => "newline".into(),
            Tok::Illegal => "illegal token".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) span: Span,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Upstream's `insertTerm`: the next newline ends a statement.
    insert_term: bool,
    tokens: Vec<Token>,
    errors: Vec<Diag>,
}

pub(super) fn lex(src: &str) -> (Vec<Token>, Vec<Diag>) {
    let (tokens, errors) = (Vec::new(), Vec::new());
    let mut lx = Lexer {
        src,
        pos: 0,
        insert_term: false,
        tokens,
        errors,
    };
    lx.eat('\u{feff}');
    loop {
        lx.skip_trivia();
        let start = lx.pos;
        let Some(c) = lx.bump() else {
            if lx.insert_term {
                lx.push(Tok::Terminator, start);
            }
            lx.push(Tok::Eof, start);
            return (lx.tokens, lx.errors);
        };
        let kept = lx.insert_term;
        let kind = lx.token(c, start);
        lx.insert_term = match kind {
            Tok::Ident(_) | Tok::Number(..) | Tok::Str(..) | Tok::Bool(_) | Tok::Null => true,
            Tok::Punct(p) => matches!(p, '}' | ')' | ']'),
            // A stray character must not change where the statement ends.
            Tok::Illegal => c == '\'' || kept,
            _ => false,
        };
        lx.push(kind, start);
    }
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.bump();
        }
        hit
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn push(&mut self, kind: Tok, start: usize) {
        let span = Span::new(start, self.pos);
        self.tokens.push(Token { kind, span });
    }

    fn error(&mut self, message: impl Into<String>, start: usize) {
        self.errors
            .push((message.into(), Span::new(start, self.pos.max(start))));
    }

    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c == '\n' {
                self.bump();
                if std::mem::take(&mut self.insert_term) {
                    self.push(Tok::Terminator, start);
                }
            } else if matches!(c, ' ' | '\t' | '\r') {
                self.bump();
            } else if self.rest().starts_with("//") {
                self.pos += self.rest().find('\n').unwrap_or(self.rest().len());
            } else if self.rest().starts_with("/*") {
                let Some(len) = self.rest().get(2..).and_then(|r| r.find("*/")) else {
                    self.pos = self.src.len();
                    return self.error("block comment not terminated", start);
                };
                let comment = self.rest().get(..len + 4).unwrap_or_default();
                self.pos += comment.len();
                // A comment spanning lines ends the statement just like the newline would.
                if comment.contains('\n') && std::mem::take(&mut self.insert_term) {
                    let span = Span::new(start, start);
                    self.tokens.push(Token {
                        kind: Tok::Terminator,
                        span,
                    });
                }
            } else {
                return;
            }
        }
    }

    fn token(&mut self, c: char, start: usize) -> Tok {
        if is_ident_start(c) {
            while self.peek().is_some_and(is_ident_continue) {
                self.bump();
            }
            return match self.src.get(start..self.pos).unwrap_or_default() {
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                "null" => Tok::Null,
                name => Tok::Ident(name.to_owned()),
            };
        }
        if c.is_ascii_digit() || (c == '.' && self.peek().is_some_and(|d| d.is_ascii_digit())) {
            return self.number(start, c == '.');
        }
        let here = self.src.get(start..).unwrap_or_default();
        if let Some(op) = BinaryOp::ALL
            .into_iter()
            .find(|op| here.starts_with(op.symbol()))
        {
            self.pos = start + op.symbol().len();
            return Tok::Bin(op);
        }
        match c {
            '"' => Tok::Str(self.string(start, '"'), false),
            '`' => match self.rest().split_once('`') {
                Some((value, _)) => {
                    let value = value.to_owned();
                    self.pos += value.len() + 1;
                    Tok::Str(value, true)
                }
                None => {
                    self.pos = self.src.len();
                    self.error("raw string literal not terminated", start);
                    Tok::Str(String::new(), true)
                }
            },
            '\'' => {
                self.string(start, '\'');
                self.error("illegal single-quoted string; use double quotes", start);
                Tok::Illegal
            }
            '|' => self.lone(start, "missing second | in ||", BinaryOp::Or),
            '&' => self.lone(start, "missing second & in &&", BinaryOp::And),
            '{' | '}' | '(' | ')' | '[' | ']' | ',' | '.' | '=' | '!' => Tok::Punct(c),
            other => {
                let hint = if other == '#' {
                    "; comments start with // or /*"
                } else {
                    ""
                };
                self.error(format!("illegal character {other:?}{hint}"), start);
                Tok::Illegal
            }
        }
    }

    fn lone(&mut self, start: usize, message: &str, op: BinaryOp) -> Tok {
        self.error(message, start);
        Tok::Bin(op)
    }

    fn digits(&mut self) -> usize {
        let before = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        self.pos - before
    }

    fn number(&mut self, start: usize, leading_dot: bool) -> Tok {
        self.digits();
        let mut float = leading_dot || self.eat('.');
        if float && !leading_dot {
            self.digits();
        }
        if self.eat('e') || self.eat('E') {
            float = true;
            let _ = self.eat('+') || self.eat('-');
            if self.digits() == 0 {
                self.error("exponent has no digits", start);
            }
        }
        Tok::Number(
            self.src.get(start..self.pos).unwrap_or_default().to_owned(),
            float,
        )
    }

    fn string(&mut self, start: usize, quote: char) -> String {
        let mut value = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => self.error("string literal not terminated", start),
                Some('\n') => {
                    self.pos = at;
                    let msg = "newline in string literal; write \\n or use a raw `...` string";
                    self.error(msg, start);
                }
                Some(c) if c == quote => {}
                Some('\\') => {
                    self.escape(&mut value, at);
                    continue;
                }
                Some(c) => {
                    value.push(c);
                    continue;
                }
            }
            return value;
        }
    }

    /// Exactly the escapes of upstream `scanEscape`; on error the offending character is
    /// left unconsumed, as upstream does, so the string still ends at its closing quote.
    fn escape(&mut self, out: &mut String, backslash: usize) {
        let simple = match self.peek() {
            Some('a') => '\u{7}',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('v') => '\u{b}',
            Some(c @ ('\\' | '"')) => c,
            Some(c @ ('0'..='7' | 'x' | 'u' | 'U')) => return self.numeric(out, backslash, c),
            Some(c) if c != '\n' => {
                self.bump();
                let msg = if c == '\'' {
                    "unknown escape sequence \"\\'\"; a single quote needs no escape".to_owned()
                } else {
                    format!(
                        "unknown escape sequence \"\\{c}\"; write \"\\\\\" for a literal backslash"
                    )
                };
                return self.error(msg, backslash);
            }
            _ => return self.error("escape sequence not terminated", backslash),
        };
        self.bump();
        out.push(simple);
    }

    fn numeric(&mut self, out: &mut String, backslash: usize, kind: char) {
        let (digits, base, max) = match kind {
            'x' => (2, 16, 0xFF),
            'u' => (4, 16, 0x10_FFFF),
            'U' => (8, 16, 0x10_FFFF),
            _ => (3, 8, 0xFF),
        };
        if matches!(kind, 'x' | 'u' | 'U') {
            self.bump();
        }
        let mut x: u32 = 0;
        for _ in 0..digits {
            match self.peek() {
                Some(c) if c.is_digit(base) => {
                    let d = c.to_digit(base).unwrap_or(0);
                    x = x.saturating_mul(base).saturating_add(d);
                    self.bump();
                }
                Some(c) if c != '\n' => {
                    let msg = format!("illegal character {c:?} in escape sequence");
                    return self.error(msg, backslash);
                }
                _ => return self.error("escape sequence not terminated", backslash),
            }
        }
        // Byte escapes decode as Latin-1; upstream keeps a raw byte, which only differs
        // for non-UTF-8 payloads that `lgtmc` never emits.
        let byte = u8::try_from(x).ok().map(char::from);
        match if max == 0xFF { byte } else { char::from_u32(x) } {
            Some(ch) if x <= max => out.push(ch),
            _ => self.error("escape sequence is invalid Unicode code point", backslash),
        }
    }
}
