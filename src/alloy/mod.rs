//! Alloy configuration syntax: the AST, the error type and the entry points that let
//! `lgtmc` refuse to write a `config.alloy` that Alloy would reject.
//!
//! `lexer` and `parser` own the syntax (syntax errors); `check` owns the semantic checks
//! (labels, duplicate components, references that must resolve, custom components declared
//! with `declare`: their arguments, exports and instances).

mod check;
mod lexer;
mod parser;

pub use check::check;
pub use parser::parse;

/// Byte offsets into the source, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end)
    }
}

/// One syntax or semantic error. `line` and `column` are 1-based; columns count
/// Unicode scalar values, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct AlloyError {
    pub message: String,
    pub span: Span,
    pub line: usize,
    pub column: usize,
}

impl AlloyError {
    pub(crate) fn new(source: &str, message: impl Into<String>, span: Span) -> Self {
        let (line, column) = line_col(source, span.start);
        AlloyError {
            message: message.into(),
            span,
            line,
            column,
        }
    }
}

/// 1-based line and column of a byte offset. Linear, but only called on the error path.
pub(crate) fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// A parsed file. It keeps its source so that `check` can report line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub body: Vec<Stmt>,
    source: String,
}

impl File {
    pub(crate) fn new(body: Vec<Stmt>, source: &str) -> Self {
        File {
            body,
            source: source.to_owned(),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Attribute {
        name: String,
        value: Expr,
        span: Span,
    },
    Block {
        /// Dotted name, e.g. `["prometheus", "remote_write"]`.
        name: Vec<String>,
        label: Option<String>,
        label_span: Option<Span>,
        body: Vec<Stmt>,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectField {
    pub key: String,
    pub quoted: bool,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    /// Longest symbols first, so a lexer can take the first prefix match.
    pub(crate) const ALL: [BinaryOp; 14] = {
        use BinaryOp::*;
        [
            Or, And, Eq, NotEq, LtEq, GtEq, Lt, Gt, Add, Sub, Mul, Div, Mod, Pow,
        ]
    };

    /// Same levels as Alloy's `token.BinaryPrecedence`; `^` binds tightest and is right-associative.
    pub fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Or => 1,
            And => 2,
            Eq | NotEq | Lt | LtEq | Gt | GtEq => 3,
            Add | Sub => 4,
            Mul | Div | Mod => 5,
            Pow => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Or => "||",
            And => "&&",
            Eq => "==",
            NotEq => "!=",
            LtEq => "<=",
            GtEq => ">=",
            Lt => "<",
            Gt => ">",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Kept as written: Alloy numbers are arbitrary precision and `lgtmc` only re-checks them.
    Number {
        raw: String,
        float: bool,
        span: Span,
    },
    /// `value` is unescaped; `raw` marks a backtick string.
    String {
        value: String,
        raw: bool,
        span: Span,
    },
    Bool {
        value: bool,
        span: Span,
    },
    Null {
        span: Span,
    },
    Array {
        elements: Vec<Expr>,
        span: Span,
    },
    Object {
        fields: Vec<ObjectField>,
        span: Span,
    },
    Ident {
        name: String,
        span: Span,
    },
    Access {
        value: Box<Expr>,
        name: String,
        span: Span,
    },
    Index {
        value: Box<Expr>,
        index: Box<Expr>,
        span: Span,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
        span: Span,
    },
    Unary {
        op: UnaryOp,
        value: Box<Expr>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
    Paren {
        inner: Box<Expr>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number { span, .. }
            | Expr::String { span, .. }
            | Expr::Bool { span, .. }
            | Expr::Null { span }
            | Expr::Array { span, .. }
            | Expr::Object { span, .. }
            | Expr::Ident { span, .. }
            | Expr::Access { span, .. }
            | Expr::Index { span, .. }
            | Expr::Call { span, .. }
            | Expr::Unary { span, .. }
            | Expr::Binary { span, .. }
            | Expr::Paren { span, .. } => *span,
        }
    }

    /// The dotted chain `a.b.c` if this expression is exactly an identifier followed by
    /// field accesses; `None` for anything else (calls, indexes, literals ...).
    pub fn path(&self) -> Option<Vec<&str>> {
        let mut parts = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Expr::Access { value, name, .. } => {
                    parts.push(name.as_str());
                    cur = value;
                }
                Expr::Ident { name, .. } => {
                    parts.push(name.as_str());
                    parts.reverse();
                    return Some(parts);
                }
                _ => return None,
            }
        }
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

pub(crate) fn is_ident_continue(c: char) -> bool {
    is_ident_start(c) || c.is_numeric()
}

/// Alloy's `IsValidIdentifier`: block labels and attribute names must pass this.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_ident_start)
        && chars.all(is_ident_continue)
        && !matches!(s, "true" | "false" | "null")
}

/// The block label lgtmc derives from a name such as a tenant id: every character that cannot
/// continue an identifier becomes `_`, and `t_` goes in front when the result would still not be
/// an identifier (it starts with a digit, or is `true`, `false` or `null`).
/// `team-a` → `team_a`, `1st` → `t_1st`. Deterministic, but not injective (`t-1st` gives `t_1st`
/// too), so `validate` rejects tenants whose labels collide.
pub fn label_for(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| if is_ident_continue(c) { c } else { '_' })
        .collect();
    if is_identifier(&mapped) {
        mapped
    } else {
        format!("t_{mapped}")
    }
}

/// `text` as an RE2 regex that matches exactly it (relabel regexes are anchored): every regex
/// metacharacter gets a backslash. Written into an Alloy string, each backslash is doubled.
pub fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Parse, then run the semantic checks; `Ok` only if both are clean.
pub fn validate(source: &str) -> Result<File, Vec<AlloyError>> {
    let file = parse(source)?;
    let errors = check(&file);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = include_str!("testdata/valid.alloy");

    #[test]
    fn realistic_config_validates() {
        let file = validate(VALID).unwrap_or_else(|e| panic!("{e:?}"));
        let components: Vec<String> = file
            .body
            .iter()
            .filter_map(|s| match s {
                Stmt::Block {
                    name,
                    label: Some(l),
                    ..
                } => Some(format!("{}.{l}", name.join("."))),
                _ => None,
            })
            .collect();
        assert_eq!(components.len(), 14);
        assert!(components.contains(&"otelcol.exporter.otlp.tempo".to_owned()));
    }

    #[test]
    fn error_display_is_line_colon_column() {
        let errs = validate("logging {\n  level = \"info\n}\n").unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "2:11: newline in string literal; write \\n or use a raw `...` string"
        );
    }

    #[test]
    fn identifiers() {
        for ok in ["a", "_x", "team_a", "é1"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "team-a", "1abc", "a.b", "a b", "true", "null"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn labels_for_names() {
        for (name, label) in [
            ("platform", "platform"),
            ("team-a", "team_a"),
            ("a--b", "a__b"),
            ("1st", "t_1st"),
            ("42", "t_42"),
            ("null", "t_null"),
            ("true", "t_true"),
            ("", "t_"),
            ("a.b/c d", "a_b_c_d"),
        ] {
            assert_eq!(label_for(name), label, "{name}");
            assert!(is_identifier(&label_for(name)), "{name}");
        }
    }

    #[test]
    fn regexes_match_exactly_the_text() {
        assert_eq!(regex_escape("team-a"), "team-a");
        assert_eq!(
            regex_escape(r"a.b*c+d?(e)|[f]{g}^$\"),
            r"a\.b\*c\+d\?\(e\)\|\[f\]\{g\}\^\$\\"
        );
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
