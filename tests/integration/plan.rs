//! `slsr plan --offline`: the whole plan with no AWS account, in three formats, with
//! secrets masked and Terraform's exit codes.

use std::fs;

use crate::support::{has_all, run, scratch, slsr};

#[test]
fn every_example_plans_offline_without_credentials() {
    for example in ["hello-http", "orders", "image-etl", "notes", "fulfilment"] {
        let spec = format!("examples/{example}/slsr.yaml");
        let out = run(slsr().args(["plan", "--offline", "-f", &spec]));
        assert_eq!(out.code, 0, "{example}: {}", out.stderr);
        let first = out.stdout.lines().next().unwrap_or_default();
        assert!(
            first.ends_with("stage dev (offline: the account was not read), us-east-1")
                && !first.contains("in account"),
            "{example}: {first}"
        );
        // The counts, then (for an example with fixed monthly costs: image-etl's provisioned
        // concurrency, fulfilment's on-demand stream) the cost's two lines, then what to run
        // next (then what the plan opens, its own section).
        let (plan, _opens) = out
            .stdout
            .split_once("\nAccess this change opens:\n")
            .unwrap_or((&out.stdout, ""));
        let mut lines: Vec<&str> = plan.lines().collect();
        if lines.iter().any(|l| l.starts_with("Monthly cost change: ")) {
            let cost = lines.split_off(lines.len() - 3);
            assert!(
                cost[0].starts_with("Monthly cost change: +$"),
                "{example}: {cost:?}"
            );
            assert!(
                cost[1].starts_with("  (fixed costs only"),
                "{example}: {cost:?}"
            );
            lines.push(cost[2]);
        }
        let [.., counts, next] = lines[..] else {
            panic!("{example}: {}", out.stdout);
        };
        assert!(
            counts.starts_with("Plan: ")
                && counts.ends_with("0 to change, 0 to replace, 0 to destroy."),
            "{example}: {counts}"
        );
        assert_eq!(
            next,
            "Run `slsr plan` with AWS credentials to compare with the account, or `slsr apply` to deploy."
        );
        let detailed = run(slsr().args(["plan", "--offline", "--detailed-exitcode", "-f", &spec]));
        assert_eq!(detailed.code, 2, "changes exit 2 with --detailed-exitcode");
    }
}

#[test]
fn the_orders_plan_creates_what_the_spec_declares() {
    let out = run(slsr().args([
        "plan",
        "--offline",
        "--format",
        "json",
        "-f",
        "examples/orders/slsr.yaml",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], "1");
    assert_eq!(
        (
            plan["service"].as_str(),
            plan["stage"].as_str(),
            plan["account"].is_null()
        ),
        (Some("orders"), Some("dev"), true)
    );
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(
        plan["summary"]["add"].as_u64().unwrap() as usize,
        changes.len()
    );
    let addresses: Vec<&str> = changes
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    for expected in [
        "role.worker",
        "queue.jobs",
        "queue.jobs-dlq",
        "function.api",
        "function.worker",
        "log_group.api",
        "event_source_mapping.worker.jobs",
        "http_api.api",
        "route[\"POST /orders\"]",
        "stage.$default",
    ] {
        assert!(
            addresses.contains(&expected),
            "{expected} missing from {addresses:?}"
        );
    }
    assert_eq!(
        addresses.iter().filter(|a| a.starts_with("rule.")).count(),
        2,
        "a schedule and a pattern"
    );
    let worker = changes
        .iter()
        .find(|c| c["address"] == "function.worker")
        .unwrap();
    let memory = worker["diffs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "memory")
        .unwrap();
    assert_eq!(
        memory["before"],
        serde_json::Value::Null,
        "a new function has no before"
    );
    assert!(memory["after"].is_u64());
    assert!(changes.iter().all(|c| c["action"] == "create"));
}

/// The orders example's plan reads as a review: documents indented, tags on one line per
/// resource, what each permission is for, and the outputs it makes; in Markdown too. The
/// JSON keeps every value as data (a policy is an object, each tag a diff).
#[test]
fn the_orders_plan_is_readable() {
    let plan = |format: &str| {
        let out = run(slsr().args([
            "plan",
            "--offline",
            "--format",
            format,
            "-f",
            "examples/orders/slsr.yaml",
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let text = plan("text");
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 110, "a line of {widest} columns:\n{text}");
    let tags = "+ tags = {cost-center=cc-4120, slsr:service=orders, slsr:stage=dev, team=payments}";
    // Every tagged resource: 3 roles, 3 queues, 3 log groups, 2 of the 3 functions (the
    // reports function adds slsr:async), the mapping, 2 rules and the API.
    assert_eq!(
        text.matches(tags).count(),
        3 + 3 + 3 + 2 + 1 + 2 + 1,
        "{text}"
    );
    assert!(
        !text.contains("+ tags."),
        "one line of tags per resource:\n{text}"
    );
    for block in [
        // role.api's inline policy, from the spec's statements.
        "      + inline_policy = {\n              \"Version\": \"2012-10-17\",\n              \"Statement\": [\n                {\n                  \"Effect\": \"Allow\",\n                  \"Action\": [\"dynamodb:GetItem\", \"dynamodb:PutItem\"],",
        // The reports function's event pattern.
        "      + event_pattern = {\n              \"source\": [\"acme.orders.admin\"],\n              \"detail-type\": [\"ReportRequested\"]\n            }\n",
        "  + permission.api.slsr-e62bd745  slsr-e62bd745\n      # for route GET /orders/{id}\n",
        "  + permission.api.slsr-7c9b892f  slsr-7c9b892f\n      # for route POST /orders\n",
        "      # for rule orders-dev-reports-a1b73f5c\n",
        "Changes to Outputs:\n  + api_url        = (known after apply: http_api.url)\n  + jobs_queue_url = (known after apply: queue.jobs.url)\n",
    ] {
        assert!(text.contains(block), "{block}\nnot in:\n{text}");
    }

    let markdown = plan("markdown");
    assert!(
        markdown.contains(&format!("+     {}", &tags[2..])),
        "{markdown}"
    );
    assert!(
        markdown
            .contains("+               \"Action\": [\"dynamodb:GetItem\", \"dynamodb:PutItem\"],"),
        "{markdown}"
    );
    assert!(
        markdown
            .contains("| + create | `api_url` | `(none)` | `(known after apply: http_api.url)` |"),
        "{markdown}"
    );

    let json: serde_json::Value = serde_json::from_str(&plan("json")).unwrap();
    let role = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "role.api")
        .unwrap();
    let diff = |path: &str| {
        role["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path)
            .map(|d| d["after"].clone())
    };
    assert_eq!(
        diff("inline_policy").unwrap()["Statement"][0]["Action"][0],
        "dynamodb:GetItem"
    );
    assert_eq!(diff("tags.team"), Some("payments".into()));
    assert_eq!(
        json["output_changes"],
        serde_json::json!([
            {"name": "api_url", "action": "create", "before": null, "after": "(known after apply: http_api.url)", "sensitive": false},
            {"name": "jobs_queue_url", "action": "create", "before": null, "after": "(known after apply: queue.jobs.url)", "sensitive": false},
        ])
    );
}

#[test]
fn secrets_are_masked_in_every_format() {
    let dir = scratch("secrets");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("src/index.py"),
        "def handler(e, c):\n    return 1\n",
    )
    .unwrap();
    fs::write(
        dir.join("slsr.yaml"),
        "service: shop\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    env:\n      DB_PASSWORD: hunter2-do-not-print\n      STRIPE_API_KEY: sk_live_do_not_print\n      TABLE: orders\n",
    )
    .unwrap();
    for format in ["text", "json", "markdown"] {
        let out = run(slsr()
            .args(["plan", "--offline", "--format", format, "-f"])
            .arg(dir.join("slsr.yaml")));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            !out.stdout.contains("do-not-print") && !out.stdout.contains("do_not_print"),
            "{format} leaks a secret:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("(sensitive)") && out.stdout.contains("orders"),
            "{format}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn markdown_has_a_summary_table_and_collapsed_details() {
    let out = run(slsr().args([
        "plan",
        "--offline",
        "--format",
        "markdown",
        "-f",
        "examples/hello-http/slsr.yaml",
    ]));
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("| action | resource | name |"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("| + create | `function.hello` |"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("<details><summary>Details</summary>")
            && out.stdout.contains("</details>")
    );
}

/// An event's `name` becomes part of its rule's name: it must be one EventBridge takes,
/// fit in 64 characters, and name one rule only.
#[test]
fn event_names_are_checked_as_rule_names() {
    let dir = scratch("event-names");
    fs::create_dir_all(dir.join("src")).unwrap();
    let spec = "service: shop
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: {expression: rate(1 day), name: nightly run}
      - schedule: {expression: rate(2 days), name: twice}
      - eventbridge: {pattern: {source: [a]}, name: twice}
      - eventbridge: {pattern: {source: [b]}, name: a-name-long-enough-to-push-the-rule-past-sixty-four-chars}
";
    fs::write(dir.join("slsr.yaml"), spec).unwrap();
    let out = run(slsr().arg("validate").arg("-f").arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1, "{}", out.stderr);
    has_all(
        &out.stderr,
        &[
            "error[E204]: `nightly run` cannot be part of an EventBridge rule's name",
            "slsr.yaml:8:",
            "error[E209]: two events name the rule `shop-dev-api-twice`",
            "the event at line 9 names it too",
            "slsr.yaml:10:",
            "slsr.yaml:11:",
        ],
    );
    assert_eq!(
        out.stderr.matches("error[E204]").count(),
        2,
        "the bad name and the long one:\n{}",
        out.stderr
    );
}

#[test]
fn an_invalid_spec_is_not_planned() {
    let dir = scratch("plan-invalid");
    fs::write(
        dir.join("slsr.yaml"),
        "service: shop\nfunctions:\n  api: {image: x, memory: 64}\n",
    )
    .unwrap();
    let out = run(slsr()
        .args(["plan", "--offline", "--detailed-exitcode", "-f"])
        .arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error[E104]") && out.stdout.is_empty(),
        "{}",
        out.stderr
    );
}

/// What a hostile route key, env value or tag holds: a clear-screen sequence, a carriage
/// return, a table cell's end and a backtick.
const HOSTILE: &str = "a\u{1b}[2J\r|`b";

/// `text` without slsr's own colour styles (SGR sequences, `ESC [ ... m`).
fn without_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let params = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[params..].starts_with('m') {
            rest = &after[params + 1..];
        } else {
            // Not a style: keep the ESC so that the caller sees it.
            out.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn control_characters_in_the_spec_never_reach_the_terminal_raw() {
    let dir = scratch("hostile-strings");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("src/index.py"),
        "def handler(e, c):\n    return 1\n",
    )
    .unwrap();
    // YAML's double-quoted `\e` is ESC and `\r` a carriage return.
    fs::write(
        dir.join("slsr.yaml"),
        "service: shop\ntags: {team: \"a\\e[2J\\r|`b\"}\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    env: {NOTE: \"a\\e[2J\\r|`b\"}\n    events:\n      - http: \"GET /a\\e[2J\\r|`b\"\n",
    )
    .unwrap();
    let route = format!("GET /{HOSTILE}");
    for format in ["text", "json", "markdown"] {
        // Forced colour stands in for a terminal: nothing is stripped on the way out.
        let out = run(slsr()
            .env_remove("NO_COLOR")
            .env("CLICOLOR_FORCE", "1")
            .args(["plan", "--offline", "--format", format, "-f"])
            .arg(dir.join("slsr.yaml")));
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        let shown = without_styles(&out.stdout);
        for raw in ['\u{1b}', '\r', '\u{7}'] {
            assert!(
                !shown.contains(raw),
                "{format} prints {raw:?} raw:\n{:?}",
                out.stdout
            );
        }
        match format {
            "text" => assert!(
                shown.contains("GET /a\\u{1b}[2J\\u{d}|`b"),
                "the route's name, escaped:\n{shown}"
            ),
            "json" => {
                // Escaped in the text, the same strings in the document.
                let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
                let changes = plan["changes"].as_array().unwrap();
                let route_change = changes
                    .iter()
                    .find(|c| c["kind"] == "route")
                    .expect("a route change");
                assert_eq!(route_change["name"], route.as_str());
                let function = changes
                    .iter()
                    .find(|c| c["address"] == "function.api")
                    .unwrap();
                let after = |path: &str| {
                    function["diffs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|d| d["path"] == path)
                        .map(|d| d["after"].clone())
                };
                assert_eq!(after("env.NOTE"), Some(HOSTILE.into()));
                assert_eq!(after("tags.team"), Some(HOSTILE.into()));
            }
            _ => {
                let row = shown
                    .lines()
                    .find(|l| l.starts_with("| + create | ``route"))
                    .unwrap_or_else(|| panic!("no route row:\n{shown}"));
                assert_eq!(
                    row,
                    "| + create | ``route[\"GET /a\\u{1b}[2J\\r\\|`b\"]`` | ``GET /a\\u{1b}[2J\\u{d}\\|`b`` |",
                    "a double-backtick span keeps the backtick, `\\|` keeps the cell"
                );
                for line in shown.lines().filter(|l| l.starts_with('|')) {
                    let cells = line.replace("\\|", "").matches('|').count();
                    assert_eq!(cells, 4, "three cells in every row: {line}");
                }
            }
        }
    }
}
