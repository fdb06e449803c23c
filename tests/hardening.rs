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
