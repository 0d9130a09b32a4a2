//! The `slsr` binary: parses flags, runs one command, and returns its exit code.
//! Everything it does is in the library; this file only wires and prints.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use slsr::cli::{Cli, Command, SpecArgs};
use slsr::{aws, diag, spec};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { spec } => validate(&spec),
        Command::Schema => {
            print!("{}", spec::schema::editor_text());
            ExitCode::SUCCESS
        }
        Command::Whoami { aws } => {
            let connection = aws::Connection {
                profile: aws.profile,
                region: aws.region,
                endpoint_url: aws.endpoint_url,
            };
            let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
            runtime.block_on(async {
                let config = aws::sdk_config(&connection, None).await;
                match aws::whoami(&config).await {
                    Ok(id) => {
                        println!(
                            "account: {}\nidentity: {}\nregion: {}",
                            id.account,
                            id.arn,
                            id.region.as_deref().unwrap_or("(none)")
                        );
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(&e.to_string()),
                }
            })
        }
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `--region`, else the region the AWS environment names.
fn region_override(flag: Option<&String>) -> Option<String> {
    flag.cloned()
        .or_else(|| env_var("AWS_REGION"))
        .or_else(|| env_var("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
}

fn validate(args: &SpecArgs) -> ExitCode {
    let options = spec::Options {
        stage: args.stage.clone(),
        region: region_override(args.region.as_ref()),
        account_id: None,
    };
    let loaded = match spec::load_file(&args.file, &options, &env_var) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e.to_string()),
    };
    let _ = write!(
        anstream::stderr().lock(),
        "{}",
        diag::report(&loaded.diagnostics, &loaded.file)
    );
    if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn fail(message: &str) -> ExitCode {
    let mut err = anstream::stderr().lock();
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(err, "{style}error{style:#}: {message}");
    ExitCode::FAILURE
}
