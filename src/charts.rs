//! The upstream Helm charts lgtmc writes values for: where each is published, and which of them
//! an environment uses. `versions/<env>.yaml` pins a version of each chart in use; Kargo updates
//! that file (and the Argo CD Application that carries the version) on promotion.

use crate::model::{Platform, TracesMode};

/// One upstream chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The chart's name in its repository, and its key in `versions/<env>.yaml`.
    pub name: &'static str,
    /// The Helm repository that publishes it.
    pub repo: &'static str,
}

pub const MIMIR: Chart = Chart {
    name: "mimir-distributed",
    repo: "https://grafana.github.io/helm-charts",
};
pub const LOKI: Chart = Chart {
    name: "loki",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const TEMPO: Chart = Chart {
    name: "tempo",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const TEMPO_DISTRIBUTED: Chart = Chart {
    name: "tempo-distributed",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const PYROSCOPE: Chart = Chart {
    name: "pyroscope",
    repo: "https://grafana.github.io/helm-charts",
};

pub const ALLOY: Chart = Chart {
    name: "alloy",
    repo: "https://grafana.github.io/helm-charts",
};
pub const GRAFANA: Chart = Chart {
    name: "grafana",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const SENTRY: Chart = Chart {
    name: "sentry",
    repo: "https://sentry-kubernetes.github.io/charts",
};
pub const K8SGPT: Chart = Chart {
    name: "k8sgpt-operator",
    repo: "https://charts.k8sgpt.ai/",
};

/// Every chart lgtmc knows, for "did you mean" and for unknown keys.
pub const ALL: &[Chart] = &[
    MIMIR,
    LOKI,
    TEMPO,
    TEMPO_DISTRIBUTED,
    PYROSCOPE,
    SENTRY,
    K8SGPT,
];

/// The Tempo chart of a traces mode.
pub fn tempo(mode: TracesMode) -> Chart {
    match mode {
        TracesMode::Monolithic => TEMPO,
        TracesMode::Microservices => TEMPO_DISTRIBUTED,
    }
}

/// The charts one environment deploys, in a stable order.
pub fn used_by(platform: &Platform) -> Vec<Chart> {
    let mut charts = vec![
        MIMIR,
        LOKI,
        tempo(platform.traces.mode),
        PYROSCOPE,
        GRAFANA,
        ALLOY,
    ];
    if platform.errors.is_some() {
        charts.push(SENTRY);
    }
    if platform.diagnose.is_some() {
        charts.push(K8SGPT);
    }
    charts
}

/// A chart version as Helm publishes it: semantic versioning, no leading `v`.
pub fn is_version(text: &str) -> bool {
    let (core, _) = text.split_once(['-', '+']).unwrap_or((text, ""));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

#[cfg(test)]
mod tests {
    use super::is_version;

    #[test]
    fn versions() {
        for good in ["5.6.0", "18.11.0", "1.0.0-rc.1", "2.2.4+build"] {
            assert!(is_version(good), "{good}");
        }
        for bad in ["5.6", "v5.6.0", "5.6.x", "", "5.6.0 # x", "5..0"] {
            assert!(!is_version(bad), "{bad}");
        }
    }
}
