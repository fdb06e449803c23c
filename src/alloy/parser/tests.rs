//! The parser's tests: realistic input, precedence, and every syntax error it reports.

use super::*;

const VALID: &str = include_str!("../testdata/valid.alloy");

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
