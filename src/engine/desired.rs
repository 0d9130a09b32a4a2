//! The desired state: a validated `Project` and its code identities, as normalized
//! resources (`model.rs`) with AWS's defaults filled in. Each kind's module builds its own
//! resources (`kinds::desired`) with the names and ARNs this builder gives; here they are
//! put together and their references filled in.
//!
//! Pure: no I/O. What is unknown before apply (an API id) or offline (the account id) shows
//! as `(known after apply)` or as the `${account_id}` placeholder.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::engine::model::{KNOWN_AFTER_APPLY, State};
use crate::package::CodeIdentity;
use crate::spec::Project;

/// Where the resources go. `None` keeps a placeholder in ARNs.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// The HTTP API's id once it exists; before, permissions name it as known after apply.
    pub api_id: Option<String>,
    /// The REST API's id once it exists; before, its permissions and URL are known after apply.
    pub rest_api_id: Option<String>,
    /// The ids of the REST API's authorizers that exist, by key: their permissions name them.
    pub rest_authorizer_ids: BTreeMap<String, String>,
    /// The ids of the REST API's keys that exist, by name: `${rest_api.api_keys.NAME.id}`.
    pub rest_api_key_ids: BTreeMap<String, String>,
    /// The URLs of the queues that exist, by key; a new queue's is known after apply.
    pub queue_urls: BTreeMap<String, String>,
    /// The function URLs that exist, by function key; a new one's is known after apply.
    pub function_urls: BTreeMap<String, String>,
    /// The streams of the tables that exist, by table key: their view type as DynamoDB
    /// spells it (`NEW_AND_OLD_IMAGES`) and their ARN. A stream the plan makes or changes
    /// has a new ARN, known after apply.
    pub table_streams: BTreeMap<String, (String, String)>,
    /// The ARNs of the secrets that exist, by key: Secrets Manager ends each with a suffix
    /// of its own, so a new secret's is known after apply.
    pub secret_arns: BTreeMap<String, String>,
    /// The live custom domains by the API they serve (`http_api`): their names and targets
    /// for DNS, which a new domain's are known after apply.
    pub domains: BTreeMap<String, crate::kinds::domain_name::DomainTarget>,
}

impl Target {
    pub fn account(&self) -> &str {
        self.account_id.as_deref().unwrap_or("${account_id}")
    }
    pub fn region(&self) -> &str {
        self.region.as_deref().unwrap_or("${region}")
    }
}

/// Builds the desired state. `code` holds each zip or image function's code identity.
pub fn build(project: &Project, code: &HashMap<String, CodeIdentity>, target: &Target) -> State {
    let b = Builder {
        p: project,
        t: target,
        code,
        tags: tags(project),
    };
    let mut state = State::default();
    crate::kinds::desired(&b, &mut state);
    // The spec is read before the account is known: its references to what slsr makes,
    // its `${account_id}` (and an unknown `${region}`) are still placeholders, filled here
    // once the target is known.
    for resource in state.resources.values_mut() {
        for value in resource.attrs.values_mut() {
            b.fill_references(value);
            fill_placeholders(value, target);
        }
    }
    state
}

/// The outputs' values: references and placeholders filled in as in the desired state (a
/// value still known only after apply says so).
pub fn outputs(project: &Project, target: &Target) -> BTreeMap<String, String> {
    let code = HashMap::new();
    let b = Builder {
        p: project,
        t: target,
        code: &code,
        tags: tags(project),
    };
    project
        .outputs
        .iter()
        .map(|(name, output)| {
            let mut value = Value::from(output.value.as_str());
            b.fill_references(&mut value);
            fill_placeholders(&mut value, target);
            (name.clone(), value.as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// How a reference to something apply makes begins in a plan until apply knows it.
const LATER: &str = "(known after apply: ";

/// What a reference to something apply makes stands for in a plan until apply knows it:
/// `(known after apply: queue.jobs.url)`. Apply fills it in (`Applier::resolve`).
pub fn known_after_apply(what: &str) -> String {
    format!("{LATER}{what})")
}

/// The first reference in `value` still known only after apply: its byte range and what
/// it names (`queue.jobs.url`).
pub fn next_known_after_apply(value: &str) -> Option<(std::ops::Range<usize>, &str)> {
    let start = value.find(LATER)?;
    let end = start + value[start..].find(')')?;
    Some((start..end + 1, &value[start + LATER.len()..end]))
}

/// Whether a value still holds something known only after apply (an id or a reference).
pub fn still_unknown(value: &str) -> bool {
    value.contains("(known after apply")
}

/// The URL of an HTTP API.
pub fn http_api_url(id: &str, region: &str) -> String {
    format!("https://{id}.execute-api.{region}.amazonaws.com")
}

fn fill_placeholders(value: &mut Value, target: &Target) {
    match value {
        Value::String(s) => {
            if let Some(account) = &target.account_id {
                *s = s.replace("${account_id}", account);
            }
            if let Some(region) = &target.region {
                *s = s.replace("${region}", region);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_placeholders(v, target)),
        Value::Object(map) => map.values_mut().for_each(|v| fill_placeholders(v, target)),
        _ => {}
    }
}

/// What every kind's desired builder works from: the project, where it goes, the code,
/// and the names, ARNs and tags that slsr gives what it makes.
pub struct Builder<'a> {
    pub p: &'a Project,
    pub t: &'a Target,
    pub code: &'a HashMap<String, CodeIdentity>,
    /// Every resource's tags: the spec's, and slsr's ownership tags.
    pub tags: BTreeMap<String, String>,
}

/// Every resource's tags: the spec's, and slsr's ownership tags.
pub fn tags(p: &Project) -> BTreeMap<String, String> {
    let mut tags = p.tags.clone();
    tags.insert("slsr:service".into(), p.service.clone());
    tags.insert("slsr:stage".into(), p.stage.clone());
    tags
}

/// JSON with keys sorted at every level, so equal content gives equal text.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> =
                    map.iter().map(|(k, v)| (k, sorted(v))).collect();
                Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// The first 8 hex digits of the SHA-256 of `content`: a name suffix that depends on what
/// a rule or permission is, not on where it stands in the spec.
pub fn short_hash(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Builder<'_> {
    /// A resource's physical name: the `name` it declares, else `{service}-{stage}-{key}`.
    pub fn declared_or_physical(&self, key: &str, declared: Option<&String>) -> String {
        declared
            .cloned()
            .unwrap_or_else(|| self.p.physical_name(key))
    }

    /// A resource's tags: the spec's, then the resource's own over them, then slsr's
    /// ownership tags, which nothing overrides.
    pub fn tags_with(&self, own: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut tags = self.tags.clone();
        tags.extend(own.clone());
        tags.extend(
            self.tags
                .iter()
                .filter(|(k, _)| k.starts_with("slsr:"))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        tags
    }

    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.t.region(),
            self.t.account(),
            self.p.physical_name(name)
        )
    }

    pub fn role_arn(&self, physical: &str) -> String {
        format!(
            "arn:aws:iam::{}:role/slsr/{}/{}/{physical}",
            self.t.account(),
            self.p.service,
            self.p.stage
        )
    }

    pub fn queue_physical(&self, name: &str) -> String {
        let fifo = self
            .p
            .queues
            .get(name)
            .is_some_and(|q| q.fifo == Some(true));
        format!(
            "{}{}",
            self.p.physical_name(name),
            if fifo { ".fifo" } else { "" }
        )
    }

    /// Replaces references to what the spec declares: `${queue:NAME.url|arn}`,
    /// `${function:NAME.arn|name|url}`, `${role:NAME.arn}`,
    /// `${table:NAME.name|arn|stream_arn}`, `${bucket:NAME.name|arn}`, `${topic:NAME.arn}`,
    /// `${state_machine:NAME.arn|name}`, `${http_api.url}`, `${rest_api.url}`. Names and
    /// ARNs follow from the account, region and names, so a plan shows them exactly; a
    /// queue's URL, a function's URL and the API's URL are read from the account, or known
    /// after apply when this plan creates them.
    pub(crate) fn fill_references(&self, value: &mut Value) {
        let pattern = crate::spec::interpolate::reference_pattern();
        match value {
            Value::String(s) if s.contains("${") => {
                let replaced = pattern.replace_all(s, |c: &regex_lite::Captures| {
                    let name = c.get(2).map_or("", |m| m.as_str());
                    match (c.get(1).map(|m| m.as_str()), c.get(3).map(|m| m.as_str())) {
                        (Some("queue"), Some("url")) => self
                            .t
                            .queue_urls
                            .get(name)
                            .cloned()
                            .unwrap_or_else(|| known_after_apply(&format!("queue.{name}.url"))),
                        (Some("queue"), _) => self.queue_arn(name),
                        (Some("function"), Some("name")) => self.p.physical_name(name),
                        (Some("function"), Some("url")) => {
                            self.t.function_urls.get(name).cloned().unwrap_or_else(|| {
                                known_after_apply(&format!("function_url.{name}.url"))
                            })
                        }
                        (Some("function"), _) => self.function_arn(name),
                        (Some("role"), _) => self.role_arn(&self.p.physical_name(name)),
                        (Some("table"), Some("name")) => self.table_physical(name),
                        (Some("table"), Some("stream_arn")) => self.table_stream_arn(name),
                        (Some("table"), _) => self.table_arn(name),
                        (Some("bucket"), Some("name")) => self.bucket_physical(name),
                        (Some("bucket"), _) => self.bucket_arn(name),
                        (Some("state_machine"), Some("name")) => self.state_machine_physical(name),
                        (Some("state_machine"), _) => self.state_machine_arn(name),
                        (Some("topic"), _) => self.topic_arn(name),
                        (Some("stream"), _) => self.stream_arn(name),
                        (Some("secret"), _) => self.secret_arn(name),
                        // A form validation accepts but this does not know: left as written.
                        (Some(_), _) => c[0].to_string(),
                        (None, _) if c.get(6).is_some() => {
                            let key = &c[6];
                            self.t
                                .rest_api_key_ids
                                .get(key)
                                .cloned()
                                .unwrap_or_else(|| {
                                    known_after_apply(&format!(
                                        "{}.id",
                                        crate::kinds::rest_api_key::at(key)
                                    ))
                                })
                        }
                        (None, _) => match (&c[4], &c[5]) {
                            (api, "domain_target") => crate::kinds::domain_name::reference(
                                self,
                                api,
                                crate::kinds::domain_name::TARGET,
                            ),
                            (api, "domain_zone_id") => crate::kinds::domain_name::reference(
                                self,
                                api,
                                crate::kinds::domain_name::HOSTED_ZONE_ID,
                            ),
                            ("rest_api", _) => match &self.t.rest_api_id {
                                Some(id) => {
                                    crate::kinds::rest_api::url(id, self.t.region(), &self.p.stage)
                                }
                                None => known_after_apply(crate::kinds::rest_api::URL_KEY),
                            },
                            _ => match &self.t.api_id {
                                Some(id) => http_api_url(id, self.t.region()),
                                None => known_after_apply("http_api.url"),
                            },
                        },
                    }
                });
                *s = replaced.into_owned();
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.fill_references(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.fill_references(v)),
            _ => {}
        }
    }

    pub fn log_group_arn(&self, physical: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:/aws/lambda/{physical}",
            self.t.region(),
            self.t.account()
        )
    }

    pub fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{}",
            self.t.region(),
            self.t.account(),
            self.queue_physical(name)
        )
    }

    /// A table's physical name: the `name` it declares, else `{service}-{stage}-{name}`.
    pub fn table_physical(&self, name: &str) -> String {
        self.declared_or_physical(name, self.p.tables.get(name).and_then(|t| t.name.as_ref()))
    }

    pub fn table_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.t.region(),
            self.t.account(),
            self.table_physical(name)
        )
    }

    /// The ARN of a table's stream: the live one while the table keeps its stream's view
    /// type; else the stream is new and its ARN (which ends in a creation time) is known
    /// after apply.
    pub fn table_stream_arn(&self, name: &str) -> String {
        let wanted = self
            .p
            .tables
            .get(name)
            .and_then(|t| t.stream)
            .map(crate::kinds::table::stream_view_name);
        match self.t.table_streams.get(name) {
            Some((view, arn)) if Some(view.as_str()) == wanted => arn.clone(),
            _ => known_after_apply(&format!("table.{name}.stream_arn")),
        }
    }

    /// A bucket's physical name: the `name` it declares, else
    /// `{service}-{stage}-{name}-{account_id}` (bucket names are global).
    pub fn bucket_physical(&self, name: &str) -> String {
        self.p
            .buckets
            .get(name)
            .and_then(|b| b.name.clone())
            .unwrap_or_else(|| format!("{}-{}", self.p.physical_name(name), self.t.account()))
    }

    pub fn bucket_arn(&self, name: &str) -> String {
        format!("arn:aws:s3:::{}", self.bucket_physical(name))
    }

    /// A state machine's name: the `name` it declares, else `{service}-{stage}-{name}`.
    pub fn state_machine_physical(&self, name: &str) -> String {
        self.declared_or_physical(
            name,
            self.p
                .state_machines
                .get(name)
                .and_then(|s| s.name.as_ref()),
        )
    }

    pub fn state_machine_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            self.t.region(),
            self.t.account(),
            self.state_machine_physical(name)
        )
    }

    /// The ARN a permission for a route of the HTTP API names as its source.
    pub fn execute_api_arn(&self, route: &str) -> String {
        let (method, path) = route.split_once(' ').unwrap_or((route, "/"));
        let method = if method == "ANY" { "*" } else { method };
        // The API's id is known only once it exists.
        format!(
            "arn:aws:execute-api:{}:{}:{}/*/{method}{path}",
            self.t.region(),
            self.t.account(),
            self.t.api_id.as_deref().unwrap_or(KNOWN_AFTER_APPLY)
        )
    }
}

/// Desired states of spec texts, for the unit tests of what the kinds build.
#[cfg(test)]
pub mod testing {
    use std::collections::HashMap;

    use super::{Target, build};
    use crate::engine::model::State;
    use crate::spec::source::SourceFile;
    use crate::spec::{Options, Project, load_source};

    /// The project of a spec text, which must hold no error.
    pub fn project(text: &str) -> Project {
        let loaded = load_source(
            SourceFile::new("slsr.yaml", text),
            &Options::default(),
            &|_| None,
        )
        .unwrap();
        assert!(
            loaded.diagnostics.iter().all(|d| !d.is_error()),
            "{:?}",
            loaded.diagnostics
        );
        loaded.project.unwrap()
    }

    /// The desired state of a spec text in account 123456789012 and `region`, with no code
    /// packaged.
    pub fn desired(text: &str, region: &str) -> State {
        build(
            &project(text),
            &HashMap::new(),
            &Target {
                account_id: Some("123456789012".into()),
                region: Some(region.into()),
                ..Target::default()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testing::project;
    use super::*;
    use serde_json::json;

    fn state(text: &str) -> State {
        super::testing::desired(text, "eu-west-1")
    }

    const EVENTS: &str = "service: shop
queues: {jobs: {visibility_timeout: 60}}
functions:
  api:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1
    events:
EVENTS
";

    #[test]
    fn reordering_events_changes_no_address() {
        let events = [
            "      - schedule: rate(5 minutes)",
            "      - http: GET /x",
            "      - eventbridge: {pattern: {source: [a]}}",
            "      - sqs: {queue: jobs}",
        ];
        let forward = state(&EVENTS.replace("EVENTS", &events.join("\n")));
        let mut reversed = events;
        reversed.reverse();
        let backward = state(&EVENTS.replace("EVENTS", &reversed.join("\n")));
        assert_eq!(forward, backward);
        let rules: Vec<&String> = forward
            .resources
            .keys()
            .filter(|a| a.starts_with("rule."))
            .collect();
        assert_eq!(rules.len(), 2);
    }

    #[test]
    fn a_generated_role_holds_only_what_the_function_implies() {
        let plain = state("service: shop\nfunctions:\n  api: {image: x}\n");
        let policy = &plain.resources["role.api"].attrs["inline_policy"];
        assert_eq!(
            policy["Statement"],
            json!([{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-dev-api:*"]}])
        );
        let full = state(
            "service: shop\nqueues: {jobs: {visibility_timeout: 60}}\nfunctions:\n  worker:\n    image: x\n    tracing: active\n    kms_key_arn: arn:aws:kms:eu-west-1:123456789012:key/abc\n    vpc: {subnet_ids: [subnet-0b, subnet-0a], security_group_ids: [sg-01]}\n    events: [{sqs: {queue: jobs}}]\n",
        );
        let statements = full.resources["role.worker"].attrs["inline_policy"]["Statement"]
            .as_array()
            .unwrap()
            .clone();
        let actions: Vec<&Value> = statements.iter().map(|s| &s["Action"]).collect();
        assert_eq!(
            actions,
            vec![
                &json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
                &json!([
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage"
                ]),
                &json!([
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:UnassignPrivateIpAddresses"
                ]),
                &json!(["xray:PutTelemetryRecords", "xray:PutTraceSegments"]),
                &json!(["kms:Decrypt"]),
            ]
        );
        assert_eq!(
            statements[1]["Resource"],
            json!(["arn:aws:sqs:eu-west-1:123456789012:shop-dev-jobs"])
        );
        assert_eq!(
            full.resources["function.worker"].attrs["vpc.subnet_ids"],
            json!(["subnet-0a", "subnet-0b"])
        );
    }

    #[test]
    fn access_grants_each_level_on_exactly_its_resource() {
        let s = state(
            "service: shop
tables:
  orders: {key: {partition: pk}, attributes: {pk: string, day: string}, stream: new_image, indexes: {by-day: {partition: day}}}
  carts: {key: {partition: pk}, attributes: {pk: string}}
buckets: {uploads: {}}
queues: {jobs: {}, dlq: {}}
functions:
  api:
    image: x
    access: {table.orders: read, table.carts: read_write, bucket.uploads: write, queue.jobs: send}
  worker:
    image: x
    access: {bucket.uploads: read}
    events: [{dynamodb: {table: orders, on_failure: {queue: dlq}}}]
",
        );
        let statements = |role: &str| {
            let mut found: Vec<(Value, Value)> =
                s.resources[role].attrs["inline_policy"]["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .skip(1)
                    .map(|st| (st["Action"].clone(), st["Resource"].clone()))
                    .collect();
            found.sort_by_key(|(a, _)| a.to_string());
            found
        };
        let table = "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-dev";
        assert_eq!(
            statements("role.api"),
            vec![
                (
                    json!([
                        "dynamodb:BatchGetItem",
                        "dynamodb:ConditionCheckItem",
                        "dynamodb:DescribeTable",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:Scan"
                    ]),
                    json!([format!("{table}-carts")])
                ),
                (
                    json!([
                        "dynamodb:BatchGetItem",
                        "dynamodb:ConditionCheckItem",
                        "dynamodb:DescribeTable",
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:Scan"
                    ]),
                    json!([format!("{table}-orders"), format!("{table}-orders/index/*")])
                ),
                (
                    json!([
                        "dynamodb:BatchWriteItem",
                        "dynamodb:DeleteItem",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem"
                    ]),
                    json!([format!("{table}-carts")])
                ),
                (
                    json!(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"]),
                    json!(["arn:aws:s3:::shop-dev-uploads-123456789012/*"])
                ),
                (
                    json!(["sqs:SendMessage"]),
                    json!(["arn:aws:sqs:eu-west-1:123456789012:shop-dev-jobs"])
                ),
            ]
        );
        assert_eq!(
            statements("role.worker"),
            vec![
                (
                    json!([
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator"
                    ]),
                    json!(["(known after apply: table.orders.stream_arn)"])
                ),
                (
                    json!(["dynamodb:ListStreams"]),
                    json!([format!("{table}-orders/stream/*")])
                ),
                (
                    json!(["s3:GetObject"]),
                    json!(["arn:aws:s3:::shop-dev-uploads-123456789012/*"])
                ),
                (
                    json!(["s3:ListBucket"]),
                    json!(["arn:aws:s3:::shop-dev-uploads-123456789012"])
                ),
                (
                    json!(["sqs:SendMessage"]),
                    json!(["arn:aws:sqs:eu-west-1:123456789012:shop-dev-dlq"])
                ),
            ]
        );
    }

    #[test]
    fn aws_defaults_fill_what_the_spec_leaves_out() {
        let s = state("service: shop\nqueues: {q: {}}\nfunctions:\n  api: {image: x}\n");
        let f = &s.resources["function.api"].attrs;
        assert_eq!(
            (&f["memory"], &f["timeout"], &f["ephemeral_storage"]),
            (&json!(128), &json!(3), &json!(512))
        );
        assert_eq!(
            (&f["architecture"], &f["tracing"]),
            (&json!("x86_64"), &json!("PassThrough"))
        );
        let q = &s.resources["queue.q"].attrs;
        assert_eq!(
            (&q["visibility_timeout"], &q["message_retention"]),
            (&json!(30), &json!(345600))
        );
        assert_eq!(
            s.resources["function.api"].attrs["tags.slsr:service"],
            json!("shop")
        );
    }

    #[test]
    fn offline_arns_keep_a_placeholder_for_the_account() {
        let s = build(
            &project("service: shop\nfunctions:\n  api: {image: x}\n"),
            &HashMap::new(),
            &Target {
                account_id: None,
                region: Some("us-east-1".into()),
                api_id: None,
                ..Target::default()
            },
        );
        assert_eq!(
            s.resources["function.api"].attrs["arn"],
            json!("arn:aws:lambda:us-east-1:${account_id}:function:shop-dev-api")
        );
    }
}
