//! Checking one custom resource: against its CRD's schema, and a Kargo resource's step configs
//! and subscriptions against Kargo's own schemas.

use serde_json::{Map, Value};

use super::messages::{error_messages, escape, pointer_order};
use super::{CrdSet, KARGO_GROUP, Schema};
use crate::diagnostic::did_you_mean;

/// Every problem of one resource (apiVersion, kind, document) as (JSON pointer, message), in
/// document order, roughly: a parent's problem before its children's.
pub(super) fn problems(
    crds: &CrdSet,
    schema: &Schema,
    api_version: &str,
    kind: &str,
    document: &Value,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    schema_problems(schema, document, "", false, &mut found);
    if api_version.split('/').next() == Some(KARGO_GROUP) {
        kargo_problems(crds, kind, document, &mut found);
    }
    found.sort_by(|a, b| pointer_order(&a.0, &b.0));
    found
}

/// The Kargo checks the CRD cannot make: step configs and Warehouse subscriptions.
fn kargo_problems(crds: &CrdSet, kind: &str, document: &Value, found: &mut Vec<(String, String)>) {
    let steps_pointer = match kind {
        "Stage" => "/spec/promotionTemplate/spec/steps",
        "PromotionTask" | "ClusterPromotionTask" => "/spec/steps",
        "Warehouse" => {
            subscription_problems(crds, document, found);
            return;
        }
        _ => return,
    };
    if crds.steps.is_empty() {
        return;
    }
    let Some(steps) = document.pointer(steps_pointer).and_then(Value::as_array) else {
        return;
    };
    for (index, step) in steps.iter().enumerate() {
        let here = format!("{steps_pointer}/{index}");
        let Some(step) = step.as_object() else {
            continue;
        };
        match (step.get("uses"), step.contains_key("task")) {
            (Some(_), true) => found.push((
                here,
                "a step has either `uses` or `task`, not both".to_owned(),
            )),
            (None, false) => found.push((here, "a step needs `uses` or `task`".to_owned())),
            (None, true) => {}
            (Some(uses), false) => {
                let Some(uses) = uses.as_str() else {
                    continue;
                };
                let Some(schema) = crds.steps.get(uses) else {
                    let help = did_you_mean(uses, crds.steps())
                        .map(|help| format!("; {help}"))
                        .unwrap_or_default();
                    found.push((
                        format!("{here}/uses"),
                        format!("unknown promotion step `{uses}`{help}"),
                    ));
                    continue;
                };
                let empty = Value::Object(Map::new());
                let config = step.get("config").unwrap_or(&empty);
                schema_problems(schema, config, &format!("{here}/config"), true, found);
            }
        }
    }
}

fn subscription_problems(crds: &CrdSet, document: &Value, found: &mut Vec<(String, String)>) {
    if crds.subscriptions.is_empty() {
        return;
    }
    let Some(subscriptions) = document
        .pointer("/spec/subscriptions")
        .and_then(Value::as_array)
    else {
        return;
    };
    let known = || {
        crds.subscriptions()
            .map(|key| format!("`{key}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (index, subscription) in subscriptions.iter().enumerate() {
        let here = format!("/spec/subscriptions/{index}");
        let Some(map) = subscription.as_object().filter(|map| map.len() == 1) else {
            found.push((
                here,
                format!(
                    "a subscription is an object with exactly one key, one of {}",
                    known()
                ),
            ));
            continue;
        };
        for (key, value) in map {
            let Some(schema) = crds.subscriptions.get(key) else {
                let help = did_you_mean(key, crds.subscriptions()).map_or_else(
                    || format!("; it is one of {}", known()),
                    |help| format!("; {help}"),
                );
                found.push((
                    format!("{here}/{}", escape(key)),
                    format!("unknown subscription `{key}`{help}"),
                ));
                continue;
            };
            schema_problems(
                schema,
                value,
                &format!("{here}/{}", escape(key)),
                false,
                found,
            );
        }
    }
}

/// Validates `instance` and appends (pointer, message) for every error, with `prefix` before
/// each pointer. With `expressions`, a string holding a Kargo expression matches anything.
fn schema_problems(
    schema: &Schema,
    instance: &Value,
    prefix: &str,
    expressions: bool,
    found: &mut Vec<(String, String)>,
) {
    for error in schema.validator.iter_errors(instance) {
        for (pointer, message) in error_messages(schema, instance, &error, expressions) {
            found.push((format!("{prefix}{pointer}"), message));
        }
    }
}
