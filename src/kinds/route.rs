//! Routes of the HTTP API, one per http event (`METHOD /path`), each with its function's
//! integration as target, its authorization (none, IAM, or a JWT authorizer), and the
//! permission that lets API Gateway invoke the function for that route only (SourceArn).
//! API Gateway refuses a second route of one key. A route needs its integration and
//! authorizer; the plan marks a route without authorization as public.

use std::collections::HashMap;

use aws_sdk_apigatewayv2::types::{AuthorizationType, Route};
use serde_json::{Value, json};

use super::{Index, KindInfo, Tags, attr, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{Event, HttpEvent};

pub static INFO: KindInfo = KindInfo {
    prefix: "route",
    naming: "its route key, METHOD /path",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: |r| is_public(r).then_some("public: anyone can call this route (auth: none)"),
    identity: &[TARGET, AUTHORIZATION],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The integration's address: `integration.api`.
pub const TARGET: &str = "target";
/// `NONE`, `AWS_IAM` or `JWT`.
pub const AUTHORIZATION: &str = "authorization";
/// The JWT authorizer's address: `authorizer.NAME`.
pub const AUTHORIZER: &str = "authorizer";

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            let Event::Http(http) = event else { continue };
            let (route, auth) = match http {
                HttpEvent::Route(r) => (r.clone(), None),
                HttpEvent::Detailed(d) => (d.route.clone(), d.auth.clone()),
            };
            let (kind, authorizer) = match auth.as_deref() {
                None | Some("none") => ("NONE", Value::Null),
                Some("iam") => ("AWS_IAM", Value::Null),
                Some(name) => ("JWT", Value::from(format!("authorizer.{name}"))),
            };
            state.insert(
                Resource::new(super::Kind::Route, route.as_str(), route.as_str())
                    .with(TARGET, format!("integration.{function}"))
                    .with(AUTHORIZATION, kind)
                    .with(AUTHORIZER, authorizer),
            );
            state.insert(super::permission::resource(
                b,
                function,
                &format!("http\0{route}"),
                json!({"principal": "apigateway.amazonaws.com", "source_arn": b.execute_api_arn(&route), "source_account": b.t.account()}),
            ));
        }
    }
}

/// A route needs the API, its integration and its authorizer.
fn needs(r: &Resource, _: &Index) -> Vec<String> {
    let mut needs = vec![super::http_api::the_api()];
    needs.extend(
        [TARGET, AUTHORIZER]
            .iter()
            .filter_map(|a| r.attrs.get(*a).and_then(Value::as_str).map(str::to_string)),
    );
    needs
}

/// Whether the route lets anyone call it: worth a second look in review.
pub fn is_public(r: &Resource) -> bool {
    r.attrs.get(AUTHORIZATION).and_then(Value::as_str) == Some("NONE")
}

/// A route as GetRoutes lists it: its target and authorizer by the addresses of the
/// integration and authorizer they name (`integrations`, `authorizers`: id to address).
pub fn live(
    route: &Route,
    integrations: &HashMap<String, String>,
    authorizers: &HashMap<String, String>,
) -> Resource {
    let key = route.route_key().unwrap_or_default();
    let target = route.target().map(|t| {
        integrations
            .get(t.trim_start_matches("integrations/"))
            .cloned()
            .unwrap_or_else(|| t.to_string())
    });
    Resource::new(
        super::Kind::Route,
        key,
        route.route_id().unwrap_or_default(),
    )
    .with(TARGET, target.map_or(Value::Null, Value::from))
    .with(
        AUTHORIZATION,
        route.authorization_type().map_or("NONE", |a| a.as_str()),
    )
    .with(
        AUTHORIZER,
        route
            .authorizer_id()
            .filter(|id| !id.is_empty())
            .map_or(Value::Null, |id| {
                Value::from(authorizers.get(id).cloned().unwrap_or(id.to_string()))
            }),
    )
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = super::http_api::api_id(a)?;
    let key = step.change.address.clone();
    if step.action == Action::Delete {
        return a
            .apigw
            .delete_route()
            .api_id(&id)
            .route_id(&r.name)
            .send()
            .await
            .map(|_| ())
            .or_gone("DeleteRoute", &key);
    }
    let integration = attr_str(r, TARGET);
    let integration_id = a.ids.get(&integration).ok_or_else(|| AwsError {
        operation: "CreateRoute",
        target: key.clone(),
        message: format!("{integration} does not exist"),
    })?;
    let authorization = AuthorizationType::from(attr_str(r, AUTHORIZATION).as_str());
    // A JWT route names its authorizer by address; AWS by id.
    let authorizer_id = match r.attrs.get(AUTHORIZER).and_then(|v| v.as_str()) {
        Some(address) => Some(a.ids.get(address).ok_or_else(|| AwsError {
            operation: "CreateRoute",
            target: key.clone(),
            message: format!("{address} does not exist"),
        })?),
        None => None,
    };
    if step.action == Action::Create {
        a.apigw
            .create_route()
            .api_id(&id)
            .route_key(&r.key)
            .target(format!("integrations/{integration_id}"))
            .authorization_type(authorization)
            .set_authorizer_id(authorizer_id)
            .send()
            .await
            .or_exists("CreateRoute", &key)?;
    } else {
        let route_id = step.live().map(|l| l.name.clone()).unwrap_or_default();
        a.apigw
            .update_route()
            .api_id(&id)
            .route_id(route_id)
            .target(format!("integrations/{integration_id}"))
            .authorization_type(authorization)
            .set_authorizer_id(authorizer_id.or_else(|| {
                // An empty id takes the authorizer the route had off it.
                step.live()
                    .is_some_and(|l| !attr(l, AUTHORIZER).is_null())
                    .then(String::new)
            }))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateRoute", key, e))?;
    }
    Ok(())
}
