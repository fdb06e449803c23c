//! One integration-test binary (faster to link than one per file). Every test here runs the real
//! `lgtmc` binary in a temporary directory, except `schema`, which compares committed files with
//! what the library generates.

mod common;

mod check;
mod collector;
mod errors;
mod init;
mod reference;
mod render;
mod schema;
mod snapshots;
mod templates;
