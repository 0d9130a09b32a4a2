//! A resource's tags as a map, from ListTagsForResource by ARN, for the services whose SDKs
//! spell the call and its tags alike (EventBridge, Scheduler), for the reads and for apply's
//! check of what a refused create found. The SDKs' clients and tag types have nothing in
//! common a function could take, hence a macro.

/// ListTagsForResource of `arn`, its tags as a `HashMap`; a failure names `target`.
macro_rules! tags_by_arn {
    ($client:expr, $arn:expr, $target:expr) => {
        async {
            $client
                .list_tags_for_resource()
                .resource_arn($arn)
                .send()
                .await
                .map_err(|e| $crate::aws::AwsError::new("ListTagsForResource", $target, e))
                .map(|out| {
                    out.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect::<std::collections::HashMap<String, String>>()
                })
        }
    };
}
pub(crate) use tags_by_arn;
