//! Tests of the report and of the unified diff.

use super::*;
use crate::emit::FileDrift;

fn tree(files: &[(&str, &str)]) -> RenderedTree {
    files
        .iter()
        .map(|(p, c)| (p.to_string(), crate::emit::Text::from(*c)))
        .collect()
}

fn report(old: &RenderedTree, new: &RenderedTree) -> Report {
    let order = ["dev".to_owned(), "prod".to_owned()];
    Report {
        base: "HEAD~1".to_owned(),
        base_commit: Some("0123456789abcdef0123".to_owned()),
        head: "working tree".to_owned(),
        out_label: "out".to_owned(),
        environments: compare(old, new, &order, &|_| true),
    }
}

#[test]
fn groups_by_environment_in_promotion_order_and_skips_the_manifest() {
    let old = tree(&[
        ("prod/mimir/values.yaml", "a: 1\n"),
        ("dev/mimir/values.yaml", "a: 1\n"),
        ("zz/x/values.yaml", "a: 1\n"),
        (MANIFEST_PATH, "x\n"),
    ]);
    let new = tree(&[
        ("prod/mimir/values.yaml", "a: 2\n"),
        ("dev/mimir/values.yaml", "a: 1\n"),
        ("dev/loki/values.yaml", "b: 1\n"),
        (MANIFEST_PATH, "y\n"),
    ]);
    let report = report(&old, &new);
    let names: Vec<&str> = report
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["dev", "prod", "zz"]);
    let text = format(&report, Format::Text, Colour::Never, true);
    assert_eq!(
        text,
        "=== dev\ndev/loki: added\n\n=== prod\nprod/mimir: a 1 → 2\n\n=== zz\nzz/x: removed\n\n\
         HEAD~1 (0123456789ab) → working tree: 1 file changed, 1 added, 1 removed in 3 environments (dev, prod, zz)\n"
    );
}

#[test]
fn no_change_says_so_in_every_format() {
    let same = tree(&[("prod/mimir/values.yaml", "a: 1\n")]);
    let report = report(&same, &same);
    assert!(format(&report, Format::Text, Colour::Never, false).starts_with("no change"));
    assert!(format(&report, Format::Markdown, Colour::Never, false).contains("No change"));
    let json: Value =
        serde_json::from_str(&format(&report, Format::Json, Colour::Never, false)).expect("JSON");
    assert_eq!(json["environments"], json!([]));
}

#[test]
fn markdown_fences_survive_backticks() {
    let old = tree(&[("prod/x/notes.md", "```\na\n```\n")]);
    let new = tree(&[("prod/x/notes.md", "```\nb\n```\n")]);
    let text = format(&report(&old, &new), Format::Markdown, Colour::Never, false);
    assert!(text.contains("````diff\n"), "{text}");
    assert_eq!(code("a`b"), "`` a`b ``");
    assert_eq!(code("ab"), "`ab`");
}

#[test]
fn colour_marks_old_and_new_values() {
    let old = tree(&[("prod/mimir/values.yaml", "a: 1\n")]);
    let new = tree(&[("prod/mimir/values.yaml", "a: 2\n")]);
    let text = format(&report(&old, &new), Format::Text, Colour::Always, true);
    assert!(
        text.contains("prod/mimir: a \x1b[31m1\x1b[0m → \x1b[32m2\x1b[0m\n"),
        "{text:?}"
    );
}

fn fd(path: &str, on_disk: &str, rendered: &str) -> FileDrift {
    FileDrift {
        path: path.to_owned(),
        on_disk: on_disk.to_owned(),
        rendered: rendered.to_owned(),
    }
}

fn sample_drift() -> Drift {
    Drift {
        changed: vec![fd("a.yaml", "x: 1\ny: 2\n", "x: 1\ny: 3\n")],
        missing: vec![fd("b.yaml", "", "new\n")],
        extra: vec![fd("c.yaml", "old\n", "")],
    }
}

#[test]
fn format_drift_plain() {
    let expected = "\
--- a/out/a.yaml
+++ b/out/a.yaml
@@ -1,2 +1,2 @@
 x: 1
-y: 2
+y: 3
--- /dev/null
+++ b/out/b.yaml
@@ -0,0 +1 @@
+new
--- a/out/c.yaml
+++ /dev/null
@@ -1 +0,0 @@
-old

changed: a.yaml
missing: b.yaml
extra: c.yaml
1 changed, 1 missing, 1 extra
";
    assert_eq!(
        format_drift(&sample_drift(), "out/", Colour::Never),
        expected
    );
    let clean = format_drift(&Drift::default(), "out", Colour::Never);
    assert_eq!(clean, "0 changed, 0 missing, 0 extra\n");
}

#[test]
fn format_drift_colour() {
    let text = format_drift(&sample_drift(), "out", Colour::Always);
    let codes = [
        "\x1b[1m--- a/out/a.yaml\x1b[0m",
        "\x1b[36m@@",
        "\x1b[31m-",
        "\x1b[32m+",
    ];
    for code in codes.into_iter().chain(["\x1b[4m"]) {
        assert!(text.contains(code), "{code:?} missing in {text:?}");
    }
}

#[test]
fn format_drift_without_trailing_newline() {
    let changed = vec![fd("f", "a\nb", "a\nc\n")];
    let text = format_drift(
        &Drift {
            changed,
            ..Default::default()
        },
        "out",
        Colour::Never,
    );
    let hunk = "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\nchanged: f\n";
    assert!(text.contains(hunk), "{text}");
}
