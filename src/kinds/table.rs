//! DynamoDB tables. SCAFFOLDING: the tables work fills in the desired builder, the reader
//! (`aws/read/dynamodb.rs`) and the writer; until then a table is validated but not planned.

use super::{KindInfo, Tags};
use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::State;
use crate::spec::model::StreamView;

pub static INFO: KindInfo = KindInfo {
    prefix: "table",
    naming: "{service}-{stage}-{name}, or the `name` the table declares",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: true,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    write: super::writer!(apply),
};

/// A stream view type as DynamoDB spells it.
pub fn stream_view_name(view: StreamView) -> &'static str {
    match view {
        StreamView::KeysOnly => "KEYS_ONLY",
        StreamView::NewImage => "NEW_IMAGE",
        StreamView::OldImage => "OLD_IMAGE",
        StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
    }
}

fn desired(_: &Builder, _: &mut State) {}

async fn apply(_: &Applier, step: &Step) -> Result<(), AwsError> {
    Err(AwsError {
        operation: "UpdateTable",
        target: step.resource().name.clone(),
        message: "tables are not written yet".into(),
    })
}
