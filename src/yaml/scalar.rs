//! A plain (unquoted) scalar resolved as `serde_norway` resolves it (its `de.rs`:
//! `visit_untagged_scalar`, `visit_int`, `parse_f64`, the functions below keep their names), for
//! `subset`, which reads scalars without the deserializer. `None` where `to_json` would not give a
//! JSON number or the reference path fails: an integer beyond `u64`/`i64`, NaN, infinities.
//! The differential test `plain_scalars_resolve_alike` holds this to the real thing.

use std::num::ParseIntError;

use serde_json::Value;

/// `text` as the reference path reads a plain scalar: null, a boolean, an integer (decimal, `0x`,
/// `0o`, `0b`), a float, or else a string.
pub(super) fn resolve_plain(text: &str) -> Option<Value> {
    if text.is_empty() || matches!(text, "null" | "Null" | "NULL" | "~") {
        return Some(Value::Null);
    }
    match text {
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    // Most keys and values are words: no number starts with a letter, `_` or `/` (Rust's float
    // parser reads `inf` and `nan` in any case, but they are strings below too), so the number
    // parsers need not run.
    if text.starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '_' | '/')) {
        return Some(Value::String(text.to_owned()));
    }
    if let Some(int) = parse_unsigned_int(text, u64::from_str_radix) {
        return Some(Value::from(int));
    }
    if let Some(int) = parse_negative_int(text, i64::from_str_radix) {
        return Some(Value::from(int));
    }
    // `serde_norway::Value` refuses 128-bit integers: the reference path reports the error.
    if parse_unsigned_int(text, u128::from_str_radix).is_some()
        || parse_negative_int(text, i128::from_str_radix).is_some()
    {
        return None;
    }
    if !digits_but_not_number(text)
        && let Some(float) = parse_f64(text)
    {
        // NaN and the infinities are strings in `to_json`: left to the reference path.
        return serde_json::Number::from_f64(float).map(Value::Number);
    }
    Some(Value::String(text.to_owned()))
}

type Radix<T> = fn(&str, u32) -> Result<T, ParseIntError>;

fn parse_unsigned_int<T>(scalar: &str, from_str_radix: Radix<T>) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) || digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(scalar: &str, from_str_radix: Radix<T>) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix)
            && let Ok(int) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
        if unpositive.starts_with(['+', '-']) {
            return None;
        }
        unpositive
    } else {
        scalar
    };
    if matches!(unpositive, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    if matches!(scalar, "-.inf" | "-.Inf" | "-.INF") {
        return Some(f64::NEG_INFINITY);
    }
    if matches!(scalar, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    unpositive
        .parse::<f64>()
        .ok()
        .filter(|float| float.is_finite())
}

/// Leading zeros followed by digits are a string in YAML 1.2 (`012`).
fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar[1..].bytes().all(|b| b.is_ascii_digit())
}
