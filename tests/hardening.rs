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

#[track_caller]
fn assert_mentions(message: &str, expected: &[&str]) {
    for text in expected {
        assert!(message.contains(text), "`{text}` not in\n{message}");
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

#[test]
fn a_closed_stderr_does_not_change_the_exit_code() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("out/prod/loki/values.yaml", "retention", "rétention");
    // `true` exits at once, so every write of lgtmc to the pipe fails with EPIPE.
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$0\" check 2>&1 | true; exit ${PIPESTATUS[0]}")
        .arg(assert_cmd::cargo::cargo_bin("lgtmc"))
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // A broken spec: exit 2, not 101.
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"0d\"");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$0\" check 2>&1 | true; exit ${PIPESTATUS[0]}")
        .arg(assert_cmd::cargo::cargo_bin("lgtmc"))
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
