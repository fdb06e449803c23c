//! Grafana: the rendered provisioning follows Grafana's formats, every data source uid that a
//! dashboard, link or rule names exists and belongs to the right tenant, the alert expressions are
//! PromQL, no secret is inline, and a dashboard that queries another tenant fails the render.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{Repo, assert_exit, stderr};

const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const TENANTS: [&str; 3] = ["agents", "dev", "platform"];
const SIGNALS: [&str; 4] = ["metrics", "logs", "traces", "profiles"];

/// The example platform, rendered: path below `out/` → text.
fn rendered() -> BTreeMap<String, String> {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.snapshot_tree("out")
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8(bytes).expect("UTF-8")))
        .collect()
}

fn yaml(text: &str) -> Value {
    serde_norway::from_str(text).expect("YAML")
}

fn provisioning<'a>(
    files: &'a BTreeMap<String, String>,
    env: &str,
    dir: &str,
) -> Vec<(&'a str, &'a str)> {
    let prefix = format!("{env}/grafana/provisioning/{dir}/");
    files
        .iter()
        .filter_map(|(path, text)| path.strip_prefix(&prefix).map(|rest| (rest, text.as_str())))
        .collect()
}

/// Every `datasource.uid` and `datasourceUid` below `value`.
fn referenced_uids(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match (key.as_str(), child) {
                    ("datasourceUid", Value::String(uid)) => found.push(uid.clone()),
                    ("datasource", Value::Object(source)) => {
                        if let Some(Value::String(uid)) = source.get("uid") {
                            found.push(uid.clone());
                        }
                    }
                    _ => {}
                }
                referenced_uids(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| referenced_uids(item, found)),
        _ => {}
    }
}

fn tenant_of(uid: &str) -> &str {
    uid.split_once('-').map_or("", |(_, tenant)| tenant)
}

#[test]
fn datasources_follow_the_provisioning_format_one_tenant_each() {
    let files = rendered();
    for env in ENVIRONMENTS {
        let sources = provisioning(&files, env, "datasources");
        let names: Vec<&str> = sources.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["agents.yaml", "dev.yaml", "platform.yaml"], "{env}");
        for (name, text) in sources {
            let tenant = name.trim_end_matches(".yaml");
            let file = yaml(text);
            assert_eq!(file["apiVersion"], 1);
            assert_eq!(file["prune"], true);
            let list = file["datasources"].as_array().expect("a list");
            let uids: Vec<&str> = list
                .iter()
                .map(|d| d["uid"].as_str().expect("uid"))
                .collect();
            let expected: Vec<String> = SIGNALS.iter().map(|s| format!("{s}-{tenant}")).collect();
            assert_eq!(uids, expected, "{env}/{name}");
            for source in list {
                for key in ["name", "type", "url"] {
                    assert!(source[key].is_string(), "{env}/{name}: {key}");
                }
                // Left out as Grafana's defaults, which isolation relies on: queries go through
                // Grafana's proxy (which adds the header), in organisation 1, read-only.
                for (key, default) in [
                    ("access", serde_json::json!("proxy")),
                    ("orgId", serde_json::json!(1)),
                    ("editable", serde_json::json!(false)),
                ] {
                    assert!(
                        source.get(key).is_none_or(|value| *value == default),
                        "{env}/{name}: {key}"
                    );
                }
                assert!(source["uid"].as_str().expect("uid").len() <= 40);
                assert_eq!(source["jsonData"]["httpHeaderName1"], "X-Scope-OrgID");
                assert_eq!(source["secureJsonData"]["httpHeaderValue1"], tenant);
                // Every link (exemplars, derived fields, traces to logs/metrics/profiles, service
                // map) names one of this tenant's own data sources.
                let mut linked = Vec::new();
                referenced_uids(source, &mut linked);
                assert!(!linked.is_empty() || source["type"] == "grafana-pyroscope-datasource");
                for uid in linked {
                    assert!(expected.contains(&uid), "{env}/{name}: links to {uid}");
                }
            }
            let types: Vec<&str> = list
                .iter()
                .map(|d| d["type"].as_str().unwrap_or(""))
                .collect();
            assert_eq!(
                types,
                [
                    "prometheus",
                    "loki",
                    "tempo",
                    "grafana-pyroscope-datasource"
                ]
            );
            // A literal `$` must be doubled: Grafana expands `$NAME` in provisioning files.
            let derived = &list[1]["jsonData"]["derivedFields"][0]["url"];
            assert_eq!(derived, "$${__value.raw}");
        }
    }
}

#[test]
fn dashboards_are_json_in_their_tenants_folder_querying_only_its_datasources() {
    let files = rendered();
    for env in ENVIRONMENTS {
        let dashboards = provisioning(&files, env, "dashboards");
        let mut uids = BTreeSet::new();
        let mut folders = BTreeSet::new();
        for (path, text) in &dashboards {
            // `<folder>.<file>`: tenant ids have no dot.
            let (folder, _) = path.split_once('.').expect("a folder");
            folders.insert(folder);
            let dashboard: Value = serde_json::from_str(text).expect("JSON");
            assert!(dashboard["schemaVersion"].is_u64(), "{path}");
            assert!(dashboard["title"].is_string(), "{path}");
            let uid = dashboard["uid"].as_str().expect("uid");
            assert!(uid.len() <= 40, "{uid}");
            assert!(uids.insert(uid.to_owned()), "{uid} twice");
            let mut referenced = Vec::new();
            referenced_uids(&dashboard, &mut referenced);
            assert!(!referenced.is_empty(), "{path} queries nothing");
            for uid in referenced {
                assert_eq!(tenant_of(&uid), folder, "{env}/{path} names {uid}");
                assert!(SIGNALS.iter().any(|s| uid == format!("{s}-{folder}")));
            }
        }
        assert_eq!(folders, BTreeSet::from(TENANTS), "a folder per tenant");
        for tenant in TENANTS {
            assert!(
                dashboards
                    .iter()
                    .any(|(p, _)| *p == format!("{tenant}.overview.json")),
                "{tenant} has its overview"
            );
        }
        // One ingestion dashboard for every tenant, whatever their number.
        assert!(
            !dashboards.iter().any(|(p, _)| p.contains(".ingestion-")),
            "no dashboard per tenant in the platform folder"
        );
        for name in [
            "collector-health.json",
            "object-storage.json",
            "ingestion.json",
        ] {
            assert!(
                dashboards
                    .iter()
                    .any(|(p, _)| *p == format!("platform.{name}"))
            );
        }
    }
}

/// What the Grafana provisioning costs per tenant and environment, in bytes: its overview, its
/// data sources and its two entries in the kustomization. Issue 14: 2,000 tenants in three
/// environments must render to at most 40 MB, and these files were 7.4 KB of each tenant's
/// 8.8 KB. Each tenant id is written about 30 times, hence the allowance per character. The data
/// sources are written in block style, about 80 bytes more than flow style, because `verify`
/// reads block YAML without libyaml (`yaml::tests` asserts it reads every data source file):
/// 6,000 of them at 2,000 tenants. At 2,000 tenants the whole tree is 39.3 MB.
#[test]
fn each_tenant_costs_a_bounded_number_of_bytes() {
    const FIXED: usize = 5_050;
    const PER_ID_CHARACTER: usize = 30;
    let files = rendered();
    for env in ENVIRONMENTS {
        let dir = format!("{env}/grafana/provisioning");
        let kustomization = &files[&format!("{dir}/kustomization.yaml")];
        for tenant in TENANTS {
            let overview = &files[&format!("{dir}/dashboards/{tenant}.overview.json")];
            let datasources = &files[&format!("{dir}/datasources/{tenant}.yaml")];
            // The entries are the lines from each `- name:` to the next.
            let names = [
                format!("- name: \"grafana-datasources-{tenant}\""),
                format!("- name: \"grafana-dashboard-overview-{tenant}\""),
            ];
            let mut entries = 0;
            let mut inside = false;
            for line in kustomization.lines() {
                if line.starts_with("- ") {
                    inside = names.iter().any(|name| line == name);
                }
                if inside {
                    entries += line.len() + 1;
                }
            }
            assert!(entries > 0, "{env}: no entries for {tenant}");
            let bytes = overview.len() + datasources.len() + entries;
            let budget = FIXED + PER_ID_CHARACTER * tenant.len();
            assert!(
                bytes <= budget,
                "{env}/{tenant}: {bytes} bytes (overview {}, data sources {}, kustomization {entries}) > {budget}",
                overview.len(),
                datasources.len()
            );
        }
    }
}

/// A dashboard is laid out for review: a small object or array on its member's line (so a
/// panel's position, data source and short targets are one line each), no line with a container
/// wider than 100 columns, and nothing Grafana would fill in anyway.
#[test]
fn dashboards_put_small_containers_on_one_line() {
    let files = rendered();
    let overview = &files["prod/grafana/provisioning/dashboards/dev.overview.json"];
    for line in [
        "      \"gridPos\": {\"h\": 8, \"w\": 12, \"x\": 0, \"y\": 0},",
        "      \"datasource\": {\"type\": \"prometheus\", \"uid\": \"metrics-dev\"},",
        "  \"tags\": [\"lgtmc\", \"overview\", \"dev\"],",
    ] {
        assert!(overview.lines().any(|l| l == line), "{line}\n{overview}");
    }
    for (path, text) in &files {
        if !path.contains("/grafana/provisioning/dashboards/") {
            continue;
        }
        assert!(text.ends_with("}\n"), "{path}");
        for line in text.lines() {
            let opens =
                line.trim_end_matches(',').ends_with(['}', ']']) && line.contains(['{', '[']);
            assert!(
                !opens || line.chars().count() <= 100,
                "{path}: a container on a line wider than 100 columns: {line}"
            );
        }
        let dashboard: Value = serde_json::from_str(text).expect("JSON");
        for key in ["time", "links", "annotations"] {
            assert!(dashboard.get(key).is_none(), "{path}: {key}");
        }
        for panel in dashboard["panels"].as_array().expect("panels") {
            // A panel with queries names their data source (a text panel has none).
            if panel.get("targets").is_some() {
                assert!(panel["datasource"]["uid"].is_string(), "{path}");
            }
            assert!(
                panel
                    .get("options")
                    .is_none_or(|o| o != &serde_json::json!({}))
            );
        }
    }
}

/// The ingestion dashboard shows one tenant at a time, chosen by a `tenant` variable that
/// queries the platform tenant's own metrics (not a data source variable), and every query is
/// that tenant's: its ingestion and Mimir's limits for it (the spec's, as Mimir's overrides
/// exporter reports them).
#[test]
fn the_ingestion_dashboard_draws_the_chosen_tenants_limits() {
    let files = rendered();
    let dashboard: Value = serde_json::from_str(
        &files["prod/grafana/provisioning/dashboards/platform.ingestion.json"],
    )
    .expect("JSON");
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    assert_eq!(variables.len(), 1);
    let tenant = &variables[0];
    assert_eq!(tenant["name"], "tenant");
    assert_eq!(tenant["type"], "query");
    assert_eq!(tenant["datasource"]["uid"], "metrics-platform");
    assert_eq!(
        tenant["query"]["query"],
        lgtmc::plan::grafana::TENANT_VARIABLE_QUERY
    );
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|panel| panel["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|target| target["expr"].as_str().map(str::to_owned))
        .collect();
    for expr in [
        "max(cortex_limits_overrides{limit_name=\"ingestion_rate\", user=\"$tenant\"})",
        "max(cortex_limits_overrides{limit_name=\"max_global_series_per_user\", user=\"$tenant\"})",
        "sum(rate(cortex_distributor_received_samples_total{user=\"$tenant\"}[$__rate_interval]))",
        "sum(rate(loki_distributor_bytes_received_total{tenant=\"$tenant\"}[$__rate_interval]))",
    ] {
        assert!(exprs.iter().any(|e| e == expr), "{expr} not in {exprs:?}");
    }
    for expr in &exprs {
        assert!(
            expr.contains("\"$tenant\""),
            "{expr} is not the chosen tenant's"
        );
    }
}

#[test]
fn alerting_follows_the_provisioning_format_and_keeps_the_webhook_out() {
    let files = rendered();
    for env in ENVIRONMENTS {
        let alerting: BTreeMap<&str, Value> = provisioning(&files, env, "alerting")
            .into_iter()
            .map(|(name, text)| (name, yaml(text)))
            .collect();
        let names: Vec<&str> = alerting.keys().copied().collect();
        assert_eq!(
            names,
            ["contact-points.yaml", "policies.yaml", "rules.yaml"]
        );
        for file in alerting.values() {
            assert_eq!(file["apiVersion"], 1);
        }
        let receiver = &alerting["contact-points.yaml"]["contactPoints"][0]["receivers"][0];
        assert_eq!(receiver["type"], "slack");
        assert_eq!(receiver["settings"]["url"], "$LGTMC_SLACK_WEBHOOK_URL");
        assert_eq!(receiver["settings"]["recipient"], "#alerts");
        assert_eq!(
            alerting["policies.yaml"]["policies"][0]["receiver"],
            alerting["contact-points.yaml"]["contactPoints"][0]["name"]
        );
        // The chart puts the Secret's key into exactly that variable.
        let values = yaml(&files[&format!("{env}/grafana/values.yaml")]);
        assert_eq!(
            values["envValueFrom"]["LGTMC_SLACK_WEBHOOK_URL"]["secretKeyRef"],
            serde_json::json!({ "name": "alerts-slack", "key": "url" })
        );
        assert_eq!(values["admin"]["existingSecret"], "grafana-admin");

        let groups = alerting["rules.yaml"]["groups"].as_array().expect("groups");
        let mut uids = BTreeSet::new();
        for group in groups {
            assert_eq!(
                group["folder"], "platform",
                "rules live in the platform tenant's folder"
            );
            assert!(group["interval"].is_string());
            for rule in group["rules"].as_array().expect("rules") {
                assert!(uids.insert(rule["uid"].as_str().expect("uid").to_owned()));
                assert!(rule["title"].is_string() && rule["for"].is_string());
                assert_eq!(rule["noDataState"], "OK", "a quiet query must not page");
                let condition = rule["condition"].as_str().expect("condition");
                let data = rule["data"].as_array().expect("data");
                let ref_ids: Vec<&str> = data.iter().filter_map(|d| d["refId"].as_str()).collect();
                assert!(ref_ids.contains(&condition));
                for query in data {
                    let uid = query["datasourceUid"].as_str().expect("datasourceUid");
                    assert!(
                        uid == "__expr__" || uid == "metrics-platform",
                        "{env}: rule queries {uid}"
                    );
                }
            }
        }
        assert!(uids.contains("collector-stopped-reporting"));
        for signal in SIGNALS {
            assert!(
                uids.contains(&format!("{signal}-writes-rejected")),
                "{signal}"
            );
        }
    }
}

/// Every rule expression parses as PromQL, as do the PromQL queries of every dashboard (with
/// Grafana's interval variable and the ingestion dashboard's `tenant` variable replaced).
#[test]
fn alert_rule_and_dashboard_expressions_are_promql() {
    let files = rendered();
    let mut parsed = 0;
    for (path, text) in &files {
        if path.ends_with("alerting/rules.yaml") {
            let rules = yaml(text);
            for group in rules["groups"].as_array().expect("groups") {
                for rule in group["rules"].as_array().expect("rules") {
                    let expr = rule["data"][0]["model"]["expr"].as_str().expect("expr");
                    promql_parser::parser::parse(expr)
                        .unwrap_or_else(|e| panic!("{path}: `{expr}`: {e}"));
                    parsed += 1;
                }
            }
        } else if path.contains("/grafana/provisioning/dashboards/") {
            let dashboard: Value = serde_json::from_str(text).expect("JSON");
            for panel in dashboard["panels"].as_array().expect("panels") {
                for target in panel["targets"].as_array().cloned().unwrap_or_default() {
                    // A target that names no data source runs on its panel's.
                    let source = target.get("datasource").unwrap_or(&panel["datasource"]);
                    if source["type"] != "prometheus" {
                        continue;
                    }
                    let expr = target["expr"].as_str().expect("expr");
                    let expr = expr
                        .replace("$__rate_interval", "5m")
                        .replace("$tenant", "platform");
                    assert!(!expr.contains('$'), "{path}: `{expr}`");
                    promql_parser::parser::parse(&expr)
                        .unwrap_or_else(|e| panic!("{path}: `{expr}`: {e}"));
                    parsed += 1;
                }
            }
        }
    }
    assert!(parsed > 100, "only {parsed} expressions");
}

/// "The collector on node X stopped reporting": one alert per node, from a heartbeat seen in the
/// last hour but not in the last five minutes.
#[test]
fn the_heartbeat_alert_fires_per_node() {
    let files = rendered();
    let rules = yaml(&files["prod/grafana/provisioning/alerting/rules.yaml"]);
    let rule = rules["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|rule| rule["uid"] == "collector-stopped-reporting")
        .expect("the heartbeat rule")
        .clone();
    let expr = rule["data"][0]["model"]["expr"].as_str().expect("expr");
    let parsed = promql_parser::parser::parse(expr).expect("PromQL");
    let promql_parser::parser::Expr::Binary(binary) = parsed else {
        panic!("not a binary expression: {expr}");
    };
    assert_eq!(binary.op.to_string(), "unless");
    for side in [&binary.lhs, &binary.rhs] {
        let side = side.to_string();
        assert!(side.starts_with("max by (node) ("), "{side}");
        assert!(
            side.contains("alloy_build_info{job=\"lgtmc/collector\"}"),
            "{side}"
        );
    }
    assert!(binary.lhs.to_string().contains("[1h]"));
    assert!(binary.rhs.to_string().contains("[5m]"));
    assert_eq!(rule["for"], "2m");
    assert!(
        rule["annotations"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("{{ index .Labels \"node\" }}"))
    );
}

/// The kustomization generates one sidecar-labelled ConfigMap per provisioning file group, and
/// lists every provisioning file exactly once.
#[test]
fn the_kustomization_delivers_every_provisioning_file() {
    let files = rendered();
    for env in ENVIRONMENTS {
        let kustomization = yaml(&files[&format!("{env}/grafana/provisioning/kustomization.yaml")]);
        let values = yaml(&files[&format!("{env}/grafana/values.yaml")]);
        assert_eq!(kustomization["namespace"], "grafana");
        let mut listed = BTreeSet::new();
        let mut names = BTreeSet::new();
        for generator in kustomization["configMapGenerator"]
            .as_array()
            .expect("list")
        {
            let name = generator["name"].as_str().expect("name");
            assert!(name.len() <= 63, "{name}");
            assert!(names.insert(name.to_owned()), "{name} twice");
            let labels = generator["options"]["labels"].as_object().expect("labels");
            assert_eq!(labels.len(), 1);
            let (label, value) = labels.iter().next().expect("a label");
            let sidecar = ["datasources", "dashboards", "alerts"]
                .into_iter()
                .find(|kind| values["sidecar"][kind]["label"] == label.as_str())
                .unwrap_or_else(|| panic!("{label} is no sidecar's label"));
            assert_eq!(values["sidecar"][sidecar]["enabled"], true);
            assert_eq!(&values["sidecar"][sidecar]["labelValue"], value);
            for file in generator["files"].as_array().expect("files") {
                let entry = file.as_str().expect("a path");
                // A dashboard is `<key>=dashboards/<folder>.<key>`: the sidecar writes it as
                // `<folder>/<key>`, whatever the file's name in out/.
                let file = match entry.split_once('=') {
                    Some((key, file)) => {
                        let rest = file.strip_prefix("dashboards/").expect("a dashboard");
                        let (folder, name) = rest.split_once('.').expect("<folder>.<key>");
                        assert_eq!(name, key, "{entry}");
                        assert_eq!(
                            generator["options"]["annotations"]["grafana_folder"], folder,
                            "{entry}"
                        );
                        file
                    }
                    None => {
                        assert!(!entry.starts_with("dashboards/"), "{entry} has no key");
                        entry
                    }
                };
                assert!(listed.insert(file.to_owned()), "{file} twice");
            }
        }
        let present: BTreeSet<String> = files
            .keys()
            .filter_map(|path| path.strip_prefix(&format!("{env}/grafana/provisioning/")))
            .filter(|path| *path != "kustomization.yaml")
            .map(str::to_owned)
            .collect();
        assert_eq!(listed, present, "{env}");
    }
}

/// An `out/` rendered before the dashboards were named `<tenant>.<file>` (a directory per tenant,
/// `dashboards/<tenant>/<file>`) renders to the new names: the old files and their emptied
/// directories are removed, and nothing else changes.
#[test]
fn dashboards_in_a_directory_per_tenant_move_to_one_directory() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let rendered = repo.snapshot_tree("out");
    let out = repo.path().join("out");
    let manifest = std::fs::read_to_string(out.join(".lgtmc-manifest")).expect("manifest");
    let mut old_manifest = manifest.clone();
    let mut moved = 0;
    for path in rendered.keys() {
        let Some((dir, name)) = path.split_once("/grafana/provisioning/dashboards/") else {
            continue;
        };
        let (tenant, file) = name.split_once('.').expect("<tenant>.<file>");
        let old = format!("{dir}/grafana/provisioning/dashboards/{tenant}/{file}");
        std::fs::create_dir_all(out.join(&old).parent().expect("a parent")).expect("mkdir");
        std::fs::rename(out.join(path), out.join(&old)).expect("move");
        old_manifest = old_manifest.replace(&format!("{path}\n"), &format!("{old}\n"));
        moved += 1;
    }
    // Six dashboards in each of three environments; the render writes them and the manifest.
    assert_eq!(moved, 18);
    std::fs::write(out.join(".lgtmc-manifest"), &old_manifest).expect("manifest");
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("19 written, 18 removed"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(repo.snapshot_tree("out"), rendered);
    for env in ENVIRONMENTS {
        let dashboards = out.join(format!("{env}/grafana/provisioning/dashboards"));
        for entry in std::fs::read_dir(&dashboards).expect("dashboards") {
            let entry = entry.expect("an entry");
            assert!(entry.file_type().expect("type").is_file(), "{entry:?} left");
        }
    }
    assert_exit(&repo.run(&["check"]), 0);
}

/// What the real `kubectl kustomize` makes of the provisioning: one ConfigMap per dashboard, its
/// one key the dashboard's file name (`overview.json`, not the `<tenant>.overview.json` it has in
/// out/), holding that file's bytes, in the folder of the tenant that names the file. The
/// sidecar writes the key into the folder, so this is what Grafana loads.
#[test]
fn kustomize_builds_a_configmap_per_dashboard_keyed_by_its_file_name() {
    let Some(kubectl) = crate::common::tool("kubectl") else {
        return;
    };
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let files = repo.snapshot_tree("out");
    for env in ENVIRONMENTS {
        let dir = format!("{env}/grafana/provisioning");
        let output = std::process::Command::new(&kubectl)
            .arg("kustomize")
            .arg(repo.path().join("out").join(&dir))
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let built = String::from_utf8(output.stdout).expect("UTF-8");
        let mut dashboards = BTreeSet::new();
        for document in serde_norway::Deserializer::from_str(&built) {
            let config_map: Value = serde::Deserialize::deserialize(document).expect("YAML");
            if config_map["metadata"]["labels"]["grafana_dashboard"] != "1" {
                continue;
            }
            let folder = config_map["metadata"]["annotations"]["grafana_folder"]
                .as_str()
                .expect("a folder");
            let data = config_map["data"].as_object().expect("data");
            assert_eq!(data.len(), 1, "{config_map}");
            let (key, text) = data.iter().next().expect("one key");
            let path = format!("{dir}/dashboards/{folder}.{key}");
            let file = files
                .get(&path)
                .unwrap_or_else(|| panic!("{path} for {key}"));
            assert_eq!(text.as_str().expect("text").as_bytes(), &file[..], "{path}");
            dashboards.insert(path);
        }
        let rendered: BTreeSet<String> = files
            .keys()
            .filter(|path| path.starts_with(&format!("{dir}/dashboards/")))
            .cloned()
            .collect();
        assert_eq!(dashboards, rendered, "a ConfigMap for every dashboard file");
    }
}

/// A dashboard in tenant `dev`'s folder that queries the platform tenant's metrics fails the
/// render with a message naming the dashboard, the tenant and the foreign uid; nothing is written.
#[test]
fn a_dashboard_querying_another_tenant_fails_the_render() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let before = repo.snapshot_tree("out");
    repo.write(
        "my-templates/grafana/dashboard.json.j2",
        "{{ item.json | replace('\"metrics-' ~ item.tenant ~ '\"', '\"metrics-platform\"') | safe }}",
    );
    let output = repo.run(&["render", "--templates", "my-templates"]);
    assert_exit(&output, 3);
    assert_eq!(
        before,
        repo.snapshot_tree("out"),
        "a failed render wrote files"
    );
    let message = stderr(&output);
    // miette wraps long lines (even inside a uid); compare without the wrapping.
    let squash = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect()
    };
    for expected in [
        "dashboard `Tenant overview: dev` in the folder of tenant `dev` queries data source `metrics-platform` of tenant `platform` (at `/panels/0/datasource`)",
        "`out/dev/grafana/provisioning/dashboards/dev.overview.json` comes from template `grafana/dashboard.json.j2`: this is a template bug",
    ] {
        assert!(squash(&message).contains(&squash(expected)), "{message}");
    }
    // Two tenants' overviews in three environments: the panel names the data source, and its
    // target, which names none, runs on the panel's.
    assert!(
        message.ends_with("error: the rendered Grafana provisioning breaks tenant isolation in 6 places; nothing was written\n"),
        "{message}"
    );
    insta::assert_snapshot!(message);
}

/// Grafana expands `$NAME` in provisioning files: every literal `$` is written `$$`, a `$` from
/// the spec included, and the only expanded variable is the webhook URL's.
#[test]
fn dollars_in_provisioning_files_are_escaped() {
    let repo = Repo::example();
    repo.edit("platform.kdl", "channel=\"#alerts\"", "channel=\"#a$HOME\"");
    assert_exit(&repo.run(&["render"]), 0);
    let contact = yaml(&repo.read("out/dev/grafana/provisioning/alerting/contact-points.yaml"));
    assert_eq!(
        contact["contactPoints"][0]["receivers"][0]["settings"]["recipient"],
        "#a$$HOME"
    );
    for (path, bytes) in repo.snapshot_tree("out") {
        if !path.contains("/grafana/provisioning/") || path.ends_with(".json") {
            continue;
        }
        let text = String::from_utf8(bytes).expect("UTF-8");
        let values: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("$$", "")
            .replace("$LGTMC_SLACK_WEBHOOK_URL", "");
        assert!(!values.contains('$'), "{path}: an unescaped `$`");
    }
}
