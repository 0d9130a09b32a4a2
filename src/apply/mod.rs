//! Apply: makes exactly the planned changes, in dependency order, in parallel where safe.
//!
//! Built from the `Plan` alone (each change carries the live resource it was planned
//! against and the desired one), never from the spec, so it cannot touch what was not
//! planned. Changes are grouped in levels by kind (roles, queues, log groups, functions,
//! ...). Creates and updates run their levels as a graph: a level starts once the levels it
//! `needs` are done, so roles, queues, log groups and the API go together, and aliases,
//! routes, permissions, rules and mappings follow their functions side by side. Within a
//! level changes run in parallel, except that changes to one function run one after
//! another (Lambda rejects concurrent updates). Deletions go level by level in reverse. On
//! the first failure, or once told to stop (`stop_when`: a signal, a lost deploy lock), no
//! new change starts, running ones finish, and the report says what was done and what was
//! not.

mod apigw;
pub mod dry_run;
mod events;
mod iam;
mod lambda;
mod sqs;
mod ssm;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use serde_json::Value;

use crate::aws::record::{CHANGE, InChange, Recorder};
use crate::aws::{AwsError, Clients};
use crate::engine::model::{KNOWN_AFTER_APPLY, Kind, Resource};
use crate::engine::plan::{Action, Change, Plan};
use crate::package::CodeIdentity;

/// Changes in flight at once, unless `--parallelism` says otherwise. Lambda's calls keep
/// to its quotas whatever this is (`aws::pace`); the bound is for the other services. 16
/// rather than 8 took a 200-function apply from 1.31 to 1.21 times the floor Lambda's
/// quotas set (BENCHMARKS.md).
pub const DEFAULT_PARALLELISM: usize = 16;

/// The order apply creates things in; deletions go the other way. A queue with a
/// dead-letter queue comes after the queues; an HTTP permission names the API's id, so the
/// API comes before permissions; mappings and rules come last, once their function can be
/// invoked.
fn level(c: &Change) -> u8 {
    let resource = c.after.as_ref().or(c.before.as_ref());
    let has_redrive =
        resource.is_some_and(|r| r.attrs.get("redrive_policy").is_some_and(|p| !p.is_null()));
    match c.kind {
        Kind::Role => 0,
        Kind::Queue if has_redrive => 2,
        Kind::Queue => 1,
        Kind::LogGroup => 3,
        Kind::Function => 4,
        Kind::Alias => 5,
        Kind::HttpApi => 6,
        Kind::Integration => 7,
        Kind::Authorizer => 8,
        Kind::Route => 9,
        Kind::Stage => 10,
        Kind::Permission => 11,
        Kind::Rule => 12,
        Kind::EventSourceMapping => 13,
        Kind::Parameter => 14,
    }
}

/// The last level, published outputs.
const LAST_LEVEL: u8 = 14;

/// The levels whose creates and updates must be done before a level's start: what its
/// resources name or need to exist.
fn needs(level: u8) -> &'static [u8] {
    match level {
        // A queue with a dead-letter queue: the queues.
        2 => &[1],
        // Functions: their roles, the queues and the API their settings may name, their
        // log groups.
        4 => &[0, 1, 2, 3, 6],
        // Aliases: their function.
        5 => &[4],
        // Integrations: the function they invoke and the API.
        7 => &[4, 6],
        // Authorizers: the API.
        8 => &[6],
        // Routes: their integration and authorizer.
        9 => &[7, 8],
        // The stage: the API.
        10 => &[6],
        // Permissions: the function, and the API whose id their source ARN names.
        11 => &[4, 6],
        // Rules: their target invocable.
        12 => &[11],
        // Mappings: the function and the queue.
        13 => &[1, 2, 4],
        // Published outputs: what their values name (queues, functions, the API).
        14 => &[1, 2, 4, 6],
        _ => &[],
    }
}

/// What apply tells its caller as it goes, for a live view or one line per change.
pub enum Event<'a> {
    Started { address: &'a str, action: Action },
    Finished(&'a Done),
    Failed { address: &'a str },
}

/// Hears every `Event`; called from the tasks that make the changes.
pub type Progress = Arc<dyn Fn(Event) + Send + Sync>;

/// What one change did.
#[derive(Clone, Debug)]
pub struct Done {
    pub address: String,
    pub action: Action,
    pub took: Duration,
}

/// A change that failed: the resource, the AWS operation and AWS's message.
#[derive(Debug, thiserror::Error)]
#[error("{address}: {source}")]
pub struct StepError {
    pub address: String,
    pub source: AwsError,
}

/// The outcome of an apply: what was done, what failed, what never started.
#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Done>,
    pub failed: Vec<StepError>,
    pub not_started: Vec<String>,
    pub took: Duration,
}

/// What one run of changes did: done, failed, and not started because something failed.
#[derive(Default)]
struct Outcome {
    done: Vec<Done>,
    failed: Vec<StepError>,
    not_started: Vec<String>,
}

impl Outcome {
    fn add(&mut self, other: Outcome) {
        self.done.extend(other.done);
        self.failed.extend(other.failed);
        self.not_started.extend(other.not_started);
    }
}

/// What every change of one apply shares: the progress listener, the slots that bound
/// parallelism, and whether a change failed.
#[derive(Clone)]
struct Run {
    progress: Progress,
    slots: Arc<tokio::sync::Semaphore>,
    failed: Arc<AtomicBool>,
}

/// Ids that AWS assigns and later changes need: the HTTP API's, each integration's.
#[derive(Default)]
pub(crate) struct Ids(Mutex<HashMap<String, String>>);

impl Ids {
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        self.0
            .lock()
            .expect("no panic holding ids")
            .get(key)
            .cloned()
    }
    pub(crate) fn set(&self, key: &str, id: String) {
        self.0
            .lock()
            .expect("no panic holding ids")
            .insert(key.to_string(), id);
    }
}

/// Everything a change needs: clients, code, ids, the write counter.
pub struct Applier {
    pub(crate) clients: Clients,
    pub(crate) code: HashMap<String, CodeIdentity>,
    pub(crate) ids: Ids,
    /// The calls made, by the change they were made for (`aws/record.rs`).
    pub recorder: Arc<Recorder>,
    /// The look-ups apply makes by pages (what a lost create made), counted as a plan's
    /// reads are.
    pub(crate) lookups: crate::aws::read::Calls,
    /// A dry run: the clients answer without connecting (`aws/dry.rs`), and values only
    /// known after apply stay as placeholders instead of stopping a change.
    pub(crate) dry: bool,
    /// What the plan's read found slsr owns: address to kind and physical name.
    owned: BTreeMap<String, (Kind, String)>,
    parallelism: usize,
    key_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Set from outside to stop new changes, as a failure does.
    stop: Arc<AtomicBool>,
}

impl Applier {
    /// `api_id` is the live HTTP API's id, when it exists; `owned` is what the plan's read
    /// found slsr owns (`Planned::owned`): apply changes and deletes nothing else.
    pub fn new(
        config: &SdkConfig,
        code: HashMap<String, CodeIdentity>,
        api_id: Option<String>,
        owned: BTreeMap<String, (Kind, String)>,
        parallelism: usize,
    ) -> Applier {
        let ids = Ids::default();
        if let Some(id) = api_id {
            ids.set("http_api", id);
        }
        Applier {
            clients: Clients::new(config),
            code,
            ids,
            recorder: Arc::default(),
            lookups: Default::default(),
            dry: false,
            owned,
            parallelism: parallelism.max(1),
            key_locks: Mutex::new(HashMap::new()),
            stop: Arc::default(),
        }
    }

    /// Once `stop` is set, no new change starts; running ones finish and the report lists
    /// the rest as not started, as after a failure.
    pub fn stop_when(mut self, stop: Arc<AtomicBool>) -> Applier {
        self.stop = stop;
        self
    }

    /// Applies `plan`; `progress` hears of each change as it starts and as it finishes.
    pub async fn apply(self: Arc<Self>, plan: &Plan, progress: Progress) -> Report {
        let started = Instant::now();
        for change in &plan.changes {
            // Ids of what exists already.
            if let (Kind::Integration | Kind::Authorizer, Some(before)) =
                (change.kind, &change.before)
            {
                self.ids.set(&change.address, before.name.clone());
            }
        }
        let run = Run {
            progress,
            slots: Arc::new(tokio::sync::Semaphore::new(self.parallelism)),
            failed: Arc::new(AtomicBool::new(false)),
        };
        let mut report = Report::default();
        for phase in phases(plan) {
            let outcome = if phase.graph {
                self.clone().run_graph(phase.levels, &run).await
            } else {
                let mut outcome = Outcome::default();
                for steps in phase.levels.into_values() {
                    outcome.add(self.clone().run_level(steps, &run).await);
                }
                outcome
            };
            report.done.extend(outcome.done);
            report.failed.extend(outcome.failed);
            report.not_started.extend(outcome.not_started);
        }
        report.took = started.elapsed();
        report
    }

    /// Runs the levels of the creates and updates as a graph: each level starts once the
    /// levels it `needs` are done, so independent ones (roles, queues, log groups, the
    /// API; later aliases, routes, permissions, rules, mappings) overlap.
    async fn run_graph(self: Arc<Self>, mut levels: BTreeMap<u8, Vec<Step>>, run: &Run) -> Outcome {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..=LAST_LEVEL)
            .map(|_| tokio::sync::watch::channel(false))
            .unzip();
        let mut tasks = tokio::task::JoinSet::new();
        for (level, done) in (0..=LAST_LEVEL).zip(senders) {
            let steps = levels.remove(&level).unwrap_or_default();
            let mut before: Vec<_> = needs(level)
                .iter()
                .map(|n| receivers[*n as usize].clone())
                .collect();
            let (applier, run) = (self.clone(), run.clone());
            tasks.spawn(async move {
                for needed in &mut before {
                    // A sender is dropped only once its level has sent `true`.
                    let _ = needed.wait_for(|done| *done).await;
                }
                let outcome = applier.run_level(steps, &run).await;
                let _ = done.send(true);
                outcome
            });
        }
        let mut outcome = Outcome::default();
        while let Some(joined) = tasks.join_next().await {
            outcome.add(joined.expect("an apply task does not panic"));
        }
        outcome
    }

    /// Runs one level: groups of changes to one function in sequence, groups in parallel,
    /// each holding one of the apply's slots, and the lock of its key (a function's changes
    /// at different levels may otherwise overlap). Once any change failed, none starts.
    async fn run_level(self: Arc<Self>, steps: Vec<Step>, run: &Run) -> Outcome {
        let mut groups: BTreeMap<String, Vec<Step>> = BTreeMap::new();
        for step in steps {
            groups.entry(step.lock_key()).or_default().push(step);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (key, group) in groups {
            let (applier, run) = (self.clone(), run.clone());
            let lock = self.key_lock(&key);
            tasks.spawn(async move {
                let _key = lock.lock_owned().await;
                let _slot = run
                    .slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("never closed");
                let mut outcome = Outcome::default();
                for step in group {
                    if run.failed.load(Ordering::SeqCst) || applier.stop.load(Ordering::SeqCst) {
                        outcome.not_started.push(step.change.address.clone());
                        continue;
                    }
                    let started = Instant::now();
                    (run.progress)(Event::Started {
                        address: &step.change.address,
                        action: step.action,
                    });
                    let change = InChange {
                        address: step.change.address.clone(),
                        recorder: applier.recorder.clone(),
                    };
                    match CHANGE.scope(change, applier.run(&step)).await {
                        Ok(()) => {
                            let finished = Done {
                                address: step.change.address.clone(),
                                action: step.action,
                                took: started.elapsed(),
                            };
                            (run.progress)(Event::Finished(&finished));
                            outcome.done.push(finished);
                        }
                        Err(source) => {
                            run.failed.store(true, Ordering::SeqCst);
                            (run.progress)(Event::Failed {
                                address: &step.change.address,
                            });
                            outcome.failed.push(StepError {
                                address: step.change.address.clone(),
                                source,
                            });
                        }
                    }
                }
                outcome
            });
        }
        let mut outcome = Outcome::default();
        while let Some(joined) = tasks.join_next().await {
            outcome.add(joined.expect("an apply task does not panic"));
        }
        outcome
    }

    /// The lock of a key (a function's name): one per key for the whole apply.
    fn key_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.key_locks
            .lock()
            .expect("no panic holding the key locks")
            .entry(key.to_string())
            .or_default()
            .clone()
    }

    async fn run(&self, step: &Step) -> Result<(), AwsError> {
        self.check_owned(step)?;
        let c = &step.change;
        match (c.kind, step.action) {
            (Kind::Role, _) => iam::apply(self, step).await,
            (Kind::Queue, _) => sqs::apply(self, step).await,
            (
                Kind::LogGroup
                | Kind::Function
                | Kind::Alias
                | Kind::Permission
                | Kind::EventSourceMapping,
                _,
            ) => lambda::apply(self, step).await,
            (Kind::Rule, _) => events::apply(self, step).await,
            (Kind::Parameter, _) => ssm::apply(self, step).await,
            (
                Kind::HttpApi | Kind::Integration | Kind::Authorizer | Kind::Route | Kind::Stage,
                _,
            ) => apigw::apply(self, step).await,
        }
    }

    /// A change to or deletion of a live resource goes ahead only when this run's read
    /// found it to be slsr's, with the same kind and name. (A create cannot touch what
    /// exists: AWS refuses the name, and `ensure_ours` checks what answered.)
    fn check_owned(&self, step: &Step) -> Result<(), AwsError> {
        if step.action == Action::Create {
            return Ok(());
        }
        let refuse = |why: &str| AwsError {
            operation: "the ownership check",
            target: step.change.address.clone(),
            message: format!("{why}; slsr changes and deletes only what it read as its own"),
        };
        let live = step
            .live()
            .ok_or_else(|| refuse("the change has no live resource"))?;
        match self.owned.get(&step.change.address) {
            Some((kind, name)) if *kind == live.kind && *name == live.name => Ok(()),
            Some((_, name)) => Err(refuse(&format!(
                "the account holds `{name}` there, not `{}`",
                live.name
            ))),
            None => Err(refuse("this run's read did not find it as slsr's")),
        }
    }

    /// An applier whose calls go nowhere: `apply --dry-run` runs the same writers with it,
    /// and prints the calls they made (`dry_run::render`).
    pub fn dry_run(
        config: &SdkConfig,
        code: HashMap<String, CodeIdentity>,
        api_id: Option<String>,
        owned: BTreeMap<String, (Kind, String)>,
    ) -> Applier {
        let config = config
            .to_builder()
            .http_client(crate::aws::dry::DryClient::shared())
            .build();
        // One change at a time, so that the calls come in an order the listing can keep.
        let mut applier = Applier::new(&config, code, api_id, owned, 1);
        applier.dry = true;
        applier
    }

    /// A desired value with what was unknown at plan time filled in (the API's id).
    /// Also the references known after apply (`desired::known_after_apply`): a new queue's
    /// URL and the new API's URL. One still unknown stays as it is.
    pub(crate) fn resolve(&self, value: &str) -> String {
        let api = self.ids.get("http_api");
        let mut out = match &api {
            Some(id) => value.replace(KNOWN_AFTER_APPLY, id),
            None => value.to_string(),
        };
        while let Some((range, what)) = crate::engine::desired::next_known_after_apply(&out) {
            let known = match what {
                "http_api.url" => api.as_ref().map(|id| {
                    let region = self.apigw.config().region().map(|r| r.to_string());
                    crate::engine::desired::http_api_url(id, &region.unwrap_or_default())
                }),
                other => self.ids.get(other),
            };
            let Some(known) = known else {
                break;
            };
            out.replace_range(range, &known);
        }
        out
    }
}

/// One phase of an apply: its steps by level, and whether its levels run as a graph
/// (`needs`) or one after another.
pub struct Phase {
    pub levels: BTreeMap<u8, Vec<Step>>,
    pub graph: bool,
}

/// The plan's changes as steps, in phases: replaced resources out first (a same-named new
/// one cannot exist beside them), then creates and updates (levels as a graph), then
/// deletions, each deletion phase level by level in reverse. Steps within a level may run in
/// parallel.
pub fn phases(plan: &Plan) -> Vec<Phase> {
    let mut phases: Vec<BTreeMap<u8, Vec<Step>>> =
        vec![BTreeMap::new(), BTreeMap::new(), BTreeMap::new()];
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let (phase, l, step) = match c.action {
            Action::Replace => {
                phases[0]
                    .entry(u8::MAX - level(c))
                    .or_default()
                    .push(Step::delete(c));
                (1, level(c), Step::create(c))
            }
            Action::Delete => (2, u8::MAX - level(c), Step::delete(c)),
            _ => (
                1,
                level(c),
                Step {
                    change: c.clone(),
                    action: c.action,
                },
            ),
        };
        phases[phase].entry(l).or_default().push(step);
    }
    phases
        .into_iter()
        .enumerate()
        .map(|(i, levels)| Phase {
            levels,
            graph: i == 1,
        })
        .collect()
}

/// Every level's steps, in an order that respects `needs` (for `apply --dry-run`).
pub fn schedule(plan: &Plan) -> Vec<Vec<Step>> {
    phases(plan)
        .into_iter()
        .flat_map(|p| p.levels.into_values())
        .collect()
}

impl std::ops::Deref for Applier {
    type Target = Clients;
    fn deref(&self) -> &Clients {
        &self.clients
    }
}

/// One thing to do to one resource.
#[derive(Clone, Debug)]
pub struct Step {
    pub change: Change,
    /// Create, Update or Delete (a replace is a delete and a create).
    pub action: Action,
}

impl Step {
    fn delete(c: &Change) -> Step {
        Step {
            change: c.clone(),
            action: Action::Delete,
        }
    }
    fn create(c: &Change) -> Step {
        Step {
            change: c.clone(),
            action: Action::Create,
        }
    }

    /// Changes with the same key run one after another: all of one function's (Lambda
    /// rejects concurrent updates to a function), and all routes of the API.
    fn lock_key(&self) -> String {
        let r = self.resource();
        match self.change.kind {
            Kind::Function | Kind::Alias => r.name.trim_end_matches(":live").to_string(),
            Kind::Permission | Kind::EventSourceMapping => attr_str(r, "function"),
            _ => self.change.address.clone(),
        }
    }

    /// The desired resource, or the live one for a delete.
    pub(crate) fn resource(&self) -> &Resource {
        match self.action {
            Action::Delete => self
                .change
                .before
                .as_ref()
                .expect("a delete has a live resource"),
            _ => self
                .change
                .after
                .as_ref()
                .expect("a create or update has a desired resource"),
        }
    }

    /// The live resource (an update's or a delete's).
    pub(crate) fn live(&self) -> Option<&Resource> {
        self.change.before.as_ref()
    }

    /// Whether the update changes `path` (or, ending in `.`, any attribute under it).
    pub(crate) fn changes(&self, path: &str) -> bool {
        self.change.diffs.iter().any(|d| {
            if path.ends_with('.') {
                d.path.starts_with(path)
            } else {
                d.path == path
            }
        })
    }
}

/// What a refused retry means. An answer can be lost after the call took effect (a
/// dropped connection); the SDK then sends the call again, and AWS refuses the second one
/// because the first did what was asked: a create finds the thing exists, a delete finds it
/// gone. Those refusals are the change done.
pub(crate) trait Settle<T> {
    /// A create: `Ok(None)` when AWS says the thing exists already.
    fn or_exists(self, operation: &'static str, target: &str) -> Result<Option<T>, AwsError>;
    /// A delete: done when AWS says the thing does not exist.
    fn or_gone(self, operation: &'static str, target: &str) -> Result<(), AwsError>;
}

impl<T, E> Settle<T> for Result<T, E>
where
    E: std::error::Error + aws_sdk_sts::error::ProvideErrorMetadata,
{
    fn or_exists(self, operation: &'static str, target: &str) -> Result<Option<T>, AwsError> {
        match self {
            Ok(out) => Ok(Some(out)),
            Err(e) if already_exists(&e) => Ok(None),
            Err(e) => Err(AwsError::new(operation, target, e)),
        }
    }

    fn or_gone(self, operation: &'static str, target: &str) -> Result<(), AwsError> {
        match self {
            Ok(_) => Ok(()),
            Err(e) if already_gone(&e) => Ok(()),
            Err(e) => Err(AwsError::new(operation, target, e)),
        }
    }
}

/// After a create refused as "exists": the thing must be the one a lost attempt made, with
/// the desired resource's ownership tags, not someone else's made since the plan.
pub(crate) fn ensure_ours(
    operation: &'static str,
    desired: &Resource,
    live_tags: &HashMap<String, String>,
) -> Result<(), AwsError> {
    let want = attr_map(desired, "tags");
    let ours = ["slsr:service", "slsr:stage"]
        .iter()
        .all(|k| live_tags.contains_key(*k) && live_tags.get(*k) == want.get(*k));
    if ours {
        return Ok(());
    }
    Err(AwsError {
        operation,
        target: desired.name.clone(),
        message: "it was made since the plan, without this service and stage's tags; slsr leaves it alone".into(),
    })
}

/// Whether AWS refused a create because the thing exists (each service says it its way).
pub(crate) fn already_exists(e: &impl aws_sdk_sts::error::ProvideErrorMetadata) -> bool {
    matches!(
        e.code(),
        Some(
            "EntityAlreadyExists"
                | "ConflictException"
                | "ResourceAlreadyExistsException"
                | "ParameterAlreadyExists"
        )
    ) || e.message().is_some_and(|m| m.contains("already exist"))
}

/// Whether AWS refused a delete because the thing does not exist.
pub(crate) fn already_gone(e: &impl aws_sdk_sts::error::ProvideErrorMetadata) -> bool {
    matches!(
        e.code(),
        Some(
            "ResourceNotFoundException"
                | "NoSuchEntity"
                | "NotFoundException"
                | "QueueDoesNotExist"
                | "AWS.SimpleQueueService.NonExistentQueue"
                | "ParameterNotFound"
        )
    )
}

/// An attribute's value, null when the resource lacks it (never a panic).
pub(crate) fn attr<'a>(r: &'a Resource, attr: &str) -> &'a Value {
    r.attrs.get(attr).unwrap_or(&Value::Null)
}

pub(crate) fn attr_str(r: &Resource, attr: &str) -> String {
    r.attrs
        .get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn attr_i32(r: &Resource, attr: &str) -> Option<i32> {
    r.attrs.get(attr).and_then(Value::as_i64).map(|v| v as i32)
}

pub(crate) fn attr_list(r: &Resource, attr: &str) -> Vec<String> {
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
pub(crate) fn attr_map(r: &Resource, prefix: &str) -> HashMap<String, String> {
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

/// Tags to add or change, and tag keys to remove, between the live and the desired resource.
pub(crate) fn tag_changes(step: &Step) -> (HashMap<String, String>, Vec<String>) {
    let want = attr_map(step.resource(), "tags");
    let have = step.live().map(|l| attr_map(l, "tags")).unwrap_or_default();
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}
