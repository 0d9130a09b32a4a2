//! slsr against what real AWS does and the emulator does not, through the test proxy: rate
//! limits answered as each service answers them and waited out, slsr's own pacing under
//! Lambda's published quotas, alone and with other applies into the same account, and
//! applies that converge through 500s and lost answers with nothing made twice.
//!
//! Sizes are small here; `bench/scale` runs the same tests at full size (200 functions; 8
//! services of 30 at once) and prints the figures BENCHMARKS.md gives
//! (SLSR_SCALE_FUNCTIONS, SLSR_SCALE_LATENCY_MS, SLSR_FAULT_SEED, SLSR_CONTENTION_SERVICES,
//! SLSR_CONTENTION_FUNCTIONS).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sdk_lambda::error::ProvideErrorMetadata;

use crate::proxy::{Config, Limit, Outcome, Proxy};
use crate::support::{Account, Run, all_items, run, scratch};

/// Functions in the generated spec: small in the suite, 200 for the figures.
fn size() -> usize {
    env_number("SLSR_SCALE_FUNCTIONS", 24)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A spec of `n` functions that share one code directory, each with its own role and log
/// group and one trigger, in turn: an HTTP route, a schedule, an SQS queue of its own.
fn generated(name: &str, n: usize) -> PathBuf {
    generated_service(name, "fleet", n)
}

/// `generated`, as the service `service` (services of one account keep apart by name).
fn generated_service(name: &str, service: &str, n: usize) -> PathBuf {
    let mut spec = format!("service: {service}\nstage: dev\nqueues:\n");
    for i in (0..n).filter(|i| i % 3 == 2) {
        spec.push_str(&format!("  q{i:03}: {{}}\n"));
    }
    spec.push_str("functions:\n");
    for i in 0..n {
        let event = match i % 3 {
            0 => format!("http: GET /f{i:03}"),
            1 => "schedule: rate(1 hour)".to_string(),
            _ => format!("sqs: {{queue: q{i:03}}}"),
        };
        spec.push_str(&format!(
            "  f{i:03}:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    log_retention_days: 7\n    events:\n      - {event}\n"
        ));
    }
    crate::support::app(name, &spec)
}

/// What the generated spec must have made once each: (mappings, statements, routes,
/// integrations, rules).
fn expected(n: usize) -> (usize, usize, usize, usize, usize) {
    let http = (0..n).filter(|i| i % 3 == 0).count();
    let schedules = (0..n).filter(|i| i % 3 == 1).count();
    let queues = (0..n).filter(|i| i % 3 == 2).count();
    (queues, http + schedules, http, http, schedules)
}

/// Runs slsr with the account's credentials through `proxy`, off the test's runtime (the
/// proxy runs on it). Returns the run and its wall time.
pub async fn through(
    proxy: &Proxy,
    account: &Account,
    args: &[&str],
    spec: &Path,
) -> (Run, Duration) {
    let (account, endpoint) = (account.clone(), proxy.endpoint.clone());
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.push("-f".into());
    args.push(spec.display().to_string());
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = run(account.slsr().env("AWS_ENDPOINT_URL", endpoint).args(&args));
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

/// Runs slsr with `args` through a proxy that loses the first answer of each of `drops`
/// after it took effect, and checks the run succeeded with every one of them lost. The
/// proxy is returned for what the test runs through it next.
pub async fn losing_first(
    account: &Account,
    spec: &Path,
    drops: &'static [&'static str],
    args: &[&str],
) -> (Proxy, Run) {
    let config = Config {
        drop_first: drops,
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let (out, _) = through(&proxy, account, args, spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        proxy.outcomes(Outcome::Dropped),
        drops.len(),
        "{}",
        out.stderr
    );
    (proxy, out)
}

/// The least time the proxy's rate limits allow for the calls it answered: per limit, the
/// calls beyond its burst at its rate; the limits run side by side, so the largest.
fn floor(proxy: &Proxy, limits: &[Limit]) -> Duration {
    let calls = proxy.calls();
    let mut seconds: f64 = 0.0;
    for (i, limit) in limits.iter().enumerate() {
        let counted = calls
            .iter()
            .filter(|c| c.outcome != Outcome::Throttled && c.operation.service == limit.service)
            .filter(|c| {
                let named = limits
                    .iter()
                    .position(|l| l.operations.contains(&c.operation.name.as_str()));
                match named {
                    Some(j) => j == i,
                    None => limit.operations.is_empty(),
                }
            })
            .count() as f64;
        seconds = seconds.max((counted - limit.burst).max(0.0) / limit.per_second);
    }
    Duration::from_secs_f64(seconds)
}

/// Calls by operation, reads and writes apart, for a report.
fn tally(proxy: &Proxy) -> String {
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    let (mut reads, mut writes) = (0, 0);
    for c in proxy.calls() {
        *by_op.entry(c.operation.name.clone()).or_default() += 1;
        if c.operation.is_read() {
            reads += 1;
        } else {
            writes += 1;
        }
    }
    let ops: Vec<String> = by_op.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("{reads} reads, {writes} writes: {}", ops.join(", "))
}

#[tokio::test]
async fn over_the_limit_each_service_answers_as_aws_does() {
    let account = Account::new().await;
    // One call, then none for 100 s: however slow the emulator, the second is over.
    let one_call = |service: &'static str| Limit {
        service,
        operations: &[],
        per_second: 0.01,
        burst: 1.0,
    };
    let config = Config {
        limits: ["lambda", "iam", "sqs", "events", "apigateway", "logs", "s3"]
            .into_iter()
            .map(one_call)
            .collect(),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    // The SDK parses the answers; with its retries off, the second call of each service is
    // refused with the service's own throttling code.
    let sdk = account
        .config()
        .await
        .into_builder()
        .endpoint_url(&proxy.endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let apigw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let s3 = crate::support::s3_by_path(&sdk);
    macro_rules! second_call_code {
        ($call:expr) => {{
            $call.await.expect("the first call is within the limit");
            let err = $call.await.expect_err("the second call is over the limit");
            (err.code().map(str::to_string), err.to_string())
        }};
    }
    let answers = [
        (
            second_call_code!(lambda.list_functions().send()),
            "TooManyRequestsException",
        ),
        (second_call_code!(iam.list_roles().send()), "Throttling"),
        (
            second_call_code!(sqs.list_queues().send()),
            "RequestThrottled",
        ),
        (
            second_call_code!(events.list_rules().send()),
            "ThrottlingException",
        ),
        (
            second_call_code!(apigw.get_apis().send()),
            "TooManyRequestsException",
        ),
        (
            second_call_code!(logs.describe_log_groups().send()),
            "ThrottlingException",
        ),
        (second_call_code!(s3.list_buckets().send()), "SlowDown"),
    ];
    for ((code, display), want) in answers {
        assert_eq!(code.as_deref(), Some(want), "{display}");
    }
    // The log names every call and what became of it.
    let calls = proxy.calls();
    assert_eq!(calls.len(), 14);
    assert_eq!(proxy.outcomes(Outcome::Throttled), 7);
    assert_eq!(proxy.count("S3.ListBuckets"), 2);
    assert_eq!(proxy.count("Lambda.ListFunctions"), 2);
    assert_eq!(proxy.count("ApiGatewayV2.GetApis"), 2);
    assert_eq!(proxy.count("SQS.ListQueues"), 2);
    assert!(calls.iter().all(|c| c.operation.is_read()));
    let throttled_lambda = calls
        .iter()
        .find(|c| c.outcome == Outcome::Throttled && c.operation.service == "lambda")
        .unwrap();
    assert_eq!(throttled_lambda.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_call_to_any_service_is_waited_out_whatever_its_protocol() {
    // A call to each service slsr uses is throttled 4 times, as many as the SDK's attempts:
    // slsr hears each throttle in its service's protocol and sends the call again, so the
    // fifth attempt answers.
    const READS: &[&str] = &[
        "Lambda.ListFunctions",
        "IAM.ListRoles",
        "SQS.ListQueues",
        "EventBridge.ListRules",
        "ApiGatewayV2.GetApis",
        "CloudWatchLogs.DescribeLogGroups",
        "ssm.DescribeParameters",
        "DynamoDB.ListTables",
        "S3.ListBuckets",
    ];
    let account = Account::new().await;
    let config = Config {
        throttle_first: READS,
        throttle_times: 4,
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let connection = slsr::aws::Connection {
        endpoint_url: Some(proxy.endpoint.clone()),
        region: Some(crate::support::REGION.into()),
        profile: None,
    };
    let credentials = aws_sdk_iam::config::Credentials::new(
        &account.access_key,
        &account.secret_key,
        None,
        None,
        "slsr-tests",
    );
    let sdk = slsr::aws::sdk_config(&connection, None)
        .await
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build();
    let c = slsr::aws::Clients::new(&sdk);
    // The lock's client, in the default account of the environment's credentials: a read.
    let dynamodb = slsr::aws::lock::client(&connection, None).await;
    macro_rules! answered {
        ($call:expr) => {
            async {
                $call
                    .await
                    .map(|_| ())
                    .map_err(|e| slsr::aws::error_chain(&e))
            }
        };
    }
    let answers = tokio::join!(
        answered!(c.lambda.list_functions().send()),
        answered!(c.iam.list_roles().send()),
        answered!(c.sqs.list_queues().send()),
        answered!(c.events.list_rules().send()),
        answered!(c.apigw.get_apis().send()),
        answered!(c.logs.describe_log_groups().send()),
        answered!(c.ssm.describe_parameters().send()),
        answered!(dynamodb.list_tables().send()),
        answered!(c.s3.list_buckets().send()),
    );
    let answers = [
        answers.0, answers.1, answers.2, answers.3, answers.4, answers.5, answers.6, answers.7,
        answers.8,
    ];
    for (read, answer) in READS.iter().zip(answers) {
        assert_eq!(answer, Ok(()), "{read}");
        assert_eq!(proxy.count(read), 5, "{read}: {}", tally(&proxy));
    }
    assert_eq!(proxy.outcomes(Outcome::Throttled), 4 * READS.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_still_ends_after_the_sdks_attempts_throttles_aside() {
    // Throttled twice, then answered 500 every time: the throttles do not count, the 500s
    // do, and the call fails after its 4 attempts with the service's error. (No call
    // reaches the emulator.)
    let config = Config {
        throttle_first: &["IAM.ListRoles"],
        throttle_times: 2,
        error_permille: 1000,
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let connection = slsr::aws::Connection {
        endpoint_url: Some(proxy.endpoint.clone()),
        region: Some(crate::support::REGION.into()),
        profile: None,
    };
    let sdk = slsr::aws::sdk_config(&connection, None).await;
    let iam = slsr::aws::Clients::new(&sdk).iam;
    let err = iam
        .list_roles()
        .send()
        .await
        .expect_err("every attempt fails");
    assert_eq!(err.code(), Some("ServiceFailure"), "{err:?}");
    assert_eq!(proxy.outcomes(Outcome::Throttled), 2);
    assert_eq!(proxy.outcomes(Outcome::Failed), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slsr_paces_itself_under_lambdas_published_quotas() {
    let n = size();
    let spec = generated("scale-rates", n);
    let account = Account::new().await;
    let limits = Limit::lambda_published();
    let config = Config {
        latency: Duration::from_millis(env_number("SLSR_SCALE_LATENCY_MS", 20) as u64),
        limits: limits.clone(),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;

    let (out, apply_took) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let apply_floor = floor(&proxy, &limits);
    let apply_throttled = proxy.outcomes(Outcome::Throttled);
    let apply_calls = tally(&proxy);

    proxy.clear();
    let (out, plan_took) = through(&proxy, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(
        out.code, 0,
        "the plan after apply is not clean:\n{}{}",
        out.stdout, out.stderr
    );
    let plan_floor = floor(&proxy, &limits);
    let plan_throttled = proxy.outcomes(Outcome::Throttled);
    let plan_calls = tally(&proxy);

    let ratio =
        |took: Duration, floor: Duration| took.as_secs_f64() / floor.as_secs_f64().max(0.001);
    eprintln!(
        "{n} functions, Lambda's published quotas:\n  apply {apply_took:.1?}, floor {apply_floor:.1?}, ratio {:.2}, throttled {apply_throttled}\n    {apply_calls}\n  plan {plan_took:.1?}, floor {plan_floor:.1?}, ratio {:.2}, throttled {plan_throttled}\n    {plan_calls}",
        ratio(apply_took, apply_floor),
        ratio(plan_took, plan_floor),
    );
    // slsr keeps under the quotas: AWS never has to refuse it.
    assert_eq!(apply_throttled + plan_throttled, 0, "slsr was throttled");
}

/// Services applied at once into one account, and the functions of each: 8 of 30 for the
/// figures; in the suite 6 of 12, a size at which slsr without adaptive pacing failed in
/// each of 8 runs (at 4 of 10 it converged through the SDK's retries).
fn contention() -> (usize, usize) {
    (
        env_number("SLSR_CONTENTION_SERVICES", 6),
        env_number("SLSR_CONTENTION_FUNCTIONS", 12),
    )
}

/// Runs slsr with `args` on every spec at once through `proxy`: the runs in the specs'
/// order, and the wall time until the last one ended.
async fn all_at_once(
    proxy: &Proxy,
    account: &Account,
    args: &[&str],
    specs: &[PathBuf],
) -> (Vec<Run>, Duration) {
    let started = Instant::now();
    let running: Vec<_> = specs
        .iter()
        .map(|spec| {
            let (account, endpoint) = (account.clone(), proxy.endpoint.clone());
            let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            args.push("-f".into());
            args.push(spec.display().to_string());
            tokio::task::spawn_blocking(move || {
                run(account.slsr().env("AWS_ENDPOINT_URL", endpoint).args(&args))
            })
        })
        .collect();
    let mut runs = Vec::new();
    for r in running {
        runs.push(r.await.unwrap());
    }
    (runs, started.elapsed())
}

/// One call to each service an apply uses, straight to the emulator: moto loads a
/// service's code on its first call, seconds that are not slsr's.
async fn warm_up(account: &Account) {
    let config = account.config().await;
    let (lambda, iam, sqs) = (
        aws_sdk_lambda::Client::new(&config),
        aws_sdk_iam::Client::new(&config),
        aws_sdk_sqs::Client::new(&config),
    );
    let (events, apigw, logs) = (
        aws_sdk_eventbridge::Client::new(&config),
        aws_sdk_apigatewayv2::Client::new(&config),
        aws_sdk_cloudwatchlogs::Client::new(&config),
    );
    lambda.list_functions().send().await.unwrap();
    iam.list_roles().send().await.unwrap();
    sqs.list_queues().send().await.unwrap();
    events.list_rules().send().await.unwrap();
    apigw.get_apis().send().await.unwrap();
    logs.describe_log_groups().send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applies_at_once_in_one_account_share_lambdas_quotas_and_none_fails() {
    // Pipelines of one account deploy at once: each slsr hears the others' share of the
    // quota only as throttles, slows down, and waits them out instead of failing.
    let (services, n) = contention();
    let specs: Vec<PathBuf> = (0..services)
        .map(|i| generated_service(&format!("contention-{i}"), &format!("fleet{i}"), n))
        .collect();
    let account = Account::new().await;
    let limits = Limit::lambda_published();
    let config = Config {
        latency: Duration::from_millis(env_number("SLSR_SCALE_LATENCY_MS", 20) as u64),
        limits: limits.clone(),
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    warm_up(&account).await;

    let (applies, took) = all_at_once(&proxy, &account, &["apply", "--auto-approve"], &specs).await;
    let floor = floor(&proxy, &limits);
    let throttled = proxy.outcomes(Outcome::Throttled);
    let failed: Vec<&Run> = applies.iter().filter(|r| r.code != 0).collect();
    eprintln!(
        "{services} services of {n} functions applied at once in one account, Lambda's published quotas:\n  {took:.1?}, floor {floor:.1?}, ratio {:.2}, throttled {throttled}, failed {}\n    {}",
        took.as_secs_f64() / floor.as_secs_f64().max(0.001),
        failed.len(),
        tally(&proxy)
    );
    if let Some(first) = failed.first() {
        panic!(
            "{} of {services} applies failed; the first:\n{}",
            failed.len(),
            first.stderr
        );
    }
    assert!(
        throttled > 0,
        "no call was throttled: the applies never competed and the test proves nothing"
    );
    let (plans, _) = all_at_once(&proxy, &account, &["plan", "--detailed-exitcode"], &specs).await;
    for (spec, plan) in specs.iter().zip(&plans) {
        assert_eq!(
            plan.code,
            0,
            "{} does not plan clean after its apply:\n{}{}",
            spec.display(),
            plan.stdout,
            plan.stderr
        );
    }
}

/// What an account holds of the kinds AWS lets a retried create make twice, or that a
/// careless deployer would: with any duplicates found.
#[derive(Debug, Default)]
pub struct Made {
    pub mappings: usize,
    pub statements: usize,
    pub routes: usize,
    pub integrations: usize,
    pub rules: usize,
    pub duplicates: Vec<String>,
}

impl Made {
    /// (mappings, statements, routes, integrations, rules), after asserting no duplicates.
    pub fn counts(&self) -> (usize, usize, usize, usize, usize) {
        assert!(
            self.duplicates.is_empty(),
            "made twice: {:?}",
            self.duplicates
        );
        (
            self.mappings,
            self.statements,
            self.routes,
            self.integrations,
            self.rules,
        )
    }
}

/// Counts, straight from the emulator: event source mappings (one per function and
/// queue), policy statements of every function (ids unique), the HTTP APIs (one), its
/// routes (keys unique) and integrations (one per function), and the rules.
pub async fn made(account: &Account) -> Made {
    let config = account.config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let mut made = Made::default();
    let mut seen = std::collections::HashSet::new();
    let mut twice = |what: String, made: &mut Made| {
        if !seen.insert(what.clone()) {
            made.duplicates.push(what);
        }
    };
    let mappings: Vec<_> = lambda
        .list_event_source_mappings()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    for m in mappings {
        made.mappings += 1;
        let key = format!(
            "mapping {} <- {}",
            m.function_arn().unwrap_or_default(),
            m.event_source_arn().unwrap_or_default()
        );
        twice(key, &mut made);
    }
    let functions: Vec<_> = lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    for f in functions {
        let name = f.function_name().unwrap_or_default();
        let Ok(policy) = lambda.get_policy().function_name(name).send().await else {
            continue;
        };
        let policy: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        for statement in policy["Statement"].as_array().cloned().unwrap_or_default() {
            made.statements += 1;
            twice(format!("statement {name} {}", statement["Sid"]), &mut made);
        }
    }
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    let apis = all_items!(apigw.get_apis(), items);
    for api in &apis {
        twice(format!("API {}", api.name().unwrap_or_default()), &mut made);
        let id = api.api_id().unwrap();
        let routes = all_items!(apigw.get_routes().api_id(id), items);
        for route in &routes {
            made.routes += 1;
            twice(
                format!("route {}", route.route_key().unwrap_or_default()),
                &mut made,
            );
        }
        let integrations = all_items!(apigw.get_integrations().api_id(id), items);
        for i in &integrations {
            made.integrations += 1;
            twice(
                format!("integration {}", i.integration_uri().unwrap_or_default()),
                &mut made,
            );
        }
    }
    let events = aws_sdk_eventbridge::Client::new(&config);
    made.rules = all_items!(events.list_rules(), rules).len();
    made
}

/// Applies `spec` through a proxy that fails 5% of calls with a 500 and loses the answer
/// of 1% after they took effect, under Lambda's quotas; up to three applies. Then the
/// plan is clean. Returns the applies it took and the faults injected.
async fn converge(account: &Account, spec: &Path) -> (usize, usize) {
    let seed = env_number("SLSR_FAULT_SEED", 7) as u64;
    let config = Config {
        limits: Limit::lambda_published(),
        seed,
        error_permille: 50,
        drop_permille: 10,
        ..Config::default()
    };
    let proxy = Proxy::start(&crate::support::endpoint(), config).await;
    let mut applies = 0;
    loop {
        applies += 1;
        let (out, took) = through(&proxy, account, &["apply", "--auto-approve"], spec).await;
        eprintln!("apply {applies}: exit {} in {took:.1?}", out.code);
        if out.code == 0 {
            break;
        }
        assert!(
            applies < 3,
            "apply did not converge in 3 runs (seed {seed}):\n{}{}",
            out.stdout,
            out.stderr
        );
    }
    let faults = proxy.faults();
    eprintln!(
        "{} calls: {} answered 500, {} answers lost",
        proxy.calls().len(),
        proxy.outcomes(Outcome::Failed),
        proxy.outcomes(Outcome::Dropped)
    );
    assert!(
        proxy.outcomes(Outcome::Dropped) > 0,
        "no answer was lost (seed {seed}): the test proves nothing"
    );
    let (out, _) = through(&proxy, account, &["plan", "--detailed-exitcode"], spec).await;
    assert_eq!(
        out.code, 0,
        "the plan after apply is not clean (seed {seed}):\n{}{}",
        out.stdout, out.stderr
    );
    (applies, faults)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orders_example_converges_through_faults_with_nothing_made_twice() {
    // A copy of the example, so no other test packages into the same directory.
    let dir = scratch("faults-orders");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/orders/."))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(copied.success());
    let account = Account::new().await;
    let (applies, faults) = converge(&account, &dir.join("slsr.yaml")).await;
    eprintln!("orders: {faults} faults, {applies} applies");
    // A statement per route, schedule and EventBridge rule; one of everything else.
    assert_eq!(made(&account).await.counts(), (1, 4, 2, 1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_spec_converges_through_faults_with_nothing_made_twice() {
    let n = size();
    let spec = generated("faults-fleet", n);
    let account = Account::new().await;
    let started = Instant::now();
    let (applies, faults) = converge(&account, &spec).await;
    eprintln!(
        "{n} functions: {faults} faults, {applies} applies, {:.1?}",
        started.elapsed()
    );
    assert_eq!(made(&account).await.counts(), expected(n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_create_that_aws_would_repeat_is_sent_again_and_made_once() {
    // An HTTP API is created without the SDK's retries, in at most 4 attempts, as an
    // integration is (`create_once`). Its first 4 calls are throttled: a throttle means AWS
    // did nothing, so slsr sends it again, uncounted, without looking for what it made.
    let spec = generated("throttled-creates", 3);
    let account = Account::new().await;
    let proxy = Proxy::start(
        &crate::support::endpoint(),
        Config {
            throttle_first: &["ApiGatewayV2.CreateApi"],
            throttle_times: 4,
            ..Config::default()
        },
    )
    .await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(proxy.outcomes(Outcome::Throttled), 4, "{}", tally(&proxy));
    assert_eq!(proxy.count("ApiGatewayV2.CreateApi"), 5);
    // The plan's read and the look before the create (for an API another apply made since
    // the plan), and no look for what a throttled create made.
    assert_eq!(proxy.count("ApiGatewayV2.GetApis"), 2, "{}", tally(&proxy));
    let (out, _) = through(&proxy, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(made(&account).await.counts(), expected(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_any_create_or_delete_makes_nothing_twice_and_fails_nothing() {
    // The first call of each create loses its answer after it took effect. Where AWS
    // refuses the repeat, slsr takes the refusal as done; where AWS would make a second
    // API or integration, slsr looks before it sends again. One apply, no error.
    const CREATES: &[&str] = &[
        "IAM.CreateRole",
        "SQS.CreateQueue",
        "CloudWatchLogs.CreateLogGroup",
        "Lambda.CreateFunction",
        "ApiGatewayV2.CreateApi",
        "ApiGatewayV2.CreateIntegration",
        "ApiGatewayV2.CreateRoute",
        "ApiGatewayV2.CreateStage",
        "Lambda.AddPermission",
        "EventBridge.PutRule",
        "EventBridge.PutTargets",
        "Lambda.CreateEventSourceMapping",
    ];
    const DELETES: &[&str] = &[
        "Lambda.DeleteEventSourceMapping",
        "EventBridge.RemoveTargets",
        "EventBridge.DeleteRule",
        "Lambda.RemovePermission",
        "ApiGatewayV2.DeleteStage",
        "ApiGatewayV2.DeleteRoute",
        "ApiGatewayV2.DeleteIntegration",
        "ApiGatewayV2.DeleteApi",
        "Lambda.DeleteFunction",
        "CloudWatchLogs.DeleteLogGroup",
        "SQS.DeleteQueue",
        "IAM.DeleteRolePolicy",
        "IAM.DeleteRole",
    ];
    let spec = generated("lost-answers", 6);
    let account = Account::new().await;
    let (creating, _) = losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    let (out, _) = through(&creating, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(made(&account).await.counts(), expected(6));

    losing_first(&account, &spec, DELETES, &["destroy", "--auto-approve"]).await;
    assert_eq!(made(&account).await.counts(), (0, 0, 0, 0, 0));
}

/// An HTTP API with a JWT authorizer on its one route.
const FOUND_ONE: &str = "service: found
http_api:
  authorizers:
    alpha: {jwt: {issuer: 'https://issuer.example.com', audience: [web]}}
functions:
  a:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: GET /a, auth: alpha}
";

/// `FOUND_ONE` and a second function, route and authorizer, whose names sort after the first's.
const FOUND_TWO: &str = "service: found
http_api:
  authorizers:
    alpha: {jwt: {issuer: 'https://issuer.example.com', audience: [web]}}
    zulu: {jwt: {issuer: 'https://issuer.example.com', audience: [admin]}}
functions:
  a:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: GET /a, auth: alpha}
  z:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: GET /z, auth: zulu}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_is_looked_for_on_every_page_and_never_made_twice() {
    // After a lost answer, apply looks for what the attempt made before sending it again.
    // Here it sits past the first page of the listing (the emulator lists by name, a page
    // an item): a look-up that read one page would make a second API, integration or
    // authorizer.
    let spec = crate::support::app("lost-paged", FOUND_ONE);
    let account = Account::new().await;
    let config = account.config().await;
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    for name in ["aa-other-0", "aa-other-1"] {
        apigw
            .create_api()
            .name(name)
            .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
            .send()
            .await
            .unwrap();
    }
    let endpoint = crate::support::endpoint();
    let losing = |drop_first| {
        Proxy::start(
            &endpoint,
            Config {
                drop_first,
                ..Config::default()
            },
        )
    };
    let proxy = losing(&["ApiGatewayV2.CreateApi"]).await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(proxy.outcomes(Outcome::Dropped), 1);
    std::fs::write(&spec, FOUND_TWO).unwrap();
    let proxy = losing(&[
        "ApiGatewayV2.CreateIntegration",
        "ApiGatewayV2.CreateAuthorizer",
    ])
    .await;
    let (out, _) = through(&proxy, &account, &["apply", "--auto-approve"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(proxy.outcomes(Outcome::Dropped), 2);
    let (out, _) = through(&proxy, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // The proxy names every call, a listing's later pages too.
    let calls = proxy.calls();
    let unnamed: Vec<&str> = calls
        .iter()
        .map(|c| c.operation.name.as_str())
        .filter(|name| name.contains(' '))
        .collect();
    assert!(unnamed.is_empty(), "{unnamed:?}");
    let get_apis = calls
        .iter()
        .filter(|c| c.operation.name == "ApiGatewayV2.GetApis")
        .count();
    assert!(get_apis >= 3, "GetApis in pages: {get_apis} calls");

    // Three APIs (two of them someone else's), two routes and two integrations, once each.
    let made = made(&account).await;
    assert_eq!((made.routes, made.integrations), (2, 2), "{made:?}");
    made.counts();
    let apis = all_items!(apigw.get_apis(), items);
    assert_eq!(apis.len(), 3, "{apis:?}");
    let api = apis
        .iter()
        .find(|a| a.name() == Some("found-dev"))
        .and_then(|a| a.api_id())
        .unwrap();
    let mut authorizers: Vec<String> = all_items!(apigw.get_authorizers().api_id(api), items)
        .iter()
        .map(|a| a.name().unwrap_or_default().to_string())
        .collect();
    authorizers.sort();
    assert_eq!(authorizers, ["alpha", "zulu"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_function_urls_calls_makes_nothing_twice() {
    // A URL config can be made once per function, so a create sent again after a lost
    // answer is refused: slsr takes the URL the first attempt made.
    const CREATES: &[&str] = &[
        "Lambda.TagResource",
        "Lambda.CreateFunctionUrlConfig",
        "Lambda.AddPermission",
    ];
    const DELETES: &[&str] = &[
        "Lambda.DeleteFunctionUrlConfig",
        "Lambda.UntagResource",
        "Lambda.RemovePermission",
    ];
    let spec = crate::support::app(
        "lost-url-answers",
        "service: hooks\nfunctions:\n  hook:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    url: {auth: none}\noutputs:\n  url: {value: '${function:hook.url}'}\n",
    );
    let account = Account::new().await;
    let (creating, out) =
        losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let url = lambda
        .get_function_url_config()
        .function_name("hooks-dev-hook")
        .send()
        .await
        .unwrap();
    assert!(
        out.stdout
            .contains(&format!("url = {}", url.function_url())),
        "the output names the URL the lost attempt made:\n{}",
        out.stdout
    );
    let policy: serde_json::Value = serde_json::from_str(
        &lambda
            .get_policy()
            .function_name("hooks-dev-hook")
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 2, "{policy}");
    let (out, _) = through(&creating, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    losing_first(&account, &spec, DELETES, &["destroy", "--auto-approve"]).await;
    let functions = lambda.list_functions().send().await.unwrap();
    assert!(functions.functions().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_tables_calls_makes_nothing_twice() {
    // DynamoDB refuses a table's name twice, and refuses to turn on what is on: a call sent
    // again after a lost answer is done when the table is as asked. An index's create is
    // refused once the first attempt made it.
    const CREATES: &[&str] = &[
        "DynamoDB.CreateTable",
        "DynamoDB.UpdateTimeToLive",
        "DynamoDB.UpdateContinuousBackups",
        "Lambda.CreateEventSourceMapping",
    ];
    const UPDATES: &[&str] = &["DynamoDB.UpdateTable", "DynamoDB.TagResource"];
    const DELETES: &[&str] = &[
        "Lambda.DeleteEventSourceMapping",
        "DynamoDB.UpdateTable",
        "DynamoDB.DeleteTable",
    ];
    const SPEC: &str = "service: lost
tables:
  orders:
    key: {partition: pk}
    attributes: {pk: string}
    ttl: expires_at
    stream: keys_only
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events: [{dynamodb: {table: orders}}]
";
    let spec = crate::support::app("lost-table-answers", SPEC);
    let account = Account::new().await;
    let db = aws_sdk_dynamodb::Client::new(&account.config().await);
    let (creating, _) = losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    let (out, _) = through(&creating, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(made(&account).await.counts(), (1, 0, 0, 0, 0));
    let tables = db.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), ["lost-dev-orders"]);

    // An index and a tag, each call's first answer lost.
    std::fs::write(
        &spec,
        SPEC.replace(
            "    attributes: {pk: string}\n",
            "    attributes: {pk: string, day: string}\n    indexes: {by-day: {partition: day}}\n    tags: {tier: gold}\n",
        ),
    )
    .unwrap();
    let (updating, _) = losing_first(&account, &spec, UPDATES, &["apply", "--auto-approve"]).await;
    let (out, _) = through(&updating, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let described = db
        .describe_table()
        .table_name("lost-dev-orders")
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let indexes: Vec<&str> = described
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert_eq!(indexes, ["by-day"]);

    losing_first(
        &account,
        &spec,
        DELETES,
        &["destroy", "--auto-approve", "--allow-data-loss"],
    )
    .await;
    assert_eq!(made(&account).await.counts(), (0, 0, 0, 0, 0));
    let tables = db.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty(), "{tables:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_buckets_calls_makes_nothing_twice() {
    // The first call of each of a bucket's writes and of its notification's loses its
    // answer after it took effect. S3 answers a repeated CreateBucket in us-east-1 with
    // success (elsewhere BucketAlreadyOwnedByYou), and slsr checks the bucket carries its
    // tags; the configuration calls replace what they set, the same again; a repeated
    // delete finds nothing left.
    const CREATES: &[&str] = &[
        "S3.CreateBucket",
        "S3.PutPublicAccessBlock",
        "S3.PutBucketEncryption",
        "S3.PutBucketVersioning",
        "S3.PutBucketLifecycleConfiguration",
        "S3.PutBucketCors",
        "Lambda.AddPermission",
        "S3.PutBucketNotificationConfiguration",
    ];
    const DELETES: &[&str] = &[
        "S3.PutBucketNotificationConfiguration",
        "Lambda.RemovePermission",
        "S3.AbortMultipartUpload",
        "S3.DeleteObjects",
        "S3.DeleteBucket",
    ];
    let spec = crate::support::app(
        "lost-bucket-answers",
        "service: media
buckets:
  uploads:
    versioning: true
    lifecycle: [{prefix: tmp/, expire_days: 1}]
    cors: [{allow_origins: ['*'], allow_methods: [GET]}]
functions:
  thumbs:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - s3: {bucket: uploads, events: [created], prefix: in/}
",
    );
    let account = Account::new().await;
    let (creating, _) = losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    let (out, _) = through(&creating, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let s3 = account.s3().await;
    let bucket = format!("media-dev-uploads-{}", account.id);
    let buckets = s3.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets().len(), 1, "{buckets:?}");
    let document = s3
        .get_bucket_notification_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(document.lambda_function_configurations().len(), 1);

    // Objects in every form a bucket holds them, for the deletion to empty.
    for body in ["1", "2"] {
        s3.put_object()
            .bucket(&bucket)
            .key("tmp/a")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                body.as_bytes(),
            ))
            .send()
            .await
            .unwrap();
    }
    s3.delete_object()
        .bucket(&bucket)
        .key("tmp/a")
        .send()
        .await
        .unwrap();
    s3.create_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .unwrap();
    losing_first(
        &account,
        &spec,
        DELETES,
        &["destroy", "--auto-approve", "--allow-data-loss"],
    )
    .await;
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().is_empty(), "{buckets:?}");
}
