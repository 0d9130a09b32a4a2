//! The HTTP API's `$default` stage, deployed automatically. It needs the API.

use aws_sdk_apigatewayv2::types::Stage;

use super::{KindInfo, Tags};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "stage",
    naming: "$default",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: |_, _| vec![super::http_api::the_api()],
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[AUTO_DEPLOY],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const AUTO_DEPLOY: &str = "auto_deploy";

fn desired(b: &Builder, state: &mut State) {
    if super::http_api::wanted(b) {
        state.insert(
            Resource::new(super::Kind::Stage, "$default", "$default").with(AUTO_DEPLOY, true),
        );
    }
}

/// A stage as GetStages lists it.
pub fn live(stage: &Stage) -> Resource {
    let name = stage.stage_name().unwrap_or_default();
    Resource::new(super::Kind::Stage, name, name)
        .with(AUTO_DEPLOY, stage.auto_deploy().unwrap_or(false))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = super::http_api::api_id(a)?;
    match step.action {
        Action::Create => {
            a.apigw
                .create_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .auto_deploy(true)
                .send()
                .await
                .or_exists("CreateStage", &r.name)?;
        }
        Action::Delete => {
            a.apigw
                .delete_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .send()
                .await
                .or_gone("DeleteStage", &r.name)?;
        }
        _ => {
            a.apigw
                .update_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .auto_deploy(true)
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateStage", r.name.clone(), e))?;
        }
    }
    Ok(())
}
