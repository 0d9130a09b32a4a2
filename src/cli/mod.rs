//! Command-line flags, parsed into plain values before any I/O happens.
//!
//! Each subcommand lists the flags it takes, and only those. The ones most commands share
//! (`-f`, `-s`, `-r`, `--profile`, `--endpoint-url`) are also taken before the subcommand,
//! as Terraform and Serverless users write them (`slsr -f x plan`); `global::resolve`
//! hands them to the subcommand.

pub mod approval;
pub mod build;
pub mod commands;
pub mod destroy;
pub mod global;
pub mod handover;
pub mod init;
pub mod interrupt;
pub mod invoke;
pub mod log_time;
pub mod logs;
pub mod policy;
pub mod progress;
pub mod validate;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "slsr", version, about = "Deploy AWS Lambda applications from one YAML spec", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags taken before the subcommand, for the subcommand that follows.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// The spec file (default slsr.yaml).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The stage (overrides the spec's `stage`; else `dev`).
    #[arg(short = 's', long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// The AWS region (overrides the spec's `region`, which overrides the environment's).
    #[arg(short = 'r', long, value_name = "REGION")]
    pub region: Option<String>,
    /// The AWS profile to use (else AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (a local emulator); also AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// No colour in any output (as NO_COLOR=1 does).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a spec and print every problem in it (exit 1 on an error).
    Validate {
        #[command(flatten)]
        spec: SpecArgs,
        /// `text` (for people, on stderr) or `json` (for tools, on stdout: each problem's
        /// file, line, column, code, severity and message).
        #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
        format: ValidateFormat,
    },
    /// Run the functions' builds (`build:`) whose inputs changed, or those named; plan,
    /// apply and package run them too.
    Build {
        /// Only these functions (default: every function with `build:`).
        #[arg(value_name = "FUNCTION")]
        functions: Vec<String>,
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        build: BuildArgs,
        /// Build again even when the inputs have not changed.
        #[arg(long)]
        force: bool,
    },
    /// Zip every function's code deterministically and print each zip's CodeSha256.
    Package {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        build: BuildArgs,
        /// Rebuild every zip, even those whose content has not changed.
        #[arg(long)]
        force: bool,
    },
    /// Show, attribute by attribute, what apply would change in the account.
    Plan(PlanArgs),
    /// Plan, show the plan, then make exactly the planned changes.
    Apply(ApplyArgs),
    /// Delete everything the service and stage own, and nothing else (tables and buckets
    /// are kept with their data unless --allow-data-loss).
    Destroy(DestroyArgs),
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
        /// The DynamoDB table of the deploy lock (else the spec's `lock.table`).
        #[arg(long, value_name = "TABLE")]
        lock_table: Option<String>,
    },
    /// Print the spec's outputs, with their values in the live account.
    Outputs {
        #[command(flatten)]
        spec: SpecArgs,
        #[command(flatten)]
        aws: ConnectionArgs,
        #[command(flatten)]
        build: BuildArgs,
        /// `text` (name = value lines) or `json` (an object).
        #[arg(long, value_enum, default_value_t = OutputsFormat::Text)]
        format: OutputsFormat,
    },
    /// Print the functions' log events, interleaved in time order, each line after its
    /// function's name; --follow keeps printing new ones.
    Logs(logs::LogsArgs),
    /// Invoke a deployed function: its answer on stdout, the tail of its log on stderr
    /// (exit 1 on a function error, naming its type).
    Invoke(invoke::InvokeArgs),
    /// Start a new service: a spec, its handler and the spec's JSON Schema, in DIR or here.
    Init(init::InitArgs),
    /// Print the IAM policy a CI principal needs to plan, apply and destroy this spec
    /// (offline: no AWS call).
    Policy(policy::PolicyArgs),
    /// Print the JSON Schema of the spec format (for editors).
    Schema,
    /// Show the AWS account, identity and region slsr would use.
    Whoami {
        /// A spec whose `region` to use, as the commands that take it do.
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
        /// The AWS region (else the spec's with -f, else AWS_REGION or the profile's).
        #[arg(short = 'r', long, value_name = "REGION")]
        region: Option<String>,
        #[command(flatten)]
        aws: ConnectionArgs,
    },
    /// Print a shell completion script: `slsr completions bash > /etc/bash_completion.d/slsr`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SpecArgs {
    /// The spec file (default slsr.yaml).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The stage (overrides the spec's `stage`; else `dev`).
    #[arg(short = 's', long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// The AWS region (overrides the spec's `region`, which overrides the environment's).
    #[arg(short = 'r', long, value_name = "REGION")]
    pub region: Option<String>,
    /// Set one of the spec's `params` for this run, over the stage's value (repeatable).
    /// VALUE is typed as a plain YAML scalar: `512` is a number.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

impl SpecArgs {
    /// The spec file: `-f`, else `slsr.yaml`.
    pub fn path(&self) -> &Path {
        self.file.as_deref().unwrap_or(Path::new("slsr.yaml"))
    }
}

/// `KEY=VALUE`, split at the first `=`.
fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// Where packaging writes its zips.
#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// Where the zips go (default: .slsr/build next to the spec); lets a read-only checkout
    /// be planned.
    #[arg(
        long = "build-dir",
        visible_alias = "out-dir",
        env = "SLSR_BUILD_DIR",
        value_name = "DIR"
    )]
    pub build_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValidateFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputsFormat {
    Text,
    Json,
}

/// `apply --require-approval`, as CDK's: when a person must say `yes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RequireApproval {
    /// Apply's own question only (asked unless --auto-approve or a saved plan).
    Never,
    /// Ask when the plan opens access, even with --auto-approve; otherwise go ahead.
    Widening,
    /// Ask before any change, even with --auto-approve or a saved plan.
    AnyChange,
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

/// How to reach AWS, besides the region (`SpecArgs`).
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
    #[command(flatten)]
    pub build: BuildArgs,
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
    /// Also price changes of a function's memory or architecture from its last 30 days of
    /// invocations and duration in CloudWatch (one GetMetricData).
    #[arg(long, conflicts_with = "offline")]
    pub cost: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `--target`, on plan and apply.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Plan only the resource at ADDRESS (as plans name it: function.api) and what it
    /// needs, leaving the rest as it is (repeatable).
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A plan saved by `slsr plan --out`: applied as it is, unless anything it was made
    /// from has moved since.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Apply without asking (needed when there is no terminal and no `yes` on stdin).
    #[arg(long)]
    pub auto_approve: bool,
    /// When apply asks for `yes` whatever --auto-approve or a saved plan say: `widening`
    /// only when the plan opens access (its "Access this change opens:" list), and goes
    /// ahead unasked otherwise; `any-change` before any change; `never` adds no question.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = RequireApproval::Never)]
    pub require_approval: RequireApproval,
    #[command(flatten)]
    pub run: RunArgs,
    /// Make no change: print, in order, the AWS calls apply would make.
    #[arg(long)]
    pub dry_run: bool,
    /// Let the plan delete or replace tables and buckets, which loses the data they hold
    /// (the plan marks each such change DATA LOSS). Without it such a plan is an error.
    #[arg(long)]
    pub allow_data_loss: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    /// Destroy without asking (needed when there is no terminal and no `yes` on stdin).
    #[arg(long)]
    pub auto_approve: bool,
    #[command(flatten)]
    pub run: RunArgs,
    /// Delete nothing: print, in order, the AWS calls destroy would make.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete the tables and buckets too, with every item and object in them (the plan
    /// marks each DATA LOSS). Without it destroy keeps them, with their data.
    #[arg(long)]
    pub allow_data_loss: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// How apply and destroy run their changes.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Changes in flight at once.
    #[arg(long, default_value_t = crate::apply::DEFAULT_PARALLELISM, value_name = "N")]
    pub parallelism: usize,
    /// Also print the AWS calls made, by operation and by change.
    #[arg(short, long)]
    pub verbose: bool,
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
    #[command(flatten)]
    pub build: BuildArgs,
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
    /// Seconds a lock lasts unless renewed, 3 to 3600 (else the spec's, else 120); the
    /// run holding it renews it every third of that.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub lock_lease: Option<u64>,
}
