//! slsr never loses data unless told so in words: a table or bucket that leaves the spec
//! (or would be replaced) makes the plan an error naming it, `--allow-data-loss` marks each
//! such change DATA LOSS in every format and deletes with what it holds, `destroy` keeps
//! them and says so, and `release` / `adopt` hand them over without losing a row. Through
//! the real binary against the emulator; what is in the account is read back with plain
//! SDK calls.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::support::{
    Account, app, applied, data_loss_changes, destroyed, has_all, refused_for_data_loss,
    s3_by_path, slsr_on as slsr,
};

const SPEC: &str = "service: safe
tables:
  orders:
    key: {partition: pk}
    attributes: {pk: string}
buckets:
  uploads: {versioning: true}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    access: {table.orders: read_write, bucket.uploads: read}
";

/// The spec without its data resources (and the grants on them).
const WITHOUT_DATA: &str = "service: safe
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

fn dynamodb(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

fn item(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("note".to_string(), AttributeValue::S(format!("row {pk}"))),
    ])
}

async fn put_items(config: &aws_config::SdkConfig, table: &str, keys: &[&str]) {
    for pk in keys {
        dynamodb(config)
            .put_item()
            .table_name(table)
            .set_item(Some(item(pk)))
            .send()
            .await
            .unwrap();
    }
}

/// The table's items' keys, sorted; `None` when the table does not exist.
async fn item_keys(config: &aws_config::SdkConfig, table: &str) -> Option<Vec<String>> {
    let out = dynamodb(config).scan().table_name(table).send().await;
    let out = match out {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return None;
        }
        Err(e) => panic!("Scan {table}: {e:?}"),
    };
    let mut keys: Vec<String> = out
        .items()
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .collect();
    keys.sort();
    Some(keys)
}

/// A table's tags as `key=value`, sorted.
async fn table_tags(config: &aws_config::SdkConfig, account: &str, table: &str) -> Vec<String> {
    let arn = format!("arn:aws:dynamodb:us-east-1:{account}:table/{table}");
    let mut tags: Vec<String> = crate::ground_truth::table_tags(&dynamodb(config), &arn)
        .await
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    tags.sort();
    tags
}

/// How many object versions and delete markers the bucket holds; `None` when the
/// bucket does not exist.
async fn versions(config: &aws_config::SdkConfig, bucket: &str) -> Option<usize> {
    // The emulator pages the listing as AWS does, by key and version markers.
    let (mut count, mut key, mut version) = (0, None::<String>, None::<String>);
    loop {
        let out = match s3_by_path(config)
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key.clone())
            .set_version_id_marker(version.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if format!("{e:?}").contains("NoSuchBucket") => return None,
            Err(e) => panic!("ListObjectVersions {bucket}: {e:?}"),
        };
        count += out.versions().len() + out.delete_markers().len();
        if out.is_truncated() != Some(true) {
            return Some(count);
        }
        key = out.next_key_marker().map(str::to_string);
        version = out.next_version_id_marker().map(str::to_string);
    }
}

fn write_spec(spec: &Path, text: &str) {
    std::fs::write(spec, text).unwrap();
}

#[tokio::test]
async fn a_table_left_out_of_the_spec_is_kept_unless_data_loss_is_allowed() {
    let account = Account::new().await;
    let config = account.config().await;
    let spec = app("safety-removed", SPEC);
    applied(&account, &spec, &[]);
    put_items(&config, "safe-dev-orders", &["a", "b"]).await;
    let bucket = format!("safe-dev-uploads-{}", account.id);
    write_spec(&spec, WITHOUT_DATA);

    refused_for_data_loss(
        &account,
        &spec,
        &[
            "table.orders (safe-dev-orders): it is no longer in the spec",
            &format!("bucket.uploads ({bucket}): it is no longer in the spec"),
        ],
    );
    let apply = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        item_keys(&config, "safe-dev-orders").await,
        Some(vec!["a".into(), "b".into()]),
        "a refused plan deletes nothing"
    );

    let text = slsr(&account, "plan", &spec, &["--allow-data-loss"]);
    assert_eq!(text.code, 0, "{}{}", text.stdout, text.stderr);
    has_all(
        &text.stdout,
        &[
            "- table.orders  safe-dev-orders  DATA LOSS",
            "# DATA LOSS: deleting it deletes every item in the table",
            "(2 with DATA LOSS).",
        ],
    );
    let json = slsr(
        &account,
        "plan",
        &spec,
        &["--allow-data-loss", "--format", "json"],
    );
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let lost: Vec<String> = data_loss_changes(&json.stdout)
        .into_iter()
        .map(|(address, _)| address)
        .collect();
    assert_eq!(lost, ["bucket.uploads", "table.orders"]);
    assert_eq!(doc["summary"]["data_loss"], 2);
    let markdown = slsr(
        &account,
        "plan",
        &spec,
        &["--allow-data-loss", "--format", "markdown"],
    );
    assert!(
        markdown
            .stdout
            .contains("| - delete **DATA LOSS** | `table.orders` |"),
        "{}",
        markdown.stdout
    );

    applied(&account, &spec, &["--allow-data-loss"]);
    assert_eq!(item_keys(&config, "safe-dev-orders").await, None);
    assert_eq!(versions(&config, &bucket).await, None);
}

#[tokio::test]
async fn destroy_keeps_tables_and_buckets_and_says_so_until_told_otherwise() {
    let account = Account::new().await;
    let config = account.config().await;
    let spec = app("safety-destroy", SPEC);
    applied(&account, &spec, &[]);
    put_items(&config, "safe-dev-orders", &["a"]).await;
    let bucket = format!("safe-dev-uploads-{}", account.id);
    let client = s3_by_path(&config);
    for body in ["one", "two"] {
        client
            .put_object()
            .bucket(&bucket)
            .key("k.txt")
            .body(aws_sdk_s3::primitives::ByteStream::from(
                body.as_bytes().to_vec(),
            ))
            .send()
            .await
            .unwrap();
    }
    client
        .delete_object()
        .bucket(&bucket)
        .key("k.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(versions(&config, &bucket).await, Some(3));

    let destroy = destroyed(&account, &spec, &[]);
    assert!(
        destroy.stdout.contains("= table.orders  safe-dev-orders"),
        "{}",
        destroy.stdout
    );
    assert!(
        destroy
            .stdout
            .contains(&format!("= bucket.uploads  {bucket}")),
        "{}",
        destroy.stdout
    );
    assert!(
        destroy.stdout.contains("destroy keeps it"),
        "{}",
        destroy.stdout
    );
    let gone = aws_sdk_lambda::Client::new(&config)
        .get_function()
        .function_name("safe-dev-api")
        .send()
        .await;
    assert!(gone.is_err(), "destroy deletes the function");
    assert_eq!(
        item_keys(&config, "safe-dev-orders").await,
        Some(vec!["a".into()])
    );
    assert_eq!(versions(&config, &bucket).await, Some(3));

    let destroy = slsr(
        &account,
        "destroy",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    assert_eq!(destroy.code, 0, "{}{}", destroy.stdout, destroy.stderr);
    assert!(destroy.stdout.contains("DATA LOSS"), "{}", destroy.stdout);
    assert_eq!(item_keys(&config, "safe-dev-orders").await, None);
    assert_eq!(
        versions(&config, &bucket).await,
        None,
        "every version and marker went first"
    );
}

#[tokio::test]
async fn adopt_takes_a_hand_made_table_with_its_items_and_the_next_plan_is_clean() {
    let account = Account::new().await;
    let config = account.config().await;
    let db = dynamodb(&config);
    crate::console::create_table(&db, "safe-dev-orders", ("pk", "S"), &[], true).await;
    db.update_continuous_backups()
        .table_name("safe-dev-orders")
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    put_items(&config, "safe-dev-orders", &["a", "b", "c"]).await;
    let spec = app(
        "safety-adopt",
        "service: safe
tables:
  orders:
    key: {partition: pk}
    attributes: {pk: string}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
",
    );

    let plan = slsr(&account, "plan", &spec, &[]);
    assert_eq!(
        plan.code, 1,
        "a table slsr did not make is a conflict:\n{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("! table.orders  safe-dev-orders"),
        "{}",
        plan.stdout
    );
    // Without a terminal, adopt asks for --auto-approve and changes nothing.
    let asked = slsr(&account, "adopt", &spec, &["table.orders"]);
    assert_eq!(asked.code, 1, "{}{}", asked.stdout, asked.stderr);
    assert!(asked.stderr.contains("--auto-approve"), "{}", asked.stderr);
    assert_eq!(
        table_tags(&config, &account.id, "safe-dev-orders").await,
        Vec::<String>::new()
    );

    let adopt = slsr(
        &account,
        "adopt",
        &spec,
        &["table.orders", "--auto-approve"],
    );
    assert_eq!(adopt.code, 0, "{}{}", adopt.stdout, adopt.stderr);
    assert!(
        adopt.stdout.contains("It matches the spec"),
        "{}",
        adopt.stdout
    );
    assert_eq!(
        table_tags(&config, &account.id, "safe-dev-orders").await,
        ["slsr:service=safe", "slsr:stage=dev"]
    );
    applied(&account, &spec, &[]);
    let clean = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert_eq!(
        item_keys(&config, "safe-dev-orders").await,
        Some(vec!["a".into(), "b".into(), "c".into()])
    );
    let again = slsr(
        &account,
        "adopt",
        &spec,
        &["table.orders", "--auto-approve"],
    );
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("is slsr's already"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn adopt_refuses_a_table_the_next_apply_would_replace() {
    let account = Account::new().await;
    let config = account.config().await;
    crate::console::create_table(
        &dynamodb(&config),
        "safe-dev-orders",
        ("id", "S"),
        &[],
        false,
    )
    .await;
    let spec = app("safety-adopt-key", SPEC);
    let adopt = slsr(
        &account,
        "adopt",
        &spec,
        &["table.orders", "--auto-approve"],
    );
    assert_eq!(adopt.code, 1, "{}{}", adopt.stdout, adopt.stderr);
    assert!(
        adopt.stderr.contains("would not keep its data"),
        "{}",
        adopt.stderr
    );
    assert_eq!(
        table_tags(&config, &account.id, "safe-dev-orders").await,
        Vec::<String>::new()
    );
    let function = slsr(
        &account,
        "adopt",
        &spec,
        &["function.api", "--auto-approve"],
    );
    assert_eq!(function.code, 1);
    assert!(
        function
            .stderr
            .contains("release and adopt take table.NAME or bucket.NAME"),
        "{}",
        function.stderr
    );
}

#[tokio::test]
async fn release_hands_a_table_over_and_slsr_never_deletes_it_again() {
    let account = Account::new().await;
    let config = account.config().await;
    let spec = app("safety-release", SPEC);
    applied(&account, &spec, &[]);
    put_items(&config, "safe-dev-orders", &["kept"]).await;
    let release = slsr(&account, "release", &spec, &["table.orders"]);
    assert_eq!(release.code, 0, "{}{}", release.stdout, release.stderr);
    assert!(
        release
            .stdout
            .contains("Released table.orders (safe-dev-orders)"),
        "{}",
        release.stdout
    );
    assert_eq!(
        table_tags(&config, &account.id, "safe-dev-orders").await,
        Vec::<String>::new()
    );
    let plan = slsr(&account, "plan", &spec, &[]);
    assert_eq!(plan.code, 1, "a released table in the spec is a conflict");
    assert!(
        plan.stdout.contains("! table.orders  safe-dev-orders"),
        "{}",
        plan.stdout
    );
    let again = slsr(&account, "release", &spec, &["table.orders"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("is not slsr's"), "{}", again.stderr);
    let destroy = slsr(
        &account,
        "destroy",
        &spec,
        &["--auto-approve", "--allow-data-loss"],
    );
    assert_eq!(destroy.code, 0, "{}{}", destroy.stdout, destroy.stderr);
    assert_eq!(
        item_keys(&config, "safe-dev-orders").await,
        Some(vec!["kept".into()]),
        "destroy does not see what slsr released"
    );
}

#[tokio::test]
async fn a_saved_plan_that_loses_data_needs_the_flag_again_at_apply() {
    let account = Account::new().await;
    let config = account.config().await;
    let spec = app("safety-saved", SPEC);
    applied(&account, &spec, &[]);
    write_spec(&spec, WITHOUT_DATA);
    let saved = spec.with_file_name("lossy.plan");
    let plan = slsr(
        &account,
        "plan",
        &spec,
        &["--allow-data-loss", "--out", saved.to_str().unwrap()],
    );
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let apply = crate::support::run(
        account
            .slsr()
            .args(["apply", saved.to_str().unwrap(), "-f"])
            .arg(&spec),
    );
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("--allow-data-loss"),
        "{}",
        apply.stderr
    );
    assert!(item_keys(&config, "safe-dev-orders").await.is_some());
    let apply = crate::support::run(
        account
            .slsr()
            .args(["apply", saved.to_str().unwrap(), "--allow-data-loss", "-f"])
            .arg(&spec),
    );
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(item_keys(&config, "safe-dev-orders").await, None);
}

#[tokio::test]
async fn a_table_of_an_exact_name_is_still_found_by_its_tags_once_it_leaves_the_spec() {
    let account = Account::new().await;
    let config = account.config().await;
    let spec = app(
        "safety-named",
        "service: safe
tables:
  orders:
    name: legacy-orders
    key: {partition: pk}
    attributes: {pk: string}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
",
    );
    applied(&account, &spec, &[]);
    put_items(&config, "legacy-orders", &["a"]).await;

    // Out of the spec, nothing but its tags says the table is slsr's: the plan still finds
    // it, by its physical name, and refuses to lose it.
    write_spec(&spec, WITHOUT_DATA);
    let refused = slsr(&account, "plan", &spec, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("table.legacy-orders (legacy-orders)"),
        "{}",
        refused.stderr
    );
    let destroy = destroyed(&account, &spec, &[]);
    assert!(
        destroy
            .stdout
            .contains("= table.legacy-orders  legacy-orders"),
        "{}",
        destroy.stdout
    );
    assert_eq!(
        item_keys(&config, "legacy-orders").await,
        Some(vec!["a".into()])
    );
}
