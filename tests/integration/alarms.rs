//! CloudWatch alarms (`alarms:`) end to end through the real binary against the emulator: the
//! defaults of a function and a dead-letter queue and a custom alarm planned from empty,
//! applied, read back clean; a threshold changed in the spec and one changed by hand; an
//! alarm of a name slsr wants made by someone else, before the plan and between the plan and
//! the write; removal that deletes slsr's alarms and never another's under the same prefix;
//! the dry run's calls. Ground truth comes from plain CloudWatch calls and literal values.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};

use crate::proxy::{Before, Config, Proxy};
use crate::reliability::through;
use crate::support::{
    Account, app, applied, applied_clean, apply_change, has_all, planned_changes, replan,
    slsr_on as slsr,
};

const SPEC: &str = "service: alm
tags: {team: ops}
topics:
  alerts: {}
queues:
  jobs: {dead_letter: {queue: jobs-dlq, max_receive_count: 3}}
  jobs-dlq: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    timeout: 10
alarms:
  notify: topic.alerts
  defaults: true
  custom:
    backlog:
      namespace: AWS/SQS
      metric: ApproximateAgeOfOldestMessage
      queue: jobs
      statistic: p99
      period: 60
      evaluation_periods: 5
      datapoints_to_alarm: 3
      threshold: 300
      comparison: \">=\"
      treat_missing_data: notBreaching
      description: Jobs wait too long
";

/// Every metric alarm of the account, every page, by name.
async fn alarms(cloudwatch: &aws_sdk_cloudwatch::Client) -> BTreeMap<String, MetricAlarm> {
    let mut pages = cloudwatch.describe_alarms().into_paginator().send();
    let mut all = BTreeMap::new();
    while let Some(page) = pages.next().await {
        for alarm in page.unwrap().metric_alarms() {
            all.insert(alarm.alarm_name().unwrap().to_string(), alarm.clone());
        }
    }
    all
}

/// An alarm's tags as sorted pairs.
async fn tags(cloudwatch: &aws_sdk_cloudwatch::Client, arn: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    tags.sort();
    tags
}

fn dimensions(alarm: &MetricAlarm) -> Vec<(String, String)> {
    alarm
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap().to_string(),
                d.value().unwrap().to_string(),
            )
        })
        .collect()
}

/// An alarm made by hand, as a console user would: Errors of a function, Sum ≥ `threshold`,
/// with `tags` (none: someone else's).
async fn put_by_hand(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    name: &str,
    function: &str,
    threshold: f64,
    tags: &[(&str, &str)],
) {
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(function)
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_are_planned_applied_read_back_changed_drifted_and_removed() {
    let spec = app("alarms-lifecycle", SPEC);
    let account = Account::new().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);
    let topic = format!("arn:aws:sns:us-east-1:{}:alm-dev-alerts", account.id);
    // Someone else's alarm under the service's prefix, in no spec: never touched.
    put_by_hand(&cloudwatch, "alm-dev-theirs", "alm-dev-api", 7.0, &[]).await;

    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            "+ alarm.api-errors  alm-dev-api-errors",
            "+ alarm.api-throttles  alm-dev-api-throttles",
            "+ alarm.api-duration  alm-dev-api-duration",
            "+ alarm.jobs-dlq-visible  alm-dev-jobs-dlq-visible",
            "+ alarm.backlog  alm-dev-backlog",
            "+ threshold = 9000.0",
            "+ statistic = \"p99\"",
            "+ comparison = \">=\"",
            &format!("+ ok_actions = [\"{topic}\"]"),
            "+ dimensions.QueueName = \"alm-dev-jobs-dlq\"",
        ],
    );
    assert!(!plan.contains("alm-dev-theirs"), "{plan}");
    applied_clean(&account, &spec, &[]);

    let found = alarms(&cloudwatch).await;
    assert_eq!(
        found.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "alm-dev-api-duration",
            "alm-dev-api-errors",
            "alm-dev-api-throttles",
            "alm-dev-backlog",
            "alm-dev-jobs-dlq-visible",
            "alm-dev-theirs",
        ]
    );
    let duration = &found["alm-dev-api-duration"];
    assert_eq!(duration.namespace(), Some("AWS/Lambda"));
    assert_eq!(duration.metric_name(), Some("Duration"));
    assert_eq!(duration.statistic(), Some(&Statistic::Maximum));
    // Timeout 10 s: 90% of 10,000 ms.
    assert_eq!(duration.threshold(), Some(9000.0));
    assert_eq!(duration.period(), Some(60));
    assert_eq!(duration.evaluation_periods(), Some(1));
    assert_eq!(
        duration.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanOrEqualToThreshold)
    );
    assert_eq!(duration.treat_missing_data(), Some("notBreaching"));
    assert_eq!(duration.alarm_actions(), std::slice::from_ref(&topic));
    assert_eq!(duration.ok_actions(), std::slice::from_ref(&topic));
    assert_eq!(
        dimensions(duration),
        pairs(&[("FunctionName", "alm-dev-api")])
    );
    for (name, metric) in [
        ("alm-dev-api-errors", "Errors"),
        ("alm-dev-api-throttles", "Throttles"),
    ] {
        let a = &found[name];
        assert_eq!(a.metric_name(), Some(metric));
        assert_eq!(a.statistic(), Some(&Statistic::Sum));
        assert_eq!(a.threshold(), Some(1.0));
        assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic));
    }
    let visible = &found["alm-dev-jobs-dlq-visible"];
    assert_eq!(visible.namespace(), Some("AWS/SQS"));
    assert_eq!(
        visible.metric_name(),
        Some("ApproximateNumberOfMessagesVisible")
    );
    assert_eq!(visible.statistic(), Some(&Statistic::Maximum));
    assert_eq!(visible.threshold(), Some(1.0));
    assert_eq!(
        dimensions(visible),
        pairs(&[("QueueName", "alm-dev-jobs-dlq")])
    );
    let backlog = &found["alm-dev-backlog"];
    assert_eq!(backlog.extended_statistic(), Some("p99"));
    assert_eq!(backlog.statistic(), None);
    assert_eq!(backlog.evaluation_periods(), Some(5));
    assert_eq!(backlog.datapoints_to_alarm(), Some(3));
    assert_eq!(backlog.threshold(), Some(300.0));
    assert_eq!(backlog.alarm_description(), Some("Jobs wait too long"));
    assert_eq!(dimensions(backlog), pairs(&[("QueueName", "alm-dev-jobs")]));
    let owned = pairs(&[
        ("slsr:service", "alm"),
        ("slsr:stage", "dev"),
        ("team", "ops"),
    ]);
    for name in ["alm-dev-api-errors", "alm-dev-backlog"] {
        assert_eq!(
            tags(&cloudwatch, found[name].alarm_arn().unwrap()).await,
            owned
        );
    }

    // One threshold changed in the spec: that one field, written with the rest kept.
    let changed = SPEC.replace("threshold: 300", "threshold: 600");
    let plan = apply_change(
        &account,
        &spec,
        &changed,
        &["~ alarm.backlog", "~ threshold: 300.0 -> 600.0"],
    );
    assert_eq!(plan.matches("~ alarm.").count(), 1, "{plan}");
    let backlog = &alarms(&cloudwatch).await["alm-dev-backlog"];
    assert_eq!(backlog.threshold(), Some(600.0));
    assert_eq!(backlog.datapoints_to_alarm(), Some(3));
    assert_eq!(backlog.ok_actions(), std::slice::from_ref(&topic));
    assert_eq!(tags(&cloudwatch, backlog.alarm_arn().unwrap()).await, owned);

    // A tag changed: TagResource on the alarm, its configuration as it was.
    let retagged = changed.replace("tags: {team: ops}", "tags: {team: sre}");
    apply_change(
        &account,
        &spec,
        &retagged,
        &["~ alarm.backlog", "~ tags.team: \"ops\" -> \"sre\""],
    );
    let backlog = &alarms(&cloudwatch).await["alm-dev-backlog"];
    assert_eq!(
        tags(&cloudwatch, backlog.alarm_arn().unwrap()).await,
        pairs(&[
            ("slsr:service", "alm"),
            ("slsr:stage", "dev"),
            ("team", "sre")
        ])
    );
    assert_eq!(backlog.threshold(), Some(600.0));
    let changed = retagged;

    // A hand edit (PutMetricAlarm replaces everything: threshold 5, no actions) is drift,
    // put back by the next apply.
    put_by_hand(&cloudwatch, "alm-dev-api-errors", "alm-dev-api", 5.0, &[]).await;
    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            "~ alarm.api-errors",
            "~ threshold: 5.0 -> 1.0",
            "~ treat_missing_data: \"missing\" -> \"notBreaching\"",
            "~ alarm_actions",
        ],
    );
    applied_clean(&account, &spec, &[]);
    let errors = &alarms(&cloudwatch).await["alm-dev-api-errors"];
    assert_eq!(errors.threshold(), Some(1.0));
    assert_eq!(errors.alarm_actions(), std::slice::from_ref(&topic));

    // Without the defaults and the custom alarm: slsr's five go, theirs stays as it was.
    let without = changed.split("alarms:").next().unwrap().to_string();
    let plan = replan(&account, &spec, &without, &[]);
    has_all(
        &plan,
        &[
            "- alarm.api-errors",
            "- alarm.api-throttles",
            "- alarm.api-duration",
            "- alarm.jobs-dlq-visible",
            "- alarm.backlog",
        ],
    );
    assert!(!plan.contains("theirs"), "{plan}");
    applied_clean(&account, &spec, &[]);
    let left = alarms(&cloudwatch).await;
    assert_eq!(
        left.keys().map(String::as_str).collect::<Vec<_>>(),
        ["alm-dev-theirs"]
    );
    assert_eq!(left["alm-dev-theirs"].threshold(), Some(7.0));
    assert!(
        tags(&cloudwatch, left["alm-dev-theirs"].alarm_arn().unwrap())
            .await
            .is_empty()
    );
}

const ONE_CUSTOM: &str = "service: alc
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
alarms:
  custom:
    api-errors:
      namespace: AWS/Lambda
      metric: Errors
      function: api
      statistic: Sum
      period: 300
      evaluation_periods: 1
      threshold: 3
      comparison: \">\"
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_someone_else_made_at_a_name_slsr_wants_is_a_conflict_and_never_overwritten() {
    let spec = app("alarms-conflict", ONE_CUSTOM);
    let account = Account::new().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);

    // Before the plan: a conflict, and apply writes nothing.
    put_by_hand(&cloudwatch, "alc-dev-api-errors", "alc-dev-api", 42.0, &[]).await;
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("! alarm.api-errors"), "{}", out.stdout);
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let theirs = &alarms(&cloudwatch).await["alc-dev-api-errors"];
    assert_eq!(theirs.threshold(), Some(42.0));
    assert_eq!(theirs.period(), Some(60));
    assert!(
        tags(&cloudwatch, theirs.alarm_arn().unwrap())
            .await
            .is_empty()
    );

    // Between apply's read and its write (the proxy lets the other writer in before the
    // writer's own look-up, the second DescribeAlarms): refused, theirs kept as it is.
    cloudwatch
        .delete_alarms()
        .alarm_names("alc-dev-api-errors")
        .send()
        .await
        .unwrap();
    let writer = cloudwatch.clone();
    let config = Config {
        before: Some(Before {
            operation: "CloudWatch.DescribeAlarms",
            nth: 2,
            run: std::sync::Arc::new(move || {
                let cloudwatch = writer.clone();
                Box::pin(async move {
                    put_by_hand(&cloudwatch, "alc-dev-api-errors", "alc-dev-api", 42.0, &[]).await;
                })
            }),
        }),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("made since the plan"), "{}", out.stderr);
    assert_eq!(proxy.count("CloudWatch.PutMetricAlarm"), 0);
    let theirs = &alarms(&cloudwatch).await["alc-dev-api-errors"];
    assert_eq!(theirs.threshold(), Some(42.0));
    assert!(
        tags(&cloudwatch, theirs.alarm_arn().unwrap())
            .await
            .is_empty()
    );

    // Theirs gone; one with this service and stage's tags appears in between instead (an
    // apply of the same spec whose answer was lost): slsr writes its whole configuration
    // over it. FunctionName from `function`, `>` as CloudWatch's name.
    cloudwatch
        .delete_alarms()
        .alarm_names("alc-dev-api-errors")
        .send()
        .await
        .unwrap();
    let writer = cloudwatch.clone();
    let config = Config {
        before: Some(Before {
            operation: "CloudWatch.DescribeAlarms",
            nth: 2,
            run: std::sync::Arc::new(move || {
                let cloudwatch = writer.clone();
                Box::pin(async move {
                    put_by_hand(
                        &cloudwatch,
                        "alc-dev-api-errors",
                        "alc-dev-api",
                        42.0,
                        &[("slsr:service", "alc"), ("slsr:stage", "dev")],
                    )
                    .await;
                })
            }),
        }),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(proxy.count("CloudWatch.PutMetricAlarm"), 1);
    crate::support::assert_clean(&account, &spec);
    let ours = &alarms(&cloudwatch).await["alc-dev-api-errors"];
    assert_eq!(ours.threshold(), Some(3.0));
    assert_eq!(ours.period(), Some(300));
    assert_eq!(
        ours.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanThreshold)
    );
    assert_eq!(ours.treat_missing_data().unwrap_or("missing"), "missing");
    assert!(ours.alarm_actions().is_empty());
    assert_eq!(dimensions(ours), pairs(&[("FunctionName", "alc-dev-api")]));
    assert_eq!(
        tags(&cloudwatch, ours.alarm_arn().unwrap()).await,
        pairs(&[("slsr:service", "alc"), ("slsr:stage", "dev")])
    );

    // `notify` by ARN: used as written, as the alarm and the recovery action.
    let elsewhere = format!("arn:aws:sns:us-east-1:{}:ops-pager", account.id);
    let by_arn = ONE_CUSTOM.replace("alarms:\n", &format!("alarms:\n  notify: {elsewhere}\n"));
    apply_change(
        &account,
        &spec,
        &by_arn,
        &[
            "~ alarm.api-errors",
            &format!("~ alarm_actions: [] -> [\"{elsewhere}\"]"),
        ],
    );
    let ours = &alarms(&cloudwatch).await["alc-dev-api-errors"];
    assert_eq!(ours.alarm_actions(), std::slice::from_ref(&elsewhere));
    assert_eq!(ours.ok_actions(), std::slice::from_ref(&elsewhere));
}

#[tokio::test]
async fn a_dry_run_lists_each_alarms_write_and_makes_nothing() {
    let spec = app("alarms-dry", SPEC);
    let account = Account::new().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);
    let dry = slsr(&account, "apply", &spec, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    let listing = dry
        .stdout
        .split("Dry run:")
        .nth(1)
        .expect("a dry run listing");
    let calls = crate::apply::dry_run_calls(listing);
    for address in [
        "alarm.api-errors",
        "alarm.api-throttles",
        "alarm.api-duration",
        "alarm.jobs-dlq-visible",
        "alarm.backlog",
    ] {
        assert_eq!(
            calls.get(address).map(Vec::as_slice),
            Some(&["CloudWatch.PutMetricAlarm".to_string()][..]),
            "{listing}"
        );
    }
    assert!(alarms(&cloudwatch).await.is_empty());
    // A real apply's `-v` names the same calls, and a dry run of a change lists the one
    // PutMetricAlarm of the whole configuration.
    let out = applied(&account, &spec, &["-v"]);
    let written = crate::apply::applied_calls(&out.stdout);
    for address in ["alarm.backlog", "alarm.api-errors"] {
        assert_eq!(written.get(address), calls.get(address), "{}", out.stdout);
    }
    std::fs::write(&spec, SPEC.replace("threshold: 300", "threshold: 301")).unwrap();
    let dry = slsr(&account, "apply", &spec, &["--dry-run"]);
    let listing = dry
        .stdout
        .split("Dry run:")
        .nth(1)
        .expect("a dry run listing");
    let calls = crate::apply::dry_run_calls(listing);
    assert_eq!(calls.len(), 1, "{listing}");
    assert_eq!(
        calls.get("alarm.backlog").map(Vec::as_slice),
        Some(&["CloudWatch.PutMetricAlarm".to_string()][..]),
        "{listing}"
    );
    assert_eq!(
        alarms(&cloudwatch).await["alm-dev-backlog"].threshold(),
        Some(300.0)
    );
}
