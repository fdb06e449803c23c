//! Secrets only by reference: finds what looks like a credential in any string of the spec (a
//! known token shape, credentials inside a URL, a webhook URL), so that `validate` reports it at
//! its line and names the Secret reference to use instead. Pure.
//!
//! The patterns are shapes a provider documents for its tokens, chosen so that an ordinary name,
//! a channel such as `#alerts` or a URL without credentials never matches.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// One kind of secret: what it is and the pattern that finds it.
struct Shape {
    what: &'static str,
    pattern: &'static str,
}

/// In order: the first that matches names the finding.
const SHAPES: &[Shape] = &[
    Shape {
        what: "credentials in a URL",
        pattern: r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]*:[^/\s@]*@",
    },
    Shape {
        what: "an AWS access key id",
        pattern: r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",
    },
    Shape {
        what: "a GitHub token",
        pattern: r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
    },
    Shape {
        what: "an API key (`sk-…`)",
        pattern: r"\bsk-[A-Za-z0-9_-]{16,}",
    },
    Shape {
        what: "a Slack token",
        pattern: r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    },
    Shape {
        what: "a Slack webhook URL",
        pattern: r"hooks\.slack\.com/(services|workflows|triggers)/",
    },
    Shape {
        what: "a private key",
        pattern: r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    },
];

static PATTERNS: LazyLock<Vec<(&'static str, Option<Regex>)>> = LazyLock::new(|| {
    SHAPES
        .iter()
        .map(|shape| (shape.what, Regex::new(shape.pattern).ok()))
        .collect()
});

/// A secret written into the spec: where (JSON pointer), what it looks like, and what to do.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding {
    pub pointer: String,
    pub what: &'static str,
    pub help: String,
}

/// Every string (and map key) of `value` that holds a secret, with its JSON pointer.
pub fn find(value: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    walk(value, "", &mut findings);
    findings
}

fn walk(value: &Value, pointer: &str, findings: &mut Vec<Finding>) {
    match value {
        Value::String(text) => {
            if let Some(what) = secret_in(pointer, text) {
                findings.push(Finding {
                    pointer: pointer.to_owned(),
                    what,
                    help: instead(pointer),
                });
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{index}"), findings);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let child = crate::document::pointer_child(pointer, key);
                if let Some(what) = secret_in(&child, key) {
                    findings.push(Finding {
                        pointer: child.clone(),
                        what,
                        help: instead(&child),
                    });
                }
                walk(item, &child, findings);
            }
        }
        _ => {}
    }
}

/// What secret `text` holds, if any. A Slack channel is a name, so any URL there is a webhook.
fn secret_in(pointer: &str, text: &str) -> Option<&'static str> {
    if pointer == "/alerts/channel" && text.contains("://") {
        return Some("a webhook URL");
    }
    PATTERNS
        .iter()
        .find(|(_, regex)| regex.as_ref().is_some_and(|r| r.is_match(text)))
        .map(|(what, _)| *what)
}

/// The Secret reference that replaces a secret at `pointer`.
fn instead(pointer: &str) -> String {
    let section = pointer.split('/').nth(1).unwrap_or_default();
    let reference = match section {
        "alerts" => {
            "put the webhook URL in a Kubernetes Secret and name it: `alerts slack-secret=\"<secret>\" slack-key=\"<key>\"`"
        }
        "diagnose" => {
            "put it in a Kubernetes Secret and name it: `ai-secret` (key `api-key`) for the AI backend, `slack-secret` (key `webhook-url`) for Slack"
        }
        "errors" => {
            "put it in a Kubernetes Secret and name it: `token-secret` (key `token`) for the Sentry API, `admin-secret` for the admin password"
        }
        "gitops" => {
            "write the URL without credentials; Argo CD reads them from a repository Secret (label `argocd.argoproj.io/secret-type: repository`)"
        }
        "grafana" => {
            "put it in a Kubernetes Secret and name it: `grafana admin-secret=\"<secret>\"`"
        }
        _ => "put it in a Kubernetes Secret; the spec and out/ hold only references to Secrets",
    };
    format!("lgtmc writes the spec into out/, which is committed: {reference}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(value: Value) -> Vec<(String, &'static str)> {
        find(&value)
            .into_iter()
            .map(|f| (f.pointer, f.what))
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert!(PATTERNS.iter().all(|(_, regex)| regex.is_some()));
    }

    #[test]
    fn token_shapes_and_credentials_are_found_anywhere() {
        let found = whats(serde_json::json!({
            "gitops": { "repo": "https://oauth2:ghp_abcdefghijklmnopqrstuvwxyz0123@git.example.com/x.git" },
            "tenant": { "AKIAABCDEFGHIJKLMNOP": { "note": "sk-proj-abcdefghijklmnop" } },
            "alerts": { "channel": "https://example.com/hook" },
            "errors": { "url": "https://user:pw@sentry.example.com" },
            "diagnose": { "base-url": "https://hooks.slack.com/services/T0/B0/x" },
        }));
        assert_eq!(
            found,
            [
                ("/alerts/channel".to_owned(), "a webhook URL"),
                ("/diagnose/base-url".to_owned(), "a Slack webhook URL"),
                ("/errors/url".to_owned(), "credentials in a URL"),
                ("/gitops/repo".to_owned(), "credentials in a URL"),
                (
                    "/tenant/AKIAABCDEFGHIJKLMNOP".to_owned(),
                    "an AWS access key id"
                ),
                (
                    "/tenant/AKIAABCDEFGHIJKLMNOP/note".to_owned(),
                    "an API key (`sk-…`)"
                ),
            ]
        );
    }

    #[test]
    fn ordinary_values_are_not_secrets() {
        let found = whats(serde_json::json!({
            "alerts": { "channel": "#alerts", "slack-secret": "alerts-slack" },
            "errors": { "url": "https://sentry.example.com", "admin-email": "admin@example.com" },
            "gitops": { "repo": "ssh://git@git.example.com/platform/gitops.git" },
            "cluster": "https://kubernetes.default.svc:443",
            "tenant": { "sk-team": {}, "ghp": {} },
        }));
        assert_eq!(found, []);
    }
}
