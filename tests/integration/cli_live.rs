//! The command line against the emulator, as a new user meets it: the spec's region wins
//! over the shell's, destroy speaks for itself, `echo yes | slsr apply` is an answer, and
//! `--target` plans and applies one resource with what it needs. What landed where is read
//! back with plain SDK calls.

use std::io::Write;
use std::process::{Command, Stdio};

use aws_config::{Region, SdkConfig};

use crate::support::{Account, Run, app, applied, assert_clean, destroyed, slsr_on};

/// `cmd` with `input` on its stdin (then closed), as `echo yes | slsr ...` runs it.
pub(crate) fn run_with_stdin(cmd: &mut Command, input: &str) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("slsr starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn in_region(config: &SdkConfig, region: &'static str) -> SdkConfig {
    config.to_builder().region(Region::new(region)).build()
}

async fn function_exists(config: &SdkConfig, name: &str) -> bool {
    aws_sdk_lambda::Client::new(config)
        .get_function()
        .function_name(name)
        .send()
        .await
        .is_ok()
}

/// `region: eu-west-1` in the spec and AWS_REGION=us-east-1 in the shell: everything goes
/// to eu-west-1, and each command that connects says which region won.
#[tokio::test]
async fn the_specs_region_wins_over_the_environments() {
    let spec = app(
        "spec-region",
        "service: far\nregion: eu-west-1\nqueues:\n  jobs: {}\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n",
    );
    let account = Account::new().await;
    let warning = "warning: the spec's region eu-west-1 is used; AWS_REGION says us-east-1";
    // Account::slsr sets AWS_REGION=us-east-1.
    let out = applied(&account, &spec, &[]);
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    assert!(
        out.stdout.contains("in account") && out.stdout.contains("eu-west-1"),
        "{}",
        out.stdout
    );
    let config = account.config().await;
    let (eu, us) = (
        in_region(&config, "eu-west-1"),
        in_region(&config, "us-east-1"),
    );
    assert!(
        function_exists(&eu, "far-dev-api").await,
        "in the spec's region"
    );
    assert!(
        !function_exists(&us, "far-dev-api").await,
        "not in AWS_REGION's"
    );
    let queues = aws_sdk_sqs::Client::new(&eu)
        .list_queues()
        .send()
        .await
        .unwrap();
    assert_eq!(queues.queue_urls().len(), 1, "{:?}", queues.queue_urls());

    for command in ["plan", "outputs"] {
        let out = slsr_on(&account, command, &spec, &[]);
        assert_eq!(out.code, 0, "{command}: {}", out.stderr);
        assert!(out.stderr.contains(warning), "{command}: {}", out.stderr);
    }
    let plan = slsr_on(&account, "plan", &spec, &[]);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let who = crate::support::run(account.slsr().arg("whoami").arg("-f").arg(&spec));
    assert!(who.stdout.contains("region: eu-west-1"), "{}", who.stdout);
    // --region is the one thing over the spec, and says nothing.
    let flag = slsr_on(&account, "plan", &spec, &["-r", "us-east-1"]);
    assert!(!flag.stderr.contains("warning"), "{}", flag.stderr);
    assert!(flag.stdout.contains("+ function.api"), "{}", flag.stdout);

    let gone = destroyed(&account, &spec, &[]);
    assert!(gone.stderr.contains(warning), "{}", gone.stderr);
    assert!(
        !function_exists(&eu, "far-dev-api").await,
        "destroyed where it was"
    );
}

const DATA_SPEC: &str = "service: bin
queues:
  jobs: {}
tables:
  notes:
    key: {partition: pk}
    attributes: {pk: string}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

/// Destroy asks in its own words, names what holds data before it asks, sums up in its own
/// words, and says "Nothing to destroy." when slsr owns nothing more.
#[tokio::test]
async fn destroy_speaks_for_itself() {
    let spec = app("destroy-words", DATA_SPEC);
    let account = Account::new().await;
    applied(&account, &spec, &[]);
    let config = account.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let url = sqs
        .get_queue_url()
        .queue_name("bin-dev-jobs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for body in ["one", "two"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    // No terminal and nothing on stdin: refused in destroy's words.
    let refused = slsr_on(&account, "destroy", &spec, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("not destroying without confirmation")
            && refused.stderr.contains("--auto-approve to destroy"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("apply"), "{}", refused.stderr);
    assert!(function_exists(&config, "bin-dev-api").await);

    let piped = run_with_stdin(account.slsr().args(["destroy", "-f"]).arg(&spec), "yes\n");
    assert_eq!(piped.code, 0, "{}{}", piped.stdout, piped.stderr);
    let out = &piped.stdout;
    let note = out
        .find("These hold data that is deleted with them")
        .unwrap_or_else(|| panic!("{out}"));
    let planned: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("Plan: 0 to add, 0 to change, 0 to replace, "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    let question = out
        .find(&format!(
            "Destroy these {planned} resources? Only 'yes' is accepted"
        ))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        note < question,
        "the note comes before the question:\n{out}"
    );
    assert!(
        out.contains("  queue.jobs (bin-dev-jobs): 2 messages")
            && out.contains("  log_group.api (/aws/lambda/bin-dev-api): the function's logs"),
        "{out}"
    );
    assert!(
        out.contains("= table.notes  bin-dev-notes")
            && !out.contains("table.notes (bin-dev-notes)"),
        "the table is kept, not named as lost:\n{out}"
    );
    assert!(
        out.contains(&format!("Destroy complete: {planned} destroyed in ")),
        "{out}"
    );
    assert!(!out.contains("Apply complete"), "{out}");
    assert!(!function_exists(&config, "bin-dev-api").await);

    let again = destroyed(&account, &spec, &[]);
    assert!(
        again.stdout.contains("Nothing to destroy.")
            && again.stdout.contains("= table.notes  bin-dev-notes"),
        "{}",
        again.stdout
    );
    assert!(
        !again.stdout.contains("matches the spec"),
        "{}",
        again.stdout
    );
}

/// `echo yes | slsr apply` applies as Terraform's does; any other line, or an empty
/// closed stdin, changes nothing.
#[tokio::test]
async fn a_yes_on_stdin_is_an_answer() {
    let spec = app(
        "piped-yes",
        "service: pipe\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n",
    );
    let account = Account::new().await;
    let config = account.config().await;
    let apply =
        |input: &str| run_with_stdin(account.slsr().args(["apply", "-f"]).arg(&spec), input);

    let no = apply("no\n");
    assert_eq!(no.code, 1, "{}{}", no.stdout, no.stderr);
    assert!(no.stdout.contains("Nothing was changed."), "{}", no.stdout);
    let empty = apply("");
    assert_eq!(empty.code, 1, "{}{}", empty.stdout, empty.stderr);
    assert!(
        empty.stderr.contains("not applying without confirmation")
            && empty.stderr.contains("--auto-approve"),
        "{}",
        empty.stderr
    );
    assert!(!function_exists(&config, "pipe-dev-api").await);

    let yes = apply("yes\n");
    assert_eq!(yes.code, 0, "{}{}", yes.stdout, yes.stderr);
    assert!(
        yes.stdout
            .contains("Apply these changes? Only 'yes' is accepted: yes\n")
            && yes.stdout.contains("Apply complete: "),
        "{}",
        yes.stdout
    );
    assert!(function_exists(&config, "pipe-dev-api").await);
}

const TWO: &str = "service: two
queues:
  jobs: {}
functions:
  a:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env: {QUEUE: '${queue:jobs.url}'}
  b:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

fn addresses(plan_json: &str) -> Vec<String> {
    let plan: serde_json::Value = serde_json::from_str(plan_json).unwrap();
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

/// `--target function.a` plans and applies function a with its role, log group and the
/// queue its environment names, and nothing of b; a saved targeted plan needs the same
/// `--target` on apply; an unknown address is an error naming the nearest.
#[tokio::test]
async fn target_plans_and_applies_one_resource_and_what_it_needs() {
    let spec = app("target", TWO);
    let account = Account::new().await;
    let config = account.config().await;
    let plan = slsr_on(
        &account,
        "plan",
        &spec,
        &["--target", "function.a", "--format", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let mut planned = addresses(&plan.stdout);
    planned.sort();
    assert_eq!(
        planned,
        ["function.a", "log_group.a", "queue.jobs", "role.a"],
        "{}",
        plan.stdout
    );
    assert!(plan.stderr.contains("Targeted: "), "{}", plan.stderr);
    let text = slsr_on(&account, "plan", &spec, &["--target", "function.a"]);
    assert!(
        text.stdout.contains("Plan: 4 to add")
            && text
                .stdout
                .contains("Targeted: this plan holds only function.a"),
        "{}",
        text.stdout
    );

    let out = applied(&account, &spec, &["--target", "function.a"]);
    assert!(
        out.stdout.contains("Apply complete: 4 added"),
        "{}",
        out.stdout
    );
    assert!(function_exists(&config, "two-dev-a").await);
    assert!(!function_exists(&config, "two-dev-b").await);

    // A saved targeted plan: apply must be given the same target.
    let saved = spec.parent().unwrap().join("b.plan");
    let plan = slsr_on(
        &account,
        "plan",
        &spec,
        &["--target", "function.b", "--out", saved.to_str().unwrap()],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let bare = slsr_on(&account, "apply", &spec, &[saved.to_str().unwrap()]);
    assert_eq!(bare.code, 1, "{}", bare.stdout);
    assert!(
        bare.stderr
            .contains("it was planned with --target function.b, and this apply has no --target"),
        "{}",
        bare.stderr
    );
    let same = slsr_on(
        &account,
        "apply",
        &spec,
        &[saved.to_str().unwrap(), "--target", "function.b"],
    );
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(function_exists(&config, "two-dev-b").await);
    assert_clean(&account, &spec);

    let unknown = slsr_on(&account, "plan", &spec, &["--target", "function.c"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("--target `function.c`: no such resource in the spec or the account; did you mean `function.a`?"),
        "{}",
        unknown.stderr
    );
}
