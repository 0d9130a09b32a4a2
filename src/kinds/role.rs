//! IAM roles: a declared role (`roles:`) or the one generated for a function without
//! `role`, under the path `/slsr/{service}/{stage}/`, with its trust policy, slsr's inline
//! policy and attached managed policies. A generated role holds only what its function's
//! declaration implies. Read from one GetAccountAuthorizationDetails listing
//! (`aws/read/iam.rs`); a delete detaches and removes policies first, as IAM requires.

use std::collections::HashMap;

use aws_sdk_iam::types::{RoleDetail, Tag};
use serde_json::{Value, json};

use super::{KindInfo, TAGS, Tags, attr, attr_list, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_changes, tag_list, write_tags};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::normalize::parse_policy;
use crate::engine::plan::Action;
use crate::spec::model::{AccessLevel, Event, Function, Statement, Tracing};

pub static INFO: KindInfo = KindInfo {
    prefix: "role",
    naming: "{service}-{stage}-{name}, under the path /slsr/{service}/{stage}/",
    tags: Tags::Compared,
    replaced_by: &[PATH],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const PATH: &str = "path";
pub const TRUST_POLICY: &str = "trust_policy";
/// slsr's own inline policy; `inline_policy.NAME` is another on a role slsr owns (drift).
pub const INLINE_POLICY: &str = "inline_policy";
pub const MANAGED_POLICIES: &str = "managed_policies";

/// The name of the inline policy slsr writes on its roles.
pub const POLICY_NAME: &str = "slsr";

fn desired(b: &Builder, state: &mut State) {
    for (name, role) in &b.p.roles {
        let physical = b.p.physical_name(name);
        let policy = (!role.statements.is_empty())
            .then(|| policy(role.statements.iter().map(statement).collect()));
        let mut managed = role.managed_policies.clone();
        managed.sort();
        state.insert(resource(b, name, &physical, policy, managed));
    }
    for (name, f) in &b.p.functions {
        if f.role.is_none() {
            let physical = b.p.physical_name(name);
            let policy = generated_policy(b, name, f);
            state.insert(resource(b, name, &physical, Some(policy), vec![]));
        }
    }
}

fn resource(
    b: &Builder,
    key: &str,
    physical: &str,
    policy: Option<Value>,
    managed: Vec<String>,
) -> Resource {
    Resource::new(super::Kind::Role, key, physical)
        .with(ARN, b.role_arn(physical))
        .with(PATH, format!("/slsr/{}/{}/", b.p.service, b.p.stage))
        .with(TRUST_POLICY, trust_policy())
        .with(INLINE_POLICY, policy.unwrap_or(Value::Null))
        .with(MANAGED_POLICIES, managed)
        .with_map(TAGS, &b.tags)
}

/// A role needs the tables whose new stream ARN its document names (known only after
/// apply, from the table's change). Nothing else it names is waited for: a URL made later
/// is refused (`put_inline`), an ARN is known before apply.
fn needs(r: &Resource, _: &super::Index) -> Vec<String> {
    super::referenced(r)
        .into_iter()
        .filter(|address| address.starts_with("table."))
        .collect()
}

/// Whether a document names something known only after apply other than a stream's ARN.
fn names_unknown_url(document: &str) -> bool {
    let mut rest = document;
    while let Some((range, what)) = crate::engine::desired::next_known_after_apply(rest) {
        if !(what.starts_with("table.") && what.ends_with(".stream_arn")) {
            return true;
        }
        rest = &rest[range.end..];
    }
    false
}

/// An IAM policy document, in the normal form live documents are compared in.
fn policy(statements: Vec<Value>) -> Value {
    crate::engine::normalize::policy(&json!({"Version": "2012-10-17", "Statement": statements}))
}

/// The role trust policy that lets Lambda assume a function's role.
pub fn trust_policy() -> Value {
    crate::engine::normalize::policy(
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    )
}

/// A generated role that an AWS service (`states.amazonaws.com`, `events.amazonaws.com`)
/// assumes, allowed exactly `statements` (each `{Effect, Action, Resource}`), under slsr's
/// path like every role slsr makes.
pub fn assumed_by(
    b: &Builder,
    key: &str,
    physical: &str,
    service: &str,
    statements: Vec<Value>,
) -> Resource {
    let statements = statements
        .into_iter()
        .map(|s| {
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            };
            allow_or("Allow", strings(&s["Action"]), strings(&s["Resource"]))
        })
        .collect::<Vec<Value>>();
    let document = (!statements.is_empty()).then(|| policy(statements));
    resource(b, key, physical, document, vec![]).with(
        TRUST_POLICY,
        crate::engine::normalize::policy(
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}),
        ),
    )
}

fn statement(s: &Statement) -> Value {
    let effect = match s.effect {
        Some(crate::spec::model::Effect::Deny) => "Deny",
        _ => "Allow",
    };
    allow_or(effect, s.actions.clone(), s.resources.clone())
}

fn allow_or(effect: &str, mut actions: Vec<String>, mut resources: Vec<String>) -> Value {
    actions.sort();
    actions.dedup();
    resources.sort();
    resources.dedup();
    json!({"Effect": effect, "Action": actions, "Resource": resources})
}

/// A generated role holds only what the function's declaration implies.
fn generated_policy(b: &Builder, name: &str, f: &Function) -> Value {
    let physical = b.p.physical_name(name);
    let log_group = format!("{}:*", b.log_group_arn(&physical));
    let mut statements = vec![allow_or(
        "Allow",
        vec!["logs:CreateLogStream".into(), "logs:PutLogEvents".into()],
        vec![log_group],
    )];
    let queues: Vec<String> = f
        .events
        .iter()
        .flatten()
        .filter_map(|e| match e {
            Event::Sqs(s) => s
                .queue
                .as_ref()
                .map(|q| b.queue_arn(q))
                .or_else(|| s.arn.clone()),
            _ => None,
        })
        .collect();
    if !queues.is_empty() {
        let actions = [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility",
        ];
        statements.push(allow_or(
            "Allow",
            actions.map(String::from).to_vec(),
            queues,
        ));
    }
    if f.vpc.is_some() {
        let actions = [
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ];
        statements.push(allow_or(
            "Allow",
            actions.map(String::from).to_vec(),
            vec!["*".into()],
        ));
    }
    if f.tracing == Some(Tracing::Active) {
        statements.push(allow_or(
            "Allow",
            vec![
                "xray:PutTraceSegments".into(),
                "xray:PutTelemetryRecords".into(),
            ],
            vec!["*".into()],
        ));
    }
    if let Some(key) = &f.kms_key_arn {
        statements.push(allow_or(
            "Allow",
            vec!["kms:Decrypt".into()],
            vec![key.clone()],
        ));
    }
    if let Some(on_failure) = f.async_invoke.as_ref().and_then(|a| a.on_failure.as_ref()) {
        statements.push(allow_or(
            "Allow",
            vec!["sqs:SendMessage".into()],
            vec![b.queue_arn(&on_failure.queue)],
        ));
    }
    statements.extend(stream_reads(b, f));
    statements.extend(super::stream::kinesis_reads(b, f));
    statements.extend(access_grants(b, f));
    statements.extend(f.statements.iter().flatten().map(statement));
    policy(statements)
}

/// What Lambda's poller needs to read each DynamoDB stream the function consumes, on that
/// stream only (ListStreams on the table's streams), and to send what fails to its
/// on-failure queue.
fn stream_reads(b: &Builder, f: &Function) -> Vec<Value> {
    let mut statements = Vec::new();
    for event in f.events.iter().flatten() {
        let Event::Dynamodb(d) = event else { continue };
        let (stream, streams) = if crate::spec::data_rules::is_stream_arn(&d.table) {
            let table = d.table.split("/stream/").next().unwrap_or_default();
            (d.table.clone(), format!("{table}/stream/*"))
        } else {
            (
                b.table_stream_arn(&d.table),
                format!("{}/stream/*", b.table_arn(&d.table)),
            )
        };
        let actions = [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ];
        statements.push(allow_or(
            "Allow",
            actions.map(String::from).to_vec(),
            vec![stream],
        ));
        statements.push(allow_or(
            "Allow",
            vec!["dynamodb:ListStreams".into()],
            vec![streams],
        ));
        if let Some(on_failure) = &d.on_failure {
            statements.push(allow_or(
                "Allow",
                vec!["sqs:SendMessage".into()],
                vec![b.queue_arn(&on_failure.queue)],
            ));
        }
    }
    statements
}

/// The actions of each `access` level, on exactly that resource: a table and (to read) its
/// indexes; a bucket (to list) and its objects; a queue.
fn access_grants(b: &Builder, f: &Function) -> Vec<Value> {
    const TABLE_READ: [&str; 6] = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
    ];
    const TABLE_WRITE: [&str; 4] = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ];
    const OBJECT_WRITE: [&str; 3] = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"];
    let grant = |actions: &[&str], resources: Vec<String>| {
        allow_or(
            "Allow",
            actions.iter().map(|a| a.to_string()).collect(),
            resources,
        )
    };
    let mut statements = Vec::new();
    for (target, level) in f.access.iter().flatten() {
        let Some((kind, name)) = target.split_once('.') else {
            continue;
        };
        let reads = matches!(level, AccessLevel::Read | AccessLevel::ReadWrite);
        let writes = matches!(level, AccessLevel::Write | AccessLevel::ReadWrite);
        match kind {
            "table" => {
                let table = b.table_arn(name);
                if reads {
                    let mut resources = vec![table.clone()];
                    if b.p.tables.get(name).is_some_and(|t| !t.indexes.is_empty()) {
                        resources.push(format!("{table}/index/*"));
                    }
                    statements.push(grant(&TABLE_READ, resources));
                }
                if writes {
                    statements.push(grant(&TABLE_WRITE, vec![table]));
                }
            }
            "bucket" => {
                let bucket = b.bucket_arn(name);
                if reads {
                    statements.push(grant(&["s3:GetObject"], vec![format!("{bucket}/*")]));
                    statements.push(grant(&["s3:ListBucket"], vec![bucket.clone()]));
                }
                if writes {
                    statements.push(grant(&OBJECT_WRITE, vec![format!("{bucket}/*")]));
                }
            }
            "stream" if writes => statements.push(super::stream::write_grant(b, name)),
            "secret" if reads => statements.extend(super::secret::read_grants(b, name)),
            "queue" if *level == AccessLevel::Send => {
                statements.push(grant(&["sqs:SendMessage"], vec![b.queue_arn(name)]));
            }
            "state_machine" if *level == AccessLevel::Start => {
                statements.push(super::state_machine_roles::start_grant(b, name));
            }
            "topic" if *level == AccessLevel::Publish => {
                statements.push(grant(&["sns:Publish"], vec![b.topic_arn(name)]));
            }
            // Refused by validation (`spec::data_rules`).
            _ => {}
        }
    }
    statements
}

/// A role as GetAccountAuthorizationDetails has it.
pub fn live(key: &str, role: &RoleDetail, tags: &HashMap<String, String>) -> Resource {
    let name = role.role_name().unwrap_or_default();
    let mut managed: Vec<String> = role
        .attached_managed_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .map(str::to_string)
        .collect();
    managed.sort();
    let mut res = Resource::new(super::Kind::Role, key, name)
        .with(ARN, role.arn().unwrap_or_default())
        .with(PATH, role.path().unwrap_or_default())
        .with(
            TRUST_POLICY,
            role.assume_role_policy_document()
                .and_then(parse_policy)
                .unwrap_or(Value::Null),
        )
        .with(MANAGED_POLICIES, managed)
        .with(INLINE_POLICY, Value::Null);
    for policy in role.role_policy_list() {
        let document = policy
            .policy_document()
            .and_then(parse_policy)
            .unwrap_or(Value::Null);
        match policy.policy_name() {
            Some(POLICY_NAME) => res = res.with(INLINE_POLICY, document),
            // Another inline policy on a role slsr owns is drift: the plan removes it.
            Some(other) => res = res.with(&format!("{INLINE_POLICY}.{other}"), document),
            None => {}
        }
    }
    res = res.with_map(TAGS, tags);
    res
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Delete => {
            for arn in attr_list(r, MANAGED_POLICIES) {
                a.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .or_gone("DetachRolePolicy", name)?;
            }
            for policy in inline_policies(r) {
                a.iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", name)?;
            }
            a.iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .or_gone("DeleteRole", name)?;
        }
        Action::Create => {
            let tags: Vec<Tag> = tag_list!(Tag, attr_map(r, TAGS));
            let created = a
                .iam
                .create_role()
                .role_name(name)
                .path(attr_str(r, PATH))
                .assume_role_policy_document(attr(r, TRUST_POLICY).to_string())
                .set_tags(Some(tags))
                .send()
                .await
                .or_exists("CreateRole", name)?;
            if created.is_none() {
                ensure_owned(a, step).await?;
            }
            put_inline(a, step).await?;
            for arn in attr_list(r, MANAGED_POLICIES) {
                a.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("AttachRolePolicy", name, e))?;
            }
        }
        _ => {
            if step.changes(TRUST_POLICY) {
                a.iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(attr(r, TRUST_POLICY).to_string())
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateAssumeRolePolicy", name, e))?;
            }
            if step.changes(INLINE_POLICY) {
                put_inline(a, step).await?;
            }
            // Inline policies other than slsr's are drift on a role slsr owns.
            let live = step.live().expect("an update has a live resource");
            for policy in inline_policies(live)
                .into_iter()
                .filter(|p| p != POLICY_NAME)
            {
                a.iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", name)?;
            }
            let (want, have) = (
                attr_list(r, MANAGED_POLICIES),
                attr_list(live, MANAGED_POLICIES),
            );
            for arn in want.iter().filter(|p| !have.contains(p)) {
                a.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("AttachRolePolicy", name, e))?;
            }
            for arn in have.iter().filter(|p| !want.contains(p)) {
                a.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .or_gone("DetachRolePolicy", name)?;
            }
            write_tags(
                tag_changes(step),
                name,
                ("TagRole", |set| {
                    a.iam
                        .tag_role()
                        .role_name(name)
                        .set_tags(Some(tag_list!(Tag, set)))
                        .send()
                }),
                ("UntagRole", |keys| {
                    a.iam
                        .untag_role()
                        .role_name(name)
                        .set_tag_keys(Some(keys))
                        .send()
                }),
            )
            .await?;
        }
    }
    Ok(())
}

/// Writes slsr's inline policy, or removes it when the role should have none.
async fn put_inline(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    match &attr(r, INLINE_POLICY) {
        Value::Null => {
            if step
                .live()
                .is_some_and(|l| !attr(l, INLINE_POLICY).is_null())
            {
                a.iam
                    .delete_role_policy()
                    .role_name(&r.name)
                    .policy_name(POLICY_NAME)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", &r.name)?;
            }
        }
        // A role goes after the tables whose new stream its document names, but before
        // what needs the role, so a statement cannot name a URL made later (a new
        // queue's, the new API's); statements take ARNs.
        document
            if (names_unknown_url(&document.to_string())
                || crate::engine::desired::still_unknown(&a.resolve(&document.to_string())))
                && !a.dry =>
        {
            return Err(AwsError {
                operation: "PutRolePolicy",
                target: r.name.clone(),
                message: "a statement names a URL that is known only after apply; statements take ARNs, such as ${queue:NAME.arn}".into(),
            });
        }
        document => {
            a.iam
                .put_role_policy()
                .role_name(&r.name)
                .policy_name(POLICY_NAME)
                .policy_document(a.resolve(&document.to_string()))
                .send()
                .await
                .map_err(|e| AwsError::new("PutRolePolicy", r.name.clone(), e))?;
        }
    }
    Ok(())
}

/// The names of a live role's inline policies.
fn inline_policies(r: &Resource) -> Vec<String> {
    let mut names = Vec::new();
    if r.attrs.get(INLINE_POLICY).is_some_and(|p| !p.is_null()) {
        names.push(POLICY_NAME.to_string());
    }
    names.extend(
        r.attrs
            .keys()
            .filter_map(|k| k.strip_prefix("inline_policy."))
            .map(str::to_string),
    );
    names
}

/// After a create refused as "exists": the role must be ours (`ensure_ours`).
async fn ensure_owned(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let out = a
        .iam
        .get_role()
        .role_name(&r.name)
        .send()
        .await
        .map_err(|e| AwsError::new("GetRole", &r.name, e))?;
    let tags = out
        .role()
        .map(|role| {
            role.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default();
    crate::apply::ensure_ours("CreateRole", r, &tags)
}
