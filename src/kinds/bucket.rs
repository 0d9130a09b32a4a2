//! S3 buckets. SCAFFOLDING: the buckets work fills in the desired builder, the reader
//! (`aws/read/s3.rs`) and the writer; until then a bucket is validated but not planned.

use super::{KindInfo, Tags};
use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::State;

pub static INFO: KindInfo = KindInfo {
    prefix: "bucket",
    naming: "{service}-{stage}-{name}-{account_id}, or the `name` the bucket declares",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: true,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    write: super::writer!(apply),
};

fn desired(_: &Builder, _: &mut State) {}

async fn apply(_: &Applier, step: &Step) -> Result<(), AwsError> {
    Err(AwsError {
        operation: "CreateBucket",
        target: step.resource().name.clone(),
        message: "buckets are not written yet".into(),
    })
}
