//! Times given on the command line (`--since`, `--until`): RFC 3339,
//! `YYYY-MM-DD`, Unix seconds (with fraction), or a duration before now
//! such as `10m`, `1h30m`, `45s`.

use anyhow::{anyhow, Result};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

pub fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(Utc.from_utc_datetime(&dt));
        }
    }
    if let Ok(secs) = t.parse::<f64>() {
        let whole = secs.trunc() as i64;
        let nanos = ((secs - secs.trunc()) * 1e9) as u32;
        return Utc
            .timestamp_opt(whole, nanos)
            .single()
            .ok_or_else(|| anyhow!("invalid time {text:?}"));
    }
    let d = parse_duration(t).ok_or_else(|| {
        anyhow!("invalid time {text:?}: use RFC 3339, a Unix timestamp or a duration like 10m")
    })?;
    Ok(Utc::now() - d)
}

/// Go-style durations: `1h30m`, `10s`, `250ms`.
pub fn parse_duration(text: &str) -> Option<chrono::TimeDelta> {
    let mut total_ms: f64 = 0.0;
    let mut num = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let value: f64 = num.parse().ok()?;
        num.clear();
        total_ms += value
            * match unit.as_str() {
                "ms" => 1.0,
                "s" => 1000.0,
                "m" => 60_000.0,
                "h" => 3_600_000.0,
                "d" => 86_400_000.0,
                _ => return None,
            };
        any = true;
    }
    if !num.is_empty() || !any {
        return None;
    }
    Some(chrono::TimeDelta::milliseconds(total_ms as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(
            parse_duration("1h30m").unwrap(),
            chrono::TimeDelta::minutes(90)
        );
        assert_eq!(
            parse_duration("250ms").unwrap(),
            chrono::TimeDelta::milliseconds(250)
        );
        assert!(parse_duration("5").is_none());
        assert!(parse_duration("x").is_none());
        assert_eq!(parse_time("1700000000").unwrap().timestamp(), 1_700_000_000);
        assert!(parse_time("2026-01-02T03:04:05Z").is_ok());
        assert!(parse_time("10m").unwrap() < Utc::now());
        assert!(parse_time("yesterday").is_err());
    }
}
