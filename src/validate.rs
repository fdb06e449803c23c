//! Stage 3, validate: check the merged documents against the schema, then check what no schema
//! can express, and produce one typed `Platform` per environment.
//!
//! Every problem in every file and every environment is collected before returning, so one run
//! shows them all. A problem in `platform.kdl` is found once per environment and reported once.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diagnostic::{Problem, SourceFile, did_you_mean, tidy};
use crate::document::{self, Document, Origins, pointer_child};
use crate::load::{ENVIRONMENTS_DIR, LoadedSpec};
use crate::model::{DURATION_PATTERN, Platform, TracesMode};
use crate::schema;

const HOUR: u64 = 3_600;
const DAY: u64 = 24 * HOUR;

/// The longest tenant id: `profiles-<id>` must fit a Grafana uid (40 characters).
pub const MAX_TENANT_ID_LEN: usize = 30;

/// A spec that passed every check: one typed platform per environment, in promotion order.
#[derive(Debug)]
pub struct ValidSpec {
    pub files: Vec<SourceFile>,
    pub environments: Vec<EnvironmentSpec>,
}

#[derive(Debug)]
pub struct EnvironmentSpec {
    pub name: String,
    pub platform: Platform,
    /// The files this environment was compiled from, for the "generated from" header.
    pub sources: Vec<String>,
}

/// Validates the loaded spec, or returns every problem found in it.
pub fn validate(loaded: &LoadedSpec) -> Result<ValidSpec, Vec<Problem>> {
    let schema = schema::generate();
    let mut problems = Vec::new();
    let base = document::from_platform(
        &loaded.platform,
        &loaded.files[0],
        0,
        &schema,
        &mut problems,
    );
    let overlays: Vec<OverlayDocument> = loaded
        .overlays
        .iter()
        .filter_map(|overlay| {
            let file = &loaded.files[overlay.file];
            let document = document::from_overlay(
                &overlay.document,
                file,
                overlay.file,
                &overlay.stem,
                &schema,
                &mut problems,
            )?;
            Some(OverlayDocument {
                file: overlay.file,
                stem: overlay.stem.clone(),
                document,
            })
        })
        .collect();
    // Without its root node, the platform file says nothing the later checks could use; they
    // would only repeat that it is missing.
    let Some(base) = base else {
        return Err(tidy(problems));
    };

    let validator = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator,
        Err(error) => {
            // The schema is generated from our own types; failing to compile it is a bug, but
            // it is still reported rather than panicking.
            problems.push(Problem::new(
                &loaded.files[0],
                (0..0).into(),
                format!("internal error: the spec schema does not compile: {error}"),
                "here",
            ));
            return Err(tidy(problems));
        }
    };

    let declared = declared_environments(&base, &loaded.files, &overlays, &mut problems);
    let mut environments = Vec::new();
    if declared.is_empty() {
        // Still check the platform on its own, so its problems are not hidden.
        schema_problems(&validator, &base, &loaded.files, &mut problems);
    }
    for (name, overlay) in declared {
        let merged = match overlay {
            Some(overlay) => document::merge(&base, &overlay.document),
            None => base.clone(),
        };
        let before = problems.len();
        schema_problems(&validator, &merged, &loaded.files, &mut problems);
        // A misspelt key hides a required one: the typed model cannot be built until it is fixed.
        if problems.len() > before || !merged.misspelt.is_empty() {
            continue;
        }
        match serde_json::from_value::<Platform>(merged.value.clone()) {
            Ok(platform) => {
                semantic_problems(&platform, &merged.origins, &loaded.files, &mut problems);
                let mut sources = vec![loaded.files[0].name.clone()];
                if let Some(overlay) = overlay {
                    sources.push(loaded.files[overlay.file].name.clone());
                }
                environments.push(EnvironmentSpec {
                    name,
                    platform,
                    sources,
                });
            }
            Err(error) => {
                let origin = merged.origins.find("");
                problems.push(Problem::new(
                    &loaded.files[origin.file],
                    origin.span,
                    format!("the spec does not fit the model: {error}"),
                    "here",
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(ValidSpec {
            files: loaded.files.clone(),
            environments,
        })
    } else {
        Err(tidy(problems))
    }
}

/// An overlay file converted to a document.
struct OverlayDocument {
    file: usize,
    stem: String,
    document: Document,
}

/// The environments in the order `platform.kdl` declares them, each with its overlay; reports
/// declared environments without an overlay file and overlay files nobody declared.
fn declared_environments<'o>(
    base: &Document,
    files: &[SourceFile],
    overlays: &'o [OverlayDocument],
    problems: &mut Vec<Problem>,
) -> Vec<(String, Option<&'o OverlayDocument>)> {
    let names: Vec<(usize, String)> = base
        .value
        .get("environments")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (i, s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut declared = Vec::new();
    for (index, name) in &names {
        let overlay = overlays.iter().find(|overlay| overlay.stem == *name);
        if overlay.is_none() {
            let origin = base.origins.find(&format!("/environments/{index}"));
            let known: Vec<&str> = overlays
                .iter()
                .map(|overlay| overlay.stem.as_str())
                .collect();
            let help = did_you_mean(name, known.iter().copied())
                .map(|hint| format!("{hint} or create `{ENVIRONMENTS_DIR}/{name}.kdl` with `environment \"{name}\" {{ }}`"))
                .unwrap_or_else(|| format!("create `{ENVIRONMENTS_DIR}/{name}.kdl` with `environment \"{name}\" {{ }}`"));
            problems.push(
                Problem::new(
                    &files[origin.file],
                    origin.span,
                    format!(
                        "environment `{name}` has no overlay file `{ENVIRONMENTS_DIR}/{name}.kdl`"
                    ),
                    "declared here",
                )
                .with_help(help),
            );
            continue;
        }
        if declared.iter().any(|(seen, _)| seen == name) {
            let origin = base.origins.find(&format!("/environments/{index}"));
            problems.push(
                Problem::new(
                    &files[origin.file],
                    origin.span,
                    format!("environment `{name}` is listed twice"),
                    "listed again here",
                )
                .with_help("list each environment once"),
            );
            continue;
        }
        declared.push((name.clone(), overlay));
    }
    for OverlayDocument {
        file,
        stem,
        document,
    } in overlays
    {
        if !names.iter().any(|(_, name)| name == stem) {
            let origin = document.origins.find("");
            let help = if base.value.get("environments").is_some() {
                format!("add \"{stem}\" to `environments` in platform.kdl, or delete the file")
            } else {
                format!("declare it in platform.kdl: `environments \"{stem}\"`")
            };
            problems.push(
                Problem::new(
                    &files[*file],
                    origin.span,
                    format!("`{}` is not a declared environment", files[*file].name),
                    "not in `environments`",
                )
                .with_help(help),
            );
        }
    }
    declared
}

fn schema_problems(
    validator: &jsonschema::Validator,
    document: &Document,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for error in validator.iter_errors(&document.value) {
        let pointer = error.instance_path().as_str().to_owned();
        let instance = document.value.pointer(&pointer).unwrap_or(&Value::Null);
        let what = describe_location(&pointer);
        let (message, label, help) = match error.kind() {
            ValidationErrorKind::Required { .. } if document.misspelt.contains(&pointer) => continue,
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                (
                    format!("{what} is missing `{property}`"),
                    format!("`{property}` is required"),
                    Some(format!("add `{property}`; SPEC.md describes every key")),
                )
            }
            ValidationErrorKind::Type { kind } => (
                format!("{what} must be {}, found {}", type_name(kind), describe_value(instance)),
                format!("expected {}", type_name(kind)),
                Some(type_hint(kind, last_segment(&pointer))),
            ),
            ValidationErrorKind::Minimum { limit } => (
                format!("{what} must be at least {limit}, found {instance}"),
                format!("at least {limit}"),
                None,
            ),
            ValidationErrorKind::Maximum { limit } => (
                format!("{what} must be at most {limit}, found {instance}"),
                format!("at most {limit}"),
                None,
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == DURATION_PATTERN => (
                format!("{what} must be a duration, found {}", describe_value(instance)),
                "not a duration".to_owned(),
                Some("write a number and a unit, for example `90d`, `12h`, `30m` or `1h30m` (units: y w d h m s ms)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } => (
                format!("{what} must match `{pattern}`, found {}", describe_value(instance)),
                "does not match".to_owned(),
                Some("use lower-case letters, digits and `-`, starting and ending with a letter or digit".to_owned()),
            ),
            ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MinProperties { .. } => (
                format!("{what} needs at least one entry"),
                "empty".to_owned(),
                None,
            ),
            ValidationErrorKind::MinLength { .. } => (format!("{what} must not be empty"), "empty".to_owned(), None),
            _ => (format!("{what}: {error}"), "here".to_owned(), None),
        };
        let origin = document.origins.find(&pointer);
        let problem = Problem::new(&files[origin.file], origin.span, message, label);
        problems.push(match help {
            Some(help) => problem.with_help(help),
            None => problem,
        });
    }
}

fn semantic_problems(
    platform: &Platform,
    origins: &Origins,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    let mut report = |pointer: &str, message: String, label: &str, help: String| {
        let origin = origins.find(pointer);
        problems
            .push(Problem::new(&files[origin.file], origin.span, message, label).with_help(help));
    };
    for (id, tenant) in &platform.tenants {
        let pointer = pointer_child("/tenant", id);
        if let Err((why, help)) = check_tenant_id(id) {
            report(
                &pointer,
                format!(
                    "tenant id `{}` {why}",
                    shorten(&id.escape_debug().to_string())
                ),
                "invalid tenant id",
                help,
            );
        }
        if tenant.retention.seconds() == Some(0) {
            report(&format!("{pointer}/retention"), format!("tenant `{id}` has a retention of zero"), "must be longer than zero", "a zero retention means \"keep forever\" in Mimir but \"delete now\" elsewhere; write the real period, for example `30d`".to_owned());
        }
        if let (Some(burst), rate) = (tenant.ingestion_burst, tenant.ingestion_rate) {
            if burst < rate {
                report(
                    &format!("{pointer}/ingestion-burst"),
                    format!(
                        "tenant `{id}` has an ingestion burst ({burst}) below its ingestion rate ({rate})"
                    ),
                    "below the rate",
                    "the burst is the most a tenant may send at once; make it at least the rate"
                        .to_owned(),
                );
            }
        }
    }
    for (id, tenant) in &platform.tenants {
        let logs_retention = tenant.logs.retention.as_ref().unwrap_or(&tenant.retention);
        if logs_retention.seconds().is_some_and(|s| s > 0 && s < DAY) {
            let pointer = pointer_child("/tenant", id);
            let pointer = match tenant.logs.retention {
                Some(_) => format!("{pointer}/logs/retention"),
                None => format!("{pointer}/retention"),
            };
            report(
                &pointer,
                format!("tenant `{id}` keeps logs for `{}`, less than a day", logs_retention.0),
                "shorter than 24h",
                "Loki applies retention per day of index: make it at least `24h`, or set a longer `logs retention=` for this tenant".to_owned(),
            );
        }
    }
    let block_range = platform.metrics.block_range.seconds().unwrap_or(0);
    if block_range == 0 || 12 * HOUR % block_range != 0 {
        report(
            "/metrics/block-range",
            format!("the Mimir block range `{}` does not divide 12h", platform.metrics.block_range.0),
            "must divide 12h",
            "the compactor merges blocks into 12h and 24h ranges; use `1h`, `2h`, `3h`, `4h`, `6h` or `12h`".to_owned(),
        );
    }
    for (pointer, duration) in [
        ("/logs/flush", &platform.logs.flush),
        ("/traces/block-duration", &platform.traces.block_duration),
        (
            "/traces/compaction-window",
            &platform.traces.compaction_window,
        ),
    ] {
        if duration.seconds() == Some(0) {
            report(
                pointer,
                format!(
                    "`{}` must be longer than zero",
                    &pointer[1..].replace('/', ".")
                ),
                "zero",
                "write a real period, for example `5m`".to_owned(),
            );
        }
    }
    let traces = &platform.traces;
    match traces.mode {
        TracesMode::Microservices if traces.kafka.is_none() => report(
            "/traces/mode",
            "Tempo in microservices mode needs a Kafka: `kafka` is not set".to_owned(),
            "needs `kafka`",
            "add `kafka=\"<host>:<port>\"` to `traces`, or use `mode=\"monolithic\"` (no Kafka, one replica)".to_owned(),
        ),
        TracesMode::Monolithic if traces.replicas != 1 => report(
            "/traces/replicas",
            format!("monolithic Tempo runs one replica, not {}", traces.replicas),
            "monolithic runs one",
            "remove `replicas`, or use `mode=\"microservices\"` with a `kafka` to run several".to_owned(),
        ),
        TracesMode::Monolithic if traces.compaction_window.seconds() != Some(HOUR) => report(
            "/traces/compaction-window",
            "monolithic Tempo compacts over its default one-hour window; its chart cannot change it".to_owned(),
            "only in microservices mode",
            "remove `compaction-window`, or use `mode=\"microservices\"`".to_owned(),
        ),
        _ => {}
    }
    if let Some(tenant) = &platform.tenancy.platform_tenant {
        if !platform.tenants.contains_key(tenant) {
            let help = did_you_mean(tenant, platform.tenants.keys().map(String::as_str))
                .unwrap_or_else(|| "name a declared tenant".to_owned());
            report(
                "/tenancy/platform-tenant",
                format!("the platform tenant `{tenant}` is not a declared tenant"),
                "unknown tenant",
                help,
            );
        }
    }
    collector_problems(platform, &mut report);
    let default = &platform.tenancy.default;
    if !platform.tenants.contains_key(default) {
        let help = did_you_mean(default, platform.tenants.keys().map(String::as_str))
            .unwrap_or_else(|| {
                format!(
                    "declared tenants: {}",
                    platform
                        .tenants
                        .keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        report(
            "/tenancy/default",
            format!("the default tenant `{default}` is not a declared tenant"),
            "unknown tenant",
            help,
        );
    }
}

/// The collector names each tenant's Alloy components after the tenant (`crate::alloy::label_for`),
/// so two tenants must not map to one label; and its scrape interval is a whole number of seconds.
fn collector_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let mut labels: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for id in platform.tenants.keys() {
        let label = crate::alloy::label_for(id);
        if let Some(first) = labels.get(label.as_str()) {
            report(
                &pointer_child("/tenant", id),
                format!("tenants `{first}` and `{id}` would both be `{label}` in the collector's configuration"),
                "same Alloy label",
                "Alloy labels replace `-` with `_` and put `t_` before a leading digit; rename one of the two tenants".to_owned(),
            );
        } else {
            labels.insert(label, id);
        }
    }
    let interval = &platform.collector.scrape_interval;
    if interval.seconds().is_some_and(|s| s < 1) {
        report(
            "/collector/scrape-interval",
            format!(
                "the collector's scrape interval `{}` is shorter than a second",
                interval.0
            ),
            "at least 1s",
            "write a period of whole seconds, for example `30s` or `1m`".to_owned(),
        );
    }
}

/// A tenant id must work as a file name, a Kubernetes name (RFC 1123 label), an `X-Scope-OrgID`
/// header value and part of a Grafana uid. Returns why not, and what to do.
pub fn check_tenant_id(id: &str) -> Result<(), (String, String)> {
    let fix = "use lower-case letters, digits and `-` (a DNS label), for example `team-a`";
    if id.is_empty() {
        return Err(("is empty".into(), fix.into()));
    }
    if id.len() > MAX_TENANT_ID_LEN {
        return Err((
            format!(
                "is {} characters long; the limit is {MAX_TENANT_ID_LEN}",
                id.chars().count()
            ),
            format!(
                "lgtmc derives Grafana uids such as `profiles-<tenant>` from it, and a Grafana uid is at most 40 characters; shorten it to {MAX_TENANT_ID_LEN} characters or fewer"
            ),
        ));
    }
    if id == "." || id == ".." || id.contains('/') || id.contains('\\') {
        return Err((
            "would escape its directory: tenant ids become file and directory names under out/"
                .into(),
            fix.into(),
        ));
    }
    if let Some(bad) = id.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            format!(
                "contains {}: not allowed in an HTTP header value (`X-Scope-OrgID`) or a Kubernetes name",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if let Some(bad) = id.chars().find(|c| {
        matches!(
            c,
            '"' | '\'' | '`' | '|' | ':' | '*' | '(' | ')' | '{' | '}' | '$'
        )
    }) {
        return Err((
            format!(
                "contains {}: it breaks quoting in YAML and Alloy or has a meaning to Mimir and Loki (`|` joins tenants, `:` cuts the id), and a Kubernetes name cannot hold it",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if id.chars().any(|c| c.is_ascii_uppercase()) {
        return Err((
            "contains upper-case letters: a Kubernetes name (RFC 1123) is lower case".into(),
            format!("write `{}`", id.to_ascii_lowercase()),
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err((
            format!(
                "contains {}: a Kubernetes name (RFC 1123 label) allows only `a-z`, `0-9` and `-`",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if id.starts_with('-') || id.ends_with('-') {
        return Err((
            "starts or ends with `-`: a Kubernetes name (RFC 1123 label) must start and end with a letter or digit".into(),
            fix.into(),
        ));
    }
    Ok(())
}

/// Long values are cut in messages; the snippet below the message shows them whole.
fn shorten(text: &str) -> String {
    const KEEP: usize = 24;
    if text.chars().count() <= KEEP {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(KEEP).collect::<String>())
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        c if c.is_control() => format!("the control character {:?}", c),
        c => format!("`{c}`"),
    }
}

/// "tenant `agents`", "`storage.ceph.replicas`", "the platform".
fn describe_location(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    match segments.as_slice() {
        [] => "the platform".to_owned(),
        [map, key] if map == "tenant" => format!("tenant `{key}`"),
        [map, key, rest @ ..] if map == "tenant" => {
            format!("`{}` of tenant `{key}`", rest.join("."))
        }
        _ => format!("`{}`", segments.join(".")),
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    let names = match kind {
        jsonschema::error::TypeKind::Single(kind) => vec![kind.to_string()],
        jsonschema::error::TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(|k| k.to_string())
            .filter(|k| k != "null")
            .collect(),
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|name| match name.as_str() {
            "integer" => "a whole number".to_owned(),
            "number" => "a number".to_owned(),
            "string" => "a string".to_owned(),
            "boolean" => "`#true` or `#false`".to_owned(),
            "array" => "a list".to_owned(),
            "object" => "a node with properties".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    names.join(" or ")
}

fn type_hint(kind: &jsonschema::error::TypeKind, key: &str) -> String {
    let name = type_name(kind);
    if name.contains("whole number") {
        format!("write the number without quotes, for example `{key}=3`")
    } else if name.contains("string") {
        format!("write the value in double quotes, for example `{key}=\"…\"`")
    } else {
        format!("expected {name}")
    }
}

fn last_segment(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or_default()
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("the string \"{}\"", text.escape_debug()),
        Value::Bool(flag) => format!("#{flag}"),
        Value::Null => "#null".to_owned(),
        Value::Number(number) => format!("the number {number}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a node".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::check_tenant_id;

    #[test]
    fn tenant_ids() {
        for good in ["platform", "agents", "dev", "team-a", "1st", "a"] {
            assert_eq!(check_tenant_id(good), Ok(()), "{good}");
        }
        for bad in [
            "", "a/b", "..", ".", "a b", "a\"b", "Team", "-a", "a-", "a.b", "a_b", "a|b", "a:b",
        ] {
            assert!(check_tenant_id(bad).is_err(), "{bad}");
        }
        assert!(check_tenant_id(&"a".repeat(31)).is_err());
        assert!(check_tenant_id(&"a".repeat(30)).is_ok());
    }
}
