//! The REST API's CORS (`rest_api.cors`): on each resource that has routes, an OPTIONS
//! method that API Gateway answers itself (a MOCK integration, `{"statusCode": 200}`), its
//! method response 200 declaring the Access-Control-Allow-* headers and its integration
//! response 200 answering them as static values, as Serverless and SAM make it. One per
//! resource, `rest_cors["/orders"]`; a resource with a `rest: OPTIONS /path` route is left
//! to its function. Allow-Methods is the resource's methods and OPTIONS unless given.
//!
//! slsr owns the whole REST API it made: an OPTIONS method with a MOCK integration is read
//! as this kind (slsr's routes never make MOCK integrations), so one added by hand where the
//! spec has no CORS is planned for deletion, as any other method added by hand. The
//! deployment's digest holds these, so a change redeploys once; the deployment deletes the
//! ones the plan removes before it deploys (`delete_removed`), as it does for methods.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_apigateway::types::{IntegrationType, Method};
use serde_json::{Value, json};

use super::{Index, Kind, KindInfo, Tags, attr_list, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_cors",
    naming: "the path of its resource; its OPTIONS method answered by API Gateway",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    // A preflight's answer is static headers: it runs nothing and reads nothing.
    public: super::never_public,
    identity: &[RESOURCE, ALLOW_ORIGIN],
    about: |r| {
        Some(format!(
            "OPTIONS {} answered by API Gateway (CORS preflight)",
            attr_str(r, RESOURCE)
        ))
    },
    write: super::writer!(apply),
};

/// The path of the resource it is on.
pub const RESOURCE: &str = "resource";
/// Access-Control-Allow-Origin: the one origin, or `*`.
pub const ALLOW_ORIGIN: &str = "allow_origin";
/// Access-Control-Allow-Headers, joined by `,`.
pub const ALLOW_HEADERS: &str = "allow_headers";
/// Access-Control-Allow-Methods, joined by `,`.
pub const ALLOW_METHODS: &str = "allow_methods";
/// Access-Control-Allow-Credentials: `true`, or null.
pub const ALLOW_CREDENTIALS: &str = "allow_credentials";
/// Access-Control-Max-Age in seconds, or null.
pub const MAX_AGE: &str = "max_age";
/// Access-Control-Expose-Headers, joined by `,`, or null.
pub const EXPOSE_HEADERS: &str = "expose_headers";
/// The headers the method response 200 declares, sorted: those the integration answers.
pub const DECLARED: &str = "declared_headers";

/// The deployment's attribute listing the paths with CORS, so that it deletes the ones the
/// plan removes before it deploys.
pub const DEPLOYMENT_PATHS: &str = "cors";

/// Each attribute and the header it answers.
const HEADERS: &[(&str, &str)] = &[
    (ALLOW_ORIGIN, "Access-Control-Allow-Origin"),
    (ALLOW_HEADERS, "Access-Control-Allow-Headers"),
    (ALLOW_METHODS, "Access-Control-Allow-Methods"),
    (ALLOW_CREDENTIALS, "Access-Control-Allow-Credentials"),
    (MAX_AGE, "Access-Control-Max-Age"),
    (EXPOSE_HEADERS, "Access-Control-Expose-Headers"),
];

const PARAMETER_PREFIX: &str = "method.response.header.";

/// What the MOCK integration is asked to answer: status 200.
pub const MOCK_TEMPLATE: &str = "{\"statusCode\": 200}";

/// The address of the CORS of the resource at `path`.
pub fn at(path: &str) -> String {
    address(Kind::RestCors, path)
}

fn joined(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::from(items.join(","))
    }
}

fn desired(b: &Builder, state: &mut State) {
    let Some(cors) = b.p.rest_api.as_ref().and_then(|a| a.cors.as_ref()) else {
        return;
    };
    // Each path with routes, and its routes' methods.
    let mut methods: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in b.p.functions.values() {
        for event in f.events.iter().flatten() {
            let Event::Rest(rest) = event else { continue };
            let (method, path) = super::rest_resource::split_route(rest.parts().0);
            methods.entry(path).or_default().insert(method);
        }
    }
    for (path, mut own) in methods {
        // A function answers OPTIONS there itself.
        if own.contains("OPTIONS") {
            continue;
        }
        if own.remove("ANY") {
            own.extend(crate::spec::rest_cors_rules::METHODS);
        }
        own.insert("OPTIONS");
        let allow_methods: Vec<String> = match &cors.allow_methods {
            Some(given) => given.clone(),
            None => own.iter().map(|m| m.to_string()).collect(),
        };
        let mut r = Resource::new(Kind::RestCors, path, KNOWN_AFTER_APPLY)
            .with(RESOURCE, path)
            .with(
                ALLOW_ORIGIN,
                cors.allow_origins.first().cloned().unwrap_or_default(),
            )
            .with(ALLOW_HEADERS, joined(&cors.allow_headers))
            .with(ALLOW_METHODS, joined(&allow_methods))
            .with(
                ALLOW_CREDENTIALS,
                if cors.allow_credentials == Some(true) {
                    Value::from("true")
                } else {
                    Value::Null
                },
            )
            .with(
                MAX_AGE,
                cors.max_age
                    .map_or(Value::Null, |s| Value::from(s.to_string())),
            )
            .with(
                EXPOSE_HEADERS,
                joined(cors.expose_headers.as_deref().unwrap_or_default()),
            );
        let declared: Vec<&str> = answered(&r).keys().copied().collect();
        r = r.with(DECLARED, json!(declared));
        state.insert(r);
    }
}

/// The headers a resource answers and their values, by header name.
fn answered(r: &Resource) -> BTreeMap<&'static str, String> {
    HEADERS
        .iter()
        .filter_map(|(a, header)| attr_opt(r, a).map(|v| (*header, v)))
        .collect()
}

/// It needs the API and its resource.
fn needs(r: &Resource, _: &Index) -> Vec<String> {
    vec![
        super::rest_api::the_api(),
        super::rest_resource::at(&attr_str(r, RESOURCE)),
    ]
}

/// A live method is slsr's CORS when it is an OPTIONS method with a MOCK integration.
pub fn live(path: &str, resource_id: &str, m: &Method) -> Option<Resource> {
    let integration = m.method_integration()?;
    if m.http_method() != Some("OPTIONS") || integration.r#type() != Some(&IntegrationType::Mock) {
        return None;
    }
    let empty = Default::default();
    let answers = integration
        .integration_responses()
        .and_then(|r| r.get("200"))
        .and_then(|r| r.response_parameters())
        .unwrap_or(&empty);
    let mut r =
        Resource::new(Kind::RestCors, path, format!("{resource_id} OPTIONS")).with(RESOURCE, path);
    for (a, header) in HEADERS {
        let value = answers
            .get(&format!("{PARAMETER_PREFIX}{header}"))
            .map(|v| v.trim_matches('\'').to_string());
        r = r.with(a, value.map_or(Value::Null, Value::from));
    }
    let mut declared: Vec<String> = m
        .method_responses()
        .and_then(|r| r.get("200"))
        .and_then(|r| r.response_parameters())
        .into_iter()
        .flat_map(|p| p.keys())
        .filter_map(|k| k.strip_prefix(PARAMETER_PREFIX).map(str::to_string))
        .collect();
    declared.sort();
    Some(r.with(DECLARED, json!(declared)))
}

/// The paths with CORS among `resources`, for the deployment (null when none).
pub fn paths<'a>(resources: impl Iterator<Item = &'a Resource>) -> Value {
    let paths: Vec<&str> = resources
        .filter(|r| r.kind == Kind::RestCors)
        .map(|r| r.key.as_str())
        .collect();
    if paths.is_empty() {
        Value::Null
    } else {
        json!(paths)
    }
}

/// The deployment goes after each CORS it serves.
pub fn needed_by_deployment(deployment: &Resource) -> Vec<String> {
    attr_list(deployment, DEPLOYMENT_PATHS)
        .iter()
        .map(|p| at(p))
        .collect()
}

/// Before the deployment: the OPTIONS methods the plan removes, deleted (apply deletes after
/// it deploys, and a deployment must not hold them).
pub async fn delete_removed(a: &Applier, step: &Step, api: &str) -> Result<(), AwsError> {
    let keep = attr_list(step.resource(), DEPLOYMENT_PATHS);
    let before = step
        .live()
        .map(|l| attr_list(l, DEPLOYMENT_PATHS))
        .unwrap_or_default();
    for gone in before.iter().filter(|p| !keep.contains(p)) {
        let target = at(gone);
        let Some(name) = a.ids.get(&target) else {
            continue;
        };
        delete_method(a, api, &name, &target).await?;
    }
    Ok(())
}

async fn delete_method(a: &Applier, api: &str, name: &str, target: &str) -> Result<(), AwsError> {
    let (resource_id, _) = super::rest_method::ids(name);
    a.rest
        .delete_method()
        .rest_api_id(api)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .send()
        .await
        .or_gone("DeleteMethod", target)
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    if step.action == Action::Delete {
        return delete_method(a, &api, &r.name, &target).await;
    }
    let resource = super::rest_resource::at(&attr_str(r, RESOURCE));
    let resource_id = a.ids.get(&resource).ok_or_else(|| AwsError {
        operation: "PutMethod",
        target: target.clone(),
        message: format!("{resource} does not exist"),
    })?;
    // The method is made whole each time, so nothing of an old answer (a header no longer
    // answered) is left; the stage serves its last deployment meanwhile.
    let put_method = || {
        a.rest
            .put_method()
            .rest_api_id(&api)
            .resource_id(&resource_id)
            .http_method("OPTIONS")
            .authorization_type("NONE")
            .send()
    };
    let remake = step.action == Action::Update
        || put_method()
            .await
            .or_exists("PutMethod", &target)?
            .is_none();
    if remake {
        delete_method(a, &api, &format!("{resource_id} OPTIONS"), &target).await?;
        put_method()
            .await
            .map_err(|e| AwsError::new("PutMethod", &target, e))?;
    }
    a.rest
        .put_integration()
        .rest_api_id(&api)
        .resource_id(&resource_id)
        .http_method("OPTIONS")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", MOCK_TEMPLATE)
        .send()
        .await
        .map_err(|e| AwsError::new("PutIntegration", &target, e))?;
    let answers = answered(r);
    let mut declare = a
        .rest
        .put_method_response()
        .rest_api_id(&api)
        .resource_id(&resource_id)
        .http_method("OPTIONS")
        .status_code("200");
    let mut answer = a
        .rest
        .put_integration_response()
        .rest_api_id(&api)
        .resource_id(&resource_id)
        .http_method("OPTIONS")
        .status_code("200");
    for (header, value) in &answers {
        declare = declare.response_parameters(format!("{PARAMETER_PREFIX}{header}"), false);
        answer =
            answer.response_parameters(format!("{PARAMETER_PREFIX}{header}"), format!("'{value}'"));
    }
    // The method was made fresh above: a response there is this call's own, its first
    // answer lost and the SDK's retry refused.
    declare
        .send()
        .await
        .or_exists("PutMethodResponse", &target)?;
    answer
        .send()
        .await
        .map_err(|e| AwsError::new("PutIntegrationResponse", &target, e))?;
    a.ids.set(&target, format!("{resource_id} OPTIONS"));
    Ok(())
}
