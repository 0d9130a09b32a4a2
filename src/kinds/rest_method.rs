//! The REST API's methods, one per `rest` event (`GET /orders/{id}`; `ANY` is API Gateway's
//! ANY), each on its path's resource with a Lambda proxy integration (AWS_PROXY, POST to
//! the function's invocations ARN), its authorization (none or IAM) and whether it takes an
//! API key; and the permission that lets API Gateway invoke the function for that method
//! and path only (SourceArn). The plan marks a method without authorization as public.

use aws_sdk_apigateway::types::{IntegrationType, Method, Op, PatchOperation};
use serde_json::json;

use super::{Index, KindInfo, Tags, attr_bool, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_method",
    naming: "its route, METHOD /path, on its path's resource",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: |r| is_public(r).then_some("public: anyone can call this method (auth: none)"),
    identity: &[INTEGRATION_URI, AUTHORIZATION],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The path of the resource it is on.
pub const RESOURCE: &str = "resource";
pub const HTTP_METHOD: &str = "http_method";
/// `NONE` or `AWS_IAM`.
pub const AUTHORIZATION: &str = "authorization";
pub const API_KEY_REQUIRED: &str = "api_key_required";
/// The key of the authorizer it goes through (`CUSTOM` or `COGNITO_USER_POOLS`), or null.
pub const AUTHORIZER: &str = "authorizer";
/// `AWS_PROXY`.
pub const INTEGRATION_TYPE: &str = "integration_type";
/// `POST`: Lambda is invoked by a POST whatever the method.
pub const INTEGRATION_METHOD: &str = "integration_method";
/// `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`.
pub const INTEGRATION_URI: &str = "integration_uri";

/// The invocations ARN of a function, as a Lambda proxy integration names it.
pub fn invocations_uri(region: &str, function_arn: &str) -> String {
    format!(
        "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// The SourceArn of the permission for a method: its method and path, each `{param}` and
/// `{proxy+}` as `*` (`arn:aws:execute-api:REGION:ACCOUNT:ID/*/GET/orders/*`).
pub fn source_arn(b: &Builder, method: &str, path: &str) -> String {
    let method = if method == "ANY" { "*" } else { method };
    let path: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.starts_with('{') { "*" } else { s })
        .collect();
    format!(
        "arn:aws:execute-api:{}:{}:{}/*/{method}/{}",
        b.t.region(),
        b.t.account(),
        super::rest_api::id_or_later(b),
        path.join("/")
    )
}

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            let Event::Rest(rest) = event else { continue };
            let (route, auth, api_key_required) = rest.parts();
            let (method, path) = super::rest_resource::split_route(route);
            let (authorization, authorizer) = super::rest_authorizer::method_auth(b, auth);
            state.insert(
                Resource::new(super::Kind::RestMethod, route, KNOWN_AFTER_APPLY)
                    .with(RESOURCE, path)
                    .with(HTTP_METHOD, method)
                    .with(AUTHORIZATION, authorization)
                    .with(AUTHORIZER, authorizer)
                    .with(API_KEY_REQUIRED, api_key_required)
                    .with(INTEGRATION_TYPE, "AWS_PROXY")
                    .with(INTEGRATION_METHOD, "POST")
                    .with(
                        INTEGRATION_URI,
                        invocations_uri(b.t.region(), &b.function_arn(function)),
                    ),
            );
            state.insert(super::permission::resource(
                b,
                function,
                &format!("rest\0{route}"),
                json!({"principal": "apigateway.amazonaws.com", "source_arn": source_arn(b, method, path), "source_account": b.t.account()}),
            ));
        }
    }
}

/// A method needs the API, its resource and its function.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = vec![
        super::rest_api::the_api(),
        super::rest_resource::at(&attr_str(r, RESOURCE)),
    ];
    let uri = attr_str(r, INTEGRATION_URI);
    let function = uri
        .split("/functions/")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("/invocations"));
    needs.extend(function.and_then(|arn| index.arn(arn)));
    needs.extend(super::attr_opt(r, AUTHORIZER).map(|a| super::rest_authorizer::at(&a)));
    needs
}

/// Whether anyone may call the method: neither IAM nor an API key stands before it.
pub fn is_public(r: &Resource) -> bool {
    attr_str(r, AUTHORIZATION) == "NONE" && !attr_bool(r, API_KEY_REQUIRED)
}

/// A method as GetResources embeds it, on the resource at `path` (id `resource_id`).
pub fn live(path: &str, resource_id: &str, m: &Method) -> Resource {
    let method = m.http_method().unwrap_or_default();
    let integration = m.method_integration();
    Resource::new(
        super::Kind::RestMethod,
        format!("{method} {path}"),
        format!("{resource_id} {method}"),
    )
    .with(RESOURCE, path)
    .with(HTTP_METHOD, method)
    .with(AUTHORIZATION, m.authorization_type().unwrap_or("NONE"))
    .with(API_KEY_REQUIRED, m.api_key_required().unwrap_or(false))
    // The authorizer's id for now: the reader names it (`rest_authorizer::name_methods`).
    .with(AUTHORIZER, m.authorizer_id().map(str::to_string))
    .with(
        INTEGRATION_TYPE,
        integration
            .and_then(|i| i.r#type())
            .map(|t| t.as_str().to_string()),
    )
    .with(
        INTEGRATION_METHOD,
        integration
            .and_then(|i| i.http_method())
            .map(str::to_string),
    )
    .with(
        INTEGRATION_URI,
        integration.and_then(|i| i.uri()).map(str::to_string),
    )
}

/// A live method's resource id and HTTP method, from its name.
pub fn ids(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    if step.action == Action::Delete {
        let (resource_id, method) = ids(&r.name);
        return a
            .rest
            .delete_method()
            .rest_api_id(&api)
            .resource_id(resource_id)
            .http_method(method)
            .send()
            .await
            .or_gone("DeleteMethod", &target);
    }
    let resource = super::rest_resource::at(&attr_str(r, RESOURCE));
    let resource_id = a.ids.get(&resource).ok_or_else(|| AwsError {
        operation: "PutMethod",
        target: target.clone(),
        message: format!("{resource} does not exist"),
    })?;
    let method = attr_str(r, HTTP_METHOD);
    let authorizer_id = super::attr_opt(r, AUTHORIZER)
        .and_then(|name| a.ids.get(&super::rest_authorizer::at(&name)));
    if step.action == Action::Create {
        a.rest
            .put_method()
            .rest_api_id(&api)
            .resource_id(&resource_id)
            .http_method(&method)
            .authorization_type(attr_str(r, AUTHORIZATION))
            .api_key_required(attr_bool(r, API_KEY_REQUIRED))
            .set_authorizer_id(authorizer_id)
            .send()
            .await
            .or_exists("PutMethod", &target)?;
    } else if step.changes(AUTHORIZATION)
        || step.changes(API_KEY_REQUIRED)
        || step.changes(AUTHORIZER)
    {
        let patch = |path: &str, value: String| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        a.rest
            .update_method()
            .rest_api_id(&api)
            .resource_id(&resource_id)
            .http_method(&method)
            .patch_operations(patch("/authorizationType", attr_str(r, AUTHORIZATION)))
            .patch_operations(patch(
                "/apiKeyRequired",
                attr_bool(r, API_KEY_REQUIRED).to_string(),
            ))
            .patch_operations(patch("/authorizerId", authorizer_id.unwrap_or_default()))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateMethod", &target, e))?;
    }
    if step.action == Action::Create || step.changes("integration_") {
        // PutIntegration replaces the method's integration whole.
        a.rest
            .put_integration()
            .rest_api_id(&api)
            .resource_id(&resource_id)
            .http_method(&method)
            .r#type(IntegrationType::AwsProxy)
            .integration_http_method("POST")
            .uri(attr_str(r, INTEGRATION_URI))
            .send()
            .await
            .map_err(|e| AwsError::new("PutIntegration", &target, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Index, Kind};
    use crate::engine::desired::testing::desired;

    const SPEC: &str = "service: shop\nfunctions:\n  api:\n    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1\n    events:\n      - rest: GET /orders/{id}\n";

    #[test]
    fn a_new_api_s_permission_names_its_method_and_path_and_waits_for_the_api() {
        let state = desired(SPEC, "eu-west-1");
        let permission = state
            .resources
            .values()
            .find(|r| r.kind == Kind::Permission)
            .unwrap();
        assert_eq!(
            permission.attrs["source_arn"],
            "arn:aws:execute-api:eu-west-1:123456789012:(known after apply: rest_api.id)/*/GET/orders/*"
        );
        let index = Index::of(state.resources.values());
        let needs = (Kind::Permission.info().needs)(permission, &index);
        assert!(needs.contains(&"rest_api.api".to_string()), "{needs:?}");
        // The deployment goes after the method, the method after its resource.
        let deployment = &state.resources["rest_deployment.api"];
        assert!(
            (Kind::RestDeployment.info().needs)(deployment, &index).contains(
                &crate::engine::model::address(Kind::RestMethod, "GET /orders/{id}")
            )
        );
    }

    #[test]
    fn the_deployment_s_digest_follows_a_method_s_change_only() {
        let digest = |text: &str| {
            desired(text, "eu-west-1").resources["rest_deployment.api"].attrs["digest"].clone()
        };
        assert_eq!(digest(SPEC), digest(SPEC));
        let iam = SPEC.replace(
            "rest: GET /orders/{id}",
            "rest: {route: 'GET /orders/{id}', auth: iam}",
        );
        assert_ne!(digest(SPEC), digest(&iam));
    }
}
