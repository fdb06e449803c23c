//! Printing values into Alloy configuration files (`*.alloy.j2` templates).
//!
//! Every `{{ value }}` in such a template goes through [`formatter`], which writes the value as an
//! Alloy literal the way Alloy's own encoder does: strings JSON-encoded (every escape `serde_json`
//! emits, `\" \\ \n \r \t \b \f \uXXXX`, is one the Alloy scanner accepts), numbers as they are,
//! `true`/`false`, `null`, arrays as `[a, b]` and objects as `{ key = value }` with keys bare when
//! they are identifiers and quoted otherwise. A safe string (from a filter that returns one) is
//! written as it is. Anything else (bytes, functions, NaN) is an error, never a guess.
//!
//! The filters: `alloy_label` turns a name into a block label, `alloy_ident` checks that a value
//! is an identifier and prints it bare (for references such as `prometheus.remote_write.X.receiver`),
//! `alloy_raw` prints a string as a raw (backtick) string, and `regex_escape` quotes a string for
//! an RE2 regex (the formatter then doubles the backslashes).

use std::fmt::Write as _;

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Error, ErrorKind, Output, State};

/// The name of the auto-escape mode of `.alloy` templates.
const MODE: &str = crate::format::ALLOY_MODE;

/// The environment's formatter: Alloy literals in `.alloy` templates, minijinja's own escaping
/// (JSON for YAML, fail closed for unknown formats) everywhere else.
pub(super) fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == MODE => {
            let text = if value.is_safe() {
                value.as_str().unwrap_or_default().to_owned()
            } else {
                literal(value)?
            };
            out.write_str(&text).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// A value as an Alloy literal.
pub(super) fn literal(value: &Value) -> Result<String, Error> {
    let mut text = String::new();
    write_literal(&mut text, value)?;
    Ok(text)
}

fn write_literal(text: &mut String, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::None => text.push_str("null"),
        ValueKind::Bool => text.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number if value.is_integer() => {
            let _ = write!(text, "{value}");
        }
        ValueKind::Number => match f64::try_from(value.clone()) {
            // Rust prints finite floats in plain decimal notation, which Alloy reads.
            Ok(float) if float.is_finite() => {
                let _ = write!(text, "{float}");
            }
            _ => return Err(cannot_print(value, "it is not a finite number")),
        },
        ValueKind::String => text.push_str(&quote(value.as_str().unwrap_or_default())?),
        ValueKind::Seq | ValueKind::Iterable => {
            text.push('[');
            for (index, item) in value.try_iter()?.enumerate() {
                if index > 0 {
                    text.push_str(", ");
                }
                write_literal(text, &item)?;
            }
            text.push(']');
        }
        ValueKind::Map => {
            let keys: Vec<Value> = value.try_iter()?.collect();
            if keys.is_empty() {
                text.push_str("{}");
                return Ok(());
            }
            text.push_str("{ ");
            for (index, key) in keys.iter().enumerate() {
                if index > 0 {
                    text.push_str(", ");
                }
                let name = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
                if crate::alloy::is_identifier(&name) {
                    text.push_str(&name);
                } else {
                    text.push_str(&quote(&name)?);
                }
                text.push_str(" = ");
                write_literal(text, &value.get_item(key)?)?;
            }
            text.push_str(" }");
        }
        ValueKind::Undefined => return Err(cannot_print(value, "it is undefined")),
        _ => return Err(cannot_print(value, "Alloy has no literal for it")),
    }
    Ok(())
}

/// A double-quoted Alloy string.
/// A JSON string, which Alloy's scanner reads, with the characters YAML would misread escaped
/// as well (`yaml::safe_json`): the file is also carried inside a ConfigMap.
fn quote(text: &str) -> Result<String, Error> {
    serde_json::to_string(text)
        .map(|json| crate::yaml::safe_json(&json).into_owned())
        .map_err(|error| {
            Error::new(ErrorKind::BadSerialization, "cannot quote a string").with_source(error)
        })
}

fn cannot_print(value: &Value, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("cannot print a {} into an Alloy file: {why}", value.kind()),
    )
}

/// `{{ tenant.id | alloy_label }}`: the block label derived from a name (`team-a` → `team_a`,
/// `1st` → `t_1st`), as a plain string, so the formatter prints it quoted.
pub(super) fn alloy_label(name: &str) -> String {
    crate::alloy::label_for(name)
}

/// `{{ label | alloy_ident }}`: an identifier printed bare, for references and block headers.
/// Anything that is not an identifier is an error, so a reference can never be injected.
pub(super) fn alloy_ident(name: &str) -> Result<Value, Error> {
    if crate::alloy::is_identifier(name) {
        Ok(Value::from_safe_string(name.to_owned()))
    } else {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("{name:?} is not an Alloy identifier; derive one with `alloy_label`"),
        ))
    }
}

/// `{{ text | alloy_raw }}`: a string as a raw (backtick) Alloy string, which keeps quotes and
/// backslashes readable (OTTL conditions, regexes); quoted like any other string when it holds a
/// backtick, which a raw string cannot.
pub(super) fn alloy_raw(text: &str) -> Result<Value, Error> {
    if text.contains('`') {
        Ok(Value::from_safe_string(quote(text)?))
    } else {
        Ok(Value::from_safe_string(format!("`{text}`")))
    }
}

/// `{{ text | regex_escape }}`: `text` as an RE2 regex that matches exactly it. A plain string:
/// printed into an Alloy file, its backslashes are doubled (`a.b` → `a\.b` → `"a\\.b"`).
pub(super) fn regex_escape(text: &str) -> String {
    crate::alloy::regex_escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloy::{Expr, Stmt};

    /// Renders `source` as `t.alloy.j2` with `value` as `v`.
    fn render(source: &str, value: Value) -> Result<String, Error> {
        let mut env = crate::render::environment(None)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
        env.add_template_owned("t.alloy.j2".to_owned(), source.to_owned())?;
        env.get_template("t.alloy.j2")?
            .render(minijinja::context! { v => value })
    }

    /// Prints `value` as the value of an attribute, parses the result with our Alloy parser and
    /// returns the expression.
    fn round_trip(value: Value) -> Expr {
        round_trip_with("x = {{ v }}\n", value)
    }

    fn round_trip_with(source: &str, value: Value) -> Expr {
        let text = render(source, value).unwrap_or_else(|e| panic!("{e}"));
        let file = crate::alloy::parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        match file.body.into_iter().next() {
            Some(Stmt::Attribute { value, .. }) => value,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn strings_survive_the_round_trip() {
        for text in [
            "plain",
            "quote \" and backslash \\",
            "new\nline, tab\t, return\r",
            "control \u{1} \u{1f} \u{7f}",
            "unicode é ✓ \u{2028}",
            "a\\.b (regex)",
            "{{ helm }} ${VAR} // not a comment /* nor this */",
            "`backtick`",
        ] {
            match round_trip(Value::from(text)) {
                Expr::String { value, raw, .. } => {
                    assert_eq!(value, text);
                    assert!(!raw);
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn scalars_lists_and_maps() {
        let cases: [(Value, &str); 9] = [
            (Value::from(42), "42"),
            (Value::from(-7i64), "-7"),
            (Value::from(1.5), "1.5"),
            (Value::from(true), "true"),
            (Value::from(false), "false"),
            (Value::from(()), "null"),
            (Value::from(vec!["a", "b"]), r#"["a", "b"]"#),
            (
                Value::from(minijinja::value::Serde(std::collections::BTreeMap::from([
                    ("X-Scope-OrgID", "team-a"),
                    ("job", "x"),
                ]))),
                r#"{ "X-Scope-OrgID" = "team-a", job = "x" }"#,
            ),
            (
                Value::from(minijinja::value::Serde(std::collections::BTreeMap::<
                    String,
                    u8,
                >::new())),
                "{}",
            ),
        ];
        for (value, expected) in cases {
            let out = render("{{ v }}", value.clone());
            assert_eq!(out.ok().as_deref(), Some(expected), "{value:?}");
            // And each is a valid Alloy expression.
            round_trip(value);
        }
    }

    #[test]
    fn safe_strings_are_written_as_they_are() {
        let out = render(
            "{{ v | safe }}",
            Value::from("prometheus.remote_write.a.receiver"),
        );
        assert_eq!(
            out.ok().as_deref(),
            Some("prometheus.remote_write.a.receiver")
        );
    }

    #[test]
    fn what_alloy_cannot_hold_is_an_error() {
        assert!(render("{{ v }}", Value::from(f64::NAN)).is_err());
        assert!(render("{{ v }}", Value::from(f64::INFINITY)).is_err());
        assert!(render("{{ v }}", Value::from_bytes(vec![0, 1])).is_err());
        assert!(render("{{ nope }}", Value::from(1)).is_err());
    }

    #[test]
    fn labels_and_identifiers() {
        let out = render(
            "a.b {{ v | alloy_label }} {}\nx = a.b.{{ v | alloy_label | alloy_ident }}.c\n",
            Value::from("1st"),
        );
        assert_eq!(
            out.ok().as_deref(),
            Some("a.b \"t_1st\" {}\nx = a.b.t_1st.c\n")
        );
        assert!(render("{{ v | alloy_ident }}", Value::from("team-a")).is_err());
        assert!(render("{{ v | alloy_ident }}", Value::from("a.b")).is_err());
        assert!(render("{{ v | alloy_ident }}", Value::from("null")).is_err());
    }

    #[test]
    fn raw_strings() {
        let ottl = r#"attributes["k"] != "a\b""#;
        let out = render("{{ v | alloy_raw }}", Value::from(ottl));
        assert_eq!(out.ok(), Some(format!("`{ottl}`")));
        for text in [ottl, "a `tick`", "multi\nline"] {
            match round_trip_with("x = {{ v | alloy_raw }}\n", Value::from(text)) {
                Expr::String { value, .. } => assert_eq!(value, text),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn regexes_are_escaped_then_quoted() {
        let out = render("{{ v | regex_escape }}", Value::from("a.b*(c)|d"));
        assert_eq!(out.ok().as_deref(), Some(r#""a\\.b\\*\\(c\\)\\|d""#));
        match round_trip(Value::from("a.b")) {
            Expr::String { value, .. } => assert_eq!(value, "a.b"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn yaml_templates_are_unchanged() {
        let mut env = crate::render::environment(None).unwrap_or_else(|e| panic!("{e}"));
        env.add_template_owned("t.yaml.j2".to_owned(), "s: {{ v }}\n".to_owned())
            .unwrap_or_else(|e| panic!("{e}"));
        let out = env
            .get_template("t.yaml.j2")
            .and_then(|t| t.render(minijinja::context! { v => "a\"b" }));
        assert_eq!(out.ok().as_deref(), Some("s: \"a\\\"b\"\n"));
    }
}
