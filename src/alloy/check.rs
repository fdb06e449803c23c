//! Semantic checks on a parsed Alloy file: block labels must be identifiers, components
//! must be unique, and every reference must resolve to a declared component.
//!
//! Custom components (`declare "name" { … }`) are checked as Alloy scopes them: a declare's body
//! sees its own components, its `argument.<name>.value`s and the custom components declared
//! around it, never a component outside it; an instance (`name "label" { … }`) sets only
//! arguments the declare has and every one that is not optional; a reference to an instance
//! (`name.label.x`) names one of the declare's `export`s.
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

/// The blocks of a declare's body that define its interface rather than components.
const INTERFACE_BLOCKS: [&str; 2] = ["argument", "export"];

/// Suggestions further away than this are noise rather than a likely typo.
const MAX_SUGGESTION_DISTANCE: usize = 3;

type Diags = Vec<(String, Span)>;

/// A custom component: what its `declare` block says about its interface.
#[derive(Debug, Clone, Default)]
struct Declared {
    name: String,
    /// Every argument, and whether an instance must set it (not `optional = true`).
    arguments: BTreeMap<String, bool>,
    exports: BTreeSet<String>,
}

/// What the references of one body (the file, or a declare's body) can resolve to.
struct Scope<'a> {
    components: BTreeSet<String>,
    /// Instances of custom components, `name.label` → the custom component.
    instances: BTreeMap<String, &'a Declared>,
    /// Inside a declare: its interface, for `argument.<name>.value`.
    arguments: Option<&'a Declared>,
}

/// Run every semantic check; errors come back sorted by position.
pub fn check(file: &File) -> Vec<AlloyError> {
    let src = file.source();
    let mut diags = Diags::new();
    check_body(src, &file.body, &BTreeMap::new(), None, &mut diags);
    diags.sort_by_key(|(_, span)| span.start);
    diags
        .into_iter()
        .map(|(m, s)| AlloyError::new(src, m, s))
        .collect()
}

/// Check one scope: the file's top level, or the body of a declare (`arguments`).
fn check_body(
    src: &str,
    body: &[Stmt],
    outer: &BTreeMap<String, Declared>,
    arguments: Option<&Declared>,
    diags: &mut Diags,
) {
    // The custom components this body sees: those around it and those it declares.
    let mut declares = outer.clone();
    for (label, inner) in declare_blocks(body) {
        declares.insert(label.to_owned(), interface(label, inner));
    }
    let (components, instances) = collect_components(src, body, &declares, diags);
    let scope = Scope {
        components,
        instances,
        arguments,
    };
    let mut refs = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Block {
                name,
                label: Some(label),
                body: inner,
                ..
            } if is_declare(name) => {
                label_check(stmt, diags);
                check_body(src, inner, &declares, declares.get(label.as_str()), diags);
            }
            Stmt::Block {
                name,
                label: Some(_),
                body: inner,
                span,
                ..
            } if custom(name, &declares).is_some() => {
                label_check(stmt, diags);
                if let Some(declared) = custom(name, &declares) {
                    instance(declared, inner, *span, diags);
                }
                walk(inner, &mut refs, diags);
            }
            other => walk(std::slice::from_ref(other), &mut refs, diags),
        }
    }
    for (path, span) in refs {
        if let Some(message) = resolve_in(&path, &scope) {
            diags.push((message, span));
        }
    }
}

fn is_declare(name: &[String]) -> bool {
    name.len() == 1 && name[0] == "declare"
}

/// The custom component a block instantiates, if its name is one.
fn custom<'d>(name: &[String], declares: &'d BTreeMap<String, Declared>) -> Option<&'d Declared> {
    match name {
        [single] => declares.get(single),
        _ => None,
    }
}

/// The labelled `declare` blocks directly in `body`.
fn declare_blocks(body: &[Stmt]) -> impl Iterator<Item = (&str, &[Stmt])> {
    body.iter().filter_map(|stmt| match stmt {
        Stmt::Block {
            name,
            label: Some(label),
            body,
            ..
        } if is_declare(name) => Some((label.as_str(), body.as_slice())),
        _ => None,
    })
}

/// A declare's arguments (required unless `optional = true`) and exports.
fn interface(name: &str, body: &[Stmt]) -> Declared {
    let mut declared = Declared {
        name: name.to_owned(),
        ..Declared::default()
    };
    for stmt in body {
        let Stmt::Block {
            name,
            label: Some(label),
            body,
            ..
        } = stmt
        else {
            continue;
        };
        match name.as_slice() {
            [kind] if kind == "argument" => {
                let optional = body.iter().any(|s| {
                    matches!(s, Stmt::Attribute { name, value: Expr::Bool { value: true, .. }, .. } if name == "optional")
                });
                declared.arguments.insert(label.clone(), !optional);
            }
            [kind] if kind == "export" => {
                declared.exports.insert(label.clone());
            }
            _ => {}
        }
    }
    declared
}

/// An instance sets only the custom component's arguments, each at most once, and every
/// required one.
fn instance(declared: &Declared, body: &[Stmt], span: Span, diags: &mut Diags) {
    let mut set = BTreeSet::new();
    for stmt in body {
        match stmt {
            Stmt::Attribute { name, span, .. } => {
                if !declared.arguments.contains_key(name) {
                    diags.push((
                        format!(
                            "unknown argument {name:?} of custom component {:?}{}",
                            declared.name,
                            known(declared.arguments.keys())
                        ),
                        *span,
                    ));
                } else if !set.insert(name.as_str()) {
                    diags.push((format!("argument {name:?} is set twice"), *span));
                }
            }
            Stmt::Block { name, span, .. } => diags.push((
                format!(
                    "custom component {:?} takes arguments, not a block {:?}",
                    declared.name,
                    name.join(".")
                ),
                *span,
            )),
        }
    }
    for (argument, _) in declared
        .arguments
        .iter()
        .filter(|(name, required)| **required && !set.contains(name.as_str()))
    {
        diags.push((
            format!(
                "missing argument {argument:?} of custom component {:?}",
                declared.name
            ),
            span,
        ));
    }
}

/// `; it has "a", "b"` (or `; it has none`), for a message about a name that is not there.
fn known<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<String> = names.map(|n| format!("{n:?}")).collect();
    if names.is_empty() {
        "; it has none".to_owned()
    } else {
        format!("; it has {}", names.join(", "))
    }
}

/// Collect component names (`name.parts.label`) and instances of custom components, and report
/// duplicate blocks. Interface blocks (`argument`, `export`) and declares are no components.
fn collect_components<'d>(
    src: &str,
    body: &[Stmt],
    declares: &'d BTreeMap<String, Declared>,
    diags: &mut Diags,
) -> (BTreeSet<String>, BTreeMap<String, &'d Declared>) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut components = BTreeSet::new();
    let mut instances = BTreeMap::new();
    for stmt in body {
        let Stmt::Block {
            name, label, span, ..
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
        let interface_block = matches!(name.as_slice(), [kind] if INTERFACE_BLOCKS.contains(&kind.as_str()) || kind == "declare");
        if label.is_none() || interface_block {
            continue;
        }
        if let Some(declared) = custom(name, declares) {
            instances.insert(key.clone(), declared);
        }
        components.insert(key);
    }
    (components, instances)
}

fn component_key(name: &[String], label: Option<&str>) -> String {
    let mut key = name.join(".");
    if let Some(label) = label {
        key.push('.');
        key.push_str(label);
    }
    key
}

/// A block's label must be an identifier.
fn label_check(stmt: &Stmt, diags: &mut Diags) {
    if let Stmt::Block {
        label: Some(label),
        label_span,
        span,
        ..
    } = stmt
        && !is_identifier(label)
    {
        let message = format!(
            "invalid block label {label:?}: labels must be identifiers \
             (letters, digits and _, not starting with a digit)"
        );
        diags.push((message, label_span.unwrap_or(*span)));
    }
}

/// Check labels everywhere and gather every reference expression with its span.
fn walk(body: &[Stmt], refs: &mut Vec<(Vec<String>, Span)>, diags: &mut Diags) {
    for stmt in body {
        match stmt {
            Stmt::Attribute { value, .. } => collect_refs(value, refs),
            Stmt::Block { body, .. } => {
                label_check(stmt, diags);
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

/// `None` if `path` resolves in `scope`: an argument of the enclosing declare
/// (`argument.<name>.value`), an export of a custom component's instance, or else as `resolve`
/// says.
fn resolve_in(path: &[String], scope: &Scope<'_>) -> Option<String> {
    if let (Some(declared), [root, rest @ ..]) = (scope.arguments, path)
        && root == "argument"
    {
        return match rest {
            [name, field, ..] if declared.arguments.contains_key(name) && field == "value" => None,
            [name, ..] if declared.arguments.contains_key(name) => Some(format!(
                "argument {name:?} of custom component {:?} is read as `argument.{name}.value`",
                declared.name
            )),
            [name, ..] => Some(format!(
                "unknown argument {name:?} of custom component {:?}{}",
                declared.name,
                known(declared.arguments.keys())
            )),
            [] => Some("`argument` is read as `argument.<name>.value`".to_owned()),
        };
    }
    if let [kind, label, rest @ ..] = path
        && let Some(declared) = scope.instances.get(&format!("{kind}.{label}"))
    {
        return match rest {
            [export, ..] if !declared.exports.contains(export) => Some(format!(
                "custom component {:?} has no export {export:?} (in reference {:?}){}",
                declared.name,
                path.join("."),
                known(declared.exports.iter())
            )),
            _ => None,
        };
    }
    resolve(path, &scope.components)
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
mod tests;
