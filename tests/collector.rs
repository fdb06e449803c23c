//! The collector: one Alloy configuration per environment that routes every signal to its
//! tenant. These tests read the rendered `config.alloy` with lgtmc's own Alloy parser and check
//! the routing by its structure, not by text search.

use std::collections::{BTreeMap, BTreeSet};

use lgtmc::alloy::{Expr, File, Stmt};
use serde_norway::Value;

use crate::common::{Repo, assert_exit, stderr};

const TENANT_LINE: &str = "    tenant \"dev\" ingestion-rate=20000 retention=\"7d\"\n";

/// Renders `repo` and returns dev's `config.alloy`, parsed and checked.
fn rendered_config(repo: &Repo) -> (String, File) {
    assert_exit(&repo.run(&["render"]), 0);
    let text = repo.read("out/dev/alloy/config.alloy");
    let file = lgtmc::alloy::validate(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    (text, file)
}

/// Every component (`kind.label`) and its text.
fn components(text: &str, file: &File) -> BTreeMap<String, String> {
    file.body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Block {
                name,
                label: Some(label),
                span,
                ..
            } => Some((
                format!("{}.{label}", name.join(".")),
                text[span.start..span.end].to_owned(),
            )),
            _ => None,
        })
        .collect()
}

/// The body of the block `path` (each step `kind` or `kind "label"`), from the top level down.
fn block<'a>(body: &'a [Stmt], path: &[(&str, Option<&str>)]) -> &'a [Stmt] {
    let Some(((kind, wanted), rest)) = path.split_first() else {
        return body;
    };
    let found = body.iter().find_map(|stmt| match stmt {
        Stmt::Block {
            name, label, body, ..
        } if name.join(".") == *kind && label.as_deref() == *wanted => Some(body),
        _ => None,
    });
    match found {
        Some(inner) => block(inner, rest),
        None => panic!("no block {kind} {wanted:?}"),
    }
}

/// Every block `kind` directly in `body`.
fn blocks<'a>(body: &'a [Stmt], kind: &str) -> Vec<&'a [Stmt]> {
    body.iter()
        .filter_map(|stmt| match stmt {
            Stmt::Block { name, body, .. } if name.join(".") == kind => Some(body.as_slice()),
            _ => None,
        })
        .collect()
}

fn attribute<'a>(body: &'a [Stmt], wanted: &str) -> &'a Expr {
    body.iter()
        .find_map(|stmt| match stmt {
            Stmt::Attribute { name, value, .. } if name == wanted => Some(value),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no attribute {wanted}"))
}

fn string(expr: &Expr) -> &str {
    match expr {
        Expr::String { value, .. } => value,
        other => panic!("not a string: {other:?}"),
    }
}

/// The `X-Scope-OrgID` of a `headers = { … }` object.
fn org_id(body: &[Stmt]) -> &str {
    match attribute(body, "headers") {
        Expr::Object { fields, .. } => {
            assert_eq!(fields.len(), 1, "one header");
            let field = &fields[0];
            assert!(field.quoted && field.key == "X-Scope-OrgID", "{field:?}");
            string(&field.value)
        }
        other => panic!("headers: {other:?}"),
    }
}

/// A list of references, as dotted paths.
fn references(expr: &Expr) -> Vec<String> {
    match expr {
        Expr::Array { elements, .. } => elements
            .iter()
            .map(|e| e.path().map(|p| p.join(".")).unwrap_or_default())
            .collect(),
        other => vec![other.path().map(|p| p.join(".")).unwrap_or_default()],
    }
}

/// The tenant every component routes to, by the header it finally sends.
#[track_caller]
fn assert_tenant_pipelines(body: &[Stmt], label: &str, tenant: &str) {
    let remote_write = block(
        body,
        &[("prometheus.remote_write", Some(label)), ("endpoint", None)],
    );
    assert_eq!(org_id(remote_write), tenant, "metrics of {label}");
    let exporter = block(
        body,
        &[("otelcol.exporter.otlp", Some(label)), ("client", None)],
    );
    assert_eq!(org_id(exporter), tenant, "traces of {label}");
    let write = block(
        body,
        &[("pyroscope.write", Some(label)), ("endpoint", None)],
    );
    assert_eq!(org_id(write), tenant, "profiles of {label}");
    // The metrics pipeline keeps exactly this tenant's targets, and writes to its writer.
    let keep = block(
        body,
        &[("discovery.relabel", Some(&format!("metrics_{label}")))],
    );
    let rule = blocks(keep, "rule")[0];
    assert_eq!(string(attribute(rule, "regex")), tenant);
    let scrape = block(
        body,
        &[("prometheus.scrape", Some(&format!("pods_{label}")))],
    );
    assert_eq!(
        references(attribute(scrape, "forward_to")),
        [format!("prometheus.remote_write.{label}.receiver")]
    );
}

#[test]
fn awkward_tenant_names_give_valid_labels_and_exact_headers() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        TENANT_LINE,
        &format!(
            "{TENANT_LINE}    tenant \"team-a\" ingestion-rate=1000 retention=\"7d\"\n    tenant \"1st\" ingestion-rate=1000 retention=\"7d\"\n"
        ),
    );
    let (text, file) = rendered_config(&repo);
    assert_tenant_pipelines(&file.body, "team_a", "team-a");
    assert_tenant_pipelines(&file.body, "t_1st", "1st");
    assert_tenant_pipelines(&file.body, "platform", "platform");
    // Profiles: one scrape per opted-in type, each writing to the tenant's writer.
    let scrape = block(&file.body, &[("pyroscope.scrape", Some("cpu_t_1st"))]);
    assert_eq!(
        references(attribute(scrape, "forward_to")),
        ["pyroscope.write.t_1st.receiver"]
    );
    // Traces: the filter of `1st` drops every span whose tenant is not exactly `1st`.
    let conditions = block(
        &file.body,
        &[
            ("otelcol.processor.filter", Some("t_1st")),
            ("trace_conditions", None),
        ],
    );
    match attribute(conditions, "conditions") {
        Expr::Array { elements, .. } => {
            assert_eq!(elements.len(), 1);
            assert_eq!(
                string(&elements[0]),
                r#"attributes["k8s.pod.label.platform.example.com/tenant"] != "1st""#
            );
        }
        other => panic!("{other:?}"),
    }
    // The declared tenants, and only they, are recognised in the pod label.
    let tenants = block(&file.body, &[("discovery.relabel", Some("tenants"))]);
    assert_eq!(
        string(attribute(blocks(tenants, "rule")[1], "regex")),
        "(1st|agents|dev|platform|team-a)"
    );
    // No label is ever a raw tenant id where the id is not an identifier.
    for key in components(&text, &file).keys() {
        assert!(!key.contains("team-a") && !key.ends_with(".1st"), "{key}");
    }
}

/// The labels of the per-tenant components of one tenant, by signal.
fn pipeline(label: &str) -> BTreeMap<&'static str, BTreeSet<String>> {
    let types = ["block", "cpu", "goroutine", "memory", "mutex"];
    BTreeMap::from([
        (
            "metrics",
            BTreeSet::from([
                format!("discovery.relabel.metrics_{label}"),
                format!("prometheus.scrape.pods_{label}"),
                format!("prometheus.remote_write.{label}"),
            ]),
        ),
        (
            "traces",
            BTreeSet::from([
                format!("otelcol.processor.filter.{label}"),
                format!("otelcol.processor.batch.{label}"),
                format!("otelcol.exporter.otlp.{label}"),
            ]),
        ),
        (
            "profiles",
            types
                .iter()
                .flat_map(|t| {
                    [
                        format!("discovery.relabel.pprof_{t}_{label}"),
                        format!("pyroscope.scrape.{t}_{label}"),
                    ]
                })
                .chain([format!("pyroscope.write.{label}")])
                .collect(),
        ),
    ])
}

#[test]
fn adding_a_tenant_adds_one_pipeline_per_signal_and_nothing_else() {
    let repo = Repo::example();
    let (text, file) = rendered_config(&repo);
    let before = components(&text, &file);
    repo.edit(
        "platform.kdl",
        TENANT_LINE,
        &format!("{TENANT_LINE}    tenant \"extra-1\" ingestion-rate=1000 retention=\"7d\"\n"),
    );
    let (text, file) = rendered_config(&repo);
    let after = components(&text, &file);

    let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    assert!(removed.is_empty(), "removed: {removed:?}");
    let added: BTreeSet<String> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    let expected = pipeline("extra_1");
    assert_eq!(
        added,
        expected
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<_>>(),
        "added components"
    );
    // Logs have one pipeline for every tenant: nothing is added for them.
    assert!(
        !added
            .iter()
            .any(|c| c.starts_with("loki.") || c.ends_with(".logs"))
    );
    // Of the existing components, only the three that list the tenants change: the regex of
    // declared tenants, the fan-out to the trace filters, and the default tenant's trace filter.
    let changed: BTreeSet<&str> = before
        .iter()
        .filter(|(key, block)| after.get(*key) != Some(*block))
        .map(|(key, _)| key.as_str())
        .collect();
    assert_eq!(
        changed,
        BTreeSet::from([
            "discovery.relabel.tenants",
            "otelcol.processor.filter.platform",
            "otelcol.processor.k8sattributes.default",
        ])
    );
    assert_tenant_pipelines(&file.body, "extra_1", "extra-1");
    // And the new filter is fed.
    let fan_out = block(
        &file.body,
        &[
            ("otelcol.processor.k8sattributes", Some("default")),
            ("output", None),
        ],
    );
    assert!(
        references(attribute(fan_out, "traces"))
            .contains(&"otelcol.processor.filter.extra_1.input".to_owned())
    );
}

#[test]
fn the_heartbeat_goes_to_the_platform_tenant_with_the_node_name() {
    // The contract the platform's alerts rely on.
    assert_eq!(lgtmc::plan::HEARTBEAT.metric, "alloy_build_info");
    assert_eq!(lgtmc::plan::HEARTBEAT.job, "lgtmc/collector");
    assert_eq!(lgtmc::plan::HEARTBEAT.node_label, "node");

    let repo = Repo::example();
    // A platform tenant other than the default, to tell the two apart.
    repo.edit(
        "platform.kdl",
        "default=\"platform\"",
        "default=\"platform\" platform-tenant=\"agents\"",
    );
    let (_, file) = rendered_config(&repo);
    let body = &file.body;
    block(body, &[("prometheus.exporter.self", Some("alloy"))]);
    let relabel = block(body, &[("discovery.relabel", Some("self"))]);
    assert_eq!(
        references(attribute(relabel, "targets")),
        ["prometheus.exporter.self.alloy.targets"]
    );
    let rules = blocks(relabel, "rule");
    assert_eq!(string(attribute(rules[0], "target_label")), "job");
    assert_eq!(
        string(attribute(rules[0], "replacement")),
        "lgtmc/collector"
    );
    assert_eq!(string(attribute(rules[1], "target_label")), "node");
    match attribute(rules[1], "replacement") {
        Expr::Call { callee, args, .. } => {
            assert_eq!(callee.path(), Some(vec!["sys", "env"]));
            assert_eq!(args.len(), 1);
            assert_eq!(string(&args[0]), "NODE_NAME");
        }
        other => panic!("{other:?}"),
    }
    let scrape = block(body, &[("prometheus.scrape", Some("self"))]);
    assert_eq!(
        references(attribute(scrape, "targets")),
        ["discovery.relabel.self.output"]
    );
    // The heartbeat and the node metrics go to the platform tenant, `agents`.
    for name in ["self", "kubelet", "cadvisor"] {
        let scrape = block(body, &[("prometheus.scrape", Some(name))]);
        assert_eq!(
            references(attribute(scrape, "forward_to")),
            ["prometheus.remote_write.agents.receiver"],
            "{name}"
        );
    }
    let remote_write = block(
        body,
        &[
            ("prometheus.remote_write", Some("agents")),
            ("endpoint", None),
        ],
    );
    assert_eq!(org_id(remote_write), "agents");
    // Pods without the label still go to the default tenant, `platform`.
    let tenants = block(body, &[("discovery.relabel", Some("tenants"))]);
    assert_eq!(
        string(attribute(blocks(tenants, "rule")[0], "replacement")),
        "platform"
    );
    let loki = block(body, &[("loki.write", Some("loki")), ("endpoint", None)]);
    assert_eq!(string(attribute(loki, "tenant_id")), "platform");

    // NODE_NAME comes from the downward API.
    let values: Value =
        serde_norway::from_str(&repo.read("out/dev/alloy/values.yaml")).expect("YAML");
    let env = &values["alloy"]["extraEnv"];
    let node_name = env
        .as_sequence()
        .and_then(|list| list.iter().find(|e| e["name"] == "NODE_NAME"))
        .expect("NODE_NAME in alloy.extraEnv");
    assert_eq!(
        node_name["valueFrom"]["fieldRef"]["fieldPath"],
        "spec.nodeName"
    );
    // The collector's own pods carry the platform tenant's label.
    assert_eq!(
        values["controller"]["podLabels"]["platform.example.com/tenant"],
        "agents"
    );
}

#[test]
fn receivers_follow_the_spec() {
    let repo = Repo::example();
    let (_, file) = rendered_config(&repo);
    for receiver in [
        "otelcol.receiver.otlp",
        "otelcol.receiver.jaeger",
        "otelcol.receiver.zipkin",
    ] {
        let output = block(&file.body, &[(receiver, Some("default")), ("output", None)]);
        assert_eq!(
            references(attribute(output, "traces")),
            ["otelcol.processor.k8sattributes.default.input"]
        );
    }
    let otlp = block(&file.body, &[("otelcol.receiver.otlp", Some("default"))]);
    assert_eq!(
        string(attribute(block(otlp, &[("grpc", None)]), "endpoint")),
        "0.0.0.0:4317"
    );
    assert_eq!(
        string(attribute(block(otlp, &[("http", None)]), "endpoint")),
        "0.0.0.0:4318"
    );

    repo.edit("platform.kdl", " jaeger=#true zipkin=#true", "");
    let (text, file) = rendered_config(&repo);
    let kinds: BTreeSet<String> = components(&text, &file).into_keys().collect();
    assert!(kinds.contains("otelcol.receiver.otlp.default"));
    assert!(!kinds.contains("otelcol.receiver.jaeger.default"));
    assert!(!kinds.contains("otelcol.receiver.zipkin.default"));
    let values: Value =
        serde_norway::from_str(&repo.read("out/dev/alloy/values.yaml")).expect("YAML");
    let ports: Vec<&str> = values["alloy"]["extraPorts"]
        .as_sequence()
        .expect("extraPorts")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(ports, ["otlp-grpc", "otlp-http"]);
}

#[test]
fn one_tenant_routes_everything_to_it() {
    let repo = Repo::example();
    let platform = repo.read("platform.kdl");
    let trimmed: String = platform
        .lines()
        .filter(|line| !line.contains("tenant \"agents\"") && !line.contains("tenant \"dev\""))
        .map(|line| format!("{line}\n"))
        .collect();
    repo.write("platform.kdl", &trimmed);
    let (_, file) = rendered_config(&repo);
    let conditions = block(
        &file.body,
        &[
            ("otelcol.processor.filter", Some("platform")),
            ("trace_conditions", None),
        ],
    );
    match attribute(conditions, "conditions") {
        Expr::Array { elements, .. } => {
            assert_eq!(elements.len(), 1);
            assert_eq!(string(&elements[0]), "false");
        }
        other => panic!("{other:?}"),
    }
    assert_tenant_pipelines(&file.body, "platform", "platform");
}

#[test]
fn colliding_alloy_labels_are_rejected() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        TENANT_LINE,
        &format!(
            "{TENANT_LINE}    tenant \"1st\" ingestion-rate=1000 retention=\"7d\"\n    tenant \"t-1st\" ingestion-rate=1000 retention=\"7d\"\n"
        ),
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains(
            "tenants `1st` and `t-1st` would both be `t_1st` in the collector's configuration"
        ),
        "{message}"
    );
    assert!(message.contains("platform.kdl:28:"), "{message}");
}

#[test]
fn the_scrape_interval_is_at_least_a_second_and_sets_the_timeout() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "scrape-interval=\"30s\"",
        "scrape-interval=\"5s\"",
    );
    let (_, file) = rendered_config(&repo);
    let scrape = block(&file.body, &[("prometheus.scrape", Some("kubelet"))]);
    assert_eq!(string(attribute(scrape, "scrape_interval")), "5s");
    // Alloy refuses a timeout longer than the interval.
    assert_eq!(string(attribute(scrape, "scrape_timeout")), "5s");

    repo.edit(
        "platform.kdl",
        "scrape-interval=\"5s\"",
        "scrape-interval=\"500ms\"",
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains("the collector's scrape interval `500ms` is shorter than a second"),
        "{message}"
    );
}

#[test]
fn a_broken_alloy_template_names_the_template_and_the_line() {
    let repo = Repo::example();
    repo.write(
        "my-templates/alloy/config.alloy.j2",
        "logging {\n  level = {{ collector.namespace }}\n}\n\nprometheus.scrape \"x\" {\n  targets    = []\n  forward_to = [prometheus.remote_write.nope.receiver]\n}\n",
    );
    let output = repo.run(&["render", "--templates", "my-templates"]);
    assert_exit(&output, 3);
    let message = stderr(&output);
    let unwrapped = message.replace("\n  │ ", " ");
    assert!(
        unwrapped.contains("rendered file `dev/alloy/config.alloy` (from template `alloy/config.alloy.j2`) is not valid Alloy configuration"),
        "{message}"
    );
    assert!(
        unwrapped.contains("unknown component \"prometheus.remote_write.nope\""),
        "{message}"
    );
    // Line 8: the header line comes first.
    assert!(
        message.contains("[out/dev/alloy/config.alloy:8:17]"),
        "{message}"
    );
    assert!(!repo.path().join("out").exists(), "nothing was written");
}

#[test]
fn the_collector_holds_no_secret() {
    let repo = Repo::example();
    let (text, file) = rendered_config(&repo);
    for forbidden in [
        "password",
        "basic_auth",
        "bearer_token =",
        "authorization {",
    ] {
        assert!(
            !text.contains(forbidden),
            "config.alloy holds `{forbidden}`"
        );
    }
    // The only credential is the pod's own service account token, read from its file.
    for name in ["kubelet", "cadvisor"] {
        let scrape = block(&file.body, &[("prometheus.scrape", Some(name))]);
        assert_eq!(
            string(attribute(scrape, "bearer_token_file")),
            "/var/run/secrets/kubernetes.io/serviceaccount/token"
        );
    }
    let values = repo.read("out/dev/alloy/values.yaml");
    for forbidden in ["password", "secretKey", "token"] {
        assert!(
            !values.contains(forbidden),
            "values.yaml holds `{forbidden}`"
        );
    }
}

/// The example platform's collector files, as reviewed snapshots (dev; staging and prod differ
/// only in their header, which the last assertion checks).
#[test]
fn collector_files() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    for file in ["config.alloy", "values.yaml", "kustomization.yaml"] {
        let dev = repo.read(&format!("out/dev/alloy/{file}"));
        insta::with_settings!({ snapshot_suffix => file, omit_expression => true, description => format!("out/dev/alloy/{file}") }, {
            insta::assert_snapshot!(dev);
        });
        for env in ["staging", "prod"] {
            let other = repo.read(&format!("out/{env}/alloy/{file}"));
            assert_eq!(
                other.split_once('\n').map(|(_, rest)| rest),
                dev.split_once('\n').map(|(_, rest)| rest),
                "{env}/alloy/{file} differs from dev beyond its header"
            );
        }
    }
}
