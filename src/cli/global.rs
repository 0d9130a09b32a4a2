//! The flags taken before the subcommand (`slsr -f x -s prod plan`), handed to the
//! subcommand that follows, as Terraform and Serverless users expect. Each subcommand
//! declares only the flags it takes, so its `--help` lists only those; a flag given before
//! a subcommand that does not take it is an error, not silently dropped.

use clap::CommandFactory;

use super::{Cli, Command, ConnectionArgs, GlobalArgs, SpecArgs};

/// The subcommand with the flags given before it filled in. A flag given both before and
/// after the subcommand takes the value after it, the nearer one.
pub fn resolve(cli: Cli) -> Result<Command, clap::Error> {
    let Cli {
        mut global,
        mut command,
    } = cli;
    let name = name(&command);
    match &mut command {
        Command::Validate { spec, .. }
        | Command::Package { spec, .. }
        | Command::Build { spec, .. } => {
            take_spec(spec, &mut global);
        }
        Command::Plan(a) => take_all(&mut a.spec, &mut a.aws, &mut global),
        Command::Apply(a) => take_all(&mut a.spec, &mut a.aws, &mut global),
        Command::Destroy(a) => take_all(&mut a.spec, &mut a.aws, &mut global),
        Command::Release(a) | Command::Adopt(a) => {
            take_all(&mut a.spec, &mut a.aws, &mut global);
        }
        Command::Unlock { spec, aws, .. } | Command::Outputs { spec, aws, .. } => {
            take_all(spec, aws, &mut global);
        }
        Command::Logs(a) => take_all(&mut a.spec, &mut a.aws, &mut global),
        Command::Invoke(a) => take_all(&mut a.spec, &mut a.aws, &mut global),
        Command::Whoami { file, region, aws } => {
            take(file, &mut global.file);
            take(region, &mut global.region);
            take_connection(aws, &mut global);
        }
        Command::Policy(a) => take_spec(&mut a.spec, &mut global),
        Command::Schema | Command::Completions { .. } | Command::Init(_) => {}
    }
    let left: Vec<&str> = [
        (global.file.is_some(), "--file"),
        (global.stage.is_some(), "--stage"),
        (global.region.is_some(), "--region"),
        (global.profile.is_some(), "--profile"),
        (global.endpoint_url.is_some(), "--endpoint-url"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect();
    if left.is_empty() {
        return Ok(command);
    }
    Err(Cli::command().error(
        clap::error::ErrorKind::ArgumentConflict,
        format!(
            "{} {} not apply to `slsr {name}`",
            left.join(", "),
            if left.len() == 1 { "does" } else { "do" }
        ),
    ))
}

fn take<T>(slot: &mut Option<T>, before: &mut Option<T>) {
    let before = before.take();
    if slot.is_none() {
        *slot = before;
    }
}

fn take_spec(spec: &mut SpecArgs, global: &mut GlobalArgs) {
    take(&mut spec.file, &mut global.file);
    take(&mut spec.stage, &mut global.stage);
    take(&mut spec.region, &mut global.region);
}

fn take_connection(aws: &mut ConnectionArgs, global: &mut GlobalArgs) {
    take(&mut aws.profile, &mut global.profile);
    take(&mut aws.endpoint_url, &mut global.endpoint_url);
}

fn take_all(spec: &mut SpecArgs, aws: &mut ConnectionArgs, global: &mut GlobalArgs) {
    take_spec(spec, global);
    take_connection(aws, global);
}

/// The subcommand's name, as typed.
fn name(command: &Command) -> &'static str {
    match command {
        Command::Validate { .. } => "validate",
        Command::Package { .. } => "package",
        Command::Build { .. } => "build",
        Command::Plan(_) => "plan",
        Command::Apply(_) => "apply",
        Command::Destroy(_) => "destroy",
        Command::Release(_) => "release",
        Command::Adopt(_) => "adopt",
        Command::Unlock { .. } => "unlock",
        Command::Outputs { .. } => "outputs",
        Command::Logs(_) => "logs",
        Command::Invoke(_) => "invoke",
        Command::Init(_) => "init",
        Command::Policy(_) => "policy",
        Command::Schema => "schema",
        Command::Whoami { .. } => "whoami",
        Command::Completions { .. } => "completions",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn spec_of(args: &[&str]) -> SpecArgs {
        match resolve(Cli::try_parse_from(args).unwrap()).unwrap() {
            Command::Plan(p) => p.spec,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_before_the_subcommand_reach_it_and_the_nearer_one_wins() {
        let before = spec_of(&["slsr", "-f", "a.yaml", "-s", "prod", "plan"]);
        assert_eq!(before.path(), std::path::Path::new("a.yaml"));
        assert_eq!(before.stage.as_deref(), Some("prod"));
        let both = spec_of(&["slsr", "-f", "a.yaml", "plan", "-f", "b.yaml"]);
        assert_eq!(both.path(), std::path::Path::new("b.yaml"));
        assert_eq!(
            spec_of(&["slsr", "plan"]).path(),
            std::path::Path::new("slsr.yaml")
        );
    }

    #[test]
    fn a_flag_the_subcommand_does_not_take_is_an_error() {
        let cli = Cli::try_parse_from(["slsr", "--profile", "p", "validate"]).unwrap();
        let e = resolve(cli).unwrap_err().to_string();
        assert!(
            e.contains("--profile does not apply to `slsr validate`"),
            "{e}"
        );
    }
}
