//! How many waves of requests slsr's plans take (the round trips a caller cannot overlap),
//! as the test proxy counts them with its added latency as the quiet gap between waves:
//! the figure `bench/compare` reports beside time and calls.

use std::path::Path;
use std::time::Duration;

use crate::proxy::{Config, Proxy};
use crate::reliability::through;
use crate::support::{Account, applied};

/// The latency the proxy adds: long beside the gaps between calls sent at once, even on a
/// busy machine, so that only a call that waited for an answer starts a wave.
const LATENCY: Duration = Duration::from_millis(200);

/// The benchmark's small app (an HTTP route, an SQS consumer, a schedule), applied, then
/// planned through a proxy that adds `LATENCY` to every call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_op_plan_of_the_small_app_comes_in_the_waves_the_proxy_counts() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/apps/small/slsr.yaml");
    let account = Account::new().await;
    applied(&account, &spec, &[]);
    let proxy = Proxy::start(
        &crate::support::endpoint(),
        Config {
            latency: LATENCY,
            ..Config::default()
        },
    )
    .await;
    let (out, _) = through(&proxy, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // The calls in arrival order, each with the time since the first: the timeline a wave
    // count is read from.
    let mut calls = proxy.calls();
    calls.sort_by_key(|c| c.arrived);
    let timeline: Vec<String> = calls
        .iter()
        .map(|c| {
            let ms = (c.arrived - calls[0].arrived).as_secs_f64() * 1000.0;
            format!("{ms:7.1} ms {}", c.operation.name)
        })
        .collect();
    let waves = proxy.waves();
    // The listings with the identity call, then the reads of what they found (the API's
    // parts, a queue's tags, each function and its policy and alias, the log groups' tags),
    // with the emulator's one-item pages adding a round trip per page: more than one wave,
    // never one per call.
    assert!(
        (2..calls.len() / 4).contains(&waves),
        "{waves} waves:\n{}",
        timeline.join("\n")
    );
    // The first wave is every listing at once, with the identity call among them.
    let first: Vec<&str> = calls
        .iter()
        .take_while(|c| (c.arrived - calls[0].arrived) < LATENCY)
        .map(|c| c.operation.name.as_str())
        .collect();
    for listing in [
        "STS.GetCallerIdentity",
        "Lambda.ListFunctions",
        "IAM.GetAccountAuthorizationDetails",
        "SQS.ListQueues",
        "ApiGatewayV2.GetApis",
        "EventBridge.ListEventBuses",
    ] {
        assert!(
            first.contains(&listing),
            "{listing} not in the first wave:\n{}",
            timeline.join("\n")
        );
    }
}
