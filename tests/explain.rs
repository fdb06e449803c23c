//! `lgtmc explain`: the spec lines behind a rendered value, by path and by `FILE:LINE`, an
//! overlay that wins, lgtmc's own values, JSON for tools, errors; and, in-process, every value of
//! every rendered YAML, JSON and Alloy file of the example.

use std::collections::BTreeMap;
use std::time::Instant;

use lgtmc::explain::values::Value;
use lgtmc::explain::{Provenance, Target};

use crate::common::{Repo, assert_exit, repo_root, stderr, stdout};

const LOKI: &str = "out/prod/loki/values.yaml";
const RETENTION: &str = "loki.runtimeConfig.overrides.agents.retention_period";

/// The example, rendered.
fn rendered_example() -> Repo {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo
}

/// The 1-based line of the first line of `file` that contains `needle`.
#[track_caller]
fn line_of(repo: &Repo, file: &str, needle: &str) -> usize {
    repo.read(file)
        .lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in {file}"))
}

#[test]
fn a_retention_points_at_the_tenant_line_and_the_files_it_also_reaches() {
    let repo = rendered_example();
    let output = repo.run(&["explain", LOKI, RETENTION]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    let tenant_line = line_of(&repo, "platform.kdl", "tenant \"agents\"");
    let column = repo
        .read("platform.kdl")
        .lines()
        .nth(tenant_line - 1)
        .and_then(|line| line.find("retention="))
        .map(|at| at + 1)
        .expect("a retention on the tenant line");
    let value_line = line_of(&repo, LOKI, "retention_period: \"336h\"");
    let env_line = line_of(&repo, "platform.kdl", "environments \"dev\"");
    assert!(
        text.starts_with(&format!(
            "{LOKI}: its path comes from platform.kdl:{env_line}:34 \"prod\", environments/prod.kdl:"
        )),
        "an environment's name names its files:\n{text}"
    );
    assert!(
        text.contains(&format!("\n{LOKI}:{value_line}:27  {RETENTION}\n")),
        "the value's own place:\n{text}"
    );
    assert!(text.contains("  value: 336h\n"), "{text}");
    assert!(
        text.contains(&format!(
            "  from platform.kdl:{tenant_line}:{column}  retention=\"14d\"  (tenant.agents.retention)\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("tenant \"agents\" ingestion-rate=50000 retention=\"14d\""),
        "the source line is shown:\n{text}"
    );
    assert!(
        text.contains("rule: 14d → 336h: a duration in whole hours"),
        "{text}"
    );
    // The key `agents` comes from the tenant's name.
    assert!(
        text.contains(&format!(
            "under a key or in a file named by platform.kdl:{tenant_line}:12  \"agents\""
        )),
        "{text}"
    );
    for derived in [
        "out/prod/tempo/values.yaml  tempo.per_tenant_overrides.agents.compaction.block_retention",
        "out/prod/pyroscope/values.yaml  pyroscope.tenantOverrides.agents.retention_period",
        "out/prod/mimir/values.yaml  runtimeConfig.overrides.agents.compactor_blocks_retention_period",
        "out/dev/loki/values.yaml  loki.runtimeConfig.overrides.agents.retention_period",
        "out/prod/CAPACITY.md  line ",
    ] {
        assert!(
            text.contains(derived),
            "`{derived}` is derived too:\n{text}"
        );
    }
    // Only the agents tenant's retention: not another tenant's.
    assert!(!text.contains("overrides.dev.retention_period"), "{text}");
    assert!(
        !text.contains("overrides.platform.retention_period"),
        "{text}"
    );
}

#[test]
fn the_overlay_that_won_is_the_source_and_names_what_it_overrides() {
    let repo = rendered_example();
    let output = repo.run(&["explain", "out/prod/mimir/values.yaml", "ingester.replicas"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    let overlay_line = line_of(&repo, "environments/prod.kdl", "metrics replicas=3");
    let base_line = line_of(
        &repo,
        "platform.kdl",
        "metrics namespace=\"mimir\" replicas=1",
    );
    assert!(text.contains("  value: 3\n"), "{text}");
    assert!(
        text.contains(&format!(
            "  from environments/prod.kdl:{overlay_line}:13  replicas=3  (metrics.replicas)\n"
        )),
        "{text}"
    );
    assert!(text.contains("rule: as written"), "{text}");
    assert!(
        text.contains(&format!("overrides platform.kdl:{base_line}:")),
        "{text}"
    );
    assert!(
        !text.contains(&format!("from platform.kdl:{base_line}")),
        "the overridden value does not reach prod:\n{text}"
    );
    // In dev, which has no override, the platform's line is the source.
    let output = repo.run(&["explain", "out/dev/mimir/values.yaml", "ingester.replicas"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains(&format!("  from platform.kdl:{base_line}:")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn file_and_line_explains_the_values_on_that_line() {
    let repo = rendered_example();
    let line = line_of(&repo, LOKI, "retention_period: \"336h\"");
    let by_line = repo.run(&["explain", &format!("{LOKI}:{line}")]);
    assert_exit(&by_line, 0);
    let by_path = repo.run(&["explain", LOKI, RETENTION]);
    assert_eq!(stdout(&by_line), stdout(&by_path));

    // A line holding only a key explains everything below it.
    let key_line = line_of(&repo, LOKI, "\"agents\":");
    let output = repo.run(&["explain", &format!("{LOKI}:{key_line}")]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    for path in [
        "loki.runtimeConfig.overrides.agents.ingestion_rate_mb",
        "loki.runtimeConfig.overrides.agents.ingestion_burst_size_mb",
        RETENTION,
    ] {
        assert!(text.contains(&format!("  {path}\n")), "{path}:\n{text}");
    }

    // Alloy, by line and by block path, from another directory with -C.
    let alloy = "out/prod/alloy/config.alloy";
    let line = line_of(&repo, alloy, "replacement  = \"platform\"");
    let elsewhere = tempfile::tempdir().expect("a directory");
    let output = assert_cmd::Command::cargo_bin("lgtmc")
        .expect("the binary")
        .current_dir(elsewhere.path())
        .env_remove("LGTMC_SPEC_DIR")
        .env("LGTMC_CACHE_DIR", crate::common::cache_dir())
        .arg("-C")
        .arg(repo.path())
        .args([
            "explain",
            alloy,
            "discovery.relabel \"tenants\" / rule[0] / replacement",
        ])
        .output()
        .expect("runs");
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "\n{alloy}:{line}:20  discovery.relabel \"tenants\" / rule[0] / replacement\n"
        )),
        "{text}"
    );
    assert!(text.contains("(tenancy.default)"), "{text}");
    assert!(
        text.contains("changed together with platform.kdl:"),
        "a tenant's name and the default naming it are probed together:\n{text}"
    );
}

#[test]
fn a_value_no_spec_line_sets_is_lgtmcs_own() {
    let repo = rendered_example();
    let output = repo.run(&[
        "explain",
        "out/prod/mimir/values.yaml",
        "rollout_operator.enabled",
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("  value: false\n"), "{text}");
    assert!(
        text.contains(
            "lgtmc's own: no spec value changes it; written by template `mimir/values.yaml.j2`"
        ),
        "{text}"
    );
    assert!(!text.contains("  from "), "{text}");
}

#[test]
fn json_for_tools() {
    let repo = rendered_example();
    let output = repo.run(&["explain", LOKI, RETENTION, "--format", "json"]);
    assert_exit(&output, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(
        json["values"][0]["sources"][0]["rule"]
            .as_str()
            .map(|r| r.starts_with("14d → 336h")),
        Some(true)
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn bad_questions_exit_2_with_a_hint_and_write_nothing() {
    let repo = rendered_example();
    let before = repo.snapshot_tree("out");
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &[
                "explain",
                LOKI,
                "loki.runtimeConfig.overrides.agents.retention_perod",
            ],
            "has no value at `loki.runtimeConfig.overrides.agents.retention_perod`",
            "did you mean `loki.runtimeConfig.overrides.agents.retention_period`?",
        ),
        (
            &["explain", "out/prod/loki/value.yaml", "loki"],
            "`out/prod/loki/value.yaml` is not a file lgtmc renders",
            "did you mean `out/prod/loki/values.yaml`?",
        ),
        (
            &["explain", "out/prod/CAPACITY.md:3"],
            "is not YAML, JSON or Alloy",
            "listed as derived",
        ),
        (
            &["explain", &format!("{LOKI}:1")],
            "line 1 of `out/prod/loki/values.yaml` holds no value",
            "the nearest value is on line",
        ),
        (
            &["explain", LOKI],
            "`explain` needs a value path after the file, or `FILE:LINE`",
            "for example",
        ),
        (
            &["explain", LOKI, "loki..x"],
            "`loki..x` is not a value path",
            "a YAML path joins keys with `.`",
        ),
    ];
    for (args, message, help) in cases {
        let output = repo.run(args);
        assert_exit(&output, 2);
        let text = stderr(&output);
        assert!(text.contains(message), "{args:?}: {text}");
        assert!(text.contains(help), "{args:?}: {text}");
    }
    assert_eq!(repo.snapshot_tree("out"), before, "explain writes nothing");

    // A stale file: its lines would point at other values.
    repo.edit(
        "out/prod/loki/values.yaml",
        "retention_period: \"336h\"",
        "retention_period: \"1h\"",
    );
    let output = repo.run(&["explain", LOKI, RETENTION]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("is not what the spec renders now"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_invalid_spec_is_reported_as_by_every_command() {
    let repo = rendered_example();
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"14 days\"");
    let output = repo.run(&["explain", LOKI, RETENTION]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("platform.kdl"),
        "{}",
        stderr(&output)
    );
}

/// Every value of every rendered YAML, JSON and Alloy file of the example, by path and by line,
/// from one computation of the provenance of the whole tree.
#[test]
fn every_value_of_the_example_is_explained() {
    let started = Instant::now();
    let provenance = Provenance::compute(&repo_root(), None).expect("the example compiles");
    let computed = started.elapsed();
    let files: Vec<String> = provenance.files().map(str::to_owned).collect();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_format: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let Some(values) = provenance.values(file) else {
            continue;
        };
        let extension = file.rsplit('.').next().unwrap_or_default().to_owned();
        *by_format.entry(extension).or_default() += values.values.len();
        for value in &values.values {
            let own = explain_by_path_and_line(&provenance, file, value);
            *counts
                .entry(if own { "own" } else { "from the spec" })
                .or_default() += 1;
        }
    }
    sources_are_named(&provenance);

    let total: usize = counts.values().sum();
    eprintln!(
        "explain: {total} values ({by_format:?}; {counts:?}) from {} compilations in {computed:?}",
        provenance.compilations
    );
    for format in ["yaml", "json", "alloy"] {
        assert!(
            by_format.get(format).copied().unwrap_or_default() > 10,
            "{format}: {by_format:?}"
        );
    }
    assert!(
        counts.get("from the spec").copied().unwrap_or_default() > 500,
        "{counts:?}"
    );

    // Exactly these spec values cannot be probed: enumerations whose other values need more
    // settings.
    let not_probed: Vec<String> = provenance
        .probe_summary()
        .into_iter()
        .filter(|(_, probe)| probe.is_none())
        .map(|(leaf, _)| leaf)
        .collect();
    insta::assert_debug_snapshot!(not_probed);
}

/// Explains `value` by its path and by its line; whether it is lgtmc's own.
fn explain_by_path_and_line(provenance: &Provenance, file: &str, value: &Value) -> bool {
    let explanation = provenance
        .explain(file, &Target::Path(value.path.clone()))
        .unwrap_or_else(|error| panic!("{file} {}: {error}", value.path));
    let [explained] = explanation.values.as_slice() else {
        panic!(
            "{file} {}: one value, not {}",
            value.path,
            explanation.values.len()
        );
    };
    assert_eq!(explained.path, value.path);
    assert_eq!(explained.value, value.text);
    assert_eq!(explained.lgtmc_own, explained.sources.is_empty());
    assert!(!explanation.template.is_empty(), "{file}: a template");
    // Every source quotes its own line, which holds what it says was written.
    for source in explained.sources.iter().chain(&explained.placed_by) {
        assert!(
            source.source_line.contains(&source.written),
            "{file} {}: {source:?}",
            value.path
        );
    }
    let by_line = provenance
        .explain(file, &Target::Line(value.line))
        .unwrap_or_else(|error| panic!("{file}:{}: {error}", value.line));
    assert!(
        by_line.values.iter().any(|v| v.path == value.path),
        "{file}:{} includes {}",
        value.line,
        value.path
    );
    explained.lgtmc_own
}

/// A chart version, a tenant's name, an environment's name and Mimir's default burst are named
/// as the sources they are, with their rules.
fn sources_are_named(provenance: &Provenance) {
    // A chart version is a spec value too; Mimir's default burst names its rule.
    let sources = |file: &str, path: &str| {
        let explanation = provenance
            .explain(file, &Target::Path(path.to_owned()))
            .unwrap_or_else(|error| panic!("{file} {path}: {error}"));
        explanation.values[0]
            .sources
            .iter()
            .map(|s| format!("{}:{} {} | {}", s.file, s.line, s.written, s.rule))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        sources("prod/argocd/loki.yaml", "spec.sources[0].targetRevision"),
        ["versions/prod.yaml:4 loki: 18.11.0 | as written"]
    );
    // A tenant's name renames files and keys: a value that carries the name in a renamed file is
    // compared with its renamed counterpart, so the name is its source.
    assert_eq!(
        sources(
            "prod/grafana/provisioning/dashboards/agents.overview.json",
            "panels[0].datasource.uid",
        ),
        ["platform.kdl:25 \"agents\" | part of a longer value: `agents` appears in it"]
    );
    // An environment's name, probed with its overlay and versions files renamed: it names the
    // files under out/prod/ and is the source of what carries it.
    let project = sources("prod/argocd/loki.yaml", "spec.project");
    assert!(
        project.len() == 2
            && project[0].starts_with("platform.kdl:7 \"prod\" | part of a longer value")
            && project[1].starts_with("environments/prod.kdl:3 \"prod\" | part of a longer value"),
        "{project:?}"
    );
    let mimir = provenance
        .explain(
            "prod/mimir/values.yaml",
            &Target::Path("rollout_operator.enabled".to_owned()),
        )
        .expect("explained");
    let named_by: Vec<String> = mimir
        .file_named_by
        .iter()
        .map(|s| format!("{}:{} {}", s.file, s.line, s.written))
        .collect();
    assert_eq!(
        named_by,
        [
            "platform.kdl:7 \"prod\"",
            "environments/prod.kdl:3 \"prod\""
        ]
    );
    assert!(mimir.values[0].lgtmc_own);
    // The spec sets no trace limits: Tempo's 15 MiB/s is the default of lgtmc's model.
    let tempo = sources(
        "prod/tempo/values.yaml",
        "tempo.per_tenant_overrides.agents.ingestion.rate_limit_bytes",
    );
    assert!(tempo.is_empty(), "{tempo:?}");
    let burst = sources(
        "prod/mimir/values.yaml",
        "runtimeConfig.overrides.agents.ingestion_burst_size",
    );
    assert!(
        burst.len() == 1
            && burst[0].starts_with(
                "platform.kdl:25 ingestion-rate=50000 | 50000 → 500000: ten seconds' worth"
            ),
        "{burst:?}"
    );
}

/// Hostile and unusual questions, in-process on an edited example: a tenant only an overlay
/// declares, a multi-document file, a quoted key typed with needless quotes, a key with dots.
#[test]
fn unusual_paths_and_an_overlay_only_tenant() {
    let repo = Repo::example();
    repo.edit(
        "environments/staging.kdl",
        "    metrics replicas=2\n",
        "    metrics replicas=2\n    tenant \"ci\" ingestion-rate=1000 retention=\"3d\"\n",
    );
    let provenance = Provenance::compute(repo.path(), None).expect("the edited example compiles");
    let explain = |file: &str, path: &str| {
        provenance
            .explain(file, &Target::Path(path.to_owned()))
            .unwrap_or_else(|error| panic!("{file} {path}: {error}"))
    };

    let loki = explain(
        "staging/loki/values.yaml",
        "loki.runtimeConfig.overrides.ci.retention_period",
    );
    let [value] = loki.values.as_slice() else {
        panic!("one value")
    };
    assert_eq!(value.value, "72h");
    let [source] = value.sources.as_slice() else {
        panic!("one source: {:?}", value.sources)
    };
    assert_eq!(
        (
            source.file.as_str(),
            source.written.as_str(),
            source.overrides.as_deref()
        ),
        ("environments/staging.kdl", "retention=\"3d\"", None),
        "a new tenant overrides nothing"
    );
    assert!(source.rule.starts_with("3d → 72h"), "{}", source.rule);
    // Only staging has the tenant: the other environments derive nothing from it.
    assert!(
        value
            .derived
            .iter()
            .all(|d| d.file.starts_with("out/staging/")),
        "{:?}",
        value.derived
    );

    // The second document of a multi-document file; the namespace comes from the spec.
    let claim = explain("prod/buckets/claims.yaml", "#1.metadata.namespace");
    assert_eq!(claim.values[0].value, "loki");
    assert!(
        claim.values[0]
            .sources
            .iter()
            .any(|s| s.setting == "logs.namespace"),
        "{:?}",
        claim.values[0].sources
    );
    // Without the document index, the path names nothing.
    assert!(
        provenance
            .explain(
                "prod/buckets/claims.yaml",
                &Target::Path("metadata.namespace".to_owned())
            )
            .is_err()
    );

    // A key with dots must be quoted; quoting a plain key too is harmless.
    let label = "spec.generators[0].clusters.selector.matchLabels.\"lgtmc.dev/environment\"";
    let typed =
        "\"spec\".generators[0].\"clusters\".selector.matchLabels.\"lgtmc.dev/environment\"";
    let by_canonical = explain("prod/argocd/alloy.yaml", label);
    let by_typed = explain("prod/argocd/alloy.yaml", typed);
    assert_eq!(by_canonical.values[0].path, label);
    assert_eq!(by_typed.values[0].path, label);
    assert!(
        provenance
            .explain(
                "prod/argocd/alloy.yaml",
                &Target::Path(
                    "spec.generators[0].clusters.selector.matchLabels.lgtmc.dev/environment"
                        .to_owned()
                )
            )
            .is_err(),
        "an unquoted dotted key is other keys"
    );
}
