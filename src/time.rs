//! Timestamps without a date library: RFC 3339 parsing (CloudTrail's `eventTime` and the
//! `--since` / `--until` flags), relative durations (`30d`), UTC formatting and days. Only the
//! proleptic Gregorian calendar in UTC is needed; leap seconds are read as the next second.

use std::time::{SystemTime, UNIX_EPOCH};

/// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds within that second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub const fn from_secs(secs: i64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// The system clock (before 1970, the epoch).
    pub fn now() -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                nanos: d.subsec_nanos(),
            },
            Err(_) => Timestamp::from_secs(0),
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, with `.fff` digits only when the instant has a fraction.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d) = civil_from_days(self.secs.div_euclid(86_400));
        let s = self.secs.rem_euclid(86_400);
        let mut out = format!(
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        if self.nanos != 0 {
            let fraction = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }

    /// The UTC day, `YYYY-MM-DD`.
    pub fn day(self) -> String {
        let (y, m, d) = civil_from_days(self.secs.div_euclid(86_400));
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// Days since 1970-01-01 (UTC), for bucketing by day.
    pub fn day_number(self) -> i64 {
        self.secs.div_euclid(86_400)
    }

    /// Midnight UTC of a day number.
    pub fn from_day_number(days: i64) -> Timestamp {
        Timestamp::from_secs(days * 86_400)
    }
}

/// Parses RFC 3339 and the forms trail sources write: `2024-05-01T12:00:00Z` (CloudTrail),
/// fractions (`.123Z`), offsets (`+02:00`, `-0500`), a space or `t` instead of `T`, a
/// lowercase `z`, and a date alone (`2024-05-01`: midnight UTC). A date and time with no zone
/// is read as UTC. `None` for anything else, including impossible dates (`2023-02-30`).
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(Timestamp::from_secs(days * 86_400));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut nanos: u32 = 0;
    if b.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        if end == start {
            return None;
        }
        for (i, digit) in b[start..end].iter().take(9).enumerate() {
            nanos += u32::from(digit - b'0') * 10u32.pow(8 - i as u32);
        }
        at = end;
    }
    let offset = match &b[at..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (h, m) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    let two = |a: u8, b: u8| -> Option<i64> {
                        (a.is_ascii_digit() && b.is_ascii_digit())
                            .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                    };
                    (two(*h1, *h2)?, two(*m1, *m2)?)
                }
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = h * 3600 + m * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    Some(Timestamp {
        secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    })
}

/// A duration back from now: a whole number and a unit, `s`, `m` (minutes), `h`, `d` or `w`,
/// e.g. `30d`, `12h`, `2w`. Returns the number of seconds.
pub fn parse_relative(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    (number >= 0).then(|| number.checked_mul(scale)).flatten()
}

/// `--since` / `--until` values: an RFC 3339 date or date-time, or a duration back from `now`.
pub fn parse_instant(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    if let Some(t) = parse_rfc3339(text) {
        return Ok(t);
    }
    if let Some(seconds) = parse_relative(text) {
        return Ok(Timestamp {
            secs: now.secs.saturating_sub(seconds),
            nanos: now.nanos,
        });
    }
    Err(format!(
        "`{text}` is not a time: write a date (2024-05-01), a date and time (2024-05-01T12:00:00Z, \
         2024-05-01T14:00:00+02:00) or a duration back from now (30d, 12h, 90m, 2w)"
    ))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of `days_from_civil`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        parse_rfc3339(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn cloudtrail_event_times() {
        assert_eq!(t("1970-01-01T00:00:00Z"), Timestamp::from_secs(0));
        assert_eq!(t("2018-08-21T17:07:49Z").secs, 1_534_871_269);
        assert_eq!(
            t("2018-08-21T17:07:49Z").to_rfc3339(),
            "2018-08-21T17:07:49Z"
        );
        assert_eq!(t("2024-02-29T23:59:59Z").day(), "2024-02-29");
    }

    #[test]
    fn other_forms() {
        let base = t("2024-05-01T12:00:00Z");
        assert_eq!(t("2024-05-01 12:00:00Z"), base);
        assert_eq!(t("2024-05-01t12:00:00z"), base);
        assert_eq!(t("2024-05-01T12:00:00"), base, "no zone: UTC");
        assert_eq!(t("2024-05-01T14:00:00+02:00"), base);
        assert_eq!(t("2024-05-01T07:00:00-0500"), base);
        assert_eq!(t("2024-05-01").secs, base.secs - 12 * 3600);
        let fraction = t("2024-05-01T12:00:00.25Z");
        assert_eq!((fraction.secs, fraction.nanos), (base.secs, 250_000_000));
        assert_eq!(fraction.to_rfc3339(), "2024-05-01T12:00:00.25Z");
        assert_eq!(t("2024-05-01T12:00:00.123456789123Z").nanos, 123_456_789);
        assert!(fraction > base);
        assert_eq!(t("1969-12-31T23:59:59Z").secs, -1);
        assert_eq!(
            t("1969-12-31T23:59:59Z").to_rfc3339(),
            "1969-12-31T23:59:59Z"
        );
    }

    #[test]
    fn nonsense_is_refused() {
        for text in [
            "",
            "2024",
            "2024-13-01",
            "2023-02-29",
            "2024-04-31",
            "2024-05-01T25:00:00Z",
            "2024-05-01T12:00Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T12:00:00+2",
            "2024-05-01T12:00:00 UTC",
            "2024-05-01X12:00:00Z",
            "24-05-01",
            "2024-0a-01",
            "２０２４-05-01",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn days_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!(d >= 1 && d <= days_in_month(y, m));
        }
    }

    #[test]
    fn relative_durations() {
        assert_eq!(parse_relative("30d"), Some(30 * 86_400));
        assert_eq!(parse_relative("12h"), Some(12 * 3600));
        assert_eq!(parse_relative("90m"), Some(90 * 60));
        assert_eq!(parse_relative("2w"), Some(14 * 86_400));
        assert_eq!(parse_relative("45s"), Some(45));
        assert_eq!(parse_relative("d"), None);
        assert_eq!(parse_relative("-3d"), None);
        assert_eq!(parse_relative("3y"), None);
        assert_eq!(parse_relative("é"), None);
        let now = t("2024-05-31T08:30:00Z");
        assert_eq!(
            parse_instant("30d", now).unwrap(),
            t("2024-05-01T08:30:00Z")
        );
        assert_eq!(parse_instant("2024-05-01", now).unwrap(), t("2024-05-01"));
        assert!(parse_instant("last month", now)
            .unwrap_err()
            .contains("not a time"));
    }
}
