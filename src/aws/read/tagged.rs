//! The resources that hold data which carry this service and stage's tags, whatever their
//! names: a table or bucket can have an exact `name` outside the `{service}-{stage}-`
//! prefix, and when it leaves the spec nothing else says it is slsr's. One paged
//! GetResources of the Resource Groups Tagging API finds them, so that the plan still
//! names them (and refuses to lose their data) and destroy still keeps them.

use super::{Reader, Scope};
use crate::aws::AwsError;

/// The physical names of the tables and buckets tagged as `scope`'s.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub tables: Vec<String>,
    pub buckets: Vec<String>,
}

pub async fn data(r: &Reader, scope: &Scope) -> Result<Tagged, AwsError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let filter = |key: &str, value: &str| TagFilter::builder().key(key).values(value).build();
    let mut found = Tagged::default();
    let mut token: Option<String> = None;
    loop {
        let _slot = r.slot().await;
        r.calls.count("ResourceGroupsTagging.GetResources");
        let out = r
            .tagging
            .get_resources()
            .tag_filters(filter("slsr:service", &scope.service))
            .tag_filters(filter("slsr:stage", &scope.stage))
            .resource_type_filters("dynamodb:table")
            .resource_type_filters("s3")
            .set_pagination_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::new("GetResources", "tagged tables and buckets", e))?;
        for mapping in out.resource_tag_mapping_list() {
            let arn = mapping.resource_arn().unwrap_or_default();
            if let Some(table) = arn
                .split_once(":table/")
                .filter(|_| arn.starts_with("arn:aws:dynamodb:"))
                .map(|(_, t)| t)
                .filter(|t| !t.contains('/'))
            {
                found.tables.push(table.to_string());
            } else if let Some(bucket) = arn
                .strip_prefix("arn:aws:s3:::")
                .filter(|b| !b.contains('/'))
            {
                found.buckets.push(bucket.to_string());
            }
        }
        token = out
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    found.tables.sort();
    found.buckets.sort();
    Ok(found)
}
