//! JWT authorizers of the HTTP API (`http_api.authorizers`), named by the spec's key
//! within the API, which reads the bearer token from the `Authorization` header. Routes
//! name them by address. Made like an API (`create_once`). It needs the API.

use aws_sdk_apigatewayv2::types::{Authorizer, AuthorizerType, JwtConfiguration};

use super::{KindInfo, Tags, attr_list, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "authorizer",
    naming: "the spec's name, within the API",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: |_, _| vec![super::http_api::the_api()],
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[TYPE, ISSUER],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const TYPE: &str = "type";
pub const IDENTITY_SOURCE: &str = "identity_source";
pub const ISSUER: &str = "issuer";
pub const AUDIENCE: &str = "audience";

/// Where a JWT authorizer finds the token: the bearer token in the Authorization header.
pub const JWT_IDENTITY_SOURCE: &str = "$request.header.Authorization";

fn desired(b: &Builder, state: &mut State) {
    if !super::http_api::wanted(b) {
        return;
    }
    for (name, authorizer) in b.p.http_api.iter().flat_map(|a| &a.authorizers) {
        let mut audience = authorizer.jwt.audience.clone();
        audience.sort();
        state.insert(
            Resource::new(super::Kind::Authorizer, name.as_str(), KNOWN_AFTER_APPLY)
                .with(TYPE, "JWT")
                .with(IDENTITY_SOURCE, JWT_IDENTITY_SOURCE)
                .with(ISSUER, authorizer.jwt.issuer.as_str())
                .with(AUDIENCE, audience),
        );
    }
}

/// An authorizer as GetAuthorizers lists it, keyed by its name.
pub fn live(a: &Authorizer) -> Resource {
    let jwt = a.jwt_configuration();
    let mut audience = jwt.map(|j| j.audience().to_vec()).unwrap_or_default();
    audience.sort();
    Resource::new(
        super::Kind::Authorizer,
        a.name().unwrap_or_default(),
        a.authorizer_id().unwrap_or_default(),
    )
    .with(TYPE, a.authorizer_type().map_or("", |t| t.as_str()))
    .with(
        IDENTITY_SOURCE,
        a.identity_source().first().map_or("", String::as_str),
    )
    .with(ISSUER, jwt.and_then(|j| j.issuer()).unwrap_or_default())
    .with(AUDIENCE, audience)
}

fn jwt(r: &Resource) -> JwtConfiguration {
    JwtConfiguration::builder()
        .issuer(attr_str(r, ISSUER))
        .set_audience(Some(attr_list(r, AUDIENCE)))
        .build()
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = super::http_api::api_id(a)?;
    let target = step.change.address.clone();
    match step.action {
        Action::Create => {
            let create = || async {
                a.apigw
                    .create_authorizer()
                    .api_id(&id)
                    .name(&r.key)
                    .authorizer_type(AuthorizerType::Jwt)
                    .identity_source(attr_str(r, IDENTITY_SOURCE))
                    .jwt_configuration(jwt(r))
                    .customize()
                    .config_override(super::http_api::without_retries())
                    .send()
                    .await
                    .map(|out| out.authorizer_id.unwrap_or_default())
            };
            // Authorizers are told apart by name within the API.
            let find = || async {
                let listed = follow(
                    &a.lookups,
                    "ApiGatewayV2.GetAuthorizers",
                    &target,
                    |token| async {
                        let out = a
                            .apigw
                            .get_authorizers()
                            .api_id(&id)
                            .set_next_token(token)
                            .send()
                            .await
                            .map_err(|e| AwsError::new("GetAuthorizers", &target, e))?;
                        Ok((out.items.unwrap_or_default(), out.next_token))
                    },
                )
                .await?;
                Ok(listed
                    .iter()
                    .find(|x| x.name() == Some(r.key.as_str()))
                    .and_then(|x| x.authorizer_id().map(str::to_string)))
            };
            let made =
                super::http_api::create_once("CreateAuthorizer", &target, create, find).await?;
            a.ids.set(&target, made);
        }
        Action::Delete => {
            a.apigw
                .delete_authorizer()
                .api_id(&id)
                .authorizer_id(&r.name)
                .send()
                .await
                .or_gone("DeleteAuthorizer", &target)?;
        }
        _ => {
            let authorizer_id = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.apigw
                .update_authorizer()
                .api_id(&id)
                .authorizer_id(authorizer_id)
                .identity_source(attr_str(r, IDENTITY_SOURCE))
                .jwt_configuration(jwt(r))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateAuthorizer", target, e))?;
        }
    }
    Ok(())
}
