//! Apply: makes exactly the planned changes, in dependency order, in parallel where safe.
//!
//! Built from the `Plan` alone (each change carries the live resource it was planned
//! against and the desired one), never from the spec, so it cannot touch what was not
//! planned. The changes go in three phases: replaced resources out (a same-named new one
//! cannot exist beside them), then creates and updates, then deletions. Within a phase each
//! change starts as soon as the changes to what it needs are done (`engine::graph`: a
//! function after its role, a route after its integration), deletions against those edges;
//! changes run in parallel within one bound, except that changes to one function go one
//! after another (Lambda rejects concurrent updates). Each kind's writer makes the calls
//! (`kinds::KindInfo::write`). On the first failure, or once told to stop (`stop_when`: a
//! signal, a lost deploy lock), no new change starts, running ones finish, and the report
//! says what was done and what was not.

pub mod dry_run;
mod settle;
mod tags;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

pub use settle::{Settle, already_exists, already_gone, ensure_ours, patiently};
pub use tags::{BuiltTag, tag_changes, write_tags};
pub(crate) use tags::{tag_by_arn, tag_list};

use crate::aws::record::{CHANGE, InChange, Recorder};
use crate::aws::{AwsError, Clients};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource};
use crate::engine::plan::{Action, Change, Plan};
use crate::kinds::{Index, Kind};
use crate::package::CodeIdentity;

/// Changes in flight at once, unless `--parallelism` says otherwise. Lambda's calls keep
/// to its quotas whatever this is (`aws::pace`); the bound is for the other services. 16
/// rather than 8 took a 200-function apply from 1.31 to 1.21 times the floor Lambda's
/// quotas set (BENCHMARKS.md).
pub const DEFAULT_PARALLELISM: usize = 16;

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

impl Report {
    /// `3 change(s) done, 1 failed, 2 not started: a, b`, for the line that ends a stopped
    /// or failed apply.
    pub fn tally(&self) -> String {
        let not_started = if self.not_started.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                crate::render::escape::printable(&self.not_started.join(", "))
            )
        };
        format!(
            "{} change(s) done, {} failed, {} not started{not_started}",
            self.done.len(),
            self.failed.len(),
            self.not_started.len()
        )
    }
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
    pub(crate) owned: BTreeMap<String, (Kind, String)>,
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
            crate::kinds::rest_api::known_ids(&self.ids, change);
        }
        let run = Run {
            progress,
            slots: Arc::new(tokio::sync::Semaphore::new(self.parallelism)),
            failed: Arc::new(AtomicBool::new(false)),
        };
        let mut report = Report::default();
        for phase in phases(plan) {
            let outcome = self.clone().run_phase(phase, &run).await;
            report.done.extend(outcome.done);
            report.failed.extend(outcome.failed);
            report.not_started.extend(outcome.not_started);
        }
        report.took = started.elapsed();
        report
    }

    /// Runs one phase: each step in a task of its own that waits for the steps it needs,
    /// then for the lock of its function (or its own) and a slot, so that independent
    /// changes overlap and a function's changes go one at a time. Once any change failed,
    /// or apply was told to stop, none starts.
    async fn run_phase(self: Arc<Self>, phase: Phase, run: &Run) -> Outcome {
        let (senders, receivers): (Vec<_>, Vec<_>) = (0..phase.steps.len())
            .map(|_| tokio::sync::watch::channel(false))
            .unzip();
        let mut tasks = tokio::task::JoinSet::new();
        for ((step, needs), done) in phase.steps.into_iter().zip(phase.needs).zip(senders) {
            let mut before: Vec<_> = needs.iter().map(|&j| receivers[j].clone()).collect();
            let (applier, run) = (self.clone(), run.clone());
            let lock = self.key_lock(&step.lock_key());
            tasks.spawn(async move {
                for needed in &mut before {
                    // A sender is dropped only once its step has sent `true`.
                    let _ = needed.wait_for(|done| *done).await;
                }
                let outcome = {
                    let _key = lock.lock_owned().await;
                    let _slot = run
                        .slots
                        .clone()
                        .acquire_owned()
                        .await
                        .expect("never closed");
                    applier.run_step(step, &run).await
                };
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

    /// Makes one step, telling `progress`, inside `CHANGE` so its calls are noted by it.
    async fn run_step(&self, step: Step, run: &Run) -> Outcome {
        let mut outcome = Outcome::default();
        if run.failed.load(Ordering::SeqCst) || self.stop.load(Ordering::SeqCst) {
            outcome.not_started.push(step.change.address.clone());
            return outcome;
        }
        let started = Instant::now();
        (run.progress)(Event::Started {
            address: &step.change.address,
            action: step.action,
        });
        let change = InChange {
            address: step.change.address.clone(),
            recorder: self.recorder.clone(),
        };
        match CHANGE.scope(change, self.run(&step)).await {
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

    /// Checks the step against what the read found slsr owns, then runs its kind's writer.
    pub(crate) async fn run(&self, step: &Step) -> Result<(), AwsError> {
        self.check_owned(step)?;
        (step.change.kind.info().write)(self, step).await
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

/// One phase of an apply: its steps, and for each the positions of the steps it waits for.
pub struct Phase {
    pub steps: Vec<Step>,
    pub needs: Vec<Vec<usize>>,
}

/// The plan's changes as steps, in phases: replaced resources out first (a same-named new
/// one cannot exist beside them), then creates and updates, then deletions. A create or
/// update waits for the creates and updates of what it needs; a deletion waits for the
/// deletions of what needs it.
pub fn phases(plan: &Plan) -> Vec<Phase> {
    let mut out_first = Vec::new();
    let mut forward = Vec::new();
    let mut deletions = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        match c.action {
            Action::Replace => {
                out_first.push(Step::delete(c));
                forward.push(Step::create(c));
            }
            Action::Delete => deletions.push(Step::delete(c)),
            _ => forward.push(Step {
                change: c.clone(),
                action: c.action,
            }),
        }
    }
    let index = Index::of(
        plan.changes
            .iter()
            .flat_map(|c| c.before.iter().chain(c.after.iter())),
    );
    vec![
        phase(out_first, &index, true),
        phase(forward, &index, false),
        phase(deletions, &index, true),
    ]
}

fn phase(steps: Vec<Step>, index: &Index, reverse: bool) -> Phase {
    let resources: Vec<&Resource> = steps.iter().map(Step::resource).collect();
    let needs = crate::engine::graph::edges(&resources, index);
    let needs = if reverse {
        // A deletion waits for the deletions of what needs it.
        let mut reversed = vec![Vec::new(); needs.len()];
        for (i, needed) in needs.iter().enumerate() {
            for &j in needed {
                reversed[j].push(i);
            }
        }
        reversed
    } else {
        needs
    };
    Phase { steps, needs }
}

/// Every step in an order apply could take them (what each needs first; ties by address),
/// for `apply --dry-run`'s listing.
pub fn schedule(plan: &Plan) -> Vec<Step> {
    let mut out = Vec::new();
    for mut phase in phases(plan) {
        // The plan lists changes by kind and address: a stable tie-break.
        let order = crate::engine::graph::order(&phase.needs)
            .unwrap_or_else(|_| (0..phase.steps.len()).collect());
        let mut steps: Vec<Option<Step>> = phase.steps.drain(..).map(Some).collect();
        out.extend(order.into_iter().filter_map(|i| steps[i].take()));
    }
    out
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
    /// rejects concurrent updates to a function; `KindInfo::serial_with`).
    fn lock_key(&self) -> String {
        (self.change.kind.info().serial_with)(self.resource())
            .unwrap_or_else(|| self.change.address.clone())
    }

    /// The desired resource, or the live one for a delete.
    pub fn resource(&self) -> &Resource {
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
    pub fn live(&self) -> Option<&Resource> {
        self.change.before.as_ref()
    }

    /// Whether the update changes `path` (or, ending in `.`, any attribute under it).
    pub fn changes(&self, path: &str) -> bool {
        self.change.diffs.iter().any(|d| {
            if path.ends_with('.') {
                d.path.starts_with(path)
            } else {
                d.path == path
            }
        })
    }
}

/// What the writers' tests with scripted answers share.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::engine::plan::FieldDiff;

    /// An applier in us-east-1 whose clients reach nothing; a test sets the clients it
    /// scripts (`a.clients.lambda = mock_client!(...)`).
    pub fn applier(code: HashMap<String, CodeIdentity>) -> Applier {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        Applier::new(&config, code, None, BTreeMap::new(), 1)
    }

    /// The step of `action` that takes `before` to `after`, changing `diffs`.
    pub fn step(
        action: Action,
        before: Option<Resource>,
        after: Resource,
        diffs: Vec<FieldDiff>,
    ) -> Step {
        Step {
            change: Change {
                address: after.address(),
                kind: after.kind,
                name: after.name.clone(),
                action,
                diffs,
                before,
                after: Some(after),
                reason: None,
                data_loss: false,
            },
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: Action, r: Resource) -> Change {
        let (before, after) = match action {
            Action::Delete => (Some(r.clone()), None),
            _ => (None, Some(r.clone())),
        };
        Change {
            address: r.address(),
            kind: r.kind,
            name: r.name.clone(),
            action,
            diffs: vec![],
            before,
            after,
            reason: None,
            data_loss: false,
        }
    }

    /// A small app as desired resources: a function with its role and log group, behind a
    /// route of the HTTP API, with the route's permission.
    fn app() -> Vec<Resource> {
        let arn = "arn:aws:lambda:us-east-1:1:function:s-dev-api";
        let role = "arn:aws:iam::1:role/slsr/s/dev/s-dev-api";
        vec![
            Resource::new(Kind::Route, "GET /x", "GET /x").with("target", "integration.api"),
            Resource::new(Kind::Permission, "api.slsr-1", "slsr-1")
                .with("function", "s-dev-api")
                .with(
                    "source_arn",
                    "arn:aws:execute-api:us-east-1:1:(known after apply)/*/GET/x",
                ),
            Resource::new(Kind::Integration, "api", KNOWN_AFTER_APPLY).with("integration_uri", arn),
            Resource::new(Kind::Function, "api", "s-dev-api")
                .with("arn", arn)
                .with("role", role),
            Resource::new(Kind::HttpApi, "api", "s-dev"),
            Resource::new(Kind::LogGroup, "api", "/aws/lambda/s-dev-api"),
            Resource::new(Kind::Role, "api", "s-dev-api").with("arn", role),
        ]
    }

    /// Each step's address, with the addresses of the steps it waits for.
    fn waits(phase: &Phase) -> BTreeMap<String, Vec<String>> {
        phase
            .steps
            .iter()
            .zip(&phase.needs)
            .map(|(step, needs)| {
                let mut names: Vec<String> = needs
                    .iter()
                    .map(|&j| phase.steps[j].change.address.clone())
                    .collect();
                names.sort();
                (step.change.address.clone(), names)
            })
            .collect()
    }

    #[test]
    fn creates_wait_for_what_they_need_and_deletions_for_what_needs_them() {
        let creates = Plan {
            changes: app()
                .into_iter()
                .map(|r| change(Action::Create, r))
                .collect(),
            ..Plan::default()
        };
        let forward = waits(&phases(&creates)[1]);
        let expect = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        assert_eq!(
            forward,
            expect(&[
                ("function.api", &["log_group.api", "role.api"]),
                ("http_api.api", &[]),
                ("integration.api", &["function.api", "http_api.api"]),
                ("log_group.api", &[]),
                ("permission.api.slsr-1", &["function.api", "http_api.api"]),
                ("role.api", &[]),
                ("route[\"GET /x\"]", &["http_api.api", "integration.api"]),
            ])
        );
        let order: Vec<String> = schedule(&creates)
            .iter()
            .map(|s| s.change.address.clone())
            .collect();
        let at = |a: &str| order.iter().position(|o| o == a).unwrap();
        assert!(at("role.api") < at("function.api") && at("function.api") < at("integration.api"));
        assert!(at("integration.api") < at("route[\"GET /x\"]"));

        let deletions = Plan {
            changes: app()
                .into_iter()
                .map(|r| change(Action::Delete, r))
                .collect(),
            ..Plan::default()
        };
        let backward = waits(&phases(&deletions)[2]);
        assert_eq!(backward["integration.api"], ["route[\"GET /x\"]"]);
        assert_eq!(
            backward["http_api.api"],
            [
                "integration.api",
                "permission.api.slsr-1",
                "route[\"GET /x\"]"
            ]
        );
        assert_eq!(backward["role.api"], ["function.api"]);
    }
}
