//! The `slsr` binary: parses flags, runs one command, and returns its exit code.
//! Everything it does is in the library; this file only wires and prints.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use slsr::cli::{Cli, Command, Format, SpecArgs};
use slsr::package::{CodeIdentity, Packager, human_size};
use slsr::{aws, diag, spec};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { spec } => validate(&spec),
        Command::Package {
            spec,
            out_dir,
            force,
        } => package(&spec, out_dir.as_deref(), force),
        Command::Plan {
            spec,
            offline,
            format,
            detailed_exitcode,
        } => plan(&spec, offline, format, detailed_exitcode),
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

fn load(args: &SpecArgs) -> Result<spec::Loaded, ExitCode> {
    let options = spec::Options {
        stage: args.stage.clone(),
        region: region_override(args.region.as_ref()),
        account_id: None,
    };
    spec::load_file(&args.file, &options, &env_var).map_err(|e| fail(&e.to_string()))
}

fn print_diagnostics(loaded: &spec::Loaded) {
    let report = diag::report(&loaded.diagnostics, &loaded.file);
    let _ = write!(anstream::stderr().lock(), "{report}");
}

fn validate(args: &SpecArgs) -> ExitCode {
    let loaded = match load(args) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    print_diagnostics(&loaded);
    if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Commands that act on a spec print its diagnostics only when there are some, and stop
/// on an error.
fn load_project(args: &SpecArgs) -> Result<spec::Project, ExitCode> {
    let loaded = load(args)?;
    if !loaded.diagnostics.is_empty() {
        print_diagnostics(&loaded);
    }
    loaded.project.ok_or(ExitCode::FAILURE)
}

fn package(args: &SpecArgs, out_dir: Option<&Path>, force: bool) -> ExitCode {
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut packager = Packager::new(&project, out_dir, force);
    let mut out = anstream::stdout().lock();
    let mut failed = false;
    for name in project.functions.keys() {
        match packager.code(&project, name) {
            Ok(CodeIdentity::Image(uri)) => {
                let _ = writeln!(out, "{name}: image {uri}");
            }
            Ok(CodeIdentity::Zip(p)) => {
                let how = match (p.prebuilt, p.reused) {
                    (true, _) => " (given)",
                    (_, true) => " (unchanged)",
                    _ => "",
                };
                let _ = writeln!(
                    out,
                    "{name}: {}{how}  {} zipped, {} unzipped  CodeSha256 {}",
                    p.path.display(),
                    human_size(p.zipped),
                    human_size(p.unzipped),
                    p.code_sha256
                );
                if p.large {
                    warn(&format!(
                        "function `{name}`: the zip is {}; packages over 10 MB slow cold starts (move dependencies to a layer, or exclude what the function does not use)",
                        human_size(p.zipped)
                    ));
                }
            }
            Err(e) => {
                failed = true;
                fail(&e.to_string());
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn plan(args: &SpecArgs, offline: bool, format: Format, detailed_exitcode: bool) -> ExitCode {
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if !offline {
        return fail(
            "reading the live account is not built yet (issue 4); run `slsr plan --offline` to plan against an empty account",
        );
    }
    let mut packager = Packager::new(&project, None, false);
    let mut code = std::collections::HashMap::new();
    for name in project.functions.keys() {
        match packager.code(&project, name) {
            Ok(identity) => {
                code.insert(name.clone(), identity);
            }
            Err(e) => return fail(&e.to_string()),
        }
    }
    let target = slsr::desired::Target {
        account_id: None,
        region: project.region.clone(),
    };
    let desired = slsr::desired::build(&project, &code, &target);
    let plan = slsr::plan::plan(&desired, &slsr::model::State::default());
    let header = slsr::render::Header {
        service: project.service.clone(),
        stage: project.stage.clone(),
        account: None,
        region: project.region.clone(),
    };
    let text = match format {
        Format::Text => slsr::render::text(&plan, &header),
        Format::Json => slsr::render::json(&plan, &header),
        Format::Markdown => slsr::render::markdown(&plan, &header),
    };
    let _ = write!(anstream::stdout().lock(), "{text}");
    if !plan.conflicts.is_empty() {
        ExitCode::FAILURE
    } else if detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn warn(message: &str) {
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    let _ = writeln!(
        anstream::stderr().lock(),
        "{style}warning{style:#}: {message}"
    );
}

fn fail(message: &str) -> ExitCode {
    let mut err = anstream::stderr().lock();
    let style = anstyle::AnsiColor::Red.on_default().bold();
    let _ = writeln!(err, "{style}error{style:#}: {message}");
    ExitCode::FAILURE
}
