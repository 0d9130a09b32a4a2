//! AWS's list prices, per region, from the one table slsr carries (`prices.json`, with its
//! date, terms and sources), and the arithmetic that turns a configuration into dollars a
//! month: provisioned concurrency, provisioned table capacity, Kinesis streams, and a
//! function's requests and duration (for pricing from its measured use).
//!
//! A month is 730 hours, as AWS's pricing pages count it. Every function here is pure and
//! answers `None` for a region the table lacks: a missing price is never guessed.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Hours in a month, as AWS's pricing examples count them.
pub const HOURS_PER_MONTH: f64 = 730.0;
const SECONDS_PER_HOUR: f64 = 3600.0;
const MB_PER_GB: f64 = 1024.0;

/// The table as it is in the repository.
#[derive(Debug, Deserialize)]
pub struct Table {
    pub currency: String,
    /// When the prices were taken from AWS's pages.
    pub as_of: String,
    /// What the prices are (list prices, without the free tier, ...).
    pub terms: String,
    /// How some of the prices were taken, where a page does not give them directly.
    #[serde(default)]
    pub notes: Vec<String>,
    /// AWS's pages and Price List API offers the prices come from, by service.
    pub sources: BTreeMap<String, Vec<String>>,
    pub regions: BTreeMap<String, Region>,
}

#[derive(Debug, Deserialize)]
pub struct Region {
    pub lambda: Lambda,
    pub dynamodb: DynamoDb,
    pub kinesis: Kinesis,
}

/// Lambda's prices; the per-GB-second ones by architecture (`x86_64`, `arm64`).
#[derive(Debug, Deserialize)]
pub struct Lambda {
    pub requests_per_million: f64,
    pub duration_gb_second: BTreeMap<String, f64>,
    pub provisioned_concurrency_gb_second: BTreeMap<String, f64>,
}

/// DynamoDB's provisioned capacity, per unit-hour.
#[derive(Debug, Deserialize)]
pub struct DynamoDb {
    pub wcu_hour: f64,
    pub rcu_hour: f64,
}

/// Kinesis Data Streams: a provisioned stream's shard-hour, an on-demand stream's hour.
#[derive(Debug, Deserialize)]
pub struct Kinesis {
    pub shard_hour: f64,
    pub on_demand_stream_hour: f64,
}

/// The table slsr carries, parsed once.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(include_str!("prices.json"))
            .expect("src/engine/prices.json is a price table (a unit test parses it)")
    })
}

impl Table {
    pub fn region(&self, region: &str) -> Option<&Region> {
        self.regions.get(region)
    }

    /// Provisioned concurrency kept all month: concurrency × memory in GB × the month's
    /// seconds × the price per GB-second. Its duration and requests are billed by use, apart.
    pub fn provisioned_concurrency_monthly(
        &self,
        concurrency: u64,
        memory_mb: u64,
        arch: &str,
        region: &str,
    ) -> Option<f64> {
        let price = self
            .region(region)?
            .lambda
            .provisioned_concurrency_gb_second
            .get(arch)?;
        Some(concurrency as f64 * gb(memory_mb) * HOURS_PER_MONTH * SECONDS_PER_HOUR * price)
    }

    /// A provisioned table all month: each read and write capacity unit's hourly price,
    /// for the table and for each global secondary index, which takes the table's capacity.
    pub fn table_monthly(&self, read: u64, write: u64, indexes: u64, region: &str) -> Option<f64> {
        let p = &self.region(region)?.dynamodb;
        let hourly = read as f64 * p.rcu_hour + write as f64 * p.wcu_hour;
        Some(hourly * (1 + indexes) as f64 * HOURS_PER_MONTH)
    }

    /// A provisioned stream's shards all month (its PUT payload units are billed by use).
    pub fn provisioned_stream_monthly(&self, shards: u64, region: &str) -> Option<f64> {
        let p = &self.region(region)?.kinesis;
        Some(shards as f64 * p.shard_hour * HOURS_PER_MONTH)
    }

    /// An on-demand stream's hourly charge all month (its data in and out is billed by use).
    pub fn on_demand_stream_monthly(&self, region: &str) -> Option<f64> {
        let p = &self.region(region)?.kinesis;
        Some(p.on_demand_stream_hour * HOURS_PER_MONTH)
    }

    /// A function's requests and on-demand duration in a month of `invocations` that run
    /// `avg_duration_ms` each on average, at `memory_mb` on `arch`.
    pub fn monthly_compute_cost(
        &self,
        invocations: u64,
        avg_duration_ms: f64,
        memory_mb: u64,
        arch: &str,
        region: &str,
    ) -> Option<f64> {
        let lambda = &self.region(region)?.lambda;
        let price = lambda.duration_gb_second.get(arch)?;
        let requests = invocations as f64 / 1_000_000.0 * lambda.requests_per_million;
        let seconds = invocations as f64 * avg_duration_ms / 1000.0;
        Some(requests + seconds * gb(memory_mb) * price)
    }
}

fn gb(memory_mb: u64) -> f64 {
    memory_mb as f64 / MB_PER_GB
}

/// Dollars as the plan shows a change: two decimals, always signed (`+$12.34`, `-$3.00`).
pub fn signed_usd(amount: f64) -> String {
    let cents = cents(amount);
    if cents < 0.0 {
        format!("-${:.2}", -cents)
    } else {
        format!("+${cents:.2}")
    }
}

/// Dollars rounded to the cent, as every format carries them (JSON's numbers too).
pub fn cents(amount: f64) -> f64 {
    let rounded = (amount * 100.0).round() / 100.0;
    // -0.0 would print as "-$0.00".
    if rounded == 0.0 { 0.0 } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGIONS: [&str; 7] = [
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-1",
        "ap-northeast-1",
    ];

    #[test]
    fn the_table_parses_and_has_every_region_and_architecture() {
        let t = table();
        assert_eq!(t.currency, "USD");
        assert!(t.terms.contains("without the free tier"));
        for service in ["lambda", "dynamodb", "kinesis"] {
            assert!(
                t.sources[service]
                    .iter()
                    .any(|s| s.starts_with("https://pricing.us-east-1.amazonaws.com/offers/")),
                "{service} names its Price List API offer"
            );
        }
        for region in REGIONS {
            let r = t.region(region).unwrap_or_else(|| panic!("{region}"));
            for arch in ["x86_64", "arm64"] {
                assert!(r.lambda.duration_gb_second[arch] > 0.0);
                assert!(r.lambda.provisioned_concurrency_gb_second[arch] > 0.0);
            }
            assert!(r.dynamodb.rcu_hour > 0.0 && r.kinesis.shard_hour > 0.0);
        }
    }

    #[test]
    fn provisioned_concurrency_is_concurrency_times_gb_times_the_months_seconds() {
        let t = table();
        // 5 × 1 GB × 730 h × 3600 s × $0.0000041667 = $54.7504...
        let x86 = t
            .provisioned_concurrency_monthly(5, 1024, "x86_64", "us-east-1")
            .unwrap();
        assert!((x86 - 5.0 * 1.0 * 730.0 * 3600.0 * 0.0000041667).abs() < 1e-9);
        assert_eq!(signed_usd(x86), "+$54.75");
        // 2 × 0.5 GB × 730 × 3600 × $0.0000033334 = $8.76...
        let arm = t
            .provisioned_concurrency_monthly(2, 512, "arm64", "us-east-1")
            .unwrap();
        assert!((arm - 2.0 * 0.5 * 730.0 * 3600.0 * 0.0000033334).abs() < 1e-9);
        assert_eq!(signed_usd(arm), "+$8.76");
        // Ireland's own rate: 1 × 2 GB × 730 × 3600 × $0.0000046460 = $24.42
        let ireland = t
            .provisioned_concurrency_monthly(1, 2048, "x86_64", "eu-west-1")
            .unwrap();
        assert!((ireland - 2.0 * 730.0 * 3600.0 * 0.0000046460).abs() < 1e-9);
        assert_eq!(signed_usd(ireland), "+$24.42");
        assert_eq!(
            t.provisioned_concurrency_monthly(5, 1024, "x86_64", "mars-1"),
            None
        );
        assert_eq!(
            t.provisioned_concurrency_monthly(5, 1024, "sparc", "us-east-1"),
            None
        );
    }

    #[test]
    fn a_tables_capacity_counts_once_for_the_table_and_once_per_index() {
        let t = table();
        // (10 × $0.00013 + 5 × $0.00065) × 730 = (0.0013 + 0.00325) × 730 = $3.3215
        let alone = t.table_monthly(10, 5, 0, "us-east-1").unwrap();
        assert!((alone - (10.0 * 0.00013 + 5.0 * 0.00065) * 730.0).abs() < 1e-9);
        assert_eq!(signed_usd(alone), "+$3.32");
        let with_two = t.table_monthly(10, 5, 2, "us-east-1").unwrap();
        assert!((with_two - 3.0 * alone).abs() < 1e-9);
        // eu-west-1: (10 × $0.000147 + 5 × $0.000735) × 730 = $3.75
        let ireland = t.table_monthly(10, 5, 0, "eu-west-1").unwrap();
        assert!((ireland - (10.0 * 0.000147 + 5.0 * 0.000735) * 730.0).abs() < 1e-9);
    }

    #[test]
    fn streams_cost_their_shard_hours_or_the_on_demand_stream_hour() {
        let t = table();
        // 3 × $0.015 × 730 = $32.85; on demand $0.04 × 730 = $29.20
        assert_eq!(
            signed_usd(t.provisioned_stream_monthly(3, "us-east-1").unwrap()),
            "+$32.85"
        );
        assert_eq!(
            signed_usd(t.on_demand_stream_monthly("us-east-1").unwrap()),
            "+$29.20"
        );
        assert_eq!(t.on_demand_stream_monthly("nowhere-0"), None);
    }

    #[test]
    fn compute_is_requests_plus_gb_seconds_by_architecture() {
        let t = table();
        // AWS's own example: 3M requests of 1 s at 512 MB, without the free tier:
        // 3 × $0.20 + 3,000,000 s × 0.5 GB × $0.0000166667 = $0.60 + $25.00005
        let x86 = t
            .monthly_compute_cost(3_000_000, 1000.0, 512, "x86_64", "us-east-1")
            .unwrap();
        assert!((x86 - (0.6 + 3_000_000.0 * 0.5 * 0.0000166667)).abs() < 1e-9);
        assert_eq!(signed_usd(x86), "+$25.60");
        // 30M requests of 200 ms at 128 MB on arm64:
        // 30 × $0.20 + 6,000,000 s × 0.125 GB × $0.0000133334 = $6.00 + $10.00005
        let arm = t
            .monthly_compute_cost(30_000_000, 200.0, 128, "arm64", "us-east-1")
            .unwrap();
        assert!((arm - (6.0 + 6_000_000.0 * 0.125 * 0.0000133334)).abs() < 1e-9);
        assert_eq!(signed_usd(arm), "+$16.00");
        assert_eq!(t.monthly_compute_cost(1, 1.0, 128, "x86_64", "xx-1"), None);
    }

    #[test]
    fn money_is_signed_with_two_decimals() {
        assert_eq!(signed_usd(12.344), "+$12.34");
        assert_eq!(signed_usd(-3.0), "-$3.00");
        assert_eq!(signed_usd(-0.001), "+$0.00");
        assert_eq!(cents(54.750438), 54.75);
    }
}
