//! The collector's plan: Grafana Alloy as a DaemonSet, one pod per node, collecting the signals
//! of the pods on its node and sending each to its tenant.
//!
//! A pod's tenant is the value of the spec's tenancy label when it names a declared tenant; else
//! the platform tenant for a pod in a backend's namespace (the backends' own metrics, whose pods
//! carry `scrape_annotations`); else the default tenant. Logs pick their tenant per entry;
//! metrics, traces and profiles have one pipeline per tenant, because Alloy's writers send one
//! fixed `X-Scope-OrgID` per endpoint. The collector's own heartbeat and the node metrics
//! (kubelet, cAdvisor) go to the platform tenant.
//!
//! Everything a template needs that takes a decision (labels, regexes, OTTL conditions, ports) is
//! computed here, so the template only lays it out and the decisions are unit-tested.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{LokiPlan, MimirPlan, PyroscopePlan, ResourcesPlan, TempoPlan, resources};
use crate::alloy::{label_for, regex_escape};
use crate::model::Platform;

/// The longest a scrape may take, or the scrape interval when that is shorter: Alloy refuses a
/// scrape timeout longer than the interval.
const SCRAPE_TIMEOUT_SECONDS: u64 = 10;

/// The receivers' ports: name (also the Service port's name, at most 15 characters), number and
/// protocol.
const OTLP_PORTS: &[(&str, u16, &str)] = &[("otlp-grpc", 4317, "TCP"), ("otlp-http", 4318, "TCP")];
const JAEGER_PORTS: &[(&str, u16, &str)] = &[
    ("jaeger-grpc", 14250, "TCP"),
    ("jaeger-http", 14268, "TCP"),
    ("jaeger-compact", 6831, "UDP"),
];
const ZIPKIN_PORTS: &[(&str, u16, &str)] = &[("zipkin", 9411, "TCP")];

/// The `__signal` of metrics targets; a profile type's is `profile_<type>`.
const METRICS_SIGNAL: &str = "metrics";

/// The prefix of the annotations by which a pod opts in to metrics scraping (the Prometheus
/// community's convention, which the backends' values follow too: `scrape_annotations`).
const METRICS_ANNOTATION_PREFIX: &str = "prometheus.io/";

/// The pprof profile types a pod can opt in to with `profiles.grafana.com/<type>.scrape`, and the
/// `pyroscope.scrape` block that collects each: the five Alloy enables by default.
const PROFILE_TYPES: &[(&str, &str)] = &[
    ("block", "block"),
    ("cpu", "process_cpu"),
    ("goroutine", "goroutine"),
    ("memory", "memory"),
    ("mutex", "mutex"),
];

#[derive(Debug, Serialize)]
pub struct CollectorPlan {
    pub release: &'static str,
    pub namespace: String,
    /// The ConfigMap that holds `config.alloy` under `config_key`; kustomize generates it from the
    /// rendered file, and the chart mounts it instead of creating its own.
    pub config_map: &'static str,
    pub config_key: &'static str,
    /// Go durations (`30s`), which is what Alloy reads.
    pub scrape_interval: String,
    pub scrape_timeout: String,
    pub resources: Option<ResourcesPlan>,
    /// The pod label that names a workload's tenant, as written on pods.
    pub tenant_label: String,
    /// The same label as Kubernetes discovery presents it (`__meta_kubernetes_pod_label_…`).
    pub tenant_meta_label: String,
    /// The resource attribute the trace pipeline copies the label into.
    pub tenant_attribute: String,
    /// An RE2 regex matching exactly the declared tenant ids.
    pub tenants_regex: String,
    /// An RE2 regex matching exactly the backends' namespaces (Mimir, Loki, Tempo, Pyroscope):
    /// a pod there without a tenant label is the platform's, so the backends' own metrics,
    /// logs and profiles reach the platform tenant even when it is not the default tenant.
    pub platform_namespaces_regex: String,
    /// The `__signal` of the targets a pod opted in to metrics scraping with.
    pub metrics_signal: &'static str,
    /// A tenant's trace filter drops every span for which `<prefix><id><suffix>` holds (an OTTL
    /// condition on resource attributes): the span's tenant attribute is not the id. The
    /// template joins the three in Alloy, so a tenant's instance carries only its id.
    pub trace_drop_prefix: String,
    pub trace_drop_suffix: &'static str,
    /// The default tenant's trace filter instead: drop every span that another declared tenant
    /// claims.
    pub default_trace_drop: String,
    pub default_tenant: String,
    /// The tenant of the collector's heartbeat, its own logs and the node metrics.
    pub platform_tenant: String,
    /// The heartbeat series, a contract with the alerts on it.
    pub heartbeat: Heartbeat,
    /// `platform_tenant`'s label: the pipelines those signals join.
    pub platform_label: String,
    /// One entry per tenant, sorted by id: the per-tenant pipelines.
    pub tenants: Vec<CollectorTenant>,
    /// The `prometheus.io/*` annotations by which a pod opts in to metrics scraping.
    pub metrics_annotations: Annotations,
    /// The `profiles.grafana.com/<type>.*` annotations, per profile type.
    pub profile_types: Vec<ProfileType>,
    pub jaeger: bool,
    pub zipkin: bool,
    /// Every port a receiver listens on, in a fixed order (for the chart's Service).
    pub ports: Vec<PortPlan>,
    /// The same ports by name (for the receivers in config.alloy).
    pub receivers: BTreeMap<String, PortPlan>,
    /// Where each signal goes.
    pub mimir_push: String,
    pub loki_push: String,
    pub tempo_otlp: String,
    pub pyroscope_url: String,
}

/// The collector's heartbeat: `alloy_build_info{job="lgtmc/collector", node="<node>"}` from
/// `prometheus.exporter.self`, written to the platform tenant. An alert on its absence names
/// the node whose collector stopped reporting.
#[derive(Debug, Serialize)]
pub struct Heartbeat {
    pub metric: &'static str,
    pub job: &'static str,
    /// The label holding the Kubernetes node name.
    pub node_label: &'static str,
}

/// The heartbeat every collector sends.
pub const HEARTBEAT: Heartbeat = Heartbeat {
    metric: "alloy_build_info",
    job: "lgtmc/collector",
    node_label: "node",
};

/// One tenant's pipelines.
#[derive(Debug, Serialize)]
pub struct CollectorTenant {
    /// The tenant id: the exact `X-Scope-OrgID` value.
    pub id: String,
    /// The Alloy label of its components (`team-a` → `team_a`, `1st` → `t_1st`).
    pub label: String,
    pub default: bool,
}

/// The meta labels of a set of pod annotations (`prometheus.io/port` →
/// `__meta_kubernetes_pod_annotation_prometheus_io_port`).
#[derive(Debug, Serialize)]
pub struct Annotations {
    /// Names the annotations, for comments: `prometheus.io/*`.
    pub pattern: String,
    pub scrape: String,
    pub port: String,
    pub port_name: String,
    pub path: String,
    pub scheme: String,
}

#[derive(Debug, Serialize)]
pub struct ProfileType {
    /// The type's name in the annotations (`cpu`).
    pub name: &'static str,
    /// Its `profile.<block>` in `pyroscope.scrape` (`process_cpu`).
    pub block: &'static str,
    /// The `__signal` of the targets that opted in to it (`profile_cpu`).
    pub signal: String,
    pub annotations: Annotations,
}

#[derive(Clone, Debug, Serialize)]
pub struct PortPlan {
    pub name: &'static str,
    pub port: u16,
    pub protocol: &'static str,
    /// Where the receiver listens: `0.0.0.0:<port>`.
    pub endpoint: String,
}

pub(super) fn collector(
    platform: &Platform,
    mimir: &MimirPlan,
    loki: &LokiPlan,
    tempo: &TempoPlan,
    pyroscope: &PyroscopePlan,
) -> CollectorPlan {
    let spec = &platform.collector;
    let default = platform.tenancy.default.clone();
    // The same rule as `TenancyPlan::platform` (a test keeps them equal).
    let platform_tenant = platform
        .tenancy
        .platform_tenant
        .clone()
        .unwrap_or_else(|| default.clone());
    let label = platform.tenancy.label.clone();
    let tenant_attribute = format!("k8s.pod.label.{label}");
    let ids: Vec<&String> = platform.tenants.keys().collect();
    let tenants = ids
        .iter()
        .map(|id| CollectorTenant {
            id: (*id).clone(),
            label: label_for(id),
            default: **id == default,
        })
        .collect();
    let trace_attribute = format!("attributes[{}]", ottl_string(&tenant_attribute));
    let interval = spec.scrape_interval.seconds();
    let ports = ports(platform);
    CollectorPlan {
        release: "alloy",
        namespace: spec.namespace.clone(),
        config_map: "alloy-config",
        config_key: "config.alloy",
        scrape_interval: format!("{interval}s"),
        scrape_timeout: format!("{}s", interval.min(SCRAPE_TIMEOUT_SECONDS)),
        resources: resources(&spec.resources),
        tenant_meta_label: format!(
            "__meta_kubernetes_pod_label_{}",
            sanitize_label_name(&label)
        ),
        tenant_label: label,
        metrics_signal: METRICS_SIGNAL,
        trace_drop_prefix: format!("{trace_attribute} != \""),
        trace_drop_suffix: "\"",
        default_trace_drop: default_trace_drop(&trace_attribute, &default, &ids),
        tenant_attribute,
        tenants_regex: ids
            .iter()
            .map(|id| regex_escape(id))
            .collect::<Vec<_>>()
            .join("|"),
        platform_namespaces_regex: platform_namespaces_regex(&[
            &mimir.namespace,
            &loki.namespace,
            &tempo.namespace,
            &pyroscope.namespace,
        ]),
        platform_label: label_for(&platform_tenant),
        platform_tenant,
        heartbeat: HEARTBEAT,
        default_tenant: default,
        tenants,
        metrics_annotations: annotations(METRICS_ANNOTATION_PREFIX),
        profile_types: profile_types(),
        jaeger: platform.traces.jaeger,
        zipkin: platform.traces.zipkin,
        receivers: ports
            .iter()
            .map(|p| (p.name.to_owned(), p.clone()))
            .collect(),
        ports,
        mimir_push: format!("{}/api/v1/push", mimir.url),
        loki_push: format!("{}/loki/api/v1/push", loki.url),
        tempo_otlp: tempo.otlp_grpc.clone(),
        pyroscope_url: pyroscope.url.clone(),
    }
}

/// The pod annotations that make the collector scrape a pod's metrics on container port `port`
/// (at `/metrics`, over HTTP): `prometheus.io/scrape: "true"` and `prometheus.io/port`. The
/// backends' values put them on every pod that serves metrics. A port number, not the port
/// name rule, because the number selects exactly one target of the pod (one per container port),
/// whatever its ports are named.
pub(super) fn scrape_annotations(port: u16) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            format!("{METRICS_ANNOTATION_PREFIX}scrape"),
            "true".to_owned(),
        ),
        (format!("{METRICS_ANNOTATION_PREFIX}port"), port.to_string()),
    ])
}

/// The backends' namespaces, sorted and each once, as one anchored-by-Alloy RE2 alternation.
fn platform_namespaces_regex(namespaces: &[&str]) -> String {
    let unique: std::collections::BTreeSet<&str> = namespaces.iter().copied().collect();
    unique
        .into_iter()
        .map(regex_escape)
        .collect::<Vec<_>>()
        .join("|")
}

/// Every port a receiver the spec enables listens on, in a fixed order.
fn ports(platform: &Platform) -> Vec<PortPlan> {
    let jaeger = platform.traces.jaeger.then_some(JAEGER_PORTS);
    let zipkin = platform.traces.zipkin.then_some(ZIPKIN_PORTS);
    [Some(OTLP_PORTS), jaeger, zipkin]
        .into_iter()
        .flatten()
        .flatten()
        .map(|&(name, port, protocol)| PortPlan {
            name,
            port,
            protocol,
            endpoint: format!("0.0.0.0:{port}"),
        })
        .collect()
}

fn profile_types() -> Vec<ProfileType> {
    PROFILE_TYPES
        .iter()
        .map(|&(name, block)| ProfileType {
            name,
            block,
            signal: format!("profile_{name}"),
            annotations: annotations(&format!("profiles.grafana.com/{name}.")),
        })
        .collect()
}

fn annotations(prefix: &str) -> Annotations {
    let meta = |suffix: &str| {
        format!(
            "__meta_kubernetes_pod_annotation_{}",
            sanitize_label_name(&format!("{prefix}{suffix}"))
        )
    };
    Annotations {
        pattern: format!("{prefix}*"),
        scrape: meta("scrape"),
        port: meta("port"),
        port_name: meta("port_name"),
        path: meta("path"),
        scheme: meta("scheme"),
    }
}

/// The condition under which the default tenant's trace pipeline drops a span: its tenant
/// attribute (`attribute`, an OTTL path) names another declared tenant. Every other span is the
/// default's: no label (OTTL's `IsMatch` is false on a missing attribute), or a value that is no
/// tenant. With no other tenant, the default keeps everything (`false`). Every other tenant drops
/// what is not its own (`trace_drop_prefix`), so the pipelines are disjoint and cover every span.
fn default_trace_drop(attribute: &str, default: &str, ids: &[&String]) -> String {
    let others: Vec<String> = ids
        .iter()
        .filter(|other| other.as_str() != default)
        .map(|other| regex_escape(other))
        .collect();
    if others.is_empty() {
        return "false".to_owned();
    }
    // IsMatch is not anchored.
    let regex = format!("^(?:{})$", others.join("|"));
    format!("IsMatch({attribute}, {})", ottl_string(&regex))
}

/// An OTTL string literal.
fn ottl_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Kubernetes label or annotation name as Prometheus discovery writes it into a label name:
/// every character outside `[a-zA-Z0-9_]` becomes `_`.
pub fn sanitize_label_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_sanitised_like_prometheus() {
        assert_eq!(
            sanitize_label_name("platform.example.com/tenant"),
            "platform_example_com_tenant"
        );
        assert_eq!(sanitize_label_name("app_x-Y9"), "app_x_Y9");
        assert_eq!(sanitize_label_name("é"), "_");
    }

    #[test]
    fn annotation_meta_labels() {
        let a = annotations("profiles.grafana.com/cpu.");
        assert_eq!(
            a.scrape,
            "__meta_kubernetes_pod_annotation_profiles_grafana_com_cpu_scrape"
        );
        assert_eq!(
            a.port_name,
            "__meta_kubernetes_pod_annotation_profiles_grafana_com_cpu_port_name"
        );
        assert_eq!(
            annotations("prometheus.io/").path,
            "__meta_kubernetes_pod_annotation_prometheus_io_path"
        );
    }

    #[test]
    fn scrape_annotations_are_the_ones_the_metrics_rules_read() {
        let scrape = scrape_annotations(8080);
        assert_eq!(scrape["prometheus.io/scrape"], "true");
        assert_eq!(scrape["prometheus.io/port"], "8080");
        assert_eq!(scrape.len(), 2);
        let meta = annotations(METRICS_ANNOTATION_PREFIX);
        for key in scrape.keys() {
            let label = format!(
                "__meta_kubernetes_pod_annotation_{}",
                sanitize_label_name(key)
            );
            assert!([&meta.scrape, &meta.port].contains(&&label), "{label}");
        }
    }

    #[test]
    fn platform_namespaces_are_listed_once_in_order() {
        assert_eq!(
            platform_namespaces_regex(&["mimir", "loki", "tempo", "loki"]),
            "loki|mimir|tempo"
        );
    }

    #[test]
    fn the_default_drops_the_spans_of_every_other_tenant() {
        let (a, b, p) = ("a".to_owned(), "b-1".to_owned(), "p".to_owned());
        let attribute = r#"attributes["k8s.pod.label.x/t"]"#;
        assert_eq!(
            default_trace_drop(attribute, "p", &[&a, &b, &p]),
            r#"IsMatch(attributes["k8s.pod.label.x/t"], "^(?:a|b-1)$")"#
        );
        assert_eq!(default_trace_drop(attribute, "p", &[&p]), "false");
        assert_eq!(ottl_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    /// The template joins a tenant id into a regex and an OTTL string unescaped: a valid id (a
    /// lower-case DNS label) needs no escaping in either.
    #[test]
    fn tenant_ids_need_no_escaping() {
        for id in ["a", "team-a", "1st", "a-b-c-0123456789"] {
            assert_eq!(regex_escape(id), id);
            assert_eq!(ottl_string(id), format!("\"{id}\""));
        }
    }
}
