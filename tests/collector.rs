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

/// A list of strings.
fn strings(expr: &Expr) -> Vec<&str> {
    match expr {
        Expr::Array { elements, .. } => elements.iter().map(string).collect(),
        other => panic!("not a list: {other:?}"),
    }
}

/// The body of the custom component `tenant`, which holds one tenant's pipelines.
fn tenant_declare(body: &[Stmt]) -> &[Stmt] {
    block(body, &[("declare", Some("tenant"))])
}

/// The instance of `tenant` labelled `label`.
fn instance<'a>(body: &'a [Stmt], label: &str) -> &'a [Stmt] {
    block(body, &[("tenant", Some(label))])
}

/// An expression joined with `+` as its parts: strings as themselves, references as `{path}`.
fn parts(expr: &Expr) -> Vec<String> {
    match expr {
        Expr::Binary {
            op: lgtmc::alloy::BinaryOp::Add,
            left,
            right,
            ..
        } => [parts(left), parts(right)].concat(),
        Expr::String { value, .. } => vec![value.clone()],
        other => vec![format!(
            "{{{}}}",
            other.path().map(|p| p.join(".")).unwrap_or_default()
        )],
    }
}

/// The tenant's OTTL condition under which its trace pipeline drops a span: the instance's
/// `trace_drop`, or else the declare's condition with the instance's id put in.
fn trace_drop(body: &[Stmt], label: &str) -> String {
    let id = string(attribute(instance(body, label), "id")).to_owned();
    let has_own = instance(body, label)
        .iter()
        .any(|s| matches!(s, Stmt::Attribute { name, .. } if name == "trace_drop"));
    if has_own {
        return string(attribute(instance(body, label), "trace_drop")).to_owned();
    }
    let conditions = block(
        tenant_declare(body),
        &[
            ("otelcol.processor.filter", Some("traces")),
            ("trace_conditions", None),
        ],
    );
    let Expr::Array { elements, .. } = attribute(conditions, "conditions") else {
        panic!("conditions are a list");
    };
    assert_eq!(elements.len(), 1);
    let Expr::Call { callee, args, .. } = &elements[0] else {
        panic!("coalesce(trace_drop, …)");
    };
    assert_eq!(callee.path(), Some(vec!["coalesce"]));
    assert_eq!(parts(&args[0]), ["{argument.trace_drop.value}"]);
    parts(&args[1])
        .into_iter()
        .map(|part| {
            if part == "{argument.id.value}" {
                id.clone()
            } else {
                part
            }
        })
        .collect()
}

/// The custom component `tenant` sends every signal with the instance's id as the header, and
/// keeps only the targets of that tenant.
#[track_caller]
fn assert_declare_routes_by_id(body: &[Stmt]) {
    let declare = tenant_declare(body);
    let header = |path: &[(&str, Option<&str>)]| match attribute(block(declare, path), "headers") {
        Expr::Object { fields, .. } => {
            assert_eq!(fields.len(), 1, "one header");
            assert!(fields[0].quoted && fields[0].key == "X-Scope-OrgID");
            parts(&fields[0].value)
        }
        other => panic!("headers: {other:?}"),
    };
    for path in [
        [
            ("prometheus.remote_write", Some("tenant")),
            ("endpoint", None),
        ],
        [("otelcol.exporter.otlp", Some("traces")), ("client", None)],
        [("pyroscope.write", Some("tenant")), ("endpoint", None)],
    ] {
        assert_eq!(header(&path), ["{argument.id.value}"], "{path:?}");
    }
    let keep = blocks(
        block(declare, &[("discovery.relabel", Some("metrics"))]),
        "rule",
    )[0];
    assert_eq!(
        references(attribute(keep, "source_labels")).len(),
        2,
        "__tenant and __signal"
    );
    assert_eq!(
        parts(attribute(keep, "regex")),
        ["{argument.id.value}", ";metrics"]
    );
    let scrape = block(declare, &[("prometheus.scrape", Some("pods"))]);
    assert_eq!(
        references(attribute(scrape, "forward_to")),
        ["prometheus.remote_write.tenant.receiver"]
    );
    let scrape = block(declare, &[("pyroscope.scrape", Some("cpu"))]);
    assert_eq!(
        references(attribute(scrape, "forward_to")),
        ["pyroscope.write.tenant.receiver"]
    );
}

/// The tenant every pipeline of the instance `label` routes to: the id it passes, which the
/// custom component sends as the header of every write.
#[track_caller]
fn assert_tenant_pipelines(body: &[Stmt], label: &str, tenant: &str) {
    assert_declare_routes_by_id(body);
    let instance = instance(body, label);
    assert_eq!(string(attribute(instance, "id")), tenant, "id of {label}");
    assert_eq!(
        references(attribute(instance, "targets")),
        ["discovery.relabel.signals.output"]
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
    // Traces: the filter of `1st` drops every span whose tenant is not exactly `1st`.
    assert_eq!(
        trace_drop(&file.body, "t_1st"),
        r#"attributes["k8s.pod.label.platform.example.com/tenant"] != "1st""#
    );
    // The default drops exactly the spans another declared tenant claims.
    assert_eq!(
        trace_drop(&file.body, "platform"),
        r#"IsMatch(attributes["k8s.pod.label.platform.example.com/tenant"], "^(?:1st|agents|dev|team-a)$")"#
    );
    // The declared tenants, and only they, are recognised in the pod label.
    let tenants = block(&file.body, &[("discovery.relabel", Some("tenants"))]);
    let label_rule = blocks(tenants, "rule")
        .into_iter()
        .find(|rule| {
            rule.iter().any(|stmt| {
                matches!(stmt, Stmt::Attribute { name, value, .. } if name == "source_labels"
                    && strings(value) == ["__meta_kubernetes_pod_label_platform_example_com_tenant"])
            })
        })
        .expect("a rule on the tenant label");
    assert_eq!(
        string(attribute(label_rule, "regex")),
        "(1st|agents|dev|platform|team-a)"
    );
    // No label is ever a raw tenant id where the id is not an identifier.
    for key in components(&text, &file).keys() {
        assert!(!key.contains("team-a") && !key.ends_with(".1st"), "{key}");
    }
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
    // One instance of the custom component `tenant` holds every pipeline of the new tenant.
    assert_eq!(
        added,
        BTreeSet::from(["tenant.extra_1".to_owned()]),
        "added components"
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
            "otelcol.processor.k8sattributes.default",
            "tenant.platform",
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
    assert!(references(attribute(fan_out, "traces")).contains(&"tenant.extra_1.traces".to_owned()));
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
            ["tenant.agents.metrics"],
            "{name}"
        );
    }
    assert_tenant_pipelines(body, "agents", "agents");
    let exports = block(
        body,
        &[("declare", Some("tenant")), ("export", Some("metrics"))],
    );
    assert_eq!(
        references(attribute(exports, "value")),
        ["prometheus.remote_write.tenant.receiver"]
    );
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
    assert_eq!(trace_drop(&file.body, "platform"), "false");
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

/// How many tenants the size test declares: the issue's target platform (issue 14).
const MANY_TENANTS: usize = 2_000;
/// The bound on `config.alloy` at that many tenants: far below Kubernetes' 1 MiB object limit,
/// which the ConfigMap must stay under twice over (a client-side apply stores the object again
/// in its `last-applied-configuration` annotation).
const MAX_CONFIG_BYTES: usize = 320 * 1024;
const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// The collector's configuration grows by a few lines per tenant (one instance of the custom
/// component `tenant`), so 2,000 tenants fit in every environment's ConfigMap.
#[test]
fn the_collector_config_fits_its_config_map_at_2000_tenants() {
    let repo = Repo::example();
    let extra: String = (3..MANY_TENANTS)
        .map(|i| format!("    tenant \"team-{i:04}\" ingestion-rate=1000 retention=\"7d\"\n"))
        .collect();
    repo.edit(
        "platform.kdl",
        TENANT_LINE,
        &format!("{TENANT_LINE}{extra}"),
    );
    assert_exit(&repo.run(&["render"]), 0);
    // At this size rendering, parsing back and comparing each run on all cores: the tree just
    // written must be exactly what the spec compiles to again.
    assert_exit(&repo.run(&["check"]), 0);
    for env in ["dev", "staging", "prod"] {
        let text = repo.read(&format!("out/{env}/alloy/config.alloy"));
        let file = lgtmc::alloy::validate(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let instances = file
            .body
            .iter()
            .filter(|s| matches!(s, Stmt::Block { name, .. } if name.join(".") == "tenant"))
            .count();
        assert_eq!(instances, MANY_TENANTS, "{env}: one instance per tenant");
        assert!(
            text.len() <= MAX_CONFIG_BYTES,
            "{env}/alloy/config.alloy is {} bytes, more than {MAX_CONFIG_BYTES}",
            text.len()
        );
        // The ConfigMap kustomize generates holds the file as a block scalar, each line
        // indented; with its metadata and the copy a client-side apply keeps in an annotation.
        let config_map = text.len() + 4 * text.lines().count() + 1024;
        assert!(
            2 * config_map < MAX_OBJECT_BYTES,
            "{env}: the ConfigMap of config.alloy would be {config_map} bytes"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The metrics rules, evaluated: which pods the collector scrapes, on which port, for which tenant.

/// A target as Alloy's `discovery.kubernetes` (role `pod`, Prometheus's Kubernetes discovery)
/// presents it: its labels.
pub(crate) type Target = BTreeMap<String, String>;

/// One relabel rule with Prometheus's defaults filled in.
struct Rule {
    source_labels: Vec<String>,
    separator: String,
    /// Anchored, as Prometheus anchors every relabel regex.
    regex: regex::Regex,
    target_label: String,
    replacement: String,
    action: String,
}

/// An attribute's value as text: strings, and `+` of strings, with `argument.id.value` (inside
/// the custom component `tenant`) bound to `id`.
fn text(expr: &Expr, id: &str) -> String {
    match expr {
        Expr::String { value, .. } => value.clone(),
        Expr::Binary {
            op: lgtmc::alloy::BinaryOp::Add,
            left,
            right,
            ..
        } => text(left, id) + &text(right, id),
        other if other.path() == Some(vec!["argument", "id", "value"]) => id.to_owned(),
        other => panic!("not a text the rules use: {other:?}"),
    }
}

/// The rules of a `discovery.relabel` body, in order.
fn rules(body: &[Stmt], id: &str) -> Vec<Rule> {
    blocks(body, "rule")
        .into_iter()
        .map(|rule| {
            let get = |name: &str, default: &str| {
                rule.iter()
                    .find_map(|stmt| match stmt {
                        Stmt::Attribute { name: n, value, .. } if n == name => Some(value),
                        _ => None,
                    })
                    .map_or_else(|| default.to_owned(), |value| text(value, id))
            };
            let source_labels = rule
                .iter()
                .find_map(|stmt| match stmt {
                    Stmt::Attribute { name, value, .. } if name == "source_labels" => Some(value),
                    _ => None,
                })
                .map(|value| match value {
                    Expr::Array { elements, .. } => elements.iter().map(|e| text(e, id)).collect(),
                    other => panic!("source_labels: {other:?}"),
                })
                .unwrap_or_default();
            Rule {
                source_labels,
                separator: get("separator", ";"),
                regex: regex::Regex::new(&format!("^(?:{})$", get("regex", "(.*)")))
                    .expect("an RE2 regex"),
                target_label: get("target_label", ""),
                replacement: get("replacement", "$1"),
                action: get("action", "replace"),
            }
        })
        .collect()
}

/// Prometheus's relabelling (`model/relabel`) of one target: `None` when a rule drops it. Only
/// the actions the collector uses; a missing label reads as empty.
fn relabel(rules: &[Rule], mut target: Target) -> Option<Target> {
    for rule in rules {
        let value = rule
            .source_labels
            .iter()
            .map(|label| target.get(label).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(&rule.separator);
        match rule.action.as_str() {
            "replace" => {
                let Some(captures) = rule.regex.captures(&value) else {
                    continue;
                };
                let mut result = String::new();
                captures.expand(&rule.replacement, &mut result);
                if result.is_empty() {
                    target.remove(&rule.target_label);
                } else {
                    target.insert(rule.target_label.clone(), result);
                }
            }
            "keep" if !rule.regex.is_match(&value) => return None,
            "drop" if rule.regex.is_match(&value) => return None,
            "keepequal" if target.get(&rule.target_label).map_or("", String::as_str) != value => {
                return None;
            }
            "keep" | "drop" | "keepequal" => {}
            other => panic!("action {other} is not evaluated here"),
        }
    }
    Some(target)
}

/// The targets Kubernetes discovery makes of one running pod (`pod`: a pod template's
/// `metadata` and `spec`): one per declared container port, and one for each container without
/// ports.
pub(crate) fn pod_targets(namespace: &str, name: &str, pod: &serde_json::Value) -> Vec<Target> {
    let mut common = Target::from([
        (
            "__meta_kubernetes_namespace".to_owned(),
            namespace.to_owned(),
        ),
        ("__meta_kubernetes_pod_name".to_owned(), name.to_owned()),
        (
            "__meta_kubernetes_pod_phase".to_owned(),
            "Running".to_owned(),
        ),
    ]);
    for (kind, field) in [("label", "labels"), ("annotation", "annotations")] {
        for (key, value) in pod["metadata"][field].as_object().into_iter().flatten() {
            let key = lgtmc::plan::sanitize_label_name(key);
            common.insert(
                format!("__meta_kubernetes_pod_{kind}_{key}"),
                value.as_str().unwrap_or_default().to_owned(),
            );
            common.insert(
                format!("__meta_kubernetes_pod_{kind}present_{key}"),
                "true".to_owned(),
            );
        }
    }
    let mut targets = Vec::new();
    for (list, init) in [("containers", "false"), ("initContainers", "true")] {
        for container in pod["spec"][list].as_array().into_iter().flatten() {
            let mut base = common.clone();
            base.insert(
                "__meta_kubernetes_pod_container_name".to_owned(),
                container["name"].as_str().unwrap_or_default().to_owned(),
            );
            base.insert(
                "__meta_kubernetes_pod_container_init".to_owned(),
                init.to_owned(),
            );
            let ports = container["ports"].as_array().cloned().unwrap_or_default();
            if ports.is_empty() {
                let mut target = base.clone();
                target.insert("__address__".to_owned(), format!("{name}.{namespace}"));
                targets.push(target);
            }
            for port in ports {
                let number = port["containerPort"].to_string();
                let mut target = base.clone();
                target.insert(
                    "__address__".to_owned(),
                    format!("{name}.{namespace}:{number}"),
                );
                target.insert(
                    "__meta_kubernetes_pod_container_port_number".to_owned(),
                    number,
                );
                if let Some(port_name) = port["name"].as_str() {
                    target.insert(
                        "__meta_kubernetes_pod_container_port_name".to_owned(),
                        port_name.to_owned(),
                    );
                }
                targets.push(target);
            }
        }
    }
    targets
}

/// What the collector's metrics pipelines do with `targets`, per `config.alloy`: every scrape
/// of a tenant instance's `prometheus.scrape "pods"`, as (tenant id, target after relabelling).
/// A target appears once per instance that keeps it, so a duplicate scrape shows as two entries.
pub(crate) fn metrics_scrapes(config: &File, targets: Vec<Target>) -> Vec<(String, Target)> {
    let body = &config.body;
    let top = |label: &str| rules(block(body, &[("discovery.relabel", Some(label))]), "");
    let (tenants, metrics, signals) = (top("tenants"), top("metrics"), top("signals"));
    let declare = tenant_declare(body);
    let mut scrapes = Vec::new();
    for target in targets {
        let Some(target) = relabel(&tenants, target)
            .and_then(|target| relabel(&metrics, target))
            .and_then(|target| relabel(&signals, target))
        else {
            continue;
        };
        for stmt in body {
            let Stmt::Block {
                name,
                body: instance,
                ..
            } = stmt
            else {
                continue;
            };
            if name.join(".") != "tenant" {
                continue;
            }
            let id = string(attribute(instance, "id"));
            let keep = rules(
                block(declare, &[("discovery.relabel", Some("metrics"))]),
                id,
            );
            if let Some(kept) = relabel(&keep, target.clone()) {
                scrapes.push((id.to_owned(), kept));
            }
        }
    }
    scrapes
}

/// A pod as the collector sees it: namespace, name, labels and annotations, and its
/// containers' ports (name, number).
fn pod(
    labels: serde_json::Value,
    annotations: serde_json::Value,
    ports: &[&[(&str, u16)]],
) -> serde_json::Value {
    let containers: Vec<serde_json::Value> = ports
        .iter()
        .enumerate()
        .map(|(i, ports)| {
            let ports: Vec<serde_json::Value> = ports
                .iter()
                .map(|(name, port)| serde_json::json!({"name": name, "containerPort": port}))
                .collect();
            serde_json::json!({"name": format!("c{i}"), "ports": ports})
        })
        .collect();
    serde_json::json!({
        "metadata": {"labels": labels, "annotations": annotations},
        "spec": {"containers": containers},
    })
}

/// Where each pod's metrics go, as (tenant, scraped port) per scrape.
fn scraped(config: &File, namespace: &str, pod: &serde_json::Value) -> Vec<(String, String)> {
    metrics_scrapes(config, pod_targets(namespace, "p-0", pod))
        .into_iter()
        .map(|(tenant, target)| {
            let port = target["__meta_kubernetes_pod_container_port_number"].clone();
            (tenant, port)
        })
        .collect()
}

/// The rules select a pod's annotated port once, whatever its other ports and containers; the
/// port-name rule applies only without a port annotation; and a pod in a backend's namespace
/// without a tenant label goes to the platform tenant, not the default.
#[test]
fn the_metrics_rules_scrape_each_annotated_pod_once_for_its_tenant() {
    let repo = Repo::example();
    // A platform tenant other than the default, to tell the two apart.
    repo.edit(
        "platform.kdl",
        "default=\"platform\"",
        "default=\"platform\" platform-tenant=\"agents\"",
    );
    let (_, config) = rendered_config(&repo);
    let scrape = serde_json::json!({"prometheus.io/scrape": "true", "prometheus.io/port": "8080"});
    let none = serde_json::json!({});
    let tenant = |id: &str| serde_json::json!({"platform.example.com/tenant": id});
    let mimir_like: &[&[(&str, u16)]] = &[
        &[("http-metrics", 8080), ("grpc", 9095), ("memberlist", 7946)],
        &[("sidecar-metrics", 9000)],
        &[],
    ];
    let once_at = |tenant: &str| vec![(tenant.to_owned(), "8080".to_owned())];
    // A backend's pod: once, on the annotated port, for the platform tenant `agents`.
    assert_eq!(
        scraped(
            &config,
            "mimir",
            &pod(none.clone(), scrape.clone(), mimir_like)
        ),
        once_at("agents")
    );
    // A tenant label still wins in a backend's namespace.
    assert_eq!(
        scraped(
            &config,
            "loki",
            &pod(tenant("dev"), scrape.clone(), mimir_like)
        ),
        once_at("dev")
    );
    // Elsewhere, an unlabelled pod is the default tenant's; a labelled one its tenant's.
    assert_eq!(
        scraped(
            &config,
            "apps",
            &pod(none.clone(), scrape.clone(), mimir_like)
        ),
        once_at("platform")
    );
    assert_eq!(
        scraped(&config, "apps", &pod(tenant("dev"), scrape, mimir_like)),
        once_at("dev")
    );
    // Without a port annotation, every port named *metrics, once each.
    let by_name = serde_json::json!({"prometheus.io/scrape": "true"});
    let mut ports: Vec<String> = scraped(&config, "tempo", &pod(none.clone(), by_name, mimir_like))
        .into_iter()
        .map(|(tenant, port)| {
            assert_eq!(tenant, "agents");
            port
        })
        .collect();
    ports.sort();
    assert_eq!(ports, ["8080", "9000"]);
    // Not annotated: not scraped, in a backend's namespace too.
    assert!(scraped(&config, "mimir", &pod(none.clone(), none, mimir_like)).is_empty());
}
