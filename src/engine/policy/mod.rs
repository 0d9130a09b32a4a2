//! `slsr policy`: the IAM policy a CI principal needs to plan, apply and destroy one spec.
//!
//! Made offline from the spec's desired state (no AWS call): every entry of `grants::GRANTS`
//! whose kinds the desired state holds (or that every run needs) becomes a statement, its
//! resources narrowed to the service and stage's names (`{service}-{stage}-*`), slsr's role
//! path (`/slsr/{service}/{stage}/`) and the exact names the spec gives, as far as each
//! service's IAM allows. Pure: the document is a function of the project and the options.

mod grants;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::engine::desired::{self, Target};
use crate::engine::model::{Kind, Resource, State};
use crate::spec::Project;

pub use grants::{GRANTS, Grant};

/// What the document is made for, besides the spec.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The account id in ARNs; `*` when not given.
    pub account: Option<String>,
    /// The deploy lock's table (`--lock-table`), over the spec's `lock.table`.
    pub lock_table: Option<String>,
    /// Also what `slsr logs` and `slsr invoke` need.
    pub operate: bool,
}

/// Everything a grant's resources are made from.
pub struct Scope<'a> {
    pub partition: String,
    /// The region, or `*` when neither the spec, `-r` nor the environment gives one.
    pub region: String,
    /// The account id, or `*`.
    pub account: String,
    pub service: String,
    pub stage: String,
    pub project: &'a Project,
    /// The desired state, in `region` and `account` (an unknown one is `*` in its ARNs).
    pub state: State,
    pub lock_table: Option<String>,
    pub operate: bool,
}

impl Scope<'_> {
    /// `{service}-{stage}-`, the start of every name slsr gives.
    pub fn prefix(&self) -> String {
        format!("{}-{}-", self.service, self.stage)
    }

    /// `arn:PARTITION:SERVICE:REGION:ACCOUNT:REST`.
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{rest}",
            self.partition, self.region, self.account
        )
    }

    /// The desired resources of `kind`.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &Resource> {
        self.state
            .resources
            .values()
            .filter(move |r| r.kind == kind)
    }

    pub fn has(&self, kind: Kind) -> bool {
        self.of(kind).next().is_some()
    }

    /// The physical names of `kind` that do not start with the prefix: names the spec
    /// declares exactly, which a prefix pattern does not cover.
    pub fn exact_names(&self, kind: Kind) -> Vec<String> {
        let prefix = self.prefix();
        self.of(kind)
            .map(|r| r.name.clone())
            .filter(|n| !n.starts_with(&prefix))
            .collect()
    }

    /// A string attribute of every desired resource of `kind`, where it is set (an ARN the
    /// spec names, a role, a bucket).
    pub fn attr_values(&self, kind: Kind, attr: &str) -> Vec<String> {
        self.of(kind)
            .filter_map(|r| match r.attrs.get(attr) {
                Some(Value::String(s)) if !s.is_empty() => Some(vec![s.clone()]),
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// slsr's roles: `arn:PARTITION:iam::ACCOUNT:role/slsr/SERVICE/STAGE/*`.
    pub fn role_path_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:role/slsr/{}/{}/*",
            self.partition, self.account, self.service, self.stage
        )
    }

    /// The lock table, from `--lock-table` or the spec's `lock`.
    pub fn lock(&self) -> Option<&str> {
        self.lock_table
            .as_deref()
            .or(self.project.lock.as_ref().map(|l| l.table.as_str()))
    }
}

/// The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The scope of a project: its desired state built with no code (code is not needed to
/// know what slsr will call) in the account and region the policy names.
pub fn scope<'a>(project: &'a Project, options: &Options) -> Scope<'a> {
    let region = project.region.clone().unwrap_or_else(|| "*".into());
    let account = options.account.clone().unwrap_or_else(|| "*".into());
    let state = desired::build(
        project,
        &std::collections::HashMap::new(),
        &Target {
            account_id: Some(account.clone()),
            region: Some(region.clone()),
            ..Target::default()
        },
    );
    Scope {
        partition: partition(&region).into(),
        region,
        account,
        service: project.service.clone(),
        stage: project.stage.clone(),
        project,
        state,
        lock_table: options.lock_table.clone(),
        operate: options.operate,
    }
}

/// The policy document: one statement per grant the scope needs, in `GRANTS`' order, each
/// with its actions and resources sorted and without repeats.
pub fn document(project: &Project, options: &Options) -> Value {
    let scope = scope(project, options);
    let statements: Vec<Value> = GRANTS
        .iter()
        .filter(|g| (g.needed)(&scope))
        .filter_map(|g| {
            let resources = uncovered((g.resources)(&scope).into_iter().collect());
            if resources.is_empty() {
                return None;
            }
            let actions: BTreeSet<&str> = g.actions.iter().copied().collect();
            let mut statement = json!({
                "Sid": g.sid,
                "Effect": "Allow",
                "Action": actions.into_iter().collect::<Vec<_>>(),
                "Resource": resources.into_iter().collect::<Vec<_>>(),
            });
            if let Some(condition) = (g.condition)(&scope) {
                statement["Condition"] = condition;
            }
            Some(statement)
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The resources that no other of them covers (`x-dev-orders` beside `x-dev-*`): the
/// document stays short, under IAM's size limits.
fn uncovered(resources: BTreeSet<String>) -> BTreeSet<String> {
    resources
        .iter()
        .filter(|r| {
            !resources
                .iter()
                .any(|other| other != *r && matches(other, r, false))
        })
        .cloned()
        .collect()
}

/// IAM's limit on a managed policy's size, in characters other than whitespace.
pub const MANAGED_POLICY_LIMIT: usize = 6144;

/// The size IAM counts: the characters of the document but its whitespace.
pub fn size(document: &Value) -> usize {
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

/// Whether `pattern` (IAM's `*` and `?` wildcards) matches `value`, as IAM compares
/// actions (without case) and resources (with case).
pub use crate::spec::escalation::wildcard_matches as matches;

/// Whether the document allows `action` on `resource` (an Allow statement naming both;
/// conditions are not evaluated).
pub fn allows(document: &Value, action: &str, resource: &str) -> bool {
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| {
            s["Effect"] == "Allow"
                && strings(&s["Action"])
                    .iter()
                    .any(|a| matches(a, action, true))
                && strings(&s["Resource"])
                    .iter()
                    .any(|r| matches(r, resource, false))
        })
}

#[cfg(test)]
mod tests;
