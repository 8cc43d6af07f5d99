//! Human-readable durations and sizes, as Docker's `go-units` prints them.

/// `Less than a second`, `3 seconds`, `About a minute`, `5 minutes`, …
pub fn human_duration(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 1 {
        return "Less than a second".into();
    }
    if secs == 1 {
        return "1 second".into();
    }
    if secs < 60 {
        return format!("{secs} seconds");
    }
    let mins = secs / 60;
    if mins == 1 {
        return "About a minute".into();
    }
    if mins < 60 {
        return format!("{mins} minutes");
    }
    let hours = (secs as f64 / 3600.0).round() as i64;
    if hours == 1 {
        return "About an hour".into();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", hours / 24 / 365)
}

/// Scales `bytes` to decimal units (1000-based): the value and its unit.
fn decimal(bytes: u64) -> (f64, &'static str) {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    (value, UNITS[unit])
}

/// `value` with `significant` significant digits (for values below 1000),
/// trailing zeros dropped.
fn significant(value: f64, significant: usize) -> String {
    let int_digits = if value >= 100.0 {
        3
    } else if value >= 10.0 {
        2
    } else {
        1
    };
    let decimals = significant.saturating_sub(int_digits);
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Decimal sizes with three significant digits, as Podman prints them:
/// `4.1 MB`, `512 B`, `1.23 GB`.
pub fn human_size(bytes: u64) -> String {
    let (value, unit) = decimal(bytes);
    format!("{} {unit}", significant(value, 3))
}

/// Sizes as Podman's `stats` prints them: four significant digits, no
/// space (`3.092MB`).
pub fn human_size_compact(bytes: u64) -> String {
    let (value, unit) = decimal(bytes);
    format!("{}{unit}", significant(value, 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn durations() {
        assert_eq!(
            human_duration(TimeDelta::milliseconds(10)),
            "Less than a second"
        );
        assert_eq!(human_duration(TimeDelta::seconds(5)), "5 seconds");
        assert_eq!(human_duration(TimeDelta::seconds(70)), "About a minute");
        assert_eq!(human_duration(TimeDelta::minutes(5)), "5 minutes");
        assert_eq!(human_duration(TimeDelta::hours(3)), "3 hours");
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(4_100_000), "4.1 MB");
        assert_eq!(human_size(2_129_920), "2.13 MB");
        assert_eq!(human_size(1_234_567_890), "1.23 GB");
        assert_eq!(human_size_compact(0), "0B");
        assert_eq!(human_size_compact(3_092_000), "3.092MB");
        assert_eq!(human_size_compact(16_700_000_000), "16.7GB");
    }
}
