//! Stage 2, document: turn KDL into a JSON value the schema can check, remembering where every
//! value came from, and merge an environment overlay onto the platform.
//!
//! The mapping is driven by the schema, so it needs no per-node code (SPEC.md states the rules):
//! a node or property names a field; a field whose schema is an object with fixed properties takes
//! a node with properties and children; a map field (`tenant`) takes one node per entry, keyed by
//! the node's first argument; a list takes the node's arguments; a scalar takes one argument.
//! Unknown names are reported here, with a suggestion; types, ranges and patterns are left to the
//! schema (`validate`), which finds them all at once.
//!
//! **Invariant:** every value in `Document::value` has an `Origin` at its JSON pointer or at the
//! pointer of an enclosing value, so any later problem can be reported at a file, line and column.

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;
use serde_json::{Map, Value};

use crate::diagnostic::{Problem, SourceFile, did_you_mean};

/// Where a value was written: a file (index into the loaded files) and a span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub span: SourceSpan,
}

/// The origin of every value, by JSON pointer (RFC 6901).
#[derive(Clone, Debug, Default)]
pub struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// The origin of the value at `pointer`, or of the nearest enclosing value that has one.
    pub fn find(&self, pointer: &str) -> Origin {
        let mut pointer = pointer;
        loop {
            if let Some(origin) = self.0.get(pointer) {
                return *origin;
            }
            match pointer.rfind('/') {
                Some(slash) => pointer = &pointer[..slash],
                None => {
                    return self.0.get("").copied().unwrap_or(Origin {
                        file: 0,
                        span: SourceSpan::from(0..0),
                    });
                }
            }
        }
    }

    /// Every recorded origin, by JSON pointer.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Origin)> {
        self.0
            .iter()
            .map(|(pointer, origin)| (pointer.as_str(), *origin))
    }

    fn insert(&mut self, pointer: &str, origin: Origin) {
        self.0.insert(pointer.to_owned(), origin);
    }

    /// Drops the origins of `pointer` and everything below it.
    fn remove_subtree(&mut self, pointer: &str) {
        let below = format!("{pointer}/");
        self.0
            .retain(|key, _| key != pointer && !key.starts_with(below.as_str()));
    }
}

/// A spec file (or a merge of several) as a JSON value, with the origin of each value.
#[derive(Clone, Debug)]
pub struct Document {
    pub value: Value,
    pub origins: Origins,
    /// Objects that had an unknown key: a "missing key" there is most likely that key
    /// misspelt, already reported, so validation does not report it again.
    pub misspelt: BTreeSet<String>,
}

/// Appends one JSON-pointer segment, escaped.
pub fn pointer_child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Converts `platform.kdl`: exactly one `platform "<name>" { … }` node.
pub fn from_platform(
    document: &KdlDocument,
    file: &SourceFile,
    file_index: usize,
    schema: &Value,
    problems: &mut Vec<Problem>,
) -> Option<Document> {
    type_annotations(document, file, problems);
    let mut converter = Converter::new(file, file_index, schema, problems);
    let node = converter.single_root(document, "platform", "platform \"bare-metal\" { … }")?;
    let mut object = converter.struct_body(node, schema, "", 1, &["name"]);
    match node
        .entries()
        .first()
        .filter(|entry| entry.name().is_none())
    {
        Some(entry) if node.entries().iter().filter(|e| e.name().is_none()).count() == 1 => {
            object.insert("name".to_owned(), kdl_to_json(entry.value()));
            converter
                .origins
                .insert("/name", converter.origin(entry.span()));
        }
        _ => converter.problem(
            node.span(),
            "the `platform` node takes exactly one argument, the platform's name",
            "expected `platform \"<name>\"`",
            Some("for example `platform \"bare-metal\" { … }`"),
        ),
    }
    Some(converter.finish(Value::Object(object)))
}

/// Converts `environments/<stem>.kdl`: exactly one `environment "<stem>" { … }` node whose
/// children override the platform's.
pub fn from_overlay(
    document: &KdlDocument,
    file: &SourceFile,
    file_index: usize,
    stem: &str,
    schema: &Value,
    problems: &mut Vec<Problem>,
) -> Option<Document> {
    type_annotations(document, file, problems);
    let mut converter = Converter::new(file, file_index, schema, problems);
    let example = format!("environment \"{stem}\" {{ … }}");
    let node = converter.single_root(document, "environment", &example)?;
    let arguments: Vec<&KdlEntry> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .collect();
    match arguments.as_slice() {
        [entry] if entry.value().as_string() == Some(stem) => {}
        [entry] => converter.problem(
            entry.span(),
            format!(
                "`{}` must describe environment `{stem}`, not `{}`",
                file.name,
                entry.value().as_string().unwrap_or_default()
            ),
            "does not match the file name",
            Some(&format!(
                "write `environment \"{stem}\"`, or rename the file"
            )),
        ),
        _ => converter.problem(
            node.span(),
            "the `environment` node takes exactly one argument, the environment's name",
            "expected `environment \"<name>\"`",
            Some(&format!("write `{example}`")),
        ),
    }
    let object = converter.struct_body(node, schema, "", 1, &["name", "environments"]);
    Some(converter.finish(Value::Object(object)))
}

/// Merges an overlay onto a copy of the platform document: objects merge key by key (map
/// entries too, so `tenant "dev" retention="3d"` changes one field of one tenant); any other value
/// replaces what was there, and its origin with it.
pub fn merge(base: &Document, overlay: &Document) -> Document {
    let mut merged = base.clone();
    merge_value(&mut merged, &overlay.value, &overlay.origins, "");
    merged.misspelt.extend(overlay.misspelt.iter().cloned());
    merged
}

fn merge_value(target: &mut Document, overlay: &Value, overlay_origins: &Origins, pointer: &str) {
    let Value::Object(overlay_object) = overlay else {
        return;
    };
    for (key, value) in overlay_object {
        let child = pointer_child(pointer, key);
        let target_object = match value_at_mut(&mut target.value, pointer) {
            Some(Value::Object(object)) => object,
            _ => return,
        };
        let both_objects =
            value.is_object() && target_object.get(key).is_some_and(Value::is_object);
        if both_objects {
            if let Some(origin) = overlay_origins.0.get(&child) {
                // The overlay's node now explains this object better than the platform's.
                target.origins.insert(&child, *origin);
            }
            merge_value(target, value, overlay_origins, &child);
        } else {
            target_object.insert(key.clone(), value.clone());
            target.origins.remove_subtree(&child);
            let below = format!("{child}/");
            for (path, origin) in &overlay_origins.0 {
                if *path == child || path.starts_with(below.as_str()) {
                    target.origins.insert(path, *origin);
                }
            }
        }
    }
}

fn value_at_mut<'v>(value: &'v mut Value, pointer: &str) -> Option<&'v mut Value> {
    if pointer.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(pointer)
    }
}

/// How a schema wants its node written.
enum Shape<'s> {
    Struct,
    Map(&'s Value),
    List,
    Scalar,
}

struct Converter<'a> {
    file: &'a SourceFile,
    file_index: usize,
    root_schema: &'a Value,
    problems: &'a mut Vec<Problem>,
    origins: Origins,
    misspelt: BTreeSet<String>,
}

impl<'a> Converter<'a> {
    fn new(
        file: &'a SourceFile,
        file_index: usize,
        root_schema: &'a Value,
        problems: &'a mut Vec<Problem>,
    ) -> Self {
        Converter {
            file,
            file_index,
            root_schema,
            problems,
            origins: Origins::default(),
            misspelt: BTreeSet::new(),
        }
    }

    fn finish(self, value: Value) -> Document {
        Document {
            value,
            origins: self.origins,
            misspelt: self.misspelt,
        }
    }

    fn origin(&self, span: SourceSpan) -> Origin {
        Origin {
            file: self.file_index,
            span,
        }
    }

    fn problem(
        &mut self,
        span: SourceSpan,
        message: impl Into<String>,
        label: &str,
        help: Option<&str>,
    ) {
        let problem = Problem::new(self.file, span, message, label);
        self.problems.push(match help {
            Some(help) => problem.with_help(help),
            None => problem,
        });
    }

    /// The one top-level node a spec file must consist of.
    fn single_root<'d>(
        &mut self,
        document: &'d KdlDocument,
        name: &str,
        example: &str,
    ) -> Option<&'d KdlNode> {
        let nodes = document.nodes();
        let Some(first) = nodes.first() else {
            self.problem(
                SourceSpan::from(0..0),
                format!("`{}` is empty: expected a `{name}` node", self.file.name),
                &format!("expected `{name}` here"),
                Some(&format!("start the file with `{example}`")),
            );
            return None;
        };
        if first.name().value() != name {
            self.problem(
                first.name().span(),
                format!("expected a `{name}` node, found `{}`", first.name().value()),
                &format!("expected `{name}`"),
                Some(&format!("the file holds exactly one node: `{example}`")),
            );
            return None;
        }
        for extra in &nodes[1..] {
            self.problem(
                extra.name().span(),
                format!("unexpected top-level node `{}`", extra.name().value()),
                &format!("outside the `{name}` node"),
                Some(&format!("move it inside `{name}` {{ … }}")),
            );
        }
        self.origins.insert("", self.origin(first.span()));
        Some(first)
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        // Follow local references (`#/$defs/Name`) and the non-null branch of an optional value;
        // a bounded loop guards against cycles.
        for _ in 0..16 {
            if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
                let not_null = branches
                    .iter()
                    .find(|b| b.get("type").and_then(Value::as_str) != Some("null"));
                if let Some(branch) = not_null {
                    schema = branch;
                    continue;
                }
            }
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            match reference
                .strip_prefix('#')
                .and_then(|p| self.root_schema.pointer(p))
            {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn shape(&self, schema: &'a Value) -> Shape<'a> {
        let schema = self.resolve(schema);
        if schema.get("properties").is_some_and(Value::is_object) {
            return Shape::Struct;
        }
        if let Some(item) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            return Shape::Map(item);
        }
        if schema.get("type").and_then(Value::as_str) == Some("array") {
            return Shape::List;
        }
        Shape::Scalar
    }

    /// The object for a node whose schema is a struct: its properties and its children. The
    /// first `skip_arguments` positional arguments were consumed by the caller; any others are
    /// an error. `reserved` fields cannot be written as nodes or properties.
    fn struct_body(
        &mut self,
        node: &KdlNode,
        schema: &'a Value,
        pointer: &str,
        skip_arguments: usize,
        reserved: &[&str],
    ) -> Map<String, Value> {
        let schema = self.resolve(schema);
        let properties = schema.get("properties").and_then(Value::as_object);
        let mut object = Map::new();
        let mut seen: BTreeMap<String, SourceSpan> = BTreeMap::new();
        let node_name = node.name().value();
        for entry in node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .skip(skip_arguments)
        {
            self.problem(
                entry.span(),
                format!("`{node_name}` takes no arguments here"),
                "unexpected argument",
                Some("write settings as `key=value` properties or child nodes"),
            );
        }
        for entry in node.entries() {
            let Some(key) = entry.name() else { continue };
            let key_text = key.value();
            self.note_misspelt(properties, key_text, pointer);
            let Some(field) = self.field(properties, reserved, key_text, key.span(), node_name)
            else {
                continue;
            };
            if !self.first_time(&mut seen, key_text, entry.span()) {
                continue;
            }
            match self.shape(field) {
                Shape::Struct | Shape::Map(_) | Shape::List => self.problem(
                    entry.span(),
                    format!("`{key_text}` cannot be a property"),
                    "write it as a child node",
                    Some(&format!(
                        "write `{key_text} …` as a child node of `{node_name}`"
                    )),
                ),
                Shape::Scalar => {
                    let child = pointer_child(pointer, key_text);
                    self.origins.insert(&child, self.origin(entry.span()));
                    object.insert(key_text.to_owned(), kdl_to_json(entry.value()));
                }
            }
        }
        for child in node.children().map(KdlDocument::nodes).unwrap_or_default() {
            let key = child.name().value();
            self.note_misspelt(properties, key, pointer);
            let Some(field) = self.field(properties, reserved, key, child.name().span(), node_name)
            else {
                continue;
            };
            let child_pointer = pointer_child(pointer, key);
            match self.shape(field) {
                Shape::Map(item) => {
                    self.map_entry(child, item, &child_pointer, &mut object, &mut seen);
                }
                Shape::Struct => {
                    if self.first_time(&mut seen, key, child.span()) {
                        self.origins
                            .insert(&child_pointer, self.origin(child.span()));
                        let value = self.struct_body(child, field, &child_pointer, 0, &[]);
                        object.insert(key.to_owned(), Value::Object(value));
                    }
                }
                Shape::List => {
                    if self.first_time(&mut seen, key, child.span()) && self.only_arguments(child) {
                        self.origins
                            .insert(&child_pointer, self.origin(child.span()));
                        let items = child.entries().iter().enumerate().map(|(index, entry)| {
                            let item_pointer = format!("{child_pointer}/{index}");
                            self.origins
                                .insert(&item_pointer, self.origin(entry.span()));
                            kdl_to_json(entry.value())
                        });
                        let items: Vec<Value> = items.collect();
                        object.insert(key.to_owned(), Value::Array(items));
                    }
                }
                Shape::Scalar => {
                    if self.first_time(&mut seen, key, child.span()) && self.only_arguments(child) {
                        match child.entries() {
                            [entry] => {
                                self.origins
                                    .insert(&child_pointer, self.origin(entry.span()));
                                object.insert(key.to_owned(), kdl_to_json(entry.value()));
                            }
                            _ => self.problem(
                                child.span(),
                                format!("`{key}` takes exactly one value"),
                                "expected one argument",
                                Some(&format!(
                                    "write `{key} <value>` or `{key}=<value>` on `{node_name}`"
                                )),
                            ),
                        }
                    }
                }
            }
        }
        object
    }

    /// One `tenant "<id>" …` style node: an entry of a map keyed by the first argument.
    fn map_entry(
        &mut self,
        node: &KdlNode,
        item_schema: &'a Value,
        map_pointer: &str,
        object: &mut Map<String, Value>,
        seen: &mut BTreeMap<String, SourceSpan>,
    ) {
        let name = node.name().value();
        let Some(key_entry) = node.entries().iter().find(|e| e.name().is_none()) else {
            self.problem(
                node.span(),
                format!("`{name}` needs a name as its first argument"),
                "missing name",
                Some(&format!("write `{name} \"<name>\" …`")),
            );
            return;
        };
        let Some(key) = key_entry.value().as_string() else {
            self.problem(
                key_entry.span(),
                format!("the name of a `{name}` must be a string"),
                "expected a quoted string",
                Some(&format!("write `{name} \"{}\"`", key_entry.value())),
            );
            return;
        };
        let seen_key = format!("{name}\u{0}{key}");
        if let Some(first) = seen.get(&seen_key) {
            self.problems.push(
                Problem::new(
                    self.file,
                    key_entry.span(),
                    format!("duplicate {name} `{key}`"),
                    "declared again here",
                )
                .with_label(*first, "first declared here")
                .with_help(format!(
                    "each {name} is declared once; merge the two `{name} \"{key}\"` nodes"
                )),
            );
            return;
        }
        seen.insert(seen_key, key_entry.span());
        if !object.contains_key(name) {
            self.origins.insert(map_pointer, self.origin(node.span()));
        }
        let entry_pointer = pointer_child(map_pointer, key);
        self.origins
            .insert(&entry_pointer, self.origin(key_entry.span()));
        let body = Value::Object(self.struct_body(node, item_schema, &entry_pointer, 1, &[]));
        if let Value::Object(map) = object
            .entry(name.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
        {
            map.insert(key.to_owned(), body);
        }
    }

    fn note_misspelt(&mut self, properties: Option<&Map<String, Value>>, key: &str, pointer: &str) {
        if !properties.is_some_and(|p| p.contains_key(key)) {
            self.misspelt.insert(pointer.to_owned());
        }
    }

    fn field(
        &mut self,
        properties: Option<&'a Map<String, Value>>,
        reserved: &[&str],
        key: &str,
        span: SourceSpan,
        parent: &str,
    ) -> Option<&'a Value> {
        if reserved.contains(&key) {
            self.problem(
                span,
                format!("`{key}` cannot be set here"),
                "not allowed here",
                Some(match key {
                    "environments" => "the list of environments lives in platform.kdl",
                    _ => "the name is the node's argument",
                }),
            );
            return None;
        }
        if let Some(field) = properties.and_then(|p| p.get(key)) {
            return Some(field);
        }
        let candidates = properties
            .into_iter()
            .flat_map(Map::keys)
            .map(String::as_str)
            .filter(|k| !reserved.contains(k));
        let known: Vec<&str> = candidates.collect();
        let help = did_you_mean(key, known.iter().copied())
            .unwrap_or_else(|| format!("`{parent}` accepts: {}", backticked(&known)));
        self.problem(
            span,
            format!("unknown key `{key}` in `{parent}`"),
            "unknown key",
            Some(&help),
        );
        None
    }

    /// Records `key` as set; reports a second setting of the same key.
    fn first_time(
        &mut self,
        seen: &mut BTreeMap<String, SourceSpan>,
        key: &str,
        span: SourceSpan,
    ) -> bool {
        if let Some(first) = seen.get(key) {
            self.problems.push(
                Problem::new(
                    self.file,
                    span,
                    format!("`{key}` is set twice"),
                    "set again here",
                )
                .with_label(*first, "first set here")
                .with_help("keep one of the two"),
            );
            return false;
        }
        seen.insert(key.to_owned(), span);
        true
    }

    fn only_arguments(&mut self, node: &KdlNode) -> bool {
        let has_properties = node.entries().iter().any(|e| e.name().is_some());
        if has_properties || node.children().is_some() {
            let name = node.name().value();
            self.problem(
                node.span(),
                format!("`{name}` takes only values, no properties or children"),
                "unexpected properties or children",
                Some(&format!("write `{name} <value> …`")),
            );
            return false;
        }
        true
    }
}

/// KDL type annotations (`(u8)3`, `(foo)tenant`) mean nothing in the spec language; rather than
/// ignore them silently, each is a problem.
fn type_annotations(document: &KdlDocument, file: &SourceFile, problems: &mut Vec<Problem>) {
    for node in document.nodes() {
        if let Some(ty) = node.ty() {
            problems.push(annotation_problem(
                file,
                ty,
                &format!("node `{}`", node.name().value()),
            ));
        }
        for entry in node.entries() {
            if let Some(ty) = entry.ty() {
                let what = match entry.name() {
                    Some(name) => format!("`{}`", name.value()),
                    None => format!("an argument of `{}`", node.name().value()),
                };
                problems.push(annotation_problem(file, ty, &what));
            }
        }
        if let Some(children) = node.children() {
            type_annotations(children, file, problems);
        }
    }
}

fn annotation_problem(file: &SourceFile, ty: &kdl::KdlIdentifier, what: &str) -> Problem {
    Problem::new(
        file,
        ty.span(),
        format!(
            "type annotation `({})` on {what}: the spec has no type annotations",
            ty.value()
        ),
        "remove this",
    )
    .with_help("each key has one type (SPEC.md); write the value without `(…)`")
}

fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kdl_to_json(value: &KdlValue) -> Value {
    match value {
        KdlValue::String(text) => Value::String(text.clone()),
        KdlValue::Integer(number) => i64::try_from(*number)
            .map(Value::from)
            .or_else(|_| u64::try_from(*number).map(Value::from))
            .unwrap_or_else(|_| Value::String(number.to_string())),
        KdlValue::Float(number) => serde_json::Number::from_f64(*number)
            .map_or_else(|| Value::String(number.to_string()), Value::Number),
        KdlValue::Bool(flag) => Value::Bool(*flag),
        KdlValue::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    const PLATFORM: &str = r#"platform "p" {
    environments "dev" "prod"
    gitops repo="r"
    storage { ceph object-store="s" }
    tenancy label="l" default="a"
    tenant "a" ingestion-rate=1 retention="1d"
    tenant "b" ingestion-rate=2 retention="2d" max-series=9
    metrics replicas=1
}
"#;

    fn convert_platform(text: &str) -> (Option<Document>, Vec<Problem>) {
        let file = SourceFile::new("platform.kdl", text);
        let kdl: KdlDocument = text.parse().expect("KDL");
        let mut problems = Vec::new();
        let document = from_platform(&kdl, &file, 0, &schema::generate(), &mut problems);
        (document, problems)
    }

    fn convert_overlay(text: &str) -> Document {
        let file = SourceFile::new("environments/prod.kdl", text);
        let kdl: KdlDocument = text.parse().expect("KDL");
        let mut problems = Vec::new();
        let document = from_overlay(&kdl, &file, 1, "prod", &schema::generate(), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        document.expect("an overlay")
    }

    #[test]
    fn nodes_map_to_json_by_the_schema() {
        let (document, problems) = convert_platform(PLATFORM);
        assert!(problems.is_empty(), "{problems:?}");
        let value = document.expect("a document").value;
        assert_eq!(value["name"], "p");
        assert_eq!(value["environments"], serde_json::json!(["dev", "prod"]));
        assert_eq!(value["storage"]["ceph"]["object-store"], "s");
        assert_eq!(value["tenant"]["b"]["max-series"], 9);
        assert_eq!(value["metrics"]["replicas"], 1);
    }

    #[test]
    fn origins_point_at_the_value() {
        let (document, _) = convert_platform(PLATFORM);
        let document = document.expect("a document");
        let span = document.origins.find("/tenant/b/retention").span;
        assert_eq!(
            &PLATFORM[span.offset()..span.offset() + span.len()],
            "retention=\"2d\""
        );
        // No origin of its own: the nearest enclosing value's.
        let span = document.origins.find("/tenant/b/nothing/here").span;
        assert_eq!(
            &PLATFORM[span.offset()..span.offset() + span.len()],
            "\"b\""
        );
    }

    #[test]
    fn overlays_merge_fields_and_replace_values() {
        let (base, _) = convert_platform(PLATFORM);
        let base = base.expect("a document");
        let overlay = convert_overlay(
            "environment \"prod\" {\n    tenant \"b\" retention=\"30d\"\n    tenant \"c\" ingestion-rate=3 retention=\"3d\"\n    metrics replicas=3\n}\n",
        );
        let merged = merge(&base, &overlay);
        assert_eq!(merged.value["tenant"]["b"]["retention"], "30d");
        assert_eq!(
            merged.value["tenant"]["b"]["max-series"], 9,
            "untouched fields stay"
        );
        assert_eq!(
            merged.value["tenant"]["c"]["ingestion-rate"], 3,
            "new entries are added"
        );
        assert_eq!(merged.value["metrics"]["replicas"], 3);
        assert_eq!(merged.value["gitops"]["repo"], "r");
        assert_eq!(merged.origins.find("/tenant/b/retention").file, 1);
        assert_eq!(merged.origins.find("/tenant/b/max-series").file, 0);
        assert_eq!(
            base.value["tenant"]["b"]["retention"], "2d",
            "the base is not changed"
        );
    }

    #[test]
    fn shape_mistakes_are_reported() {
        let (_, problems) = convert_platform(
            "platform \"p\" {\n    gitops \"x\" repo=\"r\"\n    storage ceph=1\n    tenant ingestion-rate=1\n    tenancy label=\"a\" label=\"b\"\n}\n",
        );
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`gitops` takes no arguments here",
                "`ceph` cannot be a property",
                "`tenant` needs a name as its first argument",
                "`label` is set twice",
            ]
        );
    }
}
