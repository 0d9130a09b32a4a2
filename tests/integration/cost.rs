//! The plan's fixed monthly costs and the quota preflight, through the real binary against
//! the emulator. Costs: a function with provisioned concurrency, a provisioned table with an
//! index and a provisioned stream planned from empty (each line and the total against hand
//! computations from the price table's literal numbers), applied, then changed (memory;
//! concurrency, capacity and shards) to show the differences; the same in JSON and
//! Markdown; an offline plan pricing its creates; a region the table lacks listed as
//! unpriced. Quotas: the emulator's account settings, set per test account, refusing a
//! reserved concurrency that would leave 99 unreserved (naming the functions) and taking
//! one that leaves 100, counting what a plan stops reserving; code storage refused past its
//! limit and warned of at 80%.

use serde_json::{Value, json};

use crate::support::{Account, app, applied, applied_clean, has_all, replan, slsr_on as slsr};

/// A month of provisioned concurrency per GB, in seconds: 730 hours of 3600.
const GB_MONTH_SECONDS: f64 = 730.0 * 3600.0;
/// us-east-1's list prices as src/engine/prices.json has them.
const PC_ARM_GB_SECOND: f64 = 0.0000033334;
const RCU_HOUR: f64 = 0.00013;
const WCU_HOUR: f64 = 0.00065;
const SHARD_HOUR: f64 = 0.015;

fn usd(amount: f64) -> String {
    if amount < 0.0 {
        format!("-${:.2}", -amount)
    } else {
        format!("+${amount:.2}")
    }
}

fn spec(memory: u32, concurrency: u32, read: u32, shards: u32, region: &str) -> String {
    format!(
        "service: price
region: {region}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    memory: {memory}
    architecture: arm64
    provisioned_concurrency: {concurrency}
tables:
  orders:
    key: {{partition: pk}}
    attributes: {{pk: string, day: string}}
    billing: {{read: {read}, write: 5}}
    indexes:
      by_day: {{partition: day}}
streams:
  clicks:
    shards: {shards}
"
    )
}

// Hand computations, from the literal prices above.
// 5 × 1 GB × 730 × 3600 × $0.0000033334 = $43.800876
fn concurrency_monthly(n: f64, gb: f64) -> f64 {
    n * gb * GB_MONTH_SECONDS * PC_ARM_GB_SECOND
}
// (read × $0.00013 + 5 × $0.00065) × (the table and its one index) × 730 h
fn table_monthly(read: f64) -> f64 {
    (read * RCU_HOUR + 5.0 * WCU_HOUR) * 2.0 * 730.0
}
// shards × $0.015 × 730 h
fn stream_monthly(shards: f64) -> f64 {
    shards * SHARD_HOUR * 730.0
}

fn json_plan(account: &Account, spec: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let out = slsr(account, "plan", spec, &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn change_cost(doc: &Value, address: &str) -> Value {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .unwrap_or_else(|| panic!("{address} in {doc:#}"))["cost"]
        .clone()
}

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"));
    assert!(
        (got - (expected * 100.0).round() / 100.0).abs() < 1e-9,
        "{got} != {expected:.2}"
    );
}

#[tokio::test]
async fn a_plan_prices_its_fixed_costs_and_the_difference_each_change_makes() {
    let account = Account::new().await;
    let path = app("cost-lifecycle", &spec(1024, 5, 10, 2, "us-east-1"));
    let (pc, table, stream) = (
        concurrency_monthly(5.0, 1.0),
        table_monthly(10.0),
        stream_monthly(2.0),
    );
    assert_eq!(usd(pc), "+$43.80");
    assert_eq!(usd(table), "+$6.64");
    assert_eq!(usd(stream), "+$21.90");
    let first = replan(&account, &path, spec(1024, 5, 10, 2, "us-east-1"), &[]);
    has_all(
        &first,
        &[
            &format!(
                "# cost: {}/month (provisioned concurrency 5 × 1024 MB arm64)",
                usd(pc)
            ),
            &format!(
                "# cost: {}/month (provisioned capacity 10 RCU + 5 WCU, for the table and its index)",
                usd(table)
            ),
            &format!("# cost: {}/month (2 shards, provisioned)", usd(stream)),
            &format!("Monthly cost change: {}", usd(pc + table + stream)),
            "at USD list prices in us-east-1 as of",
            "without the free tier",
        ],
    );
    assert!(first.contains("Monthly cost change: +$72.34"), "{first}");
    // The lines are under their changes: the alias's under `+ alias.api`.
    let alias_block = first.split("+ alias.api").nth(1).unwrap();
    let next = alias_block.find("\n\n").unwrap();
    assert!(
        alias_block[..next].contains("provisioned concurrency 5"),
        "{first}"
    );

    // JSON and Markdown carry the same numbers.
    let doc = json_plan(&account, &path, &[]);
    let alias = change_cost(&doc, "alias.api");
    close(&alias["monthly_usd_before"], 0.0);
    close(&alias["monthly_usd_after"], pc);
    close(&alias["monthly_usd_change"], pc);
    assert_eq!(alias["basis"], "provisioned concurrency 5 × 1024 MB arm64");
    close(
        &change_cost(&doc, "table.orders")["monthly_usd_change"],
        table,
    );
    close(
        &change_cost(&doc, "stream.clicks")["monthly_usd_change"],
        stream,
    );
    assert_eq!(change_cost(&doc, "function.api"), Value::Null);
    close(&doc["cost"]["monthly_usd_change"], pc + table + stream);
    assert_eq!(doc["cost"]["currency"], "USD");
    assert_eq!(doc["cost"]["unpriced"], json!([]));
    assert!(
        doc["cost"]["prices_as_of"]
            .as_str()
            .is_some_and(|d| d.len() == 10)
    );
    let md = slsr(&account, "plan", &path, &["--format", "markdown"]);
    has_all(
        &md.stdout,
        &[
            "**Monthly cost change: +\\$72.34**",
            "| `alias.api` | \\$0.00 | \\$43.80 | +\\$43.80 |",
            "| `table.orders` | \\$0.00 | \\$6.64 | +\\$6.64 |",
            "| `stream.clicks` | \\$0.00 | \\$21.90 | +\\$21.90 |",
            "# cost: +$43.80/month (provisioned concurrency 5 × 1024 MB arm64)",
        ],
    );

    applied_clean(&account, &path, &[]);
    // Nothing changes: nothing to say about cost.
    let clean = slsr(&account, "plan", &path, &[]);
    assert!(!clean.stdout.contains("cost"), "{}", clean.stdout);

    // Memory alone: the alias stays, and the function's change doubles its cost.
    let memory = replan(&account, &path, spec(2048, 5, 10, 2, "us-east-1"), &[]);
    let more = concurrency_monthly(5.0, 2.0) - pc;
    has_all(
        &memory,
        &[
            &format!(
                "# cost: {}/month (alias.api: provisioned concurrency 5 × 2048 MB arm64, was provisioned concurrency 5 × 1024 MB arm64)",
                usd(more)
            ),
            &format!("Monthly cost change: {}", usd(more)),
        ],
    );
    assert!(memory.contains("Monthly cost change: +$43.80"), "{memory}");

    // Fewer provisioned environments, more read capacity, one more shard.
    let changed = replan(&account, &path, spec(1024, 3, 20, 3, "us-east-1"), &[]);
    let (less_pc, more_read, more_shards) = (
        concurrency_monthly(3.0, 1.0) - pc,
        table_monthly(20.0) - table,
        stream_monthly(3.0) - stream,
    );
    assert_eq!(usd(less_pc), "-$17.52");
    assert_eq!(usd(more_read), "+$1.90");
    assert_eq!(usd(more_shards), "+$10.95");
    has_all(
        &changed,
        &[
            "# cost: -$17.52/month (provisioned concurrency 3 × 1024 MB arm64, was provisioned concurrency 5 × 1024 MB arm64)",
            "# cost: +$1.90/month (provisioned capacity 20 RCU + 5 WCU, for the table and its index, was provisioned capacity 10 RCU + 5 WCU, for the table and its index)",
            "# cost: +$10.95/month (3 shards, provisioned, was 2 shards, provisioned)",
            &format!(
                "Monthly cost change: {}",
                usd(less_pc + more_read + more_shards)
            ),
        ],
    );
    assert!(changed.contains("Monthly cost change: -$4.67"), "{changed}");
    let doc = json_plan(&account, &path, &[]);
    let alias = change_cost(&doc, "alias.api");
    close(&alias["monthly_usd_before"], pc);
    close(&alias["monthly_usd_after"], concurrency_monthly(3.0, 1.0));
    close(
        &doc["cost"]["monthly_usd_change"],
        less_pc + more_read + more_shards,
    );
    // Saved and applied: the file's plan is the fresh one (costs are priced again, not kept).
    let saved = path.parent().unwrap().join("cost.plan");
    let out = slsr(&account, "plan", &path, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let applied_file = crate::support::run(
        account
            .slsr()
            .arg("apply")
            .arg(&saved)
            .args(["--auto-approve", "-f"])
            .arg(&path),
    );
    assert_eq!(
        applied_file.code, 0,
        "{}{}",
        applied_file.stdout, applied_file.stderr
    );
    assert!(
        applied_file.stdout.contains("Monthly cost change: -$4.67"),
        "{}",
        applied_file.stdout
    );
    crate::support::assert_clean(&account, &path);
}

#[test]
fn an_offline_plan_prices_its_creates_and_a_region_without_prices_is_unpriced() {
    let path = app("cost-offline", &spec(1024, 5, 10, 2, "us-east-1"));
    let out = crate::support::run(
        crate::support::slsr()
            .args(["plan", "--offline", "-f"])
            .arg(&path),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let total = concurrency_monthly(5.0, 1.0) + table_monthly(10.0) + stream_monthly(2.0);
    has_all(
        &out.stdout,
        &[
            "# cost: +$43.80/month (provisioned concurrency 5 × 1024 MB arm64)",
            &format!("Monthly cost change: {}", usd(total)),
        ],
    );

    // sa-east-1 is not in the table: nothing is priced there, and each change that has a
    // fixed cost says so.
    std::fs::write(&path, spec(1024, 5, 10, 2, "sa-east-1")).unwrap();
    let out = crate::support::run(
        crate::support::slsr()
            .args(["plan", "--offline", "-f"])
            .arg(&path),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        !out.stdout.contains("Monthly cost change"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("/month"), "{}", out.stdout);
    for address in ["alias.api", "table.orders", "stream.clicks"] {
        has_all(
            &out.stdout,
            &[&format!(
                "Not priced: {address} (slsr's price table has no prices for sa-east-1)"
            )],
        );
    }
    let json = crate::support::run(
        crate::support::slsr()
            .args(["plan", "--offline", "--format", "json", "-f"])
            .arg(&path),
    );
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let unpriced: Vec<&str> = doc["cost"]["unpriced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["address"].as_str().unwrap())
        .collect();
    assert_eq!(unpriced, ["table.orders", "stream.clicks", "alias.api"]);
    assert_eq!(doc["cost"]["monthly_usd_change"], json!(0.0));
    let md = crate::support::run(
        crate::support::slsr()
            .args(["plan", "--offline", "--format", "markdown", "-f"])
            .arg(&path),
    );
    has_all(
        &md.stdout,
        &["> **Not priced** `alias.api`: slsr\\'s price table has no prices for sa\\-east\\-1"],
    );
}

/// Sets the emulator's Lambda account settings for `account` (the patch in
/// scripts/moto_server.py) with the header it takes on a GetAccountSettings.
async fn set_account_settings(account: &Account, settings: Value) {
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let header = settings.to_string();
    let answer = lambda
        .get_account_settings()
        .customize()
        .mutate_request(move |req| {
            req.headers_mut()
                .insert("x-slsr-account-settings", header.clone());
        })
        .send()
        .await
        .expect("the emulator takes account settings");
    if let Some(limit) = settings["ConcurrentExecutions"].as_i64() {
        assert_eq!(
            i64::from(answer.account_limit().unwrap().concurrent_executions()),
            limit
        );
    }
}

fn reserving(a: u32, b: u32) -> String {
    format!(
        "service: quota
functions:
  a:
    handler: index.handler
    runtime: python3.12
    code: ./src
    reserved_concurrency: {a}
  b:
    handler: index.handler
    runtime: python3.12
    code: ./src
    reserved_concurrency: {b}
"
    )
}

#[tokio::test]
async fn reserved_concurrency_that_would_leave_99_unreserved_is_refused_naming_the_functions() {
    let account = Account::new().await;
    set_account_settings(&account, json!({"ConcurrentExecutions": 150})).await;
    let path = app("quota-concurrency", &reserving(30, 21));
    let refused = slsr(&account, "plan", &path, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    has_all(
        &refused.stderr,
        &[
            "the account's Lambda quotas would refuse this plan part-way, so slsr makes none",
            "would leave 99 unreserved concurrent executions in the account, and AWS keeps at least 100",
            "function.a (quota-dev-a) reserves 30",
            "function.b (quota-dev-b) reserves 21",
            "The account has 150 unreserved of 150 now",
        ],
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    let apply = slsr(&account, "apply", &path, &["--auto-approve"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("would leave 99 unreserved"),
        "{}",
        apply.stderr
    );
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    assert!(
        lambda
            .list_functions()
            .send()
            .await
            .unwrap()
            .functions()
            .is_empty(),
        "a refused apply made nothing"
    );

    // 100 left is what AWS allows.
    std::fs::write(&path, reserving(30, 20)).unwrap();
    applied_clean(&account, &path, &[]);
    // The emulator now counts 100 unreserved: a plan that moves 5 from b to a reserves
    // nothing more, and one that adds 1 is refused naming only a.
    std::fs::write(&path, reserving(35, 15)).unwrap();
    applied(&account, &path, &[]);
    std::fs::write(&path, reserving(36, 15)).unwrap();
    let refused = slsr(&account, "plan", &path, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    has_all(
        &refused.stderr,
        &[
            "would leave 99 unreserved",
            "function.a (quota-dev-a) reserves 36, was 35",
            "The account has 100 unreserved of 150 now",
        ],
    );
    assert!(!refused.stderr.contains("function.b"), "{}", refused.stderr);
}

const ONE: &str = "service: store
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

/// The size of the zip the offline plan says it uploads, checked against the file packaging
/// wrote.
fn zip_size(path: &std::path::Path) -> i64 {
    let zip = path.parent().unwrap().join(".slsr/build/api.zip");
    let out = crate::support::run(
        crate::support::slsr()
            .args(["plan", "--offline", "-f"])
            .arg(path),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    std::fs::metadata(&zip)
        .unwrap_or_else(|e| panic!("{}: {e}", zip.display()))
        .len() as i64
}

#[tokio::test]
async fn code_past_the_accounts_storage_is_refused_and_80_percent_warns() {
    let account = Account::new().await;
    let path = app("quota-storage", ONE);
    let size = zip_size(&path);
    assert!(size > 100 && size < 1024, "{size}");
    // 10 bytes short of room for the zip.
    set_account_settings(
        &account,
        json!({"TotalCodeSize": 100 * size, "UsedCodeSize": 99 * size + 10}),
    )
    .await;
    let refused = slsr(&account, "plan", &path, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    has_all(
        &refused.stderr,
        &[
            "the code this plan uploads would pass the account's Lambda code storage",
            &format!("(function.api (store-dev-api) {size} B)"),
        ],
    );
    // 70% after the upload: nothing to say; 80%: a warning, and the plan goes on.
    set_account_settings(&account, json!({"UsedCodeSize": 69 * size})).await;
    let fine = slsr(&account, "plan", &path, &["--detailed-exitcode"]);
    assert_eq!(fine.code, 2, "{}{}", fine.stdout, fine.stderr);
    assert!(!fine.stderr.contains("warning"), "{}", fine.stderr);
    set_account_settings(&account, json!({"UsedCodeSize": 79 * size})).await;
    let warned = slsr(&account, "plan", &path, &["--detailed-exitcode"]);
    assert_eq!(warned.code, 2, "{}{}", warned.stdout, warned.stderr);
    has_all(
        &warned.stderr,
        &[
            "warning: after this plan the account's Lambda code storage would be 80% full",
            &format!("to upload: function.api (store-dev-api) {size} B"),
        ],
    );
}

/// `plan --cost` prices a memory change from the function's last 30 days in CloudWatch
/// (metrics written here with plain PutMetricData calls, as Lambda writes them), at the
/// price table's request and duration rates; without `--cost` the same change has no cost
/// line, and `--cost` offline is refused naming the flag.
#[tokio::test]
async fn plan_cost_prices_a_memory_change_from_the_last_30_days_of_use() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    const REQUESTS_PER_MILLION: f64 = 0.20;
    const X86_GB_SECOND: f64 = 0.0000166667;
    let account = Account::new().await;
    let spec = |memory: u32| {
        format!(
            "service: usage\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    memory: {memory}\n"
        )
    };
    let path = app("cost-usage", &spec(512));
    applied(&account, &path, &[]);

    // Three days of use in the window, and one older than 30 days, which is left out.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&account.config().await);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (days_ago, invocations, duration_ms) in [
        (1, 1_000_000.0, 100_000_000.0),
        (5, 1_500_000.0, 200_000_000.0),
        (12, 500_000.0, 60_000_000.0),
        (40, 9_000_000.0, 9_000_000_000.0),
    ] {
        let at = aws_smithy_types::DateTime::from_secs(now - days_ago * 86_400);
        let datum = |metric: &str, value: f64, unit: StandardUnit| {
            MetricDatum::builder()
                .metric_name(metric)
                .dimensions(
                    Dimension::builder()
                        .name("FunctionName")
                        .value("usage-dev-api")
                        .build(),
                )
                .timestamp(at)
                .value(value)
                .unit(unit)
                .build()
        };
        cloudwatch
            .put_metric_data()
            .namespace("AWS/Lambda")
            .metric_data(datum("Invocations", invocations, StandardUnit::Count))
            .metric_data(datum("Duration", duration_ms, StandardUnit::Milliseconds))
            .send()
            .await
            .expect("PutMetricData");
    }
    // By hand: 3,000,000 invocations, 360,000,000 ms (120 ms each on average) = 360,000 s;
    // requests 3 × $0.20 = $0.60 on both sides; duration 360,000 s × 0.5 GB × $0.0000166667
    // = $3.000006 before, × 1 GB = $6.000012 after.
    let before = 3.0 * REQUESTS_PER_MILLION + 360_000.0 * 0.5 * X86_GB_SECOND;
    let after = 3.0 * REQUESTS_PER_MILLION + 360_000.0 * 1.0 * X86_GB_SECOND;
    std::fs::write(&path, spec(1024)).unwrap();

    let out = slsr(&account, "plan", &path, &["--cost"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    has_all(
        &out.stdout,
        &[
            &format!(
                "# cost: {}/month (requests and duration at the last 30 days' use (3000000 invocations averaging 120 ms, assumed unchanged), 1024 MB x86_64, was 512 MB x86_64)",
                usd(after - before)
            ),
            &format!("Monthly cost change: {}", usd(after - before)),
            "functions whose memory or architecture changes at their last 30 days' use",
        ],
    );
    assert_eq!(usd(after - before), "+$3.00");

    let doc = json_plan(&account, &path, &["--cost"]);
    let cost = change_cost(&doc, "function.api");
    close(&cost["monthly_usd_before"], before);
    close(&cost["monthly_usd_after"], after);
    assert_eq!(
        cost["used"],
        json!({"days": 30, "invocations": 3000000, "average_duration_ms": 120.0})
    );
    assert_eq!(doc["cost"]["priced_use"], true);

    // Without --cost a memory change moves no fixed cost: no line, no total.
    let plain = slsr(&account, "plan", &path, &[]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(
        plain.stdout.contains("memory: 512 -> 1024"),
        "{}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("# cost:"), "{}", plain.stdout);
    assert!(
        !plain.stdout.contains("Monthly cost change"),
        "{}",
        plain.stdout
    );

    let offline = slsr(&account, "plan", &path, &["--cost", "--offline"]);
    assert_eq!(offline.code, 2, "{}", offline.stderr);
    assert!(offline.stderr.contains("--cost"), "{}", offline.stderr);
}
