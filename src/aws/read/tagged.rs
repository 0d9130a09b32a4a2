//! The resources of one type that carry this service and stage's tags, whatever their
//! names. A table, bucket, topic, stream or state machine can have an exact `name` outside the `{service}-{stage}-`
//! prefix, and once it leaves the spec nothing but its tags says it is slsr's: the Resource
//! Groups Tagging API's GetResources finds it, so that the plan still names it (and refuses
//! to lose its data) and destroy still keeps it. One paged call serves every type.

use super::{Reader, Scope};
use crate::aws::AwsError;

/// A resource type of the tagging API, and how a name follows from an ARN of it.
pub struct Type {
    pub filter: &'static str,
    pub name: fn(&str) -> Option<&str>,
}

/// DynamoDB tables: `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`.
pub const TABLES: Type = Type {
    filter: "dynamodb:table",
    name: |arn| {
        arn.strip_prefix("arn:aws:dynamodb:")?
            .split_once(":table/")
            .map(|(_, name)| name)
            .filter(|name| !name.contains('/'))
    },
};

/// S3 buckets: `arn:aws:s3:::NAME`.
pub const BUCKETS: Type = Type {
    filter: "s3:bucket",
    name: |arn| {
        arn.strip_prefix("arn:aws:s3:::")
            .filter(|name| !name.contains('/'))
    },
};

/// SNS topics: `arn:aws:sns:REGION:ACCOUNT:NAME`.
pub const TOPICS: Type = Type {
    filter: "sns:topic",
    name: |arn| {
        arn.strip_prefix("arn:aws:sns:")
            .and_then(|rest| rest.rsplit(':').next())
    },
};

/// Kinesis streams: `arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`.
pub const STREAMS: Type = Type {
    filter: "kinesis:stream",
    name: |arn| {
        arn.strip_prefix("arn:aws:kinesis:")?
            .split_once(":stream/")
            .map(|(_, name)| name)
            .filter(|name| !name.contains('/'))
    },
};

/// Step Functions state machines: `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`.
pub const STATE_MACHINES: Type = Type {
    filter: "states:stateMachine",
    name: |arn| {
        arn.strip_prefix("arn:aws:states:")?
            .split_once(":stateMachine:")
            .map(|(_, name)| name)
            .filter(|name| !name.contains(':'))
    },
};

/// Every type found by its tags, asked for in one GetResources per read.
const ALL: [&Type; 5] = [&TABLES, &BUCKETS, &TOPICS, &STREAMS, &STATE_MACHINES];

/// The names, sorted, of the resources of `kind` tagged as `scope`'s. The first caller of a
/// read asks for every type at once (`ALL`) and the others take their part of its answer,
/// so a plan makes one paged GetResources however many services ask.
pub async fn names(r: &Reader, scope: &Scope, kind: &Type) -> Result<Vec<String>, AwsError> {
    let arns = r.tagged.get_or_try_init(|| arns(r, scope)).await?;
    let mut names: Vec<String> = arns
        .iter()
        .filter_map(|arn| (kind.name)(arn))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The ARNs of every resource of the types of `ALL` that carries `scope`'s tags.
async fn arns(r: &Reader, scope: &Scope) -> Result<Vec<String>, AwsError> {
    use aws_sdk_resourcegroupstagging::types::TagFilter;
    let filter = |key: &str, value: &str| TagFilter::builder().key(key).values(value).build();
    let types: Vec<String> = ALL.iter().map(|t| t.filter.to_string()).collect();
    let mut arns = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let _slot = r.slot().await;
        r.calls.count("ResourceGroupsTagging.GetResources");
        let out = r
            .tagging
            .get_resources()
            .tag_filters(filter("slsr:service", &scope.service))
            .tag_filters(filter("slsr:stage", &scope.stage))
            .set_resource_type_filters(Some(types.clone()))
            .set_pagination_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::new("GetResources", types.join(", "), e))?;
        arns.extend(
            out.resource_tag_mapping_list()
                .iter()
                .filter_map(|m| m.resource_arn().map(str::to_string)),
        );
        // The API ends with an empty token rather than none.
        token = out
            .pagination_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Ok(arns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_from_arns() {
        let table = (TABLES.name)("arn:aws:dynamodb:us-east-1:123456789012:table/orders.v2");
        assert_eq!(table, Some("orders.v2"));
        let index = (TABLES.name)("arn:aws:dynamodb:us-east-1:1:table/t/index/by-day");
        assert_eq!(index, None);
        assert_eq!((BUCKETS.name)("arn:aws:s3:::my-bucket"), Some("my-bucket"));
        assert_eq!((BUCKETS.name)("arn:aws:s3:::my-bucket/key"), None);
        assert_eq!((BUCKETS.name)("arn:aws:sqs:us-east-1:1:q"), None);
        let stream = (STREAMS.name)("arn:aws:kinesis:us-east-1:1:stream/clicks.v2");
        assert_eq!(stream, Some("clicks.v2"));
        let consumer = (STREAMS.name)("arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1");
        assert_eq!(consumer, None);
        let machine = (STATE_MACHINES.name)("arn:aws:states:us-east-1:1:stateMachine:flow");
        assert_eq!(machine, Some("flow"));
        let version = (STATE_MACHINES.name)("arn:aws:states:us-east-1:1:stateMachine:flow:3");
        assert_eq!(version, None);
    }
}
