//! Making a plan for a project: package the code, read the account (unless offline), build
//! the desired state, diff. The glue between the pure parts and the AWS layer.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::aws::read::{Reader, Scope};
use crate::aws::{self, AwsError, Connection};
use crate::engine::desired::{self, Target};
use crate::engine::model::{Kept, Kind, State};
use crate::engine::plan::{self, Action, Plan};
use crate::package::{CodeIdentity, PackageError, Packager};
use crate::render::Header;
use crate::spec::Project;
use crate::spec::diag::Diagnostic;
use crate::spec::model::Event;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Package(#[from] PackageError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Problems in the spec that only the account shows (a missing SSM parameter, a
    /// SecureString outside `env`, a role in another account), each at its line.
    #[error("the spec has {} problem(s) that the account shows", .0.len())]
    Spec(Vec<Diagnostic>),
    /// Resources that each need the next to exist first, round to the first: apply could
    /// make none of them (two functions whose environments name each other's URL).
    #[error("{}", cycle_message(.0))]
    Cycle(Vec<String>),
    /// Deletions or replacements of resources that hold data, without `--allow-data-loss`.
    #[error("{}", data_loss_message(.0))]
    DataLoss(Vec<Lost>),
    /// A `--target` that names nothing in the spec or the account.
    #[error("{0}")]
    Target(String),
    /// The account's Lambda quotas would refuse the plan part-way (`engine::quota`).
    #[error("{}", crate::engine::quota::refusal_message(.0))]
    Quota(Vec<String>),
}

/// What the command line adds to making a plan.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Where packaging writes its zips (`--build-dir`); else `.slsr/build` beside the spec.
    pub build_dir: Option<PathBuf>,
    /// `--target`: only these addresses and what they need (`engine::target`).
    pub targets: Vec<String>,
    /// Check the account's Lambda quotas first (`engine::quota`: one GetAccountSettings),
    /// for a plan that may be applied; `slsr outputs`, destroy and adopt change no quota.
    pub preflight: bool,
    /// `plan --cost`: price changes of functions' memory or architecture from their last
    /// 30 days of use in CloudWatch (`engine::usage_cost`).
    pub price_use: bool,
}

/// What a plan may do to the resources that hold data (`KindInfo::holds_data`): tables,
/// buckets. slsr loses data only when told so in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataLoss {
    /// A plan that deletes or replaces one is an error; `destroy` keeps them.
    Refused,
    /// `--allow-data-loss`: such changes are planned, each marked DATA LOSS.
    Allowed,
}

/// A change that would lose data, as the refusal names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lost {
    pub address: String,
    pub name: String,
    /// Why it would go: removed from the spec, or which fields force its replacement.
    pub why: String,
}

fn data_loss_message(lost: &[Lost]) -> String {
    let lines: Vec<String> = lost
        .iter()
        .map(|l| format!("  {} ({}): {}", l.address, l.name, l.why))
        .collect();
    format!(
        "this plan would lose data, so slsr makes none:\n{}\nPut {it} back as it was in the spec; or run again with --allow-data-loss to delete {it} with what {holds} (the plan marks each DATA LOSS); or run `slsr release ADDRESS` to remove slsr's tags and keep {it} outside slsr.",
        lines.join("\n"),
        it = if lost.len() == 1 { "it" } else { "them" },
        holds = if lost.len() == 1 {
            "it holds"
        } else {
            "they hold"
        },
    )
}

/// Applies the data-safety rule to a finished plan: with `Refused`, a plan that loses data
/// is an error, and destroy keeps what holds data (and says so in `kept`).
fn guard_data(mut plan: Plan, destroy: bool, data_loss: DataLoss) -> Result<Plan, PlanError> {
    if data_loss == DataLoss::Allowed {
        return Ok(plan);
    }
    if destroy {
        let (lost, rest): (Vec<_>, Vec<_>) = plan.changes.into_iter().partition(|c| c.data_loss);
        plan.changes = rest;
        plan.kept.extend(lost.into_iter().map(|c| Kept {
            address: c.address,
            name: c.name,
            reason: "it holds data, so destroy keeps it with its data and slsr's tags; `slsr destroy --allow-data-loss` deletes it, `slsr release ADDRESS` hands it over".into(),
        }));
        return Ok(plan);
    }
    let lost: Vec<Lost> = plan
        .changes
        .iter()
        .filter(|c| c.data_loss)
        .map(|c| Lost {
            address: c.address.clone(),
            name: c.name.clone(),
            why: match c.action {
                Action::Delete => {
                    "it is no longer in the spec: deleting it deletes what it holds".into()
                }
                _ => {
                    let fields: Vec<&str> = c
                        .diffs
                        .iter()
                        .filter(|d| d.forces_replacement)
                        .map(|d| d.path.as_str())
                        .collect();
                    format!(
                        "{} cannot change in place: replacing it deletes what it holds",
                        if fields.is_empty() {
                            "it".to_string()
                        } else {
                            fields.join(", ")
                        }
                    )
                }
            },
        })
        .collect();
    if lost.is_empty() {
        Ok(plan)
    } else {
        Err(PlanError::DataLoss(lost))
    }
}

fn cycle_message(members: &[String]) -> String {
    let mut path = members.join(" needs ");
    if let Some(first) = members.first() {
        path.push_str(&format!(" needs {first}"));
    }
    format!(
        "these resources each need the next to exist first, so apply can make none of them: {path}. A value known only after apply (a new queue's or function URL's address) orders what names it after what it names; name something else (an ARN is known before apply), or split the change in two applies"
    )
}

/// A cycle among the desired resources is an error: apply could not order them.
fn check_order(desired: &State) -> Result<(), PlanError> {
    let resources: Vec<&crate::engine::model::Resource> = desired.resources.values().collect();
    match crate::engine::graph::desired_cycle(&resources) {
        Some(cycle) => Err(PlanError::Cycle(cycle)),
        None => Ok(()),
    }
}

/// A finished plan, what it was made against, and the AWS calls it took.
pub struct Planned {
    pub plan: Plan,
    pub header: Header,
    pub calls: BTreeMap<&'static str, usize>,
    /// What apply needs besides the plan: the code, the API's id, the connection.
    pub code: HashMap<String, CodeIdentity>,
    pub api_id: Option<String>,
    pub config: Option<aws_config::SdkConfig>,
    /// What the read found slsr owns, by address: the kind and physical name. Apply
    /// changes or deletes nothing else.
    pub owned: BTreeMap<String, (Kind, String)>,
    /// The spec's outputs, with what the account says (or known after apply).
    pub outputs: BTreeMap<String, String>,
    /// The outputs whose value is not real yet, with what they name that the account
    /// lacks (`engine::outputs::missing`): `slsr outputs` refuses to print a placeholder.
    pub outputs_missing: BTreeMap<String, Vec<String>>,
    /// What the spec asks for, as canonical JSON: the desired resources and outputs built
    /// before the account is read, so the same for every read. A saved plan keeps a keyed
    /// hash of it, so that a comment or a blank line in the spec does not make it stale.
    pub intent: String,
    /// What the quota preflight warns of (`engine::quota`), for stderr.
    pub warnings: Vec<String>,
}

/// `Planned::intent` from the resources and outputs the spec asks for, before the read.
fn intent(wanted: &State, outputs: &BTreeMap<String, String>) -> String {
    crate::engine::desired::canonical_json(&serde_json::json!({
        "resources": wanted.resources,
        "outputs": outputs,
    }))
}

/// Every function's code identity, packaging what needs it, into `build_dir` when given.
pub fn code_identities(
    project: &Project,
    build_dir: Option<&std::path::Path>,
) -> Result<HashMap<String, CodeIdentity>, PackageError> {
    let mut packager = Packager::new(project, build_dir, false);
    // Every build first, in parallel, before anything is zipped or read from the account.
    packager.build(project, &[])?;
    project
        .functions
        .keys()
        .map(|name| Ok((name.clone(), packager.code(project, name)?)))
        .collect()
}

/// Plans against an empty account: no AWS call at all.
pub fn offline(project: &Project, options: &Options) -> Result<Planned, PlanError> {
    let code = code_identities(project, options.build_dir.as_deref())?;
    let target = Target {
        account_id: None,
        region: project.region.clone(),
        api_id: None,
        ..Target::default()
    };
    let desired = desired::build(project, &code, &target);
    check_order(&desired)?;
    let outputs = desired::outputs(project, &target);
    let mut plan =
        crate::engine::target::select(plan::plan(&desired, &State::default()), &options.targets)
            .map_err(PlanError::Target)?;
    plan.outputs = crate::engine::outputs::changes(project, &outputs, &State::default());
    plan.widening = crate::engine::widening::of(&plan, None);
    plan.cost = crate::engine::cost::price(&plan, project.region.as_deref());
    Ok(Planned {
        warnings: Vec::new(),
        intent: intent(&desired, &outputs),
        plan,
        header: Header {
            service: project.service.clone(),
            stage: project.stage.clone(),
            account: None,
            region: project.region.clone(),
        },
        calls: BTreeMap::new(),
        code,
        api_id: None,
        config: None,
        owned: BTreeMap::new(),
        outputs_missing: crate::engine::outputs::missing(project, &State::default()),
        outputs,
    })
}

/// Plans against the live account. Fails whole on any read error: a partial plan is never
/// presented as complete.
pub async fn live(
    project: &Project,
    connection: &Connection,
    data_loss: DataLoss,
    options: &Options,
) -> Result<Planned, PlanError> {
    live_with(project, connection, false, data_loss, None, options).await
}

/// The plan as `slsr adopt ADDRESS` sees it: the resource at `address` read as slsr's
/// though it lacks slsr's tags (`Scope::owns_at`), so that its change says what the next
/// apply would do to it once adopted. Nothing else in the plan is applied by adopt, so a
/// deletion elsewhere is no reason to refuse it.
pub async fn adopting(
    project: &Project,
    connection: &Connection,
    address: &str,
    options: &Options,
) -> Result<Planned, PlanError> {
    live_with(
        project,
        connection,
        false,
        DataLoss::Allowed,
        Some(address.to_string()),
        options,
    )
    .await
}

/// The plan of `slsr destroy`: every resource the service and stage own, deleted (those
/// that hold data only with `DataLoss::Allowed`).
pub async fn destroy(
    project: &Project,
    connection: &Connection,
    data_loss: DataLoss,
) -> Result<Planned, PlanError> {
    let options = Options::default();
    live_with(project, connection, true, data_loss, None, &options).await
}

async fn live_with(
    project: &Project,
    connection: &Connection,
    destroy: bool,
    data_loss: DataLoss,
    adopt: Option<String>,
    options: &Options,
) -> Result<Planned, PlanError> {
    let code = if destroy {
        HashMap::new()
    } else {
        code_identities(project, options.build_dir.as_deref())?
    };
    let config = aws::sdk_config(connection, project.region.as_deref()).await;
    // Missing credentials are one clear line here, before any call can fail with them.
    aws::check_credentials(&config).await?;
    let reader = Reader::new(&config);
    reader.calls.count("STS.GetCallerIdentity");
    // The read needs the desired resources' addresses and names, which do not depend on
    // the account: it goes at the same time as the call that says which account it is.
    let names_only = Target {
        account_id: None,
        region: config.region().map(|r| r.to_string()),
        api_id: None,
        ..Target::default()
    };
    let wanted = if destroy {
        State::default()
    } else {
        desired::build(project, &code, &names_only)
    };
    let intent = intent(&wanted, &desired::outputs(project, &names_only));
    let scope = Scope {
        adopt,
        ..scope(project)
    };
    // The SSM parameters the spec names, read alongside.
    let ssm_paths = crate::engine::ssm::references(&wanted);
    let parameters = async {
        match ssm_paths.is_empty() {
            true => Ok(Default::default()),
            false => aws::read::ssm::parameters(&reader, &ssm_paths).await,
        }
    };
    // The account's Lambda quotas, for a plan that may be applied, read alongside too.
    let preflight = options.preflight && !destroy && scope.adopt.is_none();
    let settings = async {
        match preflight {
            true => aws::read::account::settings(&reader).await.map(Some),
            false => Ok(None),
        }
    };
    // `--cost`: every function's use, read alongside in one call, though only the resized
    // ones are priced (which those are is known only after the diff).
    let used = async {
        let functions: Vec<String> = wanted
            .resources
            .values()
            .filter(|r| r.kind == Kind::Function)
            .map(|r| r.name.clone())
            .collect();
        match options.price_use && !destroy && !functions.is_empty() {
            true => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                aws::read::usage::last_30_days(&reader, &reader.calls, &functions, now)
                    .await
                    .map(Some)
            }
            false => Ok(None),
        }
    };
    // The account's API Gateway settings, for the role a REST API's access log needs.
    let logging_role = async {
        match crate::kinds::rest_access_log::wanted(&wanted) {
            true => aws::read::rest_logs::cloudwatch_role(&reader)
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let (identity, live, parameters, settings, used, logging_role) = tokio::join!(
        aws::whoami(&config),
        reader.read(&scope, &wanted),
        parameters,
        settings,
        used,
        logging_role
    );
    // When all fail (no network, a wrong endpoint), the first call's error says it best.
    let (identity, mut live, (parameters, missing)) = (identity?, live?, parameters?);
    let (settings, used, logging_role) = (settings?, used?, logging_role?);
    let region = identity.region.clone();
    let target = Target {
        account_id: Some(identity.account.clone()),
        region: region.clone(),
        // The API's id appears in permissions' source ARNs and `${http_api.url}`.
        api_id: live.api_id.clone(),
        rest_api_id: live.rest_api_id.clone(),
        rest_authorizer_ids: live.rest_authorizer_ids.clone(),
        rest_api_key_ids: live.rest_api_key_ids.clone(),
        queue_urls: live.queue_urls.clone(),
        function_urls: live.function_urls.clone(),
        table_streams: live.table_streams.clone(),
        secret_arns: live.secret_arns.clone(),
        domains: crate::kinds::domain_name::targets(&live.state),
    };
    let desired = if destroy {
        live = live.with_duplicates_apart();
        wanted
    } else {
        let mut desired = desired::build(project, &code, &target);
        let unresolved = crate::engine::ssm::fill(&mut desired, &parameters);
        let mut problems = crate::engine::ssm::diagnostics(
            project,
            &missing,
            &crate::engine::ssm::misplaced(&desired, &parameters),
        );
        problems.extend(crate::spec::rules::check_account(
            project,
            &identity.account,
        ));
        // A custom domain's certificate against the region deployed to (the profile's,
        // which validation could not know).
        if let Some(region) = region.as_deref() {
            problems.extend(crate::spec::domain_rules::check_region(project, region));
        }
        problems.extend(crate::spec::rest_stage_rules::check_cloudwatch_role(
            project,
            logging_role.as_deref(),
            &identity.account,
        ));
        if problems.is_empty() && !unresolved.is_empty() {
            // Every name was asked for; a value still unresolved is a bug, never written.
            return Err(AwsError {
                operation: "GetParameters",
                target: unresolved.join(", "),
                message: "a reference was left unresolved".into(),
            }
            .into());
        }
        if !problems.is_empty() {
            crate::spec::diag::sort(&mut problems);
            return Err(PlanError::Spec(problems));
        }
        check_order(&desired)?;
        let duplicates = live.duplicate_conflicts();
        live.state.conflicts.extend(duplicates);
        desired
    };
    let mut plan = plan::plan(&desired, &live.state);
    // Mappings are slsr's only with its tags, which no listing returns: read them for what
    // the plan would change or delete, and leave others' alone.
    let touched: Vec<(String, String)> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Replace | Action::Delete))
        .filter_map(|c| {
            live.unverified
                .get(&c.address)
                .map(|arn| (c.address.clone(), arn.clone()))
        })
        .collect();
    if !touched.is_empty() {
        for (address, tags) in reader.owner_tags(&touched).await? {
            if scope.owns(&tags) {
                continue;
            }
            let Some(foreign) = live.state.resources.remove(&address) else {
                continue;
            };
            if desired.resources.contains_key(&address) {
                live.state
                    .conflicts
                    .push(aws::read::conflict(address, &foreign.name, &scope));
            } else {
                live.state.kept.push(Kept {
                    address,
                    name: foreign.name,
                    reason: "it is attached to what slsr owns, but without slsr's tags: someone else made it, and slsr leaves it".into(),
                });
            }
        }
        plan = plan::plan(&desired, &live.state);
    }
    // Targeting comes before the data-safety rule: a deletion left out of a targeted plan
    // loses nothing.
    let plan = crate::engine::target::select(plan, &options.targets).map_err(PlanError::Target)?;
    let mut plan = guard_data(plan, destroy, data_loss)?;
    let outputs = desired::outputs(project, &target);
    if !destroy {
        plan.outputs = crate::engine::outputs::changes(project, &outputs, &live.state);
    }
    plan.widening = crate::engine::widening::of(&plan, Some(&identity.account));
    let findings = settings
        .map(|s| crate::engine::quota::check(&plan, &s))
        .unwrap_or_default();
    if !findings.refusals.is_empty() {
        return Err(PlanError::Quota(findings.refusals));
    }
    plan.cost = crate::engine::cost::price(&plan, region.as_deref());
    if let Some(used) = &used {
        let mut cost = std::mem::take(&mut plan.cost);
        crate::engine::usage_cost::add(&mut cost, &plan, used);
        plan.cost = cost;
    }
    let owned = live
        .state
        .resources
        .iter()
        .map(|(address, r)| (address.clone(), (r.kind, r.name.clone())))
        .collect();
    Ok(Planned {
        plan,
        header: Header {
            service: project.service.clone(),
            stage: project.stage.clone(),
            account: Some(identity.account),
            region,
        },
        calls: reader.calls.snapshot(),
        code,
        owned,
        api_id: live.api_id,
        config: Some(config),
        outputs_missing: crate::engine::outputs::missing(project, &live.state),
        outputs,
        intent,
        warnings: findings.warnings,
    })
}

fn scope(project: &Project) -> Scope {
    let mut buses: Vec<String> = project
        .functions
        .values()
        .flat_map(|f| f.events.iter().flatten())
        .filter_map(|e| match e {
            // The spec's own buses are read as the owned buses they are (`read/buses.rs`).
            Event::Eventbridge(e) => e
                .bus
                .as_ref()
                .filter(|b| !project.buses.contains_key(*b))
                .map(|b| b.rsplit('/').next().unwrap_or(b).to_string()),
            _ => None,
        })
        .collect();
    buses.sort();
    buses.dedup();
    Scope {
        service: project.service.clone(),
        stage: project.stage.clone(),
        buses,
        adopt: None,
    }
}

/// The number of each kind of resource a plan covers, for `-v`.
pub fn resource_count(state: &State, kind: Kind) -> usize {
    state.resources.values().filter(|r| r.kind == kind).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::Resource;

    fn live_with_table_and_queue() -> State {
        let mut live = State::default();
        live.insert(Resource::new(Kind::Table, "orders", "shop-dev-orders").with("key", "pk"));
        live.insert(Resource::new(Kind::Queue, "jobs", "shop-dev-jobs"));
        live
    }

    #[test]
    fn a_plan_that_deletes_a_table_is_refused_unless_allowed() {
        let plan = plan::plan(&State::default(), &live_with_table_and_queue());
        let Err(PlanError::DataLoss(lost)) = guard_data(plan.clone(), false, DataLoss::Refused)
        else {
            panic!("deleting a table must be refused");
        };
        assert_eq!(
            lost,
            vec![Lost {
                address: "table.orders".into(),
                name: "shop-dev-orders".into(),
                why: "it is no longer in the spec: deleting it deletes what it holds".into(),
            }]
        );
        let allowed = guard_data(plan, false, DataLoss::Allowed).unwrap();
        let marked: Vec<(&str, bool)> = allowed
            .changes
            .iter()
            .map(|c| (c.address.as_str(), c.data_loss))
            .collect();
        assert_eq!(marked, [("table.orders", true), ("queue.jobs", false)]);
        assert_eq!(allowed.summary().data_loss, 1);
    }

    #[test]
    fn a_key_change_that_replaces_a_table_is_refused_naming_the_field() {
        let mut desired = State::default();
        desired.insert(Resource::new(Kind::Table, "orders", "shop-dev-orders").with("key", "id"));
        let mut live = live_with_table_and_queue();
        live.resources.remove("queue.jobs");
        let mut plan = plan::plan(&desired, &live);
        // The table kind names its key among the attributes that force a replacement.
        plan.changes[0].action = Action::Replace;
        plan.changes[0].diffs[0].forces_replacement = true;
        plan.changes[0].data_loss = plan.changes[0].loses_data();
        let Err(PlanError::DataLoss(lost)) = guard_data(plan, false, DataLoss::Refused) else {
            panic!("replacing a table must be refused");
        };
        assert_eq!(
            lost[0].why,
            "key cannot change in place: replacing it deletes what it holds"
        );
    }

    #[test]
    fn destroy_keeps_what_holds_data_and_says_so() {
        let plan = plan::plan(&State::default(), &live_with_table_and_queue());
        let kept = guard_data(plan, true, DataLoss::Refused).unwrap();
        let changes: Vec<&str> = kept.changes.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(changes, ["queue.jobs"]);
        assert_eq!(kept.kept.len(), 1);
        assert_eq!(kept.kept[0].address, "table.orders");
        assert!(kept.kept[0].reason.contains("--allow-data-loss"));
    }
}
