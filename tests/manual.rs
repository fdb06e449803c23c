//! `lgtmc completions SHELL` and `lgtmc man [COMMAND]`, generated from the CLI definition.

use crate::common::{Repo, assert_exit, stderr, stdout};

#[test]
fn completions_cover_the_commands() {
    let repo = Repo::empty();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = repo.run(&["completions", shell]);
        assert_exit(&output, 0);
        let script = stdout(&output);
        for word in ["render", "check", "base", "format", "summary-only"] {
            assert!(script.contains(word), "{shell}: no `{word}` in\n{script}");
        }
    }
    assert_exit(&repo.run(&["completions", "tcsh"]), 2);
}

#[test]
fn man_pages_are_roff_and_document_the_commands() {
    let repo = Repo::empty();
    let output = repo.run(&["man"]);
    assert_exit(&output, 0);
    let page = stdout(&output);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    assert!(page.contains(".TH lgtmc 1"), "{page}");
    assert!(page.contains("render"), "{page}");
    let diff = stdout(&repo.run(&["man", "diff"]));
    assert!(diff.contains(".TH lgtmc-diff 1"), "{diff}");
    assert!(diff.contains("\\-\\-base"), "{diff}");
    let output = repo.run(&["man", "rendre"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("error: no command `rendre`"),
        "{}",
        stderr(&output)
    );
}

/// `lgtmc man --dir DIR` writes the main page and one page per command, every page the main one
/// refers to exists, and every page documents the environment.
#[test]
fn man_dir_writes_every_page_it_refers_to() {
    let repo = Repo::empty();
    let output = repo.run(&["man", "--dir", "pages"]);
    assert_exit(&output, 0);
    let written: std::collections::BTreeSet<String> = std::fs::read_dir(repo.path().join("pages"))
        .expect("pages/")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let main = repo.read("pages/lgtmc.1");
    assert_eq!(
        main,
        stdout(&repo.run(&["man"])),
        "the same page as `lgtmc man`"
    );
    let mut expected = std::collections::BTreeSet::from(["lgtmc.1".to_owned()]);
    for command in [
        "render",
        "check",
        "diff",
        "validate",
        "init",
        "schema",
        "completions",
        "man",
        "plan",
        "explain",
    ] {
        expected.insert(format!("lgtmc-{command}.1"));
    }
    assert_eq!(written, expected, "{}", stdout(&output));
    let references = regex::Regex::new(r"lgtmc\\-([a-z]+)\(1\)").expect("a regex");
    for name in &written {
        let page = repo.read(&format!("pages/{name}"));
        for reference in references.captures_iter(&page) {
            assert!(
                written.contains(&format!("lgtmc-{}.1", &reference[1])),
                "{name} refers to {}, which is not written",
                &reference[0]
            );
        }
        let environment = page
            .split(".SH ENVIRONMENT\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no ENVIRONMENT section"));
        for variable in ["LGTMC_SPEC_DIR", "NO_COLOR"] {
            assert!(
                environment.contains(&format!("\\fB{variable}\\fR")),
                "{name}"
            );
        }
        if name != "lgtmc.1" {
            assert!(
                page.contains(".SH \"SEE ALSO\"\n\\fBlgtmc\\fR(1)"),
                "{name}"
            );
        }
    }
    let init = repo.read("pages/lgtmc-init.1");
    assert!(init.contains("\\-\\-lgtmc\\-git"), "{init}");
    assert_exit(&repo.run(&["man", "diff", "--dir", "pages"]), 2);
}
