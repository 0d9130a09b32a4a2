//! S3 buckets and `s3` events through the real binary against the emulator: a bucket
//! planned from empty, applied, planned clean, changed field by field with its objects
//! kept, emptied and removed; encryption and the public access block; a bucket of someone
//! else's whose notification entries and settings stay as they are; a document written
//! between plan and apply; an untagged bucket at a wanted name; `access` grants.
//!
//! The ground truth is read with plain SDK calls and compared with literal values.

use serde_json::{Value, json};

use crate::ground_truth::{env_of, log_grant, pairs, role_policy, tag_pairs};
use crate::proxy::{Before, Config, Proxy};
use crate::reliability::through;
use crate::support::{
    Account, Run, app, applied, applied_clean, assert_clean, destroyed, has_all, replan, run,
    slsr_on as slsr,
};

/// `apply -v`'s write calls of one change, as listed under "Write calls by change".
fn writes_of(out: &Run, address: &str) -> Vec<String> {
    let listing = out
        .stdout
        .split("Write calls by change:\n")
        .nth(1)
        .unwrap_or_default();
    listing
        .lines()
        .map_while(|l| l.strip_prefix("  "))
        .find_map(|l| l.strip_prefix(&format!("{address}:")))
        .map(|calls| {
            calls
                .split(", ")
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The number of write calls `-v` reported (0 when nothing was applied).
fn write_count(out: &Run) -> usize {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("AWS write calls: "))
        .map_or(0, |n| n.parse().unwrap())
}

async fn tags(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, String)> {
    tag_pairs!(s3.get_bucket_tagging().bucket(bucket), tag_set)
}

/// The lifecycle rules as (prefix, expire days, noncurrent days, abort days), sorted.
async fn lifecycle(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Vec<(String, Option<i32>, Option<i32>, Option<i32>)> {
    let out = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut rules: Vec<_> = out
        .rules()
        .iter()
        .map(|r| {
            assert_eq!(r.status(), &aws_sdk_s3::types::ExpirationStatus::Enabled);
            (
                r.filter()
                    .and_then(|f| f.prefix())
                    .unwrap_or_default()
                    .to_string(),
                r.expiration().and_then(|e| e.days()),
                r.noncurrent_version_expiration()
                    .and_then(|e| e.noncurrent_days()),
                r.abort_incomplete_multipart_upload()
                    .and_then(|a| a.days_after_initiation()),
            )
        })
        .collect();
    rules.sort();
    rules
}

async fn public_access(s3: &aws_sdk_s3::Client, bucket: &str) -> [Option<bool>; 4] {
    match s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let b = out.public_access_block_configuration().unwrap();
            [
                b.block_public_acls(),
                b.ignore_public_acls(),
                b.block_public_policy(),
                b.restrict_public_buckets(),
            ]
        }
        Err(_) => [None; 4],
    }
}

async fn object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key} is gone from {bucket}: {e:?}"));
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(
            body.as_bytes().to_vec(),
        ))
        .send()
        .await
        .unwrap();
}

async fn bucket_names(s3: &aws_sdk_s3::Client) -> Vec<String> {
    s3.list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect()
}

const BUCKET: &str = "service: shop
tags: {team: core}
buckets:
  uploads:
    versioning: true
    lifecycle:
      - {prefix: tmp/, expire_days: 7}
      - {noncurrent_expire_days: 30, abort_incomplete_upload_days: 2}
    cors: [{allow_origins: ['https://example.com'], allow_methods: [PUT, GET], allow_headers: ['*'], max_age: 300}]
    tags: {data: user}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env: {BUCKET: '${bucket:uploads.name}'}
outputs:
  bucket: {value: '${bucket:uploads.arn}'}
";

#[tokio::test]
async fn a_bucket_is_made_changed_in_place_with_its_objects_kept_then_emptied_and_removed() {
    let spec = app("buckets-life", BUCKET);
    let account = Account::new().await;
    let name = format!("shop-dev-uploads-{}", account.id);
    let s3 = account.s3().await;

    let first = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(first.code, 2, "{}{}", first.stdout, first.stderr);
    has_all(
        &first.stdout,
        &[
            &format!("+ bucket.uploads  {name}"),
            "+ versioning = true",
            "+ lifecycle[\"tmp/\"].expire_days = 7",
            "+ lifecycle[\"\"].noncurrent_expire_days = 30",
            "+ cors[0].allow_methods = [\"GET\",\"PUT\"]",
            "+ public_access_block.block_public_acls = true",
            "+ encryption = \"AES256\"",
            "+ tags = {data=user, slsr:service=shop, slsr:stage=dev, team=core}",
        ],
    );
    let out = applied(&account, &spec, &[]);
    assert!(
        out.stdout
            .contains(&format!("bucket = arn:aws:s3:::{name}")),
        "{}",
        out.stdout
    );
    assert_clean(&account, &spec);

    // What S3 has, read with plain calls.
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    assert_eq!(
        lifecycle(&s3, &name).await,
        vec![
            ("".to_string(), None, Some(30), Some(2)),
            ("tmp/".to_string(), Some(7), None, None)
        ]
    );
    let cors = s3.get_bucket_cors().bucket(&name).send().await.unwrap();
    let rule = &cors.cors_rules()[0];
    assert_eq!(cors.cors_rules().len(), 1);
    assert_eq!(rule.allowed_origins(), ["https://example.com"]);
    let mut methods = rule.allowed_methods().to_vec();
    methods.sort();
    assert_eq!(methods, ["GET", "PUT"]);
    assert_eq!(rule.allowed_headers(), ["*"]);
    assert_eq!(rule.max_age_seconds(), Some(300));
    let encryption = s3
        .get_bucket_encryption()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    let default = encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap();
    assert_eq!(default.sse_algorithm().as_str(), "AES256");
    assert_eq!(default.kms_master_key_id(), None);
    assert_eq!(public_access(&s3, &name).await, [Some(true); 4]);
    assert_eq!(
        tags(&s3, &name).await,
        pairs(&[
            ("data", "user"),
            ("slsr:service", "shop"),
            ("slsr:stage", "dev"),
            ("team", "core")
        ])
    );
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    assert_eq!(env_of(&lambda, "shop-dev-api").await["BUCKET"], name);

    // Objects written while versioning is on: two versions of one key.
    put(&s3, &name, "keep/report.csv", "a,b").await;
    put(&s3, &name, "keep/report.csv", "a,b,c").await;

    // Versioning suspended, a rule's days changed: exactly those fields, in place.
    let changed = BUCKET
        .replace("versioning: true", "versioning: false")
        .replace("expire_days: 7", "expire_days: 30");
    let plan = replan(&account, &spec, &changed, &[]);
    assert!(
        plan.contains(&format!("~ bucket.uploads  {name}")),
        "{plan}"
    );
    assert!(plan.contains("~ versioning: true -> false"), "{plan}");
    assert!(
        plan.contains("~ lifecycle[\"tmp/\"].expire_days: 7 -> 30"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{plan}"
    );
    let out = applied(&account, &spec, &["-v"]);
    assert_eq!(
        writes_of(&out, "bucket.uploads"),
        [
            "S3.PutBucketVersioning",
            "S3.PutBucketLifecycleConfiguration"
        ]
    );
    assert_clean(&account, &spec);
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Suspended"));
    assert_eq!(
        lifecycle(&s3, &name).await[1],
        ("tmp/".to_string(), Some(30), None, None)
    );
    assert_eq!(object(&s3, &name, "keep/report.csv").await, "a,b,c");

    // A no-op apply makes no write call and leaves the object.
    let out = applied(&account, &spec, &["-v"]);
    assert_eq!(write_count(&out), 0, "{}", out.stdout);
    assert_eq!(object(&s3, &name, "keep/report.csv").await, "a,b,c");

    // Removed (data loss allowed): every version, the delete marker and the unfinished
    // upload go first, then the bucket.
    s3.delete_object()
        .bucket(&name)
        .key("keep/report.csv")
        .send()
        .await
        .unwrap();
    put(&s3, &name, "other.txt", "x").await;
    s3.create_multipart_upload()
        .bucket(&name)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    let versions = s3
        .list_object_versions()
        .bucket(&name)
        .send()
        .await
        .unwrap();
    assert!(
        !versions.versions().is_empty() || !versions.delete_markers().is_empty(),
        "objects to empty"
    );
    let without = "service: shop
tags: {team: core}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";
    std::fs::write(&spec, without).unwrap();
    let out = applied(&account, &spec, &["-v", "--allow-data-loss"]);
    assert!(out.stdout.contains("- bucket.uploads"), "{}", out.stdout);
    let writes = writes_of(&out, "bucket.uploads");
    assert_eq!(
        writes.first().map(String::as_str),
        Some("S3.AbortMultipartUpload")
    );
    assert_eq!(writes.last().map(String::as_str), Some("S3.DeleteBucket"));
    assert!(
        writes.contains(&"S3.DeleteObjects".to_string()),
        "{writes:?}"
    );
    assert!(!bucket_names(&s3).await.contains(&name));
    assert_clean(&account, &spec);
}

const VAULT: &str = "service: vault
buckets:
  plain: {}
  secret: {kms_key: 'arn:aws:kms:us-east-1:${account_id}:key/1234abcd-12ab-34cd-56ef-1234567890ab'}
";

async fn encryption(s3: &aws_sdk_s3::Client, bucket: &str) -> (String, Option<String>) {
    let out = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let default = out.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    (
        default.sse_algorithm().as_str().to_string(),
        default.kms_master_key_id().map(str::to_string),
    )
}

#[tokio::test]
async fn buckets_are_encrypted_sse_s3_or_sse_kms_and_public_access_is_blocked_back() {
    let spec = app("buckets-vault", VAULT);
    let account = Account::new().await;
    let (plain, secret) = (
        format!("vault-dev-plain-{}", account.id),
        format!("vault-dev-secret-{}", account.id),
    );
    let key = format!(
        "arn:aws:kms:us-east-1:{}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        account.id
    );
    let s3 = account.s3().await;
    applied_clean(&account, &spec, &[]);
    assert_eq!(encryption(&s3, &plain).await, ("AES256".into(), None));
    assert_eq!(
        encryption(&s3, &secret).await,
        ("aws:kms".into(), Some(key.clone()))
    );
    assert_eq!(public_access(&s3, &plain).await, [Some(true); 4]);
    assert_eq!(public_access(&s3, &secret).await, [Some(true); 4]);

    // Someone opens them up: the plan shows each setting, and apply blocks them again.
    s3.delete_public_access_block()
        .bucket(&plain)
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket(&secret)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(false)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    let drift = out.stdout;
    let secret_block = drift.split("~ bucket.secret").nth(1).unwrap_or_default();
    assert!(
        secret_block.contains("~ public_access_block.block_public_policy: false -> true")
            && !secret_block.contains("block_public_acls"),
        "{drift}"
    );
    let plain_block = drift
        .split("~ bucket.plain")
        .nth(1)
        .unwrap_or_default()
        .split("~ bucket.secret")
        .next()
        .unwrap();
    for setting in [
        "block_public_acls",
        "ignore_public_acls",
        "block_public_policy",
        "restrict_public_buckets",
    ] {
        assert!(
            plain_block.contains(&format!("~ public_access_block.{setting}: false -> true")),
            "{drift}"
        );
    }
    let out = applied(&account, &spec, &["-v"]);
    assert_eq!(writes_of(&out, "bucket.plain"), ["S3.PutPublicAccessBlock"]);
    assert_eq!(public_access(&s3, &plain).await, [Some(true); 4]);
    assert_eq!(public_access(&s3, &secret).await, [Some(true); 4]);

    // Back to SSE-S3: the algorithm and the key, in place.
    let plan = replan(
        &account,
        &spec,
        "service: vault\nbuckets:\n  plain: {}\n  secret: {}\n",
        &[],
    );
    assert!(
        plan.contains("~ encryption: \"aws:kms\" -> \"AES256\""),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("- kms_key: \"{key}\" -> (none)")),
        "{plan}"
    );
    applied(&account, &spec, &[]);
    assert_eq!(encryption(&s3, &secret).await, ("AES256".into(), None));
    assert_clean(&account, &spec);
}

/// A function triggered by someone else's bucket, named by its ARN.
fn foreign_spec(bucket: &str, prefix: &str) -> String {
    format!(
        "service: shop
functions:
  thumbs:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - s3: {{bucket: 'arn:aws:s3:::{bucket}', events: [created], prefix: {prefix}, suffix: .jpg}}
"
    )
}

/// A bucket of another team's, untagged, with a queue notification and EventBridge on.
async fn their_bucket(account: &Account, bucket: &str) -> String {
    let s3 = account.s3().await;
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&account.config().await);
    sqs.create_queue()
        .queue_name("their-events")
        .send()
        .await
        .unwrap();
    let queue = format!("arn:aws:sqs:us-east-1:{}:their-events", account.id);
    set_document(&s3, bucket, &[("their-queue", &queue, "theirs/")]).await;
    queue
}

/// Writes a bucket's notification document: queue entries (id, queue ARN, prefix) and
/// EventBridge on, as another team's tool would (replacing the whole document).
async fn set_document(s3: &aws_sdk_s3::Client, bucket: &str, queues: &[(&str, &str, &str)]) {
    use aws_sdk_s3::types as t;
    let queues = queues
        .iter()
        .map(|(id, arn, prefix)| {
            t::QueueConfiguration::builder()
                .id(*id)
                .queue_arn(*arn)
                .events(t::Event::from("s3:ObjectCreated:*"))
                .filter(
                    t::NotificationConfigurationFilter::builder()
                        .key(
                            t::S3KeyFilter::builder()
                                .filter_rules(
                                    t::FilterRule::builder()
                                        .name(t::FilterRuleName::Prefix)
                                        .value(*prefix)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
                .unwrap()
        })
        .collect();
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            t::NotificationConfiguration::builder()
                .set_queue_configurations(Some(queues))
                .event_bridge_configuration(t::EventBridgeConfiguration::builder().build())
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// A bucket's document as (kind, id, ARN, events, filter rules) and the EventBridge setting.
async fn document(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> (Vec<(String, String, String, String, String)>, bool) {
    let out = s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let rules = |f: Option<&aws_sdk_s3::types::NotificationConfigurationFilter>| {
        f.and_then(|f| f.key())
            .map(|k| {
                k.filter_rules()
                    .iter()
                    .map(|r| {
                        format!(
                            "{}={}",
                            r.name().map_or("", |n| n.as_str()).to_lowercase(),
                            r.value().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let events =
        |e: &[aws_sdk_s3::types::Event]| e.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ");
    let mut entries = Vec::new();
    for q in out.queue_configurations() {
        entries.push((
            "queue".into(),
            q.id().unwrap_or_default().into(),
            q.queue_arn().into(),
            events(q.events()),
            rules(q.filter()),
        ));
    }
    for l in out.lambda_function_configurations() {
        entries.push((
            "lambda".into(),
            l.id().unwrap_or_default().into(),
            l.lambda_function_arn().into(),
            events(l.events()),
            rules(l.filter()),
        ));
    }
    entries.sort();
    (entries, out.event_bridge_configuration().is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_someone_elses_bucket_slsr_adds_its_entry_after_its_permission_and_keeps_theirs() {
    let account = Account::new().await;
    let bucket = format!("media-{}", account.id);
    let spec = app("buckets-foreign", &foreign_spec(&bucket, "in/"));
    let queue = their_bucket(&account, &bucket).await;
    let s3 = account.s3().await;
    let function = format!(
        "arn:aws:lambda:us-east-1:{}:function:shop-dev-thumbs",
        account.id
    );
    let theirs = (
        "queue".to_string(),
        "their-queue".to_string(),
        queue.clone(),
        "s3:ObjectCreated:*".to_string(),
        "prefix=theirs/".to_string(),
    );

    // The plan shows their entry and setting as kept.
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let address = format!("bucket_notification[\"arn:aws:s3:::{bucket}\"]");
    assert!(
        out.stdout.contains(&format!("~ {address}  {bucket}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("= {address}  {bucket} their-queue")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("= {address}  {bucket} EventBridge")),
        "{}",
        out.stdout
    );

    // Applied through the proxy, to see the order of the calls. The statement's first
    // attempts are throttled, so that an entry that did not wait for it would go first
    // (and S3 would refuse it).
    let config = Config {
        throttle_first: &["Lambda.AddPermission"],
        throttle_times: 2,
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let calls: Vec<String> = proxy
        .calls()
        .iter()
        .filter(|c| c.outcome == crate::proxy::Outcome::Answered)
        .map(|c| c.operation.name.clone())
        .collect();
    let at = |op: &str| {
        calls
            .iter()
            .position(|c| c == op)
            .unwrap_or_else(|| panic!("{op}: {calls:?}"))
    };
    assert!(
        at("Lambda.AddPermission") < at("S3.PutBucketNotificationConfiguration"),
        "{calls:?}"
    );
    assert_clean(&account, &spec);

    let (entries, eventbridge) = document(&s3, &bucket).await;
    assert!(eventbridge, "their EventBridge setting stays");
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.contains(&theirs), "{entries:?}");
    let ours = entries.iter().find(|e| e.0 == "lambda").unwrap();
    assert!(ours.1.starts_with("slsr-shop-dev-thumbs-"), "{ours:?}");
    assert_eq!(
        (ours.2.as_str(), ours.3.as_str(), ours.4.as_str()),
        (
            function.as_str(),
            "s3:ObjectCreated:*",
            "prefix=in/ suffix=.jpg"
        )
    );

    // The statement that lets S3 invoke the function, from this bucket, in this account.
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let policy: Value = serde_json::from_str(
        lambda
            .get_policy()
            .function_name("shop-dev-thumbs")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{policy}");
    let mut statement = statements[0].clone();
    let sid = statement.as_object_mut().unwrap().remove("Sid").unwrap();
    assert!(sid.as_str().unwrap().starts_with("slsr-"), "{sid}");
    assert_eq!(
        statement,
        json!({
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": function,
            "Condition": {
                "ArnLike": {"AWS:SourceArn": format!("arn:aws:s3:::{bucket}")},
                "StringEquals": {"AWS:SourceAccount": account.id}
            }
        })
    );

    // A changed prefix rewrites only slsr's entry.
    std::fs::write(&spec, foreign_spec(&bucket, "uploads/")).unwrap();
    applied(&account, &spec, &[]);
    let (entries, eventbridge) = document(&s3, &bucket).await;
    assert!(eventbridge && entries.contains(&theirs), "{entries:?}");
    let ours: Vec<_> = entries.iter().filter(|e| e.0 == "lambda").collect();
    assert_eq!(ours.len(), 1, "{entries:?}");
    assert_eq!(ours[0].4, "prefix=uploads/ suffix=.jpg");
    assert_clean(&account, &spec);

    // Destroy takes slsr's entry and statement off; their bucket and theirs stay.
    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout
            .contains(&format!("= {address}  {bucket} their-queue")),
        "{}",
        out.stdout
    );
    assert_eq!(document(&s3, &bucket).await, (vec![theirs], true));
    assert!(bucket_names(&s3).await.contains(&bucket));
    let tagging = s3.get_bucket_tagging().bucket(&bucket).send().await;
    assert!(tagging.is_err(), "their bucket got no tags: {tagging:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_written_since_the_plan_makes_apply_refuse_and_stays_as_written() {
    let account = Account::new().await;
    let bucket = format!("shared-{}", account.id);
    let spec = app("buckets-race", &foreign_spec(&bucket, "in/"));
    let queue = their_bucket(&account, &bucket).await;
    let s3 = account.s3().await;
    let two = [
        ("their-queue", queue.as_str(), "theirs/"),
        ("their-second", queue.as_str(), "second/"),
    ];

    // A saved plan, then another writer: apply of the saved plan refuses.
    let saved = spec.parent().unwrap().join("plan.json");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    set_document(&s3, &bucket, &two).await;
    let refused = run(account
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-f"])
        .arg(&spec));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    let (entries, _) = document(&s3, &bucket).await;
    assert_eq!(entries.len(), 2, "as the other writer left it: {entries:?}");
    assert!(entries.iter().all(|e| e.0 == "queue"), "{entries:?}");

    // Between apply's own read and its write (the proxy lets the other writer in before
    // apply reads the document again): apply refuses and writes nothing.
    let writer = s3.clone();
    let (bucket2, queue2) = (bucket.clone(), queue.clone());
    let config = Config {
        before: Some(Before {
            operation: "S3.GetBucketNotificationConfiguration",
            nth: 2,
            run: std::sync::Arc::new(move || {
                let (s3, bucket, queue) = (writer.clone(), bucket2.clone(), queue2.clone());
                Box::pin(async move {
                    set_document(&s3, &bucket, &[("their-third", &queue, "third/")]).await;
                })
            }),
        }),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("changed since the plan") && out.stderr.contains("their-third"),
        "{}",
        out.stderr
    );
    assert_eq!(proxy.count("S3.PutBucketNotificationConfiguration"), 0);
    let (entries, eventbridge) = document(&s3, &bucket).await;
    assert_eq!(
        entries,
        vec![(
            "queue".to_string(),
            "their-third".to_string(),
            queue.clone(),
            "s3:ObjectCreated:*".to_string(),
            "prefix=third/".to_string()
        )]
    );
    assert!(eventbridge);

    // Planned again, it goes through and keeps the third.
    applied(&account, &spec, &[]);
    let (entries, _) = document(&s3, &bucket).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries.iter().any(|e| e.1 == "their-third"), "{entries:?}");
}

#[tokio::test]
async fn an_untagged_bucket_at_a_name_slsr_wants_is_a_conflict_and_never_touched() {
    let account = Account::new().await;
    let default_name = format!("shop-dev-uploads-{}", account.id);
    let exact = format!("hand-made-{}", account.id);
    let s3 = account.s3().await;
    for name in [&default_name, &exact] {
        s3.create_bucket()
            .bucket(name.as_str())
            .send()
            .await
            .unwrap();
        s3.put_bucket_tagging()
            .bucket(name.as_str())
            .tagging(
                aws_sdk_s3::types::Tagging::builder()
                    .tag_set(
                        aws_sdk_s3::types::Tag::builder()
                            .key("owner")
                            .value("them")
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let spec = app(
        "buckets-conflict",
        &format!(
            "service: shop\nbuckets:\n  uploads: {{versioning: true}}\n  archive: {{name: {exact}}}\n"
        ),
    );
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    for (address, name) in [
        ("bucket.uploads", &default_name),
        ("bucket.archive", &exact),
    ] {
        assert!(
            out.stdout.contains(&format!("! {address}  {name}")),
            "{}",
            out.stdout
        );
    }
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    for name in [&default_name, &exact] {
        assert_eq!(tags(&s3, name).await, pairs(&[("owner", "them")]));
        let versioning = s3
            .get_bucket_versioning()
            .bucket(name.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(versioning.status(), None, "{name}");
        assert_eq!(public_access(&s3, name).await, [None; 4], "{name}");
    }
}

#[tokio::test]
async fn bucket_access_grants_exactly_each_level_on_the_bucket_and_its_objects() {
    let spec = app(
        "buckets-access",
        "service: shop
buckets:
  uploads: {}
functions:
  reader: {handler: index.handler, runtime: python3.12, code: ./src, access: {bucket.uploads: read}}
  writer: {handler: index.handler, runtime: python3.12, code: ./src, access: {bucket.uploads: write}}
  both: {handler: index.handler, runtime: python3.12, code: ./src, access: {bucket.uploads: read_write}}
",
    );
    let account = Account::new().await;
    applied_clean(&account, &spec, &[]);
    let iam = aws_sdk_iam::Client::new(&account.config().await);
    let bucket = format!("arn:aws:s3:::shop-dev-uploads-{}", account.id);
    let objects = format!("{bucket}/*");
    let read = vec![
        json!({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [objects]}),
        json!({"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket]}),
    ];
    let write = vec![
        json!({"Effect": "Allow", "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"], "Resource": [objects]}),
    ];
    for (function, grants) in [
        ("reader", read.clone()),
        ("writer", write.clone()),
        ("both", [read, write].concat()),
    ] {
        let role = format!("shop-dev-{function}");
        let policy = role_policy(&iam, &role).await;
        let mut want = vec![log_grant(&account.id, &role)];
        want.extend(grants);
        assert_eq!(
            policy,
            json!({"Version": "2012-10-17", "Statement": want}),
            "{function}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_someone_makes_between_the_plan_and_the_create_is_left_alone() {
    // us-east-1 answers a CreateBucket of a bucket the account has with success: only the
    // tags slsr creates it with tell its own from one a neighbour made just before.
    let account = Account::new().await;
    let name = format!("shop-dev-uploads-{}", account.id);
    let spec = app("buckets-raced", "service: shop\nbuckets:\n  uploads: {}\n");
    let s3 = account.s3().await;
    let (neighbour, bucket) = (s3.clone(), name.clone());
    let config = Config {
        before: Some(Before {
            operation: "S3.CreateBucket",
            nth: 1,
            run: std::sync::Arc::new(move || {
                let (s3, bucket) = (neighbour.clone(), bucket.clone());
                Box::pin(async move {
                    s3.create_bucket().bucket(bucket).send().await.unwrap();
                })
            }),
        }),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("without this service and stage's tags"),
        "{}",
        out.stderr
    );
    assert_eq!(proxy.count("S3.PutPublicAccessBlock"), 0);
    assert!(s3.get_bucket_tagging().bucket(&name).send().await.is_err());
    // The next plan says whose it is.
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("! bucket.uploads  {name}")),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn a_hand_made_bucket_is_adopted_with_its_objects_found_after_it_leaves_the_spec_and_released()
 {
    let account = Account::new().await;
    let name = format!("legacy-media-{}", account.id);
    let s3 = account.s3().await;
    // Made by a CloudFormation stack: its `aws:` tag stands for the stack's (AWS would let
    // only CloudFormation set it; the emulator takes it at creation).
    let tag = |k: &str, v: &str| {
        aws_sdk_s3::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    s3.create_bucket()
        .bucket(&name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .tags(tag("aws:cloudformation:stack-name", "legacy"))
                .tags(tag("owner", "data"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    put(&s3, &name, "photo.jpg", "pixels").await;
    let declared =
        format!("service: shop\nbuckets:\n  media: {{name: {name}, tags: {{owner: data}}}}\n");
    let spec = app("buckets-adopt", &declared);
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "not slsr's yet:\n{}{}", out.stdout, out.stderr);

    let out = run(account
        .slsr()
        .args(["adopt", "bucket.media", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("public_access_block.block_public_acls"),
        "adopt shows what the next apply changes:\n{}",
        out.stdout
    );
    assert_eq!(
        tags(&s3, &name).await,
        pairs(&[
            ("aws:cloudformation:stack-name", "legacy"),
            ("owner", "data"),
            ("slsr:service", "shop"),
            ("slsr:stage", "dev")
        ])
    );
    assert_eq!(
        public_access(&s3, &name).await,
        [None; 4],
        "adopt changes tags only"
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(public_access(&s3, &name).await, [Some(true); 4]);
    assert_eq!(object(&s3, &name, "photo.jpg").await, "pixels");

    // Out of the spec, it is still found by its tags, under its name: its removal would lose
    // data, so the plan refuses.
    std::fs::write(&spec, "service: shop\n").unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let address = format!("bucket.{name}");
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains(&address),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let out = run(account.slsr().args(["release", &address, "-f"]).arg(&spec));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        tags(&s3, &name).await,
        pairs(&[
            ("aws:cloudformation:stack-name", "legacy"),
            ("owner", "data")
        ])
    );
    assert_clean(&account, &spec);
    assert_eq!(object(&s3, &name, "photo.jpg").await, "pixels");
}

#[tokio::test]
async fn destroy_keeps_a_bucket_with_its_objects_and_takes_slsrs_entries_off_it() {
    let spec = app(
        "buckets-destroy-keeps",
        "service: shop
buckets:
  uploads: {}
functions:
  thumbs:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - s3: {bucket: uploads, events: [created], prefix: in/}
",
    );
    let account = Account::new().await;
    let name = format!("shop-dev-uploads-{}", account.id);
    applied(&account, &spec, &[]);
    let s3 = account.s3().await;
    put(&s3, &name, "keep.txt", "data").await;
    assert_eq!(document(&s3, &name).await.0.len(), 1);

    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout.contains("- bucket_notification.uploads"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("- bucket.uploads"), "{}", out.stdout);
    assert_eq!(document(&s3, &name).await, (vec![], false));
    assert_eq!(object(&s3, &name, "keep.txt").await, "data");
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    assert!(
        lambda
            .list_functions()
            .send()
            .await
            .unwrap()
            .functions()
            .is_empty(),
        "the function and its statement went"
    );
    // Still slsr's, and found: the next apply takes it up again as it is.
    applied_clean(&account, &spec, &[]);
    assert_eq!(object(&s3, &name, "keep.txt").await, "data");
}
