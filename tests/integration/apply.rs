//! `slsr apply` and `slsr destroy` through the real binary against the emulator: from
//! empty, no-op, every kind of change, removals, a failure halfway, and destroy.

use std::path::Path;

use crate::support::{
    Account, Run, app, applied, assert_clean, destroyed, has_all, pages, run, slsr_on as slsr,
};

const SPEC: &str = "service: shop
stage: dev
tags: {team: core}
queues:
  jobs: {visibility_timeout: 60, dead_letter: {queue: jobs-dlq, max_receive_count: 3}}
  jobs-dlq: {}
  spare: {}
http_api:
  cors: {allow_origins: ['https://example.com'], allow_methods: [GET]}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    memory: 256
    log_retention_days: 14
    env: {TABLE: orders}
    events:
      - http: GET /items/{id}
      - http: POST /items
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sqs: {queue: jobs, batch_size: 5}
      - schedule: rate(5 minutes)
  cleanup:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: rate(1 day)
";

fn apply(account: &Account, spec: &Path) -> Run {
    applied(account, spec, &["-v"])
}

/// The number of write calls `-v` reported (0 when nothing was applied).
fn writes(out: &Run) -> usize {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("AWS write calls: "))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn every_example_applies_from_empty_then_plans_clean_then_applies_nothing() {
    for example in ["hello-http", "orders", "image-etl", "fulfilment"] {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example)
            .join("slsr.yaml");
        let account = Account::new().await;
        let first = apply(&account, &spec);
        assert!(
            first.stdout.contains("Apply complete: ")
                && first
                    .stdout
                    .contains(" added, 0 changed, 0 replaced, 0 destroyed"),
            "{example}:\n{}",
            first.stdout
        );
        assert_clean(&account, &spec);
        let again = apply(&account, &spec);
        assert!(
            again.stdout.contains("Nothing to apply."),
            "{}",
            again.stdout
        );
        assert_eq!(
            writes(&again),
            0,
            "a no-op apply must make no write call:\n{}",
            again.stdout
        );
    }
}

#[tokio::test]
async fn each_kind_of_change_is_applied_and_then_plans_clean() {
    let spec = app("apply-changes", SPEC);
    let account = Account::new().await;
    apply(&account, &spec);
    let changed = SPEC
        .replace("memory: 256", "memory: 512\n    architecture: arm64\n    tracing: active\n    ephemeral_storage: 1024\n    kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        .replace("env: {TABLE: orders}", "env: {TABLE: items, MODE: fast}")
        .replace("log_retention_days: 14", "log_retention_days: 30")
        .replace("visibility_timeout: 60", "visibility_timeout: 120")
        .replace("batch_size: 5", "batch_size: 8")
        .replace("tags: {team: core}", "tags: {team: platform}")
        .replace("allow_methods: [GET]", "allow_methods: [GET, POST]")
        .replace(
            "      - http: POST /items\n",
            "      - http: POST /items\n      - http: DELETE /items/{id}\n",
        );
    std::fs::write(&spec, changed).unwrap();
    let plan = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2);
    has_all(
        &plan.stdout,
        &[
            "~ memory: 256 -> 512",
            "~ architecture: \"x86_64\" -> \"arm64\"",
            "~ tracing: \"PassThrough\" -> \"Active\"",
            "~ ephemeral_storage: 512 -> 1024",
            "~ env.TABLE: \"orders\" -> \"items\"",
            "+ env.MODE: (none) -> \"fast\"",
            "~ retention_days: 14 -> 30",
            "~ visibility_timeout: 60 -> 120",
            "~ batch_size: 5 -> 8",
            "~ tags.team: \"core\" -> \"platform\"",
            "+ route[\"DELETE /items/{id}\"]",
        ],
    );
    let out = apply(&account, &spec);
    assert!(
        out.stdout.contains("Lambda.UpdateFunctionConfiguration: 1"),
        "{}",
        out.stdout
    );
    // The code is unchanged, but the instruction set travels with it.
    assert!(
        out.stdout.contains("Lambda.UpdateFunctionCode: 1"),
        "{}",
        out.stdout
    );
    assert_clean(&account, &spec);
}

#[tokio::test]
async fn a_code_change_is_one_code_update() {
    let spec = app("apply-code", SPEC);
    let account = Account::new().await;
    apply(&account, &spec);
    let source = spec.parent().unwrap().join("src/index.py");
    std::fs::write(
        &source,
        "def handler(event, context):\n    return {'statusCode': 201}\n",
    )
    .unwrap();
    let out = apply(&account, &spec);
    // The three functions share ./src: one code update each, and nothing else.
    assert_eq!(writes(&out), 3, "{}", out.stdout);
    assert!(
        out.stdout.contains("Lambda.UpdateFunctionCode: 3"),
        "{}",
        out.stdout
    );
    assert_clean(&account, &spec);
}

#[tokio::test]
async fn removed_functions_queues_routes_and_events_are_deleted_and_nothing_else() {
    let spec = app("apply-remove", SPEC);
    let account = Account::new().await;
    apply(&account, &spec);
    let removed = SPEC
        .split("  cleanup:")
        .next()
        .unwrap()
        .replace("  spare: {}\n", "")
        .replace("      - http: POST /items\n", "")
        .replace("      - schedule: rate(5 minutes)\n", "");
    std::fs::write(&spec, &removed).unwrap();
    let plan = slsr(&account, "plan", &spec, &["--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let mut deleted: Vec<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["action"], "delete", "{c}");
            // Hashes aside, which resources go.
            let address = c["address"].as_str().unwrap();
            address
                .rsplit_once('.')
                .filter(|(_, h)| h.len() == 8 || h.starts_with("slsr-"))
                .map_or(address.to_string(), |(a, _)| a.to_string())
        })
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            "function.cleanup",
            "log_group.cleanup",
            "permission.api",
            "permission.cleanup",
            "permission.worker",
            "queue.spare",
            "role.cleanup",
            "route[\"POST /items\"]",
            "rule.cleanup",
            "rule.worker"
        ]
    );
    let out = apply(&account, &spec);
    assert!(
        out.stdout
            .contains("0 added, 0 changed, 0 replaced, 10 destroyed"),
        "{}",
        out.stdout
    );
    assert_clean(&account, &spec);
}

#[tokio::test]
async fn without_a_terminal_apply_refuses_unless_approved() {
    let spec = app("apply-prompt", SPEC);
    let account = Account::new().await;
    let out = run(account
        .slsr()
        .arg("apply")
        .arg("-f")
        .arg(&spec)
        .stdin(std::process::Stdio::null()));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("pass --auto-approve"), "{}", out.stderr);
    let plan = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "nothing was applied");
    assert!(plan.stdout.contains("Plan: 24 to add"), "{}", plan.stdout);
}

#[tokio::test]
async fn a_failure_halfway_is_reported_and_the_next_apply_finishes_the_work() {
    let spec = app("apply-fail", SPEC);
    let account = Account::new().await;
    let upstream = crate::support::endpoint()
        .trim_start_matches("http://")
        .to_string();
    let proxy = crate::proxy::deny(&upstream, "SQS.CreateQueue").await;
    let (failing, spec2) = (account.clone(), spec.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(failing
            .slsr()
            .env("AWS_ENDPOINT_URL", proxy)
            .args(["apply", "--auto-approve", "-f"])
            .arg(spec2))
    })
    .await
    .unwrap();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("CreateQueue") && out.stderr.contains("AccessDeniedException"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("not started") && out.stderr.contains("function.api"),
        "{}",
        out.stderr
    );
    // What started went on (the roles, log groups and API need no queue); what needs the
    // queues never started. The next plan tells the truth: it adds all but what was made.
    let made = out.stdout.matches(" created in ").count();
    assert!(
        made > 0
            && !out
                .stdout
                .lines()
                .any(|l| l.contains("+ function.") && l.contains(" created in ")),
        "made {made}:\n{}",
        out.stdout
    );
    let plan = slsr(&account, "plan", &spec, &["--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    assert_eq!(
        plan["summary"]["add"],
        24 - made,
        "24 resources, {made} made"
    );
    assert_eq!(plan["summary"]["change"], 0);
    apply(&account, &spec);
    assert_clean(&account, &spec);
}

#[tokio::test]
async fn destroy_removes_everything_owned_and_nothing_else() {
    let spec = app("apply-destroy", SPEC);
    let account = Account::new().await;
    apply(&account, &spec);
    let config = account.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    sqs.create_queue()
        .queue_name("shop-dev-legacy")
        .send()
        .await
        .unwrap();
    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout.contains("Destroy complete: 24 destroyed in "),
        "{}",
        out.stdout
    );
    let plan = slsr(&account, "plan", &spec, &[]);
    assert!(
        plan.stdout
            .contains("Plan: 24 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let queues = sqs.list_queues().send().await.unwrap();
    assert_eq!(
        queues.queue_urls().len(),
        1,
        "only the unowned queue is left: {:?}",
        queues.queue_urls()
    );
    assert!(queues.queue_urls()[0].ends_with("shop-dev-legacy"));
}

#[tokio::test]
async fn a_saved_plan_is_applied_as_saved_and_refused_once_anything_moved() {
    use std::os::unix::fs::PermissionsExt;
    let spec = app("apply-saved", SPEC);
    let account = Account::new().await;
    apply(&account, &spec);
    std::fs::write(&spec, SPEC.replace("memory: 256", "memory: 384")).unwrap();
    let saved = spec.parent().unwrap().join("plan.json");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A change in the console since the plan: refused, naming it, and nothing written.
    let config = account.config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    lambda
        .update_function_configuration()
        .function_name("shop-dev-worker")
        .timeout(9)
        .send()
        .await
        .unwrap();
    let refused = run(account
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-v", "-f"])
        .arg(&spec));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("function.worker changed in the account"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stdout.contains("AWS write calls"),
        "{}",
        refused.stdout
    );

    // Planned again, then the spec edited: refused too.
    slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    std::fs::write(&spec, SPEC.replace("memory: 256", "memory: 448")).unwrap();
    let refused = run(account
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-f"])
        .arg(&spec));
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("what the spec asks for changed (its resources or outputs"),
        "{}",
        refused.stderr
    );

    // Planned again and untouched: applied exactly, without a prompt even without a terminal.
    std::fs::write(&spec, SPEC.replace("memory: 256", "memory: 384")).unwrap();
    slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    let applied = run(account
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-v", "-f"])
        .arg(&spec)
        .stdin(std::process::Stdio::null()));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied
            .stdout
            .contains("Lambda.UpdateFunctionConfiguration: 2"),
        "memory of api and timeout of worker:\n{}",
        applied.stdout
    );
    assert_clean(&account, &spec);
}

/// A saved plan knows its spec: `slsr apply FILE` from another directory, without `-f`,
/// plans with the spec it was made from (and says which), and a comment or a blank line
/// added since is no reason to refuse it. A checkout that moved with the plan is found
/// beside it.
#[tokio::test]
async fn a_saved_plan_is_applied_from_anywhere_with_its_own_spec() {
    let spec = app("apply-saved-anywhere", SPEC);
    let dir = spec.parent().unwrap().to_path_buf();
    let account = Account::new().await;
    let elsewhere = crate::support::scratch("apply-saved-elsewhere");
    let saved = elsewhere.join("p.plan");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut edited = SPEC.replace("functions:", "# what runs\nfunctions:");
    edited.push_str("\n\n");
    std::fs::write(&spec, edited).unwrap();
    let applied = run(account
        .slsr()
        .args(["apply", "p.plan"])
        .current_dir(&elsewhere));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let canonical = std::fs::canonicalize(&spec).unwrap();
    assert!(
        applied.stderr.contains(&format!(
            "Using the spec p.plan was made from: {}",
            canonical.display()
        )),
        "{}",
        applied.stderr
    );
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let api = lambda
        .get_function_configuration()
        .function_name("shop-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(api.memory_size(), Some(256));

    // The app and a plan saved inside it, moved together: found from the plan.
    std::fs::write(&spec, SPEC.replace("memory: 256", "memory: 320")).unwrap();
    let inside = dir.join("p.plan");
    let out = slsr(
        &account,
        "plan",
        &spec,
        &["--out", inside.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let moved = elsewhere.join("moved-app");
    std::fs::rename(&dir, &moved).unwrap();
    let applied = run(account
        .slsr()
        .arg("apply")
        .arg(moved.join("p.plan"))
        .current_dir(&elsewhere));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stderr.contains(&format!(
            "was made from: {}",
            moved.join("slsr.yaml").display()
        )),
        "{}",
        applied.stderr
    );
    let api = lambda
        .get_function_configuration()
        .function_name("shop-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(api.memory_size(), Some(320));

    // A plan for another stage is applied to that stage, as the plan says.
    let spec = moved.join("slsr.yaml");
    let qa = elsewhere.join("qa.plan");
    let out = slsr(
        &account,
        "plan",
        &spec,
        &["--stage", "qa", "--out", qa.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let applied = run(account
        .slsr()
        .args(["apply", "qa.plan"])
        .current_dir(&elsewhere));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(applied.stderr.contains("(stage qa;"), "{}", applied.stderr);
    lambda
        .get_function_configuration()
        .function_name("shop-qa-api")
        .send()
        .await
        .expect("the qa stage's function was made");
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[tokio::test]
async fn a_saved_plan_is_never_written_through_a_symlink() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let spec = app("saved-through-link", SPEC);
    let dir = spec.parent().unwrap().to_path_buf();
    let account = Account::new().await;
    std::fs::write(dir.join("victim.txt"), "keep me\n").unwrap();
    symlink(dir.join("victim.txt"), dir.join("plan.json")).unwrap();
    // A dangling link too: following it would create the file it names.
    symlink(dir.join("created.txt"), dir.join("dangling.json")).unwrap();
    for link in ["plan.json", "dangling.json"] {
        let out = slsr(
            &account,
            "plan",
            &spec,
            &["--out", dir.join(link).to_str().unwrap()],
        );
        assert_eq!(out.code, 1, "{link}: {}", out.stderr);
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{}", out.stderr);
        assert!(
            errors[0].contains(&format!("{link}: is a symbolic link")),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("victim.txt")).unwrap(),
        "keep me\n"
    );
    assert!(!dir.join("created.txt").exists());
    // A plain path is still created, for its owner only.
    let saved = dir.join("saved.json");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// `Service.Operation: n` counts from `-v`'s listing of calls.
fn operation_counts(text: &str) -> std::collections::BTreeMap<String, usize> {
    text.lines()
        .filter_map(|line| {
            let (op, n) = line.trim().split_once(": ")?;
            let n = n.parse::<usize>().ok()?;
            (op.contains('.') && !op.contains(' ')).then(|| (op.to_string(), n))
        })
        .collect()
}

/// A dry run's listing: each change's numbered calls, by the change's address.
pub(crate) fn dry_run_calls(text: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut calls = std::collections::BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(change) = line.strip_prefix("  ").filter(|l| !l.starts_with(' ')) {
            let address = change
                .rsplit_once(" (")
                .map_or(change, |(a, _)| a)
                .to_string();
            calls.insert(address.clone(), Vec::new());
            current = Some(address);
        } else if let Some((number, op)) = line.trim().split_once(". ")
            && number.parse::<usize>().is_ok()
        {
            let address = current.clone().expect("a call under a change");
            calls.get_mut(&address).unwrap().push(op.to_string());
        }
    }
    calls
}

/// `apply -v`'s write calls by change.
pub(crate) fn applied_calls(stdout: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    stdout
        .split("Write calls by change:\n")
        .nth(1)
        .expect("apply -v lists the calls by change")
        .lines()
        .map_while(|l| l.strip_prefix("  "))
        .map(|l| {
            let (address, calls) = l.rsplit_once(": ").unwrap_or((l.trim_end_matches(':'), ""));
            let calls = calls
                .split(", ")
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            (address.to_string(), calls)
        })
        .collect()
}

/// A table with a stream a function reads, and the changes a dry run must list as apply
/// makes them: one UpdateTable per change of the table, the mapping replaced on the new
/// stream, the table deleted (its protection off first).
const TABLES: &str = "service: shop
stage: dev
queues:
  failed: {}
tables:
  orders:
    key: {partition: pk}
    attributes: {pk: string}
    ttl: expires_at
    stream: new_image
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - dynamodb: {table: orders, batch_size: 10, filters: [{eventName: [INSERT]}], on_failure: {queue: failed}}
";

/// A spec's text at one step, with the flags its plan and apply need.
type Step = (String, &'static [&'static str]);

#[tokio::test]
async fn a_dry_run_lists_exactly_the_calls_apply_then_makes_and_makes_none() {
    let changed_tables = TABLES
        .replace("stream: new_image", "stream: new_and_old_images\n    billing: {read: 2, write: 2}\n    indexes: {by-day: {partition: day}}")
        .replace("attributes: {pk: string}\n    ttl: expires_at", "attributes: {pk: string, day: string}");
    // The app, with a bucket that triggers the worker.
    let with_bucket = SPEC
        .replace(
            "http_api:",
            "buckets:\n  uploads: {lifecycle: [{prefix: tmp/, expire_days: 7}]}\nhttp_api:",
        )
        .replace(
            "      - sqs: {queue: jobs, batch_size: 5}\n",
            "      - sqs: {queue: jobs, batch_size: 5}\n      - s3: {bucket: uploads, events: [created], prefix: in/}\n",
        );
    let changed_bucket = with_bucket
        .replace("memory: 256", "memory: 512")
        .replace("tags: {team: core}", "tags: {team: platform}")
        .replace("  spare: {}\n", "")
        .replace(
            "uploads: {lifecycle: [{prefix: tmp/, expire_days: 7}]}",
            "uploads: {versioning: true, lifecycle: [{prefix: tmp/, expire_days: 9}]}",
        )
        .replace("prefix: in/", "prefix: up/");
    let cases: [(&str, &str, Vec<Step>); 3] = [
        (
            "apply-dry",
            SPEC,
            vec![
                (SPEC.to_string(), &[]),
                (
                    SPEC.replace("memory: 256", "memory: 512")
                        .replace("tags: {team: core}", "tags: {team: platform}")
                        .replace("  spare: {}\n", ""),
                    &[],
                ),
            ],
        ),
        (
            "apply-dry-tables",
            TABLES,
            vec![
                (TABLES.to_string(), &[]),
                (changed_tables, &[]),
                // Removing a table loses its data: allowed explicitly.
                (
                    TABLES.split("tables:").next().unwrap().to_string(),
                    &["--allow-data-loss"],
                ),
            ],
        ),
        (
            "apply-dry-buckets",
            &with_bucket,
            vec![(with_bucket.clone(), &[]), (changed_bucket, &[])],
        ),
    ];
    for (name, first, steps) in cases {
        let spec = app(name, first);
        let account = Account::new().await;
        for (step, (text, flags)) in steps.iter().enumerate() {
            std::fs::write(&spec, text).unwrap();
            let mut args = vec!["--dry-run"];
            args.extend(*flags);
            let dry = slsr(&account, "apply", &spec, &args);
            assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
            let dry_text = dry
                .stdout
                .split("Dry run:")
                .nth(1)
                .expect("a dry run listing")
                .to_string();
            let planned = dry_run_calls(&dry_text);
            let mut args = vec!["--detailed-exitcode"];
            args.extend(*flags);
            let still = slsr(&account, "plan", &spec, &args);
            assert_eq!(still.code, 2, "the dry run changed nothing");
            let mut args = vec!["-v"];
            args.extend(*flags);
            let applied = applied(&account, &spec, &args);
            let written = applied_calls(&applied.stdout);
            assert_eq!(
                planned, written,
                "{name} step {step}: dry run\n{dry_text}\nvs apply\n{}",
                applied.stdout
            );
            assert!(!planned.is_empty());
            if name != "apply-dry-buckets" {
                continue;
            }
            // The bucket and its notification are among them, REST-XML calls and all.
            let bucket = if step == 0 {
                vec![
                    "S3.CreateBucket",
                    "S3.PutPublicAccessBlock",
                    "S3.PutBucketEncryption",
                    "S3.PutBucketLifecycleConfiguration",
                ]
            } else {
                vec![
                    "S3.PutBucketVersioning",
                    "S3.PutBucketLifecycleConfiguration",
                    "S3.PutBucketTagging",
                ]
            };
            assert_eq!(planned["bucket.uploads"], bucket, "step {step}");
            assert_eq!(
                planned["bucket_notification.uploads"],
                ["S3.PutBucketNotificationConfiguration"],
                "step {step}"
            );
        }
    }
}

#[tokio::test]
async fn an_apply_killed_halfway_is_completed_by_the_next_with_nothing_lost_or_twice() {
    use std::io::{BufRead, BufReader};
    let spec = app("apply-kill", SPEC);
    let account = Account::new().await;
    let upstream = crate::support::endpoint()
        .trim_start_matches("http://")
        .to_string();
    // Every call 100 ms away, as AWS is: the kill lands while changes are in flight.
    let proxy = crate::proxy::slow(&upstream, std::time::Duration::from_millis(100)).await;
    let mut child = account
        .slsr()
        .env("AWS_ENDPOINT_URL", proxy)
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let killed_after = tokio::task::spawn_blocking(move || {
        let mut done = 0;
        for line in BufReader::new(stdout).lines() {
            if line.unwrap().contains(" created in ") {
                done += 1;
                if done == 8 {
                    break;
                }
            }
        }
        // SIGKILL: no chance to clean up or to finish anything.
        let _ = child.kill();
        child.wait().unwrap();
        done
    })
    .await
    .unwrap();
    assert_eq!(killed_after, 8, "the apply was killed halfway");
    let halfway = slsr(&account, "plan", &spec, &["--format", "json"]);
    let halfway: serde_json::Value = serde_json::from_str(&halfway.stdout).unwrap();
    let (left, unfinished) = (
        halfway["summary"]["add"].as_u64().unwrap(),
        halfway["summary"]["change"].as_u64().unwrap(),
    );
    assert!(left > 0 && left < 24, "{left} of 24 left to create");
    // A resource caught between two calls (a log group made, its retention not yet set)
    // plans as an update: the truth.
    let out = apply(&account, &spec);
    assert!(
        out.stdout.contains(&format!(
            "Apply complete: {left} added, {unfinished} changed, 0 replaced, 0 destroyed"
        )),
        "{}",
        out.stdout
    );
    assert_clean(&account, &spec);
    // Nothing twice: one mapping, a statement per route and schedule, the API, its routes
    // and integration, and the rules, once each.
    let made = crate::reliability::made(&account).await;
    assert_eq!(made.counts(), (1, 4, 2, 1, 2), "{made:?}");
}

#[tokio::test]
async fn on_a_terminal_apply_shows_the_changes_in_flight() {
    let spec = app("apply-terminal", SPEC);
    let account = Account::new().await;
    // `script` gives slsr a pseudo-terminal, as a person at a shell would.
    let command = format!(
        "{} apply --auto-approve -f {}",
        env!("CARGO_BIN_EXE_slsr"),
        spec.display()
    );
    let terminal = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(
            account
                .slsr()
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env_remove("NO_COLOR")
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&terminal.stdout);
    assert!(terminal.status.success(), "{text}");
    assert!(
        text.contains("creating"),
        "a spinner line for a change in flight:\n{text}"
    );
    assert!(
        text.contains("+ function.api created in") && text.contains("Apply complete: 24 added"),
        "{text}"
    );
}

#[test]
fn the_ci_examples_are_valid_yaml_using_slsrs_ci_flags() {
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples/ci")
                .join(file),
        )
        .unwrap();
        let (root, problems) =
            slsr::spec::yaml::parse(&text).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert!(
            root.is_some() && problems.is_empty(),
            "{file}: {problems:?}"
        );
        for used in [
            "--detailed-exitcode",
            "--format markdown",
            "--out slsr.plan",
            "slsr apply slsr.plan",
        ] {
            assert!(text.contains(used), "{file} should use `{used}`");
        }
    }
}

#[tokio::test]
async fn replacing_a_zip_function_with_an_image_brings_its_triggers_back_in_one_apply() {
    let zip = "service: shop\nqueues:\n  jobs: {visibility_timeout: 60}\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    provisioned_concurrency: 1\n    events:\n      - http: GET /x\n      - sqs: {queue: jobs}\n";
    let spec = app("apply-replace", zip);
    let account = Account::new().await;
    apply(&account, &spec);
    let image = zip.replace(
        "    handler: index.handler\n    runtime: python3.12\n    code: ./src\n",
        "    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1\n",
    );
    std::fs::write(&spec, image).unwrap();
    let plan = slsr(&account, "plan", &spec, &["--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let replaced: Vec<(&str, Option<&str>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "replace")
        .map(|c| (c["kind"].as_str().unwrap(), c["reason"].as_str()))
        .collect();
    assert!(replaced.contains(&("function", None)), "{replaced:?}");
    for kind in ["alias", "permission", "event_source_mapping"] {
        assert!(
            replaced.contains(&(kind, Some("replaced with function.api"))),
            "{kind} not replaced with the function: {replaced:?}"
        );
    }
    apply(&account, &spec);
    assert_clean(&account, &spec);
}

/// More of each kind than a page of the emulator's listings holds (scripts/test makes a
/// page one item): functions, roles, log groups, queues and mappings, rules, routes,
/// integrations, authorizers and published outputs.
const PAGED: &str = "service: paged
stage: dev
queues:
  jobs: {}
  mail: {}
http_api:
  authorizers:
    users: {jwt: {issuer: 'https://issuer.example.com', audience: [web]}}
    admins: {jwt: {issuer: 'https://issuer.example.com', audience: [admin]}}
    partners: {jwt: {issuer: 'https://partners.example.com', audience: [api]}}
outputs:
  api_url: {value: '${http_api.url}', ssm: /paged/dev/api_url}
  jobs_url: {value: '${queue:jobs.url}', ssm: /paged/dev/jobs_url}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: GET /me, auth: users}
      - http: {route: GET /admin, auth: admins}
      - http: GET /health
  partners:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: POST /orders, auth: partners}
      - http: GET /catalog
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sqs: {queue: jobs}
      - schedule: rate(5 minutes)
  mailer:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sqs: {queue: mail}
      - schedule: rate(1 hour)
";

#[tokio::test]
async fn more_of_each_kind_than_a_page_applies_and_then_plans_clean() {
    let spec = app("apply-paged", PAGED);
    let account = Account::new().await;
    let config = account.config().await;
    // Someone else's HTTP APIs, listed before slsr's (the emulator lists by name).
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    for name in ["aa-other-0", "aa-other-1"] {
        apigw
            .create_api()
            .name(name)
            .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
            .send()
            .await
            .unwrap();
    }
    apply(&account, &spec);
    // Targets someone added to slsr's worker rule, listed before and after its own (`slsr`).
    let events = aws_sdk_eventbridge::Client::new(&config);
    let rules = events
        .list_rules()
        .name_prefix("paged-dev-worker-")
        .send()
        .await
        .unwrap();
    let rule = rules.rules()[0].name().unwrap().to_string();
    let mailer = aws_sdk_lambda::Client::new(&config)
        .get_function()
        .function_name("paged-dev-mailer")
        .send()
        .await
        .unwrap()
        .configuration
        .unwrap()
        .function_arn
        .unwrap();
    for id in ["aaa-audit", "zzz-audit"] {
        events
            .put_targets()
            .rule(&rule)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id(id)
                    .arn(&mailer)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode", "-v"]);
    assert_eq!(
        out.code, 0,
        "a read that stops at a page plans what it missed:\n{}{}",
        out.stdout, out.stderr
    );
    // Each listing took the pages its items need (more than one, with small pages).
    let calls = operation_counts(&out.stderr);
    for (operation, items) in [
        ("Lambda.ListFunctions", 4),
        ("IAM.GetAccountAuthorizationDetails", 4),
        ("SQS.ListQueues", 2),
        ("Lambda.ListEventSourceMappings", 2),
        ("EventBridge.ListRules", 2),
        ("ApiGatewayV2.GetApis", 3),
        ("ApiGatewayV2.GetRoutes", 5),
        ("ApiGatewayV2.GetIntegrations", 2),
        ("ApiGatewayV2.GetAuthorizers", 3),
        ("SSM.DescribeParameters", 2),
    ] {
        assert_eq!(
            calls[operation],
            pages(items),
            "{operation}:\n{}",
            out.stderr
        );
    }
    // The functions' log groups in pages, and one page of no state machine's group.
    assert_eq!(
        calls["CloudWatchLogs.DescribeLogGroups"],
        pages(4) + 1,
        "{}",
        out.stderr
    );
    // The worker's rule has three targets, the mailer's one.
    assert_eq!(
        calls["EventBridge.ListTargetsByRule"],
        pages(3) + pages(1),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn the_notes_example_deploys_and_then_plans_clean() {
    // The example as it is in the repository, its code included.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/notes/slsr.yaml");
    let account = Account::new().await;
    applied(&account, &spec, &[]);
    let clean = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let config = account.config().await;
    let table = aws_sdk_dynamodb::Client::new(&config)
        .describe_table()
        .table_name("notes-dev-notes")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table.latest_stream_arn().is_some());
    let mappings = aws_sdk_lambda::Client::new(&config)
        .list_event_source_mappings()
        .function_name("notes-dev-changes")
        .send()
        .await
        .unwrap();
    assert_eq!(
        mappings.event_source_mappings()[0].event_source_arn(),
        table.latest_stream_arn()
    );
}
