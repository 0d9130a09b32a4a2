//! What each command does, between parsed flags and an exit code: loading the spec,
//! calling the library's parts in order, printing results and errors. `main.rs` only parses
//! the command line and calls `run`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command, ConnectionArgs, DeployArgs, Format, LockArgs, PlanArgs, SpecArgs};
use crate::package::{CodeIdentity, Packager, human_size};
use crate::render::escape::printable;
use crate::spec::diag;
use crate::{aws, spec};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Validate { spec } => validate(&spec),
        Command::Package {
            spec,
            out_dir,
            force,
        } => package(&spec, out_dir.as_deref(), force),
        Command::Plan(args) => plan(&args),
        Command::Apply(args) => apply(&args.deploy, false, args.plan_file.as_deref()),
        Command::Destroy(args) => apply(&args, true, None),
        Command::Release(args) => crate::cli::handover::release(&args),
        Command::Adopt(args) => crate::cli::handover::adopt(&args),
        Command::Unlock {
            id,
            spec,
            aws,
            lock,
        } => unlock(&id, &spec, &aws, &lock),
        Command::Outputs { spec, aws, format } => outputs(&spec, &aws, format),
        Command::Init(args) => crate::cli::init::run(&args),
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
                            printable(&id.account),
                            printable(&id.arn),
                            printable(id.region.as_deref().unwrap_or("(none)"))
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
/// How to reach AWS for a command: the connection flags, and the region from `--region`
/// or the environment.
pub(crate) fn connection(spec: &SpecArgs, aws: &crate::cli::ConnectionArgs) -> aws::Connection {
    aws::Connection {
        profile: aws.profile.clone(),
        region: region_override(spec.region.as_ref()),
        endpoint_url: aws.endpoint_url.clone(),
    }
}

fn region_override(flag: Option<&String>) -> Option<String> {
    flag.cloned()
        .or_else(|| env_var("AWS_REGION"))
        .or_else(|| env_var("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
}

fn load(args: &SpecArgs, without_code: bool) -> Result<spec::Loaded, ExitCode> {
    let options = spec::Options {
        stage: args.stage.clone(),
        region: region_override(args.region.as_ref()),
        account_id: None,
        without_code,
    };
    spec::load_file(&args.file, &options, &env_var).map_err(|e| {
        let _ = write!(anstream::stderr().lock(), "{}", e.report());
        ExitCode::FAILURE
    })
}

fn print_diagnostics(loaded: &spec::Loaded) {
    let report = diag::report(&loaded.diagnostics, &loaded.file);
    let _ = write!(anstream::stderr().lock(), "{report}");
}

fn validate(args: &SpecArgs) -> ExitCode {
    let loaded = match load(args, false) {
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
pub(crate) fn load_project(args: &SpecArgs) -> Result<spec::Project, ExitCode> {
    load_project_with(args, false)
}

/// `load_project` for the commands that never package code (destroy, unlock):
/// a checkout without its build can still run them.
pub(crate) fn load_project_without_code(args: &SpecArgs) -> Result<spec::Project, ExitCode> {
    load_project_with(args, true)
}

fn load_project_with(args: &SpecArgs, without_code: bool) -> Result<spec::Project, ExitCode> {
    let loaded = load(args, without_code)?;
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
                let _ = writeln!(out, "{name}: image {}", printable(&uri));
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
                    printable(&p.path.display().to_string()),
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

/// `slsr outputs`: the outputs' values from a live read (no change made).
fn outputs(
    args: &crate::cli::SpecArgs,
    aws: &crate::cli::ConnectionArgs,
    format: crate::cli::OutputsFormat,
) -> ExitCode {
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let connection = connection(args, aws);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    // Outputs change nothing, so a plan that would lose data is no reason to refuse them.
    let planned = match runtime.block_on(crate::engine::make::live(
        &project,
        &connection,
        crate::engine::make::DataLoss::Allowed,
    )) {
        Ok(p) => p,
        Err(e) => return plan_failed(&project, e),
    };
    let outputs: BTreeMap<&String, String> = planned
        .outputs
        .iter()
        .map(|(name, value)| (name, crate::engine::sensitive::redact(value)))
        .collect();
    let mut out = anstream::stdout().lock();
    match format {
        crate::cli::OutputsFormat::Json => {
            let json = crate::render::escape::json_text(
                serde_json::to_string_pretty(&outputs).expect("strings serialize"),
            );
            let _ = writeln!(out, "{json}");
        }
        crate::cli::OutputsFormat::Text => {
            for (name, value) in &outputs {
                let _ = writeln!(out, "{} = {}", printable(name), printable(value));
            }
        }
    }
    ExitCode::SUCCESS
}

fn plan(p: &PlanArgs) -> ExitCode {
    let (args, offline, format, detailed_exitcode, aws, verbose) = (
        &p.spec,
        p.offline,
        p.format,
        p.detailed_exitcode,
        &p.aws,
        p.verbose,
    );
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let planned = if offline {
        crate::engine::make::offline(&project)
    } else {
        let connection = connection(args, aws);
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
        runtime.block_on(crate::engine::make::live(
            &project,
            &connection,
            data_loss(p.allow_data_loss),
        ))
    };
    let planned = match planned {
        Ok(p) => p,
        Err(e) => return plan_failed(&project, e),
    };
    let text = match format {
        Format::Text => crate::render::text(&planned.plan, &planned.header),
        Format::Json => crate::render::json(&planned.plan, &planned.header),
        Format::Markdown => crate::render::markdown(&planned.plan, &planned.header),
    };
    let _ = write!(anstream::stdout().lock(), "{text}");
    if let Some(path) = &p.out
        && planned.plan.conflicts.is_empty()
    {
        let saved = crate::engine::saved::PlanKey::load().and_then(|key| {
            let spec =
                std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
            crate::engine::saved::SavedPlan::new(&planned, &spec, &key)
        });
        let written = saved.and_then(|saved| {
            crate::engine::saved::write(path, &saved)
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        if let Err(e) = written {
            return fail(&e);
        }
        let _ = writeln!(
            anstream::stderr().lock(),
            "Saved the plan to {}; apply it with `slsr apply {}`.",
            printable(&path.display().to_string()),
            printable(&path.display().to_string())
        );
    }
    if verbose {
        let mut err = anstream::stderr().lock();
        let total: usize = planned.calls.values().sum();
        let _ = writeln!(err, "AWS calls: {total}");
        for (operation, n) in &planned.calls {
            let _ = writeln!(err, "  {operation}: {n}");
        }
    }
    if !planned.plan.conflicts.is_empty() {
        fail(&format!(
            "{} resource(s) exist without slsr's ownership tags; see the plan",
            planned.plan.conflicts.len()
        ))
    } else if detailed_exitcode && planned.plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// `apply`, or with `destroy` the deletion of everything owned; with `saved`, the plan
/// saved in that file.
fn apply(d: &DeployArgs, destroy: bool, saved: Option<&Path>) -> ExitCode {
    let loaded = if destroy {
        load_project_without_code(&d.spec)
    } else {
        load_project(&d.spec)
    };
    let project = match loaded {
        Ok(p) => p,
        Err(code) => return code,
    };
    let connection = connection(&d.spec, &d.aws);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    // SIGINT and SIGTERM stop the apply between changes and release the lock.
    let interrupts = crate::cli::interrupt::Interrupts::install(&runtime);
    // The deploy lock covers the plan too: what is planned is what is applied.
    locked(
        &project,
        &d.lock,
        &connection,
        &runtime,
        &interrupts,
        || {
            apply_unlocked(
                d,
                destroy,
                saved,
                &project,
                &connection,
                &runtime,
                &interrupts,
            )
        },
    )
}

/// Asks on the terminal; only `yes` goes on. Without a terminal (CI) it refuses, naming
/// --auto-approve.
pub(crate) fn confirm(question: &str, verb: &str) -> Result<(), ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(fail(&format!(
            "not going on without confirmation: there is no terminal to ask on; pass --auto-approve to {verb} unattended (as in CI)"
        )));
    }
    let mut out = anstream::stdout().lock();
    let _ = write!(out, "\n{question} Only 'yes' goes on: ");
    let _ = out.flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
        let _ = writeln!(out, "Nothing was changed.");
        return Err(ExitCode::FAILURE);
    }
    Ok(())
}

/// Runs `body` holding the deploy lock when one is configured (renewed while it runs,
/// released after, and on SIGINT or SIGTERM), else runs it as it is.
pub(crate) fn locked(
    project: &spec::Project,
    flags: &LockArgs,
    connection: &aws::Connection,
    runtime: &tokio::runtime::Runtime,
    interrupts: &crate::cli::interrupt::Interrupts,
    body: impl FnOnce() -> ExitCode,
) -> ExitCode {
    let Some(config) = lock_config(project, flags) else {
        return body();
    };
    let db = runtime.block_on(aws::lock::client(connection, project.region.as_deref()));
    let lock = aws::lock::Lock::new(db, config.clone(), &project.service, &project.stage);
    interrupts.guard(lock.clone());
    let acquired = match runtime.block_on(lock.acquire(|holder| {
        eprintln!(
            "Waiting up to {}s for the deploy lock of {} stage {}, held by {holder}.",
            config.timeout.as_secs(),
            project.service,
            project.stage
        )
    })) {
        Ok(acquired) => acquired,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(expired) = &acquired.took_over {
        warn(&format!(
            "took over the deploy lock of {} stage {}, which had expired: it was held by {expired}",
            project.service, project.stage
        ));
    }
    let renewal = runtime.spawn(lock.clone().keep_renewed(acquired.sent, {
        let interrupts = interrupts.clone();
        move |why| interrupts.stop(crate::cli::interrupt::Reason::LockLost(why))
    }));
    let code = body();
    renewal.abort();
    if let Err(e) = runtime.block_on(lock.release()) {
        warn(&format!(
            "could not release the deploy lock {}: {e}; release it with `slsr unlock {}`",
            lock.id(),
            lock.id()
        ));
    }
    code
}

/// The lock to take: the flags', else the spec's.
fn lock_config(project: &spec::Project, flags: &LockArgs) -> Option<aws::lock::LockConfig> {
    let table = flags
        .lock_table
        .clone()
        .or_else(|| project.lock.as_ref().map(|l| l.table.clone()))?;
    let seconds = flags
        .lock_timeout
        .or_else(|| project.lock.as_ref().and_then(|l| l.timeout).map(u64::from))
        .unwrap_or(60);
    let lease = flags
        .lock_lease
        .or_else(|| project.lock.as_ref().and_then(|l| l.lease).map(u64::from))
        .map_or(aws::lock::DEFAULT_LEASE, std::time::Duration::from_secs);
    Some(aws::lock::LockConfig {
        table,
        timeout: std::time::Duration::from_secs(seconds),
        lease,
    })
}

fn unlock(
    id: &str,
    args: &SpecArgs,
    connection_args: &ConnectionArgs,
    flags: &LockArgs,
) -> ExitCode {
    let project = match load_project_without_code(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(lock) = lock_config(&project, flags) else {
        return fail(
            "no deploy lock is configured: set `lock.table` in the spec or pass --lock-table",
        );
    };
    let connection = connection(args, connection_args);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let released = runtime.block_on(async {
        let db = aws::lock::client(&connection, project.region.as_deref()).await;
        aws::lock::unlock(
            &db,
            &lock,
            &aws::lock::lock_key(&project.service, &project.stage),
            id,
        )
        .await
    });
    match released {
        Ok(true) => {
            println!(
                "Released the deploy lock {} of {} stage {}.",
                printable(id),
                project.service,
                project.stage
            );
            ExitCode::SUCCESS
        }
        Ok(false) => fail(&format!(
            "{} stage {} holds no lock with id {id}",
            project.service, project.stage
        )),
        Err(e) => fail(&e.to_string()),
    }
}

fn apply_unlocked(
    d: &DeployArgs,
    destroy: bool,
    saved: Option<&Path>,
    project: &spec::Project,
    connection: &aws::Connection,
    runtime: &tokio::runtime::Runtime,
    interrupts: &crate::cli::interrupt::Interrupts,
) -> ExitCode {
    let (args, auto_approve, parallelism, verbose) =
        (&d.spec, d.auto_approve, d.parallelism, d.verbose);
    let planning = async {
        if destroy {
            crate::engine::make::destroy(project, connection, data_loss(d.allow_data_loss)).await
        } else {
            crate::engine::make::live(project, connection, data_loss(d.allow_data_loss)).await
        }
    };
    let planned = match runtime.block_on(planning) {
        Ok(p) => p,
        Err(e) => return plan_failed(project, e),
    };
    // A saved plan is applied only when the plan made now is exactly it; what runs is
    // always the plan made now, so an edited file can only be refused.
    let from_file = saved.is_some();
    if let Some(path) = saved {
        let checked = crate::engine::saved::read(path).and_then(|saved| {
            let key = crate::engine::saved::PlanKey::load()?;
            let spec =
                std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
            let fresh = crate::engine::saved::SavedPlan::new(&planned, &spec, &key)?;
            Ok(crate::engine::saved::differences(&saved, &fresh))
        });
        match checked {
            Err(e) => return fail(&e),
            Ok(reasons) if !reasons.is_empty() => {
                return fail(&format!(
                    "not applying {}: it is not the plan slsr makes now ({}); run `slsr plan` again and review it",
                    path.display(),
                    reasons.join("; ")
                ));
            }
            Ok(_) => {}
        }
    }
    let mut out = anstream::stdout().lock();
    let _ = write!(
        out,
        "{}",
        crate::render::text(&planned.plan, &planned.header)
    );
    if !planned.plan.conflicts.is_empty() {
        return fail(&format!(
            "{} resource(s) exist without slsr's ownership tags; nothing was applied",
            planned.plan.conflicts.len()
        ));
    }
    if !planned.plan.has_changes() {
        let _ = writeln!(out, "Nothing to apply.");
        if !destroy {
            print_outputs(&mut out, &planned.outputs, |v| v.to_string());
        }
        return ExitCode::SUCCESS;
    }
    if d.dry_run {
        let config = planned
            .config
            .clone()
            .expect("a live plan has a connection");
        let applier = std::sync::Arc::new(crate::apply::Applier::dry_run(
            &config,
            planned.code.clone(),
            planned.api_id.clone(),
            planned.owned.clone(),
        ));
        let quiet: crate::apply::Progress = std::sync::Arc::new(|_| {});
        let report = runtime.block_on(applier.clone().apply(&planned.plan, quiet));
        let _ = write!(
            out,
            "\n{}",
            crate::apply::dry_run::render(&planned.plan, &applier.recorder)
        );
        if let Some(e) = report.failed.first() {
            return fail(&format!("the dry run stopped: {e}"));
        }
        return ExitCode::SUCCESS;
    }
    drop(out);
    if !auto_approve
        && !from_file
        && let Err(code) = confirm("Apply these changes?", "apply")
    {
        return code;
    }
    let config = planned
        .config
        .clone()
        .expect("a live plan has a connection");
    let applier = std::sync::Arc::new(
        crate::apply::Applier::new(
            &config,
            planned.code.clone(),
            planned.api_id.clone(),
            planned.owned.clone(),
            parallelism,
        )
        .stop_when(interrupts.flag()),
    );
    let progress = {
        use std::io::IsTerminal;
        crate::cli::progress::reporter(std::io::stdout().is_terminal())
    };
    interrupts.applying();
    let report = runtime.block_on(applier.clone().apply(&planned.plan, progress));
    let mut out = anstream::stdout().lock();
    if verbose {
        let writes = applier.recorder.write_counts();
        let _ = writeln!(out, "AWS write calls: {}", writes.values().sum::<usize>());
        for (operation, n) in &writes {
            let _ = writeln!(out, "  {operation}: {n}");
        }
        let _ = writeln!(out, "Write calls by change:");
        for (address, _, calls) in
            crate::apply::dry_run::calls_by_change(&planned.plan, &applier.recorder)
        {
            let _ = writeln!(out, "  {}: {}", printable(&address), calls.join(", "));
        }
    }
    if let Some(reason) = interrupts.reason() {
        drop(out);
        return crate::cli::interrupt::report_stopped(&report, &reason);
    }
    if report.failed.is_empty() {
        let s = planned.plan.summary();
        let _ = writeln!(
            out,
            "Apply complete: {} added, {} changed, {} replaced, {} destroyed in {:.1}s",
            s.add,
            s.change,
            s.replace,
            s.destroy,
            report.took.as_secs_f64()
        );
        if !destroy {
            print_outputs(&mut out, &planned.outputs, |v| applier.resolve(v));
        }
        return ExitCode::SUCCESS;
    }
    drop(out);
    for e in &report.failed {
        fail(&e.to_string());
    }
    let mut err = anstream::stderr().lock();
    let _ = writeln!(
        err,
        "Apply failed after {:.1}s: {}",
        report.took.as_secs_f64(),
        report.tally()
    );
    let _ = writeln!(
        err,
        "Run `slsr plan` to see where the account stands, and `slsr apply` again to finish."
    );
    ExitCode::FAILURE
}

/// The outputs after an apply, one `name = value` line each, values as `fill` makes them.
fn print_outputs(
    out: &mut impl Write,
    outputs: &BTreeMap<String, String>,
    fill: impl Fn(&str) -> String,
) {
    if outputs.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nOutputs:");
    for (name, value) in outputs {
        let _ = writeln!(
            out,
            "  {} = {}",
            printable(name),
            printable(&crate::engine::sensitive::redact(&fill(value)))
        );
    }
}

/// `--allow-data-loss` as the planner takes it.
fn data_loss(allowed: bool) -> crate::engine::make::DataLoss {
    if allowed {
        crate::engine::make::DataLoss::Allowed
    } else {
        crate::engine::make::DataLoss::Refused
    }
}

/// A plan that could not be made: the spec's problems the account showed, at their lines,
/// or the one error that stopped it.
pub(crate) fn plan_failed(project: &spec::Project, e: crate::engine::make::PlanError) -> ExitCode {
    match e {
        crate::engine::make::PlanError::Spec(diagnostics) => {
            let report = diag::report(&diagnostics, &project.file);
            let _ = write!(anstream::stderr().lock(), "{report}");
            ExitCode::FAILURE
        }
        // One line per resource: the message's lines are printed one by one, each escaped.
        e @ crate::engine::make::PlanError::DataLoss(_) => {
            let message = e.to_string();
            let mut lines = message.lines();
            let code = fail(lines.next().unwrap_or_default());
            let mut err = anstream::stderr().lock();
            for line in lines {
                let _ = writeln!(err, "{}", printable(line));
            }
            code
        }
        other => fail(&other.to_string()),
    }
}

pub(crate) fn warn(message: &str) {
    let style = anstyle::AnsiColor::Yellow.on_default().bold();
    let _ = writeln!(
        anstream::stderr().lock(),
        "{style}warning{style:#}: {}",
        printable(message)
    );
}

pub(crate) fn fail(message: &str) -> ExitCode {
    let mut err = anstream::stderr().lock();
    let style = anstyle::AnsiColor::Red.on_default().bold();
    // Errors quote file names, spec values and AWS's messages: never raw control characters.
    let _ = writeln!(err, "{style}error{style:#}: {}", printable(message));
    ExitCode::FAILURE
}
