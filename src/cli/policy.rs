//! `slsr policy`: prints the IAM policy document (JSON) a CI principal needs to plan, apply
//! and destroy the spec, made offline from the spec alone (`engine::policy`): no
//! credentials, no AWS call. The account in its ARNs is `--account`, else `*`.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::cli::SpecArgs;
use crate::engine::policy;

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The AWS account id (12 digits) to name in the policy's ARNs; without it they say
    /// `*` for the account.
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub account: Option<String>,
    /// The DynamoDB table of the deploy lock, if CI passes `--lock-table` (else the spec's
    /// `lock.table`, if any).
    #[arg(long, value_name = "TABLE")]
    pub lock_table: Option<String>,
    /// Also allow what `slsr logs` and `slsr invoke` need (reading the functions' logs,
    /// invoking them), which deploying does not.
    #[arg(long)]
    pub operate: bool,
}

fn parse_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` is not an AWS account id (12 digits)"))
    }
}

pub fn run(args: &PolicyArgs) -> ExitCode {
    let project = match crate::cli::commands::load_project_without_code(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let document = policy::document(
        &project,
        &policy::Options {
            account: args.account.clone(),
            lock_table: args.lock_table.clone(),
            operate: args.operate,
        },
    );
    let text = serde_json::to_string_pretty(&document).expect("a JSON value serializes");
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    let size = policy::size(&document);
    if size > policy::MANAGED_POLICY_LIMIT {
        crate::cli::commands::warn(&format!(
            "the policy is {size} characters without whitespace, over the {} a managed policy may hold: attach it as a role's inline policy (up to 10,240), or split its statements between two managed policies",
            policy::MANAGED_POLICY_LIMIT
        ));
    }
    ExitCode::SUCCESS
}
