//! Reading S3 buckets and their notification documents. SCAFFOLDING: the buckets work
//! fills this in; until then no bucket is read.

use super::{Live, Reader, Scope};
use crate::aws::AwsError;
use crate::engine::model::State;

/// The service's buckets, and slsr's entries in the notification documents of the buckets
/// its `s3` events name.
pub async fn read(_: &Reader, _: &Scope, _: &State) -> Result<Live, AwsError> {
    Ok(Live::default())
}
