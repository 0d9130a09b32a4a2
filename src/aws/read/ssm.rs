//! SSM parameters the spec names with `${ssm:/path}`: GetParameters, ten names a call (its
//! limit), decrypted. A missing parameter fails the plan, naming it.

use std::collections::{BTreeMap, BTreeSet};

use super::Reader;
use crate::aws::AwsError;
use crate::ssm::Parameter;

pub async fn parameters(
    r: &Reader,
    paths: &BTreeSet<String>,
) -> Result<BTreeMap<String, Parameter>, AwsError> {
    let paths: Vec<&String> = paths.iter().collect();
    let mut found = BTreeMap::new();
    for batch in paths.chunks(10) {
        r.calls.count("SSM.GetParameters");
        let out = r
            .ssm
            .get_parameters()
            .set_names(Some(batch.iter().map(|p| p.to_string()).collect()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                AwsError::new("GetParameters", batch.first().map_or("", |p| p.as_str()), e)
            })?;
        if let Some(missing) = out.invalid_parameters().first() {
            return Err(AwsError {
                operation: "GetParameters",
                target: missing.clone(),
                message: "no such parameter (the spec reads it with `${ssm:...}`)".into(),
            });
        }
        for p in out.parameters() {
            let secure = p
                .r#type()
                .is_some_and(|t| *t == aws_sdk_ssm::types::ParameterType::SecureString);
            found.insert(
                p.name().unwrap_or_default().to_string(),
                Parameter {
                    value: p.value().unwrap_or_default().to_string(),
                    secure,
                },
            );
        }
    }
    Ok(found)
}
