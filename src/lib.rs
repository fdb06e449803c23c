//! lgtmc compiles one KDL platform spec (`platform.kdl` plus `environments/<env>.kdl` overlays)
//! into the files a GitOps repository commits under `out/`: Helm values, collector configuration
//! and manifests for a multi-tenant Grafana LGTM stack on Rook-Ceph.
//!
//! The pipeline, one module per stage (ARCHITECTURE.md has the whole map):
//! `load` → `document` → `validate` → `plan` → `render` → `verify` → `emit`, run in order by
//! `compiler`. `cli` is the command line; `main.rs` only calls `cli::run`.
//!
//! There are no stability guarantees for this library interface: it exists for the binary, the
//! tests and the benchmarks.

pub mod alloy;
pub mod annotate;
pub mod cache;
pub mod capacity;
pub mod catalog;
pub mod cli;
pub mod compiler;
pub mod compute;
pub mod config;
pub mod crds;
pub mod diagnostic;
pub mod document;
pub mod emit;
pub mod error;
pub mod explain;
pub mod format;
pub mod history;
pub mod init;
pub mod limits;
pub mod load;
pub mod manual;
pub mod model;
pub mod parallel;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
pub mod secrets;
pub mod summary;
pub mod units;
pub mod validate;
pub mod verify;
pub mod yaml;

pub use cli::run;
