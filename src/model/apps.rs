//! The applications around the backends: Grafana and its alerts, the collector (Alloy), Sentry
//! and k8sgpt.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Duration, Resources};

/// Grafana. The spec never holds a secret: it names existing Secrets in Grafana's namespace.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Grafana {
    /// Namespace Grafana runs in; its Secrets and provisioning ConfigMaps live there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// An existing Secret with the admin login, keys `admin-user` and `admin-password`.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"))]
    pub admin_secret: String,
}

impl Default for Grafana {
    fn default() -> Self {
        Grafana {
            namespace: "grafana".to_owned(),
            admin_secret: "grafana-admin".to_owned(),
        }
    }
}

/// The collector: Grafana Alloy as a DaemonSet, one pod per node, sending every signal of the
/// pods on its node to their tenant.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Collector {
    /// Namespace the collector runs in.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// How often metrics are scraped: pods that opt in, the kubelet, cAdvisor and the collector's
    /// own heartbeat. At least one second.
    pub scrape_interval: Duration,
    /// CPU and memory of each collector pod.
    pub resources: Resources,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            namespace: "alloy".to_owned(),
            scrape_interval: Duration::default_of("30s"),
            resources: Resources::default(),
        }
    }
}

/// Where Grafana sends alert notifications: Slack, through an incoming webhook whose URL is read
/// from an existing Secret in Grafana's namespace, never written in the spec.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Alerts {
    /// The Secret holding the Slack webhook URL.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"))]
    pub slack_secret: String,
    /// The key of the webhook URL in that Secret.
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub slack_key: String,
    /// The channel to post to, in place of the webhook's own. Default: the webhook's.
    #[schemars(length(min = 1))]
    pub channel: Option<String>,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            slack_secret: "alerts-slack".to_owned(),
            slack_key: "url".to_owned(),
            channel: None,
        }
    }
}

/// Sentry, from the `sentry` chart, with its bundled ClickHouse. Every secret comes from an
/// existing Secret, so Argo CD never regenerates one on a sync.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Errors {
    /// Namespace Sentry runs in.
    #[serde(default = "default_sentry_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Sentry's external URL, with the scheme.
    #[schemars(regex(pattern = r"^https?://[^\s]+$"))]
    pub url: String,
    /// The admin user's e-mail address.
    #[schemars(length(min = 3))]
    pub admin_email: String,
    /// Secret with the admin password (key `admin-password`).
    #[schemars(length(min = 1))]
    pub admin_secret: String,
    /// Secret with Sentry's stable `SECRET_KEY` (key `key`).
    #[schemars(length(min = 1))]
    pub secret_key_secret: String,
    /// Secret with the PostgreSQL passwords (keys `postgres-password` and `password`).
    #[schemars(length(min = 1))]
    pub postgres_secret: String,
    /// The Sentry organization (slug) that promotions register releases in.
    #[schemars(length(min = 1))]
    pub org: String,
    /// The Sentry project (slug) the platform's releases belong to.
    #[schemars(length(min = 1))]
    pub project: String,
    /// Secret in the Kargo project namespace with a Sentry API token (key `token`), used to
    /// register each promotion as a release and a deploy.
    #[schemars(length(min = 1))]
    pub token_secret: String,
}

/// k8sgpt, from the `k8sgpt-operator` chart, and its `K8sGPT` resource.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Diagnose {
    /// Namespace of the operator and the K8sGPT resource (its Secrets are read there).
    #[serde(default = "default_k8sgpt_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// How often the cluster is scanned: a number and one unit, `s`, `m` or `h`.
    #[serde(default = "default_diagnose_every")]
    #[schemars(regex(pattern = r"^[0-9]+[smh]$"))]
    pub every: String,
    /// The AI backend (`openai`, `localai`, `azureopenai`, `amazonbedrock`, …).
    #[serde(default = "default_ai_backend")]
    pub backend: AiBackend,
    /// The model the backend runs.
    #[serde(default = "default_ai_model")]
    #[schemars(length(min = 1))]
    pub model: String,
    /// The backend's base URL, for self-hosted backends.
    pub base_url: Option<String>,
    /// Secret with the backend's API key (key `api-key`). Optional for `localai`.
    pub ai_secret: Option<String>,
    /// Secret with the Slack webhook URL the findings are posted to (key `webhook-url`).
    #[schemars(length(min = 1))]
    pub slack_secret: String,
    /// The k8sgpt image tag the operator runs.
    #[serde(default = "default_k8sgpt_version")]
    #[schemars(regex(pattern = r"^v[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: String,
}

/// The AI backends of k8sgpt.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AiBackend {
    Openai,
    Localai,
    Azureopenai,
    Amazonbedrock,
    Amazonsagemaker,
    Cohere,
    Google,
    Googlevertexai,
    Ibmwatsonxai,
    Customrest,
}

fn default_sentry_namespace() -> String {
    "sentry".to_owned()
}
fn default_k8sgpt_namespace() -> String {
    "k8sgpt".to_owned()
}
fn default_diagnose_every() -> String {
    "10m".to_owned()
}
fn default_ai_backend() -> AiBackend {
    AiBackend::Openai
}
fn default_ai_model() -> String {
    "gpt-4o-mini".to_owned()
}
fn default_k8sgpt_version() -> String {
    "v0.4.32".to_owned()
}
