//! The REST API's authorizers (GetAuthorizers, page by page), for `rest/`'s reader.

use super::Reader;
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::Resource;
use crate::kinds;

/// The authorizers of the REST API `id`, as the model has them.
pub async fn read(r: &Reader, id: &str) -> Result<Vec<Resource>, AwsError> {
    let authorizers = follow(
        &r.calls,
        "APIGateway.GetAuthorizers",
        id,
        |position| async {
            let out = r
                .rest
                .get_authorizers()
                .rest_api_id(id)
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetAuthorizers", id, e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    Ok(authorizers
        .iter()
        .map(kinds::rest_authorizer::live)
        .collect())
}
