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
