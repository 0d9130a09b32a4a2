//! What a plan opens up: the access widening summary at the end of every plan, and what
//! `apply --require-approval widening` asks about. Pure: a function of the plan's changes,
//! each live side (`before`) against its desired side (`after`), so a no-op plan opens
//! nothing and an offline plan (everything created) lists all the desired side opens.
//!
//! Widening is access that is new with this change; access removed is never listed:
//! - a resource its kind calls public (`KindInfo::public`: a route with `auth: none`, a
//!   function URL with auth NONE) made, or changed from authorized to public;
//! - a Lambda permission whose principal and source the function's live statements lack;
//! - on a role: each action on each resource its inline policy adds (`engine::grants`, so a
//!   narrower grant than a live one is nothing), a Deny it drops, each principal its trust
//!   policy gains, each managed policy attached.
//!
//! Each item carries flags for what a reviewer must not miss: `*` (an action, `service:*`, a
//! resource or a principal), `iam:PassRole`, an action that allows privilege escalation
//! (`spec::escalation`, validation's W304), and a principal in another account.
//! A saved plan never carries this list: it is made again from the changes every time.

use serde::Serialize;
use serde_json::Value;

use crate::engine::grants::{self, Grant};
use crate::engine::model::{Kind, Resource};
use crate::engine::plan::{Action, Change, Plan};
use crate::kinds::{attr, attr_list, attr_opt, attr_str, permission, role};
use crate::spec::escalation;

/// One thing the change opens.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Widening {
    pub address: String,
    #[serde(flatten)]
    pub opens: Opens,
    pub flags: Vec<Flag>,
}

/// What is opened, and to whom. `kind` in the JSON plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Opens {
    /// Anyone may call it: `note` is its kind's word for it (`KindInfo::public`).
    Public {
        resource_kind: &'static str,
        note: String,
    },
    /// A statement in `function`'s resource policy lets `principal` call `action`.
    Principal {
        function: String,
        action: String,
        principal: String,
        source_arn: Option<String>,
        source_account: Option<String>,
        /// `NONE` on the statement of a function URL without auth.
        function_url_auth_type: Option<String>,
        /// The statement applies only to calls through the function's URL.
        invoked_via_function_url: bool,
        /// What it is for, as the plan says under its address (`KindInfo::about`): `for
        /// route GET /orders`, `for the function URL`.
        about: Option<String>,
    },
    /// `role` may do `action` on `resource` (`effect` `allow`), or is no longer denied it
    /// (`deny_removed`).
    IamAction {
        role: String,
        effect: &'static str,
        action: String,
        resource: String,
        condition: Option<Value>,
    },
    /// A managed policy attached to `role`.
    ManagedPolicy { role: String, policy_arn: String },
    /// `role`'s trust policy lets `principal` (of `principal_type`: `Service`, `AWS`,
    /// `Federated`) do `action` (`sts:AssumeRole`).
    Trust {
        role: String,
        principal_type: String,
        principal: String,
        action: String,
        condition: Option<Value>,
    },
}

/// What a reviewer must not miss in an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// `*`: every action (`*`, `service:*`, a `NotAction`), every resource, or anyone.
    Wildcard,
    /// The action is or covers `iam:PassRole`.
    PassRole,
    /// The action allows privilege escalation on this resource (W304).
    Escalation,
    /// The principal is another AWS account than the one planned against.
    OtherAccount,
}

/// AWS managed policies that grant `*` or escalation, flagged when attached.
const BROAD_MANAGED: &[(&str, &[Flag])] = &[
    (
        "arn:aws:iam::aws:policy/AdministratorAccess",
        &[Flag::Wildcard, Flag::PassRole, Flag::Escalation],
    ),
    (
        "arn:aws:iam::aws:policy/IAMFullAccess",
        &[Flag::PassRole, Flag::Escalation],
    ),
    ("arn:aws:iam::aws:policy/PowerUserAccess", &[Flag::Wildcard]),
];

/// Everything `plan` opens, in the plan's order. `account` is the account planned against
/// (`None` offline), for the flag on principals of other accounts.
pub fn of(plan: &Plan, account: Option<&str>) -> Vec<Widening> {
    let live_statements: Vec<&Resource> = plan
        .changes
        .iter()
        .filter(|c| c.kind == Kind::Permission)
        .filter_map(|c| c.before.as_ref())
        .collect();
    let mut out = Vec::new();
    for change in plan
        .changes
        .iter()
        .filter(|c| !matches!(c.action, Action::Delete | Action::NoOp))
    {
        let Some(after) = change.after.as_ref() else {
            continue;
        };
        let before = change.before.as_ref();
        let item = |opens: Opens, flags: Vec<Flag>| Widening {
            address: change.address.clone(),
            opens,
            flags,
        };
        let public = change.kind.info().public;
        if let Some(note) = public(after)
            && before.is_none_or(|b| public(b).is_none())
        {
            out.push(item(
                Opens::Public {
                    resource_kind: change.kind.as_str(),
                    note: note.to_string(),
                },
                Vec::new(),
            ));
        }
        if change.kind == Kind::Permission {
            out.extend(statement(change, after, &live_statements, account));
        }
        if change.kind == Kind::Role {
            out.extend(
                role_access(after, before, account)
                    .into_iter()
                    .map(|(o, f)| item(o, f)),
            );
        }
    }
    out
}

/// A statement whose grant none of its function's live statements has (under any id).
fn statement(
    change: &Change,
    after: &Resource,
    live: &[&Resource],
    account: Option<&str>,
) -> Option<Widening> {
    let function = attr_str(after, permission::FUNCTION);
    let grant = |r: &Resource| {
        let mut attrs = r.attrs.clone();
        attrs.remove(permission::FUNCTION);
        attrs
    };
    let wanted = grant(after);
    let known = live
        .iter()
        .any(|l| attr_str(l, permission::FUNCTION) == function && grant(l) == wanted);
    if known {
        return None;
    }
    let principal = attr_str(after, permission::PRINCIPAL);
    let mut flags = Vec::new();
    if principal == "*" {
        flags.push(Flag::Wildcard);
    }
    if other_account(&principal, account) {
        flags.push(Flag::OtherAccount);
    }
    Some(Widening {
        address: change.address.clone(),
        opens: Opens::Principal {
            function,
            action: attr_str(after, permission::ACTION),
            principal,
            source_arn: attr_opt(after, permission::SOURCE_ARN),
            source_account: attr_opt(after, permission::SOURCE_ACCOUNT),
            function_url_auth_type: attr_opt(after, permission::FUNCTION_URL_AUTH_TYPE),
            invoked_via_function_url: attr(after, permission::INVOKED_VIA_FUNCTION_URL)
                .as_bool()
                .unwrap_or(false),
            about: (change.kind.info().about)(after),
        },
        flags,
    })
}

/// What a role's change adds: inline actions, Denies dropped, managed policies, trust.
fn role_access(
    after: &Resource,
    before: Option<&Resource>,
    account: Option<&str>,
) -> Vec<(Opens, Vec<Flag>)> {
    let name = after.name.clone();
    let document =
        |r: Option<&Resource>, path: &str| r.map_or(Value::Null, |r| attr(r, path).clone());
    let (want, have) = (
        document(Some(after), role::INLINE_POLICY),
        document(before, role::INLINE_POLICY),
    );
    let mut out = Vec::new();
    let iam = |effect: &'static str, g: Grant| {
        let flags = grant_flags(&g);
        (
            Opens::IamAction {
                role: name.clone(),
                effect,
                action: g.action,
                resource: g.resource,
                condition: g.condition,
            },
            flags,
        )
    };
    for g in grants::added(&grants::of(&want, "Allow"), &grants::of(&have, "Allow")) {
        out.push(iam("allow", g));
    }
    // A Deny that goes lets through what it stopped.
    for g in grants::of(&have, "Deny") {
        if !grants::of(&want, "Deny").contains(&g) {
            out.push(iam("deny_removed", g));
        }
    }
    let attached = before
        .map(|b| attr_list(b, role::MANAGED_POLICIES))
        .unwrap_or_default();
    for arn in attr_list(after, role::MANAGED_POLICIES) {
        if attached.contains(&arn) {
            continue;
        }
        let flags = BROAD_MANAGED
            .iter()
            .find(|(broad, _)| *broad == arn)
            .map(|(_, flags)| flags.to_vec())
            .unwrap_or_default();
        out.push((
            Opens::ManagedPolicy {
                role: name.clone(),
                policy_arn: arn,
            },
            flags,
        ));
    }
    let trusted = grants::trusted(&document(before, role::TRUST_POLICY));
    for t in grants::trusted(&document(Some(after), role::TRUST_POLICY)) {
        if trusted.contains(&t) {
            continue;
        }
        let grants::Trusted {
            principal_type,
            principal,
            action,
            condition,
        } = t;
        let mut flags = Vec::new();
        if principal == "*" {
            flags.push(Flag::Wildcard);
        }
        if principal_type == "AWS" && other_account(&principal, account) {
            flags.push(Flag::OtherAccount);
        }
        out.push((
            Opens::Trust {
                role: name.clone(),
                principal_type,
                principal,
                action,
                condition,
            },
            flags,
        ));
    }
    out
}

/// The flags of an IAM grant: `*`, iam:PassRole, escalation on a broad enough resource.
fn grant_flags(g: &Grant) -> Vec<Flag> {
    let mut flags = Vec::new();
    if g.negated || g.action == "*" || g.action.ends_with(":*") || g.resource == "*" {
        flags.push(Flag::Wildcard);
    }
    let escalations = if g.negated {
        Vec::new()
    } else {
        escalation::allowed_by(&g.action)
    };
    if escalations.iter().any(|e| e.action == "iam:PassRole") {
        flags.push(Flag::PassRole);
    }
    if escalations
        .iter()
        .any(|e| escalation::broad_for(&g.resource, e))
    {
        flags.push(Flag::Escalation);
    }
    flags
}

/// Whether `principal` names an account (`123456789012`, `arn:aws:iam::123456789012:root`)
/// other than `account`; never offline, where the account is not known.
fn other_account(principal: &str, account: Option<&str>) -> bool {
    let Some(account) = account.filter(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()))
    else {
        return false;
    };
    let named = if principal.starts_with("arn:") {
        principal.split(':').nth(4).unwrap_or_default()
    } else {
        principal
    };
    named.len() == 12 && named.chars().all(|c| c.is_ascii_digit()) && named != account
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::State;
    use serde_json::json;

    fn state(resources: Vec<Resource>) -> State {
        let mut s = State::default();
        for r in resources {
            s.insert(r);
        }
        s
    }

    fn opened(desired: Vec<Resource>, live: Vec<Resource>) -> Vec<Widening> {
        of(
            &crate::engine::plan::plan(&state(desired), &state(live)),
            Some("111111111111"),
        )
    }

    fn role(statements: Value, managed: &[&str], trusted: Value) -> Resource {
        let doc = |s: Value| {
            crate::engine::normalize::policy(&json!({"Version": "2012-10-17", "Statement": s}))
        };
        Resource::new(Kind::Role, "api", "shop-dev-api")
            .with(role::INLINE_POLICY, doc(statements))
            .with(role::MANAGED_POLICIES, managed.to_vec())
            .with(role::TRUST_POLICY, doc(trusted))
    }

    fn lambda_trust() -> Value {
        json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    }

    fn logs() -> Value {
        json!({"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": ["arn:aws:logs:us-east-1:111111111111:log-group:x:*"]})
    }

    /// Each item as `address kind: action on resource [flags]`, for short assertions.
    fn brief(items: &[Widening]) -> Vec<String> {
        items
            .iter()
            .map(|w| {
                let what = match &w.opens {
                    Opens::Public { note, .. } => note.clone(),
                    Opens::Principal { principal, .. } => format!("principal {principal}"),
                    Opens::IamAction {
                        effect,
                        action,
                        resource,
                        ..
                    } => {
                        format!("{effect} {action} on {resource}")
                    }
                    Opens::ManagedPolicy { policy_arn, .. } => format!("managed {policy_arn}"),
                    Opens::Trust {
                        principal_type,
                        principal,
                        action,
                        ..
                    } => {
                        format!("trust {principal_type} {principal} {action}")
                    }
                };
                format!("{} {what} {:?}", w.address, w.flags)
            })
            .collect()
    }

    #[test]
    fn a_new_role_opens_its_actions_managed_policies_and_trust() {
        let new = role(
            json!([logs(), {"Effect": "Allow", "Action": ["iam:PassRole", "s3:*"], "Resource": "*"}]),
            &["arn:aws:iam::aws:policy/AdministratorAccess"],
            lambda_trust(),
        );
        assert_eq!(
            brief(&opened(vec![new], vec![])),
            [
                "role.api allow logs:PutLogEvents on arn:aws:logs:us-east-1:111111111111:log-group:x:* []",
                "role.api allow iam:PassRole on * [Wildcard, PassRole, Escalation]",
                "role.api allow s3:* on * [Wildcard]",
                "role.api managed arn:aws:iam::aws:policy/AdministratorAccess [Wildcard, PassRole, Escalation]",
                "role.api trust Service lambda.amazonaws.com sts:AssumeRole []",
            ]
        );
    }

    #[test]
    fn an_added_action_is_listed_alone_and_a_removed_one_opens_nothing() {
        let one = role(json!([logs()]), &[], lambda_trust());
        let two = role(
            json!([logs(), {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111111111111:q"}]),
            &[],
            lambda_trust(),
        );
        assert_eq!(
            brief(&opened(vec![two.clone()], vec![one.clone()])),
            ["role.api allow sqs:SendMessage on arn:aws:sqs:us-east-1:111111111111:q []"]
        );
        assert!(opened(vec![one.clone()], vec![two]).is_empty());
        assert!(opened(vec![one.clone()], vec![one.clone()]).is_empty());
        // Deleting a role opens nothing.
        assert!(opened(vec![], vec![one]).is_empty());
    }

    #[test]
    fn narrowing_opens_nothing_and_widening_a_resource_to_a_wildcard_does() {
        let broad = role(
            json!([{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/t"}]),
            &[],
            lambda_trust(),
        );
        let narrow = role(
            json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:111111111111:table/t"}]),
            &[],
            lambda_trust(),
        );
        assert!(opened(vec![narrow.clone()], vec![broad]).is_empty());
        let everywhere = role(
            json!([{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]),
            &[],
            lambda_trust(),
        );
        assert_eq!(
            brief(&opened(vec![everywhere], vec![narrow])),
            ["role.api allow dynamodb:GetItem on * [Wildcard]"]
        );
    }

    #[test]
    fn a_deny_dropped_a_principal_trusted_and_a_policy_attached_are_listed() {
        let deny = json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"});
        let before = role(
            json!([logs(), deny]),
            &["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            lambda_trust(),
        );
        let after = role(
            json!([logs()]),
            &[
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/AmazonS3FullAccess",
            ],
            json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com", "AWS": "arn:aws:iam::222222222222:root"}, "Action": "sts:AssumeRole"}]),
        );
        assert_eq!(
            brief(&opened(vec![after], vec![before])),
            [
                "role.api deny_removed s3:DeleteObject on * [Wildcard]",
                "role.api managed arn:aws:iam::aws:policy/AmazonS3FullAccess []",
                "role.api trust AWS arn:aws:iam::222222222222:root sts:AssumeRole [OtherAccount]",
            ]
        );
    }

    fn url(auth: &str) -> Resource {
        Resource::new(Kind::FunctionUrl, "api", "shop-dev-api")
            .with(crate::kinds::function_url::AUTH_TYPE, auth)
    }

    fn route(auth: &str) -> Resource {
        Resource::new(Kind::Route, "GET /x", "GET /x")
            .with(crate::kinds::route::AUTHORIZATION, auth)
    }

    #[test]
    fn what_becomes_public_is_listed_and_what_stays_public_is_not() {
        assert_eq!(
            brief(&opened(
                vec![url("NONE"), route("JWT")],
                vec![url("AWS_IAM"), route("NONE")]
            )),
            [
                "function_url.api public: anyone on the internet can invoke the function through this URL (auth: none) []"
            ]
        );
        assert_eq!(
            brief(&opened(vec![route("NONE")], vec![route("AWS_IAM")])),
            ["route[\"GET /x\"] public: anyone can call this route (auth: none) []"]
        );
        assert!(
            opened(
                vec![url("NONE")],
                vec![url("NONE").with("invoke_mode", "X")]
            )
            .is_empty()
        );
    }

    fn statement(sid: &str, principal: &str) -> Resource {
        Resource::new(Kind::Permission, format!("api.{sid}"), sid)
            .with(permission::FUNCTION, "shop-dev-api")
            .with(permission::ACTION, "lambda:InvokeFunction")
            .with(permission::PRINCIPAL, principal)
    }

    #[test]
    fn a_statement_is_new_when_its_function_has_no_live_one_granting_the_same() {
        let items = opened(
            vec![
                statement("slsr-1", "*"),
                statement("slsr-2", "222222222222"),
                statement("slsr-4", "events.amazonaws.com"),
            ],
            // The same grant under another id is not new.
            vec![statement("slsr-3", "events.amazonaws.com")],
        );
        assert_eq!(
            brief(&items),
            [
                "permission.api.slsr-1 principal * [Wildcard]",
                "permission.api.slsr-2 principal 222222222222 [OtherAccount]",
            ]
        );
        // Offline, an account principal is not known to be another's.
        let offline = of(
            &crate::engine::plan::plan(
                &state(vec![statement("slsr-2", "222222222222")]),
                &State::default(),
            ),
            None,
        );
        assert!(offline[0].flags.is_empty());
    }

    #[test]
    fn the_json_form_names_the_kind_and_its_fields() {
        let items = opened(vec![statement("slsr-1", "*")], vec![]);
        assert_eq!(
            serde_json::to_value(&items[0]).unwrap(),
            json!({"address": "permission.api.slsr-1", "kind": "principal", "function": "shop-dev-api", "action": "lambda:InvokeFunction", "principal": "*", "source_arn": null, "source_account": null, "function_url_auth_type": null, "invoked_via_function_url": false, "about": "for allow_invoke: *", "flags": ["wildcard"]})
        );
    }
}
