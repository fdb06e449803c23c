//! Reading rendered YAML back, the fast path (`yaml::documents`) against the reference path
//! (`yaml::reference::documents`, by way of `serde_norway::Value`), over every `.yaml` file of a
//! tree: `LGTMC_YAML_DIR` (say the `out/` of a 2,000-tenant render, docs/benchmarks.md), or this
//! repository's `out/`. It also checks that both read every file alike.
//! Run with `cargo bench --bench yaml`; `LGTMC_YAML_RUNS` (default 5) runs of each.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lgtmc::yaml;

fn yaml_files(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.expect("a readable tree").into_path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("a UTF-8 file"))
        .collect()
}

/// The time of one pass over every text, each parse's result dropped at once (as `verify` keeps
/// only one tree per file, the reference path's second tree is the extra work measured).
fn pass(
    texts: &[String],
    read: fn(&str) -> Result<Vec<serde_json::Value>, yaml::YamlError>,
) -> Duration {
    let start = Instant::now();
    for text in texts {
        std::hint::black_box(read(text).map(|documents| documents.len()).ok());
    }
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let dir = std::env::var_os("LGTMC_YAML_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("out"),
        PathBuf::from,
    );
    let runs: usize = std::env::var("LGTMC_YAML_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(5);
    let texts = yaml_files(&dir);
    let bytes: usize = texts.iter().map(String::len).sum();
    for text in &texts {
        assert_eq!(
            yaml::documents(text),
            yaml::reference::documents(text),
            "the two paths read a file differently"
        );
    }
    let mut reference = Vec::new();
    let mut direct = Vec::new();
    for _ in 0..runs.max(1) {
        reference.push(pass(&texts, yaml::reference::documents));
        direct.push(pass(&texts, yaml::documents));
    }
    let (reference, direct) = (median(reference), median(direct));
    println!(
        "{} YAML files, {:.1} MB, under {}",
        texts.len(),
        bytes as f64 / 1e6,
        dir.display()
    );
    println!("reference (serde_norway::Value, to_json): {reference:?}");
    println!("yaml::documents (subset, then direct):     {direct:?}");
    println!(
        "speed-up: {:.2}x",
        reference.as_secs_f64() / direct.as_secs_f64()
    );
}
