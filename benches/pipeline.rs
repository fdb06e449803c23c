//! Benchmarks of the two paths that must feel instant: `check` on the example platform (the
//! pre-commit hook) and a full render of a large platform (500 tenants × 3 environments).
//! Run with `cargo bench`; the README records the figures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `lgtmc check` without process start-up: compile the spec, compare with the committed out/.
fn check(spec_dir: &Path) -> bool {
    let compilation = lgtmc::compiler::compile(spec_dir, None).expect("the example compiles");
    lgtmc::emit::compare_tree(&spec_dir.join("out"), &compilation.files)
        .expect("out/ is readable")
        .is_clean()
}

/// A platform like the example, with `tenants` tenants.
fn large_spec(dir: &Path, tenants: usize) {
    let mut text = String::from(
        "platform \"large\" {\n    environments \"dev\" \"staging\" \"prod\"\n    gitops repo=\"https://git.example.com/gitops.git\"\n    storage { ceph object-store=\"observability\" }\n    tenancy label=\"platform.example.com/tenant\" default=\"t0\"\n",
    );
    for index in 0..tenants {
        let _ = writeln!(
            text,
            "    tenant \"t{index}\" ingestion-rate={} max-series={} retention=\"{}d\"",
            1_000 + index,
            100_000 + index,
            1 + index % 90
        );
    }
    text.push_str("}\n");
    std::fs::write(dir.join("platform.kdl"), text).expect("write spec");
    std::fs::create_dir_all(dir.join("environments")).expect("mkdir");
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir");
    for env in ["dev", "staging", "prod"] {
        let overlay = format!(
            "environment \"{env}\" {{\n    cluster \"https://{env}.k8s.example.com\"\n    metrics replicas=3\n}}\n"
        );
        std::fs::write(dir.join(format!("environments/{env}.kdl")), overlay)
            .expect("write overlay");
        // The example's chart versions, without the charts this spec does not deploy.
        let versions: String =
            std::fs::read_to_string(example_dir().join(format!("versions/{env}.yaml")))
                .expect("the example's versions")
                .lines()
                .filter(|line| !line.starts_with("sentry") && !line.starts_with("k8sgpt"))
                .map(|line| format!("{line}\n"))
                .collect();
        std::fs::write(dir.join(format!("versions/{env}.yaml")), versions).expect("write versions");
    }
}

fn benches(c: &mut Criterion) {
    let example = example_dir();
    assert!(
        check(&example),
        "the committed out/ is stale: run `cargo run -- render`"
    );
    c.bench_function("check the example platform", |b| b.iter(|| check(&example)));

    let large = tempfile::tempdir().expect("tempdir");
    large_spec(large.path(), 500);
    let out = large.path().join("out");
    c.bench_function("render 500 tenants x 3 environments", |b| {
        b.iter(|| {
            let compilation = lgtmc::compiler::compile(large.path(), None).expect("compiles");
            lgtmc::emit::write_tree(&out, &compilation.files).expect("writes")
        });
    });
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
