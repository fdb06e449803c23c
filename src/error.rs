//! The library's error: what went wrong in a run, and the exit code it maps to.
//!
//! Exit codes: 0 success; 1 drift (`check`); 2 invalid input or usage; 3 I/O or internal error,
//! including an out dir that cannot take the render (`EmitError::Refused`, `NoSpace`).

use std::path::PathBuf;

use crate::crds::{CrdError, CrdProblem};
use crate::diagnostic::Problem;
use crate::emit::EmitError;
use crate::history::HistoryError;
use crate::manual::ManualError;
use crate::render::RenderError;
use crate::verify::isolation::IsolationError;
use crate::verify::{ReferenceError, VerifyError};

pub const EXIT_OK: i32 = 0;
pub const EXIT_DRIFT: i32 = 1;
pub const EXIT_INVALID: i32 = 2;
pub const EXIT_INTERNAL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something that cannot be done (an unknown environment, an
    /// `init` over an existing spec).
    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },
    /// No `platform.kdl` where the spec should be.
    #[error("no `platform.kdl` in `{}`", dir.display())]
    NoSpec { dir: PathBuf },
    /// Problems in the spec: syntax, schema, semantics. All of them.
    #[error("the spec has {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Spec(Vec<Problem>),
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{} rendered file{} did not verify", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Verify(Vec<VerifyError>),
    #[error("{} reference{} between rendered files did not resolve", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    References(Vec<ReferenceError>),
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// `--crds DIR` cannot be read or compiled: invalid input.
    #[error(transparent)]
    Crds(#[from] CrdError),
    /// Rendered custom resources that their CRDs reject: a template bug. All of them.
    #[error("{} problem{} in rendered custom resources", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    CustomResources(Vec<CrdProblem>),
    /// Reading the spec from git history (`diff --base`).
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Manual(#[from] ManualError),
    /// The spec at a git revision does not compile; `source` says why, about that revision.
    #[error("the spec at `{rev}` does not compile: {source}")]
    AtRevision {
        rev: String,
        #[source]
        source: Box<Error>,
    },
    /// Rendered Grafana provisioning that lets a tenant's folder reach another tenant's data.
    #[error("the rendered Grafana provisioning breaks tenant isolation in {} place{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Isolation(Vec<IsolationError>),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. }
            | Error::NoSpec { .. }
            | Error::Spec(_)
            | Error::Crds(_)
            | Error::Render(RenderError::TemplateDir(_)) => EXIT_INVALID,
            Error::Read { .. }
            | Error::Render(_)
            | Error::Verify(_)
            | Error::References(_)
            | Error::Isolation(_)
            | Error::Emit(_)
            | Error::CustomResources(_) => EXIT_INTERNAL,
            Error::History(error) if error.is_usage() => EXIT_INVALID,
            Error::History(_) => EXIT_INTERNAL,
            Error::Manual(ManualError::UnknownCommand { .. }) => EXIT_INVALID,
            Error::Manual(ManualError::Render(_) | ManualError::Write { .. }) => EXIT_INTERNAL,
            Error::AtRevision { source, .. } => source.exit_code(),
        }
    }
}
