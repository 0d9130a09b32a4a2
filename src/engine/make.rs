//! Making a plan for a project: package the code, read the account (unless offline), build
//! the desired state, diff. The glue between the pure parts and the AWS layer.

use std::collections::{BTreeMap, HashMap};

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
}

/// Every function's code identity, packaging what needs it.
pub fn code_identities(project: &Project) -> Result<HashMap<String, CodeIdentity>, PackageError> {
    let mut packager = Packager::new(project, None, false);
    project
        .functions
        .keys()
        .map(|name| Ok((name.clone(), packager.code(project, name)?)))
        .collect()
}

/// Plans against an empty account: no AWS call at all.
pub fn offline(project: &Project) -> Result<Planned, PlanError> {
    let code = code_identities(project)?;
    let target = Target {
        account_id: None,
        region: project.region.clone(),
        api_id: None,
        ..Target::default()
    };
    let desired = desired::build(project, &code, &target);
    check_order(&desired)?;
    Ok(Planned {
        plan: plan::plan(&desired, &State::default()),
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
        outputs: desired::outputs(project, &target),
    })
}

/// Plans against the live account. Fails whole on any read error: a partial plan is never
/// presented as complete.
pub async fn live(project: &Project, connection: &Connection) -> Result<Planned, PlanError> {
    live_with(project, connection, false).await
}

/// The plan of `slsr destroy`: every resource the service and stage own, deleted.
pub async fn destroy(project: &Project, connection: &Connection) -> Result<Planned, PlanError> {
    live_with(project, connection, true).await
}

async fn live_with(
    project: &Project,
    connection: &Connection,
    destroy: bool,
) -> Result<Planned, PlanError> {
    let code = if destroy {
        HashMap::new()
    } else {
        code_identities(project)?
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
    let scope = scope(project);
    // The SSM parameters the spec names, read alongside.
    let ssm_paths = crate::engine::ssm::references(&wanted);
    let parameters = async {
        match ssm_paths.is_empty() {
            true => Ok(Default::default()),
            false => aws::read::ssm::parameters(&reader, &ssm_paths).await,
        }
    };
    let (identity, live, parameters) = tokio::join!(
        aws::whoami(&config),
        reader.read(&scope, &wanted),
        parameters
    );
    // When all fail (no network, a wrong endpoint), the first call's error says it best.
    let (identity, mut live, (parameters, missing)) = (identity?, live?, parameters?);
    let region = identity.region.clone();
    let target = Target {
        account_id: Some(identity.account.clone()),
        region: region.clone(),
        // The API's id appears in permissions' source ARNs and `${http_api.url}`.
        api_id: live.api_id.clone(),
        queue_urls: live.queue_urls.clone(),
        function_urls: live.function_urls.clone(),
        table_streams: live.table_streams.clone(),
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
    // Mappings and log groups are slsr's only with its tags, which no listing returns:
    // read them for what the plan would change or delete, and leave others' alone.
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
        outputs: desired::outputs(project, &target),
    })
}

fn scope(project: &Project) -> Scope {
    let mut buses: Vec<String> = project
        .functions
        .values()
        .flat_map(|f| f.events.iter().flatten())
        .filter_map(|e| match e {
            Event::Eventbridge(e) => e
                .bus
                .as_ref()
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
    }
}

/// The number of each kind of resource a plan covers, for `-v`.
pub fn resource_count(state: &State, kind: Kind) -> usize {
    state.resources.values().filter(|r| r.kind == kind).count()
}
