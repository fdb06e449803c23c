//! The last test target of `cargo test` (`harness = false`): one summary of the checks that did
//! not run because a tool or the shared reference is missing, so that skips are counted where a
//! reader of the output looks last, with how to install what is missing. See `common/ledger.rs`.

#[path = "common/ledger.rs"]
#[allow(
    dead_code,
    reason = "its unit test runs in the integration target, which has a harness"
)]
mod ledger;

fn main() {
    let skips = ledger::read();
    let _ = std::fs::remove_file(ledger::path());
    print!("{}", ledger::summary(&skips));
}
