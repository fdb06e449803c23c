//! The capacity plan: `lgtmc plan` in its three formats, `CAPACITY.md` and `capacity.svg` in
//! `out/`, a retention's cost, and the budget as a warning or, enforced, an error.

use serde_json::Value;

use crate::common::{Repo, assert_exit, stderr, stdout};

/// The example's capacity node, to edit.
const CAPACITY: &str = "capacity raw=\"1536Gi\" {";

/// `lgtmc plan --format json` of `repo`, parsed.
#[track_caller]
fn plan_json(repo: &Repo) -> Value {
    let output = repo.run(&["plan", "--format", "json"]);
    assert_exit(&output, 0);
    match serde_json::from_str(&stdout(&output)) {
        Ok(value) => value,
        Err(error) => panic!("not JSON: {error}\n{}", stdout(&output)),
    }
}

/// (environment, backend, tenant).
type RowKey = (String, String, String);

/// Every (environment, backend, tenant) → (stored bytes, raw bytes) in a JSON plan.
fn rows(plan: &Value) -> Vec<(RowKey, (u64, u64))> {
    let mut rows = Vec::new();
    for environment in plan["environments"].as_array().into_iter().flatten() {
        for backend in environment["backends"].as_array().into_iter().flatten() {
            for row in backend["rows"].as_array().into_iter().flatten() {
                let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                rows.push((
                    (
                        text(&environment["environment"]),
                        text(&backend["backend"]),
                        text(&row["tenant"]),
                    ),
                    (
                        row["stored_bytes"].as_u64().unwrap_or_default(),
                        row["raw_bytes"].as_u64().unwrap_or_default(),
                    ),
                ));
            }
        }
    }
    rows
}

#[test]
fn the_text_plan_of_the_example() {
    let repo = Repo::example();
    let output = repo.run(&["plan", "--env", "prod"]);
    assert_exit(&output, 0);
    assert_eq!(stderr(&output), "", "within budget: no warning");
    insta::assert_snapshot!(stdout(&output));
}

/// The article's cluster stores about 250 GB; the example's assumptions land there.
#[test]
fn the_json_plan_parses_is_stable_and_adds_up() {
    let repo = Repo::example();
    let first = repo.run(&["plan", "--format", "json"]);
    let second = repo.run(&["plan", "--format", "json"]);
    assert_eq!(first.stdout, second.stdout, "the same bytes every run");
    let plan = plan_json(&repo);
    assert_eq!(plan["platform"], "bare-metal");
    let environments = plan["environments"].as_array().expect("environments");
    let names: Vec<&str> = environments
        .iter()
        .filter_map(|e| e["environment"].as_str())
        .collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    let prod = &environments[2];
    // platform, metrics: 100000 samples/s × 0.1 × 2 B = 20000 B/s, × 90 days, × 3 replicas.
    let platform_metrics = &prod["backends"][0]["rows"][2];
    assert_eq!(platform_metrics["tenant"], "platform");
    assert_eq!(platform_metrics["stored_bytes_per_second"], 20_000);
    assert_eq!(platform_metrics["stored_bytes"], 20_000u64 * 90 * 86_400);
    assert_eq!(platform_metrics["raw_bytes"], 3 * 20_000u64 * 90 * 86_400);
    // Totals are the sums of the rows.
    let stored: u64 = rows(&plan)
        .iter()
        .filter(|((env, _, _), _)| env == "prod")
        .map(|(_, (stored, _))| stored)
        .sum();
    assert_eq!(prod["stored_bytes"], stored);
    assert_eq!(prod["raw_bytes"], 3 * stored);
    let gb = stored / 1_000_000_000;
    assert!(
        (240..=290).contains(&gb),
        "about 250 GB stored, found {gb} GB"
    );
    assert_eq!(prod["status"], "within");
    assert_eq!(prod["budget"]["raw_capacity_bytes"], 1536u64 << 30);
    assert_eq!(prod["budget"]["budget_bytes"], (1536u64 << 30) * 85 / 100);
    assert_eq!(prod["assumptions"]["bytes_per_sample"], 2.0);
    assert_eq!(prod["assumptions"]["logs_utilisation"], 0.005);
}

#[test]
fn doubling_one_tenants_retention_doubles_exactly_its_share() {
    let repo = Repo::example();
    let before = plan_json(&repo);
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"28d\"");
    let after = plan_json(&repo);
    let (old, new) = (rows(&before), rows(&after));
    assert_eq!(
        old.len(),
        3 * 4 * 3,
        "3 environments × 4 backends × 3 tenants"
    );
    for ((key, (old_stored, old_raw)), (new_key, (new_stored, new_raw))) in old.iter().zip(&new) {
        assert_eq!(key, new_key);
        let factor = if key.2 == "agents" { 2 } else { 1 };
        assert_eq!(*new_stored, old_stored * factor, "{key:?}");
        assert_eq!(*new_raw, old_raw * factor, "{key:?}");
    }
    for (old_env, new_env) in before["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(after["environments"].as_array().into_iter().flatten())
    {
        let agents = |env: &Value| {
            env["tenants"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["tenant"] == "agents")
                .and_then(|t| t["raw_bytes"].as_u64())
                .unwrap_or_default()
        };
        assert_eq!(agents(new_env), 2 * agents(old_env));
        assert_eq!(
            new_env["raw_bytes"].as_u64(),
            Some(old_env["raw_bytes"].as_u64().unwrap_or_default() + agents(old_env))
        );
    }
}

#[test]
fn markdown_is_the_rendered_capacity_file() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let output = repo.run(&["plan", "--env", "prod", "--format", "markdown"]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), repo.read("out/prod/CAPACITY.md"));
}

#[test]
fn the_svg_is_well_formed_xml() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let text = repo.read("out/prod/capacity.svg");
    let document = match roxmltree::Document::parse(&text) {
        Ok(document) => document,
        Err(error) => panic!("capacity.svg is not XML: {error}\n{text}"),
    };
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    // One bar for all tenants and one per tenant, four backends each, and the budget line.
    let bars = root
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.has_children())
        .count();
    assert_eq!(bars, 4 * 4);
    assert_eq!(
        root.descendants()
            .filter(|n| n.has_tag_name("line"))
            .count(),
        1
    );
    for tenant in ["platform", "agents", "dev"] {
        assert!(
            root.descendants().any(|n| n.text() == Some(tenant)),
            "a label for {tenant}"
        );
    }
}

/// A tenant id cannot carry markup (the id rules), but the platform name can: it reaches both
/// files escaped.
#[test]
fn names_are_escaped_in_markdown_and_svg() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "platform \"bare-metal\"",
        "platform \"<b>|x*</b> & co\"",
    );
    assert_exit(&repo.run(&["render"]), 0);
    let markdown = repo.read("out/prod/CAPACITY.md");
    assert!(
        markdown.contains("# Capacity plan: &lt;b&gt;\\|x\\*&lt;/b&gt; &amp; co / prod\n"),
        "{markdown}"
    );
    let svg = repo.read("out/prod/capacity.svg");
    assert!(roxmltree::Document::parse(&svg).is_ok(), "{svg}");
    assert!(
        svg.contains("&lt;b&gt;|x*&lt;&#x2f;b&gt; &amp; co"),
        "{svg}"
    );
}

#[test]
fn over_budget_is_a_warning() {
    let repo = Repo::example();
    repo.edit("platform.kdl", CAPACITY, "capacity raw=\"500Gi\" {");
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    let message = stderr(&output);
    assert!(message.contains("[platform.kdl:62:14]"), "{message}");
    insta::assert_snapshot!(message);
    let markdown = repo.read("out/prod/CAPACITY.md");
    assert!(
        markdown.contains("**Over budget:** 768.65 GiB of raw storage"),
        "{markdown}"
    );
    assert!(
        repo.read("out/prod/capacity.svg")
            .contains("stroke=\"#D55E00\"")
    );
    // `check` and `plan` warn too, and succeed.
    let check = repo.run(&["check"]);
    assert_exit(&check, 0);
    assert_eq!(stderr(&check), message);
    let plan = repo.run(&["plan", "--env", "dev"]);
    assert_exit(&plan, 0);
    assert!(stdout(&plan).contains("OVER BUDGET"), "{}", stdout(&plan));
    assert_eq!(stderr(&plan), message);
}

#[test]
fn over_an_enforced_budget_is_an_error() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let before = repo.snapshot_tree("out");
    repo.edit(
        "platform.kdl",
        CAPACITY,
        "capacity raw=\"500Gi\" enforce=#true {",
    );
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    assert_eq!(before, repo.snapshot_tree("out"), "nothing written");
    let message = stderr(&output);
    assert!(message.contains("[platform.kdl:62:14]"), "{message}");
    insta::assert_snapshot!(message);
    assert_eq!(stderr(&repo.run(&["validate"])), message);
    // `plan` still prints the plan, then fails the same way.
    let plan = repo.run(&["plan", "--env", "prod"]);
    assert_exit(&plan, 2);
    assert!(
        stdout(&plan).starts_with("prod: 256.22 GiB stored"),
        "{}",
        stdout(&plan)
    );
    assert_eq!(stderr(&plan), message);
}

/// An overlay changes the budget of its environment only, and the problem points at it.
#[test]
fn an_overlay_sets_its_own_budget() {
    let repo = Repo::example();
    repo.edit("platform.kdl", CAPACITY, "capacity raw=\"500Gi\" {");
    repo.edit(
        "environments/prod.kdl",
        "environment \"prod\" {",
        "environment \"prod\" {\n    capacity raw=\"3Ti\" enforce=#true",
    );
    let output = repo.run(&["plan", "--format", "json"]);
    assert_exit(&output, 0);
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let status: Vec<&str> = plan["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(status, ["over", "over", "within"]);
    let message = stderr(&output);
    assert!(
        message.contains("environments `dev` and `staging` each need"),
        "{message}"
    );
    repo.edit("environments/prod.kdl", "raw=\"3Ti\"", "raw=\"600Gi\"");
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("[environments/prod.kdl:"), "{message}");
    assert!(message.contains("× environment `prod` needs"), "{message}");
}

#[test]
fn enforce_needs_a_raw_capacity() {
    let repo = Repo::example();
    repo.edit("platform.kdl", CAPACITY, "capacity enforce=#true {");
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_tenants_utilisation_needs_a_declared_tenant() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "        profiles utilisation=0.002\n",
        "        profiles utilisation=0.002\n        tenant \"agent\" {\n            logs utilisation=0.5\n        }\n",
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_tenants_own_utilisation_changes_only_its_row() {
    let repo = Repo::example();
    let before = plan_json(&repo);
    repo.edit(
        "platform.kdl",
        "        profiles utilisation=0.002\n",
        "        profiles utilisation=0.002\n        tenant \"dev\" {\n            logs utilisation=0.01\n        }\n",
    );
    let after = plan_json(&repo);
    for ((key, old), (_, new)) in rows(&before).iter().zip(&rows(&after)) {
        if key.1 == "Loki" && key.2 == "dev" {
            // 4 MiB/s × 0.01 × 0.15 = 6291.456 → 6291 B/s, × 7 days; was 3146 B/s at 0.005.
            assert_eq!(old.0, 3_146 * 604_800);
            assert_eq!(new.0, 6_291 * 604_800);
        } else {
            assert_eq!(new, old, "{key:?}");
        }
    }
    assert_eq!(
        after["environments"][0]["assumptions"]["tenant_overrides"][0],
        "dev (logs 0.01)"
    );
}

#[test]
fn out_of_range_assumptions_are_rejected() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "metrics utilisation=0.1",
        "metrics utilisation=1.5",
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("at most 1"), "{message}");
    assert!(message.contains("[platform.kdl:63:"), "{message}");
}

#[test]
fn an_unknown_environment_is_a_usage_error() {
    let repo = Repo::example();
    let output = repo.run(&["plan", "--env", "prd"]);
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "error: unknown environment `prd`\nhelp: did you mean `prod`?\n"
    );
}
