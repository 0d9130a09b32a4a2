//! Kinesis streams and their `kinesis` events, end to end through the real binary against
//! the emulator: a stream planned from empty, applied, read back clean, changed field by
//! field (retention, shards, encryption, mode, a tag), refused removal without
//! `--allow-data-loss`, then removed with it, marked DATA LOSS; destroy keeping it; a
//! `kinesis` event's mapping with every setting, the generated role's exact stream reads
//! and `access: write`, and an existing stream by ARN that gets only the mapping. Ground
//! truth comes from plain SDK calls and literal values.

use serde_json::{Value, json};

use crate::ground_truth::{env_of, grants, log_grant, pairs, sorted};
use crate::support::{
    Account, app, applied, applied_clean, apply_change, assert_clean, data_loss_changes, destroyed,
    has_all, refused_for_data_loss, replan, slsr_on as slsr,
};

async fn summary(
    kinesis: &aws_sdk_kinesis::Client,
    name: &str,
) -> aws_sdk_kinesis::types::StreamDescriptionSummary {
    kinesis
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .unwrap()
        .stream_description_summary
        .unwrap()
}

/// Every tag of a stream, every page of them.
async fn tags(kinesis: &aws_sdk_kinesis::Client, name: &str) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let out = kinesis
            .list_tags_for_stream()
            .stream_name(name)
            .set_exclusive_start_tag_key(after)
            .send()
            .await
            .unwrap();
        tags.extend(out.tags().iter().map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        }));
        after = out.tags().last().map(|t| t.key().to_string());
        if !out.has_more_tags() {
            break;
        }
    }
    tags.sort();
    tags
}

const STREAM: &str = "service: kin
tags: {team: core}
streams:
  clicks:
    shards: 1
    tags: {tier: gold}
";

#[tokio::test]
async fn a_stream_is_made_read_back_changed_and_removed_only_when_told() {
    let spec = app("streams-lifecycle", STREAM);
    let account = Account::new().await;
    let kinesis = aws_sdk_kinesis::Client::new(&account.config().await);
    let first = replan(&account, &spec, STREAM, &[]);
    has_all(
        &first,
        &[
            "+ stream.clicks  kin-dev-clicks",
            "+ mode = \"provisioned\"",
            "+ shards = 1",
            "+ retention_hours = 24",
            "+ tags = {slsr:service=kin, slsr:stage=dev, team=core, tier=gold}",
            "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.",
        ],
    );
    let dry = slsr(&account, "apply", &spec, &["--dry-run", "--auto-approve"]);
    assert!(
        dry.stdout.contains("Kinesis.CreateStream"),
        "{}{}",
        dry.stdout,
        dry.stderr
    );
    let made = applied_clean(&account, &spec, &["-v"]);
    assert!(
        made.stdout.contains("stream.clicks: Kinesis.CreateStream"),
        "{}",
        made.stdout
    );
    let s = summary(&kinesis, "kin-dev-clicks").await;
    assert_eq!(s.stream_status().as_str(), "ACTIVE");
    assert_eq!(
        s.stream_mode_details().map(|m| m.stream_mode().as_str()),
        Some("PROVISIONED")
    );
    assert_eq!((s.open_shard_count(), s.retention_period_hours()), (1, 24));
    assert_eq!(
        tags(&kinesis, "kin-dev-clicks").await,
        pairs(&[
            ("slsr:service", "kin"),
            ("slsr:stage", "dev"),
            ("team", "core"),
            ("tier", "gold")
        ])
    );

    // Retention, then shards, then encryption, then a tag: each its exact field, in place.
    let longer = STREAM.replace(
        "    shards: 1\n",
        "    shards: 1\n    retention_hours: 48\n",
    );
    apply_change(
        &account,
        &spec,
        &longer,
        &[
            "~ retention_hours: 24 -> 48",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    assert_eq!(
        summary(&kinesis, "kin-dev-clicks")
            .await
            .retention_period_hours(),
        48
    );
    let shorter = longer.replace("retention_hours: 48", "retention_hours: 36");
    apply_change(&account, &spec, &shorter, &["~ retention_hours: 48 -> 36"]);
    assert_eq!(
        summary(&kinesis, "kin-dev-clicks")
            .await
            .retention_period_hours(),
        36
    );

    let resharded = shorter.replace("shards: 1", "shards: 2");
    apply_change(&account, &spec, &resharded, &["~ shards: 1 -> 2"]);
    assert_eq!(
        summary(&kinesis, "kin-dev-clicks").await.open_shard_count(),
        2
    );

    let encrypted = resharded.replace(
        "    tags: {tier: gold}\n",
        "    encryption: {kms_key: alias/aws/kinesis}\n    tags: {tier: gold}\n",
    );
    apply_change(
        &account,
        &spec,
        &encrypted,
        &["+ kms_key: (none) -> \"alias/aws/kinesis\""],
    );
    let s = summary(&kinesis, "kin-dev-clicks").await;
    assert_eq!(
        (s.encryption_type().map(|e| e.as_str()), s.key_id()),
        (Some("KMS"), Some("alias/aws/kinesis"))
    );

    let retagged = encrypted.replace("tier: gold", "tier: silver");
    apply_change(
        &account,
        &spec,
        &retagged,
        &["~ tags.tier: \"gold\" -> \"silver\""],
    );
    assert!(
        tags(&kinesis, "kin-dev-clicks")
            .await
            .contains(&("tier".to_string(), "silver".to_string()))
    );

    // Encryption off again.
    let plain = retagged.replace("    encryption: {kms_key: alias/aws/kinesis}\n", "");
    apply_change(
        &account,
        &spec,
        &plain,
        &["- kms_key: \"alias/aws/kinesis\" -> (none)"],
    );
    let s = summary(&kinesis, "kin-dev-clicks").await;
    assert_eq!(s.encryption_type().map(|e| e.as_str()), Some("NONE"));

    // Released, slsr leaves it alone (a conflict while the spec declares it); adopted, it
    // is slsr's again, with its records.
    let release = slsr(&account, "release", &spec, &["stream.clicks"]);
    assert_eq!(release.code, 0, "{}{}", release.stdout, release.stderr);
    assert!(
        !tags(&kinesis, "kin-dev-clicks")
            .await
            .iter()
            .any(|(k, _)| k.starts_with("slsr:"))
    );
    let plan = slsr(&account, "plan", &spec, &[]);
    assert_eq!(plan.code, 1, "a released stream in the spec is a conflict");
    assert!(
        plan.stdout.contains("! stream.clicks  kin-dev-clicks"),
        "{}",
        plan.stdout
    );
    let adopt = slsr(
        &account,
        "adopt",
        &spec,
        &["stream.clicks", "--auto-approve"],
    );
    assert_eq!(adopt.code, 0, "{}{}", adopt.stdout, adopt.stderr);
    assert_clean(&account, &spec);

    // On demand: Kinesis decides the shards from then on.
    let on_demand = plain.replace("    shards: 2\n", "    mode: on_demand\n");
    apply_change(
        &account,
        &spec,
        &on_demand,
        &["~ mode: \"provisioned\" -> \"on_demand\""],
    );
    assert_eq!(
        summary(&kinesis, "kin-dev-clicks")
            .await
            .stream_mode_details()
            .map(|m| m.stream_mode().as_str()),
        Some("ON_DEMAND")
    );

    // Removed from the spec: refused, naming the stream and both ways on.
    let without = "service: kin\ntags: {team: core}\n";
    std::fs::write(&spec, without).unwrap();
    refused_for_data_loss(
        &account,
        &spec,
        &["stream.clicks (kin-dev-clicks): it is no longer in the spec"],
    );
    let apply_refused = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(apply_refused.code, 1, "{}", apply_refused.stderr);
    assert_eq!(
        summary(&kinesis, "kin-dev-clicks").await.stream_name(),
        "kin-dev-clicks",
        "a refused plan deletes nothing"
    );
    let text = slsr(&account, "plan", &spec, &["--allow-data-loss"]);
    has_all(
        &text.stdout,
        &[
            "- stream.clicks  kin-dev-clicks  DATA LOSS",
            "# DATA LOSS: deleting it deletes every record in the stream",
        ],
    );
    let json = slsr(
        &account,
        "plan",
        &spec,
        &["--allow-data-loss", "--format", "json"],
    );
    assert_eq!(
        data_loss_changes(&json.stdout),
        pairs(&[("stream.clicks", "stream")])
    );
    applied_clean(&account, &spec, &["--allow-data-loss"]);
    let gone = kinesis
        .describe_stream_summary()
        .stream_name("kin-dev-clicks")
        .send()
        .await;
    assert!(gone.is_err(), "the stream is deleted: {gone:?}");
}

const EVENTS: &str = "service: kev
queues: {failed: {}}
streams:
  clicks: {mode: on_demand, retention_hours: 24}
functions:
  reader:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - kinesis:
          stream: clicks
          starting_position: trim_horizon
          batch_size: 50
          batching_window: 5
          parallelization: 2
          bisect_on_error: true
          retries: 3
          max_record_age: 3600
          on_failure: {queue: failed}
          report_batch_item_failures: true
          filters: [{data: {type: [click]}}]
  writer:
    handler: index.handler
    runtime: python3.12
    code: ./src
    access: {stream.clicks: write}
    env: {STREAM: '${stream:clicks.arn}'}
  outsider:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - kinesis: {stream: 'arn:aws:kinesis:us-east-1:ACCOUNT:stream/not-slsrs'}
";

#[tokio::test]
async fn a_kinesis_event_maps_the_stream_and_the_role_reads_exactly_it() {
    let account = Account::new().await;
    let config = account.config().await;
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    // Someone else's stream, which slsr only maps.
    kinesis
        .create_stream()
        .stream_name("not-slsrs")
        .shard_count(1)
        .send()
        .await
        .unwrap();
    kinesis
        .add_tags_to_stream()
        .stream_name("not-slsrs")
        .tags("owner", "them")
        .send()
        .await
        .unwrap();
    let text = EVENTS.replace("ACCOUNT", &account.id);
    let spec = app("streams-events", &text);
    let stream = format!(
        "arn:aws:kinesis:us-east-1:{}:stream/kev-dev-clicks",
        account.id
    );
    let foreign = format!("arn:aws:kinesis:us-east-1:{}:stream/not-slsrs", account.id);
    let queue = format!("arn:aws:sqs:us-east-1:{}:kev-dev-failed", account.id);
    let first = replan(&account, &spec, &text, &[]);
    has_all(
        &first,
        &[
            "+ stream.clicks  kev-dev-clicks",
            "+ event_source_mapping.reader.stream.clicks",
            "+ event_source_mapping.outsider.stream.not-slsrs",
        ],
    );
    assert!(!first.contains("+ stream.not-slsrs"), "{first}");
    applied_clean(&account, &spec, &[]);

    let mappings = lambda
        .list_event_source_mappings()
        .function_name("kev-dev-reader")
        .send()
        .await
        .unwrap();
    let [m] = mappings.event_source_mappings() else {
        panic!("one mapping: {mappings:?}");
    };
    assert_eq!(m.event_source_arn(), Some(stream.as_str()));
    assert_eq!(
        m.starting_position().map(|p| p.as_str()),
        Some("TRIM_HORIZON")
    );
    assert_eq!(
        (
            m.batch_size(),
            m.maximum_batching_window_in_seconds(),
            m.parallelization_factor(),
            m.bisect_batch_on_function_error(),
            m.maximum_retry_attempts(),
            m.maximum_record_age_in_seconds(),
        ),
        (Some(50), Some(5), Some(2), Some(true), Some(3), Some(3600))
    );
    assert_eq!(
        m.destination_config()
            .and_then(|d| d.on_failure())
            .and_then(|f| f.destination()),
        Some(queue.as_str())
    );
    let responses: Vec<&str> = m
        .function_response_types()
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(responses, ["ReportBatchItemFailures"]);
    let patterns: Vec<Value> = m
        .filter_criteria()
        .unwrap()
        .filters()
        .iter()
        .map(|f| serde_json::from_str(f.pattern().unwrap()).unwrap())
        .collect();
    assert_eq!(patterns, [json!({"data": {"type": ["click"]}})]);
    let outsider = lambda
        .list_event_source_mappings()
        .function_name("kev-dev-outsider")
        .send()
        .await
        .unwrap();
    let sources: Vec<Option<&str>> = outsider
        .event_source_mappings()
        .iter()
        .map(|m| m.event_source_arn())
        .collect();
    assert_eq!(sources, [Some(foreign.as_str())]);

    // The roles: exactly the poller's reads of that stream, its on-failure queue, and the
    // writer's puts; the outsider's on the foreign stream alone.
    let logs = |f: &str| log_grant(&account.id, &format!("kev-dev-{f}"));
    let reads = |arn: &str| json!({"Effect": "Allow", "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreams"], "Resource": [arn]});
    assert_eq!(
        grants(&iam, "kev-dev-reader").await,
        sorted(vec![
            logs("reader"),
            reads(&stream),
            json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue]}),
        ])
    );
    assert_eq!(
        grants(&iam, "kev-dev-writer").await,
        sorted(vec![
            logs("writer"),
            json!({"Effect": "Allow", "Action": ["kinesis:PutRecord", "kinesis:PutRecords"], "Resource": [stream]}),
        ])
    );
    assert_eq!(
        grants(&iam, "kev-dev-outsider").await,
        sorted(vec![logs("outsider"), reads(&foreign)])
    );
    assert_eq!(env_of(&lambda, "kev-dev-writer").await["STREAM"], stream);

    // A mapping setting is its exact field, changed in place.
    let smaller = text.replace("batch_size: 50", "batch_size: 20");
    apply_change(
        &account,
        &spec,
        &smaller,
        &[
            "~ event_source_mapping.reader.stream.clicks",
            "~ batch_size: 50 -> 20",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    let m = lambda
        .list_event_source_mappings()
        .function_name("kev-dev-reader")
        .send()
        .await
        .unwrap();
    assert_eq!(m.event_source_mappings()[0].batch_size(), Some(20));

    // Destroy keeps the stream, and says so; the foreign stream is untouched.
    let destroy = destroyed(&account, &spec, &[]);
    has_all(
        &destroy.stdout,
        &["= stream.clicks  kev-dev-clicks", "destroy keeps it"],
    );
    assert_eq!(
        summary(&kinesis, "kev-dev-clicks").await.stream_name(),
        "kev-dev-clicks"
    );
    assert_eq!(
        tags(&kinesis, "not-slsrs").await,
        pairs(&[("owner", "them")])
    );
    let left = lambda.list_event_source_mappings().send().await.unwrap();
    assert!(left.event_source_mappings().is_empty(), "{left:?}");
    let destroy = slsr(
        &account,
        "destroy",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    assert_eq!(destroy.code, 0, "{}{}", destroy.stdout, destroy.stderr);
    assert!(destroy.stdout.contains("DATA LOSS"), "{}", destroy.stdout);
    let gone = kinesis
        .describe_stream_summary()
        .stream_name("kev-dev-clicks")
        .send()
        .await;
    assert!(gone.is_err(), "destroy --allow-data-loss deletes it");
    assert_eq!(
        summary(&kinesis, "not-slsrs").await.stream_name(),
        "not-slsrs"
    );
}

/// A stream of an exact `name` (outside the `{service}-{stage}-` prefix) that leaves the
/// spec is still found by its tags: its removal is refused as data loss, destroy says it
/// kept it, and `--allow-data-loss` deletes it.
#[tokio::test]
async fn an_exactly_named_stream_out_of_the_spec_is_still_found_by_its_tags() {
    let account = Account::new().await;
    let kinesis = aws_sdk_kinesis::Client::new(&account.config().await);
    let spec = app(
        "streams-exact-name",
        "service: kin\nstreams:\n  clicks: {name: team-clicks, shards: 1}\n",
    );
    applied(&account, &spec, &[]);
    let listed = kinesis.list_streams().send().await.unwrap();
    assert_eq!(listed.stream_names(), ["team-clicks"]);

    std::fs::write(&spec, "service: kin\n").unwrap();
    refused_for_data_loss(&account, &spec, &["stream.team-clicks"]);

    let out = destroyed(&account, &spec, &[]);
    has_all(
        &format!("{}{}", out.stdout, out.stderr),
        &["stream.team-clicks"],
    );
    let described = kinesis
        .describe_stream_summary()
        .stream_name("team-clicks")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described
            .stream_description_summary()
            .unwrap()
            .stream_status()
            .as_str(),
        "ACTIVE"
    );

    let out = slsr(
        &account,
        "apply",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    let text = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(out.code, 0, "{text}");
    assert!(text.contains("DATA LOSS"), "{text}");
    let gone = kinesis
        .describe_stream_summary()
        .stream_name("team-clicks")
        .send()
        .await;
    assert!(
        gone.is_err()
            || gone
                .unwrap()
                .stream_description_summary()
                .unwrap()
                .stream_status()
                .as_str()
                == "DELETING"
    );
}
