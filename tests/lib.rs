//! One integration-test binary (faster to link than one per file). Every test here runs the real
//! `lgtmc` binary in a temporary directory, except `schema`, which compares committed files with
//! what the library generates, and `catalog`, which plans and renders with an extended component
//! catalog through the library.

mod common;

mod annotations;
mod architecture;
mod backends;
mod capacity;
mod catalog;
mod charts;
mod check;
mod collector;
mod compute;
mod crds;
mod delivery;
mod diff_base;
mod docs;
mod errors;
mod explain;
mod grafana;
mod hardening;
mod init;
mod location;
mod manual;
mod out_dir;
mod record;
mod reference;
mod render;
mod schema;
mod snapshots;
mod templates;
mod workflows;
