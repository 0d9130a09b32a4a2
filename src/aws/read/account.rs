//! The account's Lambda limits and usage (GetAccountSettings), once a plan, for the quota
//! preflight (`engine::quota`).

use super::Reader;
use crate::aws::AwsError;
use crate::engine::quota::AccountSettings;

pub async fn settings(r: &Reader) -> Result<AccountSettings, AwsError> {
    r.calls.count("Lambda.GetAccountSettings");
    let out = r
        .lambda
        .get_account_settings()
        .send()
        .await
        .map_err(|e| AwsError::new("GetAccountSettings", "the account's Lambda settings", e))?;
    let limit = out.account_limit();
    let usage = out.account_usage();
    Ok(AccountSettings {
        concurrent_executions: limit.map_or(0, |l| i64::from(l.concurrent_executions())),
        // Without it, the pool is taken to be the whole limit (nothing reserved).
        unreserved_concurrent_executions: limit.map_or(0, |l| {
            l.unreserved_concurrent_executions()
                .unwrap_or(l.concurrent_executions())
                .into()
        }),
        code_storage_limit: limit.map_or(0, |l| l.total_code_size()),
        code_storage_used: usage.map_or(0, |u| u.total_code_size()),
    })
}
