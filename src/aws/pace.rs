//! Client-side pacing: keeps slsr's calls under AWS's published per-operation rate quotas,
//! so a big deploy runs at the quota instead of being throttled into retries and backoff.
//!
//! Every attempt (retries too) waits for its slot in its quota group before it is sent:
//! an interceptor names the operation on the request, and the HTTP client that every SDK
//! client shares waits for the slot. A throttled answer pushes the group's next slot back,
//! for the quota is per account: another deployer may be spending it too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
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
/// services' calls are bounded by apply's parallelism, and retried with backoff by the SDK
/// when throttled. AWS does not publish the buckets' bursts; these are small (a third of a
/// second's worth), so that a small app's handful of reads goes at once and a big one's
/// stays under the rate.
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

/// How far a throttled answer pushes its group's next slot back.
const THROTTLED_PAUSE: Duration = Duration::from_millis(500);

/// The quota groups' schedules.
#[derive(Debug)]
pub struct Pacer {
    quotas: &'static [Quota],
    /// Per quota, the "theoretical arrival time" of a generic cell rate algorithm: calls
    /// go one interval apart, but up to `burst` of them may go early by as much.
    next: Mutex<HashMap<usize, Instant>>,
}

impl Pacer {
    pub fn new(quotas: &'static [Quota]) -> Pacer {
        Pacer {
            quotas,
            next: Mutex::new(HashMap::new()),
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

    fn interval_and_tolerance(&self, quota: usize) -> (Duration, Duration) {
        let q = &self.quotas[quota];
        let interval = Duration::from_secs_f64(1.0 / q.per_second);
        (interval, interval * q.burst.saturating_sub(1))
    }

    /// When a call of the quota group may go: at once while the burst lasts, then one
    /// interval after another.
    fn reserve(&self, quota: usize) -> Instant {
        let (interval, tolerance) = self.interval_and_tolerance(quota);
        let now = Instant::now();
        let mut next = self.next.lock().expect("no panic while pacing");
        let due = next.get(&quota).copied().unwrap_or(now).max(now);
        let at = due.checked_sub(tolerance).unwrap_or(now).max(now);
        next.insert(quota, due + interval);
        at
    }

    /// Waits for the operation's slot; at once for an operation without a quota.
    pub async fn wait(&self, service: &str, operation: &str) {
        if let Some(quota) = self.quota(service, operation) {
            tokio::time::sleep_until(self.reserve(quota)).await;
        }
    }

    /// A throttled answer: nothing of the group goes for a while.
    pub fn throttled(&self, service: &str, operation: &str) {
        if let Some(quota) = self.quota(service, operation) {
            let (_, tolerance) = self.interval_and_tolerance(quota);
            let mut next = self.next.lock().expect("no panic while pacing");
            // Nothing goes before the pause is over, burst or not.
            let resume = Instant::now() + THROTTLED_PAUSE + tolerance;
            let at = next.entry(quota).or_insert(resume);
            *at = (*at).max(resume);
        }
    }
}

/// Which operation a request is, for the paced HTTP client.
#[derive(Clone, Debug)]
struct Named {
    service: String,
    operation: String,
}

/// The service and operation `NameOperations` named on a request.
pub(crate) fn operation_of(request: &HttpRequest) -> Option<(String, String)> {
    request
        .extension::<Named>()
        .map(|n| (n.service.clone(), n.operation.clone()))
}

/// Names each request's operation on the request itself, for the HTTP client to pace it.
#[derive(Debug)]
pub struct NameOperations;

impl Intercept for NameOperations {
    fn name(&self) -> &'static str {
        "NameOperations"
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
}

/// An HTTP client that waits for each named request's slot, then sends it with `inner`.
#[derive(Debug, Clone)]
pub struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl PacedClient {
    pub fn shared(inner: SharedHttpClient, pacer: Arc<Pacer>) -> SharedHttpClient {
        SharedHttpClient::new(PacedClient { inner, pacer })
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
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let named = request.extension::<Named>().cloned();
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        HttpConnectorFuture::new(async move {
            if let Some(n) = &named {
                pacer.wait(&n.service, &n.operation).await;
            }
            let response = inner.call(request).await?;
            // REST services say a throttle with a 429; the rest with a 400 whose code is in
            // the body, which only the SDK reads (and retries with backoff).
            if let (Some(n), 429) = (&named, response.status().as_u16()) {
                pacer.throttled(&n.service, &n.operation);
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
        // An operation of a service without quotas never waits.
        let start = Instant::now();
        for _ in 0..100 {
            pacer.wait("IAM", "CreateRole").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_answer_holds_the_group_back() {
        let pacer = Pacer::new(PUBLISHED);
        pacer.wait("Lambda", "AddPermission").await;
        pacer.throttled("Lambda", "AddPermission");
        let start = Instant::now();
        pacer.wait("Lambda", "CreateFunction").await;
        assert!(start.elapsed() >= THROTTLED_PAUSE, "{:?}", start.elapsed());
        // Another group is not held back.
        let start = Instant::now();
        pacer.wait("Lambda", "GetFunction").await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
