//! slsr's entries in a bucket's notification document. SCAFFOLDING: the buckets work fills
//! this in; until then an `s3` event is validated but not planned.

use super::{KindInfo, Tags};
use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::State;

pub static INFO: KindInfo = KindInfo {
    prefix: "bucket_notification",
    naming: "entries with an Id starting `slsr-` in the bucket's notification document",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    write: super::writer!(apply),
};

fn desired(_: &Builder, _: &mut State) {}

async fn apply(_: &Applier, step: &Step) -> Result<(), AwsError> {
    Err(AwsError {
        operation: "PutBucketNotificationConfiguration",
        target: step.resource().name.clone(),
        message: "bucket notifications are not written yet".into(),
    })
}
