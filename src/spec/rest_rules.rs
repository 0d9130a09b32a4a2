//! The REST API's cross-field rules: a private API without a resource policy (AWS would
//! refuse every call), a private API with a custom domain (AWS maps none), `rest` routes'
//! shape, and one function per route; the authorizers', keys', CORS' and stage's rules are
//! in the `rest_*_rules.rs` beside it.

use std::collections::BTreeMap;

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::model::{Event, RestEndpoint};
use super::rules::{check_route, events_path, route_shape, span};

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    super::rest_auth_rules::check(p, diags);
    super::rest_key_rules::check(p, diags);
    super::rest_cors_rules::check(p, diags);
    super::rest_stage_rules::check(p, diags);
    if let Some(api) = &p.rest_api {
        if api.endpoint == Some(RestEndpoint::Private) && api.policy.is_none() {
            diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    span(p, "rest_api.endpoint"),
                    "a private REST API needs a resource `policy`: without one, AWS refuses every call to it",
                )
                .with_label("private without a policy")
                .with_help("add `policy: [{principals: [\"*\"], actions: [execute-api:Invoke], conditions: {StringEquals: {aws:SourceVpce: vpce-...}}}]` to rest_api"),
            );
        }
        // AWS serves a private API at no custom domain of this kind: a regional domain
        // maps only regional and edge-optimized APIs.
        if api.endpoint == Some(RestEndpoint::Private) && api.domain.is_some() {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, "rest_api.domain"),
                    "a private REST API cannot be served on a regional custom domain: AWS maps only regional and edge-optimized APIs to one",
                )
                .with_label("domain on a private API")
                .with_help("remove `domain`, or make the API `endpoint: regional`; a private API is reached through its VPC endpoint's own DNS names"),
            );
        }
    }
    let mut seen: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut any_rest = false;
    for (name, f) in &p.functions {
        let base = events_path(p, name);
        for (i, event) in f.events.iter().flatten().enumerate() {
            let Event::Rest(rest) = event else { continue };
            any_rest = true;
            let (route, auth, _) = rest.parts();
            let route_path = match rest {
                super::model::RestEvent::Route(_) => format!("{base}[{i}].rest"),
                super::model::RestEvent::Detailed(_) => format!("{base}[{i}].rest.route"),
            };
            if let Err(e) = check_route(route) {
                diags.push(Diagnostic::error(Code::InvalidRoute, span(p, &route_path), format!("invalid route `{route}`: {e}"))
                    .with_label("invalid route")
                    .with_help("a route is `METHOD /path`, e.g. `GET /orders/{id}` or `ANY /{proxy+}`; METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"));
                continue;
            }
            if !super::rest_auth_rules::known_auth(p, auth) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        span(p, &format!("{base}[{i}].rest.auth")),
                        format!("`auth: {auth}` on a rest event names no authorizer of rest_api.authorizers"),
                    )
                    .with_label("unknown authorizer")
                    .with_help("`auth` is `none`, `iam`, `api_key` or the name of one of rest_api.authorizers"),
                );
            }
            let shape = route_shape(route);
            match seen.get(&shape) {
                Some((first, first_route)) => diags.push(
                    Diagnostic::error(
                        Code::DuplicateRoute,
                        span(p, &route_path),
                        format!("rest route `{route}` is already served by function `{first}` (`{first_route}`)"),
                    )
                    .with_label("duplicate route")
                    .with_help("one method goes to one function; API Gateway ignores parameter names"),
                ),
                None => {
                    seen.insert(shape, (name.clone(), route.to_string()));
                }
            }
        }
    }
    if p.rest_api.is_some() && !any_rest {
        diags.push(
            Diagnostic::warning(
                Code::Conflict,
                p.spans
                    .key("rest_api")
                    .unwrap_or(super::source::Span::point(1, 1)),
                "`rest_api` is set but no function has a rest event, so no REST API is created",
            )
            .with_help("add a `rest: METHOD /path` event to a function, or remove rest_api"),
        );
    }
}
