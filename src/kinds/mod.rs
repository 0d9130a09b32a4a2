//! Resource kinds: one description each (`KindInfo`) and one module each. A kind's module
//! holds its attribute names and AWS's defaults, how its desired resources are built from
//! the spec, how a live one is made from AWS's answers (the service reader in `aws/read/`
//! fetches them, batched), and its writer. The matches over `Kind` are here and have no
//! catch-all arm, so a new kind makes the compiler point at every place it needs.
//!
//! The writers and readers' halves of these modules call the AWS SDK; the descriptions and
//! the desired builders are pure.

pub mod alarm;
pub mod alias;
pub mod api_mapping;
pub mod authorizer;
pub mod bucket;
pub mod bucket_notification;
pub mod bus;
pub mod domain_name;
pub mod event_source_mapping;
pub mod function;
pub mod function_url;
pub mod http_api;
pub mod integration;
pub mod log_group;
pub mod parameter;
pub mod permission;
pub mod queue;
pub mod rest_access_log;
pub mod rest_api;
pub mod rest_api_key;
pub mod rest_authorizer;
pub mod rest_cors;
pub mod rest_deployment;
mod rest_key_creates;
pub mod rest_method;
pub mod rest_resource;
pub mod rest_stage;
pub mod rest_usage_plan;
pub mod rest_usage_plan_key;
pub mod role;
pub mod route;
pub mod rule;
pub mod schedule;
pub mod schedule_group;
pub mod secret;
pub mod stage;
pub mod state_machine;
pub mod state_machine_roles;
pub mod stream;
pub mod subscription;
pub mod table;
pub mod topic;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};

/// The kinds of resource slsr manages, in the order plans list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Role,
    Queue,
    Table,
    Bucket,
    Stream,
    Secret,
    LogGroup,
    Function,
    FunctionUrl,
    Alias,
    Permission,
    BucketNotification,
    EventSourceMapping,
    Topic,
    Subscription,
    Bus,
    Rule,
    ScheduleGroup,
    Schedule,
    HttpApi,
    Integration,
    Authorizer,
    Route,
    Stage,
    RestApi,
    RestResource,
    RestMethod,
    RestDeployment,
    RestStage,
    RestAuthorizer,
    RestApiKey,
    RestUsagePlan,
    RestUsagePlanKey,
    RestCors,
    DomainName,
    ApiMapping,
    StateMachine,
    Parameter,
    Alarm,
}

/// Every kind, in the order their desired resources are built.
pub const ALL: &[Kind] = &[
    Kind::Role,
    Kind::Queue,
    Kind::Table,
    Kind::Bucket,
    Kind::Stream,
    Kind::Secret,
    Kind::LogGroup,
    Kind::Function,
    Kind::FunctionUrl,
    Kind::Alias,
    Kind::Permission,
    Kind::BucketNotification,
    Kind::EventSourceMapping,
    Kind::Topic,
    Kind::Subscription,
    Kind::Bus,
    Kind::Rule,
    Kind::ScheduleGroup,
    Kind::Schedule,
    Kind::HttpApi,
    Kind::Integration,
    Kind::Authorizer,
    Kind::Route,
    Kind::Stage,
    Kind::RestApi,
    Kind::RestResource,
    Kind::RestMethod,
    // Before the deployment: its digest holds the authorizers.
    Kind::RestAuthorizer,
    // Before the deployment: its digest holds the CORS methods.
    Kind::RestCors,
    Kind::RestDeployment,
    Kind::RestStage,
    Kind::RestApiKey,
    Kind::RestUsagePlan,
    Kind::RestUsagePlanKey,
    Kind::DomainName,
    Kind::ApiMapping,
    Kind::StateMachine,
    Kind::Parameter,
    Kind::Alarm,
];

/// How a kind carries slsr's ownership tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tags {
    /// Tagged, and the tags read back with the resource: compared like any attribute.
    Compared,
    /// Tagged at creation, but no bulk read returns the tags (mappings, published
    /// parameters): they prove ownership and are not diffed.
    WrittenOnly,
    /// Not taggable: ownership comes from the id slsr gives it (a `slsr-` statement id) or
    /// from the resource it belongs to (an API's routes).
    Untagged,
}

/// A writer: makes one step (a create, an update or a delete) of its kind.
pub type Writer = for<'a> fn(
    &'a Applier,
    &'a Step,
) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;

/// A kind's `Writer` from its `async fn apply(&Applier, &Step)`.
macro_rules! writer {
    ($apply:path) => {{
        fn write<'a>(
            a: &'a $crate::apply::Applier,
            step: &'a $crate::apply::Step,
        ) -> ::std::pin::Pin<
            Box<dyn ::std::future::Future<Output = Result<(), $crate::aws::AwsError>> + Send + 'a>,
        > {
            Box::pin($apply(a, step))
        }
        write
    }};
}
pub(crate) use writer;

/// Everything the engine and apply know about a kind.
pub struct KindInfo {
    /// The first part of an address: `function` in `function.api`.
    pub prefix: &'static str,
    /// How the physical name is made, in words (docs and reviews).
    pub naming: &'static str,
    pub tags: Tags,
    /// Attributes AWS cannot change in place: a change to one replaces the resource.
    pub replaced_by: &'static [&'static str],
    /// Whether it holds data that a deletion or replacement loses (tables, buckets...).
    pub holds_data: bool,
    /// Adds the kind's desired resources for the project.
    pub desired: fn(&Builder, &mut State),
    /// The addresses a resource needs to exist before it is made (and that it goes before
    /// when deleted), from its attributes: the same on the desired and the live side.
    pub needs: fn(&Resource, &Index) -> Vec<String>,
    /// The function a resource's changes queue behind: Lambda refuses concurrent changes
    /// to one function, so everything that changes one goes one after another. These are
    /// also the function's parts, which go and come back with it when it is replaced.
    pub serial_with: fn(&Resource) -> Option<String>,
    /// What a reviewer should be told about a resource the plan makes or changes: that
    /// anyone may call it.
    pub public: fn(&Resource) -> Option<&'static str>,
    /// The attributes that say which resource this is, shown under its deletion (where the
    /// rest would only be noise): its ARN, or what it joins (a mapping's function and queue).
    pub identity: &'static [&'static str],
    /// What a resource is for when its address does not say (a permission: the route or
    /// rule it lets call the function), for a comment under the address.
    pub about: fn(&Resource) -> Option<String>,
    pub write: Writer,
}

impl Kind {
    /// The kind's description.
    pub fn info(self) -> &'static KindInfo {
        match self {
            Kind::Role => &role::INFO,
            Kind::Queue => &queue::INFO,
            Kind::Table => &table::INFO,
            Kind::Bucket => &bucket::INFO,
            Kind::Stream => &stream::INFO,
            Kind::Secret => &secret::INFO,
            Kind::LogGroup => &log_group::INFO,
            Kind::Function => &function::INFO,
            Kind::FunctionUrl => &function_url::INFO,
            Kind::Alias => &alias::INFO,
            Kind::Permission => &permission::INFO,
            Kind::BucketNotification => &bucket_notification::INFO,
            Kind::EventSourceMapping => &event_source_mapping::INFO,
            Kind::Rule => &rule::INFO,
            Kind::Topic => &topic::INFO,
            Kind::Subscription => &subscription::INFO,
            Kind::Bus => &bus::INFO,
            Kind::ScheduleGroup => &schedule_group::INFO,
            Kind::Schedule => &schedule::INFO,
            Kind::HttpApi => &http_api::INFO,
            Kind::Integration => &integration::INFO,
            Kind::Authorizer => &authorizer::INFO,
            Kind::Route => &route::INFO,
            Kind::Stage => &stage::INFO,
            Kind::RestApi => &rest_api::INFO,
            Kind::RestResource => &rest_resource::INFO,
            Kind::RestMethod => &rest_method::INFO,
            Kind::RestDeployment => &rest_deployment::INFO,
            Kind::RestStage => &rest_stage::INFO,
            Kind::RestAuthorizer => &rest_authorizer::INFO,
            Kind::RestApiKey => &rest_api_key::INFO,
            Kind::RestUsagePlan => &rest_usage_plan::INFO,
            Kind::RestUsagePlanKey => &rest_usage_plan_key::INFO,
            Kind::RestCors => &rest_cors::INFO,
            Kind::DomainName => &domain_name::INFO,
            Kind::ApiMapping => &api_mapping::INFO,
            Kind::StateMachine => &state_machine::INFO,
            Kind::Parameter => &parameter::INFO,
            Kind::Alarm => &alarm::INFO,
        }
    }

    /// The first part of an address: `function.api`.
    pub fn as_str(self) -> &'static str {
        self.info().prefix
    }

    /// Attributes AWS cannot change in place: a change to one replaces the resource.
    pub fn replaced_by(self) -> &'static [&'static str] {
        self.info().replaced_by
    }

    /// Whether the plan compares this kind's tags (`Tags::Compared`).
    pub fn tags_compared(self) -> bool {
        self.info().tags == Tags::Compared
    }
}

/// Every kind's desired resources for the project.
pub fn desired(b: &Builder, state: &mut State) {
    for kind in ALL {
        (kind.info().desired)(b, state);
    }
}

/// Resources by the ARN and the physical name they have, to turn what an attribute names
/// (a role's ARN, a function's name) into the address of the resource it names.
#[derive(Default)]
pub struct Index {
    by_arn: HashMap<String, String>,
    by_name: HashMap<(Kind, String), String>,
}

impl Index {
    pub fn of<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Index {
        let mut index = Index::default();
        for r in resources {
            if let Some(arn) = r.attrs.get("arn").and_then(Value::as_str) {
                index.by_arn.insert(arn.to_string(), r.address());
            }
            index.by_name.insert((r.kind, r.name.clone()), r.address());
        }
        index
    }

    /// The address of the resource with this ARN.
    pub fn arn(&self, arn: &str) -> Option<String> {
        self.by_arn.get(arn).cloned()
    }

    /// The address of the resource of `kind` named `name` in AWS.
    pub fn named(&self, kind: Kind, name: &str) -> Option<String> {
        self.by_name.get(&(kind, name.to_string())).cloned()
    }
}

/// The addresses that a resource's values name as known only after apply
/// (`(known after apply: queue.jobs.url)` names `queue.jobs`): what it must wait for.
pub fn referenced(r: &Resource) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => {
                let mut rest = s.as_str();
                while let Some((range, what)) = crate::engine::desired::next_known_after_apply(rest)
                {
                    out.push(reference_address(what));
                    rest = &rest[range.end..];
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    r.attrs.values().for_each(|v| walk(v, &mut out));
    out
}

/// The address a reference names: `queue.jobs.url` is `queue.jobs`, `http_api.url` and
/// `rest_api.url` (or `.id`) the service's one API of each.
pub fn reference_address(what: &str) -> String {
    match what.rsplit_once('.') {
        Some(("http_api", _)) | None => "http_api.api".into(),
        Some(("rest_api", _)) => "rest_api.api".into(),
        Some((address, _)) => address.to_string(),
    }
}

/// A kind that needs nothing.
pub fn needs_nothing(_: &Resource, _: &Index) -> Vec<String> {
    Vec::new()
}

/// A kind that never lets anyone call anything.
pub fn never_public(_: &Resource) -> Option<&'static str> {
    None
}

/// A kind whose address says what it is for.
pub fn nothing_to_add(_: &Resource) -> Option<String> {
    None
}

/// A kind whose changes go alongside every other change.
pub fn not_serial(_: &Resource) -> Option<String> {
    None
}

/// An attribute's value, null when the resource lacks it (never a panic).
pub fn attr<'a>(r: &'a Resource, attr: &str) -> &'a Value {
    r.attrs.get(attr).unwrap_or(&Value::Null)
}

pub fn attr_str(r: &Resource, attr: &str) -> String {
    r.attrs
        .get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A string attribute, or `None` when it is absent or null.
pub fn attr_opt(r: &Resource, attr: &str) -> Option<String> {
    r.attrs
        .get(attr)
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn attr_i32(r: &Resource, attr: &str) -> Option<i32> {
    r.attrs.get(attr).and_then(Value::as_i64).map(|v| v as i32)
}

pub fn attr_bool(r: &Resource, attr: &str) -> bool {
    r.attrs.get(attr) == Some(&Value::Bool(true))
}

pub fn attr_list(r: &Resource, attr: &str) -> Vec<String> {
    r.attrs
        .get(attr)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `prefix.KEY` attributes as a map (env vars, tags).
pub fn attr_map(r: &Resource, prefix: &str) -> HashMap<String, String> {
    let prefix = format!("{prefix}.");
    r.attrs
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix(&prefix)?.to_string(),
                v.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The tags of a resource as `tags.KEY` attributes.
pub const TAGS: &str = "tags";

/// The address of the function a resource belongs to, from the function's physical name in
/// its `function` attribute.
pub fn function_of(r: &Resource, index: &Index, attribute: &str) -> Vec<String> {
    index
        .named(Kind::Function, &attr_str(r, attribute))
        .into_iter()
        .collect()
}
