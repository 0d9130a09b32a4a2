//! `slsr apply --dry-run`: the AWS calls apply would make for each step, in order, without
//! making any. It follows the same decisions as the writers (which fields changed, what
//! the live resource has); a test compares it with the calls a real apply makes.

use super::{Step, attr, attr_list, tag_changes};
use crate::model::Kind;
use crate::plan::Action;

/// The write operations one step makes, in order. `kept` says whether the plan keeps parts
/// of the resource that are not slsr's (a rule's other targets).
pub fn operations(step: &Step, kept: bool) -> Vec<&'static str> {
    let r = step.resource();
    let mut ops = Vec::new();
    let (set, remove) = if step.action == Action::Update {
        tag_changes(step)
    } else {
        Default::default()
    };
    // Tags added, then whatever goes between (a function's async config), then removed.
    let tags_around = |ops: &mut Vec<&'static str>,
                       tag: &'static str,
                       untag: &'static str,
                       between: Option<&'static str>| {
        if !set.is_empty() {
            ops.push(tag);
        }
        ops.extend(between);
        if !remove.is_empty() {
            ops.push(untag);
        }
    };
    let tags = |ops: &mut Vec<&'static str>, tag: &'static str, untag: &'static str| {
        tags_around(ops, tag, untag, None)
    };
    match (step.change.kind, step.action) {
        (Kind::Role, Action::Delete) => {
            ops.extend(
                attr_list(r, "managed_policies")
                    .iter()
                    .map(|_| "IAM.DetachRolePolicy"),
            );
            let inline = usize::from(!attr(r, "inline_policy").is_null())
                + r.attrs
                    .keys()
                    .filter(|k| k.starts_with("inline_policy."))
                    .count();
            ops.extend(std::iter::repeat_n("IAM.DeleteRolePolicy", inline));
            ops.push("IAM.DeleteRole");
        }
        (Kind::Role, Action::Create) => {
            ops.push("IAM.CreateRole");
            if !attr(r, "inline_policy").is_null() {
                ops.push("IAM.PutRolePolicy");
            }
            ops.extend(
                attr_list(r, "managed_policies")
                    .iter()
                    .map(|_| "IAM.AttachRolePolicy"),
            );
        }
        (Kind::Role, _) => {
            let live = step.live().expect("an update has a live resource");
            if step.changes("trust_policy") {
                ops.push("IAM.UpdateAssumeRolePolicy");
            }
            if step.changes("inline_policy") {
                if !attr(r, "inline_policy").is_null() {
                    ops.push("IAM.PutRolePolicy");
                } else if !attr(live, "inline_policy").is_null() {
                    ops.push("IAM.DeleteRolePolicy");
                }
            }
            ops.extend(
                live.attrs
                    .keys()
                    .filter(|k| k.starts_with("inline_policy."))
                    .map(|_| "IAM.DeleteRolePolicy"),
            );
            let (want, have) = (
                attr_list(r, "managed_policies"),
                attr_list(live, "managed_policies"),
            );
            ops.extend(
                want.iter()
                    .filter(|p| !have.contains(p))
                    .map(|_| "IAM.AttachRolePolicy"),
            );
            ops.extend(
                have.iter()
                    .filter(|p| !want.contains(p))
                    .map(|_| "IAM.DetachRolePolicy"),
            );
            tags(&mut ops, "IAM.TagRole", "IAM.UntagRole");
        }
        (Kind::Queue, Action::Create) => ops.push("SQS.CreateQueue"),
        (Kind::Queue, Action::Delete) => ops.push("SQS.DeleteQueue"),
        (Kind::Queue, _) => {
            if !super::sqs::attributes(step, false).is_empty() {
                ops.push("SQS.SetQueueAttributes");
            }
            tags(&mut ops, "SQS.TagQueue", "SQS.UntagQueue");
        }
        (Kind::LogGroup, Action::Delete) => ops.push("CloudWatchLogs.DeleteLogGroup"),
        (Kind::LogGroup, action) => {
            if action == Action::Create {
                ops.push("CloudWatchLogs.CreateLogGroup");
            }
            match (attr(r, "retention_days").is_null(), action) {
                (false, _) => ops.push("CloudWatchLogs.PutRetentionPolicy"),
                (true, Action::Update) => ops.push("CloudWatchLogs.DeleteRetentionPolicy"),
                _ => {}
            }
        }
        (Kind::Function, Action::Delete) => ops.push("Lambda.DeleteFunction"),
        (Kind::Function, Action::Create) => {
            ops.push("Lambda.CreateFunction");
            if r.attrs.contains_key("async.max_retries") {
                ops.push("Lambda.PutFunctionEventInvokeConfig");
            }
            if !attr(r, "reserved_concurrency").is_null() {
                ops.push("Lambda.PutFunctionConcurrency");
            }
        }
        (Kind::Function, _) => {
            if ["code_sha256", "image_uri", "architecture"]
                .iter()
                .any(|f| step.changes(f))
            {
                ops.push("Lambda.UpdateFunctionCode");
            }
            if super::lambda::CONFIGURATION.iter().any(|f| step.changes(f)) {
                ops.push("Lambda.UpdateFunctionConfiguration");
            }
            if step.changes("reserved_concurrency") {
                ops.push(if attr(r, "reserved_concurrency").is_null() {
                    "Lambda.DeleteFunctionConcurrency"
                } else {
                    "Lambda.PutFunctionConcurrency"
                });
            }
            tags_around(
                &mut ops,
                "Lambda.TagResource",
                "Lambda.UntagResource",
                if !step.changes("async.") {
                    None
                } else if r.attrs.contains_key("async.max_retries") {
                    Some("Lambda.PutFunctionEventInvokeConfig")
                } else {
                    Some("Lambda.DeleteFunctionEventInvokeConfig")
                },
            );
        }
        (Kind::Alias, Action::Delete) => {
            if !attr(r, "provisioned_concurrency").is_null() {
                ops.push("Lambda.DeleteProvisionedConcurrencyConfig");
            }
            ops.push("Lambda.DeleteAlias");
        }
        (Kind::Alias, action) => {
            ops.push("Lambda.PublishVersion");
            ops.push(if action == Action::Create {
                "Lambda.CreateAlias"
            } else {
                "Lambda.UpdateAlias"
            });
            if !attr(r, "provisioned_concurrency").is_null() {
                ops.push("Lambda.PutProvisionedConcurrencyConfig");
            }
        }
        (Kind::Permission, Action::Create) => ops.push("Lambda.AddPermission"),
        (Kind::Permission, Action::Delete) => ops.push("Lambda.RemovePermission"),
        (Kind::Permission, _) => ops.extend(["Lambda.RemovePermission", "Lambda.AddPermission"]),
        (Kind::EventSourceMapping, Action::Create) => ops.push("Lambda.CreateEventSourceMapping"),
        (Kind::EventSourceMapping, Action::Delete) => ops.push("Lambda.DeleteEventSourceMapping"),
        (Kind::EventSourceMapping, _) => ops.push("Lambda.UpdateEventSourceMapping"),
        (Kind::Rule, Action::Delete) if kept => {
            ops.extend(["EventBridge.RemoveTargets", "EventBridge.UntagResource"])
        }
        (Kind::Rule, Action::Delete) => {
            ops.extend(["EventBridge.RemoveTargets", "EventBridge.DeleteRule"])
        }
        (Kind::Rule, Action::Create) => {
            ops.extend(["EventBridge.PutRule", "EventBridge.PutTargets"])
        }
        (Kind::Rule, _) => {
            if ["schedule_expression", "event_pattern", "state"]
                .iter()
                .any(|f| step.changes(f))
            {
                ops.push("EventBridge.PutRule");
            }
            if step.changes("target") || step.changes("input") {
                ops.push("EventBridge.PutTargets");
            }
            tags(
                &mut ops,
                "EventBridge.TagResource",
                "EventBridge.UntagResource",
            );
        }
        (Kind::HttpApi, Action::Create) => ops.push("ApiGatewayV2.CreateApi"),
        (Kind::HttpApi, Action::Delete) => ops.push("ApiGatewayV2.DeleteApi"),
        (Kind::HttpApi, _) => {
            if step.changes("cors.") {
                ops.push(if r.attrs.contains_key("cors.allow_origins") {
                    "ApiGatewayV2.UpdateApi"
                } else {
                    "ApiGatewayV2.DeleteCorsConfiguration"
                });
            }
            tags(
                &mut ops,
                "ApiGatewayV2.TagResource",
                "ApiGatewayV2.UntagResource",
            );
        }
        (Kind::Integration, Action::Create) => ops.push("ApiGatewayV2.CreateIntegration"),
        (Kind::Integration, Action::Delete) => ops.push("ApiGatewayV2.DeleteIntegration"),
        (Kind::Integration, _) => ops.push("ApiGatewayV2.UpdateIntegration"),
        (Kind::Route, Action::Create) => ops.push("ApiGatewayV2.CreateRoute"),
        (Kind::Route, Action::Delete) => ops.push("ApiGatewayV2.DeleteRoute"),
        (Kind::Route, _) => ops.push("ApiGatewayV2.UpdateRoute"),
        (Kind::Authorizer, Action::Create) => ops.push("ApiGatewayV2.CreateAuthorizer"),
        (Kind::Authorizer, Action::Delete) => ops.push("ApiGatewayV2.DeleteAuthorizer"),
        (Kind::Authorizer, _) => ops.push("ApiGatewayV2.UpdateAuthorizer"),
        (Kind::Parameter, Action::Delete) => ops.push("SSM.DeleteParameter"),
        (Kind::Parameter, _) => ops.push("SSM.PutParameter"),
        (Kind::Stage, Action::Create) => ops.push("ApiGatewayV2.CreateStage"),
        (Kind::Stage, Action::Delete) => ops.push("ApiGatewayV2.DeleteStage"),
        (Kind::Stage, _) => ops.push("ApiGatewayV2.UpdateStage"),
    }
    ops
}

/// The whole dry run as text: each level's calls, numbered, levels apart.
pub fn render(plan: &crate::plan::Plan) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "Dry run: the calls apply would make, in order (calls within a level run in parallel, and a level may start once the levels it needs are done):\n",
    );
    let mut n = 0;
    for (i, level) in super::schedule(plan).into_iter().enumerate() {
        let _ = writeln!(out, "  level {}:", i + 1);
        for step in level {
            let kept = plan.kept.iter().any(|k| k.address == step.change.address);
            for op in operations(&step, kept) {
                n += 1;
                let _ = writeln!(
                    out,
                    "    {n:>3}. {op:<45} {} ({})",
                    crate::escape::printable(&step.change.address),
                    crate::escape::printable(&step.resource().name)
                );
            }
        }
    }
    let _ = writeln!(out, "{n} write calls; none was made.");
    out
}
