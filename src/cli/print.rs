//! Printing: stdout and stderr that survive a closed pipe, warnings, and an error printed once,
//! with source snippets where it has them (miette, coloured as `config` decided).

use std::io::Write;

use crate::diagnostic::{Problem, Warning, render_all};
use crate::emit::EmitError;
use crate::error::Error;
use crate::render::{RenderError, TemplateDirError};
use crate::report::Colour;

/// `eprintln!` through `print_err`, which survives a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::print::print_err(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use errln;

/// Writes to stderr; a closed pipe (`lgtmc check 2>&1 | head -1`) is not an error, and the run
/// still exits with its own code (`eprint!` would panic, exit 101).
pub(crate) fn print_err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}

/// Writes to stdout; a closed pipe (`lgtmc diff | head`) is not an error.
pub(crate) fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

pub(crate) fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn handler(colour: Colour) -> miette::GraphicalReportHandler {
    let theme = match colour {
        Colour::Always => miette::GraphicalTheme::unicode(),
        Colour::Never => miette::GraphicalTheme::unicode_nocolor(),
    };
    miette::GraphicalReportHandler::new_themed(theme).with_width(100)
}

/// Prints warnings (never fatal) to stderr.
pub(crate) fn warn(warnings: &[Problem], colour: Colour) {
    let handler = handler(colour);
    for warning in warnings {
        let mut text = String::new();
        let _ = handler.render_report(&mut text, &Warning(warning));
        print_err(&text);
    }
}

/// Prints an error once, with source snippets where it has them.
pub(crate) fn report(error: &Error, colour: Colour) {
    let handler = handler(colour);
    let render = |diagnostic: &dyn miette::Diagnostic| {
        let mut text = String::new();
        let _ = handler.render_report(&mut text, diagnostic);
        print_err(&text);
    };
    // Diagnostics with snippets first, then the one-line summary.
    match error {
        Error::Spec(problems) => print_err(&render_all(problems, &handler)),
        Error::Verify(errors) => errors.iter().for_each(|e| render(e)),
        Error::References(errors) => errors.iter().for_each(|e| render(e)),
        Error::Isolation(errors) => errors.iter().for_each(|e| render(e)),
        Error::Render(RenderError::TemplateDir(TemplateDirError::Overrides {
            problems, ..
        })) => problems.iter().for_each(|p| render(p)),
        Error::Render(RenderError::TemplateDir(TemplateDirError::NotADirectory { .. })) => {}
        Error::Render(render_error) => render(render_error),
        Error::AtRevision { rev, source } => {
            errln!(
                "error: the spec at `{rev}` does not compile; the problems below are in that revision, not in the working tree"
            );
            report(source, colour);
            return;
        }
        _ => {}
    }
    report_summary(error);
}

/// The lines that end an error's report: what failed, and what to do about it.
fn report_summary(error: &Error) {
    match error {
        Error::Spec(_)
        | Error::Verify(_)
        | Error::References(_)
        | Error::Isolation(_)
        | Error::Render(RenderError::TemplateDir(TemplateDirError::Overrides { .. })) => {
            errln!("error: {error}; nothing was written");
        }
        Error::Render(RenderError::TemplateDir(TemplateDirError::NotADirectory { .. })) => {
            errln!("error: {error}");
            errln!(
                "help: --templates takes a directory of overrides named like lgtmc's templates (DIR/mimir/values.yaml.j2 replaces mimir/values.yaml.j2)"
            );
        }
        Error::Usage { message, help } => {
            errln!("error: {message}");
            if let Some(help) = help {
                errln!("help: {help}");
            }
        }
        Error::NoSpec { .. } => {
            errln!("error: {error}");
            errln!("help: run `lgtmc init` to create one, or point at it with `-C DIR`");
        }
        Error::CustomResources(problems) => {
            for problem in problems {
                errln!("error: {problem}");
            }
            errln!("error: {error}; nothing was written");
            errln!(
                "help: a template renders a resource its CRD rejects: fix the template (or your --templates override), or check that the CRDs are the versions lgtmc targets"
            );
        }
        Error::Crds(_) => {
            errln!("error: --crds: {error}");
            errln!(
                "help: --crds takes a directory of CustomResourceDefinition YAML files (apiextensions.k8s.io/v1), optionally with kargo-schemas/ beside them"
            );
        }
        Error::Emit(EmitError::Refused { refusals, .. }) => {
            for refusal in refusals {
                let (path, reason) = (refusal.path.display(), refusal.reason);
                errln!("error: `{path}` {}", reason.message());
                errln!("  help: {}", reason.hint());
            }
            errln!("error: {error}");
        }
        Error::Render(_) => errln!("error: nothing was written"),
        Error::History(history) => {
            errln!("error: {history}");
            if let Some(help) = history.help() {
                errln!("help: {help}");
            }
        }
        Error::Read { .. } | Error::Emit(_) | Error::Manual(_) | Error::AtRevision { .. } => {
            errln!("error: {error}");
        }
    }
}
