//! Statements in a function's resource policy, each letting one principal invoke it: for
//! `allow_invoke`, and (added by their own kinds) for a rule, a route of the HTTP API, a
//! public function URL and a bucket's notifications. A statement's id is `slsr-` and a hash of what it is for, so only
//! statements with such an id are slsr's (GetPolicy, `read`); others are kept. A statement
//! cannot be changed in place: an update removes it and adds it again.

use serde_json::{Value, json};

use super::{Index, KindInfo, Tags, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, patiently};
use crate::aws::AwsError;
use crate::aws::read::{Reader, Scope};
use crate::engine::desired::{Builder, canonical_json, short_hash};
use crate::engine::model::{Kept, Resource, State, address};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "permission",
    naming: "slsr-{8 hex of what it is for}, in the function's policy",
    tags: Tags::Untagged,
    replaced_by: &[
        PRINCIPAL,
        SOURCE_ARN,
        SOURCE_ACCOUNT,
        EVENT_SOURCE_TOKEN,
        FUNCTION_URL_AUTH_TYPE,
        INVOKED_VIA_FUNCTION_URL,
    ],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: super::never_public,
    identity: &[FUNCTION, PRINCIPAL, SOURCE_ARN],
    about,
    write: super::writer!(apply),
};

/// The function's physical name.
pub const FUNCTION: &str = "function";
pub const ACTION: &str = "action";
pub const PRINCIPAL: &str = "principal";
pub const SOURCE_ARN: &str = "source_arn";
pub const SOURCE_ACCOUNT: &str = "source_account";
pub const EVENT_SOURCE_TOKEN: &str = "event_source_token";
/// `NONE` on the statement that lets anyone call a public function URL.
pub const FUNCTION_URL_AUTH_TYPE: &str = "function_url_auth_type";
/// On the statement that lets a public function URL invoke the function (since October
/// 2025 AWS requires it beside `lambda:InvokeFunctionUrl`).
pub const INVOKED_VIA_FUNCTION_URL: &str = "invoked_via_function_url";

/// Statements for `allow_invoke`; the ones for triggers come with their kinds.
fn desired(b: &Builder, state: &mut State) {
    for (name, f) in &b.p.functions {
        for invoke in f.allow_invoke.iter().flatten() {
            let attrs = json!({
                "principal": invoke.principal,
                "source_arn": invoke.source_arn,
                "source_account": invoke.source_account,
                "event_source_token": invoke.event_source_token,
            });
            state.insert(resource(
                b,
                name,
                &format!("invoke\0{}", canonical_json(&attrs)),
                attrs,
            ));
        }
    }
}

/// A statement in the function's resource policy. Its id comes from `identity`, what the
/// permission is for, which stays the same when an ARN in it is learnt later. `attrs` are
/// its attributes (nulls left out); the action is `lambda:InvokeFunction` unless they say.
pub fn resource(b: &Builder, function: &str, identity: &str, attrs: Value) -> Resource {
    let mut attrs = attrs.as_object().cloned().unwrap_or_default();
    attrs.retain(|_, v| !v.is_null());
    let sid = sid(function, identity);
    let mut r = Resource::new(super::Kind::Permission, format!("{function}.{sid}"), sid)
        .with(FUNCTION, b.p.physical_name(function))
        .with(ACTION, "lambda:InvokeFunction");
    for (k, v) in attrs {
        r = r.with(&k, v);
    }
    r
}

/// The id of the statement of `function` (its key in the spec) for `identity`: what a kind
/// that needs its trigger's statement (a bucket's notification) looks it up by.
pub fn sid(function: &str, identity: &str) -> String {
    format!("slsr-{}", short_hash(&format!("{function}\0{identity}")))
}

/// A statement needs its function, and the HTTP or REST API whose id its source ARN names.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = super::function_of(r, index, FUNCTION);
    if attr_str(r, SOURCE_ARN).starts_with("arn:aws:execute-api:") {
        needs.push(address(super::Kind::HttpApi, "api"));
    }
    // What its source ARN learns at apply time (a REST API authorizer's id).
    needs.extend(super::referenced(r));
    needs
}

/// What a statement lets call the function, from its principal and source: `for route GET
/// /orders/{id}`, `for rule orders-dev-reports-nightly`.
fn about(r: &Resource) -> Option<String> {
    let source = attr_str(r, SOURCE_ARN);
    let principal = attr_str(r, PRINCIPAL);
    if r.attrs.contains_key(FUNCTION_URL_AUTH_TYPE)
        || r.attrs.contains_key(INVOKED_VIA_FUNCTION_URL)
    {
        return Some("for the function URL".into());
    }
    match principal.as_str() {
        // arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH
        "apigateway.amazonaws.com" => {
            let route = source.splitn(6, ':').nth(5)?;
            // arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/AUTHORIZER_ID
            if let Some((_, authorizer)) = route.split_once("/authorizers/") {
                return Some(format!("for REST API authorizer {authorizer}"));
            }
            let mut parts = route.splitn(4, '/').skip(2);
            let method = parts.next()?;
            let path = parts.next().unwrap_or_default();
            Some(match method {
                "*" => format!("for route ANY /{path}"),
                m if m.starts_with('$') => format!("for route {m}"),
                m => format!("for route {m} /{path}"),
            })
        }
        "events.amazonaws.com" => {
            let rule = source.rsplit_once(":rule/")?.1;
            Some(format!(
                "for rule {}",
                rule.rsplit('/').next().unwrap_or(rule)
            ))
        }
        "sns.amazonaws.com" => Some(format!(
            "for the subscription to topic {}",
            source.rsplit(':').next().unwrap_or(&source)
        )),
        "s3.amazonaws.com" => {
            let bucket = source.strip_prefix("arn:aws:s3:::")?;
            Some(format!("for the notifications of bucket {bucket}"))
        }
        _ => Some(format!("for allow_invoke: {principal}")),
    }
}

fn serial_with(r: &Resource) -> Option<String> {
    Some(attr_str(r, FUNCTION))
}

/// The function's statements: slsr's (with a `slsr-` id) as resources, others as kept.
pub async fn read(
    r: &Reader,
    name: &str,
    scope: &Scope,
) -> Result<(Vec<Resource>, Vec<Kept>), AwsError> {
    r.calls.count("Lambda.GetPolicy");
    let policy = match r.lambda.get_policy().function_name(name).send().await {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok((vec![], vec![]));
        }
        Err(e) => return Err(AwsError::new("GetPolicy", name, e)),
    };
    let doc: Value = serde_json::from_str(&policy).unwrap_or(Value::Null);
    let key = scope.logical(name).unwrap_or(name);
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        single => vec![single.clone()],
    };
    let mut found = Vec::new();
    let mut kept = Vec::new();
    for s in statements {
        let sid = s["Sid"].as_str().unwrap_or_default();
        if !sid.starts_with("slsr-") {
            kept.push(Kept {
                address: address(super::Kind::Permission, &format!("{key}.{sid}")),
                name: format!("{name} {sid}"),
                reason: "a statement slsr did not add to this function's policy; slsr leaves it"
                    .into(),
            });
            continue;
        }
        let principal = match &s["Principal"] {
            Value::String(p) => p.clone(),
            Value::Object(p) => p
                .values()
                .next()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        };
        let condition = |op: &str, key: &str| s["Condition"][op][key].as_str().map(str::to_string);
        let mut res = Resource::new(super::Kind::Permission, format!("{key}.{sid}"), sid)
            .with("function", name)
            .with("action", s["Action"].as_str().unwrap_or_default())
            .with("principal", principal);
        if let Some(arn) = condition("ArnLike", "AWS:SourceArn") {
            res = res.with("source_arn", arn);
        }
        if let Some(account) = condition("StringEquals", "AWS:SourceAccount") {
            res = res.with("source_account", account);
        }
        if let Some(token) = condition("StringEquals", "lambda:EventSourceToken") {
            res = res.with("event_source_token", token);
        }
        if let Some(auth) = condition("StringEquals", "lambda:FunctionUrlAuthType") {
            res = res.with(FUNCTION_URL_AUTH_TYPE, auth);
        }
        if let Some(via) = condition("Bool", "lambda:InvokedViaFunctionUrl") {
            res = res.with(INVOKED_VIA_FUNCTION_URL, via == "true");
        }
        found.push(res);
    }
    Ok((found, kept))
}

pub(crate) async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = attr_str(r, FUNCTION);
    let target = format!("{function} {}", r.name);
    if step.action != Action::Create {
        let live = step
            .live()
            .expect("an update or delete has a live resource");
        let remove = a
            .lambda
            .remove_permission()
            .function_name(&function)
            .statement_id(&live.name);
        patiently(|| remove.clone().send())
            .await
            .or_gone("RemovePermission", &target)?;
        if step.action == Action::Delete {
            return Ok(());
        }
    }
    let add = a
        .lambda
        .add_permission()
        .function_name(&function)
        .statement_id(&r.name)
        .action(attr_str(r, ACTION))
        .principal(attr_str(r, PRINCIPAL))
        .set_source_arn(attr_opt(r, SOURCE_ARN).map(|arn| a.resolve(&arn)))
        .set_source_account(attr_opt(r, SOURCE_ACCOUNT))
        .set_event_source_token(attr_opt(r, EVENT_SOURCE_TOKEN))
        .set_function_url_auth_type(
            attr_opt(r, FUNCTION_URL_AUTH_TYPE)
                .map(|t| aws_sdk_lambda::types::FunctionUrlAuthType::from(t.as_str())),
        )
        .set_invoked_via_function_url(
            r.attrs
                .get(INVOKED_VIA_FUNCTION_URL)
                .and_then(Value::as_bool),
        );
    patiently(|| add.clone().send())
        .await
        .or_exists("AddPermission", &target)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(principal: &str, source: &str) -> Resource {
        Resource::new(super::super::Kind::Permission, "api.slsr-1", "slsr-1")
            .with(PRINCIPAL, principal)
            .with(SOURCE_ARN, source)
    }

    #[test]
    fn a_statement_says_what_it_serves() {
        let say = |p: &str, s: &str| about(&statement(p, s));
        assert_eq!(
            say(
                "apigateway.amazonaws.com",
                "arn:aws:execute-api:us-east-1:1:(known after apply)/*/GET/orders/{id}"
            ),
            Some("for route GET /orders/{id}".into())
        );
        assert_eq!(
            say(
                "apigateway.amazonaws.com",
                "arn:aws:execute-api:us-east-1:1:abc/*/*/{proxy+}"
            ),
            Some("for route ANY /{proxy+}".into())
        );
        assert_eq!(
            say(
                "apigateway.amazonaws.com",
                "arn:aws:execute-api:us-east-1:1:abc/*/$default/"
            ),
            Some("for route $default".into())
        );
        assert_eq!(
            say(
                "events.amazonaws.com",
                "arn:aws:events:us-east-1:1:rule/bus/orders-dev-reports-nightly"
            ),
            Some("for rule orders-dev-reports-nightly".into())
        );
        assert_eq!(
            say("s3.amazonaws.com", "arn:aws:s3:::uploads"),
            Some("for the notifications of bucket uploads".into())
        );
    }
}
