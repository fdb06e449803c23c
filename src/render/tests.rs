use super::filters::kargo_scalar;
use super::*;
use crate::format::{Format, escape_markdown, json_literal};

fn render_one(
    name: &str,
    source: &str,
    context: minijinja::Value,
) -> Result<String, minijinja::Error> {
    let mut env = environment(None).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
    })?;
    env.add_template_owned(name.to_owned(), source.to_owned())?;
    env.get_template(name)?.render(context)
}

/// Characters YAML reads differently from JSON, or not at all.
const AWKWARD: &str = "a\u{2028}b\u{2029}c\u{85}d\u{7f}e\u{9f}f\u{feff}g\u{ffff}h\té";

#[test]
fn line_separators_and_controls_survive_every_yaml_and_json_path() {
    let context = minijinja::context! { s => AWKWARD, m => minijinja::context! { k => AWKWARD } };
    for (name, source) in [
        ("t.yaml.j2", "s: {{ s }}\n"),
        ("t.yaml.j2", "s: {{ s | kargo_scalar }}\n"),
        ("t.yaml.j2", "{{ m | toyaml }}\n"),
        ("t.json.j2", "{\"s\": {{ s }}}\n"),
    ] {
        let out = render_one(name, source, context.clone()).unwrap();
        for c in ['\u{2028}', '\u{2029}', '\u{85}', '\u{7f}', '\u{feff}'] {
            assert!(!out.contains(c), "{source}: raw {c:?} in {out:?}");
        }
        let read: serde_json::Value = crate::yaml::from_str(&out).unwrap();
        let value = read.get("s").or_else(|| read.get("k")).unwrap();
        assert_eq!(value.as_str(), Some(AWKWARD), "{source}: {out:?}");
        if name.ends_with(".json.j2") {
            let read: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(read["s"].as_str(), Some(AWKWARD));
        }
    }
    let markdown = render_one("t.md.j2", "| {{ s }} |\n", context.clone()).unwrap();
    assert!(
        !markdown.contains(['\u{2028}', '\u{2029}', '\u{85}']),
        "{markdown:?}"
    );
    let alloy = render_one("t.alloy.j2", "x = {{ s }}\n", context).unwrap();
    assert!(
        !alloy.contains(['\u{2028}', '\u{2029}', '\u{85}']),
        "{alloy:?}"
    );
}

#[test]
fn yaml_values_are_json_escaped() {
    let context = minijinja::context! { s => "a\"b: c\n# d", n => 3, flag => true, missing => () };
    let out = render_one(
        "t.yaml.j2",
        "s: {{ s }}\nn: {{ n }}\nf: {{ flag }}\nm: {{ missing }}\n",
        context,
    );
    assert_eq!(
        out.ok().as_deref(),
        Some("s: \"a\\\"b: c\\n# d\"\nn: 3\nf: true\nm: null\n")
    );
}

#[test]
fn unknown_formats_fail_closed() {
    let out = render_one("notes.txt.j2", "{{ 1 }}", minijinja::context! {});
    assert!(
        out.is_err(),
        "a value printed into a format without escaping rules must fail"
    );
}

#[test]
fn markdown_values_are_escaped() {
    let context = minijinja::context! { s => "a|b *c* <d> `e`\nf", n => 3 };
    let out = render_one(
        "t.md.j2",
        "| {{ s }} | {{ n }} | {{ \"`x`\" | safe }} |\n",
        context,
    );
    assert_eq!(
        out.ok().as_deref(),
        Some("| a\\|b \\*c\\* &lt;d&gt; \\`e\\` f | 3 | `x` |\n")
    );
}

#[test]
fn svg_values_are_xml_escaped() {
    let context = minijinja::context! { s => "<a> & \"b\"" };
    let out = render_one("t.svg.j2", "<text a=\"{{ s }}\">{{ s }}</text>", context);
    assert_eq!(
        out.ok().as_deref(),
        Some("<text a=\"&lt;a&gt; &amp; &quot;b&quot;\">&lt;a&gt; &amp; &quot;b&quot;</text>")
    );
}

#[test]
fn undefined_is_an_error() {
    let out = render_one("t.yaml.j2", "{{ nope }}", minijinja::context! {});
    assert!(out.is_err());
}

#[test]
/// Keys keep the order the plan gives them; the plan's maps are sorted, so output is stable.
fn toyaml_is_valid_yaml_and_safe() {
    let context = minijinja::context! { m => minijinja::context! { b => "x: y", a => vec![1, 2] } };
    let out = render_one(
        "t.yaml.j2",
        "root:\n  {{ m | toyaml | indent(2) }}\n",
        context,
    );
    assert_eq!(
        out.ok().as_deref(),
        Some("root:\n  b: 'x: y'\n  a:\n  - 1\n  - 2\n")
    );
}

#[test]
fn kargo_scalars_match_yaml_update() {
    assert_eq!(kargo_scalar("5.6.0").to_string(), "5.6.0");
    assert_eq!(kargo_scalar("1.2").to_string(), "\"1.2\"");
    assert_eq!(kargo_scalar("true").to_string(), "\"true\"");
    assert_eq!(kargo_scalar("a: b").to_string(), "\"a: b\"");
}

/// Renders `{{ s }}` into a template of the format, through the real environment.
fn escaped(format: Format, value: &str) -> String {
    let extension = match format {
        Format::Yaml => "yaml",
        Format::Json => "json",
        Format::Alloy => "alloy",
        Format::Markdown => "md",
        Format::Svg => "svg",
    };
    let name = format!("t.{extension}.j2");
    let mut env = crate::render::environment(None).unwrap_or_else(|e| panic!("{e}"));
    env.add_template_owned(name.clone(), "{{ s }}".to_owned())
        .unwrap_or_else(|e| panic!("{e}"));
    env.get_template(&name)
        .and_then(|template| template.render(minijinja::context! { s => value }))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_format_escapes_a_value() {
    let hostile = "a\"b <c> & d|e\u{2028}";
    assert_eq!(
        escaped(Format::Yaml, hostile),
        "\"a\\\"b <c> & d|e\\u2028\""
    );
    assert_eq!(
        escaped(Format::Json, hostile),
        "\"a\\\"b <c> & d|e\\u2028\""
    );
    assert_eq!(
        escaped(Format::Alloy, hostile),
        "\"a\\\"b <c> & d|e\\u2028\""
    );
    assert_eq!(
        escaped(Format::Markdown, hostile),
        "a\"b &lt;c&gt; &amp; d\\|e "
    );
    assert_eq!(
        escaped(Format::Svg, hostile),
        "a&quot;b &lt;c&gt; &amp; d|e\u{2028}"
    );
    assert_eq!(
        json_literal(&hostile).as_deref(),
        Ok("\"a\\\"b <c> & d|e\\u2028\"")
    );
    assert_eq!(escape_markdown("*x*\n#"), "\\*x\\* \\#");
}

#[test]
fn an_environments_file_shares_the_text_of_another_environments_identical_file() {
    let mut rendered = Rendered::default();
    let dashboard = "{\"title\": \"agents\"}\n";
    rendered.insert(
        "dev/d/a.json".into(),
        "dashboard.json.j2",
        Text::from(dashboard),
    );
    rendered.insert(
        "prod/d/a.json".into(),
        "dashboard.json.j2",
        Text::from(dashboard),
    );
    rendered.insert(
        "prod/d/b.json".into(),
        "dashboard.json.j2",
        Text::from(dashboard),
    );
    rendered.insert("staging/d/a.json".into(), "x.j2", Text::from("{}\n"));
    let files = &rendered.files;
    // The same place inside another environment, the same bytes: one text.
    assert!(Arc::ptr_eq(&files["dev/d/a.json"], &files["prod/d/a.json"]));
    // Another place, or other bytes: a text of its own, with its own bytes.
    assert!(!Arc::ptr_eq(
        &files["prod/d/a.json"],
        &files["prod/d/b.json"]
    ));
    assert_eq!(&*files["staging/d/a.json"], "{}\n");
    assert_eq!(&*files["prod/d/b.json"], dashboard);
    assert_eq!(rendered.templates["staging/d/a.json"], "x.j2");
}
