//! Semantic checks on a parsed Alloy file: block labels must be identifiers, components
//! must be unique, and every reference must resolve to a declared component.
//!
//! These are the mistakes a template can make while still producing valid syntax, and
//! Alloy would only report them when the pod starts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{AlloyError, Expr, File, Span, Stmt, is_identifier, line_col};

/// Standard-library namespaces and functions (current and deprecated names). A reference
/// rooted here is a library value such as `constants.hostname`, never a component.
const STDLIB: &[&str] = &[
    "array",
    "base64_decode",
    "coalesce",
    "concat",
    "constants",
    "convert",
    "encoding",
    "env",
    "file",
    "format",
    "join",
    "json_decode",
    "json_path",
    "map",
    "nonsensitive",
    "replace",
    "split",
    "string",
    "sys",
    "to_lower",
    "to_upper",
    "trim",
    "trim_prefix",
    "trim_space",
    "trim_suffix",
    "yaml_decode",
];

/// Suggestions further away than this are noise rather than a likely typo.
const MAX_SUGGESTION_DISTANCE: usize = 3;

/// Run every semantic check; errors come back sorted by position.
pub fn check(file: &File) -> Vec<AlloyError> {
    let src = file.source();
    let mut diags: Vec<(String, Span)> = Vec::new();
    let components = declare(src, &file.body, &mut diags);
    let mut refs = Vec::new();
    walk(&file.body, &mut refs, &mut diags);
    for (path, span) in refs {
        if let Some(message) = resolve(&path, &components) {
            diags.push((message, span));
        }
    }
    diags.sort_by_key(|(_, span)| span.start);
    diags
        .into_iter()
        .map(|(m, s)| AlloyError::new(src, m, s))
        .collect()
}

/// Collect component names (`name.parts.label`) and report duplicate top-level blocks.
fn declare(src: &str, body: &[Stmt], diags: &mut Vec<(String, Span)>) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut components = BTreeSet::new();
    for stmt in body {
        let Stmt::Block {
            name,
            label,
            body: inner,
            span,
            ..
        } = stmt
        else {
            continue;
        };
        let key = component_key(name, label.as_deref());
        if let Some(first) = seen.get(&key) {
            let kind = if label.is_some() {
                "component"
            } else {
                "block"
            };
            let line = line_col(src, first.start).0;
            diags.push((
                format!("duplicate {kind} {key:?} (first declared on line {line})"),
                *span,
            ));
            continue;
        }
        seen.insert(key.clone(), *span);
        if label.is_some() {
            components.insert(key);
        }
        // A module's arguments and components live inside `declare`; scoping them to the
        // module is not worth it here, but they must not be reported as unknown.
        if name.len() == 1 && name.first().is_some_and(|n| n == "declare") {
            for child in inner {
                if let Stmt::Block {
                    name,
                    label: Some(label),
                    ..
                } = child
                {
                    components.insert(component_key(name, Some(label)));
                }
            }
        }
    }
    components
}

fn component_key(name: &[String], label: Option<&str>) -> String {
    let mut key = name.join(".");
    if let Some(label) = label {
        key.push('.');
        key.push_str(label);
    }
    key
}

/// Check labels everywhere and gather every reference expression with its span.
fn walk(body: &[Stmt], refs: &mut Vec<(Vec<String>, Span)>, diags: &mut Vec<(String, Span)>) {
    for stmt in body {
        match stmt {
            Stmt::Attribute { value, .. } => collect_refs(value, refs),
            Stmt::Block {
                label,
                label_span,
                body,
                span,
                ..
            } => {
                if let Some(label) = label.as_deref().filter(|l| !is_identifier(l)) {
                    let message = format!(
                        "invalid block label {label:?}: labels must be identifiers \
                         (letters, digits and _, not starting with a digit)"
                    );
                    diags.push((message, label_span.unwrap_or(*span)));
                }
                walk(body, refs, diags);
            }
        }
    }
}

fn collect_refs(expr: &Expr, refs: &mut Vec<(Vec<String>, Span)>) {
    if let Some(path) = expr.path() {
        refs.push((path.into_iter().map(str::to_owned).collect(), expr.span()));
        return;
    }
    match expr {
        Expr::Array { elements, .. } => elements.iter().for_each(|e| collect_refs(e, refs)),
        Expr::Object { fields, .. } => fields.iter().for_each(|f| collect_refs(&f.value, refs)),
        Expr::Access { value, .. } | Expr::Unary { value, .. } => collect_refs(value, refs),
        Expr::Paren { inner, .. } => collect_refs(inner, refs),
        Expr::Index { value, index, .. } => {
            collect_refs(value, refs);
            collect_refs(index, refs);
        }
        Expr::Call { callee, args, .. } => {
            // The callee names a function (`sys.env`, `string.format`), not a component.
            if callee.path().is_none() {
                collect_refs(callee, refs);
            }
            args.iter().for_each(|a| collect_refs(a, refs));
        }
        Expr::Binary { left, right, .. } => {
            collect_refs(left, refs);
            collect_refs(right, refs);
        }
        Expr::Number { .. }
        | Expr::String { .. }
        | Expr::Bool { .. }
        | Expr::Null { .. }
        | Expr::Ident { .. } => {}
    }
}

fn prefix(path: &[String], n: usize) -> String {
    path.get(..n).map(|p| p.join(".")).unwrap_or_default()
}

/// `None` if some prefix of `path` is a declared component (the rest is its export, which
/// is not checked) or the root is the standard library; otherwise the error message.
fn resolve(path: &[String], components: &BTreeSet<String>) -> Option<String> {
    if (1..=path.len()).any(|n| components.contains(&prefix(path, n))) {
        return None;
    }
    if path
        .first()
        .is_some_and(|root| STDLIB.contains(&root.as_str()))
    {
        return None;
    }
    let full = path.join(".");
    let mut message = if path.len() > 1 {
        // The last segment is normally the export (`receiver`, `targets`, `input` ...).
        format!(
            "unknown component {:?} in reference {full:?}",
            prefix(path, path.len() - 1)
        )
    } else {
        format!("unknown identifier {full:?}")
    };
    if let Some(suggestion) = suggest(path, components) {
        let _ = write!(message, "; did you mean {suggestion:?}?");
    }
    Some(message)
}

fn suggest<'c>(path: &[String], components: &'c BTreeSet<String>) -> Option<&'c String> {
    components
        .iter()
        .map(|c| {
            let distance = (1..=path.len())
                .map(|n| levenshtein(&prefix(path, n), c))
                .min();
            (distance.unwrap_or(usize::MAX), c)
        })
        .filter(|&(d, c)| d <= MAX_SUGGESTION_DISTANCE && d < c.chars().count() / 2)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Edit distance over chars, two rows at a time.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(prev.len());
        cur.push(i + 1);
        for (cb, pair) in b.iter().zip(prev.windows(2)) {
            if let (&[diagonal, up], Some(&left)) = (pair, cur.last()) {
                cur.push(
                    (diagonal + usize::from(ca != *cb))
                        .min(up + 1)
                        .min(left + 1),
                );
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloy::parse;

    fn check_src(src: &str) -> Vec<String> {
        let file = parse(src).unwrap_or_else(|e| panic!("syntax: {e:?}"));
        check(&file).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn fixture_is_clean() {
        assert_eq!(
            check_src(include_str!("testdata/valid.alloy")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_reference_with_suggestion() {
        let src = "prometheus.scrape \"pods\" {\n  targets    = []\n  \
                   forward_to = [prometheus.remote_write.mimr.receiver]\n}\n\n\
                   prometheus.remote_write \"mimir\" {}\n";
        assert_eq!(
            check_src(src),
            [
                "3:17: unknown component \"prometheus.remote_write.mimr\" in reference \
              \"prometheus.remote_write.mimr.receiver\"; did you mean \"prometheus.remote_write.mimir\"?"
            ]
        );
    }

    #[test]
    fn unknown_reference_anywhere_without_close_match() {
        let src = "otelcol.receiver.otlp \"in\" {\n  output {\n    traces = [otelcol.exporter.otlp.tempo.input]\n  }\n}\n\
                   loki.write \"w\" {\n  external_labels = { a = string.format(\"%s\", loki.source.x.y[0]) }\n}\n\
                   x = nope\n";
        assert_eq!(
            check_src(src),
            [
                "3:15: unknown component \"otelcol.exporter.otlp.tempo\" in reference \
                 \"otelcol.exporter.otlp.tempo.input\"",
                "7:47: unknown component \"loki.source.x\" in reference \"loki.source.x.y\"",
                "9:5: unknown identifier \"nope\"",
            ]
        );
    }

    #[test]
    fn stdlib_callees_and_longest_prefix_are_accepted() {
        let src = "local.file \"token\" {\n  filename = sys.env(\"TOKEN_FILE\")\n}\n\
                   a.b \"c\" {}\n\
                   x \"y\" {\n  v = [a.b.c.d.e, local.file.token.content, constants.hostname, \
                   coalesce(env(\"A\"), \"b\"), encoding.from_json(\"{}\").k, (a.b.c).x]\n}\n";
        assert_eq!(check_src(src), Vec::<String>::new());
    }

    #[test]
    fn module_declarations_resolve() {
        let src = "declare \"m\" {\n  argument \"in\" {}\n  loki.write \"w\" {\n    \
                   external_labels = { a = argument.in.value }\n  }\n  \
                   export \"out\" {\n    value = loki.write.w.receiver\n  }\n}\n";
        assert_eq!(check_src(src), Vec::<String>::new());
    }

    #[test]
    fn duplicates() {
        assert_eq!(
            check_src("loki.write \"default\" {}\nloki.write \"default\" {}\n"),
            ["2:1: duplicate component \"loki.write.default\" (first declared on line 1)"]
        );
        assert_eq!(
            check_src("logging {}\nloki.write \"logging\" {}\n\nlogging {}\n"),
            ["4:1: duplicate block \"logging\" (first declared on line 1)"]
        );
    }

    #[test]
    fn bad_labels() {
        let msg = ": labels must be identifiers (letters, digits and _, not starting with a digit)";
        assert_eq!(
            check_src("prometheus.remote_write \"team-a\" {}\n"),
            [format!("1:25: invalid block label \"team-a\"{msg}")]
        );
        assert_eq!(
            check_src("prometheus.remote_write \"1abc\" {}\n"),
            [format!("1:25: invalid block label \"1abc\"{msg}")]
        );
        assert_eq!(
            check_src("a \"ok\" {\n  profile.custom \"my thing\" {}\n}\n"),
            [format!("2:18: invalid block label \"my thing\"{msg}")]
        );
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("mimr", "mimir"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("é", "e"), 1);
    }
}
