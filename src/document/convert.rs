//! The schema-driven conversion of one KDL file into a `Document`: which shape each schema
//! wants (struct, map, list, scalar), the node bodies, the origins of every value, and the
//! problems of a node written the wrong way (SPEC.md states the rules).

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlEntry, KdlNode, KdlValue};
use miette::SourceSpan;
use serde_json::{Map, Value};

use super::{Document, Origin, Origins, pointer_child};
use crate::diagnostic::{Problem, SourceFile, did_you_mean};

/// How a schema wants its node written.
enum Shape<'s> {
    Struct,
    Map(&'s Value),
    List,
    Scalar,
}

/// The struct node whose body is being read, and what its schema allows.
struct Parent<'p, 'a> {
    name: &'p str,
    pointer: &'p str,
    properties: Option<&'a Map<String, Value>>,
    reserved: &'p [&'p str],
}

/// The object being built from a struct node, and where each of its keys was first written.
#[derive(Default)]
struct Body {
    object: Map<String, Value>,
    seen: BTreeMap<String, SourceSpan>,
}

pub(super) struct Converter<'a> {
    file: &'a SourceFile,
    file_index: usize,
    root_schema: &'a Value,
    problems: &'a mut Vec<Problem>,
    pub(super) origins: Origins,
    misspelt: BTreeSet<String>,
}

impl<'a> Converter<'a> {
    pub(super) fn new(
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

    pub(super) fn finish(self, value: Value) -> Document {
        Document {
            value,
            origins: self.origins,
            misspelt: self.misspelt,
        }
    }

    pub(super) fn origin(&self, span: SourceSpan) -> Origin {
        Origin {
            file: self.file_index,
            span,
        }
    }

    pub(super) fn problem(
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
    pub(super) fn single_root<'d>(
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
    pub(super) fn struct_body(
        &mut self,
        node: &KdlNode,
        schema: &'a Value,
        pointer: &str,
        skip_arguments: usize,
        reserved: &[&str],
    ) -> Map<String, Value> {
        let schema = self.resolve(schema);
        let parent = Parent {
            name: node.name().value(),
            pointer,
            properties: schema.get("properties").and_then(Value::as_object),
            reserved,
        };
        let mut body = Body::default();
        for entry in node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .skip(skip_arguments)
        {
            self.problem(
                entry.span(),
                format!("`{}` takes no arguments here", parent.name),
                "unexpected argument",
                Some("write settings as `key=value` properties or child nodes"),
            );
        }
        for entry in node.entries() {
            self.property(&parent, entry, &mut body);
        }
        for child in node.children().map(KdlDocument::nodes).unwrap_or_default() {
            self.child_node(&parent, child, &mut body);
        }
        body.object
    }

    /// One `key=value` property of a struct node: a scalar field.
    fn property(&mut self, parent: &Parent<'_, 'a>, entry: &KdlEntry, body: &mut Body) {
        let Some(key) = entry.name() else { return };
        let key_text = key.value();
        let node_name = parent.name;
        self.note_misspelt(parent.properties, key_text, parent.pointer);
        let Some(field) = self.field(
            parent.properties,
            parent.reserved,
            key_text,
            key.span(),
            node_name,
        ) else {
            return;
        };
        if !self.first_time(&mut body.seen, key_text, entry.span()) {
            return;
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
                let child = pointer_child(parent.pointer, key_text);
                self.origins.insert(&child, self.origin(entry.span()));
                body.object
                    .insert(key_text.to_owned(), kdl_to_json(entry.value()));
            }
        }
    }

    /// One child node of a struct node: a field of any shape.
    fn child_node(&mut self, parent: &Parent<'_, 'a>, child: &KdlNode, body: &mut Body) {
        let key = child.name().value();
        self.note_misspelt(parent.properties, key, parent.pointer);
        let Some(field) = self.field(
            parent.properties,
            parent.reserved,
            key,
            child.name().span(),
            parent.name,
        ) else {
            return;
        };
        let child_pointer = pointer_child(parent.pointer, key);
        match self.shape(field) {
            Shape::Map(item) => {
                self.map_entry(
                    child,
                    item,
                    &child_pointer,
                    &mut body.object,
                    &mut body.seen,
                );
            }
            Shape::Struct => {
                if self.first_time(&mut body.seen, key, child.span()) {
                    self.origins
                        .insert(&child_pointer, self.origin(child.span()));
                    let value = self.struct_body(child, field, &child_pointer, 0, &[]);
                    body.object.insert(key.to_owned(), Value::Object(value));
                }
            }
            Shape::List => {
                if self.first_time(&mut body.seen, key, child.span()) && self.only_arguments(child)
                {
                    self.origins
                        .insert(&child_pointer, self.origin(child.span()));
                    let items = child.entries().iter().enumerate().map(|(index, entry)| {
                        let item_pointer = format!("{child_pointer}/{index}");
                        self.origins
                            .insert(&item_pointer, self.origin(entry.span()));
                        kdl_to_json(entry.value())
                    });
                    let items: Vec<Value> = items.collect();
                    body.object.insert(key.to_owned(), Value::Array(items));
                }
            }
            Shape::Scalar => {
                if self.first_time(&mut body.seen, key, child.span()) && self.only_arguments(child)
                {
                    self.scalar_child(parent.name, child, &child_pointer, body);
                }
            }
        }
    }

    /// A scalar field written as a child node: `key <value>`, exactly one argument.
    fn scalar_child(&mut self, node_name: &str, child: &KdlNode, pointer: &str, body: &mut Body) {
        let key = child.name().value();
        match child.entries() {
            [entry] => {
                self.origins.insert(pointer, self.origin(entry.span()));
                body.object
                    .insert(key.to_owned(), kdl_to_json(entry.value()));
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
pub(super) fn type_annotations(
    document: &KdlDocument,
    file: &SourceFile,
    problems: &mut Vec<Problem>,
) {
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

pub(super) fn kdl_to_json(value: &KdlValue) -> Value {
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
