//! The text of a dashboard: JSON laid out for a pull request's diff. An array or object whose
//! one-line form fits on its line (indentation, key and a following comma included, at most
//! `WIDTH` columns) is written on that line (`"gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}`);
//! a larger one has one member per line, indented by two spaces. Keys come in the order
//! `serde_json` keeps them (sorted), so the text is a function of the value alone.
//!
//! Pretty-printing put every `gridPos`, `datasource` and small target on four to six lines and
//! made each tenant's overview twice its size; this keeps it readable at about half the bytes
//! (issue 14). Strings and numbers are written by `serde_json`, so their escaping is exactly
//! `serde_json`'s; only the spacing is ours.

use serde_json::{Map, Value};

/// The widest line a container is put on, in characters.
pub(super) const WIDTH: usize = 100;

/// `value` as JSON text laid out as the module says, with a final newline.
pub(super) fn to_string(value: &Value) -> String {
    let mut out = Vec::with_capacity(4096);
    // Writing to a `Vec` cannot fail, and a `Value` always serialises (its keys are strings).
    if write_value(&mut out, value, 0, 0, 0).is_err() {
        return String::new();
    }
    out.push(b'\n');
    // serde_json writes UTF-8, and so does everything else written here.
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `value`, which starts at `column` of a line indented by `indent` and is followed by
/// `tail` more characters on its line (a comma, or nothing).
fn write_value(
    out: &mut Vec<u8>,
    value: &Value,
    indent: usize,
    column: usize,
    tail: usize,
) -> serde_json::Result<()> {
    let room = WIDTH.checked_sub(column + tail);
    let fits = room.is_some_and(|room| width(value, room).is_some());
    match value {
        Value::Array(items) if !items.is_empty() && !fits => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                newline(out, indent + 2);
                let last = index + 1 == items.len();
                write_value(out, item, indent + 2, indent + 2, usize::from(!last))?;
                if !last {
                    out.push(b',');
                }
            }
            newline(out, indent);
            out.push(b']');
        }
        Value::Object(members) if !members.is_empty() && !fits => {
            out.push(b'{');
            for (index, (key, item)) in members.iter().enumerate() {
                newline(out, indent + 2);
                serde_json::to_writer(&mut *out, key)?;
                out.extend_from_slice(b": ");
                let last = index + 1 == members.len();
                let column = indent + 2 + string_width(key) + 2;
                write_value(out, item, indent + 2, column, usize::from(!last))?;
                if !last {
                    out.push(b',');
                }
            }
            newline(out, indent);
            out.push(b'}');
        }
        _ => write_inline(out, value)?,
    }
    Ok(())
}

fn newline(out: &mut Vec<u8>, indent: usize) {
    out.push(b'\n');
    out.resize(out.len() + indent, b' ');
}

/// `value` on one line: `[1, 2]`, `{"a": 1, "b": "c"}`.
fn write_inline(out: &mut Vec<u8>, value: &Value) -> serde_json::Result<()> {
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.extend_from_slice(b", ");
                }
                write_inline(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            for (index, (key, item)) in members.iter().enumerate() {
                if index > 0 {
                    out.extend_from_slice(b", ");
                }
                serde_json::to_writer(&mut *out, key)?;
                out.extend_from_slice(b": ");
                write_inline(out, item)?;
            }
            out.push(b'}');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

/// The width of `value` on one line, in characters, or `None` once it is more than `room`: the
/// measure stops there, so a large container costs no more than its first `room` characters.
fn width(value: &Value, room: usize) -> Option<usize> {
    let used = match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => number_width(number),
        Value::String(text) => string_width(text),
        Value::Array(items) => {
            let mut used = 2 + 2 * items.len().saturating_sub(1);
            for item in items {
                used += width(item, room.checked_sub(used)?)?;
            }
            used
        }
        Value::Object(members) => members_width(members, room)?,
    };
    (used <= room).then_some(used)
}

fn members_width(members: &Map<String, Value>, room: usize) -> Option<usize> {
    // Braces, and `, ` between members.
    let mut used = 2 + 2 * members.len().saturating_sub(1);
    for (key, item) in members {
        // The key, quoted, and `: `.
        used += string_width(key) + 2;
        used += width(item, room.checked_sub(used)?)?;
    }
    Some(used)
}

/// The width of a number as serde_json writes it.
fn number_width(number: &serde_json::Number) -> usize {
    if let Some(unsigned) = number.as_u64() {
        digits(unsigned)
    } else if let Some(signed) = number.as_i64() {
        1 + digits(signed.unsigned_abs())
    } else {
        // A float: rare in a dashboard, so written once to be measured (`Number`'s `Display`
        // is its serialisation).
        number.to_string().len()
    }
}

fn digits(mut number: u64) -> usize {
    let mut count = 1;
    while number >= 10 {
        number /= 10;
        count += 1;
    }
    count
}

/// The width of `text` as a JSON string, quotes included, escaped as serde_json escapes: `"`
/// and `\` and the short control escapes take two characters, other control characters six
/// (`\u001f`), everything else (`/`, `<`, any non-ASCII character) one.
fn string_width(text: &str) -> usize {
    let mut used = 2;
    for c in text.chars() {
        used += match c {
            '"' | '\\' | '\u{8}' | '\t' | '\n' | '\u{c}' | '\r' => 2,
            c if c < ' ' => 6,
            _ => 1,
        };
    }
    used
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{WIDTH, string_width, to_string, width};

    #[track_caller]
    fn check(value: &Value, expected: &str) {
        let text = to_string(value);
        assert_eq!(text, expected);
        let back: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(&back, value, "round trip");
    }

    #[test]
    fn small_containers_stay_on_their_line() {
        check(
            &json!({"gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}, "id": 1}),
            "{\"gridPos\": {\"h\": 8, \"w\": 12, \"x\": 0, \"y\": 0}, \"id\": 1}\n",
        );
        check(&json!([]), "[]\n");
        check(&json!({}), "{}\n");
        check(&json!("a"), "\"a\"\n");
        check(&json!(null), "null\n");
    }

    #[test]
    fn large_containers_have_a_member_per_line() {
        let long = "x".repeat(90);
        check(
            &json!({"a": {"b": [long, {"c": []}], "d": {}}, "e": -1.5}),
            &format!(
                "{{\n  \"a\": {{\n    \"b\": [\n      \"{long}\",\n      {{\"c\": []}}\n    ],\n    \"d\": {{}}\n  }},\n  \"e\": -1.5\n}}\n"
            ),
        );
    }

    /// A container goes on its line when the whole line, comma included, is at most `WIDTH`.
    #[test]
    fn the_line_width_is_the_boundary() {
        // `  "k": ["…"],` is 2 + 5 + 4 + n + 1 characters.
        for (n, inline) in [(WIDTH - 12, true), (WIDTH - 11, false)] {
            let value = json!({"k": ["y".repeat(n)], "z": 0});
            let text = to_string(&value);
            let line = text.lines().nth(1).expect("a second line");
            assert_eq!(line.starts_with("  \"k\": [\""), inline, "{text}");
            if inline {
                assert_eq!(line.chars().count(), WIDTH);
            }
            assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), value);
        }
        // The last member (keys are sorted) has no comma, so one more character fits.
        let text = to_string(&json!({"a": 0, "k": ["y".repeat(WIDTH - 11)]}));
        assert!(text.contains("  \"k\": [\""), "{text}");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let strings = [
            "say \"hi\"\\",
            "tab\there\nnew line\r\u{8}\u{c}",
            "\u{1}\u{1f}\u{7f}",
            "</script><!-- & '",
            "ünïcödé → 日本語 🦀",
            "$${__value.raw} {{job}}",
            "\u{2028}\u{2029}\u{85}",
        ];
        for text in strings {
            let compact = serde_json::to_string(text).expect("JSON");
            assert_eq!(string_width(text), compact.chars().count(), "{text:?}");
            let value = json!({"s": text, "list": [text, text]});
            let laid_out = to_string(&value);
            assert!(laid_out.contains(&compact), "{laid_out}");
            assert_eq!(
                serde_json::from_str::<Value>(&laid_out).expect("JSON"),
                value
            );
        }
    }

    #[test]
    fn widths_are_the_one_line_form() {
        let values = [
            json!({"a": [1, -20, 3.25, true, false, null], "b": {"c": "d"}, "e": {}}),
            json!([u64::MAX, i64::MIN, 0, 1e100]),
            json!([[], {}, [[]], "x\"y"]),
        ];
        for value in values {
            let compact = serde_json::to_string(&value).expect("JSON");
            // The one-line form is the compact one with a space after each `,` and `:`
            // outside strings, which these values do not hold.
            let spaced = compact.replace(',', ", ").replace(':', ": ");
            assert_eq!(width(&value, usize::MAX), Some(spaced.chars().count()));
            assert_eq!(width(&value, spaced.chars().count() - 1), None);
            assert_eq!(to_string(&value), format!("{spaced}\n"));
        }
    }

    #[test]
    fn lines_with_containers_stay_within_the_width() {
        let panel = |n: u64| {
            json!({
                "datasource": {"type": "prometheus", "uid": format!("metrics-tenant-{n}")},
                "gridPos": {"h": 8, "w": 12, "x": 0, "y": n},
                "targets": [{"expr": "sum by (job) (up)", "legendFormat": "{{job}}", "refId": "A"}],
            })
        };
        let value = json!({"panels": (0..5).map(panel).collect::<Vec<_>>(), "tags": ["a", "b"]});
        let text = to_string(&value);
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        assert!(text.contains("\"gridPos\": {\"h\": 8, \"w\": 12, \"x\": 0, \"y\": 3},"));
        assert_eq!(text, to_string(&value), "deterministic");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("JSON"), value);
    }
}
