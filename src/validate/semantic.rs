//! What no schema can express: bounds of durations and counts, references between sections (the
//! default and platform tenants, bucket quotas, capacity overrides), Tempo's modes, Kargo's units,
//! the collector's labels and the URLs.

use crate::compute;
use crate::diagnostic::{Problem, SourceFile, did_you_mean};
use crate::document::{Origins, pointer_child};
use crate::model::{Duration, MAX_EXACT, Platform, TracesMode};

// The bucket list moves to the component catalog (issue 13); until then, this one line reads it
// from `plan`.
use crate::catalog::BUCKET_NAMES;

use super::names::{check_label_key, check_tenant_id, shorten};

const HOUR: u64 = 3_600;
const DAY: u64 = 24 * HOUR;

/// Every semantic problem of one environment's platform, at the origin of the value it is about.
pub(super) fn semantic_problems(
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
    tenant_problems(platform, &mut report);
    duration_problems(platform, &mut report);
    traces_problems(platform, &mut report);
    reference_problems(platform, &mut report);
    capacity_problems(platform, &mut report);
    compute::problems(platform, &mut report);
    kargo_problems(platform, &mut report);
    collector_problems(platform, &mut report);
    url_problems(platform, &mut report);
    tenancy_problems(platform, &mut report);
}

/// Each tenant: its id, its Mimir burst against the rate, and a logs retention of at least a day.
fn tenant_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
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
        let default_burst =
            u128::from(tenant.ingestion_rate) * u128::from(crate::limits::MIMIR_BURST_SECONDS);
        if tenant.ingestion_burst.is_none() && default_burst > u128::from(MAX_EXACT) {
            report(
                &format!("{pointer}/ingestion-rate"),
                format!(
                    "tenant `{id}` has no ingestion burst, and the default ({default_burst}, {}× the rate) is more than Mimir reads exactly ({MAX_EXACT})",
                    crate::limits::MIMIR_BURST_SECONDS
                ),
                "default burst too large",
                format!("lower the rate, or set `ingestion-burst=` (at most {MAX_EXACT})"),
            );
        }
        if let (Some(burst), rate) = (tenant.ingestion_burst, tenant.ingestion_rate)
            && burst < rate
        {
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
    for (id, tenant) in &platform.tenants {
        let logs_retention = tenant.logs.retention.as_ref().unwrap_or(&tenant.retention);
        if logs_retention.in_range() && logs_retention.seconds() < DAY {
            let pointer = pointer_child("/tenant", id);
            let pointer = match tenant.logs.retention {
                Some(_) => format!("{pointer}/logs/retention"),
                None => format!("{pointer}/retention"),
            };
            report(
                &pointer,
                format!("tenant `{id}` keeps logs for `{}`, less than a day", logs_retention.text()),
                "shorter than 24h",
                "Loki applies retention per day of index: make it at least `24h`, or set a longer `logs retention=` for this tenant".to_owned(),
            );
        }
    }
}

/// The block range divides 12h, and every duration is in range.
fn duration_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let block_range = platform.metrics.block_range.millis();
    if platform.metrics.block_range.in_range() && (12 * u128::from(HOUR) * 1_000) % block_range != 0
    {
        report(
            "/metrics/block-range",
            format!("the Mimir block range `{}` does not divide 12h", platform.metrics.block_range.text()),
            "must divide 12h",
            "the compactor merges blocks into 12h and 24h ranges; use `1h`, `2h`, `3h`, `4h`, `6h` or `12h`".to_owned(),
        );
    }
    for (pointer, duration) in durations(platform) {
        duration_problem(&pointer, duration, report);
    }
    if let Some(diagnose) = &platform.diagnose
        && let Some(every) = Duration::parse(&diagnose.every)
    {
        duration_problem("/diagnose/every", &every, report);
    }
}

/// Tempo's mode: microservices need a Kafka, monolithic runs one replica over a fixed window.
fn traces_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
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
        TracesMode::Monolithic if traces.compaction_window.millis() != u128::from(HOUR) * 1_000 => report(
            "/traces/compaction-window",
            "monolithic Tempo compacts over its default one-hour window; its chart cannot change it".to_owned(),
            "only in microservices mode",
            "remove `compaction-window`, or use `mode=\"microservices\"`".to_owned(),
        ),
        _ => {}
    }
}

/// The platform tenant is declared, and every bucket given a quota exists.
fn reference_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    if let Some(tenant) = &platform.tenancy.platform_tenant
        && !platform.tenants.contains_key(tenant)
    {
        let help = did_you_mean(tenant, platform.tenants.keys().map(String::as_str))
            .unwrap_or_else(|| "name a declared tenant".to_owned());
        report(
            "/tenancy/platform-tenant",
            format!("the platform tenant `{tenant}` is not a declared tenant"),
            "unknown tenant",
            help,
        );
    }
    for bucket in platform.storage.quotas.keys() {
        if !BUCKET_NAMES.contains(&bucket.as_str()) {
            let help = did_you_mean(bucket, BUCKET_NAMES.iter().copied())
                .unwrap_or_else(|| format!("the buckets are: {}", BUCKET_NAMES.join(", ")));
            report(
                &pointer_child("/storage/quota", bucket),
                format!("there is no bucket `{bucket}` to give a quota"),
                "unknown bucket",
                help,
            );
        }
    }
}

/// Kargo reads its soak time and interval only in hours, minutes and seconds.
fn kargo_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    for (pointer, duration) in [
        ("/gitops/kargo/soak", &platform.gitops.kargo.soak),
        ("/gitops/kargo/interval", &platform.gitops.kargo.interval),
    ] {
        let kargo_units = duration
            .text()
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'h' | 'm' | 's'))
            && !duration.text().contains("ms");
        if !kargo_units {
            report(
                pointer,
                format!(
                    "Kargo reads `{}` only in hours, minutes and seconds, not `{}`",
                    &pointer[1..].replace('/', "."),
                    duration.text()
                ),
                "use h, m or s",
                "for example `24h` rather than `1d`".to_owned(),
            );
        }
    }
}

/// The tenancy label is a label key, and the default tenant is declared.
fn tenancy_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    if let Err(why) = check_label_key(&platform.tenancy.label) {
        report(
            "/tenancy/label",
            format!(
                "the tenancy label `{}` is not a Kubernetes label key: {why}",
                shorten(&platform.tenancy.label.escape_debug().to_string())
            ),
            "not a label key",
            "a label key is an optional DNS-subdomain prefix and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.`, for example `platform.example.com/tenant`".to_owned(),
        );
    }
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

/// Every duration of the platform, by JSON pointer.
fn durations(platform: &Platform) -> Vec<(String, &Duration)> {
    let mut all = vec![
        (
            "/metrics/block-range".to_owned(),
            &platform.metrics.block_range,
        ),
        ("/logs/flush".to_owned(), &platform.logs.flush),
        (
            "/traces/block-duration".to_owned(),
            &platform.traces.block_duration,
        ),
        (
            "/traces/compaction-window".to_owned(),
            &platform.traces.compaction_window,
        ),
        ("/gitops/kargo/soak".to_owned(), &platform.gitops.kargo.soak),
        (
            "/gitops/kargo/interval".to_owned(),
            &platform.gitops.kargo.interval,
        ),
        (
            "/collector/scrape-interval".to_owned(),
            &platform.collector.scrape_interval,
        ),
    ];
    for (id, tenant) in &platform.tenants {
        let pointer = pointer_child("/tenant", id);
        all.push((format!("{pointer}/retention"), &tenant.retention));
        for (signal, limits) in [
            ("logs", &tenant.logs),
            ("traces", &tenant.traces),
            ("profiles", &tenant.profiles),
        ] {
            if let Some(retention) = &limits.retention {
                all.push((format!("{pointer}/{signal}/retention"), retention));
            }
        }
    }
    all
}

/// A duration of zero, or longer than every backend can hold (`Duration::MAX_MILLIS`).
fn duration_problem(
    pointer: &str,
    duration: &Duration,
    report: &mut impl FnMut(&str, String, &str, String),
) {
    let key = pointer[1..].replace('/', ".");
    if duration.millis() == 0 {
        let help = if pointer.ends_with("/retention") {
            "a zero retention means \"keep forever\" in Mimir but \"delete now\" elsewhere; write the real period, for example `30d`"
        } else {
            "write a real period, for example `5m`"
        };
        report(
            pointer,
            format!(
                "`{key}` must be longer than zero, found `{}`",
                duration.text()
            ),
            "must be longer than zero",
            help.to_owned(),
        );
    } else if !duration.in_range() {
        report(
            pointer,
            format!(
                "`{key}` is `{}`, longer than the backends can hold",
                shorten(duration.text())
            ),
            "at most 2562047h (about 292 years)",
            "Go and Prometheus durations hold at most 2^63 nanoseconds; write a real period, for example `90d` or `5y`".to_owned(),
        );
    }
}

/// The `capacity` section: a raw capacity that fits in bytes, `enforce` only with one, and
/// utilisation only for declared tenants.
fn capacity_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let spec = &platform.capacity;
    match &spec.raw {
        Some(raw) if crate::units::parse_quantity(raw).is_none() => report(
            "/capacity/raw",
            format!("the raw capacity `{raw}` is more than 16 EiB"),
            "too large",
            "write the raw capacity of the cluster's disks, for example `3Ti`".to_owned(),
        ),
        None if spec.enforce => report(
            "/capacity/enforce",
            "`enforce` needs a budget, and `capacity` declares no `raw` capacity".to_owned(),
            "nothing to enforce",
            "add `raw=\"<capacity>\"` (the raw Ceph capacity, for example `3Ti`), or remove `enforce`".to_owned(),
        ),
        _ => {}
    }
    for tenant in spec.tenants.keys() {
        if !platform.tenants.contains_key(tenant) {
            let help = did_you_mean(tenant, platform.tenants.keys().map(String::as_str))
                .unwrap_or_else(|| "name a declared tenant".to_owned());
            report(
                &pointer_child("/capacity/tenant", tenant),
                format!(
                    "the capacity plan sets the utilisation of `{tenant}`, which is not a declared tenant"
                ),
                "unknown tenant",
                help,
            );
        }
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
    if interval.in_range() && interval.millis() < 1_000 {
        report(
            "/collector/scrape-interval",
            format!(
                "the collector's scrape interval `{}` is shorter than a second",
                interval.text()
            ),
            "at least 1s",
            "write a period of whole seconds, for example `30s` or `1m`".to_owned(),
        );
    }
}

/// The URLs of the spec: each parses (RFC 3986), has the scheme its consumer speaks and a host,
/// and no query or fragment where none belongs. Credentials in a URL are `secrets`' to report.
fn url_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let mut urls = vec![
        ("/cluster", platform.cluster.as_str(), &["https"][..]),
        (
            "/gitops/repo",
            platform.gitops.repo.as_str(),
            &["https", "http", "ssh", "git"][..],
        ),
    ];
    if let Some(errors) = &platform.errors {
        urls.push(("/errors/url", errors.url.as_str(), &["https", "http"][..]));
    }
    if let Some(base_url) = platform
        .diagnose
        .as_ref()
        .and_then(|d| d.base_url.as_deref())
    {
        urls.push(("/diagnose/base-url", base_url, &["https", "http"][..]));
    }
    for (pointer, url, schemes) in urls {
        if pointer == "/gitops/repo" && is_scp_like(url) {
            continue;
        }
        if let Err(why) = check_url(url, schemes) {
            let key = pointer[1..].replace('/', ".");
            report(
                pointer,
                format!("`{key}` is not a usable URL: {why}"),
                "not a URL",
                format!(
                    "write a URL with a scheme ({}) and a host, for example `{}://host.example.com`",
                    schemes.join(", "),
                    schemes[0]
                ),
            );
        }
    }
}

/// `git@host:path`, the form git and Argo CD accept for SSH clone URLs.
fn is_scp_like(url: &str) -> bool {
    let Some((user_host, path)) = url.split_once(':') else {
        return false;
    };
    let host = user_host.rsplit('@').next().unwrap_or_default();
    !url.contains("://")
        && user_host.contains('@')
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        && !path.is_empty()
        && !path.chars().any(char::is_whitespace)
}

fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let parsed = fluent_uri::Uri::parse(url).map_err(|error| error.to_string())?;
    let scheme = parsed.scheme().as_str().to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(format!("the scheme is `{scheme}`"));
    }
    match parsed.authority() {
        Some(authority) if !authority.host().is_empty() => {}
        _ => return Err("it has no host".to_owned()),
    }
    if parsed.fragment().is_some() {
        return Err("it has a fragment (`#…`)".to_owned());
    }
    Ok(())
}
