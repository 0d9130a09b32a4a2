//! The deploy lock: one apply or destroy of a service and stage at a time, across machines.
//!
//! An item in a DynamoDB table the team provides (partition key `lock`, a string), written
//! with a conditional put, which DynamoDB makes atomic: of two pipelines, exactly one gets
//! it. The other waits up to a timeout, then fails saying who holds it and since when. A
//! lock left by a killed run is released with `slsr unlock ID`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;

use super::AwsError;

/// Where locks live and how long to wait for one.
#[derive(Debug, Clone)]
pub struct LockConfig {
    pub table: String,
    pub timeout: Duration,
}

/// A lock this run holds; released by `release`.
#[derive(Debug, Clone)]
pub struct Held {
    pub key: String,
    pub id: String,
}

/// Who holds a lock: for the message of the run that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: String,
    pub who: String,
    pub since: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{service} stage {stage} is locked by {} since {} (lock id {}); waited {waited:?}. If that run is gone, release the lock with `slsr unlock {}`", .holder.who, .holder.since, .holder.id, .holder.id)]
    Held {
        service: String,
        stage: String,
        holder: Holder,
        waited: Duration,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

fn key(service: &str, stage: &str) -> String {
    format!("{service}/{stage}")
}

/// A lock id no other run will pick: time, process and a counter, hashed.
fn new_id() -> String {
    use sha2::Digest;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let seed = format!("{nanos}-{}-{:p}", std::process::id(), &nanos);
    sha2::Sha256::digest(seed.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `user@host (pid N)`: enough for a person to find the run that holds a lock.
fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("GITLAB_USER_LOGIN"))
        .or_else(|_| std::env::var("GITHUB_ACTOR"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into());
    let job = std::env::var("CI_JOB_URL")
        .or_else(|_| std::env::var("GITHUB_RUN_ID").map(|id| format!("run {id}")))
        .map(|j| format!(", {j}"))
        .unwrap_or_default();
    format!("{user}@{host} (pid {}{job})", std::process::id())
}

fn since_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    // Seconds since the epoch in UTC, written as a date and time without extra crates.
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The DynamoDB client locks are taken with; like every client, it waits throttles out.
pub async fn client(
    connection: &super::Connection,
    spec_region: Option<&str>,
) -> aws_sdk_dynamodb::Client {
    super::paced_client!(
        aws_sdk_dynamodb,
        &super::sdk_config(connection, spec_region).await
    )
}

/// Takes the lock for `service`/`stage`, waiting up to the configured timeout.
pub async fn acquire(
    db: &aws_sdk_dynamodb::Client,
    config: &LockConfig,
    service: &str,
    stage: &str,
) -> Result<Held, LockError> {
    let held = Held {
        key: key(service, stage),
        id: new_id(),
    };
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let item = HashMap::from([
            ("lock".to_string(), AttributeValue::S(held.key.clone())),
            ("id".to_string(), AttributeValue::S(held.id.clone())),
            ("who".to_string(), AttributeValue::S(who())),
            ("since".to_string(), AttributeValue::S(since_now())),
        ]);
        let put = db
            .put_item()
            .table_name(&config.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#lock)")
            .expression_attribute_names("#lock", "lock")
            .send()
            .await;
        match put {
            Ok(_) => return Ok(held),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                if started.elapsed() >= config.timeout {
                    let holder = holder(db, config, &held.key).await?.unwrap_or(Holder {
                        id: "?".into(),
                        who: "another run".into(),
                        since: "just now".into(),
                    });
                    return Err(LockError::Held {
                        service: service.into(),
                        stage: stage.into(),
                        holder,
                        waited: started.elapsed(),
                    });
                }
                tokio::time::sleep(
                    pause.min(
                        config
                            .timeout
                            .saturating_sub(started.elapsed())
                            .max(Duration::from_millis(50)),
                    ),
                )
                .await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                return Err(
                    AwsError::new("PutItem", format!("lock table {}", config.table), e).into(),
                );
            }
        }
    }
}

async fn holder(
    db: &aws_sdk_dynamodb::Client,
    config: &LockConfig,
    key: &str,
) -> Result<Option<Holder>, AwsError> {
    let out = db
        .get_item()
        .table_name(&config.table)
        .key("lock", AttributeValue::S(key.to_string()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| AwsError::new("GetItem", format!("lock table {}", config.table), e))?;
    let text = |item: &HashMap<String, AttributeValue>, name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    Ok(out.item().map(|item| Holder {
        id: text(item, "id"),
        who: text(item, "who"),
        since: text(item, "since"),
    }))
}

/// Releases a lock this run holds (only if it is still this run's).
pub async fn release(
    db: &aws_sdk_dynamodb::Client,
    config: &LockConfig,
    held: &Held,
) -> Result<(), AwsError> {
    unlock(db, config, &held.key, &held.id).await.map(|_| ())
}

/// Releases the lock of `service`/`stage` if its id is `id`; `false` when no such lock.
pub async fn unlock(
    db: &aws_sdk_dynamodb::Client,
    config: &LockConfig,
    key: &str,
    id: &str,
) -> Result<bool, AwsError> {
    let delete = db
        .delete_item()
        .table_name(&config.table)
        .key("lock", AttributeValue::S(key.to_string()))
        .condition_expression("id = :id")
        .expression_attribute_values(":id", AttributeValue::S(id.to_string()))
        .send()
        .await;
    match delete {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(AwsError::new(
            "DeleteItem",
            format!("lock table {}", config.table),
            e,
        )),
    }
}

/// The key of a service and stage's lock.
pub fn lock_key(service: &str, stage: &str) -> String {
    key(service, stage)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_civil() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(super::civil_from_days(11_016), (2000, 2, 29));
    }
}
