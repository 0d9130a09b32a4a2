//! The AWS layer against the emulator: configuration, credentials, and clear failures; and
//! the emulator itself: accounts kept apart, and every listing slsr makes answered in pages.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::ground_truth::walk;
use crate::support::{Account, page_size, pages, run, slsr};

#[tokio::test]
async fn whoami_names_the_account_of_the_credentials() {
    let account = Account::new().await;
    let out = run(account.slsr().arg("whoami"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("account: {}", account.id)),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("region: us-east-1"), "{}", out.stdout);
}

#[tokio::test]
async fn endpoint_flag_overrides_the_environment() {
    let account = Account::new().await;
    let endpoint = crate::support::endpoint();
    let out = run(account
        .slsr()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args([
            "whoami",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&account.id) && out.stdout.contains("region: eu-west-1"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn each_test_account_is_its_own() {
    let (a, b) = (Account::new().await, Account::new().await);
    let iam_a = aws_sdk_iam::Client::new(&a.config().await);
    let iam_b = aws_sdk_iam::Client::new(&b.config().await);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam_a
        .create_role()
        .role_name("only-in-a")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let roles_b = iam_b.list_roles().send().await.unwrap();
    assert!(roles_b.roles().iter().all(|r| r.role_name() != "only-in-a"));
    let roles_a = iam_a.list_roles().send().await.unwrap();
    assert!(roles_a.roles().iter().any(|r| r.role_name() == "only-in-a"));
}

#[test]
fn unreachable_endpoint_fails_fast_naming_the_operation() {
    let started = Instant::now();
    let out = run(slsr()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .args([
            "whoami",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("GetCallerIdentity"), "{}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("connect") || out.stderr.contains("dispatch"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn missing_credentials_fail_with_a_clear_message() {
    let endpoint = crate::support::endpoint();
    let out = run(slsr().args([
        "whoami",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
}

/// A listing of `expected` walked in `pages` pages, each item exactly once.
fn assert_walk(what: &str, (took, names): (usize, Vec<String>), expected: &[String], pages: usize) {
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "{what}: an item came twice: {names:?}"
    );
    assert_eq!(unique, expected.iter().collect(), "{what}");
    assert_eq!(took, pages, "{what}: the pages taken, for {names:?}");
}

/// The listing in the emulator's own pages, and then in pages of one item that the request
/// asks for (`$size`, its page-size setter).
macro_rules! assert_pages {
    ($what:expr, $request:expr, $size:ident($one:expr), $set_token:ident, $items:ident, $next:ident, $name:expr, $expected:expr) => {{
        let expected: &[String] = &$expected;
        let walked = walk!($request, $set_token, $items, $next, $name);
        assert_walk($what, walked, expected, pages(expected.len()));
        let walked = walk!($request.$size($one), $set_token, $items, $next, $name);
        assert_walk(
            &format!("{} by ones", $what),
            walked,
            expected,
            expected.len(),
        );
    }};
}

/// AWS pages every listing slsr reads; moto by itself answers most of them in one page. The
/// launcher (scripts/moto_server.py) answers each in pages of at most `page_size()` items,
/// with the token in the service's own field, and in smaller pages when the request asks.
/// One more of each than a page, made with plain SDK calls, must come back in two pages, each
/// item once.
#[tokio::test]
async fn every_listing_slsr_reads_answers_in_pages_with_the_services_own_token() {
    let account = Account::new().await;
    let config = account.config().await;
    let n = page_size() + 1;
    let names =
        |what: &str| -> Vec<String> { (0..n).map(|i| format!("paging-{what}-{i}")).collect() };
    let (roles, functions, queues, rules, apis) = (
        names("role"),
        names("fn"),
        names("q"),
        names("rule"),
        names("api"),
    );
    let groups: Vec<String> = (0..n).map(|i| format!("/paging/group-{i}")).collect();
    let parameters: Vec<String> = (0..n).map(|i| format!("/paging/parameter-{i}")).collect();
    let (targets, routes, stages, authorizers): (Vec<_>, Vec<_>, Vec<_>, Vec<_>) = (
        (0..n).map(|i| format!("target-{i}")).collect(),
        (0..n).map(|i| format!("GET /r{i}")).collect(),
        (0..n).map(|i| format!("s{i}")).collect(),
        (0..n).map(|i| format!("a{i}")).collect(),
    );

    let iam = aws_sdk_iam::Client::new(&config);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let mut role_arn = String::new();
    for role in &roles {
        let made = iam
            .create_role()
            .role_name(role)
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap();
        role_arn = made.role.unwrap().arn;
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"def handler(event, context):\n    return 1\n")
        .unwrap();
    let code = zip.finish().unwrap().into_inner();
    let lambda = aws_sdk_lambda::Client::new(&config);
    let mut function_arns = Vec::new();
    for function in &functions {
        let made = lambda
            .create_function()
            .function_name(function)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(&role_arn)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(code.clone().into())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        function_arns.push(made.function_arn.unwrap());
    }
    let sqs = aws_sdk_sqs::Client::new(&config);
    let mut queue_arns = Vec::new();
    for (queue, function) in queues.iter().zip(&functions) {
        let url = sqs
            .create_queue()
            .queue_name(queue)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        lambda
            .create_event_source_mapping()
            .event_source_arn(&arn)
            .function_name(function)
            .send()
            .await
            .unwrap();
        queue_arns.push(arn);
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in &groups {
        logs.create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    let events = aws_sdk_eventbridge::Client::new(&config);
    for rule in &rules {
        events
            .put_rule()
            .name(rule)
            .schedule_expression("rate(1 hour)")
            .send()
            .await
            .unwrap();
    }
    for target in &targets {
        events
            .put_targets()
            .rule(&rules[0])
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id(target)
                    .arn(&function_arns[0])
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    let mut api_ids = Vec::new();
    for api in &apis {
        let made = apigw
            .create_api()
            .name(api)
            .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
            .send()
            .await
            .unwrap();
        api_ids.push(made.api_id.unwrap());
    }
    let api = api_ids[0].as_str();
    for ((arn, route), (stage, authorizer)) in function_arns
        .iter()
        .zip(&routes)
        .zip(stages.iter().zip(&authorizers))
    {
        let integration = apigw
            .create_integration()
            .api_id(api)
            .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::AwsProxy)
            .integration_uri(arn)
            .payload_format_version("2.0")
            .send()
            .await
            .unwrap()
            .integration_id
            .unwrap();
        apigw
            .create_route()
            .api_id(api)
            .route_key(route)
            .target(format!("integrations/{integration}"))
            .send()
            .await
            .unwrap();
        apigw
            .create_stage()
            .api_id(api)
            .stage_name(stage)
            .send()
            .await
            .unwrap();
        apigw
            .create_authorizer()
            .api_id(api)
            .name(authorizer)
            .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Jwt)
            .identity_source("$request.header.Authorization")
            .jwt_configuration(
                aws_sdk_apigatewayv2::types::JwtConfiguration::builder()
                    .issuer("https://issuer.example.com")
                    .audience("web")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let ssm = aws_sdk_ssm::Client::new(&config);
    for parameter in &parameters {
        ssm.put_parameter()
            .name(parameter)
            .value("v")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .unwrap();
    }

    // Custom domain names, and API mappings on the first of them.
    let domains: Vec<String> = (0..n).map(|i| format!("paging-d{i}.example.com")).collect();
    let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
    for domain in &domains {
        apigw
            .create_domain_name()
            .domain_name(domain)
            .domain_name_configurations(
                aws_sdk_apigatewayv2::types::DomainNameConfiguration::builder()
                    .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/paging")
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    for key in &keys {
        apigw
            .create_api_mapping()
            .domain_name(&domains[0])
            .api_id(&api_ids[0])
            .stage(&stages[0])
            .api_mapping_key(key)
            .send()
            .await
            .unwrap();
    }

    let text = |s: Option<&str>| s.unwrap_or_default().to_string();
    assert_pages!(
        "ApiGatewayV2.GetDomainNames",
        apigw.get_domain_names(),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |d| text(d.domain_name()),
        domains
    );
    assert_pages!(
        "ApiGatewayV2.GetApiMappings",
        apigw.get_api_mappings().domain_name(&domains[0]),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |m| text(m.api_mapping_key()),
        keys
    );
    assert_pages!(
        "Lambda.ListFunctions",
        lambda.list_functions(),
        max_items(1),
        set_marker,
        functions,
        next_marker,
        |f| text(f.function_name()),
        functions
    );
    assert_pages!(
        "Lambda.ListEventSourceMappings",
        lambda.list_event_source_mappings(),
        max_items(1),
        set_marker,
        event_source_mappings,
        next_marker,
        |m| text(m.event_source_arn()),
        queue_arns
    );
    assert_pages!(
        "CloudWatchLogs.DescribeLogGroups",
        logs.describe_log_groups().log_group_name_prefix("/paging/"),
        limit(1),
        set_next_token,
        log_groups,
        next_token,
        |g| text(g.log_group_name()),
        groups
    );
    assert_pages!(
        "IAM.GetAccountAuthorizationDetails",
        iam.get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role),
        max_items(1),
        set_marker,
        role_detail_list,
        marker,
        |r| text(r.role_name()),
        roles
    );
    // SQS pages only a request that sets MaxResults, as AWS does: without it, the first
    // 1000 queues and no token.
    assert_pages!(
        "SQS.ListQueues",
        sqs.list_queues()
            .queue_name_prefix("paging-")
            .max_results(1000),
        max_results(1),
        set_next_token,
        queue_urls,
        next_token,
        |u| u.rsplit('/').next().unwrap().to_string(),
        queues
    );
    let unpaged = sqs
        .list_queues()
        .queue_name_prefix("paging-")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (unpaged.queue_urls().len(), unpaged.next_token()),
        (n, None)
    );
    assert_pages!(
        "EventBridge.ListRules",
        events.list_rules().name_prefix("paging-"),
        limit(1),
        set_next_token,
        rules,
        next_token,
        |r| text(r.name()),
        rules
    );
    assert_pages!(
        "EventBridge.ListTargetsByRule",
        events.list_targets_by_rule().rule(&rules[0]),
        limit(1),
        set_next_token,
        targets,
        next_token,
        |t| t.id().to_string(),
        targets
    );
    assert_pages!(
        "ApiGatewayV2.GetApis",
        apigw.get_apis(),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |a| text(a.name()),
        apis
    );
    assert_pages!(
        "ApiGatewayV2.GetRoutes",
        apigw.get_routes().api_id(api),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |r| text(r.route_key()),
        routes
    );
    assert_pages!(
        "ApiGatewayV2.GetIntegrations",
        apigw.get_integrations().api_id(api),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |i| text(i.integration_uri()),
        function_arns
    );
    assert_pages!(
        "ApiGatewayV2.GetStages",
        apigw.get_stages().api_id(api),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |s| text(s.stage_name()),
        stages
    );
    assert_pages!(
        "ApiGatewayV2.GetAuthorizers",
        apigw.get_authorizers().api_id(api),
        max_results("1"),
        set_next_token,
        items,
        next_token,
        |a| text(a.name()),
        authorizers
    );
    assert_pages!(
        "SSM.DescribeParameters",
        ssm.describe_parameters(),
        max_results(1),
        set_next_token,
        parameters,
        next_token,
        |p| text(p.name()),
        parameters
    );
}

/// The emulator answers CloudWatch in the CBOR protocol the Rust SDK speaks (its launcher
/// translates for moto): an alarm is made with its dimensions, threshold and tags, read back
/// with every field, and deleted; an error keeps its code; a metric's statistics come back
/// with their timestamps.
#[tokio::test]
async fn cloudwatch_answers_in_the_sdks_cbor_protocol() {
    use aws_sdk_cloudwatch::types::{
        ComparisonOperator, Dimension, MetricDatum, StandardUnit, Statistic, Tag,
    };
    let account = Account::new().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);
    cloudwatch
        .put_metric_alarm()
        .alarm_name("orders-dev-api-errors")
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value("orders-dev-api")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(0.5)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .alarm_actions("arn:aws:sns:us-east-1:123456789012:alerts")
        .tags(Tag::builder().key("team").value("orders").build())
        .send()
        .await
        .expect("PutMetricAlarm");
    let read = cloudwatch
        .describe_alarms()
        .alarm_names("orders-dev-api-errors")
        .send()
        .await
        .expect("DescribeAlarms");
    let [alarm] = read.metric_alarms() else {
        panic!("one alarm: {read:?}")
    };
    assert_eq!(alarm.metric_name(), Some("Errors"));
    assert_eq!(alarm.threshold(), Some(0.5));
    assert_eq!(alarm.period(), Some(60));
    assert_eq!(alarm.dimensions()[0].value(), Some("orders-dev-api"));
    assert_eq!(
        alarm.alarm_actions(),
        ["arn:aws:sns:us-east-1:123456789012:alerts"]
    );
    assert!(alarm.alarm_configuration_updated_timestamp().is_some());
    let tags = cloudwatch
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().expect("an ARN"))
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tags.tags()[0].value(), Some("orders"));

    let missing = cloudwatch
        .tag_resource()
        .resource_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:nobody")
        .tags(Tag::builder().key("a").value("b").build())
        .send()
        .await
        .expect_err("no such alarm");
    assert_eq!(
        missing.as_service_error().and_then(|e| e.meta().code()),
        Some("ResourceNotFoundException"),
        "{missing:?}"
    );

    let now = aws_smithy_types::DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    );
    cloudwatch
        .put_metric_data()
        .namespace("AWS/Lambda")
        .metric_data(
            MetricDatum::builder()
                .metric_name("Invocations")
                .timestamp(now)
                .value(7.0)
                .unit(StandardUnit::Count)
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
    let stats = cloudwatch
        .get_metric_statistics()
        .namespace("AWS/Lambda")
        .metric_name("Invocations")
        .start_time(aws_smithy_types::DateTime::from_secs(now.secs() - 3600))
        .end_time(aws_smithy_types::DateTime::from_secs(now.secs() + 60))
        .period(3600)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("GetMetricStatistics");
    let sum: f64 = stats.datapoints().iter().filter_map(|d| d.sum()).sum();
    assert_eq!(sum, 7.0, "{stats:?}");
    assert!(stats.datapoints().iter().all(|d| d.timestamp().is_some()));

    cloudwatch
        .delete_alarms()
        .alarm_names("orders-dev-api-errors")
        .send()
        .await
        .expect("DeleteAlarms");
    let after = cloudwatch
        .describe_alarms()
        .send()
        .await
        .expect("DescribeAlarms");
    assert!(after.metric_alarms().is_empty(), "{after:?}");
}

/// CloudWatch's alarms as AWS keeps them (the emulator's patch): DescribeAlarms answers in
/// pages with a NextToken, in name order; PutMetricAlarm's tags count only when it makes the
/// alarm; a deleted alarm's tags go with it, so a new alarm of the name starts without them.
#[tokio::test]
async fn cloudwatch_pages_alarms_and_keeps_tags_as_aws_does() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
    let account = Account::new().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);
    let put = |name: &'static str, tag: Option<(&'static str, &'static str)>| {
        let cloudwatch = cloudwatch.clone();
        async move {
            cloudwatch
                .put_metric_alarm()
                .alarm_name(name)
                .namespace("AWS/Lambda")
                .metric_name("Errors")
                .statistic(Statistic::Sum)
                .period(60)
                .evaluation_periods(1)
                .threshold(1.0)
                .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
                .set_tags(tag.map(|(k, v)| vec![Tag::builder().key(k).value(v).build()]))
                .send()
                .await
                .expect("PutMetricAlarm")
        }
    };
    for name in ["pg-c", "pg-a", "pg-b"] {
        put(name, Some(("team", "first"))).await;
    }
    let id = account.id.clone();
    let tags = |name: &'static str| {
        let (cloudwatch, id) = (cloudwatch.clone(), id.clone());
        async move {
            let arn = format!("arn:aws:cloudwatch:us-east-1:{id}:alarm:{name}");
            cloudwatch
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .expect("ListTagsForResource")
                .tags()
                .iter()
                .map(|t| format!("{}={}", t.key().unwrap(), t.value().unwrap()))
                .collect::<Vec<_>>()
        }
    };

    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = cloudwatch
            .describe_alarms()
            .alarm_name_prefix("pg-")
            .max_records(2)
            .set_next_token(token)
            .send()
            .await
            .expect("DescribeAlarms");
        pages += 1;
        assert!(page.metric_alarms().len() <= 2);
        names.extend(
            page.metric_alarms()
                .iter()
                .map(|a| a.alarm_name().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["pg-a", "pg-b", "pg-c"]);
    assert_eq!(pages, 3usize.div_ceil(crate::support::page_size().min(2)));

    // A second PutMetricAlarm of the name replaces the configuration, not the tags.
    put("pg-a", Some(("team", "second"))).await;
    assert_eq!(tags("pg-a").await, ["team=first"]);

    // Deleted, and made again without tags: none.
    cloudwatch
        .delete_alarms()
        .alarm_names("pg-b")
        .send()
        .await
        .expect("DeleteAlarms");
    put("pg-b", None).await;
    assert!(tags("pg-b").await.is_empty());
}
