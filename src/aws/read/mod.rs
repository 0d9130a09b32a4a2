//! Reading the live account: every resource slsr would own for one service and stage, in
//! the normalized model, with as few calls as the APIs allow.
//!
//! Each service's reads are in their own module. Reads run concurrently, at most
//! `PARALLEL_READS` at a time. A resource with a name slsr would use but without its
//! ownership tags becomes a `Conflict`; one with the tags but no longer in the spec is read
//! like any other, so the plan deletes it. Every call is counted by operation (`-v`).

mod apigw;
pub mod events;
pub mod iam;
mod lambda;
mod sqs;
pub mod ssm;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use tokio::sync::Semaphore;

use super::{AwsError, Clients};
use crate::model::{Conflict, Resource, State};

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
}

/// What a read found.
#[derive(Default)]
pub struct Live {
    pub state: State,
    /// The HTTP API's id, when it exists: desired permissions name it in their source ARN.
    pub api_id: Option<String>,
    /// Each owned queue's URL by its key, for `${queue:NAME.url}`.
    pub queue_urls: BTreeMap<String, String>,
}

impl Live {
    fn add(&mut self, resources: Vec<Resource>, conflicts: Vec<Conflict>) {
        for r in resources {
            self.state.insert(r);
        }
        self.state.conflicts.extend(conflicts);
    }
}

/// The clients, the call counter and the bound on concurrent reads.
#[derive(Clone)]
pub struct Reader {
    clients: Clients,
    pub calls: Calls,
    limit: Arc<Semaphore>,
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
        let (functions, roles, queues, rules, api, parameters) = tokio::try_join!(
            lambda::read(self, scope, wanted),
            iam::read(self, scope, wanted),
            sqs::read(self, scope, wanted),
            events::read(self, scope, wanted),
            apigw::read(self, scope, wanted),
            ssm::published(self, scope, wanted),
        )?;
        let mut live = Live::default();
        live.add(functions.0, functions.1);
        live.add(roles.0, roles.1);
        live.add((queues.0).0, (queues.0).1);
        live.queue_urls = queues.1;
        live.add(rules.0, rules.1);
        live.api_id = api.2;
        live.add(api.0, api.1);
        live.add(parameters.0, parameters.1);
        Ok(live)
    }
}

/// The conflict for a live resource that has a name slsr wants but not slsr's tags.
fn conflict(address: String, name: &str, scope: &Scope) -> Conflict {
    Conflict {
        address,
        name: name.to_string(),
        reason: format!(
            "it exists without slsr's ownership tags (slsr:service={}, slsr:stage={}), so slsr will not change or delete it; rename it, delete it, or tag it to hand it over",
            scope.service, scope.stage
        ),
    }
}

/// Every Resource a read returns, and the conflicts found on the way.
type Found = (Vec<Resource>, Vec<Conflict>);
