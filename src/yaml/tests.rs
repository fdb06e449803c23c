//! `yaml`'s unit tests, and the differential tests of its fast path (`direct`) against the
//! reference path (`reference`): every YAML file of the example's rendered `out/`, a hostile
//! corpus, and random documents must read the same, errors included.

use super::*;

#[test]
fn streams_are_read_as_kubernetes_reads_them() {
    let read = documents("a: 1\n---\nb: [1, 2]\n---\n").expect("parses");
    assert_eq!(read[0], serde_json::json!({"a": 1}));
    assert_eq!(read[1], serde_json::json!({"b": [1, 2]}));
    let merged = documents("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n1: one\n").expect("parses");
    assert_eq!(merged[0]["c"], serde_json::json!({"x": 1, "y": 2}));
    assert_eq!(merged[0]["1"], "one");
    let as_written = documents_as_written("c:\n  <<: {x: 1}\n").expect("parses");
    assert_eq!(as_written[0]["c"]["<<"], serde_json::json!({"x": 1}));
}

#[test]
fn errors_say_where() {
    assert!(documents("a: 1\na: 2\n").is_err(), "duplicate keys");
    let text = "a: 1\nb: [1, 2\n";
    let error = documents(text).expect_err("unclosed");
    assert!(error.offset > 4 && error.offset <= text.len(), "{error:?}");
    assert!(documents("a:\n  - b\n c: d\n").is_err());
}

#[test]
fn safe_json_escapes_what_yaml_misreads() {
    assert!(matches!(safe_json("\"plain\""), Cow::Borrowed(_)));
    assert_eq!(safe_json("\"a\u{2028}b\u{85}\""), "\"a\\u2028b\\u0085\"");
    let read: String = from_str(&safe_json("\"a\u{2028}b\u{feff}\"")).expect("YAML");
    assert_eq!(read, "a\u{2028}b\u{feff}");
}

/// Both public readers give exactly the reference path's result (values, or error message and
/// offset) for `text`.
#[track_caller]
fn same_as_reference(text: &str) {
    assert_eq!(
        documents(text),
        reference::documents(text),
        "documents of {text:?}"
    );
    assert_eq!(
        documents_as_written(text),
        reference::documents_as_written(text),
        "documents_as_written of {text:?}"
    );
}

/// Every YAML file lgtmc renders for the example is read by the fast path itself (a fast path
/// that always fell back would pass the comparison), and alike.
#[test]
fn the_rendered_tree_is_read_by_the_fast_path_alike() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("out");
    let mut files = 0;
    for entry in walkdir::WalkDir::new(&out) {
        let path = entry.expect("out/ is readable").into_path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("UTF-8");
        assert!(
            direct::documents(&text, true).is_some(),
            "{} fell back to the reference path",
            path.display()
        );
        same_as_reference(&text);
        files += 1;
    }
    assert!(
        files > 50,
        "only {files} YAML files under {}",
        out.display()
    );
}

/// Texts the fast path must read as the reference path does, each annotated with whether the
/// fast path reads it itself (`true`) or hands it to the reference path (`false`).
const HOSTILE: &[(&str, bool)] = &[
    ("", true),
    ("---\n", true),
    ("---\n---\n---\n", true),
    ("a: 1\n---\n---\nb: 2\n...\n", true),
    ("~\n", true),
    ("null\n---\nNULL\n---\n~\n", true),
    ("a: ~\nb: null\nc:\nd: Null\n", true),
    ("a: .nan\n", false),
    ("a: .inf\n", false),
    ("a: -.inf\n", false),
    (
        "a: [1e3, 1.5, -0.0, +12, 0x1F, 0o17, 0b101, -0x10, 012, 0.1e-400, 1e400]\n",
        true,
    ),
    ("a: 18446744073709551615\nb: -9223372036854775808\n", true),
    ("a: 18446744073709551616\n", false),
    ("a: -9223372036854775809\n", false),
    ("a: 340282366920938463463374607431768211456\n", true),
    ("a: true\nb: False\nc: yes\nd: on\ne: 'true'\n", true),
    (
        "\"quoted\": 'single'\nplain: \"double \\u2028 \\t\"\n",
        true,
    ),
    ("a: \"x\u{2028}y\u{2029}z\u{85}\"\nb: 'p\u{2028}q'\n", true),
    ("\u{feff}a: 1\n", true),
    // libyaml refuses a BOM before `---`, on both paths.
    ("\u{feff}---\na: 1\n", false),
    ("a: |\n  line\n  line\nb: >-\n  folded\n  text\n", true),
    ("a: 1\na: 2\n", false),
    ("top:\n  a: 1\n  a: 1\n", false),
    ("a: {x: 1, x: 2}\n", false),
    ("a: 1\n\"a\": 2\n", false),
    ("1: a\n\"1\": b\n", false),
    ("1: one\n", false),
    ("true: yes\n", false),
    ("~: nothing\n", false),
    ("1.5: float\n", false),
    ("? [a, b]\n: seq\n", false),
    ("? {a: b}\n: map\n", false),
    ("? |\n  block\n: key\n", true),
    ("\"<<\": quoted merge\n", false),
    ("base: &b {x: 1, y: 1}\nc:\n  <<: *b\n  y: 2\n", false),
    ("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n", false),
    ("c:\n  <<: 1\n", false),
    ("c:\n  <<: [1]\n", false),
    ("c:\n  <<: [[1]]\n", false),
    ("c:\n  <<: !t {a: 1}\n", false),
    (
        "a: !!str 12\nb: !!int \"7\"\nc: !!float 1\nd: !!bool true\ne: !!null ~\n",
        true,
    ),
    ("a: !!null ''\n", false),
    ("a: !!int nope\n", false),
    ("a: !custom 1\n", false),
    ("a: !custom {b: 1}\n", false),
    ("a: ! x\n", false),
    ("!t a: 1\n", false),
    // A tag resolved to a URI is not an enum to `serde_norway`: the value is read as a string.
    ("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", true),
    ("a: &s scalar\nb: *s\n*s : key\n", true),
    ("a: &m {x: [1, 2]}\nb: *m\nc: [*m, *m]\n", true),
    ("a: *missing\n", false),
    ("a: [1, 2\n", false),
    ("a:\n  - b\n c: d\n", false),
    ("a: 'unterminated\n", false),
    ("\t- tab\n", false),
    ("a: b: c\n", false),
    ("- a\n- [b, {c: d}]\n- {e: [f, g]}\n", true),
    ("[]\n---\n{}\n---\n''\n", true),
    ("\"\\xff\": \"\\x00\"\n", true),
];

#[test]
fn a_hostile_corpus_reads_alike() {
    for (text, fast) in HOSTILE {
        same_as_reference(text);
        assert_eq!(
            direct::documents(text, true).is_some(),
            *fast,
            "who reads {text:?}"
        );
    }
}

/// Aliases are replayed, so a nest of them (the billion laughs) is as bounded as the reference
/// path keeps it: `serde_norway` stops after 100 jumps per event, with an error.
#[test]
fn a_billion_laughs_stays_bounded() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
    }
    let error = documents(&text).expect_err("too many repetitions");
    assert!(error.message.contains("repetition limit"), "{error:?}");
    same_as_reference(&text);
    let small = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
    assert_eq!(documents(small).expect("parses")[0]["c"][1][1][1], "x");
    same_as_reference(small);
}

/// `serde_norway` refuses nesting deeper than 128; the fast path too, by the same deserializer.
#[test]
fn deep_nesting_is_refused_alike() {
    for depth in [100, 127, 128, 129, 200, 10_000] {
        let flow = format!("{}{}\n", "[".repeat(depth), "]".repeat(depth));
        same_as_reference(&flow);
        let block: String = (0..depth.min(300))
            .map(|level| format!("{}k{level}:\n", " ".repeat(level)))
            .collect();
        same_as_reference(&block);
    }
    assert!(documents(&format!("{}{}", "[".repeat(129), "]".repeat(129))).is_err());
    assert!(documents(&format!("{}{}", "[".repeat(100), "]".repeat(100))).is_ok());
}

/// A small xorshift generator, so the random documents are the same on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).expect("small")
    }

    fn pick<'a>(&mut self, choices: &[&'a str]) -> &'a str {
        choices[self.below(choices.len())]
    }
}

const KEYS: &[&str] = &[
    "a", "b", "a", "\"a\"", "'b'", "<<", "\"<<\"", "1", "\"1\"", "true", "~", "-1", "1.5", "&k c",
    "*k", "!t d", "!!str 2", "? [x]\n",
];
const SCALARS: &[&str] = &[
    "1",
    "-7",
    "0x1F",
    "0o17",
    "1e3",
    ".nan",
    ".inf",
    "-.inf",
    "~",
    "null",
    "",
    "true",
    "no",
    "\"q\\u2028\"",
    "'s'",
    "plain text",
    "18446744073709551616",
    "99999999999999999999999999999999999999999",
    "!!int 3",
    "!x y",
    "&s v",
    "*s",
    "*k",
    "*m",
    "012",
    "+5",
    "-0",
    "2001-12-14",
];

/// A random YAML node (block style when `indent` allows, else flow), at most `depth` deep.
fn node(random: &mut Random, depth: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match random.below(if depth == 0 { 1 } else { 6 }) {
        0 | 1 => random.pick(SCALARS).to_owned(),
        2 => {
            let items: Vec<String> = (0..random.below(4))
                .map(|_| node(random, depth - 1, indent))
                .filter(|item| !item.contains('\n'))
                .collect();
            format!("[{}]", items.join(", "))
        }
        3 => {
            let items: Vec<String> = (0..random.below(4))
                .map(|_| format!("{}: {}", random.pick(&KEYS[..14]), random.pick(SCALARS)))
                .collect();
            format!("&m {{{}}}", items.join(", "))
        }
        _ => {
            let mut text = String::new();
            for _ in 0..=random.below(4) {
                let key = random.pick(KEYS);
                let value = node(random, depth - 1, indent + 2);
                if key.ends_with('\n') {
                    text.push_str(&format!("\n{pad}{key}{pad}: {value}"));
                } else {
                    text.push_str(&format!("\n{pad}{key}: {value}"));
                }
            }
            text
        }
    }
}

#[test]
fn random_documents_read_alike() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut fast = 0;
    for _ in 0..3_000 {
        let documents: Vec<String> = (0..=random.below(3))
            .map(|_| node(&mut random, 4, 0).trim_start_matches('\n').to_owned())
            .collect();
        let text = format!("{}\n", documents.join("\n---\n"));
        same_as_reference(&text);
        fast += usize::from(direct::documents(&text, true).is_some());
    }
    assert!(fast > 300, "the fast path read only {fast} of 3,000");
}
