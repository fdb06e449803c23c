//! The `lgtmc` binary: everything happens in `lgtmc::run`.

fn main() {
    std::process::exit(lgtmc::run(std::env::args_os()));
}
