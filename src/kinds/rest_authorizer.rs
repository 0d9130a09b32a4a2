//! The REST API's authorizers (`rest_api.authorizers`): a Lambda request or token
//! authorizer (its function's invocations URI, identity sources as
//! `method.request.header.NAME`, the answer's cache TTL) or a Cognito user-pool authorizer
//! (its pools' ARNs), named by its key; AWS gives its id. A Lambda authorizer comes with the
//! permission that lets API Gateway invoke its function for that authorizer only
//! (`.../API_ID/authorizers/AUTH_ID`). Methods name it by key (`rest_method`'s `authorizer`);
//! the deployment's digest holds it, so a change redeploys. Read with GetAuthorizers.

use aws_sdk_apigateway::types::{AuthorizerType, Op, PatchOperation};
use serde_json::{Value, json};

use super::{Index, Kind, KindInfo, Tags, attr_list, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, known_after_apply};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::{RestAuthorizer, RestAuthorizerType};

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_authorizer",
    naming: "its key in rest_api.authorizers; AWS gives its id",
    tags: Tags::Untagged,
    // Nothing replaces it: methods name it by id, and AWS refuses to delete an authorizer
    // a method uses. Its pools are added and removed one by one, its type replaced.
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[TYPE, AUTHORIZER_URI],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// `REQUEST`, `TOKEN` or `COGNITO_USER_POOLS`.
pub const TYPE: &str = "type";
/// The function's invocations URI (`arn:aws:apigateway:REGION:lambda:path/.../invocations`).
pub const AUTHORIZER_URI: &str = "authorizer_uri";
/// `method.request.header.Authorization`, several joined by `, ` as AWS writes them.
pub const IDENTITY_SOURCE: &str = "identity_source";
/// Seconds API Gateway caches the answer.
pub const TTL: &str = "ttl";
/// The Cognito user pools' ARNs.
pub const PROVIDER_ARNS: &str = "provider_arns";

/// AWS's default cache TTL of an authorizer's answer.
pub const DEFAULT_TTL: u32 = 300;

/// The address of the authorizer `name`.
pub fn at(name: &str) -> String {
    address(Kind::RestAuthorizer, name)
}

/// The spec's authorizer `name`, if declared.
pub fn declared<'a>(b: &'a Builder, name: &str) -> Option<&'a RestAuthorizer> {
    b.p.rest_api.as_ref()?.authorizers.as_ref()?.get(name)
}

/// A method's authorization (`AWS_IAM`, `CUSTOM`, `COGNITO_USER_POOLS` or `NONE`) and the
/// authorizer it names, from a rest event's `auth`.
pub fn method_auth(b: &Builder, auth: &str) -> (&'static str, Option<String>) {
    match auth {
        "iam" => ("AWS_IAM", None),
        // `api_key`: the key is the method's `api_key_required` (`RestEvent::parts`).
        "none" | crate::spec::model::API_KEY_AUTH => ("NONE", None),
        name => match declared(b, name) {
            Some(a) => (a.kind.method_authorization(), Some(name.to_string())),
            None => ("NONE", None),
        },
    }
}

/// `header.Authorization` as API Gateway names it: `method.request.header.Authorization`.
fn identity_source(a: &RestAuthorizer) -> Value {
    if a.kind == RestAuthorizerType::Cognito && a.identity.is_none() {
        return json!("method.request.header.Authorization");
    }
    let sources: Vec<String> = a
        .identity
        .clone()
        .unwrap_or_else(|| vec!["header.Authorization".into()])
        .iter()
        .map(|s| format!("method.request.{s}"))
        .collect();
    json!(sources.join(", "))
}

fn desired(b: &Builder, state: &mut State) {
    if !super::rest_api::wanted(b) {
        return;
    }
    let Some(authorizers) = b.p.rest_api.as_ref().and_then(|a| a.authorizers.as_ref()) else {
        return;
    };
    for (name, a) in authorizers {
        let id = b.t.rest_authorizer_ids.get(name).cloned();
        let uri = a
            .function
            .as_ref()
            .map(|f| super::rest_method::invocations_uri(b.t.region(), &b.function_arn(f)));
        let mut pools = a.user_pools.clone().unwrap_or_default();
        pools.sort();
        state.insert(
            Resource::new(
                Kind::RestAuthorizer,
                name,
                id.as_deref().unwrap_or(KNOWN_AFTER_APPLY),
            )
            .with(TYPE, a.kind.as_aws())
            .with(AUTHORIZER_URI, uri.map_or(Value::Null, Value::from))
            .with(IDENTITY_SOURCE, identity_source(a))
            .with(TTL, a.ttl.unwrap_or(DEFAULT_TTL))
            .with(
                PROVIDER_ARNS,
                if pools.is_empty() {
                    Value::Null
                } else {
                    json!(pools)
                },
            ),
        );
        if let Some(function) = &a.function {
            // `.id`: a reference names its resource's address and then the attribute.
            let auth_id = id.unwrap_or_else(|| known_after_apply(&format!("{}.id", at(name))));
            let source_arn = format!(
                "arn:aws:execute-api:{}:{}:{}/authorizers/{auth_id}",
                b.t.region(),
                b.t.account(),
                super::rest_api::id_or_later(b),
            );
            state.insert(super::permission::resource(
                b,
                function,
                &format!("rest-authorizer\0{name}"),
                json!({"principal": "apigateway.amazonaws.com", "source_arn": source_arn, "source_account": b.t.account()}),
            ));
        }
    }
}

/// An authorizer needs the API and its function.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = vec![super::rest_api::the_api()];
    let uri = attr_str(r, AUTHORIZER_URI);
    let function = uri
        .split("/functions/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/invocations"));
    needs.extend(function.and_then(|arn| index.arn(arn)));
    needs
}

/// An authorizer as GetAuthorizers lists it.
pub fn live(a: &aws_sdk_apigateway::types::Authorizer) -> Resource {
    let mut pools: Vec<String> = a.provider_arns().to_vec();
    pools.sort();
    Resource::new(
        Kind::RestAuthorizer,
        a.name().unwrap_or_default(),
        a.id().unwrap_or_default(),
    )
    .with(TYPE, a.r#type().map(|t| t.as_str().to_string()))
    .with(AUTHORIZER_URI, a.authorizer_uri().map(str::to_string))
    .with(IDENTITY_SOURCE, a.identity_source().map(str::to_string))
    .with(
        TTL,
        a.authorizer_result_ttl_in_seconds()
            .unwrap_or(DEFAULT_TTL as i32),
    )
    .with(
        PROVIDER_ARNS,
        if pools.is_empty() {
            Value::Null
        } else {
            json!(pools)
        },
    )
}

/// Each live method's `authorizer` by name rather than the id GetResources gives.
pub fn name_methods(tree: &mut [Resource], authorizers: &[Resource]) {
    for m in tree.iter_mut().filter(|r| r.kind == Kind::RestMethod) {
        if let Some(id) = attr_opt(m, super::rest_method::AUTHORIZER) {
            let name = authorizers
                .iter()
                .find(|a| a.name == id)
                .map_or(id, |a| a.key.clone());
            m.attrs
                .insert(super::rest_method::AUTHORIZER.into(), Value::from(name));
        }
    }
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    let uri = attr_opt(r, AUTHORIZER_URI).map(|u| a.resolve(&u));
    let ttl = super::attr(r, TTL)
        .as_i64()
        .map_or(DEFAULT_TTL as i32, |t| t as i32);
    match step.action {
        Action::Delete => a
            .rest
            .delete_authorizer()
            .rest_api_id(&api)
            .authorizer_id(&r.name)
            .send()
            .await
            .or_gone("DeleteAuthorizer", &target),
        Action::Create => {
            let pools = attr_list(r, PROVIDER_ARNS);
            let out = a
                .rest
                .create_authorizer()
                .rest_api_id(&api)
                .name(&r.key)
                .r#type(AuthorizerType::from(attr_str(r, TYPE).as_str()))
                .set_authorizer_uri(uri)
                .identity_source(attr_str(r, IDENTITY_SOURCE))
                .authorizer_result_ttl_in_seconds(ttl)
                .set_provider_arns((!pools.is_empty()).then_some(pools))
                .send()
                .await
                .map_err(|e| AwsError::new("CreateAuthorizer", &target, e))?;
            let id = out.id.unwrap_or_default();
            a.ids.set(&format!("{target}.id"), id.clone());
            a.ids.set(&target, id);
            Ok(())
        }
        _ => {
            let id = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.ids.set(&target, id.clone());
            let patch = |path: &str, value: String| {
                PatchOperation::builder()
                    .op(Op::Replace)
                    .path(path)
                    .value(value)
                    .build()
            };
            let mut update = a
                .rest
                .update_authorizer()
                .rest_api_id(&api)
                .authorizer_id(&id)
                .patch_operations(patch("/identitySource", attr_str(r, IDENTITY_SOURCE)))
                .patch_operations(patch("/authorizerResultTtlInSeconds", ttl.to_string()));
            if step.changes(TYPE) {
                update = update.patch_operations(patch("/type", attr_str(r, TYPE)));
            }
            if let Some(uri) = uri {
                update = update.patch_operations(patch("/authorizerUri", uri));
            }
            if step.changes(PROVIDER_ARNS) {
                // New pools first, so that the authorizer never has none (AWS's
                // `/providerARNs` takes one ARN per add, and a remove names it).
                let live = step
                    .live()
                    .map(|l| attr_list(l, PROVIDER_ARNS))
                    .unwrap_or_default();
                let wanted = attr_list(r, PROVIDER_ARNS);
                for arn in wanted.iter().filter(|a| !live.contains(a)) {
                    update = update.patch_operations(
                        PatchOperation::builder()
                            .op(Op::Add)
                            .path("/providerARNs")
                            .value(arn)
                            .build(),
                    );
                }
                for arn in live.iter().filter(|a| !wanted.contains(a)) {
                    update = update.patch_operations(
                        PatchOperation::builder()
                            .op(Op::Remove)
                            .path(format!("/providerARNs/{arn}"))
                            .build(),
                    );
                }
            }
            update
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateAuthorizer", &target, e))?;
            Ok(())
        }
    }
}
