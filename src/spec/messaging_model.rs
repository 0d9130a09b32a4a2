//! The typed spec of the messaging resources slsr makes: SNS topics and their `sns`
//! events, and EventBridge custom buses. Part of the spec's single source of shape, like
//! `model.rs` (which re-exports these types): the JSON Schema and the hover help come from
//! here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// An SNS topic, named `{service}-{stage}-{name}` (with `.fifo` for a FIFO topic) unless `name` says otherwise.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"fifo": false, "kms_key": "alias/aws/sns"}))]
pub struct Topic {
    /// The topic's exact physical name instead of `{service}-{stage}-{name}`: 1 to 256 letters, digits, `-` and `_`, ending in `.fifo` for a FIFO topic.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,251}(\.fifo)?$"))]
    pub name: Option<String>,
    /// A FIFO topic (ordered, deduplicated); its physical name ends in `.fifo`. Changing it replaces the topic.
    pub fifo: Option<bool>,
    /// A KMS key id, alias or ARN for server-side encryption, for example alias/aws/sns.
    #[schemars(length(min = 1))]
    pub kms_key: Option<String>,
    /// Tags of this topic, besides the spec's `tags` and slsr's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// An SNS subscription of the function to a topic: a topic under `topics`, or an existing topic's ARN.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"topic": "order-events", "filter_policy": {"type": ["placed"]}}))]
pub struct SnsEvent {
    /// The name of a topic under `topics`, or the ARN of an existing topic (arn:aws:sns:REGION:ACCOUNT:NAME): slsr then adds only its own subscription and permission.
    #[schemars(length(min = 1))]
    pub topic: String,
    /// Only messages that match this filter policy invoke the function, for example {type: [placed]}.
    pub filter_policy: Option<serde_json::Map<String, serde_json::Value>>,
    /// What the filter policy matches: message_attributes (SNS's default) or message_body. Needs a `filter_policy`.
    pub filter_policy_scope: Option<FilterPolicyScope>,
}

/// What a subscription's filter policy matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterPolicyScope {
    /// The message's attributes (SNS's default).
    MessageAttributes,
    /// The message's JSON body.
    MessageBody,
}

impl FilterPolicyScope {
    /// SNS's own spelling.
    pub fn as_sns(self) -> &'static str {
        match self {
            FilterPolicyScope::MessageAttributes => "MessageAttributes",
            FilterPolicyScope::MessageBody => "MessageBody",
        }
    }
}

/// An EventBridge custom event bus, named `{service}-{stage}-{name}`. `eventbridge` events name it with `bus: NAME`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({}))]
pub struct Bus {
    /// Tags of this bus, besides the spec's `tags` and slsr's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}
