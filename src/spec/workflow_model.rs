//! The typed spec of Step Functions state machines: their definition (a file or an inline
//! mapping), type, tracing, logging and role. Part of the spec's single source of shape,
//! like `model.rs` (which re-exports these types): the JSON Schema and the hover help come
//! from here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::model::Tracing;

/// A Step Functions state machine, named `{service}-{stage}-{name}` unless `name` says otherwise.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"definition": "./fulfil.asl.json", "type": "standard", "logging": {"level": "error"}}))]
pub struct StateMachine {
    /// The state machine's exact name instead of `{service}-{stage}-{name}`: 1 to 80 letters, digits, `-` and `_`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{1,80}$"))]
    pub name: Option<String>,
    /// The Amazon States Language definition: a file relative to the spec file (JSON, or YAML when it ends in .yaml or .yml), or an inline mapping. `${function:NAME.arn}`, `${state_machine:NAME.arn}` and the spec's other references work inside it.
    #[schemars(example = serde_json::json!("./fulfil.asl.json"))]
    pub definition: Definition,
    /// standard (the default: long-running, exactly once) or express (short, at least once). Changing it replaces the state machine.
    #[serde(rename = "type")]
    pub kind: Option<StateMachineType>,
    /// X-Ray tracing: active or passthrough (the default, off).
    pub tracing: Option<Tracing>,
    /// Execution logging into the state machine's own log group, /aws/vendedlogs/states/{service}-{stage}-{name}. Omitted: no logging.
    pub logging: Option<StateMachineLogging>,
    /// The ARN of an existing IAM role that Step Functions assumes, used as written. Omitted: a generated role allowed to invoke exactly the functions (and start exactly the state machines) the definition names.
    #[schemars(regex(pattern = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"))]
    pub role: Option<String>,
    /// Days CloudWatch Logs keeps the execution logs (with `logging`): 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653. Omitted: kept forever.
    #[schemars(extend("enum" = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]))]
    pub log_retention_days: Option<u32>,
    /// Tags of this state machine, besides the spec's `tags` and slsr's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// Where a definition comes from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Definition {
    /// A file relative to the spec file, inside the project: JSON, or YAML when it ends in .yaml or .yml.
    File(#[schemars(length(min = 1))] String),
    /// The definition written in the spec: StartAt, States and the rest of the Amazon States Language.
    Inline(serde_json::Map<String, serde_json::Value>),
}

/// A state machine's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StateMachineType {
    /// Long-running workflows, each step run exactly once.
    Standard,
    /// Short, high-volume workflows (at most 5 minutes), run at least once.
    Express,
}

impl StateMachineType {
    /// Step Functions' own spelling.
    pub fn aws(self) -> &'static str {
        match self {
            StateMachineType::Standard => "STANDARD",
            StateMachineType::Express => "EXPRESS",
        }
    }
}

/// What a state machine logs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"level": "error", "include_execution_data": false}))]
pub struct StateMachineLogging {
    /// off, error (failed executions and states) or all (every event).
    pub level: LogLevel,
    /// Whether the logs hold each state's input and output (default false: they may hold personal data).
    pub include_execution_data: Option<bool>,
}

/// A state machine's log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Off,
    Error,
    All,
}

impl LogLevel {
    /// Step Functions' own spelling.
    pub fn aws(self) -> &'static str {
        match self {
            LogLevel::Off => "OFF",
            LogLevel::Error => "ERROR",
            LogLevel::All => "ALL",
        }
    }
}
