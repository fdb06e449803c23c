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
