//! Custom resources against the upstream CRDs in ../shared/reference/crds: the library API on the
//! reference's own examples (each must validate, and a misspelt field in each must not), and the
//! real binary with `--crds` on manifests rendered through a `--templates` override.

use std::path::PathBuf;
use std::sync::OnceLock;

use lgtmc::crds::{self, CrdSet};

use crate::common::{Repo, assert_exit, read, shared_reference, stderr, stdout};

/// The reference CRDs, compiled once for every test of this binary (it takes a while in a debug
/// build); `None` (and SKIPPED printed) without the reference.
fn reference_crds() -> Option<&'static CrdSet> {
    static CRDS: OnceLock<Option<CrdSet>> = OnceLock::new();
    let dir = crd_dir()?;
    CRDS.get_or_init(|| {
        Some(crds::load(&dir).unwrap_or_else(|e| panic!("the reference CRDs load: {e}")))
    })
    .as_ref()
}

fn crd_dir() -> Option<PathBuf> {
    shared_reference().map(|reference| reference.join("crds"))
}

/// Every ```yaml block of k8s-manifests.md, with the line it starts on.
fn manifest_examples() -> Option<Vec<(usize, String)>> {
    let text = read(&shared_reference()?.join("k8s-manifests.md"));
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        match (&mut current, line.trim_end()) {
            (None, "```yaml") => current = Some((number + 2, String::new())),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some((_, block)), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    Some(blocks)
}

/// The examples that declare at least one custom resource of the set.
fn custom_resource_examples(crds: &CrdSet) -> Vec<(usize, String)> {
    manifest_examples()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, block)| !crds::check_file(crds, "x.yaml", block).resources.is_empty())
        .collect()
}

#[test]
fn the_reference_crds_load() {
    let Some(crds) = reference_crds() else { return };
    let kinds: Vec<String> = crds
        .kinds()
        .map(|(api_version, kind)| format!("{api_version} {kind}"))
        .collect();
    for expected in [
        "ceph.rook.io/v1 CephObjectStore",
        "objectbucket.io/v1alpha1 ObjectBucketClaim",
        "argoproj.io/v1alpha1 Application",
        "argoproj.io/v1alpha1 ApplicationSet",
        "argoproj.io/v1alpha1 AppProject",
        "kargo.akuity.io/v1alpha1 Project",
        "kargo.akuity.io/v1alpha1 ProjectConfig",
        "kargo.akuity.io/v1alpha1 Warehouse",
        "kargo.akuity.io/v1alpha1 Stage",
        "kargo.akuity.io/v1alpha1 PromotionTask",
        "monitoring.coreos.com/v1 PrometheusRule",
        "core.k8sgpt.ai/v1alpha1 K8sGPT",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} in {kinds:?}"
        );
    }
    assert_eq!(crds.crd_count(), 22);
    assert_eq!(
        crds.steps().count(),
        34,
        "{:?}",
        crds.steps().collect::<Vec<_>>()
    );
    assert!(crds.steps().any(|s| s == "argocd-update"));
    assert_eq!(
        crds.subscriptions().collect::<Vec<_>>(),
        ["chart", "git", "image"]
    );
}

/// The reference says every example that shows a CRD-backed resource validates.
#[test]
fn every_reference_example_validates() {
    let Some(crds) = reference_crds() else { return };
    let examples = custom_resource_examples(crds);
    assert!(examples.len() >= 10, "only {} examples", examples.len());
    let mut kinds = std::collections::BTreeSet::new();
    for (line, block) in &examples {
        let check = crds::check_file(crds, &format!("k8s-manifests.md:{line}"), block);
        let problems: Vec<String> = check.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems, Vec::<String>::new(), "the example at line {line}");
        kinds.extend(check.resources.into_iter().map(|r| r.kind));
    }
    for kind in [
        "CephObjectStore",
        "ObjectBucketClaim",
        "AppProject",
        "Application",
        "ApplicationSet",
        "Project",
        "ProjectConfig",
        "Warehouse",
        "PromotionTask",
        "Stage",
        "K8sGPT",
        "PrometheusRule",
    ] {
        assert!(kinds.contains(kind), "no example of {kind}: {kinds:?}");
    }
}

/// A misspelt field name fails in every example: the first field below `spec:` gets an `x`.
#[test]
fn a_misspelt_field_fails_in_every_example() {
    let Some(crds) = reference_crds() else { return };
    for (line, block) in custom_resource_examples(crds) {
        let lines: Vec<&str> = block.lines().collect();
        let Some(spec) = lines.iter().position(|l| *l == "spec:") else {
            continue;
        };
        let Some((field_line, field)) =
            lines.iter().enumerate().skip(spec + 1).find_map(|(i, l)| {
                let key = l.trim_start().trim_start_matches("- ");
                let (name, _) = key.split_once(':')?;
                (!name.is_empty() && !name.starts_with('#')).then(|| (i, name.to_owned()))
            })
        else {
            continue;
        };
        let misspelt = format!("{field}x");
        let mut mutated = lines.clone();
        let renamed = lines[field_line].replacen(&format!("{field}:"), &format!("{misspelt}:"), 1);
        mutated[field_line] = &renamed;
        let text = mutated.join("\n");
        let problems = crds::validate_file(crds, "example.yaml", &text);
        assert!(
            problems.iter().any(|p| p
                .message
                .starts_with(&format!("unknown field `{misspelt}`"))),
            "renaming `{field}` in the example at line {line} was not caught: {problems:?}"
        );
    }
}

/// Targeted mistakes in the reference examples: each names the resource and the field.
#[test]
fn targeted_mistakes_name_the_resource_and_the_field() {
    let Some(crds) = reference_crds() else { return };
    let examples = custom_resource_examples(crds);
    let cases = [
        (
            "kind: CephObjectStore",
            "    instances: 2",
            "    instancs: 2",
            "CephObjectStore lgtm-s3: /spec/gateway/instancs: unknown field `instancs`; did you mean `instances`?",
        ),
        (
            "kind: CephObjectStore",
            "    port: 80",
            "    port: eighty",
            "CephObjectStore lgtm-s3: /spec/gateway/port: expected integer",
        ),
        (
            "kind: PromotionTask",
            "      message: ${{",
            "      mesage: ${{",
            "PromotionTask bump-sentry-chart: /spec/steps/2/config/mesage: unknown field `mesage`; did you mean `message`?",
        ),
        (
            "kind: PromotionTask",
            "  - uses: git-push",
            "  - uses: git-pushh",
            "PromotionTask bump-sentry-chart: /spec/steps/3/uses: unknown promotion step `git-pushh`; did you mean `git-push`?",
        ),
        (
            "kind: Warehouse",
            "      semverConstraint: ^25.0.0",
            "      semverConstrain: ^25.0.0",
            "Warehouse sentry: /spec/subscriptions/0/chart/semverConstrain: unknown field `semverConstrain`; did you mean `semverConstraint`?",
        ),
    ];
    for (marker, from, to, expected) in cases {
        let (_, block) = examples
            .iter()
            .find(|(_, block)| block.contains(marker) && block.contains(from))
            .unwrap_or_else(|| panic!("an example with `{marker}` and `{from}`"));
        let problems: Vec<String> =
            crds::validate_file(crds, "example.yaml", &block.replacen(from, to, 1))
                .iter()
                .map(ToString::to_string)
                .collect();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("example.yaml: {expected}"))),
            "`{to}`: expected `{expected}` in {problems:?}"
        );
    }
}

const OBJECT_STORE: &str = "\
apiVersion: ceph.rook.io/v1
kind: CephObjectStore
metadata:
  name: observability
  namespace: rook-ceph
spec:
  metadataPool:
    failureDomain: host
    replicated:
      size: 3
  dataPool:
    failureDomain: host
    replicated:
      size: 3
  preservePoolsOnDelete: true
  gateway:
    port: 80
    instances: 2
---
apiVersion: objectbucket.io/v1alpha1
kind: ObjectBucketClaim
metadata:
  name: mimir-blocks
  namespace: mimir
spec:
  bucketName: mimir-blocks
  storageClassName: lgtm-bucket
---
apiVersion: v1
kind: Namespace
metadata:
  name: mimir
";

/// A repository whose Mimir values template is replaced by `manifests` (rendered in every
/// environment), and the CRD directory.
fn with_manifests(manifests: &str) -> Option<(Repo, String)> {
    let dir = crd_dir()?;
    let repo = Repo::example();
    repo.write("my-templates/mimir/values.yaml.j2", manifests);
    Some((repo, dir.display().to_string()))
}

/// The number in `checked N custom resources against 22 CRDs` on stdout.
fn checked_count(output: &std::process::Output) -> usize {
    let text = stdout(output);
    let line = text
        .lines()
        .find(|line| line.ends_with("custom resources against 22 CRDs"))
        .unwrap_or_else(|| panic!("no summary in {text}"));
    line.split(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

#[test]
fn valid_custom_resources_pass_render_check_and_validate() {
    let Some((repo, crds)) = with_manifests(OBJECT_STORE) else {
        return;
    };
    let output = repo.run(&["validate", "--crds", &crds]);
    assert_exit(&output, 0);
    // Two custom resources in each of the three environments, beside the built-in ones.
    let expected = checked_count(&output) + 6;
    let output = repo.run(&["render", "--templates", "my-templates", "--crds", &crds]);
    assert_exit(&output, 0);
    assert_eq!(checked_count(&output), expected);
    let output = repo.run(&["check", "--templates", "my-templates", "--crds", &crds]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("is up to date"),
        "{}",
        stdout(&output)
    );
    assert_eq!(checked_count(&output), expected);
    let output = repo.run(&["validate", "--templates", "my-templates", "--crds", &crds]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("the spec is valid"),
        "{}",
        stdout(&output)
    );
    assert_eq!(checked_count(&output), expected);
}

#[test]
fn a_misspelt_field_fails_with_exit_3_and_nothing_is_written() {
    let Some((repo, crds)) = with_manifests(&OBJECT_STORE.replace("    port: 80", "    portt: 80"))
    else {
        return;
    };
    let output = repo.run(&["render", "--templates", "my-templates", "--crds", &crds]);
    assert_exit(&output, 3);
    let message = stderr(&output);
    for env in ["dev", "staging", "prod"] {
        assert!(
            message.contains(&format!(
                "out/{env}/mimir/values.yaml: CephObjectStore observability: /spec/gateway/portt: unknown field `portt`; did you mean `port`?"
            )),
            "{message}"
        );
    }
    assert!(
        message.contains("3 problems in rendered custom resources; nothing was written"),
        "{message}"
    );
    assert!(
        !repo.path().join("out").exists(),
        "a failed render wrote out/"
    );
    // check and validate report the same, with the same exit code.
    assert_exit(
        &repo.run(&["check", "--templates", "my-templates", "--crds", &crds]),
        3,
    );
    assert_exit(
        &repo.run(&["validate", "--templates", "my-templates", "--crds", &crds]),
        3,
    );
    // Without --crds, nothing checks custom resources.
    assert_exit(&repo.run(&["render", "--templates", "my-templates"]), 0);
}

#[test]
fn an_unusable_crd_directory_is_a_usage_error() {
    let repo = Repo::example();
    for args in [
        ["check", "--crds", "no-such-dir"],
        ["validate", "--crds", "no-such-dir"],
    ] {
        let output = repo.run(&args);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains("cannot read `no-such-dir`"),
            "{}",
            stderr(&output)
        );
    }
    repo.write("empty/notes.yaml", "a: 1\n");
    let output = repo.run(&["check", "--crds", "empty"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("no CustomResourceDefinition in `empty`"),
        "{}",
        stderr(&output)
    );
}

/// The repository's own out/ has no custom resources a CRD in the reference rejects (CI runs
/// `lgtmc check --crds ../shared/reference/crds`).
#[test]
fn the_repository_checks_with_the_reference_crds() {
    let Some(dir) = crd_dir() else { return };
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let output = repo.run(&["check", "--crds", &dir.display().to_string()]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("custom resources against 22 CRDs"),
        "{}",
        stdout(&output)
    );
}
