//! The desired state: a validated `Project` and its code identities, as normalized
//! resources (`model.rs`) with AWS's defaults filled in.
//!
//! Pure: no I/O. What is unknown before apply (an API id) or offline (the account id) shows
//! as `(known after apply)` or as the `${account_id}` placeholder.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::engine::model::{KNOWN_AFTER_APPLY, Kind, Resource, State};
use crate::package::CodeIdentity;
use crate::spec::Project;
use crate::spec::model::{
    Architecture, Event, Function, HttpEvent, ScheduleEvent, Statement, Tracing,
};

/// Lambda's defaults, filled where the spec is silent.
pub const DEFAULT_MEMORY: u32 = 128;
pub const DEFAULT_TIMEOUT: u32 = 3;
pub const DEFAULT_EPHEMERAL: u32 = 512;
/// SQS's defaults.
pub const DEFAULT_VISIBILITY: u32 = 30;
pub const DEFAULT_RETENTION: u32 = 345_600;
/// A queue's largest message when CreateQueue does not set one: 1 MiB, as SQS's API
/// reference documents `MaximumMessageSize` now (256 KiB before SQS raised the limit).
pub const DEFAULT_MAX_MESSAGE: u32 = 1_048_576;
/// An SQS event source mapping's default batch size.
pub const DEFAULT_BATCH: u32 = 10;

/// Where the resources go. `None` keeps a placeholder in ARNs.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// The HTTP API's id once it exists; before, permissions name it as known after apply.
    pub api_id: Option<String>,
    /// The URLs of the queues that exist, by key; a new queue's is known after apply.
    pub queue_urls: BTreeMap<String, String>,
}

impl Target {
    fn account(&self) -> &str {
        self.account_id.as_deref().unwrap_or("${account_id}")
    }
    fn region(&self) -> &str {
        self.region.as_deref().unwrap_or("${region}")
    }
}

/// Builds the desired state. `code` holds each zip or image function's code identity.
pub fn build(project: &Project, code: &HashMap<String, CodeIdentity>, target: &Target) -> State {
    let b = Builder {
        p: project,
        t: target,
        tags: tags(project),
    };
    let mut state = State::default();
    for (name, role) in &project.roles {
        let physical = project.physical_name(name);
        let policy = (!role.statements.is_empty())
            .then(|| policy(role.statements.iter().map(statement).collect()));
        let mut managed = role.managed_policies.clone();
        managed.sort();
        state.insert(b.role(name, &physical, policy, managed));
    }
    for (name, queue) in &project.queues {
        state.insert(b.queue(name, queue));
    }
    let api = b.http_api();
    for (name, f) in &project.functions {
        let physical = project.physical_name(name);
        if f.role.is_none() {
            state.insert(b.role(name, &physical, Some(b.generated_policy(name, f)), vec![]));
        }
        state.insert(b.function(name, f, code.get(name)));
        state.insert(
            Resource::new(
                Kind::LogGroup,
                name.as_str(),
                format!("/aws/lambda/{physical}"),
            )
            .with("arn", b.log_group_arn(&physical))
            .with(
                "retention_days",
                f.log_retention_days.map_or(Value::Null, Value::from),
            )
            // Set at creation and proof of ownership; not compared (`Kind::tags_compared`).
            .with_map("tags", &b.tags),
        );
        if let Some(n) = f.provisioned_concurrency {
            state.insert(
                Resource::new(Kind::Alias, name.as_str(), format!("{physical}:live"))
                    .with("provisioned_concurrency", n)
                    .with("function_version", KNOWN_AFTER_APPLY),
            );
        }
        for invoke in f.allow_invoke.iter().flatten() {
            let attrs = json!({
                "principal": invoke.principal,
                "source_arn": invoke.source_arn,
                "source_account": invoke.source_account,
                "event_source_token": invoke.event_source_token,
            });
            state.insert(b.permission(name, &format!("invoke\0{}", canonical_json(&attrs)), attrs));
        }
        for event in f.events.iter().flatten() {
            match event {
                Event::Sqs(sqs) => state.insert(b.mapping(name, sqs)),
                Event::Schedule(_) | Event::Eventbridge(_) => {
                    let rule = b.rule(name, event);
                    let source = rule.attrs["arn"].clone();
                    let identity = format!("rule\0{}", rule.name);
                    state.insert(rule);
                    state.insert(b.permission(name, &identity, json!({"principal": "events.amazonaws.com", "source_arn": source, "source_account": b.t.account()})));
                }
                Event::Http(http) => {
                    let route = match http {
                        HttpEvent::Route(r) => r.clone(),
                        HttpEvent::Detailed(d) => d.route.clone(),
                    };
                    let auth = match http {
                        HttpEvent::Detailed(d) => d.auth.clone(),
                        HttpEvent::Route(_) => None,
                    };
                    state.insert(b.route(name, &route, auth.as_deref()));
                    state.insert(b.permission(name, &format!("http\0{route}"), json!({"principal": "apigateway.amazonaws.com", "source_arn": b.execute_api_arn(&route), "source_account": b.t.account()})));
                }
            }
        }
    }
    if let Some(api) = api {
        let functions: Vec<&String> = project
            .functions
            .iter()
            .filter(|(_, f)| {
                f.events
                    .iter()
                    .flatten()
                    .any(|e| matches!(e, Event::Http(_)))
            })
            .map(|(n, _)| n)
            .collect();
        for name in functions {
            let payload = match project.http_api.as_ref().and_then(|a| a.payload_format) {
                Some(crate::spec::model::PayloadFormat::V1) => "1.0",
                _ => "2.0",
            };
            state.insert(
                Resource::new(Kind::Integration, name.as_str(), KNOWN_AFTER_APPLY)
                    .with("integration_uri", b.function_arn(name))
                    .with("payload_format_version", payload),
            );
        }
        for (name, authorizer) in project.http_api.iter().flat_map(|a| &a.authorizers) {
            let mut audience = authorizer.jwt.audience.clone();
            audience.sort();
            state.insert(
                Resource::new(Kind::Authorizer, name.as_str(), KNOWN_AFTER_APPLY)
                    .with("type", "JWT")
                    .with("identity_source", JWT_IDENTITY_SOURCE)
                    .with("issuer", authorizer.jwt.issuer.as_str())
                    .with("audience", audience),
            );
        }
        state.insert(Resource::new(Kind::Stage, "$default", "$default").with("auto_deploy", true));
        state.insert(api);
    }
    // Outputs published to SSM: owned parameters, by path.
    for output in project.outputs.values() {
        if let Some(path) = &output.ssm {
            state.insert(
                Resource::new(Kind::Parameter, path.as_str(), path.as_str())
                    .with("value", output.value.as_str())
                    .with("type", "String")
                    .with_map("tags", &b.tags),
            );
        }
    }
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
    let b = Builder {
        p: project,
        t: target,
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

struct Builder<'a> {
    p: &'a Project,
    t: &'a Target,
    tags: BTreeMap<String, String>,
}

/// Where a JWT authorizer finds the token: the bearer token in the Authorization header.
pub const JWT_IDENTITY_SOURCE: &str = "$request.header.Authorization";

/// The function tag that says slsr made the function's asynchronous invocation config, as
/// a `tags.` attribute.
pub const ASYNC_TAG: &str = "tags.slsr:async";

/// Every resource's tags: the spec's, and slsr's ownership tags.
pub fn tags(p: &Project) -> BTreeMap<String, String> {
    let mut tags = p.tags.clone();
    tags.insert("slsr:service".into(), p.service.clone());
    tags.insert("slsr:stage".into(), p.stage.clone());
    tags
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
    fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.t.region(),
            self.t.account(),
            self.p.physical_name(name)
        )
    }

    fn role_arn(&self, physical: &str) -> String {
        format!(
            "arn:aws:iam::{}:role/slsr/{}/{}/{physical}",
            self.t.account(),
            self.p.service,
            self.p.stage
        )
    }

    fn queue_physical(&self, name: &str) -> String {
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
    /// `${function:NAME.arn|name}`, `${role:NAME.arn}`, `${http_api.url}`. Names and ARNs
    /// follow from the account, region and names, so a plan shows them exactly; a queue's
    /// URL and the API's URL are read from the account, or known after apply when this
    /// plan creates the queue or the API.
    fn fill_references(&self, value: &mut Value) {
        static REFERENCE: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
        let pattern = REFERENCE.get_or_init(|| {
            regex_lite::Regex::new(
                r"\$\{(queue|function|role):([A-Za-z0-9_.-]+?)\.(url|arn|name)\}|\$\{http_api\.url\}",
            )
            .expect("a valid pattern")
        });
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
                        (Some("function"), _) => self.function_arn(name),
                        (Some("role"), _) => self.role_arn(&self.p.physical_name(name)),
                        _ => match &self.t.api_id {
                            Some(id) => http_api_url(id, self.t.region()),
                            None => known_after_apply("http_api.url"),
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

    fn log_group_arn(&self, physical: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:/aws/lambda/{physical}",
            self.t.region(),
            self.t.account()
        )
    }

    fn queue_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{}",
            self.t.region(),
            self.t.account(),
            self.queue_physical(name)
        )
    }

    fn execute_api_arn(&self, route: &str) -> String {
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

    fn role(
        &self,
        key: &str,
        physical: &str,
        policy: Option<Value>,
        managed: Vec<String>,
    ) -> Resource {
        Resource::new(Kind::Role, key, physical)
            .with("arn", self.role_arn(physical))
            .with(
                "path",
                format!("/slsr/{}/{}/", self.p.service, self.p.stage),
            )
            .with("trust_policy", trust_policy())
            .with("inline_policy", policy.unwrap_or(Value::Null))
            .with("managed_policies", managed)
            .with_map("tags", &self.tags)
    }

    /// A generated role holds only what the function's declaration implies.
    fn generated_policy(&self, name: &str, f: &Function) -> Value {
        let physical = self.p.physical_name(name);
        let log_group = format!(
            "arn:aws:logs:{}:{}:log-group:/aws/lambda/{physical}:*",
            self.t.region(),
            self.t.account()
        );
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
                    .map(|q| self.queue_arn(q))
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
                vec![self.queue_arn(&on_failure.queue)],
            ));
        }
        statements.extend(f.statements.iter().flatten().map(statement));
        policy(statements)
    }

    fn queue(&self, name: &str, q: &crate::spec::model::Queue) -> Resource {
        let fifo = q.fifo == Some(true);
        let redrive = q.dead_letter.as_ref().map_or(Value::Null, |dl| json!({"deadLetterTargetArn": self.queue_arn(&dl.queue), "maxReceiveCount": dl.max_receive_count}));
        let mut r = Resource::new(Kind::Queue, name, self.queue_physical(name))
            .with("arn", self.queue_arn(name))
            .with("fifo", fifo)
            .with(
                "visibility_timeout",
                q.visibility_timeout.unwrap_or(DEFAULT_VISIBILITY),
            )
            .with(
                "message_retention",
                q.message_retention.unwrap_or(DEFAULT_RETENTION),
            )
            .with("delay", q.delay.unwrap_or(0))
            .with("receive_wait_time", q.receive_wait_time.unwrap_or(0))
            .with(
                "max_message_size",
                q.max_message_size.unwrap_or(DEFAULT_MAX_MESSAGE),
            )
            .with(
                "kms_key",
                q.kms_key.clone().map_or(Value::Null, Value::from),
            )
            .with("redrive_policy", redrive)
            .with_map("tags", &self.tags);
        if fifo {
            r = r.with(
                "content_based_deduplication",
                q.content_based_deduplication.unwrap_or(false),
            );
        }
        r
    }

    fn function(&self, name: &str, f: &Function, code: Option<&CodeIdentity>) -> Resource {
        let physical = self.p.physical_name(name);
        let role = match &f.role {
            Some(r) if r.starts_with("arn:") => r.clone(),
            Some(declared) => self.role_arn(&self.p.physical_name(declared)),
            None => self.role_arn(&physical),
        };
        let mut r = Resource::new(Kind::Function, name, physical.clone())
            .with("arn", self.function_arn(name))
            .with("memory", f.memory.unwrap_or(DEFAULT_MEMORY))
            .with("timeout", f.timeout.unwrap_or(DEFAULT_TIMEOUT))
            .with(
                "ephemeral_storage",
                f.ephemeral_storage.unwrap_or(DEFAULT_EPHEMERAL),
            )
            .with(
                "architecture",
                if f.architecture == Some(Architecture::Arm64) {
                    "arm64"
                } else {
                    "x86_64"
                },
            )
            .with(
                "tracing",
                if f.tracing == Some(Tracing::Active) {
                    "Active"
                } else {
                    "PassThrough"
                },
            )
            .with("description", f.description.clone().unwrap_or_default())
            .with(
                "kms_key_arn",
                f.kms_key_arn.clone().map_or(Value::Null, Value::from),
            )
            .with("role", role)
            .with("layers", f.layers.clone().unwrap_or_default())
            .with(
                "reserved_concurrency",
                f.reserved_concurrency.map_or(Value::Null, Value::from),
            )
            .with_map("tags", &self.tags);
        if let Some(a) = &f.async_invoke {
            // AWS's defaults written out, so that the plan compares like with like. The tag
            // tells a later read that slsr made the config (see aws/read/lambda.rs).
            r = r
                .with(ASYNC_TAG, "on")
                .with("async.max_retries", a.max_retries.unwrap_or(2))
                .with("async.max_event_age", a.max_event_age.unwrap_or(21600))
                .with(
                    "async.on_failure",
                    a.on_failure
                        .as_ref()
                        .map_or(Value::Null, |d| Value::from(self.queue_arn(&d.queue))),
                );
        }
        if let Some(vpc) = &f.vpc {
            let mut subnets = vpc.subnet_ids.clone();
            subnets.sort();
            let mut groups = vpc.security_group_ids.clone();
            groups.sort();
            r = r
                .with("vpc.subnet_ids", subnets)
                .with("vpc.security_group_ids", groups);
        }
        let env: Vec<(String, String)> = f
            .env
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect();
        for (k, v) in env {
            r = r.with(&format!("env.{k}"), v);
        }
        match code {
            Some(CodeIdentity::Image(uri)) => r
                .with("package_type", "Image")
                .with("image_uri", uri.as_str()),
            Some(CodeIdentity::Zip(p)) => r
                .with("package_type", "Zip")
                .with("runtime", f.runtime.clone().unwrap_or_default())
                .with("handler", f.handler.clone().unwrap_or_default())
                .with("code_sha256", p.code_sha256.as_str())
                .with("code_size", p.zipped),
            None => r.with(
                "package_type",
                if f.image.is_some() { "Image" } else { "Zip" },
            ),
        }
    }

    /// A statement in the function's resource policy. Its id comes from `identity`, what
    /// the permission is for, which stays the same when an ARN in it is learnt later.
    fn permission(&self, function: &str, identity: &str, attrs: Value) -> Resource {
        let mut attrs = attrs.as_object().cloned().unwrap_or_default();
        attrs.retain(|_, v| !v.is_null());
        let sid = format!("slsr-{}", short_hash(&format!("{function}\0{identity}")));
        let mut r = Resource::new(Kind::Permission, format!("{function}.{sid}"), sid)
            .with("function", self.p.physical_name(function))
            .with("action", "lambda:InvokeFunction");
        for (k, v) in attrs {
            r = r.with(&k, v);
        }
        r
    }

    fn mapping(&self, function: &str, sqs: &crate::spec::model::SqsEvent) -> Resource {
        let (source_key, arn) = match (&sqs.queue, &sqs.arn) {
            (Some(q), _) => (q.clone(), self.queue_arn(q)),
            (None, Some(arn)) => (
                arn.rsplit(':').next().unwrap_or(arn).to_string(),
                arn.clone(),
            ),
            (None, None) => ("?".into(), String::new()),
        };
        Resource::new(
            Kind::EventSourceMapping,
            format!("{function}.{source_key}"),
            KNOWN_AFTER_APPLY,
        )
        .with("function", self.p.physical_name(function))
        .with("event_source_arn", arn)
        .with("batch_size", sqs.batch_size.unwrap_or(DEFAULT_BATCH))
        .with("batching_window", sqs.batching_window.unwrap_or(0))
        .with("enabled", sqs.enabled.unwrap_or(true))
        .with(
            "report_batch_item_failures",
            sqs.report_batch_item_failures.unwrap_or(false),
        )
        .with_map("tags", &self.tags)
    }

    fn rule(&self, function: &str, event: &Event) -> Resource {
        let (bus, what, input, enabled) = match event {
            Event::Schedule(ScheduleEvent::Expression(e)) => (
                "default".to_string(),
                json!({"schedule_expression": e}),
                None,
                true,
            ),
            Event::Schedule(ScheduleEvent::Detailed(d)) => (
                "default".to_string(),
                json!({"schedule_expression": d.expression}),
                d.input.clone(),
                d.enabled.unwrap_or(true),
            ),
            Event::Eventbridge(e) => (
                e.bus.clone().unwrap_or_else(|| "default".into()),
                json!({"event_pattern": Value::Object(e.pattern.clone())}),
                e.input.clone(),
                true,
            ),
            _ => unreachable!("only schedule and eventbridge events make rules"),
        };
        let identity = format!("{function}\0{bus}\0{}", canonical_json(&what));
        let physical = format!(
            "{}-{}",
            self.p.physical_name(function),
            short_hash(&identity)
        );
        let bus_name = bus.rsplit('/').next().unwrap_or(&bus).to_string();
        let arn = if bus_name == "default" {
            format!(
                "arn:aws:events:{}:{}:rule/{physical}",
                self.t.region(),
                self.t.account()
            )
        } else {
            format!(
                "arn:aws:events:{}:{}:rule/{bus_name}/{physical}",
                self.t.region(),
                self.t.account()
            )
        };
        let mut r = Resource::new(
            Kind::Rule,
            format!("{function}.{}", short_hash(&identity)),
            physical,
        )
        .with("arn", arn)
        .with("bus", bus_name)
        .with("state", if enabled { "ENABLED" } else { "DISABLED" })
        .with("target", self.function_arn(function))
        .with(
            "input",
            input.map_or(Value::Null, |i| Value::String(canonical_json(&i))),
        )
        .with_map("tags", &self.tags);
        for (k, v) in what.as_object().expect("an object").clone() {
            r = r.with(&k, v);
        }
        r
    }

    fn http_api(&self) -> Option<Resource> {
        let any_http = self.p.functions.values().any(|f| {
            f.events
                .iter()
                .flatten()
                .any(|e| matches!(e, Event::Http(_)))
        });
        if !any_http {
            return None;
        }
        let mut r = Resource::new(
            Kind::HttpApi,
            "api",
            format!("{}-{}", self.p.service, self.p.stage),
        )
        .with("id", self.t.api_id.as_deref().unwrap_or(KNOWN_AFTER_APPLY))
        .with("protocol", "HTTP")
        .with_map("tags", &self.tags);
        let cors = self.p.http_api.as_ref().and_then(|a| a.cors.as_ref());
        if let Some(c) = cors {
            let sorted = |v: &Option<Vec<String>>| {
                let mut v = v.clone().unwrap_or_default();
                v.sort();
                v
            };
            r = r
                .with("cors.allow_origins", sorted(&c.allow_origins))
                .with("cors.allow_methods", sorted(&c.allow_methods))
                .with("cors.allow_headers", sorted(&c.allow_headers))
                .with("cors.expose_headers", sorted(&c.expose_headers))
                .with("cors.max_age", c.max_age.map_or(Value::Null, Value::from))
                .with(
                    "cors.allow_credentials",
                    c.allow_credentials.unwrap_or(false),
                );
        }
        Some(r)
    }

    fn route(&self, function: &str, route: &str, auth: Option<&str>) -> Resource {
        let (kind, authorizer) = match auth {
            None | Some("none") => ("NONE", Value::Null),
            Some("iam") => ("AWS_IAM", Value::Null),
            Some(name) => ("JWT", Value::from(format!("authorizer.{name}"))),
        };
        Resource::new(Kind::Route, route, route)
            .with("target", format!("integration.{function}"))
            .with("authorization", kind)
            .with("authorizer", authorizer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::source::SourceFile;
    use crate::spec::{Options, load_source};

    fn project(text: &str) -> Project {
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

    fn state(text: &str) -> State {
        build(
            &project(text),
            &HashMap::new(),
            &Target {
                account_id: Some("123456789012".into()),
                region: Some("eu-west-1".into()),
                api_id: None,
                ..Target::default()
            },
        )
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
