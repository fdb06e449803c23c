//! Recursive-descent parser for Alloy syntax (syntax errors only), over the tokens of `lexer`.
//!
//! It mirrors the v1.18 scanner and parser (`syntax/scanner`, `syntax/parser`): newlines
//! become terminators after the same tokens, so "one statement per line" and "trailing comma
//! before a newline" fall out of the grammar exactly as upstream enforces them.

use super::lexer::{Diag, Tok, Token, lex};
use super::{AlloyError, BinaryOp, Expr, File, ObjectField, Span, Stmt, UnaryOp, line_col};

/// Far deeper than any real config; shallow enough that hostile input cannot blow the stack
/// while parsing, walking or dropping the AST.
const MAX_DEPTH: usize = 128;

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
mod tests;
