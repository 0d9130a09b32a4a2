//! Client-side pacing: keeps slsr's calls under AWS's published per-operation rate quotas,
//! and shares them with whoever else spends them, so a big deploy, or several pipelines
//! deploying into one account at once, runs at the quota instead of failing on throttles.
//!
//! Every attempt (retries too) waits for its slot in its quota group before it is sent:
//! an interceptor names the operation on the request, and the HTTP client that every SDK
//! client shares waits for the slot. A quota is per account and others spend it unseen, so
//! each group's rate adapts to the throttles it hears, as TCP's congestion control does
//! (AIMD): halved by a throttle, raised a little by every answer the quota let through,
//! never above the published rate. The client hears a throttle in each service's own
//! protocol (`error_code`, `THROTTLE_CODES`), whichever service it is. A throttled attempt
//! was not made (AWS refused it before doing anything), so it is sent again in a later
//! slot, and it does not use up the SDK's attempts until `THROTTLED_PATIENCE` has passed
//! since the call's first attempt (`PacedOperations`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::{ConnectorError, SdkError};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use tokio::time::Instant;

/// A rate quota: calls a second for `operations` of `service` (as the SDK names them:
/// `Lambda`, `GetFunction`), or for every other operation of the service when empty.
#[derive(Debug)]
pub struct Quota {
    pub service: &'static str,
    pub operations: &'static [&'static str],
    pub per_second: f64,
    /// Calls that may go at once before the rate applies.
    pub burst: u32,
}

/// AWS's published quotas that slsr paces to. Lambda (developer guide, "Lambda quotas",
/// API requests): GetFunction 100 a second, GetPolicy 15, and 15 a second for the rest of
/// the control plane together; a deploy of many functions reaches these first. The other
/// services' calls are bounded by apply's parallelism, and a throttled one is retried with
/// the SDK's backoff, as patiently as a paced one. AWS does not publish the buckets'
/// bursts; these are small (a third of a second's worth), so that a small app's handful of
/// reads goes at once and a big one's stays under the rate.
pub const PUBLISHED: &[Quota] = &[
    Quota {
        service: "Lambda",
        operations: &["GetFunction"],
        per_second: 100.0,
        burst: 30,
    },
    Quota {
        service: "Lambda",
        operations: &["GetPolicy"],
        per_second: 15.0,
        burst: 5,
    },
    Quota {
        service: "Lambda",
        operations: &[],
        per_second: 15.0,
        burst: 5,
    },
];

/// The least share of its quota a group slows to: six halvings, room for 64 deployers
/// sharing an account's quota. Below it, throttles still only delay calls.
const SLOWEST_SHARE: f64 = 1.0 / 64.0;

/// How long answers at the rate take to raise a halved rate back to the whole quota: the
/// additive increase is `quota / (2 * RECOVERY)` calls a second, every second. Slower means
/// fewer throttles when several deployers share a quota; faster means less time below it
/// once the others are done. (BENCHMARKS.md, contention.)
const RECOVERY: Duration = Duration::from_secs(10);

/// How long a call's throttled attempts are sent again before the throttle is its error.
pub const THROTTLED_PATIENCE: Duration = Duration::from_secs(300);

/// How often the first call waiting for a group's slot looks at the schedule again:
/// answers may have raised the rate since it last looked, and brought its slot nearer.
const RECHECK: Duration = Duration::from_millis(50);

/// One quota group's pace.
#[derive(Debug)]
struct Group {
    /// Calls a second: the published rate at first, adapted to the throttles heard.
    rate: f64,
    /// A token bucket: calls that may go now, up to the quota's burst, refilled at `rate`
    /// (the bucket rather than a schedule of times, so that a new rate applies from the
    /// moment it is set).
    tokens: f64,
    /// When `tokens` was last brought up to date.
    filled: Instant,
    /// How many times a throttle has cut the rate. A slot given before the last cut was
    /// paced at the old rate; its throttle is no news and does not cut again (as TCP
    /// halves once per window, not once per lost packet).
    cuts: u64,
    /// The calls waiting for a slot, first come first served. Only the first one has a
    /// slot time, worked out at the rate of the moment: slots handed out ahead at a rate
    /// since raised would hold calls back long after the throttling is over.
    queue: Arc<tokio::sync::Mutex<()>>,
}

impl Group {
    /// Refills the bucket for the time since it was last filled, at the current rate.
    fn fill(&mut self, burst: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(self.filled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(f64::from(burst));
        self.filled = now;
    }

    /// A slot now, or when the next one comes: at once while the burst lasts, then one
    /// interval after another.
    fn take(&mut self, quota: usize, burst: u32, now: Instant) -> Result<Slot, Instant> {
        self.fill(burst, now);
        // A hair under a whole token is one, or rounding would keep a call waiting for a
        // nanosecond again and again.
        if self.tokens < 1.0 - 1e-9 {
            let wait = Duration::from_secs_f64((1.0 - self.tokens) / self.rate);
            return Err(now + wait.max(Duration::from_micros(1)));
        }
        self.tokens = (self.tokens - 1.0).max(0.0);
        Ok(Slot {
            quota,
            cuts: self.cuts,
        })
    }
}

/// When a call of a quota group may go, and what its answer adjusts.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    quota: usize,
    /// The group's cuts when the slot was given.
    cuts: u64,
}

/// The quota groups' schedules and rates.
#[derive(Debug)]
pub struct Pacer {
    quotas: &'static [Quota],
    groups: Mutex<HashMap<usize, Group>>,
}

impl Pacer {
    pub fn new(quotas: &'static [Quota]) -> Pacer {
        Pacer {
            quotas,
            groups: Mutex::new(HashMap::new()),
        }
    }

    fn quota(&self, service: &str, operation: &str) -> Option<usize> {
        let of_service = |q: &Quota| q.service == service;
        self.quotas
            .iter()
            .position(|q| of_service(q) && q.operations.contains(&operation))
            .or_else(|| {
                self.quotas
                    .iter()
                    .position(|q| of_service(q) && q.operations.is_empty())
            })
    }

    /// Runs `f` on the quota's group, made at the published rate on first use.
    fn with_group<T>(&self, quota: usize, f: impl FnOnce(&mut Group, &Quota) -> T) -> T {
        let q = &self.quotas[quota];
        let mut groups = self.groups.lock().expect("no panic while pacing");
        let group = groups.entry(quota).or_insert_with(|| Group {
            rate: q.per_second,
            tokens: f64::from(q.burst),
            filled: Instant::now(),
            cuts: 0,
            queue: Arc::default(),
        });
        f(group, q)
    }

    /// Waits for the operation's slot, behind the calls of its group that came first; at
    /// once, and no slot, for an operation without a quota.
    pub async fn wait(&self, service: &str, operation: &str) -> Option<Slot> {
        let quota = self.quota(service, operation)?;
        let queue = self.with_group(quota, |g, _| g.queue.clone());
        let _first = queue.lock().await;
        loop {
            let now = Instant::now();
            match self.with_group(quota, |g, q| g.take(quota, q.burst, now)) {
                Ok(slot) => return Some(slot),
                Err(at) => tokio::time::sleep_until(at.min(now + RECHECK)).await,
            }
        }
    }

    /// What AWS answered a call sent in `slot`: a throttle halves the group's rate (once per
    /// rate: see `Group::cuts`) and spends its burst, for the account's bucket is empty; any
    /// other answer raises the rate by a step, up to the published rate.
    pub fn answered(&self, slot: Slot, throttled: bool) {
        self.with_group(slot.quota, |g, q| {
            let slowest = q.per_second * SLOWEST_SHARE;
            // What the old rate has refilled is kept; the new one applies from now.
            g.fill(q.burst, Instant::now());
            if !throttled {
                // Answers come `rate` a second, so the rate grows by the same amount every
                // second whatever it is: additive increase.
                let per_second = q.per_second / (2.0 * RECOVERY.as_secs_f64());
                g.rate = (g.rate + per_second / g.rate).min(q.per_second);
                return;
            }
            if slot.cuts == g.cuts {
                g.rate = (g.rate / 2.0).max(slowest);
                g.cuts += 1;
            }
            // The account's bucket is empty: the next call goes one interval from now,
            // without a burst.
            g.tokens = 0.0;
        });
    }
}

/// The codes AWS throttles with, as the services slsr calls send them: Lambda and API
/// Gateway `TooManyRequestsException` (with a 429), IAM and STS `Throttling` (the query
/// protocol's XML), SQS `RequestThrottled` (its query code, in `x-amzn-query-error`),
/// SNS `Throttled`, CloudWatch Logs, EventBridge, SSM, DynamoDB, Step Functions, Scheduler
/// and Secrets Manager `ThrottlingException` (JSON `__type`),
/// DynamoDB's `ProvisionedThroughputExceededException`; and the rest of the SDK's rate
/// codes. Not `LimitExceededException`, which the SDK also retries as a throttle:
/// CloudWatch Logs and EventBridge send it for a resource quota (log groups, rules on a
/// bus) that waiting does not lift, so it fails after the SDK's few attempts, as before.
const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "Throttled",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
];

/// The error code of an answer, wherever its protocol puts it: the query protocol's code
/// in `x-amzn-query-error` (SQS), the `x-amzn-errortype` header (REST-JSON), `__type` or
/// `code` in a JSON body (`com.amazonaws.sqs#RequestThrottled`: the part after `#`), or
/// `<Code>` in an XML one (IAM, STS).
fn error_code(headers: &Headers, body: &[u8]) -> Option<String> {
    if let Some(query) = headers.get("x-amzn-query-error") {
        return query.split(';').next().map(str::to_string);
    }
    if let Some(kind) = headers.get("x-amzn-errortype") {
        return kind.split(':').next().map(str::to_string);
    }
    let text = std::str::from_utf8(body).ok()?.trim_start();
    if text.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        let code = ["__type", "code", "Code"]
            .iter()
            .find_map(|k| json.get(k)?.as_str())?;
        let code = code.rsplit('#').next().unwrap_or(code);
        return code.split(':').next().map(str::to_string);
    }
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].trim().to_string())
}

/// Whether an answer is a throttle: a 429, or an error whose code is one of AWS's rate
/// codes. Reads an error's body into memory (errors are small) and puts it back.
async fn heard_throttle(response: &mut HttpResponse) -> Result<bool, ConnectorError> {
    let status = response.status().as_u16();
    if status == 429 {
        return Ok(true);
    }
    if status < 400 {
        return Ok(false);
    }
    let body = ByteStream::new(response.take_body())
        .collect()
        .await
        .map_err(|e| ConnectorError::io(e.into()))?
        .into_bytes();
    let code = error_code(response.headers(), &body);
    *response.body_mut() = SdkBody::from(body);
    Ok(code.is_some_and(|c| THROTTLE_CODES.contains(&c.as_str())))
}

/// On an answer: it was a throttle (the call was not made).
#[derive(Clone, Debug)]
pub struct Throttled;

/// Whether a call's last answer was a throttle (for callers that retry a call themselves).
pub fn was_throttled<E>(err: &SdkError<E, HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.extension::<Throttled>().is_some())
}

/// Which operation a request is, for the paced HTTP client.
#[derive(Clone, Debug)]
struct Named {
    service: String,
    operation: String,
}

/// The service and operation `PacedOperations` named on a request.
pub(crate) fn operation_of(request: &HttpRequest) -> Option<(String, String)> {
    request
        .extension::<Named>()
        .map(|n| (n.service.clone(), n.operation.clone()))
}

/// A call's throttled attempts so far, and when its first attempt began.
#[derive(Clone, Debug)]
struct Throttles {
    since: Instant,
    count: u32,
}

impl Storable for Throttles {
    type Storer = StoreReplace<Self>;
}

/// Names each request's operation on the request itself, for the HTTP client to pace it,
/// and keeps throttled attempts from using up the SDK's attempts.
///
/// The SDK's standard retry strategy allows `max_attempts` by the `RequestAttempts` it
/// finds in the config bag after an attempt, and backs off by it. After each attempt this
/// puts there the attempts that were made, throttled ones left out, so a throttled call is
/// retried (after the SDK's first backoff step, then its next slot) until the patience is
/// over, when it puts `u32::MAX` there and the throttle becomes the call's error. (The SDK
/// offers no public way to plug in a retry strategy of one's own.)
#[derive(Debug)]
pub struct PacedOperations;

impl Intercept for PacedOperations {
    fn name(&self) -> &'static str {
        "PacedOperations"
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Throttles {
            since: Instant::now(),
            count: 0,
        });
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            let named = Named {
                service: meta.service().to_string(),
                operation: meta.name().to_string(),
            };
            context.request_mut().add_extension(named);
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (Some(mut throttles), Some(attempts)) = (
            cfg.load::<Throttles>().cloned(),
            cfg.load::<RequestAttempts>().map(|a| a.attempts()),
        ) else {
            return Ok(());
        };
        let throttled = context
            .response()
            .is_some_and(|r| r.extension::<Throttled>().is_some());
        if throttled {
            throttles.count += 1;
        }
        let counted = if throttled && throttles.since.elapsed() >= THROTTLED_PATIENCE {
            u32::MAX
        } else {
            attempts.saturating_sub(throttles.count).max(1)
        };
        cfg.interceptor_state().store_put(throttles);
        cfg.interceptor_state()
            .store_put(RequestAttempts::new(counted));
        Ok(())
    }
}

/// An HTTP client that waits for each named request's slot, then sends it with `inner`
/// within `attempt_timeout`, and tells the pacer what AWS answered.
#[derive(Debug, Clone)]
pub struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
    attempt_timeout: Duration,
}

impl PacedClient {
    pub fn shared(
        inner: SharedHttpClient,
        pacer: Arc<Pacer>,
        attempt_timeout: Duration,
    ) -> SharedHttpClient {
        SharedHttpClient::new(PacedClient {
            inner,
            pacer,
            attempt_timeout,
        })
    }
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
            attempt_timeout: self.attempt_timeout,
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
    attempt_timeout: Duration,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let named = request.extension::<Named>().cloned();
        let (inner, pacer, timeout) =
            (self.inner.clone(), self.pacer.clone(), self.attempt_timeout);
        HttpConnectorFuture::new(async move {
            let slot = match &named {
                Some(n) => pacer.wait(&n.service, &n.operation).await,
                None => None,
            };
            // The attempt's time runs from its slot: waiting for it is not AWS being slow.
            let sent = tokio::time::timeout(timeout, async {
                let mut response = inner.call(request).await?;
                let throttled = heard_throttle(&mut response).await?;
                Ok::<_, ConnectorError>((response, throttled))
            })
            .await;
            let (mut response, throttled) = sent.map_err(|_| {
                ConnectorError::timeout(format!("no answer within {timeout:?}").into())
            })??;
            if let Some(slot) = slot {
                pacer.answered(slot, throttled);
            }
            if throttled {
                response.add_extension(Throttled);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_of_a_group_go_one_interval_apart_after_a_burst_and_groups_are_apart() {
        let pacer = Pacer::new(PUBLISHED);
        let start = Instant::now();
        for _ in 0..5 {
            pacer.wait("Lambda", "CreateFunction").await;
        }
        // A burst of 5 goes at once.
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..15 {
            pacer.wait("Lambda", "CreateFunction").await;
        }
        // Then 15 a second: 20 calls take (20 - 5) intervals, one second.
        let control_plane = start.elapsed();
        assert!(
            (control_plane.as_secs_f64() - 1.0).abs() < 0.01,
            "{control_plane:?}"
        );
        // GetFunction has a quota of its own, unaffected by the above: 40 calls at 100 a
        // second with a burst of 30 take 10 intervals.
        let start = Instant::now();
        for _ in 0..40 {
            pacer.wait("Lambda", "GetFunction").await;
        }
        let get_function = start.elapsed();
        assert!(
            (get_function.as_secs_f64() - 0.1).abs() < 0.002,
            "{get_function:?}"
        );
        // An operation of a service without quotas never waits, and has no slot.
        let start = Instant::now();
        for _ in 0..100 {
            assert!(pacer.wait("IAM", "CreateRole").await.is_none());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    fn rate(pacer: &Pacer, operation: &str) -> f64 {
        let quota = pacer.quota("Lambda", operation).unwrap();
        pacer.with_group(quota, |g, _| g.rate)
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_halve_the_rate_and_answers_bring_it_back_never_above_the_quota() {
        let pacer = Pacer::new(PUBLISHED);
        let create = "CreateFunction";
        let earlier = pacer.wait("Lambda", create).await.unwrap();
        let first = pacer.wait("Lambda", create).await.unwrap();
        assert_eq!(rate(&pacer, create), 15.0);
        pacer.answered(first, true);
        assert_eq!(rate(&pacer, create), 7.5);
        // A slot given at the old rate: its throttle says nothing new.
        pacer.answered(earlier, true);
        assert_eq!(rate(&pacer, create), 7.5);
        // Nor does a throttle hold back another group.
        assert_eq!(rate(&pacer, "GetFunction"), 100.0);

        // After a throttle nothing bursts: the next call goes one (new) interval later.
        let start = Instant::now();
        let second = pacer.wait("Lambda", create).await.unwrap();
        let waited = start.elapsed().as_secs_f64();
        assert!((waited - 1.0 / 7.5).abs() < 0.001, "{waited}");
        pacer.answered(second, true);
        assert_eq!(rate(&pacer, create), 3.75);
        // And calls go at the halved rate: 10 of them take 10 intervals.
        let start = Instant::now();
        let mut slots = Vec::new();
        for _ in 0..10 {
            slots.push(pacer.wait("Lambda", create).await.unwrap());
        }
        let paced = start.elapsed().as_secs_f64();
        assert!((paced - 10.0 / 3.75).abs() < 0.01, "{paced}");

        // Answers raise it again by the same step a second: 4 answers, about a second's at
        // 3.75 a second, add about 15 / (2 * RECOVERY) = 0.75.
        for slot in slots.drain(..4) {
            pacer.answered(slot, false);
        }
        let raised = rate(&pacer, create);
        assert!(raised > 3.75 + 0.7 && raised < 3.75 + 1.0, "{raised}");
        // Enough of them bring it back to the quota, and never past it.
        for _ in 0..1000 {
            pacer.answered(slots[0], false);
        }
        assert_eq!(rate(&pacer, create), 15.0);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_already_waiting_go_at_the_rate_of_the_moment() {
        let pacer = Arc::new(Pacer::new(PUBLISHED));
        let create = "CreateFunction";
        let mut slot = None;
        for _ in 0..2 {
            let s = pacer.wait("Lambda", create).await.unwrap();
            pacer.answered(s, true);
            slot = Some(s);
        }
        assert_eq!(rate(&pacer, create), 3.75);
        let start = Instant::now();
        let waiting: Vec<_> = (0..10)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.wait("Lambda", create).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The others sharing the quota are done: answers bring the rate back up.
        for _ in 0..1000 {
            pacer.answered(slot.unwrap(), false);
        }
        assert_eq!(rate(&pacer, create), 15.0);
        for call in waiting {
            call.await.unwrap().unwrap();
        }
        // At 3.75 a second they would take 10 / 3.75 = 2.7 s; they took 0.1 s at that rate
        // and the rest at 15 a second.
        let took = start.elapsed().as_secs_f64();
        assert!(took < 0.8, "{took}");
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_slow_a_group_to_its_slowest_share_and_no_further() {
        let pacer = Pacer::new(PUBLISHED);
        for _ in 0..20 {
            let slot = pacer.wait("Lambda", "GetPolicy").await.unwrap();
            pacer.answered(slot, true);
        }
        assert_eq!(rate(&pacer, "GetPolicy"), 15.0 * SLOWEST_SHARE);
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> Headers {
        let mut headers = Headers::new();
        for (k, v) in pairs {
            headers.insert(*k, *v);
        }
        headers
    }

    #[test]
    fn hears_each_protocols_throttle_and_nothing_else() {
        let json = [("content-type", "application/x-amz-json-1.1")];
        // Headers, body, and the code heard.
        type Case<'a> = (&'a [(&'static str, &'static str)], &'a str, Option<&'a str>);
        let cases: &[Case] = &[
            // Lambda, API Gateway: REST-JSON.
            (
                &[(
                    "x-amzn-errortype",
                    "TooManyRequestsException:http://internal.amazon.com/coral/com.amazonaws.lambda/",
                )],
                r#"{"Reason":"CallerRateLimitExceeded","message":"Rate exceeded"}"#,
                Some("TooManyRequestsException"),
            ),
            // CloudWatch Logs, EventBridge, SSM: JSON, the code in `__type`.
            (
                &json,
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                Some("ThrottlingException"),
            ),
            // SQS: JSON with the query protocol's code in a header.
            (
                &[("x-amzn-query-error", "RequestThrottled;Sender")],
                r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}"#,
                Some("RequestThrottled"),
            ),
            (
                &json,
                r#"{"__type":"com.amazonaws.sqs#RequestThrottled"}"#,
                Some("RequestThrottled"),
            ),
            // IAM, STS: the query protocol's XML.
            (
                &[("content-type", "text/xml")],
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>",
                Some("Throttling"),
            ),
            // Not throttles.
            (
                &json,
                r#"{"__type":"LimitExceededException","message":"Resource limit exceeded."}"#,
                Some("LimitExceededException"),
            ),
            (
                &[("content-type", "text/xml")],
                "<ErrorResponse><Error><Code>NoSuchEntity</Code></Error></ErrorResponse>",
                Some("NoSuchEntity"),
            ),
            (&[], "not an error body", None),
        ];
        for (pairs, body, want) in cases {
            let code = error_code(&headers(pairs), body.as_bytes());
            assert_eq!(code.as_deref(), *want, "{body}");
        }
        let throttle = |code: &str| THROTTLE_CODES.contains(&code);
        assert!(throttle("ThrottlingException") && throttle("Throttling"));
        assert!(!throttle("LimitExceededException") && !throttle("NoSuchEntity"));
    }

    async fn answer(status: u16, pairs: &[(&'static str, &'static str)], body: &str) -> bool {
        let mut response =
            HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body.to_string()));
        *response.headers_mut() = headers(pairs);
        let throttled = heard_throttle(&mut response).await.unwrap();
        // The body is still there for the SDK to read.
        assert_eq!(response.body().bytes(), Some(body.as_bytes()));
        throttled
    }

    #[tokio::test]
    async fn a_429_or_a_throttle_code_is_a_throttle_whatever_the_status() {
        assert!(answer(429, &[], "").await);
        assert!(answer(400, &[], r#"{"__type":"ThrottlingException"}"#).await);
        assert!(answer(503, &[], "<Error><Code>SlowDown</Code></Error>").await);
        assert!(!answer(400, &[], r#"{"__type":"ValidationException"}"#).await);
        assert!(!answer(200, &[], r#"{"__type":"ThrottlingException"}"#).await);
    }
}
