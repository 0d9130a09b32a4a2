//! Command-line flags, parsed into plain values before any I/O happens.

pub mod commands;
pub mod handover;
pub mod init;
pub mod interrupt;
pub mod progress;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "slsr", version, about = "Deploy AWS Lambda applications from one YAML spec", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec and print every problem in it (exit 1 on an error).
    Validate {
        #[command(flatten)]
        spec: SpecArgs,
    },
    /// Zip every function's code deterministically and print each zip's CodeSha256.
    Package {
        #[command(flatten)]
        spec: SpecArgs,
        /// Where the zips go (default: .slsr/build next to the spec).
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Rebuild every zip, even those whose content has not changed.
        #[arg(long)]
        force: bool,
    },
    /// Show, attribute by attribute, what apply would change in the account.
    Plan(PlanArgs),
    /// Plan, show the plan, then make exactly the planned changes.
    Apply(ApplyArgs),
    /// Delete everything the service and stage own, and nothing else.
    Destroy(DeployArgs),
    /// Hand a table or bucket over: remove slsr's tags, so that slsr never changes or
    /// deletes it again. It keeps its data; remove it from the spec too.
    Release(HandoverArgs),
    /// Take a table or bucket of the spec's name that slsr did not make (by hand, by
    /// CloudFormation) into slsr, with its data: shows what the next apply would change in
    /// it, then adds slsr's tags.
    Adopt(HandoverArgs),
    /// Release a deploy lock left by a run that is gone, by the id its holder reported.
    Unlock {
        /// The lock's id, as a waiting run prints it.
        id: String,
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        aws: ConnectionArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the spec's outputs, with their values in the live account.
    Outputs {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        aws: ConnectionArgs,
        /// `text` (name = value lines) or `json` (an object).
        #[arg(long, value_enum, default_value_t = OutputsFormat::Text)]
        format: OutputsFormat,
    },
    /// Start a new service: a spec, its handler and the spec's JSON Schema, in DIR or here.
    Init(init::InitArgs),
    /// Print the JSON Schema of the spec format (for editors).
    Schema,
    /// Show the AWS account, identity and region slsr would use.
    Whoami {
        #[command(flatten)]
        aws: AwsArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SpecArgs {
    /// The spec file.
    #[arg(
        short = 'f',
        long = "file",
        default_value = "slsr.yaml",
        value_name = "FILE"
    )]
    pub file: PathBuf,
    /// The stage to deploy (overrides the spec's `stage`).
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// The AWS region (overrides the environment and the spec's `region`).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// The AWS profile to use (else AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The AWS region (else AWS_REGION, the profile's, or the spec's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator); also AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputsFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: Terraform-like, colour on a terminal.
    Text,
    /// For machines: the versioned format of docs/plan-format.md.
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// How to reach AWS, for commands that also take a spec (whose `--region` is in SpecArgs).
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// The AWS profile to use (else AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator); also AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    /// Plan against an empty account without calling AWS (no credentials needed).
    #[arg(long)]
    pub offline: bool,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 0 when there is nothing to change, 2 when there is, 1 on an error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also print how many AWS calls of each operation the plan made.
    #[arg(short, long)]
    pub verbose: bool,
    /// Save the plan to FILE for `slsr apply FILE` (mode 0600: it holds values in clear).
    #[arg(long, value_name = "FILE", conflicts_with = "offline")]
    pub out: Option<PathBuf>,
    /// Let the plan delete or replace tables and buckets, which loses the data they hold
    /// (the plan marks each such change DATA LOSS). Without it such a plan is an error.
    #[arg(long)]
    pub allow_data_loss: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A plan saved by `slsr plan --out`: applied as it is, unless anything it was made
    /// from has moved since.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub deploy: DeployArgs,
}

/// What apply and destroy share.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    /// Go ahead without asking (required when there is no terminal to ask on, as in CI).
    #[arg(long)]
    pub auto_approve: bool,
    /// Changes in flight at once.
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM, value_name = "N")]
    pub parallelism: usize,
    /// Also print the AWS calls made, by operation.
    #[arg(short, long)]
    pub verbose: bool,
    /// Make no change: print, in order, the AWS calls apply would make.
    #[arg(long)]
    pub dry_run: bool,
    /// Let the plan (or destroy) delete or replace tables and buckets, which loses the data they hold
    /// (the plan marks each such change DATA LOSS). Without it such a plan is an error.
    #[arg(long)]
    pub allow_data_loss: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// What `release` and `adopt` take.
#[derive(Debug, Clone, Args)]
pub struct HandoverArgs {
    /// The resource's address, as plans name it: table.NAME or bucket.NAME.
    #[arg(value_name = "ADDRESS")]
    pub address: String,
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    /// Go ahead without asking (adopt asks on a terminal; required in CI).
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// The deploy lock, over the spec's `lock`.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// The DynamoDB table of the deploy lock (else the spec's `lock.table`).
    #[arg(long, value_name = "TABLE")]
    pub lock_table: Option<String>,
    /// Seconds to wait for a lock another run holds (else the spec's, else 60).
    #[arg(long, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// Seconds a lock lasts unless renewed, 3 to 3600 (else the spec's, else 120); a
    /// running apply renews it every third of that.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub lock_lease: Option<u64>,
}
