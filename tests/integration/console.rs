//! Creates live resources with the SDK, as a user in the console would, from a desired
//! state's attributes: the ground truth the live plan tests compare against. Kept apart
//! from slsr's own code on purpose: it writes with plain SDK calls.

use std::collections::HashMap;

use aws_config::SdkConfig;
use serde_json::Value;
use slsr::model::{Kind, Resource, State};

fn s(r: &Resource, attr: &str) -> String {
    r.attrs
        .get(attr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn n(r: &Resource, attr: &str) -> i32 {
    r.attrs
        .get(attr)
        .and_then(Value::as_i64)
        .unwrap_or_default() as i32
}

/// `prefix.KEY` attributes as a map.
fn map(r: &Resource, prefix: &str) -> HashMap<String, String> {
    let prefix = format!("{prefix}.");
    r.attrs
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix(&prefix)?.to_string(),
                v.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn list(r: &Resource, attr: &str) -> Option<Vec<String>> {
    r.attrs.get(attr).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    })
}

fn vpc(f: &Resource) -> Option<aws_sdk_lambda::types::VpcConfig> {
    Some(
        aws_sdk_lambda::types::VpcConfig::builder()
            .set_subnet_ids(Some(list(f, "vpc.subnet_ids")?))
            .set_security_group_ids(list(f, "vpc.security_group_ids"))
            .build(),
    )
}

fn of(state: &State, kind: Kind) -> Vec<&Resource> {
    state
        .resources
        .values()
        .filter(|r| r.kind == kind)
        .collect()
}

/// Creates every resource of `state` except permissions (which need the API's id); returns
/// the HTTP API's id when there is one. `zips` holds each zip function's code.
pub async fn create(
    config: &SdkConfig,
    state: &State,
    zips: &HashMap<String, Vec<u8>>,
) -> Option<String> {
    let iam = aws_sdk_iam::Client::new(config);
    for role in of(state, Kind::Role) {
        let tags: Vec<_> = map(role, "tags")
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .unwrap()
            })
            .collect();
        iam.create_role()
            .role_name(&role.name)
            .path(s(role, "path"))
            .assume_role_policy_document(role.attrs["trust_policy"].to_string())
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap();
        if !role.attrs["inline_policy"].is_null() {
            iam.put_role_policy()
                .role_name(&role.name)
                .policy_name("slsr")
                .policy_document(role.attrs["inline_policy"].to_string())
                .send()
                .await
                .unwrap();
        }
        for arn in role.attrs["managed_policies"].as_array().unwrap() {
            iam.attach_role_policy()
                .role_name(&role.name)
                .policy_arn(arn.as_str().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    // Dead-letter queues first: a redrive policy names its target.
    let mut queues = of(state, Kind::Queue);
    queues.sort_by_key(|q| !q.attrs["redrive_policy"].is_null());
    for q in queues {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let mut attrs = HashMap::from([
            (A::VisibilityTimeout, n(q, "visibility_timeout").to_string()),
            (
                A::MessageRetentionPeriod,
                n(q, "message_retention").to_string(),
            ),
            (A::DelaySeconds, n(q, "delay").to_string()),
            (
                A::ReceiveMessageWaitTimeSeconds,
                n(q, "receive_wait_time").to_string(),
            ),
            (A::MaximumMessageSize, n(q, "max_message_size").to_string()),
        ]);
        if !q.attrs["redrive_policy"].is_null() {
            attrs.insert(A::RedrivePolicy, q.attrs["redrive_policy"].to_string());
        }
        if q.attrs["fifo"] == true {
            attrs.insert(A::FifoQueue, "true".into());
        }
        sqs.create_queue()
            .queue_name(&q.name)
            .set_attributes(Some(attrs))
            .set_tags(Some(map(q, "tags")))
            .send()
            .await
            .unwrap();
    }
    let lambda = aws_sdk_lambda::Client::new(config);
    for f in of(state, Kind::Function) {
        let env = aws_sdk_lambda::types::Environment::builder()
            .set_variables(Some(map(f, "env")))
            .build();
        let code = aws_sdk_lambda::types::FunctionCode::builder()
            .zip_file(aws_sdk_lambda::primitives::Blob::new(zips[&f.key].clone()))
            .build();
        let arch = aws_sdk_lambda::types::Architecture::from(s(f, "architecture").as_str());
        let tracing = aws_sdk_lambda::types::TracingConfig::builder()
            .mode(aws_sdk_lambda::types::TracingMode::from(
                s(f, "tracing").as_str(),
            ))
            .build();
        lambda
            .create_function()
            .function_name(&f.name)
            .runtime(aws_sdk_lambda::types::Runtime::from(
                s(f, "runtime").as_str(),
            ))
            .handler(s(f, "handler"))
            .role(s(f, "role"))
            .code(code)
            .memory_size(n(f, "memory"))
            .timeout(n(f, "timeout"))
            .description(s(f, "description"))
            .architectures(arch)
            .tracing_config(tracing)
            .ephemeral_storage(
                aws_sdk_lambda::types::EphemeralStorage::builder()
                    .size(n(f, "ephemeral_storage"))
                    .build()
                    .unwrap(),
            )
            .environment(env)
            .set_vpc_config(vpc(f))
            .set_tags(Some(map(f, "tags")))
            .send()
            .await
            .unwrap();
        if let Some(reserved) = f.attrs["reserved_concurrency"].as_i64() {
            lambda
                .put_function_concurrency()
                .function_name(&f.name)
                .reserved_concurrent_executions(reserved as i32)
                .send()
                .await
                .unwrap();
        }
        if let Some(retries) = f.attrs.get("async.max_retries").and_then(|v| v.as_i64()) {
            let destination = f.attrs["async.on_failure"].as_str().map(|queue| {
                aws_sdk_lambda::types::DestinationConfig::builder()
                    .on_failure(
                        aws_sdk_lambda::types::OnFailure::builder()
                            .destination(queue)
                            .build(),
                    )
                    .build()
            });
            lambda
                .put_function_event_invoke_config()
                .function_name(&f.name)
                .maximum_retry_attempts(retries as i32)
                .maximum_event_age_in_seconds(
                    f.attrs["async.max_event_age"].as_i64().unwrap() as i32
                )
                .set_destination_config(destination)
                .send()
                .await
                .unwrap();
        }
    }
    for alias in of(state, Kind::Alias) {
        let function = alias.name.trim_end_matches(":live");
        let version = lambda
            .publish_version()
            .function_name(function)
            .send()
            .await
            .unwrap()
            .version
            .unwrap();
        lambda
            .create_alias()
            .function_name(function)
            .name("live")
            .function_version(version)
            .send()
            .await
            .unwrap();
        lambda
            .put_provisioned_concurrency_config()
            .function_name(function)
            .qualifier("live")
            .provisioned_concurrent_executions(n(alias, "provisioned_concurrency"))
            .send()
            .await
            .unwrap();
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    for g in of(state, Kind::LogGroup) {
        logs.create_log_group()
            .log_group_name(&g.name)
            .set_tags(Some(map(g, "tags")))
            .send()
            .await
            .unwrap();
        if let Some(days) = g.attrs["retention_days"].as_i64() {
            logs.put_retention_policy()
                .log_group_name(&g.name)
                .retention_in_days(days as i32)
                .send()
                .await
                .unwrap();
        }
    }
    for m in of(state, Kind::EventSourceMapping) {
        let mut create = lambda
            .create_event_source_mapping()
            .function_name(s(m, "function"))
            .event_source_arn(s(m, "event_source_arn"))
            .batch_size(n(m, "batch_size"))
            .maximum_batching_window_in_seconds(n(m, "batching_window"))
            .enabled(m.attrs["enabled"] == true)
            .set_tags(Some(map(m, "tags")));
        if m.attrs["report_batch_item_failures"] == true {
            create = create.function_response_types(
                aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
            );
        }
        create.send().await.unwrap();
    }
    let events = aws_sdk_eventbridge::Client::new(config);
    for rule in of(state, Kind::Rule) {
        let tags: Vec<_> = map(rule, "tags")
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_eventbridge::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .unwrap()
            })
            .collect();
        let mut put = events
            .put_rule()
            .name(&rule.name)
            .event_bus_name(s(rule, "bus"))
            .state(aws_sdk_eventbridge::types::RuleState::from(
                s(rule, "state").as_str(),
            ))
            .set_tags(Some(tags));
        if let Some(e) = rule.attrs.get("schedule_expression") {
            put = put.schedule_expression(e.as_str().unwrap());
        }
        if let Some(p) = rule.attrs.get("event_pattern") {
            put = put.event_pattern(p.to_string());
        }
        put.send().await.unwrap();
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("slsr")
            .arn(s(rule, "target"))
            .set_input(rule.attrs["input"].as_str().map(str::to_string))
            .build()
            .unwrap();
        events
            .put_targets()
            .rule(&rule.name)
            .event_bus_name(s(rule, "bus"))
            .targets(target)
            .send()
            .await
            .unwrap();
    }
    let api = of(state, Kind::HttpApi).into_iter().next()?;
    let apigw = aws_sdk_apigatewayv2::Client::new(config);
    let mut create = apigw
        .create_api()
        .name(&api.name)
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .set_tags(Some(map(api, "tags")));
    if api.attrs.contains_key("cors.allow_origins") {
        let list = |attr: &str| {
            api.attrs[attr]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let cors = aws_sdk_apigatewayv2::types::Cors::builder()
            .set_allow_origins(Some(list("cors.allow_origins")))
            .set_allow_methods(Some(list("cors.allow_methods")))
            .set_allow_headers(Some(list("cors.allow_headers")))
            .set_expose_headers(Some(list("cors.expose_headers")))
            .set_max_age(api.attrs["cors.max_age"].as_i64().map(|v| v as i32))
            .allow_credentials(api.attrs["cors.allow_credentials"] == true)
            .build();
        create = create.cors_configuration(cors);
    }
    let id = create.send().await.unwrap().api_id.unwrap();
    let mut integrations = HashMap::new();
    for i in of(state, Kind::Integration) {
        let out = apigw
            .create_integration()
            .api_id(&id)
            .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::AwsProxy)
            .integration_uri(s(i, "integration_uri"))
            .payload_format_version(s(i, "payload_format_version"))
            .send()
            .await
            .unwrap();
        integrations.insert(i.address(), out.integration_id.unwrap());
    }
    let mut authorizers = HashMap::new();
    for a in of(state, Kind::Authorizer) {
        let audience: Vec<String> = a.attrs["audience"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let out = apigw
            .create_authorizer()
            .api_id(&id)
            .name(&a.key)
            .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Jwt)
            .identity_source(s(a, "identity_source"))
            .jwt_configuration(
                aws_sdk_apigatewayv2::types::JwtConfiguration::builder()
                    .issuer(s(a, "issuer"))
                    .set_audience(Some(audience))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        authorizers.insert(a.address(), out.authorizer_id.unwrap());
    }
    for route in of(state, Kind::Route) {
        let target = format!("integrations/{}", integrations[&s(route, "target")]);
        let authorizer = route.attrs["authorizer"]
            .as_str()
            .map(|address| authorizers[address].clone());
        apigw
            .create_route()
            .api_id(&id)
            .route_key(&route.key)
            .target(target)
            .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::from(
                s(route, "authorization").as_str(),
            ))
            .set_authorizer_id(authorizer)
            .send()
            .await
            .unwrap();
    }
    apigw
        .create_stage()
        .api_id(&id)
        .stage_name("$default")
        .auto_deploy(true)
        .send()
        .await
        .unwrap();
    Some(id)
}

/// Adds the function policy statements of `state` (built once the API's id is known).
pub async fn permit(config: &SdkConfig, state: &State) {
    let lambda = aws_sdk_lambda::Client::new(config);
    for p in of(state, Kind::Permission) {
        lambda
            .add_permission()
            .function_name(s(p, "function"))
            .statement_id(&p.name)
            .action(s(p, "action"))
            .principal(s(p, "principal"))
            .set_source_arn(
                p.attrs
                    .get("source_arn")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .set_source_account(
                p.attrs
                    .get("source_account")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .send()
            .await
            .unwrap();
    }
}
