//! A point in time with a fixed zone offset, printed and formatted as Go's
//! `time.Time` is.

use std::fmt::Write as _;

/// An instant with the zone offset it was written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nanos: u32,
    /// Zone offset east of UTC, in seconds.
    pub offset: i32,
    /// Zone abbreviation; `None` prints the offset (`+0100`) as Go does for
    /// unnamed zones.
    pub zone: Option<String>,
}

const DAYS_BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down local fields of a [`Time`].
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
    yday: u32,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Time {
    /// Go's zero time, `0001-01-01 00:00:00 +0000 UTC`.
    pub fn zero() -> Time {
        Time {
            unix: days_from_civil(1, 1, 1) * 86_400,
            nanos: 0,
            offset: 0,
            zone: Some("UTC".into()),
        }
    }

    /// Parses RFC 3339 (`2026-12-02T02:44:20.958806119Z`, `…+01:00`); `None`
    /// for anything else.
    pub fn parse_rfc3339(s: &str) -> Option<Time> {
        let b = s.as_bytes();
        if b.len() < 20 || !s.is_ascii() {
            return None;
        }
        if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let t = &s[r];
            if digits(t) {
                t.parse().ok()
            } else {
                None
            }
        };
        let year = i64::from(num(0..4)?);
        let month = num(5..7)?;
        let day = num(8..10)?;
        let hour = num(11..13)?;
        let minute = num(14..16)?;
        let second = num(17..19)?;
        if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mdays = match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day < 1 || day > mdays {
            return None;
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if b[i] == b'.' || b[i] == b',' {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac = &s[start..end];
            let mut n = 0u64;
            for (k, c) in frac.bytes().enumerate() {
                if k < 9 {
                    n = n * 10 + u64::from(c - b'0');
                }
            }
            for _ in frac.len()..9 {
                n *= 10;
            }
            nanos = n as u32;
            i = end;
        }
        let rest = &s[i..];
        let (offset, zone) = if rest == "Z" || rest == "z" {
            (0, Some("UTC".to_string()))
        } else {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !(rb[0] == b'+' || rb[0] == b'-') || rb[3] != b':' {
                return None;
            }
            let h: i32 = if digits(&rest[1..3]) {
                rest[1..3].parse().ok()?
            } else {
                return None;
            };
            let m: i32 = if digits(&rest[4..6]) {
                rest[4..6].parse().ok()?
            } else {
                return None;
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = (h * 3600 + m * 60) * if rb[0] == b'-' { -1 } else { 1 };
            (off, None)
        };
        let local = days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3600
            + i64::from(minute) * 60
            + i64::from(second);
        Some(Time {
            unix: local - i64::from(offset),
            nanos,
            offset,
            zone,
        })
    }

    fn civil(&self) -> Civil {
        let local = self.unix + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        let mut yday = DAYS_BEFORE[(month - 1) as usize] as u32 + day;
        if month > 2 && is_leap(year) {
            yday += 1;
        }
        Civil {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday,
        }
    }

    /// Whether this is Go's zero time (January 1, year 1, 00:00:00 UTC).
    pub fn is_zero(&self) -> bool {
        self.unix == days_from_civil(1, 1, 1) * 86_400 && self.nanos == 0
    }

    pub fn year(&self) -> i64 {
        self.civil().year
    }

    /// Month, day, hour, minute, second, weekday name, day of the year.
    pub fn month_name(&self) -> &'static str {
        MONTHS[(self.civil().month - 1) as usize]
    }

    pub fn day(&self) -> u32 {
        self.civil().day
    }

    pub fn hour(&self) -> u32 {
        self.civil().hour
    }

    pub fn minute(&self) -> u32 {
        self.civil().minute
    }

    pub fn second(&self) -> u32 {
        self.civil().second
    }

    pub fn weekday_name(&self) -> &'static str {
        DAYS[self.civil().weekday]
    }

    pub fn year_day(&self) -> u32 {
        self.civil().yday
    }

    /// Nanoseconds since the epoch (saturating, as Go's is undefined beyond).
    pub fn unix_nano(&self) -> i64 {
        self.unix
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.nanos))
    }

    /// The same instant in UTC.
    pub fn utc(&self) -> Time {
        Time {
            unix: self.unix,
            nanos: self.nanos,
            offset: 0,
            zone: Some("UTC".into()),
        }
    }

    /// Go's `time.Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }

    /// Go's RFC3339Nano, as `time.Time.MarshalJSON` writes it.
    pub fn rfc3339_nano(&self) -> String {
        self.format("2006-01-02T15:04:05.999999999Z07:00")
    }

    /// Formats with a Go reference layout (`2006-01-02 15:04:05 MST`).
    pub fn format(&self, layout: &str) -> String {
        let c = self.civil();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (prefix, chunk, after) = next_chunk(rest);
            out.push_str(prefix);
            let Some(chunk) = chunk else { break };
            self.write_chunk(&mut out, &c, chunk);
            rest = after;
        }
        out
    }

    fn write_chunk(&self, out: &mut String, c: &Civil, chunk: Chunk) {
        let hour12 = match c.hour % 12 {
            0 => 12,
            h => h,
        };
        match chunk {
            Chunk::LongMonth => out.push_str(MONTHS[(c.month - 1) as usize]),
            Chunk::Month => out.push_str(&MONTHS[(c.month - 1) as usize][..3]),
            Chunk::NumMonth => {
                let _ = write!(out, "{}", c.month);
            }
            Chunk::ZeroMonth => {
                let _ = write!(out, "{:02}", c.month);
            }
            Chunk::LongWeekDay => out.push_str(DAYS[c.weekday]),
            Chunk::WeekDay => out.push_str(&DAYS[c.weekday][..3]),
            Chunk::Day => {
                let _ = write!(out, "{}", c.day);
            }
            Chunk::UnderDay => {
                let _ = write!(out, "{:>2}", c.day);
            }
            Chunk::ZeroDay => {
                let _ = write!(out, "{:02}", c.day);
            }
            Chunk::UnderYearDay => {
                let _ = write!(out, "{:>3}", c.yday);
            }
            Chunk::ZeroYearDay => {
                let _ = write!(out, "{:03}", c.yday);
            }
            Chunk::Hour => {
                let _ = write!(out, "{:02}", c.hour);
            }
            Chunk::Hour12 => {
                let _ = write!(out, "{hour12}");
            }
            Chunk::ZeroHour12 => {
                let _ = write!(out, "{hour12:02}");
            }
            Chunk::Minute => {
                let _ = write!(out, "{}", c.minute);
            }
            Chunk::ZeroMinute => {
                let _ = write!(out, "{:02}", c.minute);
            }
            Chunk::Second => {
                let _ = write!(out, "{}", c.second);
            }
            Chunk::ZeroSecond => {
                let _ = write!(out, "{:02}", c.second);
            }
            Chunk::LongYear => {
                if (0..10_000).contains(&c.year) {
                    let _ = write!(out, "{:04}", c.year);
                } else {
                    let _ = write!(out, "{}", c.year);
                }
            }
            Chunk::Year => {
                let _ = write!(out, "{:02}", c.year.rem_euclid(100));
            }
            Chunk::PM => out.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Chunk::Pm => out.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Chunk::Tz => match &self.zone {
                Some(name) => out.push_str(name),
                None => {
                    let m = self.offset / 60;
                    let sign = if m < 0 { '-' } else { '+' };
                    let _ = write!(out, "{sign}{:02}{:02}", m.abs() / 60, m.abs() % 60);
                }
            },
            Chunk::Offset {
                z,
                colon,
                secs,
                minutes,
            } => {
                if z && self.offset == 0 {
                    out.push('Z');
                    return;
                }
                let abs = self.offset.abs();
                out.push(if self.offset < 0 { '-' } else { '+' });
                let _ = write!(out, "{:02}", abs / 3600);
                if minutes {
                    if colon {
                        out.push(':');
                    }
                    let _ = write!(out, "{:02}", abs / 60 % 60);
                }
                if secs {
                    if colon {
                        out.push(':');
                    }
                    let _ = write!(out, "{:02}", abs % 60);
                }
            }
            Chunk::Frac { sep, digits, trim } => {
                let all = format!("{:09}", self.nanos);
                let mut d = &all[..digits.min(9)];
                if trim {
                    d = d.trim_end_matches('0');
                    if d.is_empty() {
                        return;
                    }
                }
                out.push(sep);
                out.push_str(d);
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Chunk {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Offset {
        z: bool,
        colon: bool,
        secs: bool,
        minutes: bool,
    },
    Frac {
        sep: char,
        digits: usize,
        trim: bool,
    },
}

fn starts_lower(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

/// Splits `layout` into literal prefix, the next reference element and the
/// rest, as Go's layout scanner does.
fn next_chunk(layout: &str) -> (&str, Option<Chunk>, &str) {
    let b = layout.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &layout[i..];
        let hit: Option<(Chunk, usize)> = match b[i] {
            b'J' if rest.starts_with("January") => Some((Chunk::LongMonth, 7)),
            b'J' if rest.starts_with("Jan") && !starts_lower(&rest[3..]) => Some((Chunk::Month, 3)),
            b'M' if rest.starts_with("Monday") => Some((Chunk::LongWeekDay, 6)),
            b'M' if rest.starts_with("Mon") && !starts_lower(&rest[3..]) => {
                Some((Chunk::WeekDay, 3))
            }
            b'M' if rest.starts_with("MST") => Some((Chunk::Tz, 3)),
            b'0' if rest.starts_with("002") => Some((Chunk::ZeroYearDay, 3)),
            b'0' if rest.len() > 1 && (b'1'..=b'6').contains(&b[i + 1]) => Some((
                match b[i + 1] {
                    b'1' => Chunk::ZeroMonth,
                    b'2' => Chunk::ZeroDay,
                    b'3' => Chunk::ZeroHour12,
                    b'4' => Chunk::ZeroMinute,
                    b'5' => Chunk::ZeroSecond,
                    _ => Chunk::Year,
                },
                2,
            )),
            b'1' if rest.starts_with("15") => Some((Chunk::Hour, 2)),
            b'1' => Some((Chunk::NumMonth, 1)),
            b'2' if rest.starts_with("2006") => Some((Chunk::LongYear, 4)),
            b'2' => Some((Chunk::Day, 1)),
            b'_' if rest.starts_with("_2006") => {
                // A literal underscore followed by the year.
                return (&layout[..i + 1], Some(Chunk::LongYear), &layout[i + 5..]);
            }
            b'_' if rest.starts_with("__2") => Some((Chunk::UnderYearDay, 3)),
            b'_' if rest.starts_with("_2") => Some((Chunk::UnderDay, 2)),
            b'3' => Some((Chunk::Hour12, 1)),
            b'4' => Some((Chunk::Minute, 1)),
            b'5' => Some((Chunk::Second, 1)),
            b'P' if rest.starts_with("PM") => Some((Chunk::PM, 2)),
            b'p' if rest.starts_with("pm") => Some((Chunk::Pm, 2)),
            b'-' | b'Z' => {
                let z = b[i] == b'Z';
                let tail = &rest[1..];
                let forms: [(&str, bool, bool, bool); 5] = [
                    ("070000", false, true, true),
                    ("07:00:00", true, true, true),
                    ("0700", false, false, true),
                    ("07:00", true, false, true),
                    ("07", false, false, false),
                ];
                forms
                    .iter()
                    .find(|(f, ..)| tail.starts_with(f))
                    .map(|(f, colon, secs, minutes)| {
                        (
                            Chunk::Offset {
                                z,
                                colon: *colon,
                                secs: *secs,
                                minutes: *minutes,
                            },
                            f.len() + 1,
                        )
                    })
            }
            c @ (b'.' | b',') if i + 1 < b.len() && (b[i + 1] == b'0' || b[i + 1] == b'9') => {
                let d = b[i + 1];
                let mut j = i + 1;
                while j < b.len() && b[j] == d {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    None
                } else {
                    Some((
                        Chunk::Frac {
                            sep: c as char,
                            digits: j - i - 1,
                            trim: d == b'9',
                        },
                        j - i,
                    ))
                }
            }
            _ => None,
        };
        if let Some((chunk, len)) = hit {
            return (&layout[..i], Some(chunk), &layout[i + len..]);
        }
        // Advance by one character (layouts may hold any UTF-8).
        i += layout[i..].chars().next().map_or(1, char::len_utf8);
    }
    (layout, None, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_like_go() {
        let t = Time::parse_rfc3339("2026-12-02T02:44:20.958806119Z").unwrap();
        assert_eq!(t.go_string(), "2026-12-02 02:44:20.958806119 +0000 UTC");
        let t = Time::parse_rfc3339("2026-12-02T02:44:20.5Z").unwrap();
        assert_eq!(t.go_string(), "2026-12-02 02:44:20.5 +0000 UTC");
        let t = Time::parse_rfc3339("2026-12-02T02:44:20Z").unwrap();
        assert_eq!(t.go_string(), "2026-12-02 02:44:20 +0000 UTC");
        let t = Time::parse_rfc3339("2026-12-02T02:44:20.100+01:30").unwrap();
        assert_eq!(t.go_string(), "2026-12-02 02:44:20.1 +0130 +0130");
        assert_eq!(t.rfc3339_nano(), "2026-12-02T02:44:20.1+01:30");
        assert_eq!(t.utc().rfc3339_nano(), "2026-12-02T01:14:20.1Z");
        assert_eq!(t.unix, 1_796_174_060);
    }

    #[test]
    fn rejects_non_times() {
        for s in [
            "2026-12-02",
            "2026-12-02 02:44:20Z",
            "2026-13-02T02:44:20Z",
            "2026-02-30T02:44:20Z",
            "2026-12-02T02:44:20",
            "2026-12-02T02:44:20.Z",
            "2026-12-02T02:44:20+0100",
            "abcd-12-02T02:44:20Z",
        ] {
            assert!(Time::parse_rfc3339(s).is_none(), "{s}");
        }
    }

    #[test]
    fn zero_time() {
        let z = Time::parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert!(z.is_zero());
        assert_eq!(z, Time::zero());
        assert_eq!(z.go_string(), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(z.unix, -62_135_596_800);
    }

    #[test]
    fn layouts() {
        let t = Time::parse_rfc3339("2026-03-05T14:04:09.012300Z").unwrap();
        let cases = [
            ("2006", "2026"),
            ("06", "26"),
            ("01/02", "03/05"),
            ("1/2", "3/5"),
            ("_2", " 5"),
            ("Jan January", "Mar March"),
            ("Mon Monday", "Thu Thursday"),
            ("15:04:05", "14:04:09"),
            ("3:4:5 PM pm", "2:4:9 PM pm"),
            ("03", "02"),
            (".000", ".012"),
            (".999999999", ".0123"),
            (",000000", ",012300"),
            ("MST -0700 Z07:00 -07:00 -07", "UTC +0000 Z +00:00 +00"),
            ("002 __2", "064  64"),
            ("2006-01-02T15:04:05Z07:00", "2026-03-05T14:04:09Z"),
            ("Monthly", "Monthly"),
            ("x_2006", "x_2026"),
            ("日 2006", "日 2026"),
        ];
        for (layout, want) in cases {
            assert_eq!(t.format(layout), want, "{layout}");
        }
        let t = Time::parse_rfc3339("2024-02-29T00:00:00-07:00").unwrap();
        assert_eq!(t.format("Z07:00 -0700 MST"), "-07:00 -0700 -0700");
        assert_eq!(t.format("3PM"), "12AM");
        assert_eq!(t.year_day(), 60);
        assert_eq!(t.weekday_name(), "Thursday");
    }
}
