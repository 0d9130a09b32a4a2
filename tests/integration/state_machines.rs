//! Step Functions state machines end to end through the real binary against the emulator:
//! planned from empty, applied, read back clean (also once AWS's copy of the definition
//! differs only in whitespace and key order), a definition change shown as the line diff
//! that names the changed state, a type change as a replacement, removal; the generated
//! role naming exactly its functions; a rule starting a machine through its own role; the
//! `access` grant to start one; and definitions that validation refuses. Ground truth comes
//! from plain SDK calls and literal values.

use std::path::Path;

use serde_json::{Value, json};

use crate::ground_truth::{env_of, grants, path_and_trust, sorted};
use crate::support::{
    Account, app, applied, applied_clean, apply_change, assert_clean, has_all, pages,
    planned_changes, run, slsr, slsr_on,
};

/// Plans `spec` in `format`, which must have changes: the plan's output.
fn planned(account: &Account, spec: &Path, format: &str) -> String {
    planned_changes(account, spec, &["--format", format])
}

/// The trust policy's principal service of a role.
async fn trusted(iam: &aws_sdk_iam::Client, role: &str) -> Value {
    let (path, trust) = path_and_trust(iam, role).await;
    assert_eq!(path, "/slsr/sm/dev/");
    trust["Statement"][0]["Principal"]["Service"].clone()
}

const DEFINITION: &str = r#"{
  "Comment": "fulfil an order",
  "StartAt": "Charge",
  "States": {
    "Charge": {
      "Type": "Task",
      "Resource": "${function:worker.arn}",
      "Next": "Notify"
    },
    "Notify": {
      "Type": "Task",
      "Resource": "arn:aws:states:::states:startExecution",
      "Parameters": {"StateMachineArn": "${state_machine:child.arn}", "Input": {"from": "${service}"}},
      "End": true
    }
  }
}
"#;

const SPEC: &str = "service: sm
state_machines:
  fulfil:
    definition: ./fulfil.asl.json
    logging: {level: error}
    tracing: active
    log_retention_days: 7
    tags: {flow: orders}
  child:
    type: express
    definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
functions:
  worker: {handler: index.handler, runtime: python3.12, code: ./src}
  other: {handler: index.handler, runtime: python3.12, code: ./src}
";

#[tokio::test]
async fn a_state_machine_is_made_read_back_changed_replaced_and_removed() {
    let spec = app("state-machines-lifecycle", SPEC);
    let dir = spec.parent().unwrap().to_path_buf();
    std::fs::write(dir.join("fulfil.asl.json"), DEFINITION).unwrap();
    let account = Account::new().await;
    let config = account.config().await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let id = account.id.clone();
    let machine = format!("arn:aws:states:us-east-1:{id}:stateMachine:sm-dev-fulfil");
    let child = format!("arn:aws:states:us-east-1:{id}:stateMachine:sm-dev-child");
    let worker = format!("arn:aws:lambda:us-east-1:{id}:function:sm-dev-worker");
    let other = format!("arn:aws:lambda:us-east-1:{id}:function:sm-dev-other");

    let first = planned(&account, &spec, "text");
    has_all(
        &first,
        &[
            "+ state_machine.fulfil  sm-dev-fulfil",
            "+ state_machine.child  sm-dev-child",
            "+ role.fulfil.states  sm-dev-fulfil.states",
            "+ log_group.fulfil.states  /aws/vendedlogs/states/sm-dev-fulfil",
            "+ type = \"EXPRESS\"",
            "+ logging.level = \"ERROR\"",
            "+ tracing = true",
            &format!("\"Resource\": \"{worker}\","),
            &format!("\"StateMachineArn\": \"{child}\","),
            "Plan: 11 to add, 0 to change, 0 to replace, 0 to destroy.",
        ],
    );
    applied_clean(&account, &spec, &[]);
    // The two machines come in pages: a read that stopped at the first would plan the other.
    let out = slsr_on(&account, "plan", &spec, &["-v"]);
    assert!(
        out.stderr
            .contains(&format!("SFN.ListStateMachines: {}", pages(2))),
        "{}",
        out.stderr
    );

    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(described.r#type().as_str(), "STANDARD");
    assert_eq!(
        described.role_arn(),
        format!("arn:aws:iam::{id}:role/slsr/sm/dev/sm-dev-fulfil.states")
    );
    let stored: Value = serde_json::from_str(described.definition()).unwrap();
    assert_eq!(stored["States"]["Charge"]["Resource"], json!(worker));
    assert_eq!(
        stored["States"]["Notify"]["Parameters"],
        json!({"StateMachineArn": child, "Input": {"from": "sm"}})
    );
    let logging = described.logging_configuration().unwrap();
    assert_eq!(logging.level().unwrap().as_str(), "ERROR");
    assert!(!logging.include_execution_data());
    assert_eq!(
        logging.destinations()[0]
            .cloud_watch_logs_log_group()
            .unwrap()
            .log_group_arn(),
        Some(
            format!("arn:aws:logs:us-east-1:{id}:log-group:/aws/vendedlogs/states/sm-dev-fulfil:*")
                .as_str()
        )
    );
    assert!(described.tracing_configuration().unwrap().enabled());
    let mut tags: Vec<(String, String)> = sfn
        .list_tags_for_resource()
        .resource_arn(&machine)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("flow", "orders"),
            ("slsr:service", "sm"),
            ("slsr:stage", "dev")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/vendedlogs/states/")
        .send()
        .await
        .unwrap();
    let group = &groups.log_groups()[0];
    assert_eq!(
        group.log_group_name(),
        Some("/aws/vendedlogs/states/sm-dev-fulfil")
    );
    assert_eq!(group.retention_in_days(), Some(7));

    // The role names exactly the function the definition names (not `other`), the machine
    // it starts, log delivery and X-Ray.
    assert_eq!(
        trusted(&iam, "sm-dev-fulfil.states").await,
        json!(["states.amazonaws.com"])
    );
    let log_delivery = json!({"Effect": "Allow", "Action": ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery"], "Resource": ["*"]});
    let xray = json!({"Effect": "Allow", "Action": ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Resource": ["*"]});
    assert_eq!(
        grants(&iam, "sm-dev-fulfil.states").await,
        sorted(vec![
            json!({"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [worker.clone(), format!("{worker}:*")]}),
            json!({"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [child.clone()]}),
            log_delivery.clone(),
            xray.clone(),
        ])
    );

    // AWS's copy differs from slsr's only in whitespace and key order: no change.
    let reordered = format!(
        r#"{{"States":{{"Notify":{{"End":true,"Parameters":{{"Input":{{"from":"sm"}},"StateMachineArn":"{child}"}},"Resource":"arn:aws:states:::states:startExecution","Type":"Task"}},
   "Charge":{{"Next":"Notify","Resource":"{worker}","Type":"Task"}}}},"StartAt":"Charge","Comment":"fulfil an order"}}"#
    );
    sfn.update_state_machine()
        .state_machine_arn(&machine)
        .definition(reordered)
        .send()
        .await
        .unwrap();
    assert_clean(&account, &spec);

    // A new definition: the line diff of its pretty form, naming the state that changed.
    std::fs::write(
        dir.join("fulfil.asl.json"),
        DEFINITION.replace("${function:worker.arn}", "${function:other.arn}"),
    )
    .unwrap();
    let text = planned(&account, &spec, "text");
    let markdown = planned(&account, &spec, "markdown");
    for (plan, attribute) in [(&text, "~ definition:"), (&markdown, "!     definition:")] {
        // Each line as its sign (if any) and its text, whatever the indentation between.
        let lines: Vec<String> = plan
            .lines()
            .map(|l| {
                let l = l.trim();
                match l.strip_prefix(['-', '+']) {
                    Some(rest) => format!("{} {}", &l[..1], rest.trim()),
                    None => l.to_string(),
                }
            })
            .collect();
        let has = |line: &str| lines.iter().any(|l| l == line);
        assert!(has(attribute), "{plan}");
        assert!(has("\"Charge\": {"), "the changed state is named:\n{plan}");
        assert!(has(&format!("- \"Resource\": \"{worker}\",")), "{plan}");
        assert!(has(&format!("+ \"Resource\": \"{other}\",")), "{plan}");
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with(['-', '+']) && l.contains("Notify")),
            "only the changed state's lines are marked:\n{plan}"
        );
    }
    let json_plan: Value = serde_json::from_str(&planned(&account, &spec, "json")).unwrap();
    let change = json_plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "state_machine.fulfil")
        .unwrap();
    assert_eq!(change["action"], "update");
    let diff = &change["diffs"][0];
    assert_eq!(diff["path"], "definition");
    assert_eq!(
        diff["before"]["States"]["Charge"]["Resource"],
        json!(worker)
    );
    assert_eq!(diff["after"]["States"]["Charge"]["Resource"], json!(other));
    applied_clean(&account, &spec, &[]);
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(described.definition()).unwrap();
    assert_eq!(stored["States"]["Charge"]["Resource"], json!(other));
    assert_eq!(
        grants(&iam, "sm-dev-fulfil.states").await,
        sorted(vec![
            json!({"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [other.clone(), format!("{other}:*")]}),
            json!({"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [child.clone()]}),
            log_delivery,
            xray,
        ]),
        "the role follows the definition: the worker is no longer in it"
    );

    // Logging and tracing change in place, each shown as its field.
    let spec_text = SPEC.replace(
        "logging: {level: error}\n    tracing: active",
        "logging: {level: all, include_execution_data: true}\n    tracing: passthrough",
    );
    std::fs::write(&spec, &spec_text).unwrap();
    let text = planned(&account, &spec, "text");
    has_all(
        &text,
        &[
            "~ logging.level: \"ERROR\" -> \"ALL\"",
            "~ logging.include_execution_data: false -> true",
            "~ tracing: true -> false",
        ],
    );
    applied_clean(&account, &spec, &[]);
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    let logging = described.logging_configuration().unwrap();
    assert_eq!(logging.level().unwrap().as_str(), "ALL");
    assert!(logging.include_execution_data());
    assert!(!described.tracing_configuration().unwrap().enabled());
    assert!(
        !grants(&iam, "sm-dev-fulfil.states")
            .await
            .iter()
            .any(|s| s.to_string().contains("xray:")),
        "without tracing the role writes nothing to X-Ray"
    );

    // A new type replaces the machine: Step Functions cannot change it.
    std::fs::write(&spec, spec_text.replace("type: express", "type: standard")).unwrap();
    let text = planned(&account, &spec, "text");
    assert!(
        text.contains("-/+ state_machine.child  sm-dev-child"),
        "{text}"
    );
    assert!(
        text.contains("~ type: \"EXPRESS\" -> \"STANDARD\"  # forces replacement"),
        "{text}"
    );
    applied_clean(&account, &spec, &[]);
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&child)
        .send()
        .await
        .unwrap();
    assert_eq!(described.r#type().as_str(), "STANDARD");

    // Removed from the spec: the machines, their roles and the log group go.
    std::fs::write(
        &spec,
        "service: sm\nfunctions:\n  worker: {handler: index.handler, runtime: python3.12, code: ./src}\n  other: {handler: index.handler, runtime: python3.12, code: ./src}\n",
    )
    .unwrap();
    let text = planned(&account, &spec, "text");
    has_all(
        &text,
        &[
            "- state_machine.fulfil  sm-dev-fulfil",
            "- state_machine.child  sm-dev-child",
            "- role.fulfil.states  sm-dev-fulfil.states",
            "- log_group.fulfil.states  /aws/vendedlogs/states/sm-dev-fulfil",
        ],
    );
    applied_clean(&account, &spec, &[]);
    let listed = sfn.list_state_machines().send().await.unwrap();
    assert!(listed.state_machines().is_empty(), "{listed:?}");
    assert!(
        iam.get_role()
            .role_name("sm-dev-fulfil.states")
            .send()
            .await
            .is_err()
    );
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/vendedlogs/states/")
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());
}

const STARTED: &str = "service: sm
state_machines:
  flow:
    type: express
    definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
  idle:
    definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
functions:
  starter:
    handler: index.handler
    runtime: python3.12
    code: ./src
    access: {state_machine.flow: start}
    env: {FLOW: '${state_machine:flow.arn}'}
  timer:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: {expression: rate(1 hour), name: nightly, state_machine: flow}
";

#[tokio::test]
async fn a_rule_starts_a_state_machine_through_its_own_role_and_access_grants_start() {
    let spec = app("state-machines-started", STARTED);
    let account = Account::new().await;
    let config = account.config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let id = account.id.clone();
    let flow = format!("arn:aws:states:us-east-1:{id}:stateMachine:sm-dev-flow");
    let plan = planned(&account, &spec, "text");
    assert!(plan.contains(&format!("+ target = \"{flow}\"")), "{plan}");
    assert!(
        !plan.contains("permission.timer"),
        "a rule that starts a machine needs no Lambda permission:\n{plan}"
    );
    applied_clean(&account, &spec, &[]);

    let targets = events
        .list_targets_by_rule()
        .rule("sm-dev-timer-nightly")
        .send()
        .await
        .unwrap();
    let target = &targets.targets()[0];
    assert_eq!(target.id(), "slsr");
    assert_eq!(target.arn(), flow);
    assert_eq!(
        target.role_arn(),
        Some(format!("arn:aws:iam::{id}:role/slsr/sm/dev/sm-dev-flow.events").as_str())
    );
    assert_eq!(
        trusted(&iam, "sm-dev-flow.events").await,
        json!(["events.amazonaws.com"])
    );
    assert_eq!(
        grants(&iam, "sm-dev-flow.events").await,
        vec![
            json!({"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [flow.clone()]})
        ]
    );
    assert!(
        lambda
            .get_policy()
            .function_name("sm-dev-timer")
            .send()
            .await
            .is_err(),
        "no statement lets EventBridge invoke the function"
    );
    // `access: start` on an express machine: StartExecution and StartSyncExecution on it alone.
    let starter = grants(&iam, "sm-dev-starter").await;
    assert!(
        starter.contains(&json!({"Effect": "Allow", "Action": ["states:StartExecution", "states:StartSyncExecution"], "Resource": [flow.clone()]})),
        "{starter:?}"
    );
    assert!(
        !starter
            .iter()
            .any(|s| s.to_string().contains("sm-dev-idle")),
        "{starter:?}"
    );
    let env = env_of(&lambda, "sm-dev-starter").await;
    assert_eq!(env["FLOW"], flow);
}

#[test]
fn definitions_that_cannot_be_deployed_are_located_errors() {
    let spec = app(
        "state-machines-invalid",
        "service: sm
state_machines:
  fulfil: {definition: ./fulfil.asl.json}
  outside: {definition: ../../elsewhere.asl.json}
  broken: {definition: ./broken.asl.json}
  inline:
    definition: {StartAt: Go, States: {Go: {Type: Task, Resource: '${function:nope.arn}', End: true}}}
  lost: {definition: {StartAt: Missing, States: {Go: {Type: Pass, End: true}}}}
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    access: {state_machine.unknown: start, state_machine.lost: read}
    env: {FLOW: '${state_machine:nothing.arn}'}
    events:
      - schedule: {expression: rate(1 hour), state_machine: nowhere}
",
    );
    let dir = spec.parent().unwrap();
    std::fs::write(
        dir.join("fulfil.asl.json"),
        DEFINITION.replace("${function:worker.arn}", "${function:missing.arn}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.asl.json"),
        "{\"StartAt\": \"A\",\n  \"States\": }",
    )
    .unwrap();
    let out = run(slsr().arg("validate").arg("-f").arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    has_all(
        &all,
        &[
            "in `./fulfil.asl.json` at States.Charge.Resource: `${function:missing.arn}` refers to function `missing`, which the spec does not declare",
            "slsr.yaml:3:",
            "E210",
            "`definition: ../../elsewhere.asl.json` resolves to",
            "`definition: ./broken.asl.json` is not valid JSON: line 2, column",
            "`${function:nope.arn}` refers to function `nope`",
            "slsr.yaml:7:",
            "state machine `lost`'s definition starts at `Missing`, which is not one of its `States`",
            "state_machine `unknown` is not declared",
            "a state_machine takes no `read` access",
            "`${state_machine:nothing.arn}` refers to state_machine `nothing`, which the spec does not declare",
            "state machine `nowhere` is not declared",
            "slsr.yaml:17:",
        ],
    );
}

#[test]
fn a_yaml_definition_is_read_with_its_references_resolved() {
    let spec = app(
        "state-machines-yaml",
        "service: sm\nregion: us-east-1\nstate_machines:\n  flow: {definition: ./flow.asl.yaml}\nfunctions:\n  worker: {handler: index.handler, runtime: python3.12, code: ./src}\n",
    );
    std::fs::write(
        spec.parent().unwrap().join("flow.asl.yaml"),
        "StartAt: Work\nStates:\n  Work:\n    Type: Task\n    Resource: arn:aws:states:::lambda:invoke\n    Parameters: {FunctionName: '${function:worker.name}', Payload: {stage: '${stage}'}}\n    End: true\n",
    )
    .unwrap();
    let out = run(slsr()
        .args(["plan", "--offline", "--format", "json", "-f"])
        .arg(&spec));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let change = |address: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == address)
            .unwrap()
            .clone()
    };
    let after = |change: &Value, path: &str| {
        change["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path)
            .unwrap()["after"]
            .clone()
    };
    let machine = change("state_machine.flow");
    assert_eq!(
        after(&machine, "definition")["States"]["Work"]["Parameters"],
        json!({"FunctionName": "sm-dev-worker", "Payload": {"stage": "dev"}})
    );
    // A function named by its name alone is still exactly that function in the role.
    let role = change("role.flow.states");
    assert_eq!(
        after(&role, "inline_policy")["Statement"],
        json!([{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [
            "arn:aws:lambda:us-east-1:${account_id}:function:sm-dev-worker",
            "arn:aws:lambda:us-east-1:${account_id}:function:sm-dev-worker:*"
        ]}])
    );
}

#[tokio::test]
async fn a_state_machine_of_the_name_without_slsrs_tags_is_a_conflict_and_left_alone() {
    let spec = app(
        "state-machines-foreign",
        "service: sm\nstate_machines:\n  flow: {definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}}\n",
    );
    let account = Account::new().await;
    let sfn = aws_sdk_sfn::Client::new(&account.config().await);
    let foreign = r#"{"StartAt": "Theirs", "States": {"Theirs": {"Type": "Succeed"}}}"#;
    let arn = sfn
        .create_state_machine()
        .name("sm-dev-flow")
        .definition(foreign)
        .role_arn(format!("arn:aws:iam::{}:role/someone-elses", account.id))
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let out = slsr_on(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("state_machine.flow"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), foreign, "never touched");
}

#[tokio::test]
async fn a_dry_run_lists_exactly_the_calls_apply_then_makes() {
    let spec = app("state-machines-dry", STARTED);
    let account = Account::new().await;
    let changed = STARTED.replace("rate(1 hour)", "rate(2 hours)").replace(
        "definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}\n  idle",
        "definition: {StartAt: Done, States: {Done: {Type: Succeed}}}\n    tracing: active\n  idle",
    );
    for (step, text) in [STARTED.to_string(), changed].iter().enumerate() {
        std::fs::write(&spec, text).unwrap();
        let dry = slsr_on(&account, "apply", &spec, &["--dry-run"]);
        assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
        let dry_text = dry.stdout.split("Dry run:").nth(1).unwrap().to_string();
        let planned = crate::apply::dry_run_calls(&dry_text);
        let applied = applied(&account, &spec, &["-v"]);
        let written = crate::apply::applied_calls(&applied.stdout);
        assert_eq!(
            planned, written,
            "step {step}: dry run\n{dry_text}\nvs apply\n{}",
            applied.stdout
        );
        let machine = if step == 0 {
            vec!["SFN.CreateStateMachine"]
        } else {
            vec!["SFN.UpdateStateMachine"]
        };
        assert_eq!(planned["state_machine.flow"], machine, "step {step}");
    }
}

/// A state machine of its own exact `name` that leaves the spec is still found by its tags:
/// the plan deletes it and its log group (outside the service's prefix), and apply does.
#[tokio::test]
async fn an_exactly_named_state_machine_out_of_the_spec_is_found_by_its_tags_and_removed() {
    let account = Account::new().await;
    let config = account.config().await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let spec = app(
        "state-machines-exact-name",
        "service: wf
state_machines:
  flow:
    name: team-flow
    logging: {level: error}
    definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
",
    );
    applied(&account, &spec, &[]);
    let listed = sfn.list_state_machines().send().await.unwrap();
    let names: Vec<&str> = listed.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["team-flow"]);
    let group = "/aws/vendedlogs/states/team-flow";
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 1);

    apply_change(
        &account,
        &spec,
        "service: wf\n",
        &[
            "- state_machine.team-flow  team-flow",
            &format!("- log_group.team-flow.states  {group}"),
        ],
    );
    let listed = sfn.list_state_machines().send().await.unwrap();
    assert!(listed.state_machines().is_empty(), "{listed:?}");
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
}
