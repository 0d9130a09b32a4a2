//! DynamoDB tables and their stream events, end to end through the real binary against
//! the emulator: planned from empty, applied, read back clean, changed field by field with
//! an item kept through every change, replaced and removed (with `--allow-data-loss`); the
//! stream's mapping with every setting, following a new stream; the generated roles'
//! exact grants; a table slsr does not own. Ground truth comes from plain SDK calls and
//! literal values.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::ground_truth::{env_of, grants, log_grant, pairs, sorted, table_tags};
use crate::proxy::{Config, Proxy};
use crate::support::{
    Account, Run, app, applied_clean, apply_change, has_all, replan, run, slsr_on as slsr,
};

fn db(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

async fn describe(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
) -> aws_sdk_dynamodb::types::TableDescription {
    db.describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

const LIFECYCLE: &str = "service: tbl
tags: {team: core}
tables:
  orders:
    key: {partition: pk}
    attributes: {pk: string}
    tags: {tier: gold}
";

#[tokio::test]
async fn a_table_is_made_read_back_changed_replaced_and_removed() {
    let spec = app("tables-lifecycle", LIFECYCLE);
    let account = Account::new().await;
    let db = db(&account.config().await);
    apply_change(
        &account,
        &spec,
        LIFECYCLE,
        &[
            "+ table.orders  tbl-dev-orders",
            "+ key.partition = \"pk (string)\"",
            "+ billing = \"on_demand\"",
            "+ point_in_time_recovery = true",
            "+ deletion_protection = true",
            "+ tags = {slsr:service=tbl, slsr:stage=dev, team=core, tier=gold}",
            "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.",
        ],
    );
    let t = describe(&db, "tbl-dev-orders").await;
    assert_eq!(
        t.billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some("PAY_PER_REQUEST")
    );
    assert_eq!(t.deletion_protection_enabled(), Some(true));
    let keys: Vec<(&str, &str)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("pk", "HASH")]);
    let backups = db
        .describe_continuous_backups()
        .table_name("tbl-dev-orders")
        .send()
        .await
        .unwrap();
    let pitr = backups
        .continuous_backups_description()
        .and_then(|b| b.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .map(|s| s.as_str().to_string());
    assert_eq!(pitr.as_deref(), Some("ENABLED"));
    let arn = t.table_arn().unwrap().to_string();
    assert_eq!(
        table_tags(&db, &arn).await,
        pairs(&[
            ("slsr:service", "tbl"),
            ("slsr:stage", "dev"),
            ("team", "core"),
            ("tier", "gold")
        ])
    );

    // Drift: someone turns deletion protection off; the plan shows it, apply puts it back.
    db.update_table()
        .table_name("tbl-dev-orders")
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert!(
        out.stdout.contains("~ deletion_protection: false -> true"),
        "{}",
        out.stdout
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        describe(&db, "tbl-dev-orders")
            .await
            .deletion_protection_enabled(),
        Some(true)
    );

    // Billing, then a tag: each the exact field, in place.
    let provisioned = LIFECYCLE.replace(
        "    tags: {tier: gold}\n",
        "    billing: {read: 5, write: 7}\n    tags: {tier: gold}\n",
    );
    apply_change(
        &account,
        &spec,
        &provisioned,
        &[
            "~ billing: \"on_demand\" -> {\"read\":5,\"write\":7}",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    let t = describe(&db, "tbl-dev-orders").await;
    let capacity = t.provisioned_throughput().unwrap();
    assert_eq!(
        (
            t.billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|m| m.as_str()),
            capacity.read_capacity_units(),
            capacity.write_capacity_units()
        ),
        (Some("PROVISIONED"), Some(5), Some(7))
    );
    let retagged = provisioned.replace("tier: gold", "tier: silver");
    apply_change(
        &account,
        &spec,
        &retagged,
        &["~ tags.tier: \"gold\" -> \"silver\""],
    );
    assert_eq!(
        table_tags(&db, &arn).await,
        pairs(&[
            ("slsr:service", "tbl"),
            ("slsr:stage", "dev"),
            ("team", "core"),
            ("tier", "silver")
        ])
    );

    // A key change is another table: a replacement, which loses the data.
    let sorted = retagged.replace(
        "    key: {partition: pk}\n    attributes: {pk: string}\n",
        "    key: {partition: pk, sort: sk}\n    attributes: {pk: string, sk: number}\n",
    );
    let replaced = replan(&account, &spec, &sorted, &["--allow-data-loss"]);
    assert!(
        replaced.contains("-/+ table.orders")
            && replaced.contains("+ key.sort: (none) -> \"sk (number)\"  # forces replacement"),
        "{replaced}"
    );
    applied_clean(&account, &spec, &["--allow-data-loss"]);
    let keys: Vec<(String, String)> = describe(&db, "tbl-dev-orders")
        .await
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_string(),
                k.key_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(keys, pairs(&[("pk", "HASH"), ("sk", "RANGE")]));

    // Removed: deleted, deletion protection turned off first.
    let removed = replan(
        &account,
        &spec,
        "service: tbl\ntags: {team: core}\n",
        &["--allow-data-loss"],
    );
    assert!(removed.contains("- table.orders"), "{removed}");
    applied_clean(&account, &spec, &["--allow-data-loss"]);
    let gone = db
        .describe_table()
        .table_name("tbl-dev-orders")
        .send()
        .await;
    assert!(gone.is_err(), "the table is deleted: {gone:?}");
}

const ITEMS: &str = "service: keep
tables:
  items:
    key: {partition: pk}
    attributes: {pk: string}
";

/// What the item must still be.
fn the_item() -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S("a-1".into())),
        ("note".to_string(), AttributeValue::S("keep me".into())),
        ("n".to_string(), AttributeValue::N("42".into())),
    ])
}

async fn item_is_there(db: &aws_sdk_dynamodb::Client, after: &str) {
    let got = db
        .get_item()
        .table_name("keep-dev-items")
        .key("pk", AttributeValue::S("a-1".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(got.item, Some(the_item()), "after {after}");
}

/// slsr through `proxy`, off the test's runtime.
async fn through(proxy: &Proxy, account: &Account, args: &[&str], spec: &Path) -> Run {
    crate::reliability::through(proxy, account, args, spec)
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_survives_every_in_place_change_and_a_no_op_apply_writes_nothing() {
    let spec = app("tables-keep", ITEMS);
    let account = Account::new().await;
    let db = db(&account.config().await);
    applied_clean(&account, &spec, &[]);
    db.put_item()
        .table_name("keep-dev-items")
        .set_item(Some(the_item()))
        .send()
        .await
        .unwrap();
    // Each change, the exact field its plan shows, and nothing else.
    let with = |extra: &str| format!("{ITEMS}{extra}");
    let steps: [(&str, String, &[&str]); 10] = [
        (
            "billing provisioned",
            with("    billing: {read: 2, write: 3}\n"),
            &["~ billing: \"on_demand\" -> {\"read\":2,\"write\":3}"],
        ),
        (
            "ttl on",
            with("    billing: {read: 2, write: 3}\n    ttl: expires_at\n"),
            &["+ ttl: (none) -> \"expires_at\""],
        ),
        (
            "two indexes added (one per UpdateTable, as DynamoDB takes them)",
            with("    billing: {read: 2, write: 3}\n    ttl: expires_at\n    indexes: {by-note: {partition: note}, by-n: {partition: n, sort: note}}\n")
                .replace("{pk: string}", "{pk: string, note: string, n: number}"),
            // A value added whole is shown as a new resource's is: indented JSON.
            &[
                "+ index.by-note = {\n              \"partition\": \"note (string)\",\n              \"projection\": \"all\"\n            }",
                "+ index.by-n = {\n              \"partition\": \"n (number)\",\n              \"projection\": \"all\",\n              \"sort\": \"note (string)\"\n            }",
            ],
        ),
        (
            "an index's key changed",
            with("    billing: {read: 2, write: 3}\n    ttl: expires_at\n    indexes: {by-note: {partition: n, projection: keys_only}, by-n: {partition: n, sort: note}}\n")
                .replace("{pk: string}", "{pk: string, note: string, n: number}"),
            // A changed document: its line diff.
            &["~ index.by-note:\n            {\n          -   \"partition\": \"note (string)\",\n          -   \"projection\": \"all\"\n          +   \"partition\": \"n (number)\",\n          +   \"projection\": \"keys_only\"\n            }"],
        ),
        (
            "billing on demand",
            with("    ttl: expires_at\n    indexes: {by-note: {partition: n, projection: keys_only}, by-n: {partition: n, sort: note}}\n")
                .replace("{pk: string}", "{pk: string, note: string, n: number}"),
            &["~ billing: {\"read\":2,\"write\":3} -> \"on_demand\""],
        ),
        (
            "both indexes removed",
            with("    ttl: expires_at\n"),
            &[
                "- index.by-note = {\n              \"partition\": \"n (number)\",\n              \"projection\": \"keys_only\"\n            }",
                "- index.by-n = {",
            ],
        ),
        ("ttl off", ITEMS.to_string(), &["- ttl: \"expires_at\" -> (none)"]),
        (
            "point-in-time recovery off",
            with("    point_in_time_recovery: false\n"),
            &["~ point_in_time_recovery: true -> false"],
        ),
        (
            "a stream",
            with("    point_in_time_recovery: false\n    stream: new_image\n"),
            &["+ stream: (none) -> \"new_image\""],
        ),
        (
            "the stream's view type",
            with("    point_in_time_recovery: false\n    stream: new_and_old_images\n"),
            &["~ stream: \"new_image\" -> \"new_and_old_images\""],
        ),
    ];
    for (what, text, lines) in steps {
        let plan = replan(&account, &spec, &text, &[]);
        for line in lines {
            assert!(plan.contains(line), "{what}: {line}\n{plan}");
        }
        assert!(
            plan.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
            "{what}: in place\n{plan}"
        );
        applied_clean(&account, &spec, &[]);
        item_is_there(&db, what).await;
    }
    let t = describe(&db, "keep-dev-items").await;
    assert!(t.global_secondary_indexes().is_empty());
    let stream = t.stream_specification().unwrap();
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );

    // A no-op apply: every call the proxy sees is a read.
    let proxy = Proxy::start(&crate::support::endpoint(), Config::default()).await;
    let out = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Nothing to apply."), "{}", out.stdout);
    let calls = proxy.calls();
    assert!(proxy.count("DynamoDB.DescribeTable") > 0);
    let writes: Vec<String> = calls
        .iter()
        .filter(|c| !c.operation.is_read())
        .map(|c| c.operation.name.clone())
        .collect();
    assert!(writes.is_empty(), "a no-op apply wrote: {writes:?}");
    item_is_there(&db, "a no-op apply").await;
}

const STREAMS: &str = "service: strm
queues:
  failed: {}
tables:
  orders:
    name: orders-${stage}
    key: {partition: pk}
    attributes: {pk: string}
    stream: new_image
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      STREAM: ${table:orders.stream_arn}
      TABLE: ${table:orders.name}
      TABLE_ARN: ${table:orders.arn}
    events:
      - dynamodb:
          table: orders
          starting_position: trim_horizon
          batch_size: 50
          batching_window: 5
          filters: [{eventName: [INSERT, MODIFY]}, {dynamodb: {Keys: {pk: {S: [{prefix: o-}]}}}}]
          bisect_on_error: true
          max_retries: 3
          max_record_age: 3600
          on_failure: {queue: failed}
          report_batch_item_failures: true
          parallelization: 2
outputs:
  stream: {value: '${table:orders.stream_arn}'}
";

/// The function's one mapping, as GetEventSourceMapping has it.
async fn the_mapping(
    lambda: &aws_sdk_lambda::Client,
) -> aws_sdk_lambda::operation::get_event_source_mapping::GetEventSourceMappingOutput {
    let listed: Vec<_> = lambda
        .list_event_source_mappings()
        .function_name("strm-dev-worker")
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "one mapping: {listed:?}");
    lambda
        .get_event_source_mapping()
        .uuid(listed[0].uuid().unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stream_event_maps_every_setting_and_follows_the_table_to_a_new_stream() {
    let spec = app("tables-streams", STREAMS);
    let account = Account::new().await;
    let config = account.config().await;
    let (db, lambda) = (db(&config), aws_sdk_lambda::Client::new(&config));
    let first = replan(&account, &spec, STREAMS, &[]);
    has_all(
        &first,
        &[
            "+ table.orders  orders-dev",
            "+ event_source_mapping.worker.table.orders-dev  (known after apply)",
            "+ event_source_arn = \"(known after apply: table.orders.stream_arn)\"",
            "+ env.STREAM = \"(known after apply: table.orders.stream_arn)\"",
            "+ env.TABLE = \"orders-dev\"",
        ],
    );
    let out = applied_clean(&account, &spec, &[]);
    let t = describe(&db, "orders-dev").await;
    let stream = t.latest_stream_arn().unwrap().to_string();
    assert!(
        out.stdout.contains(&format!("stream = {stream}")),
        "the output names the new stream:\n{}",
        out.stdout
    );
    let table_arn = format!("arn:aws:dynamodb:us-east-1:{}:table/orders-dev", account.id);
    assert_eq!(
        env_of(&lambda, "strm-dev-worker").await,
        HashMap::from([
            ("STREAM".to_string(), stream.clone()),
            ("TABLE".to_string(), "orders-dev".to_string()),
            ("TABLE_ARN".to_string(), table_arn),
        ])
    );
    let m = the_mapping(&lambda).await;
    assert_eq!(m.event_source_arn(), Some(stream.as_str()));
    assert_eq!(
        m.starting_position().map(|p| p.as_str()),
        Some("TRIM_HORIZON")
    );
    assert_eq!(
        (
            m.batch_size(),
            m.maximum_batching_window_in_seconds(),
            m.bisect_batch_on_function_error(),
            m.maximum_retry_attempts(),
            m.maximum_record_age_in_seconds(),
            m.parallelization_factor()
        ),
        (Some(50), Some(5), Some(true), Some(3), Some(3600), Some(2))
    );
    let mut patterns: Vec<Value> = m
        .filter_criteria()
        .unwrap()
        .filters()
        .iter()
        .map(|f| serde_json::from_str(f.pattern().unwrap()).unwrap())
        .collect();
    patterns.sort_by_key(|p| p.to_string());
    assert_eq!(
        patterns,
        [
            json!({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "o-"}]}}}}),
            json!({"eventName": ["INSERT", "MODIFY"]}),
        ]
    );
    assert_eq!(
        m.destination_config()
            .and_then(|d| d.on_failure())
            .and_then(|f| f.destination()),
        Some(format!("arn:aws:sqs:us-east-1:{}:strm-dev-failed", account.id).as_str())
    );
    let responses: Vec<&str> = m
        .function_response_types()
        .iter()
        .map(|r| r.as_str())
        .collect();
    assert_eq!(responses, ["ReportBatchItemFailures"]);

    // A setting: updated in place.
    let smaller = STREAMS.replace("batch_size: 50", "batch_size: 20");
    apply_change(
        &account,
        &spec,
        &smaller,
        &[
            "~ event_source_mapping.worker.table.orders-dev",
            "~ batch_size: 50 -> 20",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    let uuid = the_mapping(&lambda).await.uuid().unwrap().to_string();
    assert_eq!(the_mapping(&lambda).await.batch_size(), Some(20));

    // The view type: a new stream, which the mapping, the role, the env and the output follow.
    let both = smaller.replace("stream: new_image", "stream: new_and_old_images");
    let changed = replan(&account, &spec, &both, &[]);
    has_all(
        &changed,
        &[
            "~ table.orders  orders-dev",
            "~ stream: \"new_image\" -> \"new_and_old_images\"",
            "-/+ event_source_mapping.worker.table.orders-dev",
            &format!(
                "~ event_source_arn: \"{stream}\" -> \"(known after apply: table.orders.stream_arn)\"  # forces replacement"
            ),
            &format!(
                "~ env.STREAM: \"{stream}\" -> \"(known after apply: table.orders.stream_arn)\""
            ),
            "~ role.worker",
        ],
    );
    let out = applied_clean(&account, &spec, &[]);
    let new_stream = describe(&db, "orders-dev")
        .await
        .latest_stream_arn()
        .unwrap()
        .to_string();
    assert_ne!(new_stream, stream);
    let m = the_mapping(&lambda).await;
    assert_eq!(m.event_source_arn(), Some(new_stream.as_str()));
    assert_ne!(m.uuid(), Some(uuid.as_str()));
    assert_eq!(
        (m.batch_size(), m.parallelization_factor()),
        (Some(20), Some(2))
    );
    assert_eq!(
        env_of(&lambda, "strm-dev-worker").await["STREAM"],
        new_stream
    );
    assert!(
        out.stdout.contains(&format!("stream = {new_stream}")),
        "{}",
        out.stdout
    );
    let out = run(account.slsr().args(["outputs", "-f"]).arg(&spec));
    assert!(
        out.stdout.contains(&new_stream),
        "{}{}",
        out.stdout,
        out.stderr
    );

    // A key change replaces the table, and with it the stream: the mapping goes first,
    // and comes back on the new table's stream in the same apply.
    let keyed = both.replace(
        "    key: {partition: pk}\n    attributes: {pk: string}\n",
        "    key: {partition: pk, sort: sk}\n    attributes: {pk: string, sk: string}\n",
    );
    let changed = replan(&account, &spec, &keyed, &["--allow-data-loss"]);
    has_all(
        &changed,
        &[
            "-/+ table.orders  orders-dev",
            "-/+ event_source_mapping.worker.table.orders-dev",
            &format!(
                "~ event_source_arn: \"{new_stream}\" -> \"(known after apply: table.orders.stream_arn)\"  # forces replacement"
            ),
        ],
    );
    applied_clean(&account, &spec, &["--allow-data-loss"]);
    let replaced_stream = describe(&db, "orders-dev")
        .await
        .latest_stream_arn()
        .unwrap()
        .to_string();
    assert_ne!(replaced_stream, new_stream);
    let m = the_mapping(&lambda).await;
    assert_eq!(m.event_source_arn(), Some(replaced_stream.as_str()));
    assert_eq!(
        env_of(&lambda, "strm-dev-worker").await["STREAM"],
        replaced_stream
    );
}

const GRANTS: &str = "service: grants
queues:
  failed: {}
tables:
  orders: {key: {partition: pk}, attributes: {pk: string, day: string}, stream: keys_only, indexes: {by-day: {partition: day}}}
  carts: {key: {partition: id}, attributes: {id: string}}
functions:
  reader: {handler: index.handler, runtime: python3.12, code: ./src, access: {table.orders: read}}
  writer: {handler: index.handler, runtime: python3.12, code: ./src, access: {table.carts: write}}
  both: {handler: index.handler, runtime: python3.12, code: ./src, access: {table.carts: read_write}}
  sender: {handler: index.handler, runtime: python3.12, code: ./src, access: {queue.failed: send}}
  consumer:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events: [{dynamodb: {table: orders, on_failure: {queue: failed}}}]
";

#[tokio::test]
async fn generated_roles_grant_exactly_the_stream_reads_and_each_access_level() {
    let spec = app("tables-grants", GRANTS);
    let account = Account::new().await;
    let config = account.config().await;
    applied_clean(&account, &spec, &[]);
    let iam = aws_sdk_iam::Client::new(&config);
    let a = &account.id;
    let stream = describe(&db(&config), "grants-dev-orders")
        .await
        .latest_stream_arn()
        .unwrap()
        .to_string();
    let logs = |f: &str| log_grant(a, &format!("grants-dev-{f}"));
    let orders = format!("arn:aws:dynamodb:us-east-1:{a}:table/grants-dev-orders");
    let carts = format!("arn:aws:dynamodb:us-east-1:{a}:table/grants-dev-carts");
    let read = [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    ];
    let write = [
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ];
    assert_eq!(
        grants(&iam, "grants-dev-reader").await,
        sorted(vec![
            logs("reader"),
            json!({"Effect": "Allow", "Action": read, "Resource": [orders.clone(), format!("{orders}/index/*")]}),
        ])
    );
    assert_eq!(
        grants(&iam, "grants-dev-writer").await,
        sorted(vec![
            logs("writer"),
            json!({"Effect": "Allow", "Action": write, "Resource": [carts.clone()]}),
        ])
    );
    assert_eq!(
        grants(&iam, "grants-dev-both").await,
        sorted(vec![
            logs("both"),
            json!({"Effect": "Allow", "Action": read, "Resource": [carts.clone()]}),
            json!({"Effect": "Allow", "Action": write, "Resource": [carts.clone()]}),
        ])
    );
    assert_eq!(
        grants(&iam, "grants-dev-sender").await,
        sorted(vec![
            logs("sender"),
            json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [format!("arn:aws:sqs:us-east-1:{a}:grants-dev-failed")]}),
        ])
    );
    assert_eq!(
        grants(&iam, "grants-dev-consumer").await,
        sorted(vec![
            logs("consumer"),
            json!({"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], "Resource": [stream]}),
            json!({"Effect": "Allow", "Action": ["dynamodb:ListStreams"], "Resource": [format!("{orders}/stream/*")]}),
            json!({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [format!("arn:aws:sqs:us-east-1:{a}:grants-dev-failed")]}),
        ])
    );
}

#[tokio::test]
async fn an_untagged_table_at_a_name_slsr_wants_is_a_conflict_and_never_touched() {
    let spec = app("tables-conflict", ITEMS.replace("keep", "theirs").as_str());
    let account = Account::new().await;
    let db = db(&account.config().await);
    crate::console::create_table(
        &db,
        "theirs-dev-items",
        ("id", "N"),
        &[("owner", "another-team")],
        false,
    )
    .await;
    db.put_item()
        .table_name("theirs-dev-items")
        .item("id", AttributeValue::N("7".into()))
        .send()
        .await
        .unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("! table.items  theirs-dev-items")
            && out.stdout.contains("without slsr's ownership tags"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    // What holds data is taken over with `slsr adopt`, not by hand, and is never a create.
    assert!(
        out.stdout.contains("rename it in the spec")
            && out.stdout.contains("`slsr adopt table.items`")
            && !out.stdout.contains("+ table.items"),
        "{}",
        out.stdout
    );
    let out = slsr(
        &account,
        "apply",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let out = slsr(
        &account,
        "destroy",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // As it was: its key, its tags, its item.
    let t = describe(&db, "theirs-dev-items").await;
    assert_eq!(t.key_schema()[0].attribute_name(), "id");
    assert_eq!(
        table_tags(&db, t.table_arn().unwrap()).await,
        pairs(&[("owner", "another-team")])
    );
    let item = db
        .get_item()
        .table_name("theirs-dev-items")
        .key("id", AttributeValue::N("7".into()))
        .send()
        .await
        .unwrap();
    assert!(item.item.is_some());
}

#[tokio::test]
async fn the_emulator_pages_tables_and_their_tags_as_aws_does() {
    // slsr's reads must follow LastEvaluatedTableName and NextToken: with pages of one,
    // a read that stopped at the first page would miss tables and tags.
    let account = Account::new().await;
    let db = db(&account.config().await);
    let names = ["page-ccc", "page-aaa", "page-bbb"];
    for name in names {
        crate::console::create_table(&db, name, ("pk", "S"), &[("b", "2"), ("a", "1")], false)
            .await;
    }
    let mut pages = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let out = db
            .list_tables()
            .limit(1)
            .set_exclusive_start_table_name(start)
            .send()
            .await
            .unwrap();
        pages.push(out.table_names().to_vec());
        start = out.last_evaluated_table_name;
        if start.is_none() {
            break;
        }
    }
    assert_eq!(
        pages,
        [vec!["page-aaa"], vec!["page-bbb"], vec!["page-ccc"]],
        "one name a page, in order"
    );
    let arn = describe(&db, "page-aaa")
        .await
        .table_arn()
        .unwrap()
        .to_string();
    let first = db
        .list_tags_of_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(first.tags().len(), crate::support::page_size().min(2));
    assert_eq!(
        table_tags(&db, &arn).await,
        pairs(&[("a", "1"), ("b", "2")])
    );
    // A tag set again takes the new value, as on AWS.
    db.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("a")
                .value("9")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        table_tags(&db, &arn).await,
        pairs(&[("a", "9"), ("b", "2")])
    );
}

const SQS_FILTERS: &str = "service: filt
queues:
  jobs: {}
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sqs: {queue: jobs, filters: [{body: {type: [order]}}]}
";

/// The patterns of the function's one mapping, sorted.
async fn patterns_of(lambda: &aws_sdk_lambda::Client) -> Vec<Value> {
    let listed: Vec<_> = lambda
        .list_event_source_mappings()
        .function_name("filt-dev-worker")
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let mut patterns: Vec<Value> = listed[0]
        .filter_criteria()
        .map(|c| c.filters())
        .unwrap_or_default()
        .iter()
        .map(|f| serde_json::from_str(f.pattern().unwrap()).unwrap())
        .collect();
    patterns.sort_by_key(|p| p.to_string());
    patterns
}

#[tokio::test]
async fn an_sqs_event_takes_filters_changed_and_removed_in_place() {
    let spec = app("tables-sqs-filters", SQS_FILTERS);
    let account = Account::new().await;
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    apply_change(
        &account,
        &spec,
        SQS_FILTERS,
        &[
            "+ filters = [\n              {\n                \"body\": {\n                  \"type\": [\"order\"]\n                }\n              }\n            ]",
        ],
    );
    assert_eq!(
        patterns_of(&lambda).await,
        [json!({"body": {"type": ["order"]}})]
    );
    // Another pattern beside it; the order written does not matter.
    let two = SQS_FILTERS.replace(
        "filters: [{body: {type: [order]}}]",
        "filters: [{body: {type: [refund]}}, {body: {type: [order]}}]",
    );
    let changed = replan(&account, &spec, &two, &[]);
    assert!(
        changed.contains("~ filters:\n")
            && changed.contains("          +       \"type\": [\"refund\"]\n")
            && !changed.contains("-       \"type\": [\"order\"]")
            && changed.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        patterns_of(&lambda).await,
        [
            json!({"body": {"type": ["order"]}}),
            json!({"body": {"type": ["refund"]}})
        ]
    );
    let none = SQS_FILTERS.replace(", filters: [{body: {type: [order]}}]", "");
    apply_change(
        &account,
        &spec,
        &none,
        &[
            "~ filters:\n",
            "          -       \"type\": [\"order\"]\n",
            "          -       \"type\": [\"refund\"]\n",
            "          + []\n",
        ],
    );
    assert!(patterns_of(&lambda).await.is_empty());
}
