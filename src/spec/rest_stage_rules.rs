//! The rules of the REST API stage's access log (`rest_api.stage.access_log`): a retention
//! without the log it keeps, and, at plan time against an account (`check_cloudwatch_role`),
//! the account-wide API Gateway setting AWS needs before any stage may log: the CloudWatch
//! Logs role. That setting is the account's, not slsr's, so slsr names the command that sets
//! it rather than setting it.

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::rules::span;

const ACCESS_LOG: &str = "rest_api.stage.access_log";

/// Whether the spec asks for the REST API stage's access log.
pub fn wants_access_log(p: &Project) -> bool {
    p.rest_api
        .as_ref()
        .and_then(|a| a.stage.as_ref())
        .and_then(|s| s.access_log)
        == Some(true)
}

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let Some(stage) = p.rest_api.as_ref().and_then(|a| a.stage.as_ref()) else {
        return;
    };
    if stage.log_retention_days.is_some() && stage.access_log != Some(true) {
        diags.push(
            Diagnostic::error(
                Code::Conflict,
                span(p, "rest_api.stage.log_retention_days"),
                "the REST API's stage keeps access logs but writes none",
            )
            .with_label("retention without an access log")
            .with_help("add `access_log: true` to rest_api.stage, or remove `log_retention_days`"),
        );
    }
}

/// At plan time, with the account's API Gateway settings read (`cloudwatchRoleArn`, empty
/// when none; `None` when not read, as without an access log): an error at `rest_api.stage.access_log` when the spec wants the access log
/// and the account names no CloudWatch Logs role, since AWS refuses the stage's access log
/// settings without one.
pub fn check_cloudwatch_role(p: &Project, role: Option<&str>, account: &str) -> Vec<Diagnostic> {
    if !wants_access_log(p) || role.is_none_or(|r| !r.is_empty()) {
        return Vec::new();
    }
    vec![
        Diagnostic::error(
            Code::InvalidValue,
            span(p, ACCESS_LOG),
            format!(
                "account {account}'s API Gateway settings name no CloudWatch Logs role, and AWS writes no REST API's access log without one"
            ),
        )
        .with_label("needs the account's CloudWatch Logs role")
        .with_help(format!(
            "the setting is account-wide and slsr does not change it: with a role that API Gateway may assume and that has the AmazonAPIGatewayPushToCloudWatchLogs managed policy, run `aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::{account}:role/ROLE`, or remove `access_log`"
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::desired::testing::project;

    const LOGGED: &str = "service: shop
rest_api:
  stage:
    access_log: true
functions:
  api: {image: x, events: [{rest: GET /}]}
";

    #[test]
    fn an_account_without_the_role_is_an_error_at_the_access_log() {
        let p = project(LOGGED);
        let found = check_cloudwatch_role(&p, Some(""), "123456789012");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].span.line, found[0].span.col), (4, 17));
        assert!(check_cloudwatch_role(&p, None, "123456789012").is_empty());
        let set = "arn:aws:iam::123456789012:role/apigw-logs";
        assert!(check_cloudwatch_role(&p, Some(set), "123456789012").is_empty());
        let off = project(&LOGGED.replace("access_log: true", "access_log: false"));
        assert!(check_cloudwatch_role(&off, Some(""), "123456789012").is_empty());
    }
}
