//! The plans of the article's other systems: Sentry (error tracking, with ClickHouse) and k8sgpt
//! (cluster diagnostics posted to Slack).

use serde::Serialize;

use super::{BucketPlan, claim};
use crate::catalog;
use crate::model::{AiBackend, Errors, Platform};

#[derive(Debug, Serialize)]
pub struct SentryPlan {
    pub release: &'static str,
    pub namespace: String,
    pub url: String,
    pub admin_email: String,
    pub admin_secret: String,
    pub secret_key_secret: String,
    pub postgres_secret: String,
    /// Sentry's file store: a bucket with a fixed name, since Sentry reads the name from its
    /// values rather than from the environment.
    pub files_bucket: BucketPlan,
    /// The S3 gateway inside the cluster.
    pub s3_endpoint: String,
    pub region: String,
    pub org: String,
    pub project: String,
    pub token_secret: String,
}

#[derive(Debug, Serialize)]
pub struct K8sgptPlan {
    pub release: &'static str,
    pub namespace: String,
    pub every: String,
    pub backend: AiBackend,
    pub model: String,
    pub base_url: Option<String>,
    pub ai_secret: Option<String>,
    pub slack_secret: String,
    pub version: String,
}

pub(super) fn sentry(platform: &Platform, errors: &Errors, environment: &str) -> SentryPlan {
    let ceph = &platform.storage.ceph;
    SentryPlan {
        release: catalog::SENTRY.release(),
        namespace: errors.namespace.clone(),
        url: errors.url.clone(),
        admin_email: errors.admin_email.clone(),
        admin_secret: errors.admin_secret.clone(),
        secret_key_secret: errors.secret_key_secret.clone(),
        postgres_secret: errors.postgres_secret.clone(),
        files_bucket: claim(
            &catalog::SENTRY_FILES,
            catalog::SENTRY.name,
            &errors.namespace,
            environment,
        ),
        s3_endpoint: format!(
            "http://rook-ceph-rgw-{}.{}.svc:{}",
            ceph.object_store, ceph.namespace, ceph.gateway_port
        ),
        region: ceph.region.clone(),
        org: errors.org.clone(),
        project: errors.project.clone(),
        token_secret: errors.token_secret.clone(),
    }
}

pub(super) fn k8sgpt(platform: &Platform) -> Option<K8sgptPlan> {
    let diagnose = platform.diagnose.as_ref()?;
    Some(K8sgptPlan {
        release: catalog::K8SGPT.release(),
        namespace: diagnose.namespace.clone(),
        every: diagnose.every.clone(),
        backend: diagnose.backend,
        model: diagnose.model.clone(),
        base_url: diagnose.base_url.clone(),
        ai_secret: diagnose.ai_secret.clone(),
        slack_secret: diagnose.slack_secret.clone(),
        version: diagnose.version.clone(),
    })
}
