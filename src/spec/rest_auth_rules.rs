//! The rules of the REST API's authorizers: a Lambda authorizer names a function of the
//! spec, a Cognito one names its user pools, a token authorizer reads one header, and a
//! `rest` event's `auth` is `none`, `iam` or a declared authorizer.

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::model::RestAuthorizerType;
use super::rules::span;

/// Whether `auth` on a rest event is something slsr knows: none, iam or an authorizer.
pub fn known_auth(p: &Project, auth: &str) -> bool {
    auth == "none"
        || auth == "iam"
        || auth == super::model::API_KEY_AUTH
        || p.rest_api
            .as_ref()
            .and_then(|a| a.authorizers.as_ref())
            .is_some_and(|a| a.contains_key(auth))
}

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let Some(authorizers) = p.rest_api.as_ref().and_then(|a| a.authorizers.as_ref()) else {
        return;
    };
    for (name, a) in authorizers {
        let at = |field: &str| span(p, &format!("rest_api.authorizers.{name}.{field}"));
        let whole = span(p, &format!("rest_api.authorizers.{name}"));
        if a.kind == RestAuthorizerType::Cognito {
            if a.user_pools.as_ref().is_none_or(|u| u.is_empty()) {
                diags.push(
                    Diagnostic::error(
                        Code::MissingField,
                        whole,
                        format!("cognito authorizer `{name}` names no `user_pools`"),
                    )
                    .with_label("no user pools")
                    .with_help(
                        "add `user_pools: [arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID]`",
                    ),
                );
            }
            continue;
        }
        match &a.function {
            None => diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    whole,
                    format!("authorizer `{name}` names no `function` to decide"),
                )
                .with_label("no function")
                .with_help("add `function: NAME`, a function of this spec"),
            ),
            Some(f) if !p.functions.contains_key(f) => diags.push(
                Diagnostic::error(
                    Code::UnknownReference,
                    at("function"),
                    format!(
                        "authorizer `{name}` names function `{f}`, which this spec does not declare"
                    ),
                )
                .with_label("unknown function")
                .with_help("name a function of `functions`"),
            ),
            Some(_) => {}
        }
        for (i, source) in a.identity.iter().flatten().enumerate() {
            if !(source.starts_with("header.") || source.starts_with("querystring."))
                || a.kind == RestAuthorizerType::Token && !source.starts_with("header.")
            {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        at(&format!("identity[{i}]")),
                        format!("identity source `{source}` of authorizer `{name}` is not `header.NAME` or `querystring.NAME` (a token authorizer reads a header)"),
                    )
                    .with_label("invalid identity source")
                    .with_help("write `header.Authorization`"),
                );
            }
        }
        if a.kind == RestAuthorizerType::Token && a.identity.as_ref().is_some_and(|i| i.len() > 1) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at("identity"),
                    format!(
                        "token authorizer `{name}` reads one header, not {}",
                        a.identity.as_ref().map_or(0, Vec::len)
                    ),
                )
                .with_label("one header")
                .with_help("use `type: request` to read several"),
            );
        }
        if a.ttl.is_some_and(|t| t > 3600) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at("ttl"),
                    format!("authorizer `{name}`'s ttl is at most 3600 seconds"),
                )
                .with_label("too long"),
            );
        }
    }
}
