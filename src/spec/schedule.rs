//! EventBridge schedule expressions: `rate(...)` and `cron(...)`, checked as EventBridge
//! checks them, so a typo fails at validate time and not halfway through an apply.

/// Checks one expression; the error says what EventBridge expects.
pub fn check(expression: &str) -> Result<(), String> {
    let e = expression.trim();
    if let Some(body) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        return check_rate(body);
    }
    if let Some(body) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return check_cron(body);
    }
    Err("a schedule is `rate(VALUE UNIT)` or `cron(minutes hours day-of-month month day-of-week year)`".into())
}

fn check_rate(body: &str) -> Result<(), String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts.as_slice() else {
        return Err("rate() takes a value and a unit, for example rate(5 minutes)".into());
    };
    let n: u64 = value
        .parse()
        .map_err(|_| format!("rate value `{value}` must be a positive whole number"))?;
    if n == 0 {
        return Err("rate value must be at least 1".into());
    }
    let singular = matches!(*unit, "minute" | "hour" | "day");
    let plural = matches!(*unit, "minutes" | "hours" | "days");
    match (n == 1, singular, plural) {
        (true, true, _) | (false, _, true) => Ok(()),
        (true, false, true) => Err(format!(
            "write rate(1 {}): a value of 1 takes the singular unit",
            unit.trim_end_matches('s')
        )),
        (false, true, _) => Err(format!(
            "write rate({n} {unit}s): a value over 1 takes the plural unit"
        )),
        _ => Err(format!(
            "unknown rate unit `{unit}`; use minute(s), hour(s) or day(s)"
        )),
    }
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: DAYS,
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
    },
];

fn check_cron(body: &str) -> Result<(), String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    if parts.len() != 6 {
        return Err(format!(
            "cron() takes 6 fields (minutes hours day-of-month month day-of-week year), found {}; EventBridge has a year field and no seconds",
            parts.len()
        ));
    }
    for (i, (part, field)) in parts.iter().zip(FIELDS.iter()).enumerate() {
        check_field(part, field, i).map_err(|e| format!("{} field `{part}`: {e}", field.name))?;
    }
    match (parts[2] == "?", parts[4] == "?") {
        (true, true) => Err("only one of day-of-month and day-of-week may be `?`".into()),
        (false, false) => Err(
            "one of day-of-month and day-of-week must be `?`, for example cron(0 3 * * ? *)".into(),
        ),
        _ => Ok(()),
    }
}

fn check_field(part: &str, field: &Field, index: usize) -> Result<(), String> {
    let day_of_month = index == 2;
    let day_of_week = index == 4;
    if part == "?" {
        return if day_of_month || day_of_week {
            Ok(())
        } else {
            Err("`?` is allowed only in day-of-month and day-of-week".into())
        };
    }
    if day_of_month && matches!(part, "L" | "LW") {
        return Ok(());
    }
    if day_of_month && let Some(day) = part.strip_suffix('W') {
        return value(day, field).map(|_| ());
    }
    if day_of_week && part == "L" {
        return Ok(());
    }
    if day_of_week && let Some(day) = part.strip_suffix('L') {
        return value(day, field).map(|_| ());
    }
    if day_of_week && let Some((day, nth)) = part.split_once('#') {
        value(day, field)?;
        return match nth.parse::<u32>() {
            Ok(1..=5) => Ok(()),
            _ => Err(format!("`#{nth}` must be #1 to #5")),
        };
    }
    for item in part.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(s) if s >= 1 => {}
                _ => return Err(format!("step `/{step}` must be a positive number")),
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((lo, hi)) => {
                value(lo, field)?;
                value(hi, field)?;
            }
            None => {
                value(range, field)?;
            }
        }
    }
    Ok(())
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    if let Some(i) = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        return Ok(i as u32 + field.min);
    }
    let names = if field.names.is_empty() {
        String::new()
    } else {
        format!(
            " or {}-{}",
            field.names[0],
            field.names[field.names.len() - 1]
        )
    };
    match text.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}` is not {}-{}{names}",
            field.min, field.max
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_eventbridge_accepts() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(2 days)",
            "cron(0 3 * * ? *)",
            "cron(15 10 ? * 6L 2026-2030)",
            "cron(0/15 * * * ? *)",
            "cron(0 8 1 JAN-MAR ? *)",
            "cron(0 12 ? * MON-FRI *)",
            "cron(0 0 L * ? *)",
            "cron(0 0 ? * 3#2 *)",
            "cron(0 0 15W * ? *)",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_what_eventbridge_rejects() {
        for (bad, says) in [
            ("rate(1 minutes)", "singular"),
            ("rate(5 minute)", "plural"),
            ("rate(0 hours)", "at least 1"),
            ("rate(5 weeks)", "unit"),
            ("cron(0 3 * * *)", "6 fields"),
            ("cron(0 3 * * * *)", "must be `?`"),
            ("cron(60 3 * * ? *)", "minutes"),
            ("cron(0 24 * * ? *)", "hours"),
            ("cron(0 3 ? * 8 *)", "day-of-week"),
            ("cron(0 3 ? FOO * *)", "month"),
            ("every 5 minutes", "rate(VALUE UNIT)"),
            ("cron(0 3 * * ? 1900)", "year"),
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
