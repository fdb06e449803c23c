//! The names the spec hands to other systems: tenant ids (file names, Kubernetes names,
//! `X-Scope-OrgID`, Grafana uids) and the tenancy label key.

/// The longest tenant id: `profiles-<id>` must fit a Grafana uid (40 characters).
pub const MAX_TENANT_ID_LEN: usize = 30;

/// A Kubernetes label key: `[prefix/]name`, the prefix a DNS subdomain of at most 253
/// characters, the name at most 63 alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 63 {
        return Err("the name (after any `/`) must be 1 to 63 characters".to_owned());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || !alnum(name.chars().next())
        || !alnum(name.chars().last())
    {
        return Err("the name must be letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".to_owned());
    }
    if let Some(prefix) = prefix {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if prefix.len() > 253 || !prefix.split('.').all(label_ok) {
            return Err("the prefix (before `/`) must be a DNS subdomain: lower-case letters, digits, `-` and `.`".to_owned());
        }
    }
    Ok(())
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
pub(super) fn shorten(text: &str) -> String {
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
