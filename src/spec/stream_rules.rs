//! Rules that span fields of Kinesis streams, secrets and `kinesis` events: a stream's mode
//! against its shard count, a secret's KMS key (a key, which `access` can grant decrypting
//! with), what a `kinesis` event names, and a secret's ARN in `access`. Part of
//! `rules::check` (through `data_rules::check`); the same positions and codes.

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::model::{Event, KinesisEvent, StreamMode};
use super::rules::{span, undeclared};
use super::source::Span;

/// Kinesis's and Secrets Manager's longest names.
const MAX_STREAM_NAME: usize = 128;
const MAX_SECRET_NAME: usize = 512;

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let too_long = |section: &str, name: &str, physical: String, most: usize| {
        (physical.len() > most).then(|| {
            Diagnostic::error(
                Code::InvalidName,
                {
                    let path = format!("{section}.{name}");
                    p.spans.key(&path).unwrap_or(span(p, &path))
                },
                format!(
                    "`{physical}` is {} characters, over the {most} AWS allows",
                    physical.len()
                ),
            )
            .with_help("shorten the service, stage or key, or give it a shorter `name`")
        })
    };
    for (name, s) in &p.streams {
        super::rules::check_tag_map(p, &format!("streams.{name}.tags"), &s.tags, diags);
        let physical = s.name.clone().unwrap_or_else(|| p.physical_name(name));
        diags.extend(too_long("streams", name, physical, MAX_STREAM_NAME));
        if s.mode == Some(StreamMode::OnDemand) && s.shards.is_some() {
            diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    span(p, &format!("streams.{name}.shards")),
                    format!("stream `{name}` is on_demand and also gives `shards`"),
                )
                .with_label("Kinesis decides an on-demand stream's shards")
                .with_help("remove `shards`, or write `mode: provisioned`"),
            );
        }
    }
    for (name, s) in &p.secrets {
        super::rules::check_tag_map(p, &format!("secrets.{name}.tags"), &s.tags, diags);
        let physical = s.name.clone().unwrap_or_else(|| p.physical_name(name));
        diags.extend(too_long("secrets", name, physical, MAX_SECRET_NAME));
        if let Some(key) = &s.kms_key
            && (key.starts_with("alias/") || key.contains(":alias/"))
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &format!("secrets.{name}.kms_key")),
                    format!("secret `{name}` names its KMS key by an alias, `{key}`"),
                )
                .with_help("name the key by its id or ARN: `access` grants kms:Decrypt on the key itself, which an alias does not name in IAM"),
            );
        }
    }
    check_repeated_kinesis(p, diags);
}

/// Whether `arn` is a Kinesis stream's ARN: arn:aws:kinesis:REGION:ACCOUNT:stream/NAME.
pub fn is_kinesis_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[..3] == ["arn", "aws", "kinesis"]
        && parts[5]
            .strip_prefix("stream/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

pub fn check_kinesis_event(p: &Project, path: &str, k: &KinesisEvent, diags: &mut Vec<Diagnostic>) {
    let base = format!("{path}.kinesis");
    let at = span(p, &format!("{base}.stream"));
    if k.stream.starts_with("arn:") {
        if !is_kinesis_arn(&k.stream) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("`{}` is not a Kinesis stream's ARN", k.stream),
                )
                .with_help("name a stream under `streams`, or an existing stream's ARN: arn:aws:kinesis:REGION:ACCOUNT:stream/NAME"),
            );
        }
    } else if !p.streams.contains_key(&k.stream) {
        diags.push(undeclared(
            at,
            "stream",
            &k.stream,
            p.streams.keys(),
            "streams",
        ));
    }
    super::data_rules::check_stream_mapping(
        p,
        &base,
        k.on_failure.as_ref(),
        k.max_record_age,
        &k.filters,
        diags,
    );
}

/// Lambda maps a stream to a function once: a second `kinesis` event of one function on
/// the same stream is refused (ResourceConflictException).
fn check_repeated_kinesis(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, f) in &p.functions {
        let mut seen: Vec<&str> = Vec::new();
        for (i, event) in f.events.iter().flatten().enumerate() {
            let Event::Kinesis(k) = event else { continue };
            if seen.contains(&k.stream.as_str()) {
                let path = format!("{}[{i}].kinesis.stream", super::rules::events_path(p, name));
                diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        span(p, &path),
                        format!("function `{name}` already reads stream `{}`", k.stream),
                    )
                    .with_label("a second mapping of this stream")
                    .with_help("Lambda maps a stream to a function once: merge the two events (filters take up to 5 patterns)"),
                );
            }
            seen.push(&k.stream);
        }
    }
}

/// `access: {"secret.ARN": read}`: the ARN of a secret.
pub fn check_secret_arn(at: Span, arn: &str, diags: &mut Vec<Diagnostic>) {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let valid = parts.len() == 7
        && parts[..3] == ["arn", "aws", "secretsmanager"]
        && parts[5] == "secret"
        && !parts[6].is_empty();
    if !valid {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                at,
                format!("`{arn}` is not a Secrets Manager secret's ARN"),
            )
            .with_help("write secret.NAME for a secret under `secrets`, or secret.arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinesis_arns_are_told_from_others() {
        assert!(is_kinesis_arn(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
        ));
        assert!(!is_kinesis_arn(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/"
        ));
        assert!(!is_kinesis_arn(
            "arn:aws:kinesis:eu-west-1:123456789012:stream/a/consumer/b"
        ));
        assert!(!is_kinesis_arn("arn:aws:sqs:eu-west-1:123456789012:clicks"));
    }
}
