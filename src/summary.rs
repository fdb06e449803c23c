//! The semantic summary of a change to a rendered YAML file: which keys changed, from what to
//! what, as `prod/mimir: tenant agents compactor_blocks_retention_period 14d → 30d`.
//!
//! Both versions are parsed and compared as trees; every leaf that differs is one `Change`, and a
//! mapping or sequence that exists on one side only is one change (added or removed) rather than
//! one per leaf. Keys are compared in sorted order, so the changes come out sorted by path.
//!
//! Per-tenant overrides are named by tenant: `tenant agents ingestion_rate 50000 → 60000`. They
//! sit at `…runtimeConfig.overrides.<tenant>` (Mimir, Loki), `…per_tenant_overrides.<tenant>`
//! (Tempo) or `…tenantOverrides.<tenant>` (Pyroscope).
//!
//! **Invariant:** pure: text in, changes out. A file that does not parse as YAML yields `None`,
//! never an error: the caller still has the text diff.

use std::fmt::Write as _;

use serde_json::Value;

/// One segment of a path into a YAML document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Segment {
    /// The document of a multi-document file, by `kind/name` when it has both, else by position.
    Document(String),
    Key(String),
    Index(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One changed key. `old` is `None` for an added key, `new` for a removed one.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub path: Vec<Segment>,
    pub kind: ChangeKind,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// What a change is about, for people: a tenant's key, or a plain key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// `tenant agents compactor_blocks_retention_period`; `key` is empty for the whole tenant.
    Tenant { tenant: String, key: String },
    /// `ingester.replicas`.
    Key(String),
}

impl Change {
    /// The whole key path, `runtimeConfig.overrides.agents.ingestion_rate`.
    pub fn key(&self) -> String {
        display_path(&self.path)
    }

    /// The tenant whose runtime overrides this change is in, if any.
    pub fn tenant(&self) -> Option<&str> {
        tenant_split(&self.path).map(|(tenant, _)| tenant)
    }

    pub fn subject(&self) -> Subject {
        match tenant_split(&self.path) {
            Some((tenant, rest)) => Subject::Tenant {
                tenant: tenant.to_owned(),
                key: display_path(rest),
            },
            None => Subject::Key(self.key()),
        }
    }

    /// One line for people: `tenant agents retention 14d → 30d`, `ingester.replicas added: 3`.
    pub fn summary(&self) -> String {
        let subject = match self.subject() {
            Subject::Tenant { tenant, key } if key.is_empty() => format!("tenant {tenant}"),
            Subject::Tenant { tenant, key } => format!("tenant {tenant} {key}"),
            Subject::Key(key) if key.is_empty() => "the document".to_owned(),
            Subject::Key(key) => key,
        };
        let show = |value: &Option<Value>| value.as_ref().map(display_value).unwrap_or_default();
        match self.kind {
            ChangeKind::Changed => format!("{subject} {} → {}", show(&self.old), show(&self.new)),
            ChangeKind::Added => format!("{subject} added: {}", show(&self.new)),
            ChangeKind::Removed => format!("{subject} removed (was {})", show(&self.old)),
        }
    }
}

/// The changes from `old` to `new`, two versions of one YAML file, sorted by path; `None` when
/// either does not parse.
pub fn yaml_changes(old: &str, new: &str) -> Option<Vec<Change>> {
    let (old, new) = (documents(old)?, documents(new)?);
    let mut changes = Vec::new();
    if old.len() == 1 && new.len() == 1 {
        compare(&old[0].1, &new[0].1, &mut Vec::new(), &mut changes);
    } else {
        // Several documents (manifests): match them by kind/name, else by position.
        let mut labels: Vec<&String> = old.iter().chain(&new).map(|(label, _)| label).collect();
        labels.sort();
        labels.dedup();
        for label in labels {
            let find = |docs: &[(String, Value)]| {
                docs.iter()
                    .find(|(l, _)| l == label)
                    .map(|(_, value)| value.clone())
            };
            let mut path = vec![Segment::Document(label.clone())];
            match (find(&old), find(&new)) {
                (Some(o), Some(n)) => compare(&o, &n, &mut path, &mut changes),
                (o, n) => push(&mut changes, &path, o, n),
            }
        }
    }
    Some(changes)
}

/// Every document of a YAML stream as JSON, labelled; empty documents are skipped.
fn documents(text: &str) -> Option<Vec<(String, Value)>> {
    let mut documents = Vec::new();
    for (index, value) in crate::yaml::documents_as_written(text)
        .ok()?
        .into_iter()
        .enumerate()
    {
        if value.is_null() {
            continue;
        }
        let kind = value.get("kind").and_then(Value::as_str);
        let name = value.pointer("/metadata/name").and_then(Value::as_str);
        let label = match (kind, name) {
            (Some(kind), Some(name)) => format!("{kind}/{name}"),
            _ => format!("#{index}"),
        };
        documents.push((label, value));
    }
    if documents.is_empty() {
        documents.push(("#0".to_owned(), Value::Null));
    }
    Some(documents)
}

fn compare(old: &Value, new: &Value, path: &mut Vec<Segment>, changes: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            // serde_json's map is sorted (no `preserve_order`), so the union is too.
            let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                path.push(Segment::Key(key.clone()));
                match (o.get(key), n.get(key)) {
                    (Some(a), Some(b)) => compare(a, b, path, changes),
                    (a, b) => push(changes, path, a.cloned(), b.cloned()),
                }
                path.pop();
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            for index in 0..o.len().max(n.len()) {
                path.push(Segment::Index(index));
                match (o.get(index), n.get(index)) {
                    (Some(a), Some(b)) => compare(a, b, path, changes),
                    (a, b) => push(changes, path, a.cloned(), b.cloned()),
                }
                path.pop();
            }
        }
        _ => push(changes, path, Some(old.clone()), Some(new.clone())),
    }
}

fn push(changes: &mut Vec<Change>, path: &[Segment], old: Option<Value>, new: Option<Value>) {
    let kind = match (&old, &new) {
        (Some(_), Some(_)) => ChangeKind::Changed,
        (None, _) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
    };
    changes.push(Change {
        path: path.to_vec(),
        kind,
        old,
        new,
    });
}

/// `(tenant, rest)` when the path runs through a map of per-tenant overrides: Mimir's and Loki's
/// `runtimeConfig.overrides.<tenant>`, Tempo's `per_tenant_overrides.<tenant>`, Pyroscope's
/// `tenantOverrides.<tenant>`.
fn tenant_split(path: &[Segment]) -> Option<(&str, &[Segment])> {
    let runtime = path
        .windows(3)
        .enumerate()
        .find_map(|(at, window)| match window {
            [Segment::Key(a), Segment::Key(b), Segment::Key(tenant)]
                if a == "runtimeConfig" && b == "overrides" =>
            {
                Some((tenant.as_str(), &path[at + 3..]))
            }
            _ => None,
        });
    runtime.or_else(|| {
        path.windows(2)
            .enumerate()
            .find_map(|(at, window)| match window {
                [Segment::Key(map), Segment::Key(tenant)]
                    if map == "per_tenant_overrides" || map == "tenantOverrides" =>
                {
                    Some((tenant.as_str(), &path[at + 2..]))
                }
                _ => None,
            })
    })
}

/// `a.b[0]."dotted.key"`; a document label is shown as `ConfigMap/x:`.
pub fn display_path(path: &[Segment]) -> String {
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Document(label) => {
                let _ = write!(text, "{label}:");
            }
            Segment::Index(index) => {
                let _ = write!(text, "[{index}]");
            }
            Segment::Key(key) => {
                if !text.is_empty() && !text.ends_with(':') {
                    text.push('.');
                } else if text.ends_with(':') {
                    text.push(' ');
                }
                if is_plain_key(key) {
                    text.push_str(key);
                } else {
                    text.push_str(&Value::String(key.clone()).to_string());
                }
            }
        }
    }
    text
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '$'))
}

/// A value for people: plain scalars bare (`14d`, `3`), strings that would read as something
/// else quoted, and collections as compact JSON cut at 80 characters.
pub fn display_value(value: &Value) -> String {
    const LIMIT: usize = 80;
    match value {
        Value::String(s) if is_plain_string(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => {
            let text = value.to_string();
            if text.chars().count() > LIMIT {
                let cut: String = text.chars().take(LIMIT - 1).collect();
                format!("{cut}…")
            } else {
                text
            }
        }
        other => other.to_string(),
    }
}

fn is_plain_string(s: &str) -> bool {
    let looks_like_other = s.parse::<f64>().is_ok()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "~" | "yes" | "no"
        );
    !s.is_empty()
        && !looks_like_other
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '$' | '{' | '}')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(old: &str, new: &str, expected: &[&str]) {
        let changes = yaml_changes(old, new).expect("both parse");
        let lines: Vec<String> = changes.iter().map(Change::summary).collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn leaves_that_changed_are_named_by_path() {
        check(
            "a: 1\nb:\n  c: x\n  d: [1, 2]\n",
            "a: 1\nb:\n  c: y\n  d: [1, 3, 4]\n",
            &["b.c x → y", "b.d[1] 2 → 3", "b.d[2] added: 4"],
        );
        check("a: 1\n", "a: 1\n", &[]);
    }

    #[test]
    fn a_whole_subtree_added_or_removed_is_one_change() {
        check(
            "keep: 1\nold:\n  x: 1\n",
            "keep: 1\nnew:\n  y: [1]\n",
            &["new added: {\"y\":[1]}", "old removed (was {\"x\":1})"],
        );
    }

    #[test]
    fn runtime_overrides_are_named_by_tenant() {
        let old = "runtimeConfig:\n  overrides:\n    agents:\n      retention: \"14d\"\n";
        let new = "runtimeConfig:\n  overrides:\n    agents:\n      retention: \"30d\"\n    ops:\n      retention: \"7d\"\n";
        check(
            old,
            new,
            &[
                "tenant agents retention 14d → 30d",
                "tenant ops added: {\"retention\":\"7d\"}",
            ],
        );
        let nested = "loki:\n  runtimeConfig:\n    overrides:\n      a:\n        x: 1\n";
        let changes = yaml_changes(nested, &nested.replace("x: 1", "x: 2")).expect("parses");
        assert_eq!(changes[0].tenant(), Some("a"));
        assert_eq!(changes[0].key(), "loki.runtimeConfig.overrides.a.x");
    }

    #[test]
    fn values_are_shown_so_their_type_is_clear() {
        check(
            "a: \"3\"\nb: \"x y\"\nc: ~\nd: true\n\"k.e\": 1\n",
            "a: 3\nb: \"x z\"\nc: 1\nd: \"true\"\n\"k.e\": 2\n",
            &[
                "a \"3\" → 3",
                "b \"x y\" → \"x z\"",
                "c null → 1",
                "d true → \"true\"",
                "\"k.e\" 1 → 2",
            ],
        );
    }

    #[test]
    fn multi_document_files_match_documents_by_kind_and_name() {
        let old = "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"1\"\n---\nkind: Secret\nmetadata:\n  name: s\n";
        let new = "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: \"2\"\n";
        check(
            old,
            new,
            &[
                "ConfigMap/a: data.x \"1\" → \"2\"",
                "Secret/s: removed (was {\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"}})",
            ],
        );
    }

    #[test]
    fn long_values_are_cut_and_broken_yaml_is_none() {
        let long = format!("a: [{}]\n", vec!["1"; 60].join(", "));
        let summary = yaml_changes("b: 1\n", &long).expect("parses")[0].summary();
        assert!(
            summary.ends_with('…') && summary.chars().count() < 100,
            "{summary}"
        );
        assert!(yaml_changes("a: [1\n", "a: 1\n").is_none());
    }
}
