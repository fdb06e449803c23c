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

/// Every YAML file lgtmc renders for the example is read by the `direct` path itself (a fast path
/// that always fell back would pass the comparison), and alike; the `subset` reads each tenant's
/// data sources (the files there are thousands of) and most of the rest.
#[test]
fn the_rendered_tree_is_read_by_the_fast_paths_alike() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("out");
    let (mut files, mut subset_read) = (0, 0);
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
        let by_subset = subset::documents(&text).is_some();
        // Everything but the alert rules (plain text with `{{ }}` and quotes, once per
        // environment): the files that grow with the tenants above all.
        assert!(
            by_subset || path.ends_with("alerting/rules.yaml"),
            "{} is not read by the subset",
            path.display()
        );
        same_as_reference(&text);
        files += 1;
        subset_read += usize::from(by_subset);
    }
    assert!(
        files > 50,
        "only {files} YAML files under {}",
        out.display()
    );
    assert!(
        subset_read * 10 > files * 8,
        "the subset read {subset_read} of {files}"
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

/// Block texts at the edge of the subset, each with whether `subset` reads it itself.
const BLOCK_EDGES: &[(&str, bool)] = &[
    ("# only a comment\n", true),
    ("# a comment\n---\na: 1\n", true),
    ("a: 1\n---\n", true),
    ("---\n---\n", true),
    ("---\n# c\n---\n- x\n", true),
    ("a:\n- b\n- c: d\n  e: f\nc: d\n", true),
    ("a:\n  - b\n  -\n    c: 1\n  - d:\n    - e\n", true),
    ("-\n  a: 1\n-\n- - x\n", false),
    ("- a:\n  - x\n  b: 1\n- c:\n  - y\n", true),
    ("- a: 1\n  - b\n", false),
    ("- a: 1\n - b\n", false),
    ("a:\n - x\n -\n  - y\n", true),
    ("a:\n    - x\n  - y\n", false),
    ("a:\n  - x\n  b: 1\n", false),
    ("a:\n- x\n  b: 1\n", false),
    ("\"a\\\"b\": 1\n\"c\":\n  d: e\n", true),
    ("- a: 1\n  b:\n    c: 2\n- \"q\"\n", true),
    ("a:\n  b: 1\n c: 2\n", false),
    ("a:\n    b: 1\n  c: 2\n", false),
    ("a: b\n  c\n", false),
    ("a: b\n# c\n  d\n", false),
    ("- a\n  b\n", false),
    ("a:\n  b\n", false),
    ("a: 1\n- b\n", false),
    ("  a: 1\n", false),
    ("a\n", false),
    ("\"a\"\n", false),
    ("a: \"x\ny\"\n", false),
    ("a: \"\\ud83d\\ude00\"\n", false),
    ("a: \"\\u0000\\u001f\\u2028\\/\"\n", true),
    ("a: \"\\x41\"\n", false),
    ("a: \"b\" # c\n", false),
    ("a: b # c\n", false),
    ("a: b#c\n", false),
    ("a:  b\n", false),
    ("a : b\n", false),
    ("a: b \n", false),
    ("a:\tb\n", false),
    ("a: 1\r\nb: 2\r\n", false),
    ("\"a\": 1\na: 2\n", false),
    ("\"<<\": {}\n", false),
    ("a: -\n", false),
    ("a: - b\n", false),
    (
        "a: -1\nb: -x\nc: ~\nd: 0x1F\ne: 1e3\nf: 012\ng: .5\nh: +1\n",
        true,
    ),
    ("a: .inf\n", false),
    ("a: 18446744073709551616\n", false),
    ("1: a\n", false),
    ("true: a\n", false),
    ("a: --- \n", false),
    ("--- a\n", false),
    ("...\n", false),
    ("%YAML 1.1\n---\na: 1\n", false),
    // One-line flow collections and single quotes, as the values files and kustomizations
    // write them, and their near misses.
    (
        "a: [\"x\", \"y\"]\nb: [\"2h\",\"12h\"]\nc: []\nd: {}\n",
        true,
    ),
    (
        "a: {labels: { \"k\": \"1\" }, b: [1, -2, .5, x/y, ~x]}\n",
        false,
    ),
    (
        "a: {labels: { \"k\": \"1\" }, b: [1, -2, .5, x/y, +3, null]}\n",
        true,
    ),
    ("- [a, [b, {c: d}]]\n- {e: [f, g]}\n", true),
    ("a: '3200'\nb: 'it''s'\nc: ''\nd: ['x', 'y''']\n", true),
    ("a: 'x' # c\n", false),
    ("a: 'x\n", false),
    ("a: 'x\n  y'\n", false),
    ("'a': 1\n", false),
    ("- 'a: b'\n", false),
    ("a: 'a: b'\n", true),
    ("a: [a, b\n", false),
    ("a: [a,\n  b]\n", false),
    ("a: [a, ]\n", false),
    ("a: [a,,b]\n", false),
    ("a: [, a]\n", false),
    ("a: [a b]\n", false),
    ("a: [a: b]\n", false),
    ("a: [\"a\": b]\n", false),
    ("a: [a:b]\n", false),
    ("a: {a:b}\n", false),
    ("a: {\"a\":1}\n", false),
    ("a: {a : 1}\n", false),
    ("a: {a: }\n", false),
    ("a: {: a}\n", false),
    ("a: {a}\n", false),
    ("a: {a: 1, a: 2}\n", false),
    ("a: {a: 1, \"a\": 2}\n", false),
    ("a: {<<: {b: 1}}\n", false),
    ("a: {1: b}\n", false),
    ("a: {true: b}\n", false),
    ("a: [a] x\n", false),
    ("a: [a]]\n", false),
    ("a: [a] #c\n", false),
    ("a: [a #c]\n", false),
    ("a: [a#c]\n", false),
    ("a: [-]\n", false),
    ("a: [- a]\n", false),
    ("a: [-a, +b]\n", false),
    ("a: [-1, +1, -.5]\n", true),
    ("a: [?a]\n", false),
    ("a: [!t a]\n", false),
    ("a: [&x a, *x]\n", false),
    ("a: [.inf]\n", false),
    ("a: [18446744073709551616]\n", false),
    ("a: [a]\n  b: 1\n", false),
    ("a: [ a , b ]\n", true),
    ("a: [ a ,b ]\n", true),
    ("a: {  a: b,c:  d  }\n", true),
    ("a: {  a: b, c:  d  }\n", true),
];

#[test]
fn block_edges_read_alike() {
    for (text, by_subset) in BLOCK_EDGES {
        same_as_reference(text);
        assert_eq!(
            subset::documents(text).is_some(),
            *by_subset,
            "who reads {text:?}"
        );
    }
    let long_key = format!("{}: 1\n", "k".repeat(1_100));
    same_as_reference(&long_key);
    for long in [
        format!("\"{}\": 1\n", "k".repeat(1_100)),
        format!("a: {{{}: 1}}\n", "k".repeat(1_100)),
        format!("a: {{\"{}\": 1}}\n", "k".repeat(1_100)),
    ] {
        same_as_reference(&long);
        assert!(subset::documents(&long).is_none());
    }
    // Block and flow levels count together towards the deserializer's limit.
    let deep_flow: String = (0..90)
        .map(|level| format!("{}k:\n", " ".repeat(level)))
        .chain([format!(
            "{}k: {}{}\n",
            " ".repeat(90),
            "[".repeat(40),
            "]".repeat(40)
        )])
        .collect();
    same_as_reference(&deep_flow);
    assert!(subset::documents(&deep_flow).is_none());
    let deep: String = (0..150)
        .map(|level| format!("{}k:\n", " ".repeat(level)))
        .collect();
    same_as_reference(&deep);
    assert!(subset::documents(&deep).is_none());
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

/// Scalars as a template might print them, and near misses.
const PIECES: &[&str] = &[
    "a",
    "b",
    "x1",
    "Key",
    "1",
    "0",
    "-1",
    "012",
    "0x1F",
    "0o17",
    "0b11",
    "1e3",
    "1.5",
    ".5",
    "-.inf",
    ".nan",
    "nan",
    "inf",
    "1_000",
    "+7",
    "~",
    "null",
    "true",
    "False",
    "yes",
    "30s",
    "http://h:80/p",
    "a:b",
    "a: b",
    "a #b",
    "a#b",
    "-",
    "- ",
    "--",
    "---",
    "...",
    "a b",
    " ",
    ":",
    "?",
    "!",
    "&",
    "*",
    "|",
    ">",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "%",
    "@",
    "`",
    "<<",
    "\"q\"",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "\"\\ud83d\"",
    "\"\\x41\"",
    "\"\\/\"",
    "\"\\u0000\"",
    "\"a\": 1",
    "\"\"",
    "'s'",
    "18446744073709551616",
    "-9223372036854775809",
    "$x",
    "(y)",
    "\t",
    "\u{e9}",
    "\u{2028}",
    "#c",
    " #c",
    "\\",
];

/// A random line of block YAML: mostly the subset, with every kind of near miss.
fn random_line(random: &mut Random) -> String {
    let indent = " ".repeat(2 * random.below(4) + usize::from(random.below(8) == 0));
    let piece = |random: &mut Random| {
        let mut text = random.pick(PIECES).to_owned();
        if random.below(3) == 0 {
            text.push_str(random.pick(PIECES));
        }
        text
    };
    match random.below(12) {
        0 => format!("{indent}# {}", piece(random)),
        1 => String::new(),
        2 => "---".to_owned(),
        3 | 4 => format!("{indent}- {}", piece(random)),
        5 => format!(
            "{indent}- {}: {}",
            random.pick(&PIECES[..12]),
            piece(random)
        ),
        6 => format!("{indent}{}:", random.pick(&PIECES[..12])),
        7 => format!("{indent}-"),
        _ => format!("{indent}{}: {}", random.pick(&PIECES[..30]), piece(random)),
    }
}

#[test]
fn random_block_documents_read_alike() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let mut read = 0;
    for _ in 0..20_000 {
        let lines: Vec<String> = (0..=random.below(12))
            .map(|_| random_line(&mut random))
            .collect();
        let text = format!("{}\n", lines.join("\n"));
        same_as_reference(&text);
        read += usize::from(subset::documents(&text).is_some());
    }
    assert!(read > 500, "the subset read only {read} of 20,000");
}

#[test]
fn plain_scalars_resolve_alike() {
    let mut random = Random(0x1234_5678_9abc_def1);
    let alphabet = [
        "0", "1", "9", "7", "+", "-", ".", "e", "E", "x", "o", "b", "_", "a", "f", "n", "i", "I",
        "N", "F", "inf", "nan", "0x", "0o", "0b", "~", "true", "null",
    ];
    for _ in 0..20_000 {
        let text: String = (0..=random.below(6))
            .map(|_| random.pick(&alphabet))
            .collect();
        let reference = reference::documents(&format!("k: {text}\n"));
        let Some(value) = subset::scalar(&text) else {
            continue;
        };
        if let Ok(documents) = reference {
            assert_eq!(documents[0]["k"], value, "{text:?}");
        } else {
            panic!("{text:?} resolved, but the reference path fails: {reference:?}");
        }
    }
}

const GOOD_KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "a",
    "name",
    "x1",
    "app.kubernetes.io/name",
    "X-Scope-OrgID",
    "_k",
    "\"q\"",
    "\"a b\"",
    "\"a\"",
    "./p",
];
const GOOD_VALUES: &[&str] = &[
    "a",
    "1",
    "-1",
    "30s",
    "http://h:80/p",
    "\"q\"",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "true",
    "~",
    "1.5",
    "012",
    "0x1F",
    "a:b",
    "$x",
    "(y)",
    "\"\"",
    "-x",
    "a b c",
    "\"x: #y\"",
    "+1",
    ".5",
    "'s'",
    "'it''s'",
    "''",
    "[]",
    "{}",
    "[a, b]",
    "[\"2h\",\"12h\"]",
    "[1, [2, {a: b}]]",
    "{k: v}",
    "{ \"k\": \"1\" }",
    "{labels: { \"k\": \"1\" }, annotations: { \"f\": \"t\" }}",
    "{a: [x, 'y'], \"b\": -1.5}",
];

fn key(random: &mut Random) -> &'static str {
    if random.below(10) == 0 {
        random.pick(PIECES)
    } else {
        random.pick(GOOD_KEYS)
    }
}

fn value(random: &mut Random) -> &'static str {
    if random.below(8) == 0 {
        random.pick(PIECES)
    } else {
        random.pick(GOOD_VALUES)
    }
}

/// Random block YAML shaped as lgtmc renders it (maps, sequences, `- key:` items, indentless
/// sequences, comments, documents), into `out`.
fn block(random: &mut Random, out: &mut Vec<String>, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    let sequence = random.below(3) == 0;
    for _ in 0..=random.below(3) {
        if random.below(8) == 0 {
            out.push(format!("{pad}# {}", random.pick(PIECES)));
        }
        let key = key(random);
        let nested = depth > 0 && random.below(3) == 0;
        let scalar = value(random);
        match (sequence, nested, random.below(3)) {
            (true, false, 0) => out.push(format!("{pad}- {scalar}")),
            (true, false, _) => {
                out.push(format!("{pad}- {key}: {scalar}"));
                block_entries(random, out, indent + 2);
            }
            (true, true, 0) => {
                out.push(format!("{pad}-"));
                block(random, out, indent + 2, depth - 1);
            }
            (true, true, _) => {
                out.push(format!("{pad}- {key}:"));
                block(random, out, indent + 4, depth - 1);
            }
            (false, false, _) => out.push(format!("{pad}{key}: {scalar}")),
            (false, true, 0) => {
                out.push(format!("{pad}{key}:"));
                let start = out.len();
                block(random, out, indent, depth - 1);
                // An indentless sequence only: a map at the key's indentation is not its value.
                if !out[start..]
                    .iter()
                    .any(|line| line.starts_with(&format!("{pad}- ")))
                {
                    out.truncate(start);
                }
            }
            (false, true, _) => {
                out.push(format!("{pad}{key}:"));
                block(random, out, indent + 2, depth - 1);
            }
        }
    }
}

fn block_entries(random: &mut Random, out: &mut Vec<String>, indent: usize) {
    for _ in 0..random.below(3) {
        let (key, scalar) = (key(random), value(random));
        out.push(format!("{}{key}: {scalar}", " ".repeat(indent)));
    }
}

#[test]
fn random_rendered_like_documents_read_alike() {
    let mut random = Random(0x0dd_ba11_cafe_f00d);
    let (mut read, mut rich) = (0, 0);
    for _ in 0..20_000 {
        let mut lines = Vec::new();
        block(&mut random, &mut lines, 0, 3);
        if random.below(4) == 0 {
            lines.push("---".to_owned());
            block(&mut random, &mut lines, 0, 2);
        }
        // A near miss: one line moved, cut short, doubled, or given more text.
        if random.below(2) == 0 && !lines.is_empty() {
            let at = random.below(lines.len());
            match random.below(4) {
                0 => lines[at].insert(0, ' '),
                1 => drop(lines[at].pop()),
                2 => lines.insert(at, lines[at].clone()),
                _ => lines[at].push_str(random.pick(PIECES)),
            }
        }
        let text = format!("{}\n", lines.join("\n"));
        same_as_reference(&text);
        if let Some(documents) = subset::documents(&text) {
            read += 1;
            rich += usize::from(documents.iter().any(|d| d.to_string().len() > 60));
        }
    }
    assert!(
        read > 2_000 && rich > 500,
        "the subset read {read}, {rich} of them rich"
    );
}

/// Separators between the entries of a random flow collection: the usual ones and near misses.
const FLOW_SEPARATORS: &[&str] = &[
    ", ", ", ", ",", " , ", " ,", ",  ", " ", ": ", ":", ",,", ", ,",
];

/// A random one-line flow node, mostly as lgtmc writes them, with near misses.
fn flow(random: &mut Random, depth: usize) -> String {
    let choice = random.below(if depth == 0 { 4 } else { 8 });
    let items = |random: &mut Random, pair: bool| {
        let mut text = String::new();
        let count = random.below(4);
        for at in 0..count {
            if pair {
                text.push_str(random.pick(&GOOD_KEYS[..GOOD_KEYS.len() - 1]));
                text.push_str(if random.below(10) == 0 { ":" } else { ": " });
            }
            text.push_str(&flow(random, depth.saturating_sub(1)));
            if at + 1 < count {
                text.push_str(if random.below(6) == 0 {
                    random.pick(FLOW_SEPARATORS)
                } else {
                    ", "
                });
            }
        }
        if random.below(12) == 0 {
            text.push_str(random.pick(FLOW_SEPARATORS));
        }
        text
    };
    match choice {
        0 => random.pick(GOOD_VALUES).to_owned(),
        1 => random.pick(PIECES).to_owned(),
        2 => format!("'{}'", random.pick(PIECES).replace('\'', "''")),
        3 => random
            .pick(&["a", "x/y", "2h", "-1", ".5", "\"q\"", "'s'", "1e3"])
            .to_owned(),
        4 | 5 => {
            let pad = if random.below(4) == 0 { " " } else { "" };
            format!("[{pad}{}{pad}]", items(random, false))
        }
        _ => {
            let pad = if random.below(2) == 0 { " " } else { "" };
            format!("{{{pad}{}{pad}}}", items(random, true))
        }
    }
}

#[test]
fn random_flow_lines_read_alike() {
    let mut random = Random(0x5851_f42d_4c95_7f2d);
    let mut read = 0;
    for _ in 0..20_000 {
        let value = flow(&mut random, 3);
        let text = match random.below(3) {
            0 => format!("- {value}\n"),
            _ => format!("k: {value}\n"),
        };
        same_as_reference(&text);
        read += usize::from(subset::documents(&text).is_some());
    }
    assert!(read > 5_000, "the subset read only {read} of 20,000");
}
