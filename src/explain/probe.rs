//! The spec's leaves, and the probes `explain` compiles: the loaded spec with one leaf changed to
//! another value of its type.
//!
//! A leaf is a KDL entry (an argument or a property, a map entry's name included) of
//! `platform.kdl` or an overlay, or a chart version in `versions/<env>.yaml`. A probe changes
//! the parsed KDL entry, or rewrites the version's line, so the rest of the pipeline runs
//! unchanged. A leaf has a few candidate values (a number one more, then twice as much; a
//! string with its last number changed, or with a letter appended; a flipped boolean); the
//! first candidate that validates is the probe. Leaves that must agree and could not change
//! alone are probed together (a tenant's name and `tenancy default=`; an environment's name in
//! `environments` and in its overlay, whose files are renamed with it). A leaf none of whose
//! candidates validates (an enumeration such as `mode`) is "not probed", and `explain` says so.

use std::collections::BTreeMap;

use kdl::{KdlDocument, KdlNode, KdlValue};

use crate::diagnostic::{Problem, SourceFile};
use crate::document;
use crate::explain::values;
use crate::load::LoadedSpec;
use crate::schema;

/// One value the spec sets.
#[derive(Clone, Debug)]
pub(super) struct Leaf {
    /// Index into `LoadedSpec::files`.
    pub(super) file: usize,
    /// 1-based.
    pub(super) line: usize,
    pub(super) column: usize,
    /// The entry as written: `retention="14d"`, `"agents"`, `loki: 18.11.0`.
    pub(super) written: String,
    /// The value without quotes: `14d`.
    pub(super) value: String,
    /// Where it lands in the merged spec, dotted: `tenant.agents.retention`, `metrics.replicas`;
    /// for a chart version, `versions.<chart>`.
    pub(super) setting: String,
    /// The JSON pointer in the file's document (KDL), for finding what an overlay overrides.
    pub(super) pointer: Option<String>,
    address: Address,
}

#[derive(Clone, Debug)]
enum Address {
    Kdl {
        /// `None`: `platform.kdl`; `Some(i)`: `LoadedSpec::overlays[i]`.
        overlay: Option<usize>,
        nodes: Vec<usize>,
        entry: usize,
    },
    Version {
        line: usize,
        chart: String,
    },
}

/// Every leaf of the loaded spec, in file order.
pub(super) fn leaves(loaded: &LoadedSpec) -> Vec<Leaf> {
    let schema = schema::generate();
    let mut leaves = Vec::new();
    let mut ignored: Vec<Problem> = Vec::new();
    let platform = &loaded.files[0];
    let pointers = document::from_platform(&loaded.platform, platform, 0, &schema, &mut ignored)
        .map(|document| pointers_by_offset(&document.origins))
        .unwrap_or_default();
    let mut walk = Walk {
        file: platform,
        file_index: 0,
        overlay: None,
        pointers: &pointers,
        leaves: &mut leaves,
    };
    walk.document(&loaded.platform, &mut Vec::new());
    for (index, overlay) in loaded.overlays.iter().enumerate() {
        let file = &loaded.files[overlay.file];
        let pointers = document::from_overlay(
            &overlay.document,
            file,
            overlay.file,
            &overlay.stem,
            &schema,
            &mut ignored,
        )
        .map(|document| pointers_by_offset(&document.origins))
        .unwrap_or_default();
        let mut walk = Walk {
            file,
            file_index: overlay.file,
            overlay: Some(index),
            pointers: &pointers,
            leaves: &mut leaves,
        };
        walk.document(&overlay.document, &mut Vec::new());
    }
    for versions in &loaded.versions {
        version_leaves(&loaded.files[versions.file], versions.file, &mut leaves);
    }
    leaves
}

fn pointers_by_offset(origins: &document::Origins) -> BTreeMap<usize, String> {
    origins
        .iter()
        .map(|(pointer, origin)| (origin.span.offset(), pointer.to_owned()))
        .collect()
}

struct Walk<'a> {
    file: &'a SourceFile,
    file_index: usize,
    overlay: Option<usize>,
    pointers: &'a BTreeMap<usize, String>,
    leaves: &'a mut Vec<Leaf>,
}

impl Walk<'_> {
    fn document(&mut self, document: &KdlDocument, nodes: &mut Vec<usize>) {
        for (index, node) in document.nodes().iter().enumerate() {
            nodes.push(index);
            self.node(node, nodes);
            if let Some(children) = node.children() {
                self.document(children, nodes);
            }
            nodes.pop();
        }
    }

    fn node(&mut self, node: &KdlNode, nodes: &[usize]) {
        for (entry_index, entry) in node.entries().iter().enumerate() {
            let span = entry.span();
            let (line, column) = self.file.line_column(span.offset());
            let written = self
                .file
                .text
                .get(span.offset()..span.offset() + span.len())
                .unwrap_or_default()
                .trim()
                .to_owned();
            let pointer = self.pointers.get(&span.offset()).cloned();
            let setting = pointer
                .as_deref()
                .map_or_else(|| format!("{} name", node.name().value()), dotted);
            self.leaves.push(Leaf {
                file: self.file_index,
                line,
                column,
                written,
                value: plain(entry.value()),
                setting,
                pointer,
                address: Address::Kdl {
                    overlay: self.overlay,
                    nodes: nodes.to_vec(),
                    entry: entry_index,
                },
            });
        }
    }
}

/// `/tenant/agents/retention` → `tenant.agents.retention`.
fn dotted(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| values::key_segment(&s.replace("~1", "/").replace("~0", "~")))
        .collect();
    if segments.is_empty() {
        "platform".to_owned()
    } else {
        segments.join(".")
    }
}

fn plain(value: &KdlValue) -> String {
    match value {
        KdlValue::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn version_leaves(file: &SourceFile, file_index: usize, leaves: &mut Vec<Leaf>) {
    let Some(read) = values::read(&file.name, &file.text) else {
        return;
    };
    for value in read.values {
        let line_text = file.text.lines().nth(value.line - 1).unwrap_or_default();
        leaves.push(Leaf {
            file: file_index,
            line: value.line,
            column: value.column,
            written: line_text.trim().to_owned(),
            setting: format!("versions.{}", value.path),
            value: value.text,
            pointer: None,
            address: Address::Version {
                line: value.line,
                chart: value.path,
            },
        });
    }
}

/// The values a probe may give the leaf, in the order they are tried.
pub(super) fn candidates(leaf: &Leaf, loaded: &LoadedSpec) -> Vec<KdlValue> {
    let value = match &leaf.address {
        Address::Kdl { .. } => match entry(leaf, loaded) {
            Some(value) => value,
            None => return Vec::new(),
        },
        Address::Version { .. } => KdlValue::String(leaf.value.clone()),
    };
    match value {
        KdlValue::Integer(n) => vec![
            KdlValue::Integer(n + 1),
            KdlValue::Integer(n * 2),
            KdlValue::Integer(n - 1),
        ],
        KdlValue::Float(f) => vec![KdlValue::Float(f / 2.0), KdlValue::Float(f * 1.5)],
        KdlValue::Bool(flag) => vec![KdlValue::Bool(!flag)],
        KdlValue::String(text) => {
            let mut texts: Vec<String> = [1, 2, -1]
                .into_iter()
                .filter_map(|step| bump_last_number(&text, step))
                .collect();
            texts.push(format!("{text}x"));
            texts.into_iter().map(KdlValue::String).collect()
        }
        KdlValue::Null => Vec::new(),
    }
}

fn entry(leaf: &Leaf, loaded: &LoadedSpec) -> Option<KdlValue> {
    let Address::Kdl {
        overlay,
        nodes,
        entry,
    } = &leaf.address
    else {
        return None;
    };
    let document = match overlay {
        None => &loaded.platform,
        Some(index) => &loaded.overlays.get(*index)?.document,
    };
    let mut node = document.nodes().get(*nodes.first()?)?;
    for index in &nodes[1..] {
        node = node.children()?.nodes().get(*index)?;
    }
    Some(node.entries().get(*entry)?.value().clone())
}

/// The text with its last run of digits changed by `step` (`14d` → `15d`, `5.6.0` → `5.6.1`),
/// or `None` when it has no digits or the number would go below zero.
fn bump_last_number(text: &str, step: i64) -> Option<String> {
    let end = text.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = text[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |at| at + 1);
    let number: i64 = text[start..end].parse().ok()?;
    let bumped = if step == 2 {
        number.checked_mul(2)?
    } else {
        number.checked_add(step)?
    };
    if bumped < 0 || bumped == number {
        return None;
    }
    Some(format!("{}{bumped}{}", &text[..start], &text[end..]))
}

/// The loaded spec with the leaf set to `value`.
pub(super) fn perturb(loaded: &LoadedSpec, leaf: &Leaf, value: &KdlValue) -> Option<LoadedSpec> {
    let mut probe = loaded.clone();
    set(&mut probe, leaf, value)?;
    Some(probe)
}

/// The loaded spec with every leaf of a group set to `value`: names that must agree (a tenant's
/// name and `tenancy default=`), which no probe of one of them alone can change.
pub(super) fn perturb_together(
    loaded: &LoadedSpec,
    group: &[&Leaf],
    value: &KdlValue,
) -> Option<LoadedSpec> {
    let mut probe = loaded.clone();
    for leaf in group {
        set(&mut probe, leaf, value)?;
    }
    if let KdlValue::String(new) = value {
        rename_environment(&mut probe, group, new);
    }
    Some(probe)
}

/// An environment's name is also the name of its overlay and versions files: when the group
/// renames the argument of an overlay's `environment` node, the files are renamed with it.
fn rename_environment(probe: &mut LoadedSpec, group: &[&Leaf], new: &str) {
    for leaf in group {
        let Address::Kdl {
            overlay: Some(index),
            nodes,
            entry: 0,
        } = &leaf.address
        else {
            continue;
        };
        let Some(overlay) = probe.overlays.get_mut(*index) else {
            continue;
        };
        if nodes.as_slice() != [0] || overlay.stem != leaf.value {
            continue;
        }
        let old = std::mem::replace(&mut overlay.stem, new.to_owned());
        let mut files = vec![(overlay.file, "environments", "kdl")];
        for versions in probe.versions.iter_mut().filter(|v| v.environment == old) {
            versions.environment = new.to_owned();
            files.push((versions.file, "versions", "yaml"));
        }
        for (file, dir, extension) in files {
            if let Some(file) = probe.files.get_mut(file) {
                file.name = format!("{dir}/{new}.{extension}");
            }
        }
    }
}

fn set(probe: &mut LoadedSpec, leaf: &Leaf, value: &KdlValue) -> Option<()> {
    match &leaf.address {
        Address::Kdl {
            overlay,
            nodes,
            entry,
        } => {
            let document = match overlay {
                None => &mut probe.platform,
                Some(index) => &mut probe.overlays.get_mut(*index)?.document,
            };
            let mut node = document.nodes_mut().get_mut(*nodes.first()?)?;
            for index in &nodes[1..] {
                node = node.children_mut().as_mut()?.nodes_mut().get_mut(*index)?;
            }
            node.entries_mut().get_mut(*entry)?.set_value(value.clone());
        }
        Address::Version { line, chart } => {
            let file = probe.files.get_mut(leaf.file)?;
            let text = plain(value);
            let replaced: Vec<String> = file
                .text
                .lines()
                .enumerate()
                .map(|(index, original)| {
                    if index + 1 == *line {
                        format!("{chart}: {}", serde_json::Value::String(text.clone()))
                    } else {
                        original.to_owned()
                    }
                })
                .collect();
            *file = SourceFile::new(file.name.clone(), replaced.join("\n") + "\n");
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_are_bumped() {
        assert_eq!(bump_last_number("14d", 1).as_deref(), Some("15d"));
        assert_eq!(bump_last_number("5.6.0", 1).as_deref(), Some("5.6.1"));
        assert_eq!(bump_last_number("1536Gi", 2).as_deref(), Some("3072Gi"));
        assert_eq!(bump_last_number("0s", -1), None);
        assert_eq!(bump_last_number("0s", 2), None);
        assert_eq!(bump_last_number("mimir", 1), None);
    }

    #[test]
    fn pointers_are_dotted() {
        assert_eq!(
            dotted("/tenant/agents/retention"),
            "tenant.agents.retention"
        );
        assert_eq!(dotted("/tenancy/label"), "tenancy.label");
        assert_eq!(dotted(""), "platform");
    }
}
