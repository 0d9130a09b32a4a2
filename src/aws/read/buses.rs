//! EventBridge custom buses: ListEventBuses by the `{service}-{stage}-` prefix (every page),
//! then ListTagsForResource each. The owned buses are also where the rules are read
//! (`events.rs`), so that the rules on a bus that left the spec go before it.

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages, tags_by_arn};
use crate::engine::model::{Kind, State, address};

/// The owned buses and the conflicts.
pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Found, AwsError> {
    let buses = pages::follow(
        &r.calls,
        "EventBridge.ListEventBuses",
        "event buses",
        |token| async {
            let out = r
                .events
                .list_event_buses()
                .name_prefix(scope.prefix())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("ListEventBuses", "event buses", e))?;
            Ok((out.event_buses.unwrap_or_default(), out.next_token))
        },
    )
    .await?;
    let (mut resources, mut conflicts) = (Vec::new(), Vec::new());
    for bus in buses {
        let (Some(name), Some(arn)) = (bus.name(), bus.arn()) else {
            continue;
        };
        let Some(key) = scope.logical(name) else {
            continue;
        };
        r.calls.count("EventBridge.ListTagsForResource");
        let tags = tags_by_arn!(r.events, arn, arn).await?;
        let at = address(Kind::Bus, key);
        if scope.owns(&tags) {
            resources.push(crate::kinds::bus::live(key, name, arn, &tags));
        } else if wanted.resources.contains_key(&at) {
            conflicts.push(conflict(at, name, scope));
        }
    }
    Ok((resources, conflicts))
}
