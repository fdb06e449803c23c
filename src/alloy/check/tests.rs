//! The checker's tests: references, duplicates, labels, and custom components.

use super::*;
use crate::alloy::parse;

fn check_src(src: &str) -> Vec<String> {
    let file = parse(src).unwrap_or_else(|e| panic!("syntax: {e:?}"));
    check(&file).iter().map(ToString::to_string).collect()
}

#[test]
fn fixture_is_clean() {
    assert_eq!(
        check_src(include_str!("../testdata/valid.alloy")),
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

/// A custom component with a required and an optional argument and one export.
const DECLARE: &str = "declare \"pipe\" {\n  argument \"id\" {}\n  argument \"extra\" {\n    optional = true\n  }\n\n  \
                       loki.write \"w\" {\n    external_labels = { id = argument.id.value }\n  }\n\n  \
                       export \"receiver\" {\n    value = loki.write.w.receiver\n  }\n}\n";

#[test]
fn custom_components_resolve() {
    let src = format!(
        "{DECLARE}\npipe \"a\" {{\n  id = \"a\"\n}}\n\npipe \"b\" {{\n  id    = \"b\"\n  extra = 1\n}}\n\n\
         loki.source.api \"in\" {{\n  forward_to = [pipe.a.receiver, pipe.b.receiver]\n}}\n"
    );
    assert_eq!(check_src(&src), Vec::<String>::new());
}

#[test]
fn unknown_and_missing_arguments() {
    let src =
        format!("{DECLARE}\npipe \"a\" {{\n  id   = \"a\"\n  nope = 1\n}}\n\npipe \"b\" {{}}\n");
    assert_eq!(
        check_src(&src),
        [
            "18:3: unknown argument \"nope\" of custom component \"pipe\"; it has \"extra\", \"id\"",
            "21:1: missing argument \"id\" of custom component \"pipe\"",
        ]
    );
}

#[test]
fn reference_to_a_missing_export() {
    let src = format!(
        "{DECLARE}\npipe \"a\" {{\n  id = \"a\"\n}}\n\nx \"y\" {{\n  v = pipe.a.output\n}}\n"
    );
    assert_eq!(
        check_src(&src),
        [
            "21:7: custom component \"pipe\" has no export \"output\" (in reference \"pipe.a.output\"); it has \"receiver\""
        ]
    );
}

#[test]
fn a_declare_sees_its_arguments_and_components_only() {
    let src = "loki.write \"outer\" {}\n\ndeclare \"m\" {\n  argument \"in\" {}\n\n  \
               loki.process \"p\" {\n    forward_to = [loki.write.outer.receiver, argument.out.value]\n    \
               x = argument.in\n  }\n}\n";
    assert_eq!(
        check_src(src),
        [
            "7:19: unknown component \"loki.write.outer\" in reference \"loki.write.outer.receiver\"",
            "7:46: unknown argument \"out\" of custom component \"m\"; it has \"in\"",
            "8:9: argument \"in\" of custom component \"m\" is read as `argument.in.value`",
        ]
    );
    // A declare's components are not visible outside it either.
    let outside =
        "declare \"m\" {\n  loki.write \"w\" {}\n}\n\nx \"y\" {\n  v = loki.write.w.receiver\n}\n";
    assert_eq!(
        check_src(outside),
        ["6:7: unknown component \"loki.write.w\" in reference \"loki.write.w.receiver\""]
    );
}

#[test]
fn instances_take_no_blocks_and_duplicate_arguments() {
    let src = format!("{DECLARE}\npipe \"a\" {{\n  id = \"a\"\n  id = \"b\"\n  rule {{}}\n}}\n");
    assert_eq!(
        check_src(&src),
        [
            "18:3: argument \"id\" is set twice",
            "19:3: custom component \"pipe\" takes arguments, not a block \"rule\"",
        ]
    );
}
