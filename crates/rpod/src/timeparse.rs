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

/// Go-style durations (`1h30m`, `10s`, `250ms`), as the engine parses them.
pub fn parse_duration(text: &str) -> Option<chrono::TimeDelta> {
    let d = libpod::container::policy::parse_duration(text).ok()?;
    chrono::TimeDelta::from_std(d).ok()
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
