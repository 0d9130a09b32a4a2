//! The REST API stage's access log group, for `rest.rs`'s reader (read while the spec wants
//! the API or slsr owns one): DescribeLogGroups (paged) by its name,
//! `/aws/api-gateway/{service}-{stage}`, keeping that exact name, and its tags
//! (ListTagsForResource), which say whether it is slsr's; someone else's group of that name
//! is a conflict while the spec wants the access log. Also the account's API Gateway
//! settings (GetAccount), which a plan reads for the CloudWatch Logs role an access log
//! needs.

use super::{Live, Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::engine::model::State;
use crate::kinds::{log_group, rest_access_log};

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let name = rest_access_log::group_name(&scope.service, &scope.stage);
    let listed = super::lambda::log_groups_by_prefix(r, &name).await?;
    let found = listed
        .iter()
        .flat_map(|page| page.log_groups())
        .filter(|g| g.log_group_name() == Some(name.as_str()))
        .filter_map(|g| log_group::live(rest_access_log::KEY, g))
        .collect();
    let mut live = Live::default();
    for (group, tags) in super::lambda::tagged_log_groups(r, found).await? {
        if scope.owns(&tags) {
            live.add(vec![log_group::with_tags(group, &tags)], vec![]);
        } else if wanted.resources.contains_key(&group.address()) {
            live.add(vec![], vec![conflict(group.address(), &group.name, scope)]);
        }
    }
    Ok(live)
}

/// The CloudWatch Logs role the account's API Gateway settings name (GetAccount), empty
/// when none.
pub async fn cloudwatch_role(r: &Reader) -> Result<String, AwsError> {
    r.calls.count("APIGateway.GetAccount");
    let account = r
        .rest
        .get_account()
        .send()
        .await
        .map_err(|e| AwsError::new("GetAccount", "API Gateway account settings", e))?;
    Ok(account
        .cloudwatch_role_arn()
        .unwrap_or_default()
        .to_string())
}
