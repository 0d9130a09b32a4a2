//! SNS subscriptions of slsr's functions: one per `sns` event, protocol `lambda`, with its
//! filter policy and scope, keyed `{function}.{topic}` (the topic's key in the spec, or the
//! ARN of an existing topic), and the permission that lets SNS invoke the function from
//! that topic (SourceArn). SNS cannot tag a subscription: slsr's are those whose endpoint
//! is one of slsr's own functions; every other subscription of a topic is someone else's,
//! kept and never touched (`aws/read/sns.rs`). A subscription needs its topic and
//! function, so it goes before its topic when both are deleted.

use serde_json::{Value, json};

use super::{Index, KindInfo, Tags, attr, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "subscription",
    naming: "made by SNS (an ARN); slsr's are those whose endpoint is one of its functions",
    tags: Tags::Untagged,
    replaced_by: &[TOPIC_ARN, FUNCTION],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[TOPIC_ARN, FUNCTION],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The subscription's own ARN, which SNS gives (live side only).
pub const ARN: &str = "arn";
pub const TOPIC_ARN: &str = "topic_arn";
/// The endpoint: the function's ARN.
pub const FUNCTION: &str = "function";
pub const FILTER_POLICY: &str = "filter_policy";
pub const FILTER_POLICY_SCOPE: &str = "filter_policy_scope";

pub const SNS_PRINCIPAL: &str = "sns.amazonaws.com";

/// Whether an `sns` event's topic is an existing topic's ARN rather than a declared one.
pub fn foreign_topic(topic: &str) -> bool {
    topic.starts_with("arn:")
}

/// The key of a subscription of `function` to `topic` (a declared topic's key or an ARN).
pub fn key(function: &str, topic: &str) -> String {
    format!("{function}.{topic}")
}

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            let Event::Sns(sns) = event else { continue };
            let topic_arn = if foreign_topic(&sns.topic) {
                sns.topic.clone()
            } else {
                b.topic_arn(&sns.topic)
            };
            let policy = sns.filter_policy.clone().map(Value::Object);
            // SNS reads a filter policy without a scope as one on the message attributes.
            let scope = policy.as_ref().map(|_| {
                sns.filter_policy_scope
                    .unwrap_or(crate::spec::model::FilterPolicyScope::MessageAttributes)
                    .as_sns()
            });
            state.insert(
                Resource::new(
                    super::Kind::Subscription,
                    key(function, &sns.topic),
                    format!("{} on {topic_arn}", b.p.physical_name(function)),
                )
                .with(ARN, KNOWN_AFTER_APPLY)
                .with(TOPIC_ARN, topic_arn.clone())
                .with(FUNCTION, b.function_arn(function))
                .with(FILTER_POLICY, policy.unwrap_or(Value::Null))
                .with(FILTER_POLICY_SCOPE, scope.map_or(Value::Null, Value::from)),
            );
            state.insert(super::permission::resource(
                b,
                function,
                &format!("sns\0{}", sns.topic),
                json!({"principal": SNS_PRINCIPAL, "source_arn": topic_arn}),
            ));
        }
    }
}

/// A subscription needs its topic (when slsr makes it) and its function.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    [TOPIC_ARN, FUNCTION]
        .iter()
        .filter_map(|a| index.arn(&attr_str(r, a)))
        .collect()
}

/// A subscription as ListSubscriptionsByTopic and GetSubscriptionAttributes have it.
pub fn live(key: &str, name: &str, attrs: &std::collections::HashMap<String, String>) -> Resource {
    let policy = attrs
        .get("FilterPolicy")
        .filter(|p| !p.is_empty())
        .and_then(|p| serde_json::from_str::<Value>(p).ok());
    let scope = policy
        .as_ref()
        .and_then(|_| attrs.get("FilterPolicyScope").cloned());
    Resource::new(super::Kind::Subscription, key, name)
        .with(
            ARN,
            attrs.get("SubscriptionArn").cloned().unwrap_or_default(),
        )
        .with(
            TOPIC_ARN,
            attrs.get("TopicArn").cloned().unwrap_or_default(),
        )
        .with(FUNCTION, attrs.get("Endpoint").cloned().unwrap_or_default())
        .with(FILTER_POLICY, policy.unwrap_or(Value::Null))
        .with(FILTER_POLICY_SCOPE, scope.map_or(Value::Null, Value::from))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let mut attributes = std::collections::HashMap::new();
            if let Value::Object(_) = attr(r, FILTER_POLICY) {
                attributes.insert(
                    "FilterPolicy".to_string(),
                    a.resolve(&attr(r, FILTER_POLICY).to_string()),
                );
                attributes.insert(
                    "FilterPolicyScope".to_string(),
                    attr_str(r, FILTER_POLICY_SCOPE),
                );
            }
            // SNS answers a repeated Subscribe with the subscription it has, so a retry
            // makes no second one.
            a.sns
                .subscribe()
                .topic_arn(a.resolve(&attr_str(r, TOPIC_ARN)))
                .protocol("lambda")
                .endpoint(attr_str(r, FUNCTION))
                .set_attributes(Some(attributes))
                .return_subscription_arn(true)
                .send()
                .await
                .map_err(|e| AwsError::new("Subscribe", name, e))?;
        }
        Action::Delete => {
            a.sns
                .unsubscribe()
                .subscription_arn(attr_str(r, ARN))
                .send()
                .await
                .or_gone("Unsubscribe", name)?;
        }
        _ => {
            let live = step.live().expect("an update has a live resource");
            let arn = attr_str(live, ARN);
            // The scope first: SNS checks the policy against the scope it has.
            let changes: Vec<(&str, String)> = match attr(r, FILTER_POLICY) {
                Value::Null => vec![("FilterPolicy", String::new())],
                policy => vec![
                    ("FilterPolicyScope", attr_str(r, FILTER_POLICY_SCOPE)),
                    ("FilterPolicy", a.resolve(&policy.to_string())),
                ],
            };
            for (attribute, value) in changes {
                a.sns
                    .set_subscription_attributes()
                    .subscription_arn(&arn)
                    .attribute_name(attribute)
                    .attribute_value(value)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("SetSubscriptionAttributes", name, e))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::engine::desired::testing::desired;

    #[test]
    fn a_subscription_comes_with_a_permission_scoped_to_its_topic() {
        let s = desired(
            "service: shop
topics: {orders: {}}
functions:
  api:
    image: x
    events:
      - sns: {topic: orders, filter_policy: {type: [placed]}, filter_policy_scope: message_body}
      - sns: {topic: \"arn:aws:sns:eu-west-1:999999999999:theirs\"}
",
            "eu-west-1",
        );
        let ours = &s.resources["subscription.api.orders"].attrs;
        assert_eq!(
            ours["topic_arn"],
            json!("arn:aws:sns:eu-west-1:123456789012:shop-dev-orders")
        );
        assert_eq!(ours["filter_policy"], json!({"type": ["placed"]}));
        assert_eq!(ours["filter_policy_scope"], json!("MessageBody"));
        let theirs = s
            .resources
            .get("subscription[\"api.arn:aws:sns:eu-west-1:999999999999:theirs\"]")
            .expect("keyed by the topic's ARN");
        assert!(theirs.attrs["filter_policy"].is_null());
        assert!(theirs.attrs["filter_policy_scope"].is_null());
        let sources: Vec<&serde_json::Value> = s
            .resources
            .values()
            .filter(|r| r.attrs.get("principal") == Some(&json!("sns.amazonaws.com")))
            .map(|r| &r.attrs["source_arn"])
            .collect();
        assert_eq!(
            sources.len(),
            2,
            "one statement per topic, each with its SourceArn"
        );
        assert!(sources.contains(&&json!("arn:aws:sns:eu-west-1:999999999999:theirs")));
    }
}
