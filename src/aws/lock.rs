//! The deploy lock: one apply or destroy of a service and stage at a time, across machines.
//!
//! An item in a DynamoDB table the team provides (partition key `lock`, a string), written
//! with a conditional put, which DynamoDB makes atomic: of two pipelines, exactly one gets
//! it. The other waits up to a timeout, then fails saying who holds it, since when and when
//! it expires. The item carries an expiry (epoch seconds): the run that holds it pushes the
//! expiry on every third of its lease, and a lock whose expiry has passed (its run died
//! without releasing it) is taken over by the next run. `slsr unlock ID` releases one at
//! once.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::AwsError;

/// How long a lock lasts unless renewed, when neither the spec nor `--lock-lease` says.
/// Renewed every 40 s, a 120 s lease survives a renewal that fails (it is tried again at
/// the next third) and clocks that disagree by tens of seconds, while a run killed without
/// a chance to release (SIGKILL, a lost CI runner) holds up the next one for two minutes,
/// not until someone runs `slsr unlock`.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);

/// Where locks live, how long to wait for one, and how long one lasts unless renewed.
#[derive(Debug, Clone)]
pub struct LockConfig {
    pub table: String,
    pub timeout: Duration,
    pub lease: Duration,
}

/// Who holds a lock: for the message of the run that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: String,
    pub who: String,
    pub since: String,
    /// When the lock expires unless renewed, in seconds since the epoch; `None` for an item
    /// without one (written by an slsr that had no leases), which never expires.
    pub expires: Option<u64>,
}

impl Holder {
    /// `expiring at 2026-11-26T03:02:00Z unless renewed` (or `expired at ...`), for messages.
    pub fn expiry(&self) -> String {
        match self.expires {
            Some(secs) if self.expired(epoch_seconds()) => {
                format!("expired at {}", timestamp(secs))
            }
            Some(secs) => format!("expiring at {} unless renewed", timestamp(secs)),
            None => "with no expiry".into(),
        }
    }

    fn expired(&self, now: u64) -> bool {
        self.expires.is_some_and(|e| e < now)
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} since {} (lock id {}), {}",
            self.who,
            self.since,
            self.id,
            self.expiry()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{service} stage {stage} is locked by {holder}; waited {waited:?}. If that run is gone, release the lock with `slsr unlock {}`", .holder.id)]
    Held {
        service: String,
        stage: String,
        holder: Holder,
        waited: Duration,
    },
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A lock taken: when the put that took it was sent (the lease runs from then), and the
/// expired lock it replaced, if any.
#[derive(Debug)]
pub struct Acquired {
    pub sent: Instant,
    pub took_over: Option<Holder>,
}

/// What a renewal found.
#[derive(Debug)]
enum Renewal {
    Renewed,
    /// The item is gone or another run's: this run no longer holds the lock.
    Lost,
    /// The call failed (AWS did not answer, or refused for another reason).
    Failed(String),
}

fn key(service: &str, stage: &str) -> String {
    format!("{service}/{stage}")
}

/// This run's lock on one service and stage. Its id is chosen before the first attempt, so
/// that a run interrupted while it waits can release what an attempt in flight may have
/// taken, and a retried put whose first answer was lost knows the lock it finds is its own.
#[derive(Debug, Clone)]
pub struct Lock {
    db: aws_sdk_dynamodb::Client,
    config: LockConfig,
    service: String,
    stage: String,
    key: String,
    id: String,
}

impl Lock {
    pub fn new(
        db: aws_sdk_dynamodb::Client,
        config: LockConfig,
        service: &str,
        stage: &str,
    ) -> Lock {
        Lock {
            db,
            key: key(service, stage),
            service: service.into(),
            stage: stage.into(),
            id: new_id(),
            config,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn target(&self) -> String {
        format!("lock table {}", self.config.table)
    }

    /// Takes the lock, waiting up to the configured timeout for the run that holds it;
    /// `waiting` hears of each holder this run starts waiting for.
    pub async fn acquire(&self, mut waiting: impl FnMut(&Holder)) -> Result<Acquired, LockError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        let mut announced: Option<String> = None;
        loop {
            let now = epoch_seconds();
            let item = HashMap::from([
                ("lock".to_string(), AttributeValue::S(self.key.clone())),
                ("id".to_string(), AttributeValue::S(self.id.clone())),
                ("who".to_string(), AttributeValue::S(who())),
                ("since".to_string(), AttributeValue::S(timestamp(now))),
                (
                    "expires".to_string(),
                    AttributeValue::N((now + self.config.lease.as_secs()).to_string()),
                ),
            ]);
            let sent = Instant::now();
            // No item, or one whose expiry has passed by this machine's clock: one
            // conditional put takes the lock either way.
            let put = self
                .db
                .put_item()
                .table_name(&self.config.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#lock) OR #expires < :now")
                .expression_attribute_names("#lock", "lock")
                .expression_attribute_names("#expires", "expires")
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await;
            let refused = match put {
                Ok(out) => {
                    return Ok(Acquired {
                        sent,
                        took_over: out.attributes().map(holder_of),
                    });
                }
                Err(e) => e,
            };
            if !refused
                .as_service_error()
                .is_some_and(|s| s.is_conditional_check_failed_exception())
            {
                // Its answer may have been lost after it took the lock: undo that, or leave
                // it to expire.
                let _ = self.release().await;
                return Err(AwsError::new("PutItem", self.target(), refused).into());
            }
            match self.holder().await? {
                // The SDK sent the put again after its first answer was lost; the first
                // took the lock.
                Some(holder) if holder.id == self.id => {
                    return Ok(Acquired {
                        sent,
                        took_over: None,
                    });
                }
                Some(holder) if !holder.expired(epoch_seconds()) => {
                    if started.elapsed() >= self.config.timeout {
                        return Err(LockError::Held {
                            service: self.service.clone(),
                            stage: self.stage.clone(),
                            holder,
                            waited: started.elapsed(),
                        });
                    }
                    if announced.as_deref() != Some(holder.id.as_str()) {
                        waiting(&holder);
                        announced = Some(holder.id.clone());
                    }
                }
                // Released or expired since the put: the next attempt may take it.
                _ => {}
            }
            tokio::time::sleep(
                pause.min(
                    self.config
                        .timeout
                        .saturating_sub(started.elapsed())
                        .max(Duration::from_millis(50)),
                ),
            )
            .await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    /// Who holds the lock now, read consistently (a put just answered is seen).
    async fn holder(&self) -> Result<Option<Holder>, AwsError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.config.table)
            .key("lock", AttributeValue::S(self.key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::new("GetItem", self.target(), e))?;
        Ok(out.item().map(holder_of))
    }

    /// Pushes the expiry one lease ahead, only while the item is this run's.
    async fn renew(&self) -> Renewal {
        let expires = epoch_seconds() + self.config.lease.as_secs();
        let update = self
            .db
            .update_item()
            .table_name(&self.config.table)
            .key("lock", AttributeValue::S(self.key.clone()))
            .update_expression("SET #expires = :expires")
            .condition_expression("id = :id")
            .expression_attribute_names("#expires", "expires")
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":id", AttributeValue::S(self.id.clone()))
            .send()
            .await;
        match update {
            Ok(_) => Renewal::Renewed,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Renewal::Lost
            }
            Err(e) => Renewal::Failed(AwsError::new("UpdateItem", self.target(), e).to_string()),
        }
    }

    /// Renews the lock every third of its lease until dropped or aborted. When the lock is
    /// gone, held by another run, or cannot be renewed before the next third would find it
    /// expired, calls `lost` with a sentence saying so, and stops.
    pub async fn keep_renewed(self, acquired: Instant, lost: impl FnOnce(String)) {
        let lease = self.config.lease;
        let every = lease / 3;
        // Until when this run surely holds the lock: a lease from the last write that
        // took, counted from when it was sent.
        let mut held_until = acquired + lease;
        let mut next = acquired + every;
        loop {
            tokio::time::sleep_until(next.into()).await;
            let sent = Instant::now();
            next = sent + every;
            // A call that hangs is a failed renewal: the next third must not wait for it.
            let renewed = tokio::time::timeout(every, self.renew())
                .await
                .unwrap_or_else(|_| Renewal::Failed(format!("no answer in {every:?}")));
            match renewed {
                Renewal::Renewed => held_until = sent + lease,
                Renewal::Lost => {
                    let now = match tokio::time::timeout(every, self.holder()).await {
                        Ok(Ok(Some(holder))) => format!("it is now held by {holder}"),
                        Ok(Ok(None)) => "someone released it".into(),
                        _ => "it is gone or another run's".into(),
                    };
                    return lost(format!(
                        "this run lost the deploy lock of {} stage {} (lock id {}): {now}",
                        self.service, self.stage, self.id
                    ));
                }
                Renewal::Failed(why) if next >= held_until => {
                    return lost(format!(
                        "could not renew the deploy lock of {} stage {} (lock id {}) before it expires: {why}",
                        self.service, self.stage, self.id
                    ));
                }
                Renewal::Failed(_) => {}
            }
        }
    }

    /// Releases the lock if it is still this run's (a no-op otherwise, so it is safe to
    /// call for a lock an interrupted wait may or may not have taken).
    pub async fn release(&self) -> Result<(), AwsError> {
        unlock(&self.db, &self.config, &self.key, &self.id)
            .await
            .map(|_| ())
    }
}

fn holder_of(item: &HashMap<String, AttributeValue>) -> Holder {
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    Holder {
        id: text("id"),
        who: text("who"),
        since: text("since"),
        expires: item
            .get("expires")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok()),
    }
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

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Seconds since the epoch as a UTC date and time (`2026-11-26T03:00:00Z`), without extra
/// crates.
fn timestamp(secs: u64) -> String {
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
        assert_eq!(super::timestamp(1_795_662_120), "2026-11-26T03:02:00Z");
    }
}
