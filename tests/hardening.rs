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
            &["`tenant.agents.retention`", "longer than the backends can hold", "platform.kdl:25"],
        );
    }
}

#[test]
fn a_scrape_interval_past_the_bound_is_rejected_not_wrapped_to_one_second() {
    let message = rejected(in_platform(
        "scrape-interval=\"30s\"",
        "scrape-interval=\"999999999y\"",
    ));
    assert_mentions(&message, &["`collector.scrape-interval`", "longer than the backends can hold"]);
}

#[test]
fn a_zero_diagnose_interval_is_rejected() {
    let message = rejected(in_platform("every=\"10m\"", "every=\"0m\""));
    assert_mentions(&message, &["`diagnose.every` must be longer than zero"]);
}

#[test]
fn the_longest_duration_renders_in_every_backends_units() {
    let repo = Repo::example();
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"2562047h\"");
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
