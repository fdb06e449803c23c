//! Lexer and recursive-descent parser for Alloy syntax (syntax errors only).
//!
//! It mirrors the v1.18 scanner and parser (`syntax/scanner`, `syntax/parser`): newlines
//! become terminators after the same tokens, so "one statement per line" and "trailing comma
//! before a newline" fall out of the grammar exactly as upstream enforces them.

use super::{
    AlloyError, BinaryOp, Expr, File, ObjectField, Span, Stmt, UnaryOp, is_ident_continue,
    is_ident_start, line_col,
};

/// Far deeper than any real config; shallow enough that hostile input cannot blow the stack
/// while parsing, walking or dropping the AST.
const MAX_DEPTH: usize = 128;

type Diag = (String, Span);

#[derive(Debug, Clone, PartialEq)]
enum Tok {
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
    fn describe(&self) -> String {
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
struct Token {
    kind: Tok,
    span: Span,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Upstream's `insertTerm`: the next newline ends a statement.
    insert_term: bool,
    tokens: Vec<Token>,
    errors: Vec<Diag>,
}

fn lex(src: &str) -> (Vec<Token>, Vec<Diag>) {
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

/// Parse `source` into a [`File`], collecting every syntax error that recovery allows.
pub fn parse(source: &str) -> Result<File, Vec<AlloyError>> {
    let (tokens, mut diags) = lex(source);
    let error_lines = diags
        .iter()
        .map(|(_, s)| line_col(source, s.start).0)
        .collect();
    let eof = Token {
        kind: Tok::Eof,
        span: Span::new(source.len(), source.len()),
    };
    let mut p = Parser {
        src: source,
        tokens,
        pos: 0,
        depth: 0,
        errors: Vec::new(),
        error_lines,
        resync: false,
        eof,
    };
    let body = p.parse_body(false);
    diags.extend(p.errors);
    if diags.is_empty() {
        return Ok(File::new(body, source));
    }
    diags.sort_by_key(|(_, span)| span.start);
    diags.dedup_by_key(|(_, span)| span.start);
    Err(diags
        .into_iter()
        .map(|(m, s)| AlloyError::new(source, m, s))
        .collect())
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    errors: Vec<Diag>,
    /// Lines that already carry an error; like upstream, report at most one per line.
    error_lines: Vec<usize>,
    /// A statement ended without a terminator but the next one is already in view.
    resync: bool,
    eof: Token,
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    let span = left.span().to(right.span());
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
        span,
    }
}

impl Parser<'_> {
    fn peek_tok(&self, n: usize) -> &Tok {
        &self.tokens.get(self.pos + n).unwrap_or(&self.eof).kind
    }

    fn tok(&self) -> &Tok {
        self.peek_tok(0)
    }

    fn span(&self) -> Span {
        self.tokens.get(self.pos).unwrap_or(&self.eof).span
    }

    fn at(&self, c: char) -> bool {
        *self.tok() == Tok::Punct(c)
    }

    fn next(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn prev_end(&self) -> usize {
        let prev = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i));
        prev.map_or(0, |t| t.span.end)
    }

    fn error_at(&mut self, message: impl Into<String>, span: Span) {
        let line = line_col(self.src, span.start).0;
        if !self.error_lines.contains(&line) {
            self.error_lines.push(line);
            self.errors.push((message.into(), span));
        }
    }

    /// Reports `expected <what>, got <current token>` at the current token.
    fn unexpected(&mut self, what: &str) {
        let message = format!("expected {what}, got {}", self.tok().describe());
        self.error_at(message, self.span());
    }

    /// Counts one level of nesting; past the limit it records an error and jumps to EOF so
    /// that every caller unwinds promptly.
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            self.error_at(
                format!("nesting deeper than {MAX_DEPTH} levels"),
                self.span(),
            );
            self.pos = self.tokens.len().saturating_sub(1);
            return false;
        }
        self.depth += 1;
        true
    }

    /// Consumes the closing `c` and returns where the construct ends.
    fn close(&mut self, c: char) -> usize {
        if self.at(c) {
            let end = self.span().end;
            self.next();
            return end;
        }
        self.unexpected(&format!("\"{c}\""));
        self.prev_end()
    }

    /// Body = [ Statement { terminator Statement } ], up to `}` when `nested`.
    fn parse_body(&mut self, nested: bool) -> Vec<Stmt> {
        let mut body = Vec::new();
        while *self.tok() != Tok::Eof && !(nested && self.at('}')) {
            body.extend(self.parse_statement());
            if std::mem::take(&mut self.resync) {
                continue;
            }
            match self.tok() {
                Tok::Terminator => self.next(),
                Tok::Eof => {}
                Tok::Punct('}') if nested => {}
                _ => {
                    self.unexpected("newline after statement");
                    self.skip_statement();
                    if *self.tok() == Tok::Terminator {
                        self.next();
                    }
                }
            }
        }
        body
    }

    /// Skip to the end of the broken statement, stopping before a `}` that closes the
    /// enclosing block so that block still ends where the author meant it to.
    fn skip_statement(&mut self) {
        let mut open = 0i32;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Terminator | Tok::Punct('}') if open <= 0 => return,
                Tok::Punct('{' | '[' | '(') => open += 1,
                Tok::Punct('}' | ']' | ')') => open -= 1,
                _ => {}
            }
            self.next();
        }
    }

    fn parse_statement(&mut self) -> Option<Stmt> {
        let start = self.span().start;
        let Tok::Ident(first) = self.tok().clone() else {
            self.unexpected("identifier");
            self.next();
            while !matches!(self.tok(), Tok::Ident(_) | Tok::Punct('}') | Tok::Eof) {
                self.next();
            }
            return None;
        };
        self.next();
        let mut name = vec![first];
        while self.at('.') {
            self.next();
            let Tok::Ident(part) = self.tok().clone() else {
                self.unexpected("identifier after \".\"");
                break;
            };
            name.push(part);
            self.next();
        }
        let name_span = Span::new(start, self.prev_end());
        let mut label = None;
        if let Tok::Str(value, raw) = self.tok().clone() {
            if raw {
                self.error_at(
                    "expected block label to be a double quoted string",
                    self.span(),
                );
            }
            label = Some((value, self.span()));
            self.next();
        }
        if self.at('=') {
            if name.len() > 1 {
                let msg = "attribute names may only consist of a single identifier with no \".\"";
                self.error_at(msg, name_span);
            } else if let Some((_, span)) = label {
                self.error_at("attribute names may not have labels", span);
            }
            return Some(self.parse_attribute(start, name.join(".")));
        }
        if !self.at('{') {
            if name.len() == 1 && label.is_none() {
                self.unexpected(&format!("\"=\" or \"{{\" after {:?}", name.join(".")));
            } else {
                self.unexpected("\"{\" after block name");
            }
            return None;
        }
        // Only the error path needs the line: computing it for every block is quadratic.
        let open = self.span().start;
        if !self.enter() {
            return None;
        }
        self.next();
        let body = self.parse_body(true);
        self.depth -= 1;
        if self.at('}') {
            self.next();
        } else {
            let open_line = line_col(self.src, open).0;
            self.unexpected(&format!("\"}}\" to close block opened at line {open_line}"));
        }
        let (label, label_span) = label.unzip();
        let span = Span::new(start, self.prev_end());
        Some(Stmt::Block {
            name,
            label,
            label_span,
            body,
            span,
        })
    }

    fn parse_attribute(&mut self, start: usize, name: String) -> Stmt {
        let assign = self.span();
        self.next();
        // Newlines after "=" are not terminators, so without this check the next
        // statement would be silently taken as the value.
        let gap = self
            .src
            .get(assign.end..self.span().start)
            .unwrap_or_default();
        let next_is_stmt = gap.contains('\n') && self.looks_like_statement();
        if next_is_stmt || matches!(self.tok(), Tok::Terminator | Tok::Punct('}') | Tok::Eof) {
            self.error_at(format!("missing value for attribute {name:?}"), assign);
            self.resync = next_is_stmt;
            let span = Span::new(start, assign.end);
            return Stmt::Attribute {
                name,
                value: Expr::Null { span: assign },
                span,
            };
        }
        let value = self.parse_expression();
        let span = Span::new(start, value.span().end);
        Stmt::Attribute { name, value, span }
    }

    /// `name =`, `name {`, `a.b "label"` ...: the start of a statement, never a whole value.
    fn looks_like_statement(&self) -> bool {
        let mut n = 0;
        while matches!(self.peek_tok(n), Tok::Ident(_)) {
            match self.peek_tok(n + 1) {
                Tok::Punct('.') => n += 2,
                next => return matches!(next, Tok::Punct('=' | '{') | Tok::Str(..)),
            }
        }
        false
    }

    fn parse_expression(&mut self) -> Expr {
        if !self.enter() {
            return Expr::Null { span: self.span() };
        }
        let expr = self.parse_binop(1);
        self.depth -= 1;
        expr
    }

    fn bin_op(&self) -> Option<BinaryOp> {
        match self.tok() {
            Tok::Bin(op) => Some(*op),
            _ => None,
        }
    }

    /// Precedence climbing for the left-associative operators; each operator counts as
    /// nesting because the AST grows one level deeper with it.
    fn parse_binop(&mut self, min_prec: u8) -> Expr {
        let mut lhs = self.parse_pow();
        let mut entered = 0;
        while let Some(op) = self.bin_op() {
            if op == BinaryOp::Pow || op.precedence() < min_prec || !self.enter() {
                break;
            }
            entered += 1;
            self.next();
            let rhs = self.parse_binop(op.precedence() + 1);
            lhs = binary(op, lhs, rhs);
        }
        self.depth -= entered;
        lhs
    }

    fn parse_pow(&mut self) -> Expr {
        let lhs = self.parse_unary();
        if self.bin_op() != Some(BinaryOp::Pow) || !self.enter() {
            return lhs;
        }
        self.next();
        let rhs = self.parse_pow();
        self.depth -= 1;
        binary(BinaryOp::Pow, lhs, rhs)
    }

    fn parse_unary(&mut self) -> Expr {
        let op = match self.tok() {
            Tok::Punct('!') => Some(UnaryOp::Not),
            Tok::Bin(BinaryOp::Sub) => Some(UnaryOp::Neg),
            _ => None,
        };
        if let Some(op) = op {
            let start = self.span();
            if !self.enter() {
                return Expr::Null { span: start };
            }
            self.next();
            let value = Box::new(self.parse_unary());
            self.depth -= 1;
            return Expr::Unary {
                op,
                span: start.to(value.span()),
                value,
            };
        }
        let mut expr = self.parse_primary();
        let mut entered = 0;
        while matches!(self.tok(), Tok::Punct('.' | '[' | '(')) && self.enter() {
            entered += 1;
            let start = expr.span().start;
            let postfix = self.tok().clone();
            self.next();
            let value = Box::new(expr);
            expr = if postfix == Tok::Punct('.') {
                let Tok::Ident(name) = self.tok().clone() else {
                    self.unexpected("identifier after \".\"");
                    expr = *value;
                    break;
                };
                let span = Span::new(start, self.span().end);
                self.next();
                Expr::Access { value, name, span }
            } else if postfix == Tok::Punct('[') {
                let index = Box::new(self.parse_expression());
                let span = Span::new(start, self.close(']'));
                Expr::Index { value, index, span }
            } else {
                let args = self.parse_list(')', "argument list", Self::parse_expression);
                let span = Span::new(start, self.close(')'));
                Expr::Call {
                    callee: value,
                    args,
                    span,
                }
            };
        }
        self.depth -= entered;
        expr
    }

    fn parse_primary(&mut self) -> Expr {
        let span = self.span();
        let expr = match self.tok().clone() {
            Tok::Ident(name) => Expr::Ident { name, span },
            Tok::Number(raw, float) => Expr::Number { raw, float, span },
            Tok::Str(value, raw) => Expr::String { value, raw, span },
            Tok::Bool(value) => Expr::Bool { value, span },
            Tok::Null => Expr::Null { span },
            Tok::Punct(open @ ('(' | '[' | '{')) => {
                self.next();
                return match open {
                    '(' => {
                        let inner = Box::new(self.parse_expression());
                        Expr::Paren {
                            inner,
                            span: Span::new(span.start, self.close(')')),
                        }
                    }
                    '[' => {
                        let elements = self.parse_list(']', "array", Self::parse_expression);
                        Expr::Array {
                            elements,
                            span: Span::new(span.start, self.close(']')),
                        }
                    }
                    _ => {
                        let fields = self.parse_list('}', "object", Self::parse_field);
                        Expr::Object {
                            fields,
                            span: Span::new(span.start, self.close('}')),
                        }
                    }
                };
            }
            _ => {
                self.unexpected("expression");
                while !matches!(
                    self.tok(),
                    Tok::Terminator | Tok::Eof | Tok::Punct(')' | '}' | ']' | ',')
                ) {
                    self.next();
                }
                return Expr::Null { span };
            }
        };
        self.next();
        expr
    }

    /// Comma-separated items up to `until`; a newline before the closing bracket needs a
    /// trailing comma, as upstream requires.
    fn parse_list<T>(
        &mut self,
        until: char,
        what: &str,
        mut item: impl FnMut(&mut Self) -> T,
    ) -> Vec<T> {
        let mut items = Vec::new();
        while !self.at(until) && *self.tok() != Tok::Eof {
            items.push(item(self));
            if self.at(until) {
                break;
            }
            if *self.tok() == Tok::Terminator {
                let msg =
                    format!("missing ',' in {what}; a trailing comma is required before a newline");
                self.error_at(msg, self.span());
            } else if !self.at(',') {
                self.unexpected(&format!("',' in {what}"));
            }
            self.next();
        }
        items
    }

    fn parse_field(&mut self) -> ObjectField {
        let start = self.span().start;
        let (key, quoted) = match self.tok().clone() {
            Tok::Ident(key) => (key, false),
            Tok::Str(key, _) => (key, true),
            _ => {
                self.unexpected("field name (string or identifier)");
                (String::new(), false)
            }
        };
        if matches!(self.tok(), Tok::Ident(_) | Tok::Str(..)) {
            self.next();
        }
        if self.at('=') {
            self.next();
        } else {
            self.unexpected("\"=\" after field name");
        }
        let value = self.parse_expression();
        let span = Span::new(start, value.span().end);
        ObjectField {
            key,
            quoted,
            value,
            span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = include_str!("testdata/valid.alloy");

    fn errors(src: &str) -> Vec<String> {
        let errs = parse(src).expect_err("expected a syntax error");
        errs.iter().map(ToString::to_string).collect()
    }

    fn attr<'a>(body: &'a [Stmt], key: &str) -> &'a Expr {
        let found = body.iter().find_map(|s| match s {
            Stmt::Attribute { name, value, .. } if name == key => Some(value),
            _ => None,
        });
        found.unwrap_or_else(|| panic!("no attribute {key}"))
    }

    /// Bodies of all blocks called `dotted`, in order.
    fn blocks<'a>(body: &'a [Stmt], dotted: &str) -> Vec<&'a [Stmt]> {
        let matching = body.iter().filter_map(|s| match s {
            Stmt::Block { name, body, .. } if name.join(".") == dotted => Some(body.as_slice()),
            _ => None,
        });
        matching.collect()
    }

    fn string(expr: &Expr) -> (&str, bool) {
        match expr {
            Expr::String { value, raw, .. } => (value, *raw),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn fields(expr: &Expr) -> &[ObjectField] {
        match expr {
            Expr::Object { fields, .. } => fields,
            other => panic!("not an object: {other:?}"),
        }
    }

    #[test]
    fn parses_realistic_config() {
        let file = parse(VALID).unwrap_or_else(|e| panic!("{e:?}"));
        let relabel = blocks(&file.body, "discovery.relabel")[0];
        let rules = blocks(relabel, "rule");
        assert_eq!(string(attr(rules[0], "regex")), (r"a\.b;(.*)", false));
        assert_eq!(string(attr(rules[1], "regex")), (r"(\w+)-\d+", true));
        assert!(
            matches!(attr(rules[0], "source_labels"), Expr::Array { elements, .. } if elements.len() == 2)
        );

        let rw = blocks(&file.body, "prometheus.remote_write")[0];
        let headers = fields(attr(blocks(rw, "endpoint")[0], "headers"));
        assert_eq!(
            (headers[0].key.as_str(), headers[0].quoted),
            ("X-Scope-OrgID", true)
        );
        let labels = fields(attr(rw, "external_labels"));
        assert!(
            matches!(&labels[0].value, Expr::Call { callee, .. } if callee.path() == Some(vec!["env"]))
        );

        let pyro = blocks(&file.body, "pyroscope.write")[0];
        let labels = fields(attr(pyro, "external_labels"));
        assert_eq!(string(&labels[1].value), ("tab\there éAA", false));
    }

    /// Fully parenthesised rendering, so precedence shows up in a one-line assertion.
    fn sexpr(e: &Expr) -> String {
        let list = |xs: &[Expr]| xs.iter().map(sexpr).collect::<Vec<_>>().join(" ");
        match e {
            Expr::Number { raw, .. } => raw.clone(),
            Expr::String { value, .. } => format!("{value:?}"),
            Expr::Bool { value, .. } => value.to_string(),
            Expr::Null { .. } => "null".into(),
            Expr::Ident { name, .. } => name.clone(),
            Expr::Array { elements, .. } => format!("[{}]", list(elements)),
            Expr::Object { fields, .. } => {
                let fs: Vec<_> = fields
                    .iter()
                    .map(|f| format!("{}={}", f.key, sexpr(&f.value)))
                    .collect();
                format!("{{{}}}", fs.join(" "))
            }
            Expr::Access { value, name, .. } => format!("{}.{name}", sexpr(value)),
            Expr::Index { value, index, .. } => format!("{}[{}]", sexpr(value), sexpr(index)),
            Expr::Call { callee, args, .. } => format!("{}({})", sexpr(callee), list(args)),
            Expr::Unary { op, value, .. } => format!("({op:?} {})", sexpr(value)),
            Expr::Binary {
                op, left, right, ..
            } => {
                format!("({} {} {})", op.symbol(), sexpr(left), sexpr(right))
            }
            Expr::Paren { inner, .. } => format!("(paren {})", sexpr(inner)),
        }
    }

    #[test]
    fn operator_precedence_and_postfix() {
        let cases = [
            (
                "!a.b[0] || -1 + 2 * 3 ^ 2 ^ 1 == f(x,)(\"y\").z",
                "(|| (Not a.b[0]) (== (+ (Neg 1) (* 2 (^ 3 (^ 2 1)))) f(x)(\"y\").z))",
            ),
            ("1 - 2 - 3 / 4 % 5", "(- (- 1 2) (% (/ 3 4) 5))"),
            (
                "a && b || c != d && e < f",
                "(|| (&& a b) (&& (!= c d) (< e f)))",
            ),
            (
                "-(1 + .5e3) >= [null, true,] ",
                "(>= (Neg (paren (+ 1 .5e3))) [null true])",
            ),
            ("{ a = 1, \"b.c\" = `x`, }", "{a=1 b.c=\"x\"}"),
        ];
        for (src, want) in cases {
            let file = parse(&format!("x = {src}\n")).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(sexpr(attr(&file.body, "x")), want, "{src}");
        }
    }

    #[test]
    fn lexical_errors() {
        let cases = [
            (
                "logging {\n  level = \"info",
                "2:11: string literal not terminated",
            ),
            (
                "discovery.relabel \"x\" {\n  rule {\n    regex = \"a\\.b\"\n  }\n}\n",
                "3:15: unknown escape sequence \"\\.\"; write \"\\\\\" for a literal backslash",
            ),
            (
                "logging {\n  format = \"it\\'s\"\n}\n",
                "2:15: unknown escape sequence \"\\'\"; a single quote needs no escape",
            ),
            (
                "loki.write \"default\" {\n  endpoint {\n    url = \"http://loki\n  }\n}\n",
                "3:11: newline in string literal; write \\n or use a raw `...` string",
            ),
            (
                "a = \"\\x4g\"\n",
                "1:6: illegal character 'g' in escape sequence",
            ),
            (
                "a = \"\\uD800\"\n",
                "1:6: escape sequence is invalid Unicode code point",
            ),
            (
                "a = 'x'\n",
                "1:5: illegal single-quoted string; use double quotes",
            ),
            (
                "# hi\n",
                "1:1: illegal character '#'; comments start with // or /*",
            ),
            ("a = 1 /* open", "1:7: block comment not terminated"),
            ("a = `open", "1:5: raw string literal not terminated"),
            ("a = 1e+\n", "1:5: exponent has no digits"),
        ];
        for (src, want) in cases {
            assert_eq!(errors(src), [want], "{src:?}");
        }
    }

    #[test]
    fn structural_errors() {
        let cases = [
            (
                "prometheus.remote_write \"mimir\" {\n  endpoint {\n    url = \"http://mimir\"\n  }\n",
                "5:1: expected \"}\" to close block opened at line 1, got end of file",
            ),
            (
                "loki.write \"default\" {\n  endpoint {\n    url =\n  }\n}\n",
                "3:9: missing value for attribute \"url\"",
            ),
            (
                "logging {\n  level =\n  format = \"json\"\n}\n",
                "2:9: missing value for attribute \"level\"",
            ),
            (
                "a = [\n  1,\n  2\n]\n",
                "3:4: missing ',' in array; a trailing comma is required before a newline",
            ),
            (
                "a = { b = 1 c = 2 }\n",
                "1:13: expected ',' in object, got identifier \"c\"",
            ),
            (
                "a = 1 b = 2\n",
                "1:7: expected newline after statement, got identifier \"b\"",
            ),
            (
                "a.b = 1\n",
                "1:1: attribute names may only consist of a single identifier with no \".\"",
            ),
            ("a \"l\" = 1\n", "1:3: attribute names may not have labels"),
            (
                "foo `x` {}\n",
                "1:5: expected block label to be a double quoted string",
            ),
            (
                "logging\n",
                "1:8: expected \"=\" or \"{\" after \"logging\", got newline",
            ),
            (
                "a = f(1 2)\n",
                "1:9: expected ',' in argument list, got number",
            ),
            ("} a = 1\n", "1:1: expected identifier, got \"}\""),
        ];
        for (src, want) in cases {
            assert_eq!(errors(src), [want], "{src:?}");
        }
    }

    #[test]
    fn recovers_and_reports_several_errors() {
        let errs = errors("a {\n  x = \"\\d\"\n  y = [1 2]\n}\nb {\n  z = \"\\w\"\n}\n");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[1].starts_with("3:10: expected ','"), "{errs:?}");
        assert!(errs[2].starts_with("6:8: unknown escape"), "{errs:?}");
    }

    #[test]
    fn never_panics() {
        for (i, _) in VALID.char_indices() {
            let _ = crate::alloy::validate(&VALID[..i]);
        }
        // xorshift keeps the inputs deterministic without a dependency.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let alphabet = b"ab.\"\\`{}[]()=,!-+^|&<>/*\n 0e.#'\x00";
        for _ in 0..5000 {
            let mut bytes = Vec::new();
            for _ in 0..seed % 64 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let b = (seed >> 32) as u8;
                bytes.push(if b.is_multiple_of(4) {
                    b
                } else {
                    alphabet[b as usize % alphabet.len()]
                });
            }
            let _ = crate::alloy::validate(&String::from_utf8_lossy(&bytes));
        }
        let deep = [
            "a = ".to_owned() + &"[".repeat(100_000),
            "a = ".to_owned() + &"!-".repeat(100_000) + "1",
            "a = ".to_owned() + &"1 + ".repeat(100_000) + "1",
            "a = ".to_owned() + &"2 ^ ".repeat(100_000) + "1",
            "a = b".to_owned() + &".c[0](1)".repeat(100_000),
            "b {".repeat(100_000),
        ];
        for src in deep {
            let errs = parse(&src).expect_err("too deep");
            assert!(
                errs.iter().any(|e| e.message.starts_with("nesting deeper")),
                "{errs:?}"
            );
        }
    }
}
