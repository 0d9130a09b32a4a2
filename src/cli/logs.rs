//! `slsr logs [FUNCTION...]`: the functions' log events from their log groups
//! (`/aws/lambda/{service}-{stage}-{function}`, the group slsr makes for each), read with
//! FilterLogEvents and interleaved in time order, each line after its function's name;
//! `--follow` polls for new ones until interrupted.
//!
//! A log line is the user's own output and is printed as it is, but for what could drive
//! the terminal: control characters are escaped as the renderers escape them (tabs, which
//! Lambda's runtimes put in their lines, stay). An event of several lines prints each after
//! the prefix.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use clap::Args;

use crate::aws;
use crate::aws::logs::Event;
use crate::cli::commands::{connection, fail, load_project_without_code, warn};
use crate::cli::log_time::{Since, parse_since, utc};
use crate::cli::{ConnectionArgs, SpecArgs};
use crate::render::escape::{printable, push_printable};

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// Only these functions (default: all of the spec's).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
    /// From when: a duration back from now (30s, 10m, 2h, 1d, 1h30m) or an RFC 3339 time
    /// (2026-01-02T15:04:05Z).
    #[arg(long, value_name = "WHEN", default_value = "10m", value_parser = parse_since)]
    pub since: Since,
    /// Keep printing new events as they come, until interrupted (Ctrl-C).
    #[arg(long, visible_alias = "tail")]
    pub follow: bool,
    /// Only events matching this CloudWatch Logs filter pattern (`ERROR`, `"timed out"`,
    /// `{ $.level = "error" }`), passed to FilterLogEvents as it is.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
}

/// The functions' names, each in its own colour, in turn.
const PALETTE: [AnsiColor; 6] = [
    AnsiColor::Cyan,
    AnsiColor::Magenta,
    AnsiColor::Green,
    AnsiColor::Yellow,
    AnsiColor::Blue,
    AnsiColor::Red,
];

/// How far back from its start each `--follow` read goes again: an event can reach
/// CloudWatch seconds after later ones of another log stream, and clocks differ. Events
/// read twice are told apart by their ids.
const LATE: i64 = 30_000;

/// The least time between two `--follow` reads, and the most reads a second: CloudWatch
/// Logs allows an account 5 FilterLogEvents a second in a region, shared with whatever else
/// reads it.
const POLL: Duration = Duration::from_secs(1);
const READS_PER_SECOND: u32 = 4;

/// One function's log group, and what `--follow` has printed of it.
struct Source {
    function: String,
    group: String,
    style: Style,
    /// The ids of the events printed whose time a read can still return, with that time.
    seen: HashMap<String, i64>,
    /// Where the next read starts.
    from: i64,
    /// Whether its group's absence was said.
    said_missing: bool,
}

pub fn run(args: &LogsArgs) -> ExitCode {
    let project = match load_project_without_code(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let functions = match selected(&project, &args.functions) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let connection = connection(&args.spec, &args.aws, &project);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let config = aws::sdk_config(&connection, project.region.as_deref()).await;
        if let Err(e) = aws::check_credentials(&config).await {
            return fail(&e.to_string());
        }
        let client = aws::logs::client(&config);
        let start = args.since.start(now());
        let mut sources: Vec<Source> = functions
            .iter()
            .enumerate()
            .map(|(i, name)| Source {
                function: name.clone(),
                group: format!("/aws/lambda/{}", project.physical_name(name)),
                style: PALETTE[i % PALETTE.len()].on_default().bold(),
                seen: HashMap::new(),
                from: start,
                said_missing: false,
            })
            .collect();
        let width = functions
            .iter()
            .map(|f| f.chars().count())
            .max()
            .unwrap_or(0);
        let filter = args.filter.as_deref();
        if !args.follow {
            return match read(&client, &mut sources, filter, width).await {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            };
        }
        follow(&client, &mut sources, filter, width).await
    })
}

/// The spec's functions that `named` names (all when none is), in the spec's order; a name
/// that is none of them is an error naming it and the ones there are.
fn selected(project: &crate::spec::Project, named: &[String]) -> Result<Vec<String>, String> {
    let unknown: Vec<&str> = named
        .iter()
        .filter(|n| !project.functions.contains_key(*n))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(not_in_spec(project, &unknown));
    }
    Ok(project
        .functions
        .keys()
        .filter(|f| named.is_empty() || named.contains(f))
        .cloned()
        .collect())
}

/// "no function `x` in the spec; its functions are: a, b".
pub(crate) fn not_in_spec(project: &crate::spec::Project, unknown: &[&str]) -> String {
    let quoted: Vec<String> = unknown
        .iter()
        .map(|n| format!("`{}`", printable(n)))
        .collect();
    let there: Vec<&str> = project.functions.keys().map(String::as_str).collect();
    let noun = if unknown.len() == 1 {
        "function"
    } else {
        "functions"
    };
    if there.is_empty() {
        return format!(
            "no {noun} {} in the spec: it has no functions",
            quoted.join(", ")
        );
    }
    format!(
        "no {noun} {} in the spec; its functions are: {}",
        quoted.join(", "),
        there.join(", ")
    )
}

/// `--follow`: reads again and again, each time from a little before the last read began
/// (`LATE`), printing only what was not printed, until SIGINT or SIGTERM, which end it
/// quietly with the shell's code for them (130, 143).
async fn follow(
    client: &aws::logs::Client,
    sources: &mut [Source],
    filter: Option<&str>,
    width: usize,
) -> ExitCode {
    let mut signals = match crate::cli::interrupt::Signals::catch() {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot catch SIGINT and SIGTERM: {e}")),
    };
    let pause = POLL.max(Duration::from_millis(
        1000 * sources.len() as u64 / u64::from(READS_PER_SECOND),
    ));
    loop {
        let began = now();
        let reading = async {
            let printed = read(client, sources, filter, width).await?;
            for s in sources.iter_mut() {
                s.from = s.from.max(began - LATE);
                let from = s.from;
                s.seen.retain(|_, at| *at >= from);
            }
            tokio::time::sleep(pause).await;
            Ok::<bool, String>(printed)
        };
        tokio::select! {
            read = reading => match read {
                Ok(true) => {}
                // stdout is gone (`slsr logs --follow | head`): nobody is reading.
                Ok(false) => return ExitCode::SUCCESS,
                Err(e) => return fail(&e),
            },
            caught = signals.next() => return ExitCode::from(caught.code),
        }
    }
}

/// Reads every source from where it stands, prints the events not printed before in time
/// order, and remembers them. `false` when stdout can no longer be written.
async fn read(
    client: &aws::logs::Client,
    sources: &mut [Source],
    filter: Option<&str>,
    width: usize,
) -> Result<bool, String> {
    let mut reads = tokio::task::JoinSet::new();
    for (i, s) in sources.iter().enumerate() {
        let (client, group) = (client.clone(), s.group.clone());
        let (from, filter) = (s.from, filter.map(str::to_string));
        reads.spawn(async move {
            let events = aws::logs::events(&client, &group, from, filter.as_deref()).await;
            (i, events)
        });
    }
    let mut answers = Vec::with_capacity(sources.len());
    while let Some(joined) = reads.join_next().await {
        let (i, events) = joined.map_err(|e| e.to_string())?;
        answers.push((i, events.map_err(|e| e.to_string())?));
    }
    answers.sort_by_key(|(i, _)| *i);
    let mut new: Vec<(i64, usize, usize, Event)> = Vec::new();
    for (i, events) in answers {
        let s = &mut sources[i];
        let Some(events) = events else {
            if !s.said_missing {
                s.said_missing = true;
                warn(&format!(
                    "function `{}` has no log group {} yet: it has not run, or is not deployed",
                    s.function, s.group
                ));
            }
            continue;
        };
        for (n, e) in events.into_iter().enumerate() {
            if s.seen.insert(e.id.clone(), e.timestamp).is_none() {
                new.push((e.timestamp, i, n, e));
            }
        }
    }
    new.sort_by_key(|(at, i, n, _)| (*at, *i, *n));
    let mut out = anstream::stdout().lock();
    for (_, i, _, e) in &new {
        let s = &sources[*i];
        if write_event(&mut out, s, width, e).is_err() {
            return Ok(false);
        }
    }
    Ok(out.flush().is_ok())
}

/// One event: each of its lines after the function's name (padded to `width`) and its time.
fn write_event(out: &mut impl Write, s: &Source, width: usize, e: &Event) -> std::io::Result<()> {
    let time = utc(e.timestamp);
    let style = s.style;
    let name = printable(&s.function);
    let pad = width.saturating_sub(name.chars().count());
    for line in e.message.trim_end_matches(['\n', '\r']).split('\n') {
        writeln!(
            out,
            "{style}{name}{style:#}{:pad$} | {time} {}",
            "",
            safe(line.trim_end_matches('\r'))
        )?;
    }
    Ok(())
}

/// A log line with every character that could drive the terminal escaped, tabs kept.
pub(crate) fn safe(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c == '\t' {
            out.push(c);
        } else {
            push_printable(&mut out, c);
        }
    }
    out
}

/// Now, in milliseconds since the epoch.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(function: &str) -> Source {
        Source {
            function: function.into(),
            group: format!("/aws/lambda/shop-dev-{function}"),
            style: Style::new(),
            seen: HashMap::new(),
            from: 0,
            said_missing: false,
        }
    }

    fn lines(function: &str, width: usize, message: &str) -> String {
        let mut out = Vec::new();
        let event = Event {
            id: "1".into(),
            timestamp: 1_735_689_601_250,
            message: message.into(),
        };
        write_event(&mut out, &source(function), width, &event).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_line_of_an_event_follows_the_padded_name_and_its_time() {
        assert_eq!(
            lines("api", 6, "START RequestId: 1\n"),
            "api    | 2025-01-01T00:00:01.250Z START RequestId: 1\n"
        );
        assert_eq!(
            lines("worker", 6, "Traceback:\r\n  line 1\n"),
            "worker | 2025-01-01T00:00:01.250Z Traceback:\nworker | 2025-01-01T00:00:01.250Z   line 1\n"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_tabs_kept() {
        assert_eq!(
            lines("api", 3, "[INFO]\tok \u{1b}[2J\u{7}\u{202e}x\n"),
            "api | 2025-01-01T00:00:01.250Z [INFO]\tok \\u{1b}[2J\\u{7}\\u{202e}x\n"
        );
    }
}
