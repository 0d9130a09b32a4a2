//! Function URLs (`url:` on a function): the function's own HTTPS endpoint, with its auth
//! type (`AWS_IAM` or `NONE`), CORS and invoke mode. With `auth: none`, the two statements
//! AWS requires since October 2025 come with it: `lambda:InvokeFunctionUrl` for anyone
//! with `FunctionUrlAuthType: NONE`, and `lambda:InvokeFunction` for anyone with
//! `InvokedViaFunctionUrl: true`; the plan marks such a URL public.
//!
//! A URL config cannot be tagged; the function carries the tag `slsr:url` while slsr's URL
//! exists (set before the config is made, removed after it is deleted), and a plan reads a
//! function's URL (GetFunctionUrlConfig) only where that tag or the spec says, so plans of
//! many functions do not spend Lambda's quota on functions without one. A URL needs its
//! function; its changes queue behind the function's.

use aws_sdk_lambda::types::{Cors, FunctionUrlAuthType, InvokeMode};
use serde_json::{Value, json};

use super::{Index, KindInfo, Tags, attr, attr_i32, attr_list, attr_str};
use crate::apply::{Applier, Settle, Step, patiently};
use crate::aws::AwsError;
use crate::aws::read::Reader;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::UrlAuth;

pub static INFO: KindInfo = KindInfo {
    prefix: "function_url",
    naming: "the function's URL config (one per function)",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: |r| {
        is_public(r).then_some(
            "public: anyone on the internet can invoke the function through this URL (auth: none)",
        )
    },
    identity: &[FUNCTION, AUTH_TYPE],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The function's physical name, and its ARN (for its `slsr:url` tag).
pub const FUNCTION: &str = "function";
pub const FUNCTION_ARN: &str = "function_arn";
/// `AWS_IAM` or `NONE`.
pub const AUTH_TYPE: &str = "auth_type";
/// `BUFFERED` or `RESPONSE_STREAM`.
pub const INVOKE_MODE: &str = "invoke_mode";
pub const CORS_ALLOW_ORIGINS: &str = "cors.allow_origins";
pub const CORS_ALLOW_METHODS: &str = "cors.allow_methods";
pub const CORS_ALLOW_HEADERS: &str = "cors.allow_headers";
pub const CORS_EXPOSE_HEADERS: &str = "cors.expose_headers";
pub const CORS_MAX_AGE: &str = "cors.max_age";
pub const CORS_ALLOW_CREDENTIALS: &str = "cors.allow_credentials";

/// Lambda's invoke mode when none is given.
pub const DEFAULT_INVOKE_MODE: &str = "BUFFERED";

/// The function tag that says slsr made the function's URL.
pub const URL_TAG: &str = "slsr:url";

fn desired(b: &Builder, state: &mut State) {
    for (name, f) in &b.p.functions {
        let Some(url) = &f.url else { continue };
        let public = url.auth == UrlAuth::None;
        let mut r = Resource::new(
            super::Kind::FunctionUrl,
            name.as_str(),
            b.p.physical_name(name),
        )
        .with(FUNCTION, b.p.physical_name(name))
        .with(FUNCTION_ARN, b.function_arn(name))
        .with(AUTH_TYPE, if public { "NONE" } else { "AWS_IAM" })
        .with(
            INVOKE_MODE,
            match url.invoke_mode {
                Some(crate::spec::model::InvokeMode::ResponseStream) => "RESPONSE_STREAM",
                _ => DEFAULT_INVOKE_MODE,
            },
        );
        if let Some(c) = &url.cors {
            let sorted = |v: &Option<Vec<String>>| {
                let mut v = v.clone().unwrap_or_default();
                v.sort();
                v
            };
            r = r
                .with(CORS_ALLOW_ORIGINS, sorted(&c.allow_origins))
                .with(CORS_ALLOW_METHODS, sorted(&c.allow_methods))
                .with(CORS_ALLOW_HEADERS, sorted(&c.allow_headers))
                .with(CORS_EXPOSE_HEADERS, sorted(&c.expose_headers))
                .with(CORS_MAX_AGE, c.max_age.map_or(Value::Null, Value::from))
                .with(CORS_ALLOW_CREDENTIALS, c.allow_credentials.unwrap_or(false));
        }
        state.insert(r);
        if public {
            for (identity, attrs) in public_statements() {
                state.insert(super::permission::resource(b, name, identity, attrs));
            }
        }
    }
}

/// The two statements a URL with `auth: none` needs, by what each is for.
fn public_statements() -> [(&'static str, Value); 2] {
    [
        (
            "url\0none\0InvokeFunctionUrl",
            json!({"action": "lambda:InvokeFunctionUrl", "principal": "*", "function_url_auth_type": "NONE"}),
        ),
        (
            "url\0none\0InvokeFunction",
            json!({"action": "lambda:InvokeFunction", "principal": "*", "invoked_via_function_url": true}),
        ),
    ]
}

fn needs(r: &Resource, index: &Index) -> Vec<String> {
    index.arn(&attr_str(r, FUNCTION_ARN)).into_iter().collect()
}

fn serial_with(r: &Resource) -> Option<String> {
    Some(attr_str(r, FUNCTION))
}

/// Whether the URL lets anyone on the internet invoke its function.
pub fn is_public(r: &Resource) -> bool {
    attr(r, AUTH_TYPE) == "NONE"
}

/// The function's URL config, keyed `key`, and the URL; `None` when it has none.
pub async fn read(
    r: &Reader,
    key: &str,
    name: &str,
) -> Result<Option<(Resource, String)>, AwsError> {
    r.calls.count("Lambda.GetFunctionUrlConfig");
    let out = match r
        .lambda
        .get_function_url_config()
        .function_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(AwsError::new("GetFunctionUrlConfig", name, e)),
    };
    let mut res = Resource::new(super::Kind::FunctionUrl, key, name)
        .with(FUNCTION, name)
        .with(FUNCTION_ARN, out.function_arn())
        .with(AUTH_TYPE, out.auth_type().as_str())
        .with(
            INVOKE_MODE,
            out.invoke_mode()
                .map_or(DEFAULT_INVOKE_MODE, |m| m.as_str()),
        );
    if let Some(c) = out.cors() {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        res = res
            .with(CORS_ALLOW_ORIGINS, sorted(c.allow_origins()))
            .with(CORS_ALLOW_METHODS, sorted(c.allow_methods()))
            .with(CORS_ALLOW_HEADERS, sorted(c.allow_headers()))
            .with(CORS_EXPOSE_HEADERS, sorted(c.expose_headers()))
            .with(CORS_MAX_AGE, c.max_age().map_or(Value::Null, Value::from))
            .with(
                CORS_ALLOW_CREDENTIALS,
                c.allow_credentials().unwrap_or(false),
            );
    }
    Ok(Some((res, out.function_url().to_string())))
}

fn cors(r: &Resource) -> Option<Cors> {
    r.attrs.contains_key(CORS_ALLOW_ORIGINS).then(|| {
        Cors::builder()
            .set_allow_origins(Some(attr_list(r, CORS_ALLOW_ORIGINS)))
            .set_allow_methods(Some(attr_list(r, CORS_ALLOW_METHODS)))
            .set_allow_headers(Some(attr_list(r, CORS_ALLOW_HEADERS)))
            .set_expose_headers(Some(attr_list(r, CORS_EXPOSE_HEADERS)))
            .set_max_age(attr_i32(r, CORS_MAX_AGE))
            .allow_credentials(attr(r, CORS_ALLOW_CREDENTIALS) == true)
            .build()
    })
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = attr_str(r, FUNCTION);
    let arn = attr_str(r, FUNCTION_ARN);
    let auth = FunctionUrlAuthType::from(attr_str(r, AUTH_TYPE).as_str());
    let mode = InvokeMode::from(attr_str(r, INVOKE_MODE).as_str());
    match step.action {
        Action::Create => {
            // The tag first: a read then finds the URL even if its creation fails halfway.
            let tag = a.lambda.tag_resource().resource(&arn).tags(URL_TAG, "on");
            patiently(|| tag.clone().send())
                .await
                .map_err(|e| AwsError::new("TagResource", &function, e))?;
            let create = a
                .lambda
                .create_function_url_config()
                .function_name(&function)
                .auth_type(auth)
                .invoke_mode(mode)
                .set_cors(cors(r));
            let created = patiently(|| create.clone().send())
                .await
                .or_exists("CreateFunctionUrlConfig", &function)?;
            let url = match created {
                Some(out) => out.function_url,
                // A lost answer, sent again: the first attempt made it; take its URL.
                None => {
                    a.lambda
                        .get_function_url_config()
                        .function_name(&function)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("GetFunctionUrlConfig", &function, e))?
                        .function_url
                }
            };
            // For `${function:NAME.url}` in what comes after.
            a.ids.set(&format!("function_url.{}.url", r.key), url);
        }
        Action::Delete => {
            let delete = a
                .lambda
                .delete_function_url_config()
                .function_name(&function);
            patiently(|| delete.clone().send())
                .await
                .or_gone("DeleteFunctionUrlConfig", &function)?;
            // The tag last: until the URL is gone, a read must find it.
            let untag = a.lambda.untag_resource().resource(&arn).tag_keys(URL_TAG);
            patiently(|| untag.clone().send())
                .await
                .or_gone("UntagResource", &function)?;
        }
        _ => {
            // An empty CORS block takes the URL's CORS off.
            let update = a
                .lambda
                .update_function_url_config()
                .function_name(&function)
                .auth_type(auth)
                .invoke_mode(mode)
                .cors(cors(r).unwrap_or_else(|| Cors::builder().build()));
            patiently(|| update.clone().send())
                .await
                .map_err(|e| AwsError::new("UpdateFunctionUrlConfig", &function, e))?;
        }
    }
    Ok(())
}
