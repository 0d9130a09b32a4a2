//! slsr never touches what it does not own, whatever a saved plan file, the account or a
//! neighbour team's resources say: tried as an attacker and as a careless neighbour would,
//! through the real binary against the emulator, with the ground truth read back by plain
//! SDK calls.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Account, Run, app, applied, destroyed, run, slsr_on as slsr};

fn apply(account: &Account, spec: &Path) -> Run {
    applied(account, spec, &[])
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A zip holding one Python handler, made without slsr's packager.
fn handler_zip() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("index.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"def handler(event, context):\n    return 1\n")
        .unwrap();
    zip.finish().unwrap().into_inner()
}

/// A neighbour team's function, role and queue in the same account, without slsr's tags.
async fn neighbours(config: &aws_config::SdkConfig, account: &str) {
    let iam = aws_sdk_iam::Client::new(config);
    for role in ["neighbour-role", "neighbour-admin"] {
        iam.create_role()
            .role_name(role)
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    aws_sdk_lambda::Client::new(config)
        .create_function()
        .function_name("neighbour-fn")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(format!("arn:aws:iam::{account}:role/neighbour-role"))
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(handler_zip()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    aws_sdk_sqs::Client::new(config)
        .create_queue()
        .queue_name("neighbour-q")
        .send()
        .await
        .unwrap();
}

/// The neighbour's resources are exactly as made: nothing deleted, nothing rewritten.
async fn neighbours_untouched(config: &aws_config::SdkConfig, account: &str) {
    let f = aws_sdk_lambda::Client::new(config)
        .get_function_configuration()
        .function_name("neighbour-fn")
        .send()
        .await
        .expect("the neighbour's function still exists");
    assert_eq!(f.memory_size(), Some(128), "{f:?}");
    assert_eq!(
        f.role(),
        Some(format!("arn:aws:iam::{account}:role/neighbour-role").as_str())
    );
    assert!(
        f.environment()
            .and_then(|e| e.variables())
            .is_none_or(|v| v.is_empty()),
        "{f:?}"
    );
    let iam = aws_sdk_iam::Client::new(config);
    iam.get_role()
        .role_name("neighbour-role")
        .send()
        .await
        .expect("the neighbour's role still exists");
    aws_sdk_sqs::Client::new(config)
        .get_queue_url()
        .queue_name("neighbour-q")
        .send()
        .await
        .expect("the neighbour's queue still exists");
}

const SAVED: &str = "service: own
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    memory: 256
    env: {FOO: bar, API_TOKEN: ghp_16C7e42F292c6912E7710c838347Ae178B4a}
";

/// Rewrites a saved plan's JSON with `edit`, applies it, and returns the run.
fn apply_edited(
    account: &Account,
    spec: &Path,
    saved: &Path,
    original: &Value,
    edit: impl FnOnce(&mut Value),
) -> Run {
    let mut plan = original.clone();
    edit(&mut plan);
    let edited = saved.with_file_name("edited.plan");
    std::fs::write(&edited, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    run(account
        .slsr()
        .args(["apply", edited.to_str().unwrap(), "-v", "-f"])
        .arg(spec))
}

fn change_mut<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["plan"]["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("no change to {address}"))
}

#[tokio::test]
async fn an_edited_saved_plan_is_refused_and_touches_nothing() {
    let spec = app("own-saved", SAVED);
    let account = Account::new().await;
    let config = account.config().await;
    neighbours(&config, &account.id).await;
    apply(&account, &spec);
    std::fs::write(&spec, SAVED.replace("memory: 256", "memory: 512")).unwrap();
    let saved = spec.with_file_name("saved.plan");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !text.contains("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        "a token in the saved plan:\n{text}"
    );
    let original: Value = serde_json::from_str(&text).unwrap();

    // Deletions of a neighbour's function, queue and role appended to the file.
    let refused = apply_edited(&account, &spec, &saved, &original, |plan| {
        let changes = plan["plan"]["changes"].as_array_mut().unwrap();
        for (kind, key, name) in [
            ("function", "victim", "neighbour-fn"),
            ("queue", "victim", "neighbour-q"),
            ("role", "victim", "neighbour-role"),
        ] {
            changes.push(json!({
                "address": format!("{kind}.{key}"), "kind": kind, "name": name,
                "action": "delete", "diffs": [],
                "before": {"kind": kind, "key": key, "name": name, "attrs": {}},
                "after": null,
            }));
        }
    });
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("it plans to delete function.victim"),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stdout.contains("AWS write calls"),
        "{}",
        refused.stdout
    );

    // Only the name changed: the review showed function.api, the file names another.
    let refused = apply_edited(&account, &spec, &saved, &original, |plan| {
        let api = change_mut(plan, "function.api");
        api["name"] = json!("neighbour-fn");
        api["after"]["name"] = json!("neighbour-fn");
    });
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("function.api"),
        "{}",
        refused.stderr
    );

    // An admin role slipped into the desired function, with no diff to show it.
    let admin = format!("arn:aws:iam::{}:role/neighbour-admin", account.id);
    let refused = apply_edited(&account, &spec, &saved, &original, |plan| {
        change_mut(plan, "function.api")["after"]["attrs"]["role"] = json!(admin);
    });
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("function.api: what it would make differs"),
        "{}",
        refused.stderr
    );

    // Said to be from another account.
    let refused = apply_edited(&account, &spec, &saved, &original, |plan| {
        plan["account"] = json!("111111111111");
    });
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("made in account 111111111111"),
        "{}",
        refused.stderr
    );

    // Truncated, or edited into another shape: one line, exit 1, never a panic.
    for broken in [
        text[..text.len() / 2].to_string(),
        format!(
            r#"{{"format": "{}", "plan": {{"changes": [{{"action": "delete"}}]}}}}"#,
            slsr::engine::saved::FORMAT
        ),
        text.replace("\"before\": {", "\"before\": [{")
            .replacen("\"kind\"", "\"kinds\"", 1),
        "[]".to_string(),
    ] {
        std::fs::write(saved.with_file_name("broken.plan"), &broken).unwrap();
        let out = run(account
            .slsr()
            .args(["apply", "broken.plan", "-f"])
            .arg(&spec)
            .current_dir(spec.parent().unwrap()));
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("not a saved slsr plan"),
            "{}",
            out.stderr
        );
    }

    neighbours_untouched(&config, &account.id).await;
    let api = aws_sdk_lambda::Client::new(&config)
        .get_function_configuration()
        .function_name("own-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(api.memory_size(), Some(256), "nothing was applied");
    assert!(api.role().unwrap().contains(":role/slsr/own/dev/"));

    // The file as saved applies.
    let applied = run(account
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-f"])
        .arg(&spec));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
}

/// The spec path a saved plan records is user input too: edited to point at another file,
/// it is refused before slsr reads a byte there, and nothing is applied.
#[tokio::test]
async fn an_edited_spec_path_in_a_saved_plan_is_refused_and_never_read() {
    let spec = app("own-saved-origin", SAVED);
    let account = Account::new().await;
    let saved = spec.with_file_name("saved.plan");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Another spec, whose text would show in a diagnostic if slsr loaded it.
    let other = spec.with_file_name("other.yaml");
    std::fs::write(&other, "service: [PRIVATE-MARKER\n").unwrap();
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    plan["origin"]["spec"] = json!(other.to_str().unwrap());
    let edited = spec.with_file_name("edited.plan");
    std::fs::write(&edited, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    let out = run(account
        .slsr()
        .arg("apply")
        .arg(&edited)
        .current_dir(std::env::temp_dir()));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("the spec path in it is not the one slsr wrote with this plan key")
            && !out.stderr.contains("PRIVATE-MARKER"),
        "{}",
        out.stderr
    );
    let functions = aws_sdk_lambda::Client::new(&account.config().await)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(functions.functions().is_empty(), "nothing was applied");
}

#[tokio::test]
async fn a_plan_saved_in_one_account_is_refused_in_another() {
    let spec = app("own-accounts", SAVED);
    let (first, second) = (Account::new().await, Account::new().await);
    let saved = spec.with_file_name("first.plan");
    let out = slsr(&first, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let refused = run(second
        .slsr()
        .args(["apply", saved.to_str().unwrap(), "-f"])
        .arg(&spec));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "it was made in account {}, and these credentials are for account {}",
            first.id, second.id
        )),
        "{}",
        refused.stderr
    );
    let functions = aws_sdk_lambda::Client::new(&second.config().await)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(
        functions.functions().is_empty(),
        "nothing made in the second account"
    );
}

/// slsr's tags, as a plain map for SDK calls that take one.
fn our_tags(service: &str) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        ("slsr:service".to_string(), service.to_string()),
        ("slsr:stage".to_string(), "dev".to_string()),
    ])
}

const WORKER: &str = "service: own
queues:
  jobs: {visibility_timeout: 60}
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    log_retention_days: 14
    events:
      - sqs: {queue: jobs}
      - schedule: rate(5 minutes)
";

#[tokio::test]
async fn another_teams_trigger_on_an_owned_function_is_kept_by_plan_apply_and_destroy() {
    let spec = app("own-mapping", WORKER);
    let account = Account::new().await;
    let config = account.config().await;
    apply(&account, &spec);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = sqs
        .create_queue()
        .queue_name("other-team-q")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let lambda = aws_sdk_lambda::Client::new(&config);
    let theirs = lambda
        .create_event_source_mapping()
        .function_name("own-dev-worker")
        .event_source_arn(&arn)
        .send()
        .await
        .unwrap()
        .uuid
        .unwrap();

    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(out.code, 0, "nothing to do:\n{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("= event_source_mapping.worker.other-team-q"),
        "shown as kept:\n{}",
        out.stdout
    );
    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout.contains("other-team-q"),
        "destroy says what stays:\n{}",
        out.stdout
    );
    let mapping = lambda
        .get_event_source_mapping()
        .uuid(&theirs)
        .send()
        .await
        .expect("the other team's mapping is still there");
    assert_eq!(mapping.event_source_arn(), Some(arn.as_str()));
}

#[tokio::test]
async fn someone_elses_log_group_keeps_its_retention_and_survives_destroy() {
    let spec = app("own-logs", WORKER);
    let account = Account::new().await;
    let config = account.config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let group = "/aws/lambda/own-dev-worker";
    let foreign = |logs: aws_sdk_cloudwatchlogs::Client| async move {
        logs.create_log_group()
            .log_group_name(group)
            .tags("owner", "platform-team")
            .send()
            .await
            .unwrap();
        logs.put_retention_policy()
            .log_group_name(group)
            .retention_in_days(3653)
            .send()
            .await
            .unwrap();
    };
    let retention = |logs: aws_sdk_cloudwatchlogs::Client| async move {
        logs.describe_log_groups()
            .log_group_name_prefix(group)
            .send()
            .await
            .unwrap()
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(group))
            .and_then(|g| g.retention_in_days())
    };
    foreign(logs.clone()).await;

    // The spec wants the group with 14 days: it is someone else's, a conflict.
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("! log_group.worker"), "{}", out.stdout);
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(retention(logs.clone()).await, Some(3653));

    // Deployed with slsr's own group, then the group replaced by someone else's: destroy
    // deletes everything slsr owns and keeps the group, saying so.
    logs.delete_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    apply(&account, &spec);
    logs.delete_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    foreign(logs.clone()).await;
    let out = destroyed(&account, &spec, &[]);
    assert!(out.stdout.contains("= log_group.worker"), "{}", out.stdout);
    assert_eq!(
        retention(logs.clone()).await,
        Some(3653),
        "the group stays as it was"
    );
    let functions = aws_sdk_lambda::Client::new(&config)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(functions.functions().is_empty(), "the function went");
}

#[tokio::test]
async fn a_rule_with_someone_elses_target_loses_only_slsrs_target_and_tags() {
    let spec = app("own-rule", WORKER);
    let account = Account::new().await;
    let config = account.config().await;
    apply(&account, &spec);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let rules = events
        .list_rules()
        .name_prefix("own-dev-worker-")
        .send()
        .await
        .unwrap();
    let rule = rules.rules()[0].clone();
    let name = rule.name().unwrap().to_string();
    let audit = aws_sdk_eventbridge::types::Target::builder()
        .id("audit")
        .arn(format!("arn:aws:sqs:us-east-1:{}:audit-queue", account.id))
        .build()
        .unwrap();
    events
        .put_targets()
        .rule(&name)
        .targets(audit)
        .send()
        .await
        .unwrap();

    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("target audit"), "kept:\n{}", out.stdout);

    // The schedule leaves the spec: slsr's target and tags go, the rule stays for theirs.
    std::fs::write(
        &spec,
        WORKER.replace("      - schedule: rate(5 minutes)\n", ""),
    )
    .unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    assert!(
        out.stdout.contains("slsr removes only its own part"),
        "{}",
        out.stdout
    );
    apply(&account, &spec);
    let targets = events
        .list_targets_by_rule()
        .rule(&name)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = targets.targets().iter().map(|t| t.id()).collect();
    assert_eq!(ids, ["audit"]);
    let tags = events
        .list_tags_for_resource()
        .resource_arn(rule.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags().iter().all(|t| !t.key().starts_with("slsr:")),
        "{tags:?}"
    );
    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(
        out.code, 0,
        "handed over, so left alone:\n{}{}",
        out.stdout, out.stderr
    );
}

const API: &str = "service: own
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: GET /items
";

#[tokio::test]
async fn two_owned_apis_of_one_service_are_a_conflict_and_destroy_deletes_both() {
    let spec = app("own-two-apis", API);
    let account = Account::new().await;
    let apigw = aws_sdk_apigatewayv2::Client::new(&account.config().await);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let made = apigw
            .create_api()
            .name("own-dev")
            .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
            .set_tags(Some(our_tags("own")))
            .send()
            .await
            .unwrap();
        ids.push(made.api_id.unwrap());
    }
    for _ in 0..3 {
        let out = slsr(&account, "plan", &spec, &[]);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains("! http_api.api")
                && ids.iter().all(|id| out.stdout.contains(id.as_str())),
            "{}",
            out.stdout
        );
    }
    destroyed(&account, &spec, &[]);
    let left = apigw.get_apis().send().await.unwrap();
    assert!(left.items().is_empty(), "{:?}", left.items());
}

#[tokio::test]
async fn a_standard_and_a_fifo_queue_of_one_name_are_a_conflict() {
    let spec = app(
        "own-two-queues",
        "service: own\nqueues:\n  jobs: {}\nfunctions:\n  api: {handler: index.handler, runtime: python3.12, code: ./src}\n",
    );
    let account = Account::new().await;
    let sqs = aws_sdk_sqs::Client::new(&account.config().await);
    for (name, fifo) in [("own-dev-jobs", false), ("own-dev-jobs.fifo", true)] {
        let mut create = sqs
            .create_queue()
            .queue_name(name)
            .set_tags(Some(our_tags("own")));
        if fifo {
            create = create.attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true");
        }
        create.send().await.unwrap();
    }
    for _ in 0..3 {
        let out = slsr(&account, "plan", &spec, &[]);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains("own-dev-jobs, own-dev-jobs.fifo")
                || out.stdout.contains("own-dev-jobs.fifo, own-dev-jobs"),
            "{}",
            out.stdout
        );
    }
}

#[tokio::test]
async fn two_applies_at_once_without_a_lock_leave_no_duplicate_unseen() {
    for trial in 0..3 {
        let spec = app(&format!("own-race-{trial}"), API);
        let account = Account::new().await;
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let mut cmd = account.slsr();
                cmd.args(["apply", "--auto-approve", "-f"]).arg(&spec);
                std::thread::spawn(move || run(&mut cmd))
            })
            .collect();
        for r in runs {
            r.join().unwrap();
        }
        let apis = aws_sdk_apigatewayv2::Client::new(&account.config().await)
            .get_apis()
            .send()
            .await
            .unwrap();
        let out = slsr(&account, "plan", &spec, &[]);
        match apis.items().len() {
            1 => {}
            2 => {
                assert_eq!(
                    out.code, 1,
                    "two APIs and a plan that does not say so:\n{}",
                    out.stdout
                );
                assert!(out.stdout.contains("! http_api.api"), "{}", out.stdout);
            }
            n => panic!("{n} APIs"),
        }
    }
}
