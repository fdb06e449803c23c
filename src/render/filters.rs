//! The template filters and functions that are not about Alloy (those are in `alloy_format`):
//! `toyaml`, `kargo_scalar`, `env_var`, and the numbers of the plans as the reports write them.

use super::alloy_format;

/// Registers every filter and function the templates may use.
pub(super) fn add(env: &mut minijinja::Environment<'static>) {
    env.add_filter("toyaml", toyaml);
    env.add_filter("alloy_label", alloy_format::alloy_label);
    env.add_filter("alloy_ident", alloy_format::alloy_ident);
    env.add_filter("alloy_raw", alloy_format::alloy_raw);
    env.add_filter("regex_escape", alloy_format::regex_escape);
    env.add_function("env_var", env_var);
    env.add_filter("kargo_scalar", kargo_scalar);
    // Numbers of the plans as the reports write them: `9.495` CPUs, `38.87 GiB`.
    env.add_filter("cpu", crate::compute::cpu_text);
    env.add_filter("bytes", crate::units::format_bytes);
}

/// `{{ env_var(bucket, "BUCKET_NAME") }}` is `${<prefix>BUCKET_NAME}`: a variable from a bucket
/// claim's Secret or ConfigMap, which the product expands at start-up (`-config.expand-env`). A
/// plain string, so it is escaped where it is printed like any other value.
fn env_var(bucket: minijinja::Value, name: &str) -> Result<String, minijinja::Error> {
    let prefix = bucket.get_attr("env_prefix")?;
    let prefix = prefix.as_str().ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "env_var needs a bucket with an `env_prefix`",
        )
    })?;
    Ok(format!("${{{prefix}{name}}}"))
}

/// `{{ version | kargo_scalar }}`: a scalar written exactly as Kargo's `yaml-update` step writes
/// a string (quoted only when YAML would read it as a number, a boolean or JSON), so that a
/// promotion's edit and lgtmc's rendering of the same version are the same bytes. Anything that
/// is not a plain word is JSON-quoted, which keeps the YAML safe.
pub(super) fn kargo_scalar(value: &str) -> minijinja::Value {
    let looks_typed = value.parse::<f64>().is_ok()
        || matches!(
            value,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        )
        || serde_json::from_str::<serde_json::Value>(value).is_ok();
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
        && !value.starts_with(['-', '.']);
    if looks_typed || !plain {
        minijinja::Value::from_safe_string(
            crate::yaml::safe_json(&serde_json::Value::from(value).to_string()).into_owned(),
        )
    } else {
        minijinja::Value::from_safe_string(value.to_owned())
    }
}

/// `{{ value | toyaml }}`: a value as a YAML flow-free block, marked safe so the JSON auto-escape
/// leaves it alone. Serialised by serde, so strings are always quoted where YAML needs it.
fn toyaml(value: minijinja::Value) -> Result<minijinja::Value, minijinja::Error> {
    let text = crate::yaml::to_string(&value).map_err(|error| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("cannot write YAML: {error}"),
        )
    })?;
    Ok(minijinja::Value::from_safe_string(
        text.trim_end().to_owned(),
    ))
}
