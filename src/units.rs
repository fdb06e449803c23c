//! Quantities and how lgtmc writes them: Kubernetes byte quantities (`1536Gi`), bytes in binary
//! units with two decimals (`144.84 GiB`), fractions in millionths (`0.15`), percentages to one
//! decimal and durations in days, hours, minutes and seconds; and the aligned plain-text table
//! `lgtmc plan` prints them in.
//!
//! Integer arithmetic throughout (fractions read to millionths, saturating at `u64::MAX`), so every
//! number is the same on every machine. Pure; the lowest layer `limits`, `compute` and `capacity`
//! share, and `render`'s `bytes` filter.

use std::fmt::Write as _;

/// One million: the scale of a fraction in millionths.
pub const MILLION: u128 = 1_000_000;

/// A fraction from the spec in millionths (0.15 → 150000). Negative or not finite: zero.
pub fn micros(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        // `as` saturates; the schema keeps values far below u64::MAX millionths.
        (value * 1e6).round() as u64
    } else {
        0
    }
}

/// Millionths back to a fraction (150000 → 0.15).
pub fn from_micros(micros: u64) -> f64 {
    micros as f64 / 1e6
}

/// `bytes × fraction`, the fraction in millionths, rounded down.
pub fn scale(bytes: u64, micros: u64) -> u64 {
    clamp(u128::from(bytes) * u128::from(micros) / MILLION)
}

/// `numerator / denominator`, rounded half up.
pub fn round_div(numerator: u128, denominator: u128) -> u128 {
    numerator.saturating_add(denominator / 2) / denominator
}

/// A wide result, saturated to 64 bits.
pub fn clamp(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// A saturating sum.
pub fn sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

/// `part` as a percentage of `whole`, to one decimal: `59.0%`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return if part == 0 { "0.0%" } else { "∞%" }.to_owned();
    }
    let tenths = round_div(u128::from(part) * 1_000, u128::from(whole));
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A Kubernetes-style quantity in bytes: `1536Gi`, `1.5Ti`, `2T`, `500`. `None` when it is not
/// one or does not fit in 64 bits. A fraction is rounded down to whole bytes.
pub fn parse_quantity(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let multiplier: u128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || (number.contains('.') && fraction.is_empty())
        || fraction.len() > 18
    {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let fraction_scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let bytes = whole
        .checked_mul(multiplier)?
        .checked_add(fraction_value.checked_mul(multiplier)? / fraction_scale)?;
    u64::try_from(bytes).ok()
}

/// Bytes in binary units with two decimals: `512 B`, `1.50 KiB`, `144.84 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut size: u128 = 1024;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= size * 1024 {
        unit += 1;
        size *= 1024;
    }
    let mut hundredths = round_div(u128::from(bytes) * 100, size);
    // 1023.999 KiB rounds to 1024.00 KiB: say 1.00 MiB instead.
    if hundredths >= 102_400 && unit + 1 < UNITS.len() {
        unit += 1;
        hundredths = round_div(u128::from(bytes) * 100, size * 1024);
    }
    format!(
        "{}.{:02} {}",
        hundredths / 100,
        hundredths % 100,
        UNITS[unit]
    )
}

/// A number in hundredths, without trailing zeros: 1000050 → `10000.5`.
pub fn format_hundredths(hundredths: u128) -> String {
    format_fixed(hundredths, 2)
}

/// A number in millionths, without trailing zeros: 150000 → `0.15`, 2000000 → `2`.
pub fn format_micros(micros: u64) -> String {
    format_fixed(u128::from(micros), 6)
}

/// A fixed-point number with `decimals` decimal places, without trailing zeros.
pub fn format_fixed(value: u128, decimals: u32) -> String {
    let scale = 10u128.pow(decimals);
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        whole.to_string()
    } else {
        let width = decimals as usize;
        format!("{whole}.{fraction:0width$}")
            .trim_end_matches('0')
            .to_owned()
    }
}

/// Seconds as a duration in days, hours, minutes and seconds: `90d`, `1d12h`, `0s`.
pub fn format_seconds(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            let _ = write!(text, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    text
}

/// Rows as aligned plain-text columns, as `lgtmc plan` prints them: the first `text_columns`
/// columns to the left, the numbers after them to the right, trailing spaces trimmed.
pub fn aligned_table<const N: usize>(out: &mut String, rows: &[[String; N]], text_columns: usize) {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(" ");
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            let pad = " ".repeat(width - cell.chars().count());
            if column < text_columns {
                let _ = write!(line, " {cell}{pad} ");
            } else {
                let _ = write!(line, " {pad}{cell} ");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_read_to_millionths() {
        assert_eq!(micros(0.15), 150_000);
        assert_eq!(micros(0.1), 100_000);
        assert_eq!(micros(2.0), 2_000_000);
        assert_eq!(micros(0.0000004), 0);
        assert_eq!(micros(-1.0), 0);
        assert_eq!(micros(f64::NAN), 0);
        assert_eq!(format_micros(150_000), "0.15");
        assert_eq!(format_micros(2_000_000), "2");
        assert_eq!(format_micros(1_000_001), "1.000001");
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("1536Gi"), Some(1536 << 30));
        assert_eq!(parse_quantity("1.5Ti"), Some(3 << 39));
        assert_eq!(parse_quantity("2T"), Some(2_000_000_000_000));
        assert_eq!(parse_quantity("500"), Some(500));
        assert_eq!(parse_quantity("0.5Ki"), Some(512));
        assert_eq!(parse_quantity("1.0001"), Some(1));
        assert_eq!(parse_quantity("16Pi"), Some(16 << 50));
        assert_eq!(parse_quantity("99999999Pi"), None);
        for bad in ["", "Gi", "1.Gi", ".5Gi", "1GB", "1 Gi", "-1", "1.2.3"] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn binary_units_with_two_decimals() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.00 KiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(155_520_000_000), "144.84 GiB");
        assert_eq!(format_bytes(1_048_575), "1.00 MiB");
        assert_eq!(format_bytes(3 << 39), "1.50 TiB");
        assert_eq!(format_bytes(u64::MAX), "16.00 EiB");
    }

    #[test]
    fn percentages_and_durations() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(3, 2), "150.0%");
        assert_eq!(percent(0, 0), "0.0%");
        assert_eq!(percent(1, 0), "∞%");
        assert_eq!(format_seconds(90 * 86_400), "90d");
        assert_eq!(format_seconds(36 * 3_600), "1d12h");
        assert_eq!(format_seconds(5_400), "1h30m");
        assert_eq!(format_seconds(0), "0s");
    }
}
