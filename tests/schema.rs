//! The committed schema and the spec reference must agree with the Rust types.

use crate::common::{read, repo_root};

#[test]
fn committed_schema_is_generated_from_the_types() {
    let committed = read(&repo_root().join("schema/platform.schema.json"));
    assert!(
        committed == lgtmc::schema::text(),
        "schema/platform.schema.json is stale: run `cargo run -- schema > schema/platform.schema.json`"
    );
}

/// Every key the schema accepts is documented in SPEC.md, and SPEC.md documents no key the
/// schema does not have.
#[test]
fn spec_reference_documents_every_key() {
    let reference = read(&repo_root().join("SPEC.md"));
    let schema = lgtmc::schema::generate();
    let mut keys = std::collections::BTreeSet::new();
    collect_keys(&schema, &mut keys);
    for key in &keys {
        assert!(
            reference.contains(&format!("`{key}`")),
            "SPEC.md does not document `{key}`"
        );
    }
    // The table rows of SPEC.md name keys in their first column: each must exist.
    for line in reference.lines().filter(|l| l.starts_with("| `")) {
        let key = line
            .trim_start_matches("| `")
            .split('`')
            .next()
            .unwrap_or_default();
        assert!(
            keys.contains(key),
            "SPEC.md documents `{key}`, which the schema does not have"
        );
    }
}

fn collect_keys(schema: &serde_json::Value, keys: &mut std::collections::BTreeSet<String>) {
    match schema {
        serde_json::Value::Object(object) => {
            if let Some(properties) = object.get("properties").and_then(|p| p.as_object()) {
                keys.extend(properties.keys().cloned());
            }
            object.values().for_each(|value| collect_keys(value, keys));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|value| collect_keys(value, keys)),
        _ => {}
    }
}

/// Every KDL example in SPEC.md, README.md and docs/*.md parses as KDL 2.
#[test]
fn documented_examples_are_kdl() {
    let mut docs = vec![repo_root().join("SPEC.md"), repo_root().join("README.md")];
    let pages = std::fs::read_dir(repo_root().join("docs")).expect("docs/");
    docs.extend(pages.map(|entry| entry.expect("a docs/ entry").path()));
    for path in docs
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        let text = read(path);
        let doc = path.display();
        for (index, block) in text.split("```kdl\n").skip(1).enumerate() {
            let block = block.split("```").next().unwrap_or_default();
            if let Err(error) = block.parse::<kdl::KdlDocument>() {
                panic!(
                    "{doc}: KDL example {} does not parse: {error:?}\n{block}",
                    index + 1
                );
            }
        }
    }
}
