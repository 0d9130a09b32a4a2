//! The access widening summary ("Access this change opens:") through the real binary
//! against the emulator, in text, JSON and Markdown: what a first deploy opens, nothing
//! after it, exactly the action, managed policy or public URL a change adds, nothing for a
//! removal; and `apply --require-approval widening`, which stops for a `yes` only when the
//! plan opens access, with and without a saved plan, checked with plain SDK calls.

use serde_json::{Value, json};

use crate::cli_live::run_with_stdin;
use crate::ground_truth::role_policy;
use crate::support::{Account, app, applied_clean, apply_change, planned_changes, replan, slsr_on};

const TITLE: &str = "\nAccess this change opens:\n";

const WIDE: &str = "service: wide
roles:
  worker:
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    statements:
      - actions: [iam:PassRole]
        resources: ['arn:aws:iam::${account_id}:role/wide-dev-*']
      - actions: ['s3:*']
        resources: ['*']
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    url: {auth: none}
    events: [{http: GET /hello}]
  admin:
    handler: index.handler
    runtime: python3.12
    code: ./src
    role: worker
";

/// The plan's widening section: what follows its title, which must be the plan's last part.
fn section(plan: &str) -> &str {
    let (_, after) = plan
        .rsplit_once(TITLE)
        .unwrap_or_else(|| panic!("no widening section:\n{plan}"));
    after
}

fn plan_json(account: &Account, spec: &std::path::Path) -> Value {
    let out = slsr_on(account, "plan", spec, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_first_deploy_lists_what_it_opens_in_every_format_and_a_replan_lists_nothing() {
    let spec = app("widening-first", WIDE);
    let account = Account::new().await;
    let a = &account.id;
    let text = planned_changes(&account, &spec, &[]);
    let expected = format!(
        "  role.api
      allows logs:CreateLogStream on arn:aws:logs:us-east-1:{a}:log-group:/aws/lambda/wide-dev-api:*
      allows logs:PutLogEvents on arn:aws:logs:us-east-1:{a}:log-group:/aws/lambda/wide-dev-api:*
      trusts Service lambda.amazonaws.com to sts:AssumeRole
  role.worker
      allows iam:PassRole on arn:aws:iam::{a}:role/wide-dev-*  [iam:PassRole] [privilege escalation]
      allows s3:* on *  [*]
      attaches managed policy arn:aws:iam::aws:policy/ReadOnlyAccess
      trusts Service lambda.amazonaws.com to sts:AssumeRole
  function_url.api
      public: anyone on the internet can invoke the function through this URL (auth: none)
  permission.api.slsr-1e8b3d93
      lets * call lambda:InvokeFunctionUrl on wide-dev-api for the function URL  [*]
  permission.api.slsr-8ffb661f
      lets apigateway.amazonaws.com invoke wide-dev-api for route GET /hello
  permission.api.slsr-e7b64f10
      lets * invoke wide-dev-api for the function URL  [*]
  route[\"GET /hello\"]
      public: anyone can call this route (auth: none)
"
    );
    assert_eq!(section(&text), expected, "{text}");

    // JSON: the same list, each item's fields and flags.
    let json = plan_json(&account, &spec);
    let widening = json["widening"].as_array().unwrap();
    let brief: Vec<(String, String, Value)> = widening
        .iter()
        .map(|w| {
            (
                w["address"].as_str().unwrap().into(),
                w["kind"].as_str().unwrap().into(),
                w["flags"].clone(),
            )
        })
        .collect();
    let row =
        |address: &str, kind: &str, flags: Value| (address.to_string(), kind.to_string(), flags);
    assert_eq!(
        brief,
        [
            row("role.api", "iam_action", json!([])),
            row("role.api", "iam_action", json!([])),
            row("role.api", "trust", json!([])),
            row(
                "role.worker",
                "iam_action",
                json!(["pass_role", "escalation"])
            ),
            row("role.worker", "iam_action", json!(["wildcard"])),
            row("role.worker", "managed_policy", json!([])),
            row("role.worker", "trust", json!([])),
            row("function_url.api", "public", json!([])),
            row(
                "permission.api.slsr-1e8b3d93",
                "principal",
                json!(["wildcard"])
            ),
            row("permission.api.slsr-8ffb661f", "principal", json!([])),
            row(
                "permission.api.slsr-e7b64f10",
                "principal",
                json!(["wildcard"])
            ),
            row("route[\"GET /hello\"]", "public", json!([])),
        ]
    );
    assert_eq!(
        widening[3],
        json!({"address": "role.worker", "kind": "iam_action", "role": "wide-dev-worker", "effect": "allow", "action": "iam:PassRole", "resource": format!("arn:aws:iam::{a}:role/wide-dev-*"), "condition": null, "flags": ["pass_role", "escalation"]})
    );
    assert_eq!(
        widening[5],
        json!({"address": "role.worker", "kind": "managed_policy", "role": "wide-dev-worker", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "flags": []})
    );
    assert_eq!(
        widening[6],
        json!({"address": "role.worker", "kind": "trust", "role": "wide-dev-worker", "principal_type": "Service", "principal": "lambda.amazonaws.com", "action": "sts:AssumeRole", "condition": null, "flags": []})
    );
    assert_eq!(
        widening[7],
        json!({"address": "function_url.api", "kind": "public", "resource_kind": "function_url", "note": "public: anyone on the internet can invoke the function through this URL (auth: none)", "flags": []})
    );
    assert_eq!(
        widening[9],
        json!({"address": "permission.api.slsr-8ffb661f", "kind": "principal", "function": "wide-dev-api", "action": "lambda:InvokeFunction", "principal": "apigateway.amazonaws.com", "source_arn": format!("arn:aws:execute-api:us-east-1:{a}:(known after apply)/*/GET/hello"), "source_account": a, "function_url_auth_type": null, "invoked_via_function_url": false, "about": "for route GET /hello", "flags": []})
    );

    // Markdown: the same list as a table, last.
    let markdown = slsr_on(&account, "plan", &spec, &["--format", "markdown"]);
    let table = format!(
        "| resource | opens | flags |
|---|---|---|
| `role.api` | `allows logs:CreateLogStream on arn:aws:logs:us-east-1:{a}:log-group:/aws/lambda/wide-dev-api:*` |  |
| `role.api` | `allows logs:PutLogEvents on arn:aws:logs:us-east-1:{a}:log-group:/aws/lambda/wide-dev-api:*` |  |
| `role.api` | `trusts Service lambda.amazonaws.com to sts:AssumeRole` |  |
| `role.worker` | `allows iam:PassRole on arn:aws:iam::{a}:role/wide-dev-*` | **`iam:PassRole`** **`privilege escalation`** |
| `role.worker` | `allows s3:* on *` | **`*`** |
| `role.worker` | `attaches managed policy arn:aws:iam::aws:policy/ReadOnlyAccess` |  |
| `role.worker` | `trusts Service lambda.amazonaws.com to sts:AssumeRole` |  |
| `function_url.api` | `public: anyone on the internet can invoke the function through this URL (auth: none)` |  |
| `permission.api.slsr-1e8b3d93` | `lets * call lambda:InvokeFunctionUrl on wide-dev-api for the function URL` | **`*`** |
| `permission.api.slsr-8ffb661f` | `lets apigateway.amazonaws.com invoke wide-dev-api for route GET /hello` |  |
| `permission.api.slsr-e7b64f10` | `lets * invoke wide-dev-api for the function URL` | **`*`** |
| `route[\"GET /hello\"]` | `public: anyone can call this route (auth: none)` |  |
"
    );
    assert!(
        markdown.stdout.ends_with(&format!(
            "</details>\n\n**Access this change opens:**\n\n{table}"
        )),
        "{}",
        markdown.stdout
    );

    // Applied, nothing more opens: no section, an empty list.
    applied_clean(&account, &spec, &[]);
    let again = slsr_on(&account, "plan", &spec, &[]);
    assert!(
        !again.stdout.contains("Access this change opens"),
        "{}",
        again.stdout
    );
    assert_eq!(plan_json(&account, &spec)["widening"], json!([]));
    let markdown = slsr_on(&account, "plan", &spec, &["--format", "markdown"]);
    assert!(
        !markdown.stdout.contains("Access this change opens"),
        "{}",
        markdown.stdout
    );
}

#[tokio::test]
async fn a_change_lists_exactly_what_it_adds_and_a_removal_lists_nothing() {
    let base = WIDE.replace("url: {auth: none}", "url: {auth: iam}");
    let spec = app("widening-changes", &base);
    let account = Account::new().await;
    let a = &account.id;
    applied_clean(&account, &spec, &[]);

    // One action added to the role's policy: that action, nothing else.
    let with_send = base.replace(
        "      - actions: ['s3:*']",
        "      - actions: [sqs:SendMessage]\n        resources: ['arn:aws:sqs:us-east-1:${account_id}:wide-dev-jobs']\n      - actions: ['s3:*']",
    );
    let plan = apply_change(&account, &spec, &with_send, &["~ role.worker"]);
    assert_eq!(
        section(&plan),
        format!(
            "  role.worker\n      allows sqs:SendMessage on arn:aws:sqs:us-east-1:{a}:wide-dev-jobs\n"
        ),
        "{plan}"
    );

    // Taken away again: a change to the policy, and nothing opens.
    let plan = apply_change(&account, &spec, &base, &["~ role.worker"]);
    assert!(!plan.contains("Access this change opens"), "{plan}");
    std::fs::write(&spec, &with_send).unwrap();
    let json = plan_json(&account, &spec);
    assert_eq!(json["widening"].as_array().unwrap().len(), 1, "{json}");
    std::fs::write(&spec, &base).unwrap();

    // A managed policy attached.
    let managed = base.replace(
        "managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]",
        "managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess, arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess]",
    );
    let plan = apply_change(&account, &spec, &managed, &["~ role.worker"]);
    assert_eq!(
        section(&plan),
        "  role.worker\n      attaches managed policy arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess\n",
        "{plan}"
    );

    // The function URL turned to auth none: public, and the two statements that let anyone in.
    let public = managed.replace("url: {auth: iam}", "url: {auth: none}");
    let plan = replan(&account, &spec, &public, &[]);
    assert_eq!(
        section(&plan),
        "  function_url.api
      public: anyone on the internet can invoke the function through this URL (auth: none)
  permission.api.slsr-1e8b3d93
      lets * call lambda:InvokeFunctionUrl on wide-dev-api for the function URL  [*]
  permission.api.slsr-e7b64f10
      lets * invoke wide-dev-api for the function URL  [*]
",
        "{plan}"
    );
    applied_clean(&account, &spec, &[]);
    // Back to IAM auth: access is removed, not opened.
    let plan = replan(&account, &spec, &managed, &[]);
    assert!(plan.contains("~ function_url.api"), "{plan}");
    assert!(!plan.contains("Access this change opens"), "{plan}");
}

const GATE: &str = "service: gate
roles:
  worker:
    statements:
      - actions: [dynamodb:GetItem]
        resources: ['arn:aws:dynamodb:us-east-1:${account_id}:table/gate-dev-orders']
functions:
  admin:
    handler: index.handler
    runtime: python3.12
    code: ./src
    role: worker
";

/// The actions of the `slsr` inline policy of `gate-dev-worker`, as IAM has them.
async fn worker_actions(iam: &aws_sdk_iam::Client) -> Vec<String> {
    let policy = role_policy(iam, "gate-dev-worker").await;
    let mut actions: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Value::Array(items) => items
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            one => vec![one.as_str().unwrap().to_string()],
        })
        .collect();
    actions.sort();
    actions
}

async fn memory(lambda: &aws_sdk_lambda::Client) -> i32 {
    lambda
        .get_function_configuration()
        .function_name("gate-dev-admin")
        .send()
        .await
        .unwrap()
        .memory_size
        .unwrap()
}

#[tokio::test]
async fn require_approval_widening_stops_for_a_yes_only_when_access_widens() {
    let spec = app("widening-gate", GATE);
    let account = Account::new().await;
    let a = &account.id;
    let config = account.config().await;
    let iam = aws_sdk_iam::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let apply = |input: &str, extra: &[&str]| {
        run_with_stdin(
            account
                .slsr()
                .args(["apply", "--require-approval"])
                .args(extra)
                .arg("-f")
                .arg(&spec),
            input,
        )
    };

    // A first deploy opens the role's access: with nothing on stdin, refused, and nothing made,
    // --auto-approve or not.
    let refused = apply("", &["widening", "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "error: not applying: this change opens access, and --require-approval widening asks for `yes` before it does, but there is no terminal to ask on and no answer on stdin. Access this change opens:
  role.worker
      allows dynamodb:GetItem on arn:aws:dynamodb:us-east-1:{a}:table/gate-dev-orders
      trusts Service lambda.amazonaws.com to sts:AssumeRole
Review it, then approve it with `yes` on a terminal or piped in; nothing was changed.
"
        )),
        "{}",
        refused.stderr
    );
    assert!(
        iam.get_role()
            .role_name("gate-dev-worker")
            .send()
            .await
            .is_err()
    );
    assert!(
        lambda
            .get_function()
            .function_name("gate-dev-admin")
            .send()
            .await
            .is_err()
    );

    // With `yes` piped in it applies.
    let approved = apply("yes\n", &["widening", "--auto-approve"]);
    assert_eq!(approved.code, 0, "{}{}", approved.stdout, approved.stderr);
    assert!(
        approved.stdout.contains(
            "This change opens access (2 items under \"Access this change opens:\"). Apply these changes? Only 'yes' is accepted: yes\n"
        ),
        "{}",
        approved.stdout
    );
    assert_eq!(worker_actions(&iam).await, ["dynamodb:GetItem"]);

    // An action added: refused, and the role's policy is as it was.
    let wider = GATE.replace("[dynamodb:GetItem]", "[dynamodb:GetItem, dynamodb:PutItem]");
    std::fs::write(&spec, &wider).unwrap();
    let refused = apply("", &["widening", "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "Access this change opens:\n  role.worker\n      allows dynamodb:PutItem on arn:aws:dynamodb:us-east-1:{a}:table/gate-dev-orders\nReview it"
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(worker_actions(&iam).await, ["dynamodb:GetItem"]);

    // A change that opens nothing goes ahead without a question, with --auto-approve or not;
    // --require-approval any-change asks even for it.
    let bigger = GATE.replace("role: worker", "role: worker\n    memory: 256");
    std::fs::write(&spec, &bigger).unwrap();
    let any = apply("", &["any-change", "--auto-approve"]);
    assert_eq!(any.code, 1, "{}{}", any.stdout, any.stderr);
    assert!(
        any.stderr
            .contains("--require-approval any-change asks for `yes` before any change"),
        "{}",
        any.stderr
    );
    assert_eq!(memory(&lambda).await, 128);
    let unasked = apply("", &["widening"]);
    assert_eq!(unasked.code, 0, "{}{}", unasked.stdout, unasked.stderr);
    assert!(
        !unasked.stdout.contains("Only 'yes' is accepted"),
        "{}",
        unasked.stdout
    );
    assert!(
        !unasked.stdout.contains("Access this change opens"),
        "{}",
        unasked.stdout
    );
    assert_eq!(memory(&lambda).await, 256);

    // A saved plan: its changes make the list again, whatever the file says of widening.
    let wider = bigger.replace("[dynamodb:GetItem]", "[dynamodb:GetItem, dynamodb:PutItem]");
    std::fs::write(&spec, &wider).unwrap();
    let saved = spec.with_file_name("wider.plan");
    let out = slsr_on(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut file: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert!(
        file["plan"].get("widening").is_none(),
        "a saved plan holds no widening list"
    );
    file["plan"]["widening"] = json!([]);
    std::fs::write(&saved, serde_json::to_vec(&file).unwrap()).unwrap();
    let from_file = |input: &str| {
        run_with_stdin(
            account
                .slsr()
                .args(["apply", "--require-approval", "widening"])
                .arg(&saved),
            input,
        )
    };
    let refused = from_file("");
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("  role.worker\n      allows dynamodb:PutItem on"),
        "{}",
        refused.stderr
    );
    assert_eq!(worker_actions(&iam).await, ["dynamodb:GetItem"]);
    let approved = from_file("yes\n");
    assert_eq!(approved.code, 0, "{}{}", approved.stdout, approved.stderr);
    assert_eq!(
        worker_actions(&iam).await,
        ["dynamodb:GetItem", "dynamodb:PutItem"]
    );
}

#[test]
fn an_unknown_require_approval_value_is_an_error_naming_the_flag_and_its_values() {
    let out = crate::support::run(crate::support::slsr().args([
        "apply",
        "--require-approval",
        "sometimes",
    ]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("invalid value 'sometimes' for '--require-approval <WHEN>'")
            && out
                .stderr
                .contains("[possible values: never, widening, any-change]"),
        "{}",
        out.stderr
    );
}
