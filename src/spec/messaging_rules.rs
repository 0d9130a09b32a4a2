//! Rules that span fields of the messaging resources: topic names, what `sns` events name
//! and their filter policies, and the schedules that go through EventBridge Scheduler
//! (their at() expressions, IANA timezones and the names of their group and role). Part of
//! `rules::check` (through `data_rules::check`); the same positions and codes.

use super::load::Project;
use super::model::{Event, Schedule, ScheduleEvent, SnsEvent};
use super::rules::{span, undeclared};
use crate::spec::diag::{Code, Diagnostic};

/// Whether a schedule goes through EventBridge Scheduler rather than an EventBridge rule:
/// it has a timezone, a flexible window, or is a one-off at() expression.
pub fn through_scheduler(s: &Schedule) -> bool {
    s.timezone.is_some() || s.flexible_window.is_some() || is_at(&s.expression)
}

/// The `schedule` events that go through Scheduler, with their function.
pub fn scheduled(p: &Project) -> impl Iterator<Item = (&String, &Schedule)> {
    p.functions.iter().flat_map(|(name, f)| {
        f.events.iter().flatten().filter_map(move |e| match e {
            Event::Schedule(ScheduleEvent::Detailed(d)) if through_scheduler(d) => Some((name, d)),
            _ => None,
        })
    })
}

fn is_at(expression: &str) -> bool {
    expression.trim().starts_with("at(")
}

/// Checks a schedule's expression: rate() and cron() as EventBridge does, at() as
/// Scheduler does (`at(yyyy-mm-ddThh:mm:ss)`).
pub fn check_expression(expression: &str) -> Result<(), String> {
    let e = expression.trim();
    let Some(body) = e.strip_prefix("at(") else {
        return super::schedule::check(e);
    };
    let ok = body.strip_suffix(')').is_some_and(|t| {
        let b = t.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let number = |r: std::ops::Range<usize>| t[r].parse::<u32>().unwrap_or(99);
        b.len() == 19
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && (1..=12).contains(&number(5..7))
            && (1..=31).contains(&number(8..10))
            && number(11..13) < 24
            && number(14..16) < 60
            && number(17..19) < 60
    });
    if ok {
        Ok(())
    } else {
        Err("a one-off schedule is `at(yyyy-mm-ddThh:mm:ss)`, for example at(2027-01-01T00:00:00), read in the schedule's timezone".into())
    }
}

/// The names of the IANA time zone database (tzdata 2025b, as Python's
/// `zoneinfo.available_timezones()` lists them, links such as US/Eastern included), one a
/// line: the names Scheduler takes. Regenerate with
/// `python3 -c "import zoneinfo; print(*sorted(zoneinfo.available_timezones() - {'Factory', 'localtime'}), sep='\n')" > src/spec/timezones.txt`.
const TIMEZONES: &str = include_str!("timezones.txt");

fn timezones() -> impl Iterator<Item = &'static str> {
    TIMEZONES.lines().filter(|l| !l.is_empty())
}

/// Whether `tz` is a name of the IANA time zone database (Europe/Paris,
/// America/Argentina/Buenos_Aires, Etc/GMT+5, UTC), so that a misspelt zone is an error
/// at its line rather than Scheduler's refusal at apply.
pub fn valid_timezone(tz: &str) -> bool {
    timezones().any(|name| name == tz)
}

/// Scheduler's limit on schedule and group names, and IAM's on role names.
const MAX_NAME: usize = 64;

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    check_topics(p, diags);
    for (name, bus) in &p.buses {
        super::rules::check_tag_map(p, &format!("buses.{name}.tags"), &bus.tags, diags);
    }
    check_keys(p, diags);
    for (name, f) in &p.functions {
        let mut topics: Vec<&str> = Vec::new();
        let mut scheduled = false;
        for (i, event) in f.events.iter().flatten().enumerate() {
            let path = format!("{}[{i}]", super::rules::events_path(p, name));
            match event {
                Event::Sns(sns) => {
                    check_sns_event(p, &format!("{path}.sns"), sns, diags);
                    if topics.contains(&sns.topic.as_str()) {
                        diags.push(
                            Diagnostic::error(
                                Code::Conflict,
                                span(p, &format!("{path}.sns.topic")),
                                format!("function `{name}` is already subscribed to `{}`", sns.topic),
                            )
                            .with_label("a second subscription")
                            .with_help("SNS keeps one subscription of a function to a topic: merge the two events' filter policies"),
                        );
                    }
                    topics.push(&sns.topic);
                }
                Event::Schedule(ScheduleEvent::Detailed(s)) if through_scheduler(s) => {
                    scheduled = true;
                    check_scheduled(p, name, &format!("{path}.schedule"), s, diags);
                }
                _ => {}
            }
        }
        if scheduled && super::names::valid_key(name) {
            let role = p.physical_name(&format!("{name}.scheduler"));
            name_limit(
                p,
                &role,
                MAX_NAME,
                "IAM role name of the function's scheduler role",
                &format!("functions.{name}"),
                diags,
            );
        }
    }
    if scheduled(p).next().is_some() {
        let group = format!("{}-{}", p.service, p.stage);
        name_limit(
            p,
            &group,
            MAX_NAME,
            "Scheduler schedule group name",
            "service",
            diags,
        );
    }
}

/// The keys of topics without an exact name, and of buses, become part of AWS names.
fn check_keys(p: &Project, diags: &mut Vec<Diagnostic>) {
    let topics = p
        .topics
        .iter()
        .filter(|(_, t)| t.name.is_none())
        .map(|(k, _)| ("topics", k));
    let buses = p.buses.keys().map(|k| ("buses", k));
    for (section, key) in topics.chain(buses) {
        let path = format!("{section}.{key}");
        if !super::names::valid_key(key) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    p.spans.key(&path).unwrap_or(span(p, &path)),
                    format!("`{key}` cannot be part of an AWS name"),
                )
                .with_label("invalid name")
                .with_help(
                    "names use letters, digits, `-` and `_`, starting with a letter or digit",
                ),
            );
        } else if section == "buses" {
            name_limit(
                p,
                &p.physical_name(key),
                256,
                "EventBridge bus name",
                &path,
                diags,
            );
        }
    }
}

fn name_limit(
    p: &Project,
    name: &str,
    max: usize,
    noun: &str,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if name.len() > max {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                p.spans.key(path).unwrap_or(span(p, path)),
                format!(
                    "the {noun} `{name}` is {} characters, over AWS's limit of {max}",
                    name.len()
                ),
            )
            .with_help("use a shorter service, stage or function name"),
        );
    }
}

fn check_scheduled(
    p: &Project,
    function: &str,
    base: &str,
    s: &Schedule,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(tz) = &s.timezone
        && !valid_timezone(tz)
    {
        let help = match super::structure::closest(tz, timezones()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => {
                "write an IANA time zone name such as Europe/Paris, America/New_York or UTC".into()
            }
        };
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(p, &format!("{base}.timezone")),
                format!("`{tz}` is not an IANA time zone name"),
            )
            .with_label("unknown time zone")
            .with_help(help),
        );
    }
    let suffix = s.name.clone().unwrap_or_else(|| "x".repeat(8));
    let schedule = format!("{function}-{suffix}");
    name_limit(
        p,
        &schedule,
        MAX_NAME,
        "Scheduler schedule name",
        base,
        diags,
    );
}

fn check_topics(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, t) in &p.topics {
        let base = format!("topics.{name}");
        super::rules::check_tag_map(p, &format!("{base}.tags"), &t.tags, diags);
        let fifo = t.fifo == Some(true);
        match &t.name {
            Some(exact) if exact.ends_with(".fifo") != fifo => diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    span(p, &format!("{base}.name")),
                    if fifo {
                        format!("FIFO topic `{name}` is named `{exact}`, without `.fifo`")
                    } else {
                        format!("topic `{name}` is named `{exact}`, which only a FIFO topic may end with")
                    },
                )
                .with_help("SNS takes `.fifo` at the end of a FIFO topic's name, and only there"),
            ),
            Some(_) => {}
            None if super::names::valid_key(name) => {
                let physical = p.physical_name(name);
                if physical.len() + if fifo { 5 } else { 0 } > 256 {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidName,
                            p.spans.key(&base).unwrap_or(span(p, &base)),
                            format!("the SNS topic name `{physical}` is over SNS's limit of 256 characters"),
                        )
                        .with_help("use a shorter name, or give the topic an exact `name`"),
                    );
                }
            }
            None => {}
        }
    }
}

/// An existing topic's ARN: arn:aws:sns:REGION:ACCOUNT:NAME.
pub fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() == 6
        && parts[..3] == ["arn", "aws", "sns"]
        && parts[3..].iter().all(|p| !p.is_empty())
}

fn check_sns_event(p: &Project, base: &str, sns: &SnsEvent, diags: &mut Vec<Diagnostic>) {
    let at = span(p, &format!("{base}.topic"));
    if sns.topic.starts_with("arn:") {
        let declared = p.topics.iter().find(|(key, t)| {
            let physical = t.name.clone().unwrap_or_else(|| {
                format!(
                    "{}{}",
                    p.physical_name(key),
                    if t.fifo == Some(true) { ".fifo" } else { "" }
                )
            });
            sns.topic.ends_with(&format!(":{physical}"))
        });
        if !is_topic_arn(&sns.topic) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("`{}` is not an SNS topic's ARN", sns.topic),
                )
                .with_help("name a topic under `topics`, or an existing topic's ARN: arn:aws:sns:REGION:ACCOUNT:NAME"),
            );
        } else if let Some((key, _)) = declared {
            diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    at,
                    format!("`{}` is topic `{key}` of this spec", sns.topic),
                )
                .with_help(format!("write `topic: {key}`")),
            );
        }
    } else if !p.topics.contains_key(&sns.topic) {
        diags.push(undeclared(
            at,
            "topic",
            &sns.topic,
            p.topics.keys(),
            "topics",
        ));
    }
    if sns.filter_policy_scope.is_some() && sns.filter_policy.is_none() {
        diags.push(
            Diagnostic::error(
                Code::MissingField,
                span(p, &format!("{base}.filter_policy_scope")),
                "a filter policy scope without a `filter_policy`",
            )
            .with_help("add a filter_policy, or remove filter_policy_scope"),
        );
    }
    if sns.filter_policy.as_ref().is_some_and(|f| f.is_empty()) {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(p, &format!("{base}.filter_policy")),
                "a filter policy must match on at least one attribute",
            )
            .with_help(
                "for example {type: [placed]}, or remove filter_policy to get every message",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_take_the_iana_form() {
        for tz in [
            "Europe/Paris",
            "UTC",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "America/Port-au-Prince",
        ] {
            assert!(valid_timezone(tz), "{tz}");
        }
        for tz in [
            "Paris",
            "europe/paris",
            "Mars/Olympus",
            "Europe/",
            "CEST",
            "Europe/Paris/x/y",
            "Europe/Atlantis",
            "Europe/Pariss",
        ] {
            assert!(!valid_timezone(tz), "{tz}");
        }
    }

    #[test]
    fn at_expressions_are_one_moment() {
        assert!(check_expression("at(2027-01-01T00:00:00)").is_ok());
        assert!(check_expression("cron(0 3 * * ? *)").is_ok());
        assert!(check_expression("at(2027-13-01T00:00:00)").is_err());
        assert!(check_expression("at(2027-01-01 00:00:00)").is_err());
        assert!(check_expression("at(2027-01-01T00:00)").is_err());
    }
}
