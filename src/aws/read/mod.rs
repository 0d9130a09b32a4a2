//! Reading the live account: every resource slsr would own for one service and stage, in
//! the normalized model, with as few calls as the APIs allow.
//!
//! Each service's reads are in their own module. Reads run concurrently, at most
//! `PARALLEL_READS` at a time. A resource with a name slsr would use but without its
//! ownership tags becomes a `Conflict`; one with the tags but no longer in the spec is read
//! like any other, so the plan deletes it. Every call is counted by operation (`-v`).

pub mod account;
mod apigw;
mod buses;
mod cloudwatch;
mod domains;
mod dynamodb;
pub mod events;
pub mod iam;
mod kinesis;
mod lambda;
mod rest;
mod rest_authorizers;
mod rest_keys;
pub mod rest_logs;
mod s3;
mod scheduler;
mod secretsmanager;
mod sfn;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod tagged;
pub mod usage;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::{AwsError, Clients};
use crate::engine::model::{Conflict, Kept, Resource, State};

/// Reads in flight at once: enough to hide latency, few enough not to be throttled.
pub const PARALLEL_READS: usize = 8;

/// Calls made, by `Service.Operation`.
#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<BTreeMap<&'static str, usize>>>);

impl Calls {
    pub fn count(&self, operation: &'static str) {
        *self
            .0
            .lock()
            .expect("no panic while counting")
            .entry(operation)
            .or_default() += 1;
    }
    pub fn snapshot(&self) -> BTreeMap<&'static str, usize> {
        self.0.lock().expect("no panic while counting").clone()
    }
    pub fn total(&self) -> usize {
        self.snapshot().values().sum()
    }
}

/// What is read, and how resources are recognized as slsr's.
#[derive(Clone, Debug)]
pub struct Scope {
    pub service: String,
    pub stage: String,
    /// Event buses the spec's rules use (besides `default`).
    pub buses: Vec<String>,
    /// The address `slsr adopt` takes over: the resource there is read as slsr's though it
    /// lacks the tags, unless another service's or stage's tags say it is theirs.
    pub adopt: Option<String>,
}

impl Scope {
    /// `{service}-{stage}-`: every physical name slsr gives starts with it.
    pub fn prefix(&self) -> String {
        format!("{}-{}-", self.service, self.stage)
    }

    /// The spec's name for a physical name: `orders-dev-api` -> `api`.
    pub fn logical<'a>(&self, physical: &'a str) -> Option<&'a str> {
        physical.strip_prefix(&self.prefix())
    }

    /// Whether a resource's tags say it is this service and stage's.
    pub fn owns(&self, tags: &HashMap<String, String>) -> bool {
        tags.get("slsr:service") == Some(&self.service)
            && tags.get("slsr:stage") == Some(&self.stage)
    }

    /// Whether the resource at `address` is read as this service and stage's: its tags say
    /// so, or `slsr adopt` is taking it over and no slsr tags say it is someone else's.
    pub fn owns_at(&self, address: &str, tags: &HashMap<String, String>) -> bool {
        self.owns(tags)
            || (self.adopt.as_deref() == Some(address)
                && !tags.contains_key("slsr:service")
                && !tags.contains_key("slsr:stage"))
    }
}

/// What a read found beside resources and conflicts: parts of owned resources that are
/// someone else's, and parts whose ownership only their own tags can prove.
#[derive(Default)]
pub struct Parts {
    pub kept: Vec<Kept>,
    /// Address to ARN: resources whose tags must be read before a change touches them.
    pub unverified: BTreeMap<String, String>,
}

/// What a read found.
#[derive(Default)]
pub struct Live {
    pub state: State,
    /// The HTTP API's id, when it exists: desired permissions name it in their source ARN.
    pub api_id: Option<String>,
    /// The REST API's id, when slsr owns one.
    pub rest_api_id: Option<String>,
    /// The ids of the REST API's authorizers, by key.
    pub rest_authorizer_ids: BTreeMap<String, String>,
    /// The ids of the REST API's owned keys, by name.
    pub rest_api_key_ids: BTreeMap<String, String>,
    /// Each owned queue's URL by its key, for `${queue:NAME.url}`.
    pub queue_urls: BTreeMap<String, String>,
    /// Each owned function URL by its function's key, for `${function:NAME.url}`.
    pub function_urls: BTreeMap<String, String>,
    /// Each owned table's stream by the table's key: its view type and ARN, for
    /// `${table:NAME.stream_arn}` and the mappings that read it.
    pub table_streams: BTreeMap<String, (String, String)>,
    /// Each owned secret's ARN by its key, for `${secret:NAME.arn}`.
    pub secret_arns: BTreeMap<String, String>,
    /// Address to ARN of the resources read as unverified (`Parts::unverified`).
    pub unverified: BTreeMap<String, String>,
    /// Owned resources at an address that another owned resource holds already (two HTTP
    /// APIs of one service made by concurrent applies, `x-dev-jobs` and
    /// `x-dev-jobs.fifo`): slsr cannot tell which is meant.
    pub duplicates: Vec<Resource>,
}

impl Live {
    fn add(&mut self, resources: Vec<Resource>, conflicts: Vec<Conflict>) {
        for r in resources {
            if self.state.resources.contains_key(&r.address()) {
                self.duplicates.push(r);
            } else {
                self.state.insert(r);
            }
        }
        self.state.conflicts.extend(conflicts);
    }

    /// What a service's reader found on its own (`dynamodb.rs`, `s3.rs` return a `Live`).
    fn merge(&mut self, other: Live) {
        let Live {
            state,
            api_id,
            rest_api_id,
            rest_authorizer_ids,
            rest_api_key_ids,
            queue_urls,
            function_urls,
            table_streams,
            secret_arns,
            unverified,
            duplicates,
        } = other;
        self.add(state.resources.into_values().collect(), state.conflicts);
        self.state.kept.extend(state.kept);
        self.api_id = self.api_id.take().or(api_id);
        self.rest_api_id = self.rest_api_id.take().or(rest_api_id);
        self.rest_authorizer_ids.extend(rest_authorizer_ids);
        self.rest_api_key_ids.extend(rest_api_key_ids);
        self.queue_urls.extend(queue_urls);
        self.function_urls.extend(function_urls);
        self.table_streams.extend(table_streams);
        self.secret_arns.extend(secret_arns);
        self.unverified.extend(unverified);
        self.duplicates.extend(duplicates);
    }

    fn add_parts(&mut self, parts: Parts) {
        self.state.kept.extend(parts.kept);
        self.unverified.extend(parts.unverified);
    }

    /// Each address that more than one owned resource claims, as a conflict naming them.
    pub fn duplicate_conflicts(&self) -> Vec<Conflict> {
        let mut by_address: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in &self.duplicates {
            let first = self
                .state
                .resources
                .get(&d.address())
                .map_or(String::new(), label);
            let names = by_address.entry(d.address()).or_insert_with(|| vec![first]);
            names.push(label(d));
        }
        by_address
            .into_iter()
            .map(|(address, names)| Conflict {
                address,
                name: names.join(", "),
                reason: format!(
                    "{} resources with this service and stage's tags claim it ({}), made by applies that ran at once or by hand; slsr will not guess which is meant: delete all but one (slsr destroy deletes them all)",
                    names.len(),
                    names.join(" and ")
                ),
            })
            .collect()
    }

    /// The destroy plan's view: every duplicate is a resource of its own, to be deleted.
    pub fn with_duplicates_apart(mut self) -> Live {
        for mut d in std::mem::take(&mut self.duplicates) {
            d.key = format!("{}#{}", d.key, id_or_name(&d));
            self.state.insert(d);
        }
        self
    }
}

/// What tells two resources of one name apart: the id AWS gave (an HTTP API's), else the name.
fn id_or_name(r: &Resource) -> &str {
    r.attrs
        .get("id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(&r.name)
}

fn label(r: &Resource) -> String {
    match id_or_name(r) {
        id if id != r.name => format!("{} (id {id})", r.name),
        _ => r.name.clone(),
    }
}

/// The clients, the call counter and the bound on concurrent reads.
#[derive(Clone)]
pub struct Reader {
    clients: Clients,
    pub calls: Calls,
    limit: Arc<Semaphore>,
    /// The ARNs the tagging API gives for the service's tags, asked for once a read.
    tagged: Arc<tokio::sync::OnceCell<Vec<String>>>,
}

impl std::ops::Deref for Reader {
    type Target = Clients;
    fn deref(&self) -> &Clients {
        &self.clients
    }
}

impl Reader {
    pub fn new(config: &SdkConfig) -> Reader {
        Reader {
            clients: Clients::new(config),
            calls: Calls::default(),
            limit: Arc::new(Semaphore::new(PARALLEL_READS)),
            tagged: Arc::default(),
        }
    }

    /// Waits for a free slot; the slot is released when the permit drops.
    async fn slot(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.limit
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Reads everything slsr would own for `scope`. `wanted` is the desired state's
    /// addresses: a live resource without ownership tags is a conflict only when the spec
    /// wants its name; otherwise it is someone else's and left out.
    pub async fn read(&self, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
        // Streams, secrets and alarms read alongside the rest (two joins: `try_join!` takes
        // at most as many futures as a tuple has fields that implement what it needs).
        let messaging = async {
            tokio::try_join!(
                kinesis::read(self, scope, wanted),
                secretsmanager::read(self, scope, wanted),
                cloudwatch::read(self, scope, wanted),
                rest::read(self, scope, wanted),
                domains::read(self, scope, wanted),
            )
        };
        let rest = async {
            tokio::try_join!(
                lambda::read(self, scope, wanted),
                iam::read(self, scope, wanted),
                sqs::read(self, scope, wanted),
                events::read(self, scope, wanted),
                apigw::read(self, scope, wanted),
                ssm::published(self, scope, wanted),
                dynamodb::read(self, scope, wanted),
                s3::read(self, scope, wanted),
                sfn::read(self, scope, wanted),
                sns::read(self, scope, wanted),
                scheduler::read(self, scope, wanted),
            )
        };
        let (rest, (streams, secrets, alarms, rest_api, mut domains)) =
            tokio::try_join!(rest, messaging)?;
        let (
            functions,
            roles,
            queues,
            rules,
            api,
            parameters,
            tables,
            buckets,
            machines,
            topics,
            schedules,
        ) = rest;
        let mut live = Live::default();
        let (functions, lambda_parts, function_urls) = functions;
        live.function_urls = function_urls;
        live.add(functions.0, functions.1);
        live.add_parts(lambda_parts);
        live.add(roles.0, roles.1);
        live.add((queues.0).0, (queues.0).1);
        live.queue_urls = queues.1;
        let (rules, rule_parts) = rules;
        live.add(rules.0, rules.1);
        live.add_parts(rule_parts);
        live.api_id = api.2;
        live.add(api.0, api.1);
        live.state.kept.extend(api.3);
        live.add(parameters.0, parameters.1);
        live.merge(tables);
        live.merge(buckets);
        live.merge(machines);
        live.add(topics.0, topics.1);
        live.add(schedules.0, schedules.1);
        live.merge(streams);
        live.merge(secrets);
        live.add(alarms.0, alarms.1);
        live.merge(rest_api);
        // Custom domains and their mappings: slsr's mappings are those of its own APIs.
        let apis: Vec<(String, String)> = live
            .api_id
            .iter()
            .map(|id| (crate::kinds::http_api::the_api(), id.clone()))
            .chain(
                live.rest_api_id
                    .iter()
                    .map(|id| (crate::kinds::rest_api::the_api(), id.clone())),
            )
            .collect();
        let domain_conflicts = std::mem::take(&mut domains.conflicts);
        let (domains, domain_kept) = domains::classify(domains, &apis);
        live.add(domains, domain_conflicts);
        live.state.kept.extend(domain_kept);
        // The buckets' notification documents: after the rest, for the buckets slsr owns
        // and the statements of its functions name the buckets whose entries it must find.
        let notifications = s3::notifications(self, scope, wanted, &live.state).await?;
        live.merge(notifications);
        // The topics' subscriptions: after the rest, for the owned functions (their
        // endpoints) and topics, and the statements that name the topics slsr subscribed to.
        let subscriptions = sns::subscriptions(self, wanted, &live.state).await?;
        live.merge(subscriptions);
        Ok(live)
    }
}

/// The tags of unverified resources, by address (`Parts::unverified`).
impl Reader {
    pub async fn owner_tags(
        &self,
        unverified: &[(String, String)],
    ) -> Result<HashMap<String, HashMap<String, String>>, AwsError> {
        lambda::owner_tags(self, unverified).await
    }
}

/// The conflict for a live resource that has a name slsr wants but not slsr's tags. Its
/// reason names both ways on: change the spec, or change the resource in AWS (for what
/// holds data, `slsr adopt`, which keeps the data and shows what apply would change).
pub(crate) fn conflict(address: String, name: &str, scope: &Scope) -> Conflict {
    let tags = format!(
        "slsr:service={} and slsr:stage={}",
        scope.service, scope.stage
    );
    let holds_data = crate::kinds::ALL
        .iter()
        .any(|k| k.info().holds_data && address.starts_with(&format!("{}.", k.as_str())));
    let in_aws = if holds_data {
        format!(
            "or take it into slsr with its data: `slsr adopt {address}` shows what the next apply would change in it, then tags it {tags}"
        )
    } else {
        format!("or, in AWS, delete it, or tag it {tags} to hand it to slsr")
    };
    Conflict {
        name: name.to_string(),
        reason: format!(
            "it exists without slsr's ownership tags ({tags}), so slsr will not change or delete it, and makes nothing in its place. Either rename it in the spec, so that slsr makes its own beside it; {in_aws}"
        ),
        address,
    }
}

/// Every Resource a read returns, and the conflicts found on the way.
type Found = (Vec<Resource>, Vec<Conflict>);
