//! Hostile specs and inputs (issue 12): values past what a backend holds, characters YAML reads
//! differently, secrets written inline, inputs that hurt the tool itself. Each case runs the real
//! binary and checks the exit code, the message and that out/ did not change.

use crate::common::{Repo, assert_exit, stderr};

/// Renders the example, breaks it with `edit`, renders again: exit 2, out/ byte for byte as it
/// was, and stderr (which must name a file, line and column) returned.
#[track_caller]
fn rejected(edit: impl FnOnce(&Repo)) -> String {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let before = repo.snapshot_tree("out");
    edit(&repo);
    let output = repo.run(&["render"]);
    let message = stderr(&output);
    assert_exit(&output, 2);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    assert!(
        message.contains(".kdl:") || message.contains(".yaml:"),
        "no file:line:col in\n{message}"
    );
    message
}

fn in_platform(from: &'static str, to: impl Into<String>) -> impl FnOnce(&Repo) {
    let to = to.into();
    move |repo: &Repo| repo.edit("platform.kdl", from, &to)
}

/// Asserts that every `expected` text is in `message`, read as one line (miette wraps long
/// messages at 100 columns, behind a `│` gutter).
#[track_caller]
fn assert_mentions(message: &str, expected: &[&str]) {
    let joined = message
        .lines()
        .map(|line| line.trim_start().trim_start_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ");
    for text in expected {
        assert!(joined.contains(text), "`{text}` not in\n{message}");
    }
}

// Durations.

#[test]
fn a_retention_past_what_go_durations_hold_is_rejected_at_its_line() {
    for retention in ["584942418y", "99999999999999999999d", "1000y", "2562048h"] {
        let message = rejected(in_platform(
            "retention=\"14d\"",
            format!("retention=\"{retention}\""),
        ));
        assert_mentions(
            &message,
            &[
                "`tenant.agents.retention`",
                "longer than the backends can hold",
                "platform.kdl:25",
            ],
        );
    }
}

#[test]
fn a_scrape_interval_past_the_bound_is_rejected_not_wrapped_to_one_second() {
    let message = rejected(in_platform(
        "scrape-interval=\"30s\"",
        "scrape-interval=\"999999999y\"",
    ));
    assert_mentions(
        &message,
        &[
            "`collector.scrape-interval`",
            "longer than the backends can hold",
        ],
    );
}

#[test]
fn a_zero_diagnose_interval_is_rejected() {
    let message = rejected(in_platform("every=\"10m\"", "every=\"0m\""));
    assert_mentions(&message, &["`diagnose.every` must be longer than zero"]);
}

#[test]
fn the_longest_duration_renders_in_every_backends_units() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "retention=\"14d\"",
        "retention=\"2562047h\"",
    );
    assert_exit(&repo.run(&["render"]), 0);
    let loki = repo.read("out/prod/loki/values.yaml");
    assert!(loki.contains("retention_period: \"2562047h\""), "{loki}");
    let mimir = repo.read("out/prod/mimir/values.yaml");
    assert!(mimir.contains("\"106751d23h\""), "{mimir}");
}

// Numbers.

#[test]
fn an_ingestion_rate_past_float64_precision_is_rejected() {
    let message = rejected(in_platform(
        "ingestion-rate=50000",
        "ingestion-rate=18446744073709551615",
    ));
    assert_mentions(&message, &["ingestion-rate", "at most 9007199254740992"]);
}

#[test]
fn a_derived_burst_past_float64_precision_is_rejected_at_the_rate() {
    // The rate fits, but the default burst (ten times the rate) would not.
    let message = rejected(in_platform(
        "ingestion-rate=50000",
        "ingestion-rate=9007199254740000",
    ));
    assert_mentions(
        &message,
        &["ingestion burst", "platform.kdl:25", "ingestion-burst="],
    );
}

// Inputs that hurt the tool.

#[test]
fn deeply_nested_blocks_are_an_error_at_the_line_not_a_stack_overflow() {
    for depth in [65, 1_400, 100_000] {
        let message = rejected(|repo: &Repo| {
            let nested = format!("{}{}", "x {\n".repeat(depth), "}\n".repeat(depth));
            repo.edit("environments/dev.kdl", "}", &format!("{nested}}}"));
        });
        assert_mentions(
            &message,
            &[
                "nests blocks or comments more than 64 deep",
                "environments/dev.kdl:",
            ],
        );
    }
}

#[test]
fn deeply_nested_comments_are_an_error_too() {
    let message = rejected(in_platform(
        "// Promotion order",
        format!("{}{}", "/*".repeat(50_000), "*/".repeat(50_000)) + "// Promotion order",
    ));
    assert_mentions(&message, &["more than 64 deep", "platform.kdl:6"]);
}

#[test]
fn braces_in_strings_and_comments_do_not_count() {
    let repo = Repo::example();
    let braces = "{".repeat(100);
    repo.edit(
        "platform.kdl",
        "// Promotion order",
        &format!("// {braces}\n    /* {braces} */ // Promotion order"),
    );
    repo.edit(
        "platform.kdl",
        "channel=\"#alerts\"",
        &format!("channel=#\"#alerts{braces}\"#"),
    );
    assert_exit(&repo.run(&["validate"]), 0);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    for (file, anchor) in [
        ("platform.kdl", "tenant \"dev\""),
        ("environments/prod.kdl", "environment"),
        ("versions/prod.yaml", "mimir-distributed"),
    ] {
        let message = rejected(|repo: &Repo| {
            let path = repo.path().join(file);
            let text = std::fs::read(&path).unwrap();
            let text = String::from_utf8(text).unwrap();
            let at = text.find(anchor).unwrap();
            let mut bytes = text.into_bytes();
            bytes.splice(at..at, [0xff, 0xfe]);
            std::fs::write(&path, bytes).unwrap();
        });
        assert_mentions(
            &message,
            &["is not UTF-8 text", "byte 0xff is not UTF-8", file],
        );
    }
}

#[test]
fn thousands_of_problems_on_one_line_print_a_bounded_report_quickly() {
    let started = std::time::Instant::now();
    let message = rejected(in_platform(
        "tenant \"dev\" ingestion-rate=20000",
        format!(
            "tenant \"dev\" ingestion-rate=20000 {}",
            (0..8_000)
                .map(|i| format!("bogus{i}=1 "))
                .collect::<String>()
        ),
    ));
    assert_mentions(
        &message,
        &[
            "unknown key `bogus0`",
            "and 7950 more problems not shown",
            "the spec has 8000 problems",
        ],
    );
    assert!(!message.contains("bogus50`"), "more than 50 shown");
    assert!(message.len() < 50_000, "{} bytes of errors", message.len());
    // Two renders and a validate of the example, in a debug build on a shared machine.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// `platform.kdl` grown past 128 KB (parsed in pieces on several cores, `load/split.rs`) with
/// `broken(index, line)` applied to each of its generated tenant lines.
fn grown_platform(repo: &Repo, broken: impl Fn(usize, String) -> String) -> String {
    const LINE: &str = "    tenant \"dev\" ingestion-rate=20000 retention=\"7d\"\n";
    let extra: String = (0..3_000)
        .map(|i| {
            broken(
                i,
                format!("    tenant \"t{i:04}\" ingestion-rate=1000 retention=\"7d\"\n"),
            )
        })
        .collect();
    repo.edit("platform.kdl", LINE, &format!("{LINE}{extra}"));
    let text = repo.read("platform.kdl");
    assert!(text.len() > 128 * 1024, "{} bytes", text.len());
    text
}

/// The 1-based line of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn a_large_spec_reports_syntax_errors_in_every_part_of_it() {
    let mut text = String::new();
    let message = rejected(|repo: &Repo| {
        text = grown_platform(repo, |i, line| match i {
            100 | 2_900 => line.replace("ingestion-rate=1000", "ingestion-rate=1000 )broken("),
            _ => line,
        });
    });
    let (early, late) = (line_of(&text, "t0100"), line_of(&text, "t2900"));
    assert!(early < late && late > 2_000, "lines {early} and {late}");
    assert_mentions(
        &message,
        &[
            &format!("platform.kdl:{early}:"),
            &format!("platform.kdl:{late}:"),
        ],
    );
}

#[test]
fn a_large_spec_reports_each_problem_at_its_line_and_column() {
    let mut text = String::new();
    let message = rejected(|repo: &Repo| {
        text = grown_platform(repo, |i, line| match i {
            10 | 2_990 => line.replace("retention=\"7d\"", "retention=\"7 days\""),
            _ => line,
        });
    });
    for tenant in ["t0010", "t2990"] {
        let line = line_of(&text, tenant);
        let column = text.lines().nth(line - 1).and_then(|l| l.find("retention"));
        let column = column.expect("the retention") + 1;
        assert_mentions(&message, &[&format!("platform.kdl:{line}:{column}")]);
    }
}

/// `lgtmc check 2>&1 | true`: `true` exits at once, so every write of lgtmc to the pipe fails
/// with EPIPE. The output carries lgtmc's own exit status.
fn check_into_a_closed_pipe(repo: &Repo) -> std::process::Output {
    std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$0\" check 2>&1 | true; exit ${PIPESTATUS[0]}")
        .arg(assert_cmd::cargo::cargo_bin("lgtmc"))
        .current_dir(repo.path())
        .env("LGTMC_CACHE_DIR", crate::common::cache_dir())
        .output()
        .expect("bash runs")
}

#[test]
fn a_closed_stderr_does_not_change_the_exit_code() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("out/prod/loki/values.yaml", "retention", "rétention");
    let output = check_into_a_closed_pipe(&repo);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // A broken spec: exit 2, not 101.
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"0d\"");
    let output = check_into_a_closed_pipe(&repo);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

// Strings.

#[test]
fn a_tenancy_label_with_a_line_separator_is_invalid_not_a_template_bug() {
    let message = rejected(in_platform(
        "label=\"platform.example.com/tenant\"",
        "label=\"team\\u{2028}id\"",
    ));
    assert_mentions(
        &message,
        &["is not a Kubernetes label key", "platform.kdl:18"],
    );
}

#[test]
fn tenancy_labels_must_be_kubernetes_label_keys() {
    for label in [
        "Example.com/tenant",
        "a/b/c",
        "-tenant",
        "team id",
        &"x".repeat(64),
    ] {
        let message = rejected(in_platform(
            "label=\"platform.example.com/tenant\"",
            format!("label=\"{label}\""),
        ));
        assert_mentions(&message, &["is not a Kubernetes label key"]);
    }
}

#[test]
fn a_string_with_line_separators_renders_and_reads_back_unchanged() {
    // The alerts channel reaches the Grafana contact point's YAML.
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "channel=\"#alerts\"",
        "channel=\"#alerts\\u{2028}x\\u{85}y\"",
    );
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    let points = repo.read("out/prod/grafana/provisioning/alerting/contact-points.yaml");
    assert!(points.contains("#alerts\\u2028x\\u0085y"), "{points}");
    assert!(!points.contains('\u{2028}'));
}

#[test]
fn urls_must_be_urls() {
    for (from, to, key) in [
        (
            "repo=\"https://git.example.com/platform/gitops.git\"",
            "repo=\"not a url\"",
            "gitops.repo",
        ),
        (
            "repo=\"https://git.example.com/platform/gitops.git\"",
            "repo=\"ftp://git.example.com/x\"",
            "gitops.repo",
        ),
        (
            "url=\"https://sentry.example.com\"",
            "url=\"https://:8080/x\"",
            "errors.url",
        ),
        (
            "backend=\"openai\"",
            "backend=\"openai\" base-url=\"localhost:8080\"",
            "diagnose.base-url",
        ),
    ] {
        let message = rejected(in_platform(from, to));
        assert_mentions(&message, &[&format!("`{key}` is not a usable URL")]);
    }
    let message = rejected(|repo: &Repo| {
        repo.edit(
            "environments/dev.kdl",
            "cluster \"https://dev.k8s.example.com\"",
            "cluster \"dev.k8s.example.com\"",
        );
    });
    assert_mentions(
        &message,
        &["`cluster` is not a usable URL", "environments/dev.kdl:3"],
    );
}

#[test]
fn ssh_clone_urls_are_accepted() {
    for repo_url in [
        "git@git.example.com:platform/gitops.git",
        "ssh://git@git.example.com/platform/gitops.git",
    ] {
        let repo = Repo::example();
        repo.edit(
            "platform.kdl",
            "repo=\"https://git.example.com/platform/gitops.git\"",
            &format!("repo=\"{repo_url}\""),
        );
        let output = repo.run(&["validate"]);
        assert_exit(&output, 0);
    }
}

#[test]
fn type_annotations_are_rejected_not_ignored() {
    let message = rejected(|repo: &Repo| {
        repo.edit("platform.kdl", "replicas=3", "replicas=(u8)3");
        repo.edit("platform.kdl", "tenant \"dev\"", "(foo)tenant \"dev\"");
    });
    assert_mentions(
        &message,
        &[
            "type annotation `(u8)` on `replicas`",
            "type annotation `(foo)` on node `tenant`",
            "the spec has 2 problems",
        ],
    );
}

// Secrets only by reference.

#[test]
fn secrets_in_the_spec_are_rejected_with_the_secret_reference_to_use() {
    for (from, to, what, reference) in [
        (
            "channel=\"#alerts\"",
            "channel=\"https://hooks.example.com/T000/B000\"",
            "a webhook URL",
            "slack-secret",
        ),
        (
            "channel=\"#alerts\"",
            "channel=\"hooks.slack.com/services/T0/B0/XXXX\"",
            "a Slack webhook URL",
            "slack-secret",
        ),
        (
            "repo=\"https://git.example.com/",
            "repo=\"https://user:pw@git.example.com/",
            "credentials in a URL",
            "repository Secret",
        ),
        (
            "repo=\"https://git.example.com/",
            "repo=\"https://oauth2:ghp_abcdefghijklmnopqrstuvwxyz0123@git.example.com/",
            "credentials in a URL",
            "repository Secret",
        ),
        (
            "org \"platform\"",
            "org \"AKIAABCDEFGHIJKLMNOP\"",
            "an AWS access key id",
            "token-secret",
        ),
        (
            "ai-secret=\"k8sgpt-openai\"",
            "ai-secret=\"sk-proj-abcdefghijklmnopqrst\"",
            "an API key",
            "ai-secret",
        ),
        (
            "tenant \"dev\"",
            "tenant \"ghp_abcdefghijklmnopqrstuvwxyz0123\"",
            "a GitHub token",
            "Kubernetes Secret",
        ),
    ] {
        let message = rejected(in_platform(from, to));
        assert_mentions(
            &message,
            &[what, "the spec must not hold secrets", reference],
        );
    }
}

#[test]
fn a_secret_in_an_overlay_is_reported_in_the_overlay() {
    let message = rejected(|repo: &Repo| {
        repo.edit(
            "environments/dev.kdl",
            "cluster \"https://dev.k8s.example.com\"",
            "cluster \"https://admin:hunter2@dev.k8s.example.com\"",
        );
    });
    assert_mentions(
        &message,
        &["credentials in a URL", "environments/dev.kdl:3"],
    );
}

// A bounded fuzz run over the example spec.

/// xorshift64*: a seeded generator, so a failing case can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const HOSTILE_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "1e308",
    "-0.0",
    "#inf",
    "#nan",
    "0x7fffffffffffffff",
];

const HOSTILE_TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "/*",
    "*/",
    "//",
    "/-",
    "\u{2028}",
    "\u{85}",
    "\u{feff}",
    "\u{0}",
    "(u8)",
    "#",
    "\\",
    "\n",
    ";",
    "=",
    "x=1",
    "#true",
    "#null",
    "r#\"",
    "\"\"\"",
    "tenant \"t\" ingestion-rate=1 retention=\"1d\"\n",
    "retention=\"999999999y\"",
    "retention=\"0s\"",
    "environments \"dev\"\n",
    "https://u:p@h",
    "AKIAABCDEFGHIJKLMNOP",
];

const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "0s",
    "584942418y",
    "1ms",
    "a\\u{2028}b",
    "../../etc",
    "{{ x }}",
    "${HOME}",
    "$$",
    "\\\"",
    "#alerts",
    "ghp_abcdefghijklmnopqrstuvwxyz0123",
    "https://",
    "é",
];

/// One to three mutations of `text`: hostile numbers, tokens and strings, deleted or repeated
/// spans. Byte-level, so some cases are not UTF-8 either.
fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 => {
                let digits: Vec<usize> = (0..bytes.len())
                    .filter(|&i| bytes[i].is_ascii_digit())
                    .collect();
                if let Some(&start) = digits.get(rng.below(digits.len())) {
                    let end = start
                        + bytes[start..]
                            .iter()
                            .take_while(|b| b.is_ascii_digit())
                            .count();
                    bytes.splice(start..end, rng.pick(HOSTILE_NUMBERS).bytes());
                }
            }
            1 => {
                let token = rng.pick(HOSTILE_TOKENS);
                bytes.splice(at..at, token.bytes());
            }
            2 => {
                let end = (at + rng.below(24)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(200)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            4 => {
                let quotes: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'"').collect();
                if quotes.len() >= 2 {
                    let q = rng.below(quotes.len() - 1);
                    let (start, end) = (quotes[q] + 1, quotes[q + 1]);
                    bytes.splice(start..end, rng.pick(HOSTILE_STRINGS).bytes());
                }
            }
            _ => {
                if at < bytes.len() {
                    bytes[at] = [0xff, 0xc3, 0x80, b'{'][rng.below(4)];
                }
            }
        }
    }
    bytes
}

/// `LGTMC_FUZZ_CASES` mutated specs (24 by default; see docs/hardening.md for a longer run), seed
/// `LGTMC_FUZZ_SEED`: `render` never panics or hangs, exits 0 or 2, keeps its output bounded, and
/// on 2 leaves out/ byte for byte as it was.
#[test]
fn fuzzed_specs_never_panic_and_never_touch_out_when_rejected() {
    let env_number = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let cases = env_number("LGTMC_FUZZ_CASES", 24);
    let seed = env_number("LGTMC_FUZZ_SEED", 12);
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let files = [
        "platform.kdl",
        "environments/prod.kdl",
        "environments/dev.kdl",
        "versions/prod.yaml",
    ];
    let originals: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(repo.path().join(f)).unwrap())
        .collect();
    let pristine = repo.snapshot_tree("out");
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..cases {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (case + 1));
        let which = [0, 0, 0, 1, 2, 3][rng.below(6)];
        let mutated = mutate(&mut rng, &originals[which]);
        std::fs::write(repo.path().join(files[which]), &mutated).unwrap();
        let output = assert_cmd::Command::cargo_bin("lgtmc")
            .unwrap()
            .current_dir(repo.path())
            .env("NO_COLOR", "1")
            .env("LGTMC_CACHE_DIR", crate::common::cache_dir())
            .arg("render")
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        let replay = format!(
            "case {case} (LGTMC_FUZZ_SEED={seed}), {} mutated to:\n{}",
            files[which],
            String::from_utf8_lossy(&mutated)
        );
        let code = output.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "exit {code:?} in {replay}\n{}",
            stderr(&output)
        );
        assert!(
            output.stdout.len() + output.stderr.len() < 1_000_000,
            "{} bytes of output in {replay}",
            output.stdout.len() + output.stderr.len()
        );
        if code == Some(2) {
            rejected += 1;
            assert_eq!(
                pristine,
                repo.snapshot_tree("out"),
                "out/ changed in {replay}"
            );
        } else {
            accepted += 1;
        }
        std::fs::write(repo.path().join(files[which]), &originals[which]).unwrap();
        if code == Some(0) {
            assert_exit(&repo.run(&["render"]), 0);
        }
    }
    eprintln!("fuzz: {cases} cases from seed {seed}: {accepted} rendered, {rejected} rejected");
}

/// A versions file whose keys are not all chart names (a number, a list) or that is not a map:
/// a problem at the file with exit 2, and out/ untouched.
#[test]
fn a_versions_file_with_keys_that_are_not_chart_names_is_an_error_at_the_file() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let pristine = repo.snapshot_tree("out");
    let versions = repo.path().join("versions/dev.yaml");
    let original = std::fs::read_to_string(&versions).unwrap();
    std::fs::write(&versions, format!("{original}1.5: x\n[a, b]: y\n")).unwrap();
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    // Both keys give the same problem at the file (a key that is not text has no span of its
    // own), reported once.
    assert!(
        text.contains("`versions/dev.yaml` has a key that is not a chart name")
            && text.contains("versions/dev.yaml:1:1"),
        "{text}"
    );
    assert_eq!(repo.snapshot_tree("out"), pristine, "out/ changed");

    std::fs::write(&versions, "- a\n- b\n").unwrap();
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    let text = stderr(&output);
    assert!(
        text.contains("`versions/dev.yaml` is not a YAML map of chart versions")
            && text.contains("versions/dev.yaml:1:"),
        "{text}"
    );
    assert_eq!(repo.snapshot_tree("out"), pristine, "out/ changed");
}
