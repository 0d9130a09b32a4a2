//! Times for `slsr logs`: `--since` (a duration back from now, as sam and Serverless take
//! it, or an RFC 3339 time) and an event's time as each line shows it (UTC, to the
//! millisecond, so that the lines of one function stay aligned).

use std::time::Duration;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

/// Where `--since` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before now.
    Ago(Duration),
    /// At this time, in milliseconds since the epoch.
    At(i64),
}

impl Since {
    /// The start in milliseconds since the epoch, `now` being that too.
    pub fn start(self, now: i64) -> i64 {
        match self {
            Since::Ago(d) => now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Since::At(at) => at,
        }
    }
}

/// `--since`'s value: `30s`, `10m`, `2h`, `1d`, `1w` or several (`1h30m`), or an RFC 3339
/// time (`2026-01-02T15:04:05Z`, `2026-01-02T17:04:05+02:00`).
pub fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim();
    if let Some(d) = duration(text) {
        return Ok(Since::Ago(d));
    }
    // A time starts with its year: `2026-`.
    let bytes = text.as_bytes();
    let dated = bytes.len() > 5 && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[4] == b'-';
    if dated {
        return DateTime::from_str(text, Format::DateTimeWithOffset)
            .map_err(|e| format!("`{text}` is not an RFC 3339 time ({e})"))
            .and_then(|t| {
                t.to_millis()
                    .map_err(|_| format!("`{text}` is too far from now"))
            })
            .map(Since::At);
    }
    Err(format!(
        "`{text}` is neither a duration (30s, 10m, 2h, 1d, 1h30m) nor an RFC 3339 time (2026-01-02T15:04:05Z)"
    ))
}

/// A duration of one or more number-and-unit parts; `None` when `text` is not one.
fn duration(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        let unit = match rest[digits..].chars().next()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        // The unit is one ASCII letter.
        rest = &rest[digits + 1..];
    }
    Some(Duration::from_secs(total))
}

/// `2026-01-02T15:04:05.120Z`: an event's time in UTC, always with its milliseconds.
pub fn utc(millis: i64) -> String {
    let seconds = DateTime::from_secs(millis.div_euclid(1000))
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| millis.to_string());
    format!(
        "{}.{:03}Z",
        seconds.trim_end_matches('Z'),
        millis.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_count_back_from_now() {
        let now = 1_000_000_000;
        assert_eq!(parse_since("30s").unwrap().start(now), now - 30_000);
        assert_eq!(parse_since("10m").unwrap().start(now), now - 600_000);
        assert_eq!(parse_since("2h").unwrap().start(now), now - 7_200_000);
        assert_eq!(parse_since("1d").unwrap().start(now), now - 86_400_000);
        assert_eq!(parse_since("1h30m").unwrap().start(now), now - 5_400_000);
        assert_eq!(parse_since("0s").unwrap().start(now), now);
    }

    #[test]
    fn an_rfc_3339_time_is_its_own_start() {
        // 2025-01-01T00:00:00Z is 1735689600 seconds after the epoch (`date -d ... +%s`).
        assert_eq!(
            parse_since("2025-01-01T00:00:00Z").unwrap(),
            Since::At(1_735_689_600_000)
        );
        assert_eq!(
            parse_since("2025-01-01T02:00:00.5+02:00").unwrap(),
            Since::At(1_735_689_600_500)
        );
    }

    #[test]
    fn anything_else_is_refused_saying_what_is_taken() {
        for bad in [
            "",
            "10",
            "m",
            "10x",
            "1.5h",
            "-5m",
            "ten minutes",
            "10m5",
            "10é",
            "ééé-x",
        ] {
            let e = parse_since(bad).unwrap_err();
            assert!(e.contains("neither a duration"), "{bad}: {e}");
        }
        let e = parse_since("2025-13-01T00:00:00Z").unwrap_err();
        assert!(e.contains("is not an RFC 3339 time"), "{e}");
        assert!(parse_since("99999999999999999999d").is_err());
    }

    #[test]
    fn times_print_in_utc_with_milliseconds() {
        assert_eq!(utc(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
        assert_eq!(utc(1_735_689_601_250), "2025-01-01T00:00:01.250Z");
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
    }
}
