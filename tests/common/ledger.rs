//! The ledger of skipped checks. A test that cannot run (a tool or the shared reference is
//! missing) appends one line to it; `tests/skipped.rs`, the last test target `cargo test` runs,
//! prints one summary of them after every other test's output and removes the ledger.
//!
//! libtest has no hook that runs after the last test of a binary, so the summary is a test target
//! of its own (`harness = false`, which prints nothing but the summary). Both processes are
//! started by the same `cargo test`, so the ledger is named after that parent process: a run sees
//! only its own skips, and a run filtered to one target leaves a ledger no other run reads.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// One skip: what was missing, how to get it, which test did not run.
pub(crate) struct Skip {
    pub(crate) missing: String,
    pub(crate) install: String,
    pub(crate) test: String,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("skipped-checks")
}

/// This `cargo test` run's ledger.
pub(crate) fn path() -> PathBuf {
    #[cfg(unix)]
    let run = std::os::unix::process::parent_id();
    #[cfg(not(unix))]
    let run = 0;
    dir().join(format!("{run}.tsv"))
}

#[allow(dead_code, reason = "the summary target only reads")]
pub(crate) fn record(skip: &Skip) {
    record_in(&path(), skip);
}

fn record_in(ledger: &std::path::Path, skip: &Skip) {
    let line = [&skip.missing, &skip.install, &skip.test]
        .map(|field| field.replace(['\t', '\n'], " "))
        .join("\t");
    let _ = ledger.parent().map(std::fs::create_dir_all);
    // One write of one short line to a file opened for appending: lines from parallel tests do
    // not interleave.
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ledger)
        .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
    if let Err(error) = appended {
        let _ = writeln!(
            std::io::stderr(),
            "lgtmc tests: cannot record a skip in {}: {error}",
            ledger.display()
        );
    }
}

#[allow(dead_code, reason = "the integration tests only record")]
pub(crate) fn read() -> Vec<Skip> {
    read_in(&path())
}

fn read_in(ledger: &std::path::Path) -> Vec<Skip> {
    std::fs::read_to_string(ledger)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t').map(str::to_owned);
            Some(Skip {
                missing: fields.next()?,
                install: fields.next()?,
                test: fields.next()?,
            })
        })
        .collect()
}

/// The summary: how many checks were skipped, grouped by what was missing, with how to get it.
pub(crate) fn summary(skips: &[Skip]) -> String {
    if skips.is_empty() {
        return "lgtmc tests: no check was skipped\n".to_owned();
    }
    let mut by_missing: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for skip in skips {
        *by_missing
            .entry((&skip.missing, &skip.install))
            .or_default() += 1;
    }
    let mut text = format!(
        "lgtmc tests: {} check{} skipped (each printed SKIPPED above):\n",
        skips.len(),
        if skips.len() == 1 { " was" } else { "s were" }
    );
    for ((missing, install), count) in by_missing {
        text += &format!("  {count:>3} without {missing}: {install}\n");
    }
    text += "  LGTMC_REQUIRE_TOOLS=1 and LGTMC_REQUIRE_REFERENCE=1 make a missing tool or reference fail the tests instead (CI sets them)\n";
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip(missing: &str, test: &str) -> Skip {
        Skip {
            missing: missing.to_owned(),
            install: format!("get {missing}"),
            test: test.to_owned(),
        }
    }

    #[test]
    fn skips_are_recorded_read_back_and_counted_by_what_is_missing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ledger = dir.path().join("run/1.tsv");
        assert!(read_in(&ledger).is_empty());
        record_in(&ledger, &skip("`kubectl`", "a::b"));
        record_in(&ledger, &skip("`pre-commit`", "c\td"));
        record_in(&ledger, &skip("`kubectl`", "e::f"));
        let skips = read_in(&ledger);
        assert_eq!(skips.len(), 3);
        assert_eq!(skips[1].test, "c d");
        assert_eq!(
            summary(&skips),
            "lgtmc tests: 3 checks were skipped (each printed SKIPPED above):\n    2 without `kubectl`: get `kubectl`\n    1 without `pre-commit`: get `pre-commit`\n  LGTMC_REQUIRE_TOOLS=1 and LGTMC_REQUIRE_REFERENCE=1 make a missing tool or reference fail the tests instead (CI sets them)\n"
        );
        assert_eq!(summary(&[]), "lgtmc tests: no check was skipped\n");
    }
}
