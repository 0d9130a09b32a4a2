//! SNS topics and `sns` events, EventBridge custom buses, and schedules that go through
//! EventBridge Scheduler, end to end through the real binary against the emulator: planned
//! from empty, applied, read back clean, changed field by field and removed; a foreign
//! topic's own subscription kept through apply and destroy; the scheduler role's exact
//! policy. Ground truth comes from plain SDK calls and literal values.

use serde_json::{Value, json};

use crate::ground_truth::{
    log_grant, pairs, path_and_trust, role_policy, statements, tag_pairs, walk,
};
use crate::reliability::losing_first;
use crate::support::{
    Account, all_items, app, applied, applied_clean, apply_change, assert_clean, destroyed,
    has_all, replan, slsr_on as slsr,
};

/// Every topic ARN of the account, every page.
async fn topic_arns(sns: &aws_sdk_sns::Client) -> Vec<String> {
    all_items!(sns.list_topics(), topics)
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_string))
        .collect()
}

/// A topic's subscriptions as (protocol, endpoint, subscription ARN), every page, sorted.
async fn subscriptions(sns: &aws_sdk_sns::Client, topic: &str) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = all_items!(
        sns.list_subscriptions_by_topic().topic_arn(topic),
        subscriptions
    )
    .iter()
    .map(|s| {
        (
            s.protocol().unwrap_or_default().to_string(),
            s.endpoint().unwrap_or_default().to_string(),
            s.subscription_arn().unwrap_or_default().to_string(),
        )
    })
    .collect();
    all.sort();
    all
}

async fn subscription_attribute(
    sns: &aws_sdk_sns::Client,
    arn: &str,
    name: &str,
) -> Option<String> {
    sns.get_subscription_attributes()
        .subscription_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default()
        .get(name)
        .cloned()
}

async fn topic_attribute(sns: &aws_sdk_sns::Client, arn: &str, name: &str) -> Option<String> {
    sns.get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default()
        .get(name)
        .cloned()
}

const TOPICS: &str = "service: msg
tags: {team: core}
topics:
  orders: {kms_key: alias/aws/sns}
  audit: {fifo: true}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env: {ORDERS: \"${topic:orders.arn}\"}
    access: {topic.orders: publish}
    events:
      - sns: {topic: orders, filter_policy: {type: [placed]}}
outputs:
  orders: {value: \"${topic:orders.arn}\"}
";

const WITHOUT_TOPICS: &str = "service: msg
tags: {team: core}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_and_its_subscription_are_made_read_back_changed_and_removed() {
    let spec = app("messaging-topics", TOPICS);
    let account = Account::new().await;
    let config = account.config().await;
    let (sns, lambda, iam) = (
        aws_sdk_sns::Client::new(&config),
        aws_sdk_lambda::Client::new(&config),
        aws_sdk_iam::Client::new(&config),
    );
    let id = &account.id;
    let orders = format!("arn:aws:sns:us-east-1:{id}:msg-dev-orders");
    let audit = format!("arn:aws:sns:us-east-1:{id}:msg-dev-audit.fifo");
    let function = format!("arn:aws:lambda:us-east-1:{id}:function:msg-dev-api");

    apply_change(
        &account,
        &spec,
        TOPICS,
        &[
            "+ topic.orders  msg-dev-orders",
            "+ kms_key = \"alias/aws/sns\"",
            "+ topic.audit  msg-dev-audit.fifo",
            "+ fifo = true",
            "+ tags = {slsr:service=msg, slsr:stage=dev, team=core}",
            "+ subscription.api.orders  msg-dev-api on ",
            "+ filter_policy_scope = \"MessageAttributes\"",
            "# for the subscription to topic msg-dev-orders",
            &format!("+ env.ORDERS = \"{orders}\""),
        ],
    );

    let arns = topic_arns(&sns).await;
    assert!(arns.contains(&orders) && arns.contains(&audit), "{arns:?}");
    assert_eq!(
        topic_attribute(&sns, &orders, "KmsMasterKeyId")
            .await
            .as_deref(),
        Some("alias/aws/sns")
    );
    assert_eq!(
        topic_attribute(&sns, &audit, "FifoTopic").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        tag_pairs!(sns.list_tags_for_resource().resource_arn(&orders), tags),
        pairs(&[
            ("slsr:service", "msg"),
            ("slsr:stage", "dev"),
            ("team", "core")
        ])
    );
    let subs = subscriptions(&sns, &orders).await;
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(
        (subs[0].0.as_str(), subs[0].1.as_str()),
        ("lambda", function.as_str())
    );
    let policy = subscription_attribute(&sns, &subs[0].2, "FilterPolicy")
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&policy).unwrap(),
        json!({"type": ["placed"]})
    );

    // SNS may invoke the function from that topic only.
    let found = statements(&lambda, "msg-dev-api").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0]["Principal"],
        json!({"Service": "sns.amazonaws.com"})
    );
    assert_eq!(
        found[0]["Condition"]["ArnLike"]["AWS:SourceArn"],
        json!(orders)
    );
    assert_eq!(found[0]["Action"], json!("lambda:InvokeFunction"));

    // The generated role may publish to that topic, and to nothing else.
    assert_eq!(
        role_policy(&iam, "msg-dev-api").await,
        json!({"Version": "2012-10-17", "Statement": [
            log_grant(id, "msg-dev-api"),
            {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [orders]},
        ]})
    );
    let outputs = slsr(&account, "outputs", &spec, &[]);
    assert!(
        outputs.stdout.contains(&orders),
        "{}{}",
        outputs.stdout,
        outputs.stderr
    );

    // A new key and a new filter policy on its body: each its own field, in place.
    let changed_text = TOPICS
        .replace("kms_key: alias/aws/sns", "kms_key: alias/orders")
        .replace(
            "filter_policy: {type: [placed]}",
            "filter_policy: {type: [shipped]}, filter_policy_scope: message_body",
        );
    apply_change(
        &account,
        &spec,
        &changed_text,
        &[
            "~ topic.orders  msg-dev-orders",
            "~ kms_key: \"alias/aws/sns\" -> \"alias/orders\"",
            "~ subscription.api.orders",
            "-   \"type\": [\"placed\"]",
            "+   \"type\": [\"shipped\"]",
            "~ filter_policy_scope: \"MessageAttributes\" -> \"MessageBody\"",
            "Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy.",
        ],
    );
    assert_eq!(
        topic_attribute(&sns, &orders, "KmsMasterKeyId")
            .await
            .as_deref(),
        Some("alias/orders")
    );
    let same = subscriptions(&sns, &orders).await;
    assert_eq!(same, subs, "changed in place, not made again");
    let policy = subscription_attribute(&sns, &subs[0].2, "FilterPolicy")
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&policy).unwrap(),
        json!({"type": ["shipped"]})
    );
    assert_eq!(
        subscription_attribute(&sns, &subs[0].2, "FilterPolicyScope")
            .await
            .as_deref(),
        Some("MessageBody")
    );

    // Without a filter policy the subscription takes every message.
    let unfiltered = changed_text.replace(
        "- sns: {topic: orders, filter_policy: {type: [shipped]}, filter_policy_scope: message_body}",
        "- sns: {topic: orders}",
    );
    apply_change(
        &account,
        &spec,
        &unfiltered,
        &[
            "~ subscription.api.orders",
            "- filter_policy",
            "- filter_policy_scope",
        ],
    );
    assert_eq!(
        subscription_attribute(&sns, &subs[0].2, "FilterPolicy")
            .await
            .filter(|p| !p.is_empty()),
        None
    );

    // Removed: the subscription and its permission go, then the topics.
    apply_change(
        &account,
        &spec,
        WITHOUT_TOPICS,
        &[
            "- topic.orders  msg-dev-orders",
            "- topic.audit  msg-dev-audit.fifo",
            "- subscription.api.orders",
            "to destroy.",
        ],
    );
    let arns = topic_arns(&sns).await;
    assert!(
        !arns.contains(&orders) && !arns.contains(&audit),
        "{arns:?}"
    );
    assert_eq!(
        statements(&lambda, "msg-dev-api").await,
        Vec::<Value>::new()
    );
}

/// Someone's queue `name`, made and subscribed to `topic` by hand: the queue's ARN and the
/// subscription's.
async fn their_queue_on(
    config: &aws_config::SdkConfig,
    account: &str,
    topic: &str,
    name: &str,
) -> (String, String) {
    aws_sdk_sqs::Client::new(config)
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap();
    let queue = format!("arn:aws:sqs:us-east-1:{account}:{name}");
    let subscription = aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(&queue)
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    (queue, subscription)
}

fn foreign_spec(topic: &str) -> String {
    format!(
        "service: msg
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sns: {{topic: \"{topic}\", filter_policy: {{kind: [audit]}}}}
"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_someone_elses_topic_slsr_adds_only_its_subscription_and_keeps_theirs_through_destroy() {
    let account = Account::new().await;
    let config = account.config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let id = &account.id;
    // Their topic, with their queue subscribed by hand.
    let topic = sns
        .create_topic()
        .name("their-events")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (queue, theirs) = their_queue_on(&config, id, &topic, "their-queue").await;
    let spec = app("messaging-foreign-topic", &foreign_spec(&topic));

    let plan = slsr(&account, "plan", &spec, &[]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    has_all(
        &plan.stdout,
        &[
            &format!("+ subscription[\"api.{topic}\"]"),
            "Kept (left as they are):",
            &theirs,
            &format!("a subscription slsr did not make (sqs {queue})"),
        ],
    );
    assert!(!plan.stdout.contains("+ topic."), "{}", plan.stdout);
    applied_clean(&account, &spec, &[]);
    let function = format!("arn:aws:lambda:us-east-1:{id}:function:msg-dev-api");
    let subs = subscriptions(&sns, &topic).await;
    assert_eq!(subs.len(), 2, "{subs:?}");
    assert!(
        subs.contains(&("sqs".into(), queue.clone(), theirs.clone())),
        "{subs:?}"
    );
    let ours = subs.iter().find(|s| s.0 == "lambda").unwrap();
    assert_eq!(ours.1, function);
    let found = statements(&lambda, "msg-dev-api").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0]["Condition"]["ArnLike"]["AWS:SourceArn"],
        json!(topic)
    );
    // Their topic got no tags of slsr's.
    let tags = tag_pairs!(sns.list_tags_for_resource().resource_arn(&topic), tags);
    assert!(tags.is_empty(), "{tags:?}");

    // Destroy takes slsr's subscription off; their topic and their subscription stay.
    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout
            .contains(&format!("- subscription[\"api.{topic}\"]")),
        "{}",
        out.stdout
    );
    assert!(topic_arns(&sns).await.contains(&topic));
    assert_eq!(
        subscriptions(&sns, &topic).await,
        vec![("sqs".into(), queue, theirs)]
    );
}

const BUSES: &str = "service: msg
buses:
  app: {tags: {tier: gold}}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - eventbridge: {bus: app, pattern: {source: [orders]}}
      - eventbridge: {bus: their-bus, pattern: {source: [billing]}}
";

/// The names of a bus's rules, every page.
async fn rules_on(events: &aws_sdk_eventbridge::Client, bus: &str) -> Vec<String> {
    all_items!(events.list_rules().event_bus_name(bus), rules)
        .iter()
        .filter_map(|r| r.name().map(str::to_string))
        .collect()
}

/// The names of the account's buses, every page, sorted.
async fn buses(events: &aws_sdk_eventbridge::Client) -> Vec<String> {
    let mut all: Vec<String> = all_items!(events.list_event_buses(), event_buses)
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_is_made_with_its_rules_changed_and_removed_after_them() {
    let account = Account::new().await;
    let events = aws_sdk_eventbridge::Client::new(&account.config().await);
    let id = &account.id;
    // An existing bus named as today.
    events
        .create_event_bus()
        .name("their-bus")
        .send()
        .await
        .unwrap();
    let spec = app("messaging-buses", BUSES);
    let first = replan(&account, &spec, BUSES, &[]);
    has_all(
        &first,
        &[
            "+ bus.app  msg-dev-app",
            &format!("+ arn = \"arn:aws:events:us-east-1:{id}:event-bus/msg-dev-app\""),
            "+ tags = {slsr:service=msg, slsr:stage=dev, tier=gold}",
            "+ bus = \"msg-dev-app\"",
            "+ bus = \"their-bus\"",
        ],
    );
    assert!(!first.contains("+ bus.their-bus"), "{first}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        buses(&events).await,
        ["default", "msg-dev-app", "their-bus"]
    );
    let arn = format!("arn:aws:events:us-east-1:{id}:event-bus/msg-dev-app");
    assert_eq!(
        tag_pairs!(events.list_tags_for_resource().resource_arn(&arn), tags),
        pairs(&[
            ("slsr:service", "msg"),
            ("slsr:stage", "dev"),
            ("tier", "gold")
        ])
    );
    let ours = rules_on(&events, "msg-dev-app").await;
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0].starts_with("msg-dev-api-"), "{ours:?}");
    assert_eq!(rules_on(&events, "their-bus").await.len(), 1);

    let changed = replan(
        &account,
        &spec,
        BUSES.replace("tier: gold", "tier: silver"),
        &[],
    );
    has_all(
        &changed,
        &[
            "~ bus.app  msg-dev-app",
            "~ tags.tier: \"gold\" -> \"silver\"",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    applied_clean(&account, &spec, &[]);

    // The bus leaves the spec with its rule: the rule goes first, then the bus.
    let without = "service: msg
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - eventbridge: {bus: their-bus, pattern: {source: [billing]}}
";
    apply_change(
        &account,
        &spec,
        without,
        &[
            "- bus.app  msg-dev-app",
            "- rule.api.",
            "Plan: 0 to add, 0 to change, 0 to replace, 3 to destroy.",
        ],
    );
    assert_eq!(buses(&events).await, ["default", "their-bus"]);
    assert_eq!(rules_on(&events, "their-bus").await.len(), 1);
}

/// A Scheduler schedule as Scheduler has it.
async fn schedule(
    scheduler: &aws_sdk_scheduler::Client,
    group: &str,
    name: &str,
) -> aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput {
    scheduler
        .get_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
        .unwrap()
}

const SCHEDULES: &str = "service: msg
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: {expression: \"cron(0 3 * * ? *)\", timezone: Europe/Paris, name: nightly}
      - schedule: {expression: \"at(2027-01-01T00:00:00)\", flexible_window: 15, input: {once: true}}
      - schedule: rate(5 minutes)
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_with_a_timezone_go_through_scheduler_with_a_role_for_exactly_their_function() {
    let account = Account::new().await;
    let config = account.config().await;
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let id = &account.id;
    let function = format!("arn:aws:lambda:us-east-1:{id}:function:msg-dev-api");
    let role = format!("arn:aws:iam::{id}:role/slsr/msg/dev/msg-dev-api.scheduler");
    let spec = app("messaging-schedules", SCHEDULES);

    apply_change(
        &account,
        &spec,
        SCHEDULES,
        &[
            "+ schedule_group.msg-dev  msg-dev",
            "+ schedule.api.nightly  api-nightly",
            "+ timezone = \"Europe/Paris\"",
            "+ expression = \"at(2027-01-01T00:00:00)\"",
            "+ flexible_window = 15",
            "+ timezone = \"UTC\"",
            "+ role.api.scheduler  msg-dev-api.scheduler",
            &format!("+ target_role = \"{role}\""),
            "+ schedule_expression = \"rate(5 minutes)\"",
        ],
    );

    let nightly = schedule(&scheduler, "msg-dev", "api-nightly").await;
    assert_eq!(nightly.schedule_expression(), Some("cron(0 3 * * ? *)"));
    assert_eq!(nightly.schedule_expression_timezone(), Some("Europe/Paris"));
    let target = nightly.target().unwrap();
    assert_eq!(
        (target.arn(), target.role_arn()),
        (function.as_str(), role.as_str())
    );
    // The one-off schedule, with its window and input.
    let names: Vec<String> =
        all_items!(scheduler.list_schedules().group_name("msg-dev"), schedules)
            .iter()
            .filter_map(|s| s.name().map(str::to_string))
            .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let once = names.iter().find(|n| *n != "api-nightly").unwrap();
    let once = schedule(&scheduler, "msg-dev", once).await;
    let window = once.flexible_time_window().unwrap();
    assert_eq!(window.mode().as_str(), "FLEXIBLE");
    assert_eq!(window.maximum_window_in_minutes(), Some(15));
    assert_eq!(once.target().unwrap().input(), Some("{\"once\":true}"));
    // The group carries slsr's tags.
    let group = format!("arn:aws:scheduler:us-east-1:{id}:schedule-group/msg-dev");
    assert_eq!(
        tag_pairs!(
            scheduler.list_tags_for_resource().resource_arn(&group),
            tags
        ),
        pairs(&[("slsr:service", "msg"), ("slsr:stage", "dev")])
    );
    // Only the plain rate() is an EventBridge rule.
    let rules: Vec<String> = all_items!(events.list_rules().name_prefix("msg-dev-"), rules)
        .iter()
        .map(|r| r.schedule_expression().unwrap_or_default().to_string())
        .collect();
    assert_eq!(rules, ["rate(5 minutes)"]);

    // The scheduler role: under slsr's path, trusting Scheduler, allowed exactly to invoke
    // this one function.
    let (path, trust) = path_and_trust(&iam, "msg-dev-api.scheduler").await;
    assert_eq!(path, "/slsr/msg/dev/");
    assert_eq!(
        trust["Statement"][0]["Principal"],
        json!({"Service": ["scheduler.amazonaws.com"]})
    );
    let policies = iam
        .list_role_policies()
        .role_name("msg-dev-api.scheduler")
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["slsr"]);
    assert_eq!(
        role_policy(&iam, "msg-dev-api.scheduler").await,
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [function]},
        ]})
    );
    let attached = iam
        .list_attached_role_policies()
        .role_name("msg-dev-api.scheduler")
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());

    // A new timezone changes the schedule in place.
    let changed = replan(
        &account,
        &spec,
        SCHEDULES.replace("Europe/Paris", "America/New_York"),
        &[],
    );
    has_all(
        &changed,
        &[
            "~ schedule.api.nightly  api-nightly",
            "~ timezone: \"Europe/Paris\" -> \"America/New_York\"",
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.",
        ],
    );
    applied_clean(&account, &spec, &[]);
    let nightly = schedule(&scheduler, "msg-dev", "api-nightly").await;
    assert_eq!(
        nightly.schedule_expression_timezone(),
        Some("America/New_York")
    );

    // Without Scheduler schedules, their group and role go too; the rule stays.
    let only_rate = "service: msg
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: rate(5 minutes)
";
    apply_change(
        &account,
        &spec,
        only_rate,
        &[
            "- schedule.api.nightly  api-nightly",
            "- schedule_group.msg-dev  msg-dev",
            "- role.api.scheduler  msg-dev-api.scheduler",
            "Plan: 0 to add, 0 to change, 0 to replace, 4 to destroy.",
        ],
    );
    let groups: Vec<String> = all_items!(scheduler.list_schedule_groups(), schedule_groups)
        .iter()
        .filter_map(|g| g.name().map(str::to_string))
        .collect();
    assert_eq!(groups, ["default"]);
    assert!(
        iam.get_role()
            .role_name("msg-dev-api.scheduler")
            .send()
            .await
            .is_err()
    );
}

const OWNED_TOPIC: &str = "service: msg
topics:
  orders: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sns: {topic: orders}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owned_topic_that_others_subscribed_to_is_handed_over_rather_than_deleted() {
    let account = Account::new().await;
    let config = account.config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let id = &account.id;
    let spec = app("messaging-handover", OWNED_TOPIC);
    applied_clean(&account, &spec, &[]);
    let topic = format!("arn:aws:sns:us-east-1:{id}:msg-dev-orders");
    // Someone subscribes their queue to slsr's topic by hand.
    let (queue, theirs) = their_queue_on(&config, id, &topic, "audit").await;
    let plan = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "their subscription is no change of slsr's:\n{}",
        plan.stdout
    );
    has_all(
        &plan.stdout,
        &[
            "Kept (left as they are):",
            &format!("= topic.orders  {theirs}"),
        ],
    );

    // The topic leaves the spec: slsr's subscription goes, the topic stays with theirs.
    let without = "service: msg
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";
    apply_change(
        &account,
        &spec,
        without,
        &[
            "- topic.orders  msg-dev-orders",
            "slsr removes only its own part and its tags",
            "- subscription.api.orders",
        ],
    );
    assert!(topic_arns(&sns).await.contains(&topic));
    assert_eq!(
        subscriptions(&sns, &topic).await,
        vec![("sqs".into(), queue, theirs)]
    );
    let tags = tag_pairs!(sns.list_tags_for_resource().resource_arn(&topic), tags);
    assert!(tags.is_empty(), "handed over without slsr's tags: {tags:?}");
}

/// A walked listing's pages and its names in one order.
fn in_order((took, mut names): (usize, Vec<String>)) -> (usize, Vec<String>) {
    names.sort();
    (took, names)
}

/// The emulator answers the messaging listings slsr reads in pages, as AWS does (moto by
/// itself answers them in one): one more of each than a page comes back in two, each once.
#[tokio::test]
async fn the_messaging_listings_answer_in_pages() {
    let account = Account::new().await;
    let config = account.config().await;
    let (sns, sqs) = (
        aws_sdk_sns::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    let events = aws_sdk_eventbridge::Client::new(&config);
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let n = crate::support::page_size() + 1;
    let want = crate::support::pages(n);
    let names =
        |what: &str| -> Vec<String> { (0..n).map(|i| format!("paging-{what}-{i}")).collect() };

    let mut topics = Vec::new();
    for name in names("topic") {
        topics.push(
            sns.create_topic()
                .name(&name)
                .send()
                .await
                .unwrap()
                .topic_arn
                .unwrap(),
        );
    }
    topics.sort();
    assert_eq!(
        in_order(walk!(
            sns.list_topics(),
            set_next_token,
            topics,
            next_token,
            |t| t.topic_arn().unwrap_or_default().to_string()
        )),
        (want, topics.clone())
    );

    let mut queues = Vec::new();
    for name in names("queue") {
        sqs.create_queue().queue_name(&name).send().await.unwrap();
        let queue = format!("arn:aws:sqs:us-east-1:{}:{name}", account.id);
        sns.subscribe()
            .topic_arn(&topics[0])
            .protocol("sqs")
            .endpoint(&queue)
            .send()
            .await
            .unwrap();
        queues.push(queue);
    }
    assert_eq!(
        in_order(walk!(
            sns.list_subscriptions_by_topic().topic_arn(&topics[0]),
            set_next_token,
            subscriptions,
            next_token,
            |s| s.endpoint().unwrap_or_default().to_string()
        )),
        (want, queues)
    );

    for name in names("bus") {
        events.create_event_bus().name(&name).send().await.unwrap();
    }
    assert_eq!(
        in_order(walk!(
            events.list_event_buses().name_prefix("paging-"),
            set_next_token,
            event_buses,
            next_token,
            |b| b.name().unwrap_or_default().to_string()
        )),
        (want, names("bus"))
    );

    for name in names("group") {
        scheduler
            .create_schedule_group()
            .name(&name)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        in_order(walk!(
            scheduler.list_schedule_groups().name_prefix("paging-"),
            set_next_token,
            schedule_groups,
            next_token,
            |g| g.name().unwrap_or_default().to_string()
        )),
        (want, names("group"))
    );
    let window = aws_sdk_scheduler::types::FlexibleTimeWindow::builder()
        .mode(aws_sdk_scheduler::types::FlexibleTimeWindowMode::Off)
        .build()
        .unwrap();
    let target = aws_sdk_scheduler::types::Target::builder()
        .arn(format!(
            "arn:aws:lambda:us-east-1:{}:function:f",
            account.id
        ))
        .role_arn(format!("arn:aws:iam::{}:role/r", account.id))
        .build()
        .unwrap();
    for name in names("schedule") {
        scheduler
            .create_schedule()
            .group_name("paging-group-0")
            .name(&name)
            .schedule_expression("rate(1 hour)")
            .flexible_time_window(window.clone())
            .target(target.clone())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        in_order(walk!(
            scheduler.list_schedules().group_name("paging-group-0"),
            set_next_token,
            schedules,
            next_token,
            |s| s.name().unwrap_or_default().to_string()
        )),
        (want, names("schedule"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exactly_named_topic_is_found_by_its_tags_once_it_leaves_the_spec() {
    let named = "service: msg\ntopics:\n  shared: {name: shared-orders}\n";
    let spec = app("messaging-named-topic", named);
    let account = Account::new().await;
    let sns = aws_sdk_sns::Client::new(&account.config().await);
    applied_clean(&account, &spec, &[]);
    let topic = format!("arn:aws:sns:us-east-1:{}:shared-orders", account.id);
    assert!(topic_arns(&sns).await.contains(&topic));
    let removal = replan(&account, &spec, "service: msg\n", &[]);
    has_all(
        &removal,
        &[
            "- topic.shared-orders  shared-orders",
            "Plan: 0 to add, 0 to change, 0 to replace, 1 to destroy.",
        ],
    );
    applied(&account, &spec, &[]);
    assert!(!topic_arns(&sns).await.contains(&topic));
}

const LOST: &str = "service: lost
topics:
  orders: {kms_key: alias/aws/sns}
buses:
  app: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sns: {topic: orders, filter_policy: {type: [placed]}}
      - schedule: {expression: \"cron(0 3 * * ? *)\", timezone: Europe/Paris, name: nightly}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_messaging_call_makes_nothing_twice() {
    const CREATES: &[&str] = &[
        "SNS.CreateTopic",
        "SNS.Subscribe",
        "EventBridge.CreateEventBus",
        "Scheduler.CreateScheduleGroup",
        "Scheduler.CreateSchedule",
    ];
    const UPDATES: &[&str] = &[
        "SNS.SetTopicAttributes",
        "SNS.SetSubscriptionAttributes",
        "Scheduler.UpdateSchedule",
    ];
    const DELETES: &[&str] = &[
        "SNS.Unsubscribe",
        "SNS.DeleteTopic",
        "EventBridge.DeleteEventBus",
        "Scheduler.DeleteSchedule",
        "Scheduler.DeleteScheduleGroup",
    ];
    let spec = app("messaging-lost", LOST);
    let account = Account::new().await;
    let config = account.config().await;
    let sns = aws_sdk_sns::Client::new(&config);
    let events = aws_sdk_eventbridge::Client::new(&config);
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let topic = format!("arn:aws:sns:us-east-1:{}:lost-dev-orders", account.id);
    losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    assert_clean(&account, &spec);
    assert_eq!(topic_arns(&sns).await, vec![topic.clone()]);
    assert_eq!(subscriptions(&sns, &topic).await.len(), 1);
    assert_eq!(buses(&events).await, ["default", "lost-dev-app"]);
    let schedules = scheduler
        .get_schedule()
        .group_name("lost-dev")
        .name("api-nightly")
        .send()
        .await;
    assert!(schedules.is_ok(), "{schedules:?}");

    let changed = LOST
        .replace("alias/aws/sns", "alias/lost")
        .replace("type: [placed]", "type: [shipped]")
        .replace("Europe/Paris", "Asia/Tokyo");
    std::fs::write(&spec, changed).unwrap();
    losing_first(&account, &spec, UPDATES, &["apply", "--auto-approve"]).await;
    assert_clean(&account, &spec);

    losing_first(&account, &spec, DELETES, &["destroy", "--auto-approve"]).await;
    assert!(topic_arns(&sns).await.is_empty());
    assert_eq!(buses(&events).await, ["default"]);
    let group = scheduler.get_schedule_group().name("lost-dev").send().await;
    assert!(group.is_err(), "{group:?}");
}

const SCHEDULED_MACHINE: &str = "service: msg
state_machines:
  fulfil:
    definition: {StartAt: Done, States: {Done: {Type: Pass, End: true}}}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: {expression: \"cron(0 3 * * ? *)\", timezone: Europe/Paris, name: nightly, state_machine: fulfil}
";

/// A Scheduler schedule with `state_machine:` starts that machine through a role of its
/// own, allowed exactly StartExecution on it; no rule, no `.events` role, no Lambda
/// permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_with_a_timezone_starts_a_state_machine_through_a_role_for_exactly_it() {
    let account = Account::new().await;
    let config = account.config().await;
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let id = &account.id;
    let machine = format!("arn:aws:states:us-east-1:{id}:stateMachine:msg-dev-fulfil");
    let role = format!("arn:aws:iam::{id}:role/slsr/msg/dev/msg-dev-fulfil.scheduler-start");
    let spec = app("messaging-scheduled-machine", SCHEDULED_MACHINE);

    let first = replan(&account, &spec, SCHEDULED_MACHINE, &[]);
    has_all(
        &first,
        &[
            "+ schedule.api.nightly  api-nightly",
            &format!("+ target = \"{machine}\""),
            "+ role.fulfil.scheduler-start  msg-dev-fulfil.scheduler-start",
        ],
    );
    assert!(!first.contains("+ rule."), "{first}");
    assert!(!first.contains(".events"), "{first}");
    applied_clean(&account, &spec, &[]);

    let nightly = schedule(&scheduler, "msg-dev", "api-nightly").await;
    let target = nightly.target().unwrap();
    assert_eq!(
        (target.arn(), target.role_arn()),
        (machine.as_str(), role.as_str())
    );
    assert_eq!(
        role_policy(&iam, "msg-dev-fulfil.scheduler-start").await,
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [machine]},
        ]})
    );
    // The function is not what the schedule calls: it has no statement for Scheduler.
    let policy = lambda
        .get_policy()
        .function_name("msg-dev-api")
        .send()
        .await;
    assert!(policy.is_err(), "{policy:?}");
}
