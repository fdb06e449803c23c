use super::*;

fn paths(values: &Values) -> Vec<(&str, &str, usize)> {
    values
        .values
        .iter()
        .map(|v| (v.path.as_str(), v.text.as_str(), v.line))
        .collect()
}

#[test]
fn yaml_values_have_paths_and_lines() {
    let text = "# header\na:\n  b: 1\n  \"c.d\": x\n  e: []\n  f:\n    - g: \"2\"\n    - |\n      one\n      two\n";
    let values = read("x.yaml", text).expect("parses");
    assert_eq!(
        paths(&values),
        [
            ("a.b", "1", 3),
            ("a.\"c.d\"", "x", 4),
            ("a.e", "[]", 5),
            ("a.f[0].g", "2", 7),
            ("a.f[1]", "one\ntwo\n", 8),
        ]
    );
    assert_eq!(values.values[4].end_line, 10);
    assert_eq!(values.values[0].column, 6);
    let a = values.containers.iter().find(|c| c.path == "a");
    assert_eq!(a.map(|c| c.line), Some(2));
    let f = values.containers.iter().find(|c| c.path == "a.f");
    assert_eq!(f.map(|c| c.line), Some(6));
}

#[test]
fn documents_are_numbered_when_there_are_several() {
    let values = read("x.yaml", "a: 1\n---\na: 2\n").expect("parses");
    assert_eq!(paths(&values), [("#0.a", "1", 1), ("#1.a", "2", 3)]);
}

#[test]
fn alloy_values_have_block_paths() {
    let text = "a.b \"x\" {\n  rule {\n    k = [\"p\", \"q\"]\n  }\n  rule {\n    k = c.d.e\n  }\n  m = { \"n.o\" = 1 }\n}\n";
    let values = read("c.alloy", text).expect("parses");
    assert_eq!(
        paths(&values),
        [
            ("a.b \"x\" / rule[0] / k[0]", "p", 3),
            ("a.b \"x\" / rule[0] / k[1]", "q", 3),
            ("a.b \"x\" / rule[1] / k", "c.d.e", 6),
            ("a.b \"x\" / m.\"n.o\"", "1", 8),
        ]
    );
}

#[test]
fn typed_paths_are_canonicalised() {
    assert_eq!(
        canonical(Format::Yaml, "a.\"b\".\"c.d\"[2].e").as_deref(),
        Some("a.b.\"c.d\"[2].e")
    );
    assert_eq!(canonical(Format::Yaml, "#1.a").as_deref(), Some("#1.a"));
    assert_eq!(canonical(Format::Yaml, "a..b"), None);
    assert_eq!(canonical(Format::Yaml, "a[x]"), None);
    assert_eq!(
        canonical(Format::Alloy, "a.b   \"x/y\"/rule[0]/ k").as_deref(),
        Some("a.b \"x/y\" / rule[0] / k")
    );
}
