//! `Duration`: a length of time written in the spec, parsed once into milliseconds, with the
//! form each consumer reads and the bound every consumer holds (`Duration::MAX_MILLIS`).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// A duration such as `90d`, `2h`, `30s` or `1h30m` (units `y w d h m s ms`), parsed once when
/// the spec is read. The text is kept for messages; every consumer gets a form computed from the
/// parsed length, so no backend re-parses what the user wrote.
///
/// A text that matches the schema's pattern always parses: a length past `u128` milliseconds
/// saturates, and `validate` rejects anything longer than `Duration::MAX_MILLIS`, so after
/// validation every form below is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duration {
    text: String,
    millis: u128,
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format_args!("`{text}` is not a duration")))
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit, repeated, for example `90d`, `12h` or `1h30m` (units `y w d h m s ms`), at most 2562047h (about 292 years).",
            "type": "string",
            "pattern": DURATION_PATTERN,
        })
    }
}

/// The pattern of `Duration` in the schema.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h|d|w|y))+$";

const MILLIS_PER_HOUR: u128 = 3_600_000;

impl Duration {
    /// The longest duration every consumer reads: Go's `time.Duration` (Loki, Tempo, Pyroscope,
    /// Alloy, Kargo) and Prometheus' `model.Duration` (Mimir) hold at most 2^63-1 nanoseconds,
    /// about 292 years; retention reaches three backends in whole hours, so the bound is the
    /// largest whole number of hours below that: 2562047h.
    pub const MAX_MILLIS: u128 = 2_562_047 * MILLIS_PER_HOUR;

    /// Parses `text` (one or more number-unit pairs); `None` when it is not a duration.
    pub fn parse(text: &str) -> Option<Duration> {
        if text.is_empty() {
            return None;
        }
        let mut millis: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            if digits == 0 {
                return None;
            }
            // Saturating: any text that long is past `MAX_MILLIS` and rejected by `validate`.
            let number = rest[..digits].bytes().fold(0u128, |n, d| {
                n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
            });
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let per_unit: u128 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => MILLIS_PER_HOUR,
                "d" => 24 * MILLIS_PER_HOUR,
                "w" => 7 * 24 * MILLIS_PER_HOUR,
                "y" => 365 * 24 * MILLIS_PER_HOUR,
                _ => return None,
            };
            rest = &rest[unit_len..];
            millis = millis.saturating_add(number.saturating_mul(per_unit));
        }
        Some(Duration {
            text: text.to_owned(),
            millis,
        })
    }

    /// A default written in this file; a typo would be a zero length, which `validate` rejects.
    pub(super) fn default_of(text: &str) -> Duration {
        Duration::parse(text).unwrap_or(Duration {
            text: text.to_owned(),
            millis: 0,
        })
    }

    /// The text as written in the spec, for messages.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `validate` accepts the length: more than zero and at most `MAX_MILLIS`.
    pub fn in_range(&self) -> bool {
        self.millis > 0 && self.millis <= Self::MAX_MILLIS
    }

    pub fn millis(&self) -> u128 {
        self.millis
    }

    /// Whole seconds, rounded down (saturating, for a length `validate` would reject).
    pub fn seconds(&self) -> u64 {
        u64::try_from(self.millis / 1_000).unwrap_or(u64::MAX)
    }

    /// Whole hours, rounded up: `2160h`, how Loki, Tempo and Pyroscope get a retention.
    pub fn hours(&self) -> String {
        format!("{}h", self.millis.div_ceil(MILLIS_PER_HOUR))
    }

    /// The length in Go's `time.ParseDuration` units (`h m s ms`, no days): `36h`, `1h30m`.
    pub fn go(&self) -> String {
        units(
            self.millis,
            &[
                ("h", MILLIS_PER_HOUR),
                ("m", 60_000),
                ("s", 1_000),
                ("ms", 1),
            ],
        )
    }

    /// The length as Prometheus' `model.ParseDuration` (Mimir) reads it: units in descending
    /// order, each at most once, days the largest (`90d`, `1d12h`).
    pub fn prometheus(&self) -> String {
        units(
            self.millis,
            &[
                ("d", 24 * MILLIS_PER_HOUR),
                ("h", MILLIS_PER_HOUR),
                ("m", 60_000),
                ("s", 1_000),
                ("ms", 1),
            ],
        )
    }
}

/// `millis` written in `units` (largest first), each unit once: `1d12h`; `0s` for zero.
fn units(millis: u128, units: &[(&str, u128)]) -> String {
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    let mut rest = millis;
    for (unit, size) in units {
        if rest >= *size {
            text.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[track_caller]
    fn check(text: &str, expected: Option<u64>) {
        assert_eq!(
            Duration::parse(text).map(|d| d.seconds()),
            expected,
            "{text}"
        );
    }

    #[test]
    fn durations() {
        check("90d", Some(90 * 86_400));
        check("2h", Some(7_200));
        check("1h30m", Some(5_400));
        check("1500ms", Some(1));
        check("1y", Some(365 * 86_400));
        check("0s", Some(0));
        check("", None);
        check("d", None);
        check("10", None);
        check("10x", None);
    }

    #[test]
    fn lengths_past_what_the_backends_hold_are_out_of_range_not_wrapped() {
        for text in ["99999999999999999999d", "584942418y", "1000y", "2562048h"] {
            let duration = Duration::parse(text).unwrap();
            assert!(!duration.in_range(), "{text}");
            assert!(duration.millis() > Duration::MAX_MILLIS, "{text}");
        }
        let longest = Duration::parse("2562047h").unwrap();
        assert!(longest.in_range());
        assert_eq!(longest.hours(), "2562047h");
        assert!(!Duration::parse("0d").unwrap().in_range());
    }

    #[test]
    fn each_consumer_gets_its_own_form() {
        let d = Duration::parse("1d12h30m1500ms").unwrap();
        assert_eq!(d.hours(), "37h");
        assert_eq!(d.go(), "36h30m1s500ms");
        assert_eq!(d.prometheus(), "1d12h30m1s500ms");
        // Prometheus wants each unit once and in order; the spec may repeat or reorder them.
        assert_eq!(Duration::parse("30m1h").unwrap().prometheus(), "1h30m");
        assert_eq!(Duration::parse("90d").unwrap().prometheus(), "90d");
        assert_eq!(Duration::parse("1y").unwrap().prometheus(), "365d");
    }
}
