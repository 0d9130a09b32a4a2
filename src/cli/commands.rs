//! What each command does, between parsed flags and an exit code: loading the spec,
//! calling the library's parts in order, printing results and errors. `main.rs` only calls
//! `main`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{
    ApplyArgs, Cli, Command, ConnectionArgs, DestroyArgs, Format, LockArgs, PlanArgs, RunArgs,
    SpecArgs, ValidateFormat,
};
use crate::engine::make;
use crate::package::{CodeIdentity, Packager, human_size};
use crate::render::escape::printable;
use crate::spec::diag;
use crate::{aws, spec};

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    // Colour is settled before clap prints anything, its own help and errors included.
    let no_color = std::env::args_os().skip(1).any(|a| a == "--no-color");
    if no_color {
        anstream::ColorChoice::Never.write_global();
    }
    let mut command = Cli::command();
    if no_color {
        command = command.color(clap::ColorChoice::Never);
    }
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .map_err(|e| e.format(&mut command))
        .and_then(crate::cli::global::resolve);
    match parsed {
        Ok(parsed) => run(parsed),
        Err(e) => e.exit(),
    }
}

/// Runs one parsed command.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Validate { spec, format } => validate(&spec, format),
        Command::Build {
            functions,
            spec,
            build,
            force,
        } => crate::cli::build::run(&spec, &functions, build.build_dir.as_deref(), force),
        Command::Package { spec, build, force } => {
            package(&spec, build.build_dir.as_deref(), force)
        }
        Command::Plan(args) => plan(&args),
        Command::Apply(args) => apply(&args),
        Command::Destroy(args) => destroy(&args),
        Command::Release(args) => crate::cli::handover::release(&args),
        Command::Adopt(args) => crate::cli::handover::adopt(&args),
        Command::Unlock {
            id,
            spec,
            aws,
            lock_table,
        } => unlock(&id, &spec, &aws, lock_table),
        Command::Outputs {
            spec,
            aws,
            build,
            format,
        } => outputs(&spec, &aws, build.build_dir, format),
        Command::Logs(args) => crate::cli::logs::run(&args),
        Command::Invoke(args) => crate::cli::invoke::run(&args),
        Command::Init(args) => crate::cli::init::run(&args),
        Command::Policy(args) => crate::cli::policy::run(&args),
        Command::Schema => {
            print!("{}", spec::schema::editor_text());
            ExitCode::SUCCESS
        }
        Command::Whoami { file, region, aws } => whoami(file.as_deref(), region, &aws),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "slsr", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn whoami(file: Option<&Path>, region: Option<String>, aws: &ConnectionArgs) -> ExitCode {
    // With a spec, its region, as every command that takes the spec would use.
    let spec = SpecArgs {
        file: file.map(Path::to_path_buf),
        stage: None,
        region: region.clone(),
        params: Vec::new(),
    };
    let project = match file {
        Some(_) => match load_project(&spec) {
            Ok(p) => Some(p),
            Err(code) => return code,
        },
        None => None,
    };
    let connection = match &project {
        Some(project) => connection(&spec, aws, project),
        None => aws::Connection {
            profile: aws.profile.clone(),
            region,
            endpoint_url: aws.endpoint_url.clone(),
        },
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let spec_region = project.as_ref().and_then(|p| p.region.as_deref());
        let config = aws::sdk_config(&connection, spec_region).await;
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

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The region the AWS environment names, and the variable that names it.
fn env_region() -> Option<(&'static str, String)> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .into_iter()
        .find_map(|name| env_var(name).filter(|r| !r.is_empty()).map(|r| (name, r)))
}

/// How to reach AWS for a command: the connection flags and `--region`. The spec's region
/// comes next (`aws::sdk_config`), and says so when the environment names another.
pub(crate) fn connection(
    spec: &SpecArgs,
    aws: &ConnectionArgs,
    project: &spec::Project,
) -> aws::Connection {
    warn_region(spec, project);
    aws::Connection {
        profile: aws.profile.clone(),
        region: spec.region.clone(),
        endpoint_url: aws.endpoint_url.clone(),
    }
}

/// A spec's region wins over the environment's: said on stderr, since a shell's AWS_REGION
/// used to win and a user may still expect it to.
fn warn_region(spec: &SpecArgs, project: &spec::Project) {
    if spec.region.is_some() || project.spans.value("region").is_none() {
        return;
    }
    if let (Some(wanted), Some((variable, env))) = (&project.region, env_region())
        && *wanted != env
    {
        warn(&format!(
            "the spec's region {wanted} is used; {variable} says {env}"
        ));
    }
}

fn options(args: &SpecArgs) -> spec::Options {
    spec::Options {
        stage: args.stage.clone(),
        region: args.region.clone(),
        default_region: env_region().map(|(_, r)| r),
        params: args.params.clone(),
        ..Default::default()
    }
}

fn load(args: &SpecArgs, without_code: bool) -> Result<spec::Loaded, ExitCode> {
    let options = spec::Options {
        without_code,
        ..options(args)
    };
    spec::load_file(args.path(), &options, &env_var).map_err(|e| {
        let _ = write!(anstream::stderr().lock(), "{}", e.report());
        ExitCode::FAILURE
    })
}

fn print_diagnostics(loaded: &spec::Loaded) {
    let report = diag::report(&loaded.diagnostics, &loaded.file);
    let _ = write!(anstream::stderr().lock(), "{report}");
}

fn validate(args: &SpecArgs, format: ValidateFormat) -> ExitCode {
    let (text, failed) = match format {
        ValidateFormat::Text => {
            let loaded = match load(args, false) {
                Ok(loaded) => loaded,
                Err(code) => return code,
            };
            print_diagnostics(&loaded);
            return if loaded.has_errors() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
        ValidateFormat::Json => match spec::load_file(args.path(), &options(args), &env_var) {
            Ok(loaded) => (
                crate::cli::validate::document(args.path(), &loaded.diagnostics),
                loaded.has_errors(),
            ),
            Err(e) => (crate::cli::validate::file_error(&e), true),
        },
    };
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    if failed {
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
    if let Err(e) = packager.build(&project, &[]) {
        fail(&e.to_string());
        return ExitCode::FAILURE;
    }
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
    args: &SpecArgs,
    aws: &ConnectionArgs,
    build_dir: Option<std::path::PathBuf>,
    format: crate::cli::OutputsFormat,
) -> ExitCode {
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let connection = connection(args, aws, &project);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let options = make::Options {
        build_dir,
        ..Default::default()
    };
    // Outputs change nothing, so a plan that would lose data is no reason to refuse them.
    let planned = match runtime.block_on(make::live(
        &project,
        &connection,
        make::DataLoss::Allowed,
        &options,
    )) {
        Ok(p) => p,
        Err(e) => return plan_failed(&project, e),
    };
    // A script takes what this prints for real values: an output whose value is not in the
    // account yet (or a stage not deployed at all) is an error, never a placeholder. The
    // outputs that have their values still print.
    let failure = crate::engine::outputs::not_deployed(&planned);
    let outputs: BTreeMap<&String, String> = planned
        .outputs
        .iter()
        .filter(|(name, _)| {
            !planned.owned.is_empty() && !planned.outputs_missing.contains_key(*name)
        })
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
    drop(out);
    match failure {
        Some(message) => fail(&message),
        None => ExitCode::SUCCESS,
    }
}

/// What `--target` did to a plan, said with it: the rest of the spec was left out.
fn targeted(targets: &[String]) -> Option<String> {
    if targets.is_empty() {
        return None;
    }
    let named: Vec<String> = targets.iter().map(|t| printable(t).into_owned()).collect();
    Some(format!(
        "Targeted: this plan holds only {} and what {} needs; the rest of the spec is left as it is. Run without --target to bring it all in line.",
        named.join(", "),
        if targets.len() == 1 { "it" } else { "each" }
    ))
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
    let options = make::Options {
        build_dir: p.build.build_dir.clone(),
        targets: p.target.targets.clone(),
        preflight: true,
        price_use: p.cost,
    };
    let planned = if offline {
        warn_region(args, &project);
        make::offline(&project, &options)
    } else {
        let connection = connection(args, aws, &project);
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
        runtime.block_on(make::live(
            &project,
            &connection,
            data_loss(p.allow_data_loss),
            &options,
        ))
    };
    let planned = match planned {
        Ok(p) => p,
        Err(e) => return plan_failed(&project, e),
    };
    planned.warnings.iter().for_each(|w| warn(w));
    let mut text = match format {
        Format::Text => crate::render::text(&planned.plan, &planned.header),
        Format::Json => crate::render::json(&planned.plan, &planned.header),
        Format::Markdown => crate::render::markdown(&planned.plan, &planned.header),
    };
    // The note goes with the plan a person reads; JSON's stdout stays one document.
    if let Some(note) = targeted(&options.targets) {
        match format {
            Format::Text => text.push_str(&format!("\n{note}\n")),
            Format::Markdown => text.push_str(&format!("\n> **{note}**\n")),
            Format::Json => warn(&note),
        }
    }
    let _ = write!(anstream::stdout().lock(), "{text}");
    if let Some(path) = &p.out
        && planned.plan.conflicts.is_empty()
    {
        let saved = crate::engine::saved::PlanKey::load().and_then(|key| {
            let (service, stage) = (&planned.header.service, &planned.header.stage);
            let origin =
                crate::engine::saved::Origin::new(args.path(), path, service, stage, &key)?;
            saved_plan(&planned, args, &options.targets, &key, origin)
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

/// The saved form of a plan, with the `--target`s and `--param`s it was made with, so that
/// an apply given other ones is refused saying so.
/// `origin` says where its spec is (`None` for the fresh plan a file is compared with).
fn saved_plan(
    planned: &make::Planned,
    args: &SpecArgs,
    targets: &[String],
    key: &crate::engine::saved::PlanKey,
    origin: Option<crate::engine::saved::Origin>,
) -> Result<crate::engine::saved::SavedPlan, String> {
    let mut saved = crate::engine::saved::SavedPlan::new(planned, key, origin)?;
    saved.targets = targets.to_vec();
    saved.params = crate::engine::saved::params(&args.params, key);
    Ok(saved)
}

/// What apply and destroy run with, from their flags.
struct Deploy<'a> {
    destroy: bool,
    spec: &'a SpecArgs,
    aws: &'a ConnectionArgs,
    lock: &'a LockArgs,
    run: &'a RunArgs,
    auto_approve: bool,
    /// `--require-approval` (`never` for destroy, which has no such flag).
    require_approval: crate::cli::RequireApproval,
    dry_run: bool,
    allow_data_loss: bool,
    options: make::Options,
    /// A plan saved by `slsr plan --out`, to compare with.
    saved: Option<&'a Path>,
}

impl Deploy<'_> {
    /// The command, as its words use it.
    fn verb(&self) -> &'static str {
        if self.destroy { "destroy" } else { "apply" }
    }
}

fn apply(a: &ApplyArgs) -> ExitCode {
    // A saved plan's own spec and stage, unless the flags name others.
    let spec = match a.plan_file.as_deref().map(|plan| plan_spec(plan, &a.spec)) {
        Some(Ok(spec)) => spec,
        Some(Err(e)) => return fail(&e),
        None => a.spec.clone(),
    };
    deploy(&Deploy {
        destroy: false,
        spec: &spec,
        aws: &a.aws,
        lock: &a.lock,
        run: &a.run,
        auto_approve: a.auto_approve,
        require_approval: a.require_approval,
        dry_run: a.dry_run,
        allow_data_loss: a.allow_data_loss,
        options: make::Options {
            build_dir: a.build.build_dir.clone(),
            targets: a.target.targets.clone(),
            preflight: true,
            price_use: false,
        },
        saved: a.plan_file.as_deref(),
    })
}

fn destroy(a: &DestroyArgs) -> ExitCode {
    deploy(&Deploy {
        destroy: true,
        spec: &a.spec,
        aws: &a.aws,
        lock: &a.lock,
        run: &a.run,
        auto_approve: a.auto_approve,
        require_approval: crate::cli::RequireApproval::Never,
        dry_run: a.dry_run,
        allow_data_loss: a.allow_data_loss,
        options: make::Options::default(),
        saved: None,
    })
}

/// `apply`, or with `destroy` the deletion of everything owned, under the deploy lock.
fn deploy(d: &Deploy) -> ExitCode {
    // destroy packages no code: a checkout without its build can still tear a stage down.
    let loaded = if d.destroy {
        load_project_without_code(d.spec)
    } else {
        load_project(d.spec)
    };
    let project = match loaded {
        Ok(p) => p,
        Err(code) => return code,
    };
    let connection = connection(d.spec, d.aws, &project);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    // SIGINT and SIGTERM stop the apply between changes and release the lock.
    let interrupts = crate::cli::interrupt::Interrupts::install(&runtime);
    // The deploy lock covers the plan too: what is planned is what is applied.
    locked(&project, d.lock, &connection, &runtime, &interrupts, || {
        apply_unlocked(d, &project, &connection, &runtime, &interrupts)
    })
}

/// The spec and stage a saved plan is applied with: `-f` and `--stage` as given, else those
/// the plan records (signed with the plan key, and said on stderr). What the file names is
/// only read as a spec and planned; the plan made from it is what runs, if it is the file's.
fn plan_spec(plan: &Path, given: &SpecArgs) -> Result<SpecArgs, String> {
    if given.file.is_some() && given.stage.is_some() {
        return Ok(given.clone());
    }
    let key = crate::engine::saved::PlanKey::load()?;
    let mut spec = given.clone();
    match (&given.file, crate::engine::saved::recorded_spec(plan, &key)) {
        (None, Err(e)) => return Err(e),
        // With -f, what is wrong with the file is for the comparison to say.
        (Some(_), Err(_)) => {}
        (file, Ok(recorded)) => {
            if file.is_none() {
                let _ = writeln!(
                    anstream::stderr().lock(),
                    "Using the spec {} was made from: {} (stage {}; pass -f FILE for another spec).",
                    printable(&plan.display().to_string()),
                    printable(&recorded.spec.display().to_string()),
                    printable(spec.stage.as_deref().unwrap_or(&recorded.stage))
                );
                spec.file = Some(recorded.spec);
            }
            spec.stage = spec.stage.or(Some(recorded.stage));
        }
    }
    Ok(spec)
}

/// What a confirmation is about: the question, and the command's verb for the refusal
/// (`apply`: "not applying without confirmation ... --auto-approve to apply unattended").
pub(crate) struct Ask<'a> {
    pub question: &'a str,
    pub verb: &'a str,
    /// Said when the answer is not `yes`.
    pub declined: &'a str,
}

/// Asks for `yes`, as Terraform does. On a terminal it reads the answer; without one, a
/// line piped in (`echo yes | slsr apply`) is the answer, and with nothing to read (stdin
/// empty or closed, as in CI) it refuses, naming --auto-approve. Only `yes` goes on.
pub(crate) fn confirm(ask: &Ask) -> Result<(), ExitCode> {
    answer(
        ask,
        &format!(
            "not {}ing without confirmation: there is no terminal to ask on and no answer on stdin; pass --auto-approve to {} unattended (as in CI), or pipe in `yes`",
            ask.verb.trim_end_matches('e'),
            ask.verb
        ),
    )
}

/// [`confirm`], saying `unattended` when there is nothing to read an answer from.
pub(crate) fn answer(ask: &Ask, unattended: &str) -> Result<(), ExitCode> {
    use std::io::IsTerminal;
    let terminal = std::io::stdin().is_terminal();
    let mut out = anstream::stdout().lock();
    let _ = write!(out, "\n{} Only 'yes' is accepted: ", ask.question);
    let _ = out.flush();
    let mut answer = String::new();
    let read = std::io::stdin().read_line(&mut answer);
    if !terminal {
        // A piped answer is not echoed: end the prompt's line.
        let _ = writeln!(out, "{}", answer.trim_end());
    }
    match read {
        Ok(0) if !terminal => {
            drop(out);
            Err(fail(unattended))
        }
        Ok(_) if answer.trim() == "yes" => Ok(()),
        _ => {
            let _ = writeln!(out, "{}", ask.declined);
            Err(ExitCode::FAILURE)
        }
    }
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
    lock_table: Option<String>,
) -> ExitCode {
    let project = match load_project_without_code(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let flags = LockArgs {
        lock_table,
        lock_timeout: None,
        lock_lease: None,
    };
    let Some(lock) = lock_config(&project, &flags) else {
        return fail(
            "no deploy lock is configured: set `lock.table` in the spec or pass --lock-table",
        );
    };
    let connection = connection(args, connection_args, &project);
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
    d: &Deploy,
    project: &spec::Project,
    connection: &aws::Connection,
    runtime: &tokio::runtime::Runtime,
    interrupts: &crate::cli::interrupt::Interrupts,
) -> ExitCode {
    let planning = async {
        if d.destroy {
            make::destroy(project, connection, data_loss(d.allow_data_loss)).await
        } else {
            make::live(
                project,
                connection,
                data_loss(d.allow_data_loss),
                &d.options,
            )
            .await
        }
    };
    let planned = match runtime.block_on(planning) {
        Ok(p) => p,
        Err(e) => return plan_failed(project, e),
    };
    planned.warnings.iter().for_each(|w| warn(w));
    // A saved plan is applied only when the plan made now is exactly it; what runs is
    // always the plan made now, so an edited file can only be refused.
    let from_file = d.saved.is_some();
    if let Some(path) = d.saved {
        let checked = crate::engine::saved::read(path).and_then(|saved| {
            let key = crate::engine::saved::PlanKey::load()?;
            let fresh = saved_plan(&planned, d.spec, &d.options.targets, &key, None)?;
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
    if d.destroy && !planned.plan.has_changes() && planned.plan.conflicts.is_empty() {
        crate::cli::destroy::nothing(&mut out, &planned);
        return ExitCode::SUCCESS;
    }
    let _ = write!(
        out,
        "{}",
        crate::render::text(&planned.plan, &planned.header)
    );
    if let Some(note) = targeted(&d.options.targets) {
        let _ = writeln!(out, "\n{note}");
    }
    if !planned.plan.conflicts.is_empty() {
        drop(out);
        return fail(&format!(
            "{} resource(s) exist without slsr's ownership tags; nothing was {}",
            planned.plan.conflicts.len(),
            if d.destroy { "destroyed" } else { "applied" }
        ));
    }
    if !planned.plan.has_changes() {
        let _ = writeln!(out, "Nothing to apply.");
        print_outputs(&mut out, &planned.outputs, |v| v.to_string());
        return ExitCode::SUCCESS;
    }
    if d.destroy {
        let holding = runtime.block_on(crate::cli::destroy::holding_data(&planned));
        crate::cli::destroy::print_holding_data(&mut out, &holding);
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
            drop(out);
            return fail(&format!("the dry run stopped: {e}"));
        }
        return ExitCode::SUCCESS;
    }
    drop(out);
    {
        let question = if d.destroy {
            crate::cli::destroy::question(&planned)
        } else {
            "Apply these changes?".to_string()
        };
        let ask = Ask {
            question: &question,
            verb: d.verb(),
            declined: if d.destroy {
                "Nothing was destroyed."
            } else {
                "Nothing was changed."
            },
        };
        let preapproved = d.auto_approve || from_file;
        let approved =
            crate::cli::approval::approve(d.require_approval, &planned.plan, preapproved, &ask);
        if let Err(code) = approved {
            return code;
        }
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
            d.run.parallelism,
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
    if d.run.verbose {
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
        return crate::cli::interrupt::report_stopped(&report, &reason, d.verb());
    }
    if report.failed.is_empty() {
        if d.destroy {
            let _ = writeln!(
                out,
                "{}",
                crate::cli::destroy::complete(&planned, report.took.as_secs_f64())
            );
            return ExitCode::SUCCESS;
        }
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
        print_outputs(&mut out, &planned.outputs, |v| applier.resolve(v));
        return ExitCode::SUCCESS;
    }
    drop(out);
    for e in &report.failed {
        fail(&e.to_string());
    }
    let mut err = anstream::stderr().lock();
    let (title, verb) = if d.destroy {
        ("Destroy", "destroy")
    } else {
        ("Apply", "apply")
    };
    let _ = writeln!(
        err,
        "{title} failed after {:.1}s: {}",
        report.took.as_secs_f64(),
        report.tally()
    );
    let _ = writeln!(
        err,
        "Run `slsr plan` to see where the account stands, and `slsr {verb}` again to finish."
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
        e @ (crate::engine::make::PlanError::DataLoss(_)
        | crate::engine::make::PlanError::Quota(_)) => {
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
    // Line breaks stay, for the errors of several lines (a failed build's last lines).
    let lines: Vec<_> = message.split('\n').map(printable).collect();
    let _ = writeln!(err, "{style}error{style:#}: {}", lines.join("\n"));
    ExitCode::FAILURE
}
