//! The test proxy (`tests/integration/proxy/`) as a program, for the benchmarks: it sits
//! between any AWS client (slsr or a peer deployer) and the emulator, adds latency to every
//! call and appends each call to a log file, so one harness counts every tool's calls alike.
//!
//! Usage: cargo run --release --example proxy -- UPSTREAM [--latency-ms N] [--log FILE]
//! Prints its endpoint (`http://127.0.0.1:PORT`) on the first line, then serves until killed.

#[allow(dead_code)]
#[path = "../tests/integration/proxy/mod.rs"]
mod proxy;

use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut upstream = None;
    let mut config = proxy::Config::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--latency-ms" => {
                let ms = args.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                config.latency = Duration::from_millis(ms);
            }
            "--log" => config.log_file = args.next().map(Into::into),
            other if upstream.is_none() && !other.starts_with('-') => {
                upstream = Some(other.to_string());
            }
            other => {
                eprintln!("proxy: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(upstream) = upstream else {
        eprintln!("usage: proxy UPSTREAM [--latency-ms N] [--log FILE]");
        std::process::exit(2);
    };
    let proxy = proxy::Proxy::start(&upstream, config).await;
    println!("{}", proxy.endpoint);
    std::io::stdout().flush().ok();
    std::future::pending::<()>().await;
}
