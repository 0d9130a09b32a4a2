//! Rules that span fields of the data resources: table keys and indexes against their
//! attribute types, bucket names, `access` grants, `s3` and `dynamodb` events (what they
//! name, and S3 notification rules that would overlap), and references to a table's
//! stream. Part of `rules::check`; the same positions and codes.

use super::load::Project;
use super::model::{AccessLevel, DynamodbEvent, Event, Function, OnFailure, S3Event, Table};
use super::names::{self, Kind};
use super::rules::{span, undeclared};
use crate::spec::diag::{Code, Diagnostic};

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, table) in &p.tables {
        check_table(p, name, table, diags);
    }
    check_buckets(p, diags);
    for (name, f) in &p.functions {
        check_access(p, name, f, diags);
        for (i, event) in f.events.iter().flatten().enumerate() {
            let path = format!("{}[{i}]", super::rules::events_path(p, name));
            match event {
                Event::S3(s3) => check_s3_event(p, &path, s3, diags),
                Event::Dynamodb(d) => check_dynamodb_event(p, &path, d, diags),
                Event::Sqs(sqs) => check_filters(p, &format!("{path}.sqs"), &sqs.filters, diags),
                // Checked with the messaging resources (`messaging_rules.rs`).
                Event::Kinesis(k) => super::stream_rules::check_kinesis_event(p, &path, k, diags),
                // `rest` events are checked with the REST API (`rest_rules.rs`).
                Event::Http(_)
                | Event::Schedule(_)
                | Event::Eventbridge(_)
                | Event::Sns(_)
                | Event::Rest(_) => {}
            }
        }
    }
    super::messaging_rules::check(p, diags);
    super::stream_rules::check(p, diags);
    check_overlapping_notifications(p, diags);
    check_stream_references(p, diags);
    check_repeated_streams(p, diags);
}

/// Lambda takes one mapping of a stream to a function: a second `dynamodb` event of one
/// function on the same table is refused (ResourceConflictException).
fn check_repeated_streams(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, f) in &p.functions {
        let mut seen: Vec<&str> = Vec::new();
        for (i, event) in f.events.iter().flatten().enumerate() {
            let Event::Dynamodb(d) = event else { continue };
            if seen.contains(&d.table.as_str()) {
                let path = format!("{}[{i}].dynamodb.table", super::rules::events_path(p, name));
                diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        span(p, &path),
                        format!("function `{name}` already reads the stream of `{}`", d.table),
                    )
                    .with_label("a second mapping of this stream")
                    .with_help("Lambda maps a stream to a function once: merge the two events (filters take up to 5 patterns)"),
                );
            }
            seen.push(&d.table);
        }
    }
}

/// DynamoDB's default quota of global secondary indexes per table.
const MAX_INDEXES: usize = 20;

fn check_table(p: &Project, name: &str, t: &Table, diags: &mut Vec<Diagnostic>) {
    let base = format!("tables.{name}");
    if t.name.is_none() && names::valid_key(name) {
        let physical = p.physical_name(name);
        super::rules::name_length(&physical, Kind::Table, span(p, &base), diags);
    }
    super::rules::check_tag_map(p, &format!("{base}.tags"), &t.tags, diags);
    let mut keys = vec![(format!("{base}.key.partition"), &t.key.partition)];
    keys.extend(t.key.sort.iter().map(|s| (format!("{base}.key.sort"), s)));
    if t.key.sort.as_ref() == Some(&t.key.partition) {
        diags.push(
            Diagnostic::error(
                Code::Conflict,
                span(p, &format!("{base}.key.sort")),
                format!(
                    "table `{name}`'s sort key is its partition key `{}`",
                    t.key.partition
                ),
            )
            .with_help("a sort key is a second attribute; remove `sort` or name another attribute"),
        );
    }
    if t.indexes.len() > MAX_INDEXES {
        diags.push(
            Diagnostic::error(
                Code::ListLength,
                span(p, &format!("{base}.indexes")),
                format!(
                    "table `{name}` has {} indexes; DynamoDB allows {MAX_INDEXES}",
                    t.indexes.len()
                ),
            )
            .with_help("merge indexes, or ask AWS to raise the quota and split the table"),
        );
    }
    for (index, i) in &t.indexes {
        let at = format!("{base}.indexes.{index}");
        let valid = (3..=255).contains(&index.len())
            && index
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    p.spans.key(&at).unwrap_or(span(p, &at)),
                    format!("`{index}` is not a DynamoDB index name"),
                )
                .with_help("index names are 3 to 255 letters, digits, `_`, `-` and `.`"),
            );
        }
        keys.push((format!("{at}.partition"), &i.partition));
        keys.extend(i.sort.iter().map(|s| (format!("{at}.sort"), s)));
    }
    for (path, attribute) in &keys {
        if !t.attributes.contains_key(*attribute) {
            diags.push(
                Diagnostic::error(
                    Code::Undeclared,
                    span(p, path),
                    format!("key attribute `{attribute}` has no type under `{base}.attributes`"),
                )
                .with_label("no type")
                .with_help(format!(
                    "add `{attribute}: string` (or number, binary) under `attributes`"
                )),
            );
        }
    }
    for attribute in t.attributes.keys() {
        if !keys.iter().any(|(_, k)| *k == attribute) {
            let at = format!("{base}.attributes.{attribute}");
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    p.spans.key(&at).unwrap_or(span(p, &at)),
                    format!("attribute `{attribute}` is not a key of table `{name}` or of its indexes"),
                )
                .with_label("not a key")
                .with_help("DynamoDB takes the types of key attributes only; other attributes need no declaration"),
            );
        }
    }
}

fn check_buckets(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, b) in &p.buckets {
        let base = format!("buckets.{name}");
        let at = p.spans.key(&base).unwrap_or(span(p, &base));
        super::rules::check_tag_map(p, &format!("{base}.tags"), &b.tags, diags);
        match &b.name {
            Some(exact) => {
                if let Some(why) = bucket_name_problem(exact) {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidName,
                            span(p, &format!("{base}.name")),
                            format!("`{exact}` is not a bucket name S3 accepts: {why}"),
                        )
                        .with_help("bucket names are 3 to 63 lower-case letters, digits, `-` and `.`, starting and ending with a letter or digit"),
                    );
                }
            }
            None => {
                let lower = name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !lower {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidName,
                            at,
                            format!("`{name}` cannot be part of a bucket name"),
                        )
                        .with_label("invalid bucket name")
                        .with_help("bucket names are lower case: use lower-case letters, digits and `-`, or give the bucket an exact `name`"),
                    );
                } else {
                    // The account id is 12 digits, known or not.
                    let physical = format!("{}-123456789012", p.physical_name(name));
                    super::rules::name_length(&physical, Kind::Bucket, at, diags);
                }
            }
        }
        let mut prefixes: Vec<&str> = Vec::new();
        for (i, rule) in b.lifecycle.iter().enumerate() {
            let prefix = rule.prefix.as_deref().unwrap_or("");
            if prefixes.contains(&prefix) {
                diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        span(p, &format!("{base}.lifecycle[{i}]")),
                        format!("a second lifecycle rule for the prefix `{prefix}`"),
                    )
                    .with_label("same prefix")
                    .with_help("one rule takes expire_days, noncurrent_expire_days and abort_incomplete_upload_days together: merge the two"),
                );
            }
            prefixes.push(prefix);
            let none = rule.expire_days.is_none()
                && rule.noncurrent_expire_days.is_none()
                && rule.abort_incomplete_upload_days.is_none();
            if none {
                diags.push(
                    Diagnostic::error(
                        Code::MissingField,
                        span(p, &format!("{base}.lifecycle[{i}]")),
                        "a lifecycle rule that expires nothing",
                    )
                    .with_help("give it expire_days, noncurrent_expire_days or abort_incomplete_upload_days"),
                );
            }
        }
    }
}

/// Why S3 would refuse an exact bucket name, beyond the schema's characters and length.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    if name.contains("..") {
        return Some("two dots in a row");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("it is formatted as an IP address");
    }
    if ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return Some("the prefix is reserved");
    }
    if ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return Some("the suffix is reserved");
    }
    None
}

/// The kinds `access` takes, and the levels each allows.
const ACCESS: &[(&str, &[AccessLevel])] = &[
    (
        "table",
        &[
            AccessLevel::Read,
            AccessLevel::Write,
            AccessLevel::ReadWrite,
        ],
    ),
    (
        "bucket",
        &[
            AccessLevel::Read,
            AccessLevel::Write,
            AccessLevel::ReadWrite,
        ],
    ),
    ("queue", &[AccessLevel::Send]),
    ("state_machine", &[AccessLevel::Start]),
    ("topic", &[AccessLevel::Publish]),
    ("stream", &[AccessLevel::Write]),
    ("secret", &[AccessLevel::Read]),
];

fn check_access(p: &Project, name: &str, f: &Function, diags: &mut Vec<Diagnostic>) {
    let Some(access) = &f.access else { return };
    let own = format!("functions.{name}.access");
    let base = if p.spans.value(&own).is_some() {
        own
    } else {
        "defaults.access".into()
    };
    if f.role.is_some() && !access.is_empty() {
        diags.push(
            Diagnostic::error(
                Code::Conflict,
                span(p, &base),
                format!("function `{name}` has both `role` and `access`"),
            )
            .with_help("`access` grants go on the generated role; a declared role is used as written: add statements to it instead"),
        );
    }
    for (target, level) in access {
        let path = format!("{base}.{target}");
        let at = p.spans.key(&path).unwrap_or(span(p, &path));
        let Some((kind, resource)) = target.split_once('.') else {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("`{target}` does not name a resource"),
                )
                .with_help(
                    "write KIND.NAME: table.NAME, bucket.NAME, queue.NAME, topic.NAME, stream.NAME, state_machine.NAME or secret.NAME",
                ),
            );
            continue;
        };
        let Some((_, levels)) = ACCESS.iter().find(|(k, _)| *k == kind) else {
            let help = match super::structure::closest(kind, ACCESS.iter().map(|(k, _)| *k)) {
                Some(best) => format!("did you mean `{best}.{resource}`?"),
                None => {
                    "access takes table.NAME, bucket.NAME, queue.NAME, topic.NAME, stream.NAME, state_machine.NAME or secret.NAME".into()
                }
            };
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("`access` does not take a `{kind}`"),
                )
                .with_help(help),
            );
            continue;
        };
        // An existing secret by its ARN: checked as an ARN, not as a name.
        if kind == "secret" && resource.starts_with("arn:") {
            super::stream_rules::check_secret_arn(at, resource, diags);
        }
        let arn = resource.to_string();
        let declared: Vec<&String> = match kind {
            _ if kind == "secret" && resource.starts_with("arn:") => vec![&arn],
            "table" => p.tables.keys().collect(),
            "bucket" => p.buckets.keys().collect(),
            "state_machine" => p.state_machines.keys().collect(),
            "topic" => p.topics.keys().collect(),
            "stream" => p.streams.keys().collect(),
            "secret" => p.secrets.keys().collect(),
            _ => p.queues.keys().collect(),
        };
        if !declared.iter().any(|d| d.as_str() == resource) {
            diags.push(undeclared(
                at,
                kind,
                resource,
                declared.into_iter(),
                &format!("{kind}s"),
            ));
            continue;
        }
        if !levels.contains(level) {
            let allowed: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &path),
                    format!("a {kind} takes no `{}` access", level.as_str()),
                )
                .with_help(format!("a {kind} takes {}", allowed.join(", "))),
            );
        }
    }
}

/// S3's event types by the short names the spec allows for them.
const S3_SHORT: &[(&str, &str)] = &[
    ("created", "s3:ObjectCreated:*"),
    ("removed", "s3:ObjectRemoved:*"),
    ("restored", "s3:ObjectRestore:*"),
    ("replicated", "s3:Replication:*"),
];

/// The event types S3 notifications take, by their own names.
const S3_EVENTS: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "s3:ReducedRedundancyLostObject",
];

/// S3's own name for an event type the spec names (`created` is `s3:ObjectCreated:*`).
pub fn s3_event_name(event: &str) -> Option<&'static str> {
    S3_SHORT
        .iter()
        .find(|(short, _)| *short == event)
        .map(|(_, name)| *name)
        .or_else(|| S3_EVENTS.iter().find(|name| **name == event).copied())
}

/// The bucket an `s3` event's `bucket` names that the spec does not declare: its name, from
/// `arn:aws:s3:::NAME`.
pub fn foreign_bucket(bucket: &str) -> Option<&str> {
    bucket
        .strip_prefix("arn:aws:s3:::")
        .filter(|n| !n.is_empty() && !n.contains('/'))
}

fn check_s3_event(p: &Project, path: &str, s3: &S3Event, diags: &mut Vec<Diagnostic>) {
    let base = format!("{path}.s3");
    let bucket_at = span(p, &format!("{base}.bucket"));
    let declared = foreign_bucket(&s3.bucket).and_then(|name| {
        p.buckets
            .iter()
            .find(|(_, b)| b.name.as_deref() == Some(name))
            .map(|(key, _)| key)
    });
    if s3.bucket.contains("${") {
        // The account and region are filled in only once the account is read, after the
        // read that needs the bucket's name.
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                bucket_at,
                format!("`{}` names its bucket with a placeholder", s3.bucket),
            )
            .with_help("write the existing bucket's name out (arn:aws:s3:::NAME), or declare the bucket under `buckets` and name it there"),
        );
    } else if let Some(key) = declared {
        diags.push(
            Diagnostic::error(
                Code::Conflict,
                bucket_at,
                format!("`{}` is bucket `{key}` of this spec", s3.bucket),
            )
            .with_help(format!(
                "write `bucket: {key}`: one name per bucket keeps its notifications in one place"
            )),
        );
    } else if s3.bucket.starts_with("arn:") {
        match foreign_bucket(&s3.bucket) {
            Some(name) if bucket_name_problem(name).is_none() => {}
            _ => diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    bucket_at,
                    format!("`{}` is not a bucket ARN", s3.bucket),
                )
                .with_help("a bucket's ARN is arn:aws:s3:::NAME; or name a bucket under `buckets`"),
            ),
        }
    } else if !p.buckets.contains_key(&s3.bucket) {
        diags.push(undeclared(
            bucket_at,
            "bucket",
            &s3.bucket,
            p.buckets.keys(),
            "buckets",
        ));
    }
    for (j, event) in s3.events.iter().enumerate() {
        if s3_event_name(event).is_none() {
            let help = match super::structure::closest(
                event,
                S3_SHORT.iter().map(|(s, _)| *s).chain(S3_EVENTS.iter().copied()),
            ) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "write created, removed, restored, replicated, or S3's own name such as s3:ObjectCreated:Put".into(),
            };
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &format!("{base}.events[{j}]")),
                    format!("`{event}` is not an S3 event type"),
                )
                .with_help(help),
            );
        }
    }
}

/// Whether two S3 event types share events (`s3:ObjectCreated:*` and `...:Put` do).
fn events_overlap(a: &str, b: &str) -> bool {
    let family = |e: &str| {
        e.rsplit_once(':')
            .map_or(e.to_string(), |(f, _)| f.to_string())
    };
    a == b || (family(a) == family(b) && (a.ends_with(":*") || b.ends_with(":*")))
}

/// S3 refuses two notification rules of one bucket that could both match one event: they
/// share an event type, and neither prefix nor suffix tells them apart.
fn check_overlapping_notifications(p: &Project, diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<(String, String, &S3Event)> = Vec::new();
    for (name, f) in &p.functions {
        for (i, event) in f.events.iter().flatten().enumerate() {
            let Event::S3(s3) = event else { continue };
            let path = format!("{}[{i}].s3", super::rules::events_path(p, name));
            let names: Vec<&str> = s3.events.iter().filter_map(|e| s3_event_name(e)).collect();
            let clash = seen.iter().find(|(_, _, other)| {
                other.bucket == s3.bucket
                    && other
                        .events
                        .iter()
                        .filter_map(|e| s3_event_name(e))
                        .any(|o| names.iter().any(|n| events_overlap(n, o)))
                    && affixes_overlap(&other.prefix, &s3.prefix, |a, b| a.starts_with(b))
                    && affixes_overlap(&other.suffix, &s3.suffix, |a, b| a.ends_with(b))
            });
            if let Some((function, _, _)) = clash {
                diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        span(p, &path),
                        format!("this s3 event on bucket `{}` overlaps one of function `{function}`: both would get the same objects' events", s3.bucket),
                    )
                    .with_label("overlapping notification")
                    .with_help("S3 refuses rules of one bucket that share an event type unless their prefixes or suffixes tell them apart (neither may be the start, or end, of the other)"),
                );
            }
            seen.push((name.clone(), path, s3));
        }
    }
}

/// Two prefixes (or suffixes) overlap when one is the start (end) of the other; none is "".
fn affixes_overlap(a: &Option<String>, b: &Option<String>, within: fn(&str, &str) -> bool) -> bool {
    let (a, b) = (a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""));
    within(a, b) || within(b, a)
}

/// Whether `arn` is a DynamoDB stream's ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL.
pub fn is_stream_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[..3] == ["arn", "aws", "dynamodb"]
        && parts[5]
            .split('/')
            .collect::<Vec<_>>()
            .as_slice()
            .first()
            .is_some_and(|t| *t == "table")
        && parts[5].split('/').count() == 4
        && parts[5].split('/').nth(2) == Some("stream")
}

fn check_dynamodb_event(p: &Project, path: &str, d: &DynamodbEvent, diags: &mut Vec<Diagnostic>) {
    let base = format!("{path}.dynamodb");
    let at = span(p, &format!("{base}.table"));
    if d.table.starts_with("arn:") {
        if !is_stream_arn(&d.table) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("`{}` is not a DynamoDB stream's ARN", d.table),
                )
                .with_help("name a table under `tables`, or an existing table's stream ARN: arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL (DescribeTable's LatestStreamArn)"),
            );
        }
    } else {
        match p.tables.get(&d.table) {
            None => diags.push(undeclared(at, "table", &d.table, p.tables.keys(), "tables")),
            Some(t) if t.stream.is_none() => diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    at,
                    format!("table `{}` has no stream for this event to read", d.table),
                )
                .with_label("no stream")
                .with_help(format!(
                    "give table `{}` a stream, e.g. `stream: new_and_old_images`",
                    d.table
                )),
            ),
            Some(_) => {}
        }
    }
    check_stream_mapping(
        p,
        &base,
        d.on_failure.as_ref(),
        d.max_record_age,
        &d.filters,
        diags,
    );
}

/// What a `dynamodb` and a `kinesis` event share, both mappings of a stream of records:
/// the queue failed records go to, the age after which a record is dropped, the filters.
pub(super) fn check_stream_mapping(
    p: &Project,
    base: &str,
    on_failure: Option<&OnFailure>,
    max_record_age: Option<i32>,
    filters: &Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(on_failure) = on_failure
        && !p.queues.contains_key(&on_failure.queue)
    {
        diags.push(undeclared(
            span(p, &format!("{base}.on_failure.queue")),
            "queue",
            &on_failure.queue,
            p.queues.keys(),
            "queues",
        ));
    }
    if let Some(age) = max_record_age
        && (0..60).contains(&age)
    {
        diags.push(
            Diagnostic::error(
                Code::OutOfRange,
                span(p, &format!("{base}.max_record_age")),
                format!("max_record_age {age} is neither -1 nor 60 to 604800 seconds"),
            )
            .with_help("-1 keeps sending a record until it expires from the stream"),
        );
    }
    check_filters(p, base, filters, diags);
}

pub(super) fn check_filters(
    p: &Project,
    base: &str,
    filters: &Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    diags: &mut Vec<Diagnostic>,
) {
    for (i, filter) in filters.iter().flatten().enumerate() {
        if filter.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &format!("{base}.filters[{i}]")),
                    "a filter pattern must match on at least one field",
                )
                .with_help("for example {eventName: [INSERT]}, or {body: {type: [order]}} for SQS"),
            );
        }
    }
}

/// `${table:NAME.stream_arn}` names the stream of a table that has `stream`.
fn check_stream_references(p: &Project, diags: &mut Vec<Diagnostic>) {
    let pattern =
        regex_lite::Regex::new(r"\$\{table:([A-Za-z0-9_-]+)\.stream_arn\}").expect("valid regex");
    for (path, value) in super::rules::reference_values(p) {
        for c in pattern.captures_iter(value) {
            let table = &c[1];
            if p.tables.get(table).is_some_and(|t| t.stream.is_none()) {
                diags.push(
                    Diagnostic::error(
                        Code::Undeclared,
                        span(p, &path),
                        format!("`${{table:{table}.stream_arn}}` names the stream of table `{table}`, which has no `stream`"),
                    )
                    .with_label("no stream")
                    .with_help(format!("give table `{table}` a stream (`stream: new_and_old_images`), or remove the reference")),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_events_overlap_by_family_and_wildcard() {
        assert!(events_overlap("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
        assert!(events_overlap(
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:Put"
        ));
        assert!(!events_overlap(
            "s3:ObjectCreated:Put",
            "s3:ObjectCreated:Post"
        ));
        assert!(!events_overlap("s3:ObjectCreated:*", "s3:ObjectRemoved:*"));
    }

    #[test]
    fn prefixes_overlap_when_one_starts_the_other() {
        let s = |v: &str| Some(v.to_string());
        assert!(affixes_overlap(&None, &s("a/"), |a, b| a.starts_with(b)));
        assert!(affixes_overlap(&s("a/"), &s("a/b/"), |a, b| a.starts_with(b)));
        assert!(!affixes_overlap(&s("a/"), &s("b/"), |a, b| a.starts_with(b)));
        assert!(!affixes_overlap(&s(".jpg"), &s(".png"), |a, b| a.ends_with(b)));
        assert!(affixes_overlap(&s(".jpg"), &s("x.jpg"), |a, b| a.ends_with(b)));
    }

    #[test]
    fn stream_arns_are_told_from_table_arns() {
        assert!(is_stream_arn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"
        ));
        assert!(!is_stream_arn(
            "arn:aws:dynamodb:us-east-1:123456789012:table/t"
        ));
        assert!(!is_stream_arn("arn:aws:sqs:us-east-1:123456789012:q"));
    }

    #[test]
    fn bucket_names_s3_refuses() {
        assert_eq!(bucket_name_problem("a..b"), Some("two dots in a row"));
        assert!(bucket_name_problem("192.168.5.4").is_some());
        assert!(bucket_name_problem("xn--abc").is_some());
        assert_eq!(bucket_name_problem("my-bucket.logs"), None);
    }
}
