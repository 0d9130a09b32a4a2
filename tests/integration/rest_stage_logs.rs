//! The REST API stage's access log through the real binary against the emulator: slsr's log
//! group `/aws/api-gateway/{service}-{stage}` (tagged, with its retention) and the stage's
//! access log settings naming it, read back with plain SDK calls; a hand removal shown as
//! drift on `rest_stage.api` and put back without a new deployment, as is a hand edit of the
//! format; `access_log` dropped removing the settings and deleting the group; an account
//! whose API Gateway settings name no CloudWatch Logs role refused at plan time at the
//! spec's line, with nothing written; someone else's group of the name a conflict; destroy
//! deleting the group with the API.

use aws_sdk_apigateway::types::{Op, PatchOperation};

use crate::support::{
    Account, REGION, app, applied_clean, destroyed, has_all, planned_changes, replan, slsr_on,
};

const LOGGED: &str = "service: logged
rest_api:
  stage:
    access_log: true
    log_retention_days: 14
    tracing: active
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /orders
";

/// The format slsr documents (docs/spec.md), written out by hand.
const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;

/// Names a CloudWatch Logs role in the account's API Gateway settings, as the account's
/// administrator does once (slsr never does).
async fn set_cloudwatch_role(rest: &aws_sdk_apigateway::Client, account: &str) {
    rest.update_account()
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/cloudwatchRoleArn")
                .value(format!("arn:aws:iam::{account}:role/apigw-logs"))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// The REST APIs' ids, every page of GetRestApis.
async fn api_ids(rest: &aws_sdk_apigateway::Client) -> Vec<String> {
    rest_items!(rest.get_rest_apis())
        .iter()
        .map(|a| a.id().unwrap().to_string())
        .collect()
}

/// The stage's access log settings (destination, format), None when it has none.
async fn access_log(rest: &aws_sdk_apigateway::Client, id: &str) -> Option<(String, String)> {
    let stage = rest
        .get_stage()
        .rest_api_id(id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    let settings = stage.access_log_settings()?;
    let destination = settings.destination_arn().filter(|d| !d.is_empty())?;
    Some((
        destination.to_string(),
        settings.format().unwrap_or_default().to_string(),
    ))
}

/// The log groups under `/aws/api-gateway/` (every page): name and retention.
async fn api_gateway_groups(logs: &aws_sdk_cloudwatchlogs::Client) -> Vec<(String, Option<i32>)> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = logs
            .describe_log_groups()
            .log_group_name_prefix("/aws/api-gateway/")
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        groups.extend(out.log_groups().iter().map(|g| {
            (
                g.log_group_name().unwrap().to_string(),
                g.retention_in_days(),
            )
        }));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return groups;
        }
    }
}

#[tokio::test]
async fn the_access_log_goes_into_slsr_s_group_drift_comes_back_without_a_deployment_and_dropping_it_deletes_the_group()
 {
    let spec = app("rest-access-log", LOGGED);
    let account = Account::new().await;
    let config = account.config().await;
    let rest = aws_sdk_apigateway::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    set_cloudwatch_role(&rest, &account.id).await;
    let group_arn = format!(
        "arn:aws:logs:{REGION}:{}:log-group:/aws/api-gateway/logged-dev",
        account.id
    );

    let first = planned_changes(&account, &spec, &[]);
    has_all(
        &first,
        &[
            "+ log_group.rest_api.access",
            "/aws/api-gateway/logged-dev",
            "+ rest_stage.api",
            &format!("access_log.destination = \"{group_arn}\""),
        ],
    );
    applied_clean(&account, &spec, &[]);
    // The account's settings are read once a plan, beside the rest.
    let read = slsr_on(&account, "plan", &spec, &["-v"]);
    assert!(
        read.stderr.contains("APIGateway.GetAccount: 1"),
        "{}",
        read.stderr
    );
    let ids = api_ids(&rest).await;
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = &ids[0];
    assert_eq!(
        access_log(&rest, id).await,
        Some((group_arn.clone(), FORMAT.to_string()))
    );
    assert_eq!(
        api_gateway_groups(&logs).await,
        [("/aws/api-gateway/logged-dev".to_string(), Some(14))]
    );
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert_eq!(tags.get("slsr:service").map(String::as_str), Some("logged"));
    assert_eq!(tags.get("slsr:stage").map(String::as_str), Some("dev"));

    // The access log removed by hand: drift on the stage, put back without a deployment.
    let before = crate::ground_truth::rest_deployments(&rest, id).await;
    rest.update_stage()
        .rest_api_id(id)
        .stage_name("dev")
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Remove)
                .path("/accessLogSettings")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(access_log(&rest, id).await, None);
    let drift = planned_changes(&account, &spec, &[]);
    has_all(
        &drift,
        &[
            "~ rest_stage.api",
            &format!("+ access_log.destination: (none) -> \"{group_arn}\""),
        ],
    );
    assert!(!drift.contains("rest_deployment"), "{drift}");
    assert!(!drift.contains("log_group"), "{drift}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        crate::ground_truth::rest_deployments(&rest, id).await,
        before
    );
    assert_eq!(
        access_log(&rest, id).await,
        Some((group_arn.clone(), FORMAT.to_string()))
    );

    // The format edited by hand: drift of that field alone, put back.
    rest.update_stage()
        .rest_api_id(id)
        .stage_name("dev")
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/accessLogSettings/format")
                .value("$context.requestId")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let edited = planned_changes(&account, &spec, &[]);
    has_all(
        &edited,
        &[
            "~ rest_stage.api",
            "~ access_log.format: \"$context.requestId\" -> ",
        ],
    );
    assert!(!edited.contains("access_log.destination"), "{edited}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        access_log(&rest, id).await,
        Some((group_arn.clone(), FORMAT.to_string()))
    );

    // `access_log` dropped: the settings removed and the group deleted, still no deployment.
    let unlogged = LOGGED.replace("    access_log: true\n    log_retention_days: 14\n", "");
    let dropped = replan(&account, &spec, &unlogged, &[]);
    has_all(
        &dropped,
        &[
            "- log_group.rest_api.access",
            "~ rest_stage.api",
            &format!("- access_log.destination: \"{group_arn}\" -> (none)"),
        ],
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(access_log(&rest, id).await, None);
    assert_eq!(api_gateway_groups(&logs).await, []);
    assert_eq!(
        crate::ground_truth::rest_deployments(&rest, id).await,
        before
    );
    // Without the access log, the account's API Gateway settings are not read.
    let quiet = slsr_on(&account, "plan", &spec, &["-v"]);
    assert_eq!(quiet.code, 0, "{}{}", quiet.stdout, quiet.stderr);
    assert!(
        !quiet.stderr.contains("APIGateway.GetAccount"),
        "{}",
        quiet.stderr
    );
}

#[tokio::test]
async fn an_account_without_a_cloudwatch_logs_role_is_refused_at_the_access_log_s_line_and_nothing_is_written()
 {
    let spec = app("rest-access-log-no-role", LOGGED);
    let account = Account::new().await;
    let config = account.config().await;
    let rest = aws_sdk_apigateway::Client::new(&config);
    let help = format!(
        "aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::{}:role/ROLE",
        account.id
    );
    for command in ["plan", "apply"] {
        let out = slsr_on(
            &account,
            command,
            &spec,
            &["--auto-approve"][..usize::from(command == "apply")],
        );
        assert_eq!(out.code, 1, "{command}: {}{}", out.stdout, out.stderr);
        has_all(
            &out.stderr,
            &[
                "error[E106]",
                &format!(
                    "account {}'s API Gateway settings name no CloudWatch Logs role",
                    account.id
                ),
                &format!("{}:4:17", spec.display()),
                &help,
                "AmazonAPIGatewayPushToCloudWatchLogs",
            ],
        );
    }
    assert_eq!(api_ids(&rest).await, Vec::<String>::new());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    assert_eq!(api_gateway_groups(&logs).await, []);
    let functions = aws_sdk_lambda::Client::new(&config)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(functions.functions().is_empty());

    // Offline, nothing is read, so nothing is refused; with the role set, the plan goes on.
    let offline = slsr_on(&account, "plan", &spec, &["--offline"]);
    assert_eq!(offline.code, 0, "{}{}", offline.stdout, offline.stderr);
    set_cloudwatch_role(&rest, &account.id).await;

    // Someone else's group of the name (no slsr tags): a conflict, never written to.
    logs.create_log_group()
        .log_group_name("/aws/api-gateway/logged-dev")
        .send()
        .await
        .unwrap();
    let out = slsr_on(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("! log_group.rest_api.access"),
        "{}",
        out.stdout
    );
    logs.delete_log_group()
        .log_group_name("/aws/api-gateway/logged-dev")
        .send()
        .await
        .unwrap();

    // Deployed, then destroyed: the group goes with the API.
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        api_gateway_groups(&logs).await,
        [("/aws/api-gateway/logged-dev".to_string(), Some(14))]
    );
    destroyed(&account, &spec, &[]);
    assert_eq!(api_gateway_groups(&logs).await, []);
    assert_eq!(api_ids(&rest).await, Vec::<String>::new());
}

#[test]
fn a_retention_without_an_access_log_is_refused_at_its_line() {
    let spec = app(
        "rest-access-log-retention",
        &LOGGED.replace("    access_log: true\n", ""),
    );
    let out = crate::support::run(crate::support::slsr().args(["validate", "-f"]).arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    has_all(
        &out.stderr,
        &[
            "error[E209]: the REST API's stage keeps access logs but writes none",
            &format!("{}:4:25", spec.display()),
            "add `access_log: true` to rest_api.stage",
        ],
    );
}
