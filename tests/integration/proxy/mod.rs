//! A test proxy between slsr and the emulator, to meet slsr with what real AWS does and
//! moto does not: latency on every call; per-operation rate limits (token buckets) answered
//! as each service answers them; 500s and dropped connections at a seeded rate; one
//! operation refused with AccessDenied; the first calls of some operations throttled;
//! something done before one chosen call (another writer between two of slsr's calls); one
//! operation answered by the proxy itself with a given status, headers and body (Lambda's
//! Invoke, which moto cannot run without Docker), keeping what each such call sent. It
//! logs every call (service, operation, status, arrival), so tests count calls by operation,
//! tell reads from writes and count the waves calls came in.

pub mod answer;
pub mod operation;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use answer::Kind;
use operation::{Head, Operation};

/// A rate limit: `per_second` calls with bursts of up to `burst`, shared by the listed
/// operations (`Lambda.GetFunction`) or, when `operations` is empty, by every other
/// operation of `service` (the SigV4 name: `lambda`).
#[derive(Clone, Debug)]
pub struct Limit {
    pub service: &'static str,
    pub operations: &'static [&'static str],
    pub per_second: f64,
    pub burst: f64,
}

impl Limit {
    /// Lambda's published control-plane quotas (Lambda developer guide, "Lambda quotas",
    /// API requests): GetFunction 100 a second, GetPolicy 15, and 15 for the rest of the
    /// control plane together. AWS does not publish the bursts; one second's worth.
    pub fn lambda_published() -> Vec<Limit> {
        vec![
            Limit {
                service: "lambda",
                operations: &["Lambda.GetFunction"],
                per_second: 100.0,
                burst: 100.0,
            },
            Limit {
                service: "lambda",
                operations: &["Lambda.GetPolicy"],
                per_second: 15.0,
                burst: 15.0,
            },
            Limit {
                service: "lambda",
                operations: &[],
                per_second: 15.0,
                burst: 15.0,
            },
        ]
    }
}

/// What the proxy does to the calls through it.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Added before each call reaches the emulator.
    pub latency: Duration,
    pub limits: Vec<Limit>,
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Calls in a thousand answered with a 500 that never reach the emulator.
    pub error_permille: u32,
    /// Calls in a thousand that reach the emulator and take effect, but whose answer is
    /// lost: the connection drops instead.
    pub drop_permille: u32,
    /// An operation (`SQS.CreateQueue`) answered with AccessDenied.
    pub deny: Option<&'static str>,
    /// Operations whose first call takes effect but loses its answer.
    pub drop_first: &'static [&'static str],
    /// Operations whose first `throttle_times` calls are answered as throttled, whatever
    /// the rate.
    pub throttle_first: &'static [&'static str],
    pub throttle_times: u32,
    /// A file to append each call to as it happens, one line each: service, operation,
    /// outcome, status and `read` or `write`, tab-separated (for the benchmarks).
    pub log_file: Option<std::path::PathBuf>,
    /// Something done before one call reaches the emulator: another writer acting between
    /// two of slsr's calls.
    pub before: Option<Before>,
    /// An operation the proxy answers itself, every call of it.
    pub reply: Option<Reply>,
}

/// The answer the proxy gives to every call of `operation` (`Lambda.Invoke`); the emulator
/// never sees those calls.
#[derive(Clone, Debug)]
pub struct Reply {
    pub operation: &'static str,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What a caller sent in a call the proxy answered with its `Reply`.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub query: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a test does before the emulator sees the `nth` call (from 1) of `operation`.
#[derive(Clone)]
pub struct Before {
    pub operation: &'static str,
    pub nth: usize,
    pub run: Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>,
}

impl std::fmt::Debug for Before {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "before call {} of {}", self.nth, self.operation)
    }
}

/// One call as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Call {
    pub operation: Operation,
    pub outcome: Outcome,
    /// The HTTP status the caller got; 0 for a dropped connection.
    pub status: u16,
    /// When its request arrived: what `waves` groups calls by.
    pub arrived: Instant,
}

/// How many waves of requests `calls` came in: a call that arrives more than `gap` after
/// the call before it starts a new wave. With the proxy's added latency as `gap`, calls the
/// caller sends at once (or as fast as its bound on concurrent calls lets it) are one wave,
/// and a call that had to wait for an answer starts the next: each wave is a round trip the
/// caller could not overlap.
pub fn waves(calls: &[Call], gap: Duration) -> usize {
    let mut arrivals: Vec<Instant> = calls.iter().map(|c| c.arrived).collect();
    arrivals.sort();
    let quiet = arrivals.windows(2).filter(|w| w[1] - w[0] > gap).count();
    if arrivals.is_empty() { 0 } else { quiet + 1 }
}

/// What became of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The emulator answered.
    Answered,
    /// Over its rate limit: answered with the service's throttling error.
    Throttled,
    /// The denied operation: answered with AccessDenied.
    Denied,
    /// An injected 500; the emulator never saw the call.
    Failed,
    /// The emulator made the call, the answer was lost: the connection dropped.
    Dropped,
    /// Answered by the proxy with its `Reply`; the emulator never saw the call.
    Replied,
}

pub struct Proxy {
    pub endpoint: String,
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    upstream: String,
    rng: Mutex<fastrand::Rng>,
    buckets: Vec<Mutex<Bucket>>,
    log: Mutex<Vec<Call>>,
    /// Of `drop_first`, the operations whose answer was lost already.
    dropped: Mutex<std::collections::HashSet<String>>,
    /// Of `throttle_first`, the calls throttled so far, by operation.
    throttled_first: Mutex<std::collections::HashMap<String, u32>>,
    /// The calls of `before`'s operation that reached the emulator so far.
    reached: Mutex<usize>,
    /// The requests answered with `reply`, in arrival order.
    replied: Mutex<Vec<Request>>,
    /// When the proxy started: the log file's times count from it.
    started: Instant,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Proxy {
    /// Starts a proxy to `upstream` (an `http://host:port` endpoint) on a free loopback port.
    pub async fn start(upstream: &str, config: Config) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let now = Instant::now();
        let shared = Arc::new(Shared {
            upstream: upstream.trim_start_matches("http://").to_string(),
            rng: Mutex::new(fastrand::Rng::with_seed(config.seed)),
            buckets: config
                .limits
                .iter()
                .map(|l| {
                    Mutex::new(Bucket {
                        tokens: l.burst,
                        refilled: now,
                    })
                })
                .collect(),
            log: Mutex::new(Vec::new()),
            dropped: Mutex::new(std::collections::HashSet::new()),
            throttled_first: Mutex::new(std::collections::HashMap::new()),
            reached: Mutex::new(0),
            replied: Mutex::new(Vec::new()),
            started: now,
            config,
        });
        let server = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = server.clone();
                tokio::spawn(async move {
                    let _ = shared.serve(client).await;
                });
            }
        });
        Proxy { endpoint, shared }
    }

    /// Every call so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Calls so far whose operation is `name` (`Lambda.CreateFunction`).
    pub fn count(&self, name: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.operation.name == name)
            .count()
    }

    /// Calls with this outcome.
    pub fn outcomes(&self, outcome: Outcome) -> usize {
        self.calls().iter().filter(|c| c.outcome == outcome).count()
    }

    /// Calls failed on purpose: 500s and dropped connections.
    pub fn faults(&self) -> usize {
        self.outcomes(Outcome::Failed) + self.outcomes(Outcome::Dropped)
    }

    /// What the calls answered with the `Reply` sent, in arrival order.
    pub fn replied(&self) -> Vec<Request> {
        self.shared.replied.lock().unwrap().clone()
    }

    /// How many waves of requests the calls so far came in, with the added latency as the
    /// quiet gap between waves (`waves`).
    pub fn waves(&self) -> usize {
        waves(&self.calls(), self.shared.config.latency)
    }

    /// Forgets the calls so far (between the phases of a measurement).
    pub fn clear(&self) {
        self.shared.log.lock().unwrap().clear();
    }
}

impl Shared {
    fn record(&self, operation: Operation, outcome: Outcome, status: u16, arrived: Instant) {
        if let Some(path) = &self.config.log_file {
            use std::io::Write;
            // The arrival in seconds since the proxy started, for the benchmark's waves
            // (bench/compare.py counts them as `waves` does).
            let line = format!(
                "{}\t{}\t{outcome:?}\t{status}\t{}\t{:.6}\n",
                operation.service,
                operation.name,
                if operation.is_read() { "read" } else { "write" },
                arrived.duration_since(self.started).as_secs_f64(),
            );
            let mut log = self.log.lock().unwrap();
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
            if let Err(e) = written {
                eprintln!("proxy: cannot write {}: {e}", path.display());
            }
            log.push(Call {
                operation,
                outcome,
                status,
                arrived,
            });
            return;
        }
        self.log.lock().unwrap().push(Call {
            operation,
            outcome,
            status,
            arrived,
        });
    }

    /// Takes a token from the operation's bucket; `false` when it is empty.
    fn admit(&self, op: &Operation) -> bool {
        let limits = &self.config.limits;
        let matching = limits
            .iter()
            .position(|l| l.service == op.service && l.operations.contains(&op.name.as_str()))
            .or_else(|| {
                limits
                    .iter()
                    .position(|l| l.service == op.service && l.operations.is_empty())
            });
        let Some(i) = matching else {
            return true;
        };
        let limit = &limits[i];
        let mut bucket = self.buckets[i].lock().unwrap();
        let now = Instant::now();
        let refill = now.duration_since(bucket.refilled).as_secs_f64() * limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(limit.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether this is one of the first calls of a `throttle_first` operation.
    fn throttle_first(&self, op: &Operation) -> bool {
        if !self.config.throttle_first.contains(&op.name.as_str()) {
            return false;
        }
        let mut throttled = self.throttled_first.lock().unwrap();
        let times = throttled.entry(op.name.clone()).or_default();
        *times += 1;
        *times <= self.config.throttle_times
    }

    /// Whether to fail this call (`Failed`) or lose its answer (`Dropped`), from the seeded
    /// sequence.
    fn draw_fault(&self) -> Outcome {
        let (errors, drops) = (self.config.error_permille, self.config.drop_permille);
        if errors + drops == 0 {
            return Outcome::Answered;
        }
        let n = self.rng.lock().unwrap().u32(0..1000);
        if n < errors {
            Outcome::Failed
        } else if n < errors + drops {
            Outcome::Dropped
        } else {
            Outcome::Answered
        }
    }

    async fn serve(&self, mut client: TcpStream) -> std::io::Result<()> {
        while let Some((head_text, body)) = read_request(&mut client).await? {
            let arrived = Instant::now();
            let head = Head::parse(&head_text);
            let op = operation::of(&head, &body);
            tokio::time::sleep(self.config.latency).await;
            let outcome = if self.throttle_first(&op) || !self.admit(&op) {
                Outcome::Throttled
            } else if self.config.deny == Some(op.name.as_str()) {
                Outcome::Denied
            } else if self.config.drop_first.contains(&op.name.as_str())
                && self.dropped.lock().unwrap().insert(op.name.clone())
            {
                Outcome::Dropped
            } else {
                self.draw_fault()
            };
            let refusal = match outcome {
                Outcome::Throttled => Some(Kind::Throttled),
                Outcome::Denied => Some(Kind::Denied),
                Outcome::Failed => Some(Kind::Internal),
                Outcome::Answered | Outcome::Dropped | Outcome::Replied => None,
            };
            if let Some(kind) = refusal {
                let (response, status) = answer::error(&op.service, op.short(), kind);
                self.record(op, outcome, status, arrived);
                client.write_all(&response).await?;
                continue;
            }
            if let Some(reply) = &self.config.reply
                && reply.operation == op.name
            {
                self.replied.lock().unwrap().push(Request {
                    path: head.path.clone(),
                    query: head.query.clone(),
                    headers: head.headers.clone(),
                    body: body.clone(),
                });
                self.record(op, Outcome::Replied, reply.status, arrived);
                client
                    .write_all(&answer::reply(reply.status, &reply.headers, &reply.body))
                    .await?;
                continue;
            }
            if let Some(before) = &self.config.before
                && before.operation == op.name
            {
                let nth = {
                    let mut reached = self.reached.lock().unwrap();
                    *reached += 1;
                    *reached
                };
                if nth == before.nth {
                    (before.run)().await;
                }
            }
            let response = forward(&self.upstream, &head_text, &body).await?;
            if outcome == Outcome::Dropped {
                // The call took effect; the caller never hears so, as when a connection dies.
                self.record(op, outcome, 0, arrived);
                return Ok(());
            }
            let status = std::str::from_utf8(&response[..response.len().min(12)])
                .ok()
                .and_then(|l| l.get(9..12))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            self.record(op, Outcome::Answered, status, arrived);
            client.write_all(&response).await?;
            // The emulator closed its side; close ours too rather than keep a connection
            // whose next request would need a new upstream one anyway.
            return Ok(());
        }
        Ok(())
    }
}

/// Sends one request to the emulator on a connection of its own and reads the whole answer.
async fn forward(upstream: &str, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await?;
    let head: Vec<&str> = head
        .lines()
        .filter(|l| !l.to_lowercase().starts_with("connection:"))
        .collect();
    let mut request = format!("{}\r\nconnection: close\r\n\r\n", head.join("\r\n")).into_bytes();
    request.extend_from_slice(body);
    server.write_all(&request).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    Ok(response)
}

/// One request: its head as text (without `Expect`, which the proxy answers itself), and
/// its body, by Content-Length or to the end of a chunked one. `None` at end of stream.
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_string();
            let parsed = Head::parse(&head);
            if parsed.get("expect") == Some("100-continue") {
                // The client waits for leave to send the body (S3 uploads).
                client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
            }
            let head: String = head
                .lines()
                .filter(|l| !l.to_lowercase().starts_with("expect:"))
                .collect::<Vec<_>>()
                .join("\r\n");
            let chunked = parsed
                .get("transfer-encoding")
                .is_some_and(|v| v.contains("chunked"));
            let length: usize = parsed
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let complete = |data: &[u8]| {
                if chunked {
                    data.len() >= end + 4 + 5 && data.ends_with(b"0\r\n\r\n")
                } else {
                    data.len() >= end + 4 + length
                }
            };
            while !complete(&data) {
                let n = client.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&buf[..n]);
            }
            return Ok(Some((head, data[end + 4..].to_vec())));
        }
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        data.extend_from_slice(&buf[..n]);
    }
}

/// A proxy that refuses `denied` (`SQS.CreateQueue`) with AccessDenied; returns its endpoint.
pub async fn deny(upstream: &str, denied: &'static str) -> String {
    let config = Config {
        deny: Some(denied),
        ..Config::default()
    };
    Proxy::start(upstream, config).await.endpoint
}

/// A proxy that holds every call for `latency`, like a distant AWS; returns its endpoint.
pub async fn slow(upstream: &str, latency: Duration) -> String {
    let config = Config {
        latency,
        ..Config::default()
    };
    Proxy::start(upstream, config).await.endpoint
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls arriving at these milliseconds after a start.
    fn arriving(at: &[u64]) -> Vec<Call> {
        let start = Instant::now();
        at.iter()
            .map(|ms| Call {
                operation: Operation {
                    service: "Lambda".into(),
                    name: "Lambda.GetFunction".into(),
                },
                outcome: Outcome::Answered,
                status: 200,
                arrived: start + Duration::from_millis(*ms),
            })
            .collect()
    }

    #[test]
    fn a_wave_is_calls_without_a_gap_longer_than_the_latency() {
        let gap = Duration::from_millis(30);
        assert_eq!(waves(&[], gap), 0);
        assert_eq!(waves(&arriving(&[0]), gap), 1);
        // Eight at once, then a slot-bound train 5 ms apart: one wave.
        assert_eq!(waves(&arriving(&[0, 0, 1, 1, 2, 7, 12, 17, 22]), gap), 1);
        // A call after its answer (30 ms and the emulator's time) starts the next, and
        // arrival order does not matter.
        assert_eq!(waves(&arriving(&[70, 0, 35, 2, 36]), gap), 3);
        // Exactly the gap is still the same wave.
        assert_eq!(waves(&arriving(&[0, 30]), gap), 1);
    }
}
