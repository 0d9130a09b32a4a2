//! slsr never touches what it does not own, whatever a saved plan file, the account or a
//! neighbour team's resources say: tried as an attacker and as a careless neighbour would,
//! through the real binary against the emulator, with the ground truth read back by plain
//! SDK calls.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Account, Run, app, run};

fn slsr(account: &Account, command: &str, spec: &Path, extra: &[&str]) -> Run {
    run(account.slsr().arg(command).arg("-f").arg(spec).args(extra))
}

fn apply(account: &Account, spec: &Path) -> Run {
    let out = slsr(account, "apply", spec, &["--auto-approve"]);
    assert_eq!(out.code, 0, "apply failed:\n{}{}", out.stdout, out.stderr);
    out
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
        r#"{"format": "slsr-saved-plan/2", "plan": {"changes": [{"action": "delete"}]}}"#
            .to_string(),
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
