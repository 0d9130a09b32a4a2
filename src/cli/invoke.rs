//! `slsr invoke FUNCTION [--data JSON | --data @FILE] [--async]`: one Invoke of the spec's
//! function as deployed, by its physical name and unqualified, as the function's events
//! invoke it (slsr routes no traffic through the `live` alias).
//!
//! Synchronously, the function's answer goes to stdout and the tail of its log (LogType
//! Tail) to stderr; a function error exits 1 naming its type (the payload's `errorType`,
//! as `sam local invoke` shows it) and Lambda's `X-Amz-Function-Error`. With `--async`, the
//! invocation is queued (InvocationType Event): the status and request id, no log.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use crate::aws;
use crate::aws::invoke::{Answer, Invoked};
use crate::cli::commands::{connection, fail, load_project_without_code};
use crate::cli::logs::{not_in_spec, safe};
use crate::cli::{ConnectionArgs, SpecArgs};
use crate::render::escape::{json_text, printable};

#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The spec's function to invoke.
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// The event: JSON text, or @FILE to read it from a file (default: `{}`).
    #[arg(short = 'd', long, value_name = "JSON|@FILE")]
    pub data: Option<String>,
    /// Queue the invocation (InvocationType Event) rather than wait for its answer; prints
    /// Lambda's status (202) and the request id.
    #[arg(long = "async")]
    pub queued: bool,
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub aws: ConnectionArgs,
}

pub fn run(args: &InvokeArgs) -> ExitCode {
    // The event is checked before anything else: a typo costs no spec load and no call.
    let payload = match payload(args.data.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let project = match load_project_without_code(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let name = &args.function;
    if !project.functions.contains_key(name) {
        return fail(&not_in_spec(&project, &[name]));
    }
    let physical = project.physical_name(name);
    let connection = connection(&args.spec, &args.aws, &project);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    runtime.block_on(async {
        let config = aws::sdk_config(&connection, project.region.as_deref()).await;
        if let Err(e) = aws::check_credentials(&config).await {
            return fail(&e.to_string());
        }
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        match aws::invoke::invoke(&config, &physical, payload, args.queued).await {
            Err(e) => fail(&e.to_string()),
            Ok(Invoked::NotDeployed) => fail(&format!(
                "function `{}` is not deployed: the account has no function {physical} in {region}; run `slsr apply` first",
                printable(name)
            )),
            Ok(Invoked::Answered(answer)) if args.queued => queued(name, &answer),
            Ok(Invoked::Answered(answer)) => answered(name, &answer),
        }
    })
}

/// The bytes to send: `--data`'s JSON, the file `@FILE` names, or `{}`; each checked to
/// be JSON, so that a typo is slsr's error rather than the function's.
fn payload(data: Option<&str>) -> Result<Vec<u8>, String> {
    let Some(data) = data else {
        return Ok(b"{}".to_vec());
    };
    let (bytes, what) = match data.strip_prefix('@') {
        Some("") => return Err("--data @: name the file after the @ (--data @event.json)".into()),
        Some(file) => {
            let bytes = std::fs::read(Path::new(file))
                .map_err(|e| format!("--data @{}: cannot read the file: {e}", printable(file)))?;
            (bytes, format!("--data @{}: the file is", printable(file)))
        }
        None => (data.as_bytes().to_vec(), "--data is".to_string()),
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => Err(format!("{what} not JSON: {e}")),
    }
}

/// A synchronous answer: the log's tail on stderr, the payload on stdout; exit 1 when the
/// function failed.
fn answered(name: &str, answer: &Answer) -> ExitCode {
    if let Some(tail) = &answer.log_tail {
        let mut err = anstream::stderr().lock();
        for line in tail.trim_end_matches(['\n', '\r']).split('\n') {
            let _ = writeln!(err, "{}", safe(line.trim_end_matches('\r')));
        }
    }
    let _ = writeln!(std::io::stdout().lock(), "{}", shown(&answer.payload));
    match &answer.function_error {
        None => ExitCode::SUCCESS,
        Some(kind) => {
            let error_type = serde_json::from_slice::<serde_json::Value>(&answer.payload)
                .ok()
                .and_then(|v| v.get("errorType")?.as_str().map(str::to_string));
            match error_type {
                Some(t) => fail(&format!(
                    "function `{}` failed with {} ({kind})",
                    printable(name),
                    printable(&t)
                )),
                None => fail(&format!("function `{}` failed ({kind})", printable(name))),
            }
        }
    }
}

/// A queued invocation: Lambda's status and the request id.
fn queued(name: &str, answer: &Answer) -> ExitCode {
    let _ = writeln!(
        std::io::stdout().lock(),
        "Queued `{}`: status {}, request id {}",
        printable(name),
        answer.status,
        printable(answer.request_id.as_deref().unwrap_or("(none)"))
    );
    ExitCode::SUCCESS
}

/// The payload as it came, without a trailing line break, and with nothing in it that
/// could drive the terminal: JSON with such characters in its strings escaped (the same
/// value), anything else line by line as log lines are.
fn shown(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(payload);
    let text = text.trim_end_matches(['\n', '\r']);
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        return json_text(text.to_string());
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| safe(l.trim_end_matches('\r')))
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_is_an_empty_object_and_json_text_goes_as_it_is() {
        assert_eq!(payload(None).unwrap(), b"{}");
        assert_eq!(payload(Some(r#"{"a": 1}"#)).unwrap(), br#"{"a": 1}"#);
        assert_eq!(payload(Some("[1,2]")).unwrap(), b"[1,2]");
    }

    #[test]
    fn data_that_is_not_json_is_refused_naming_the_flag() {
        let e = payload(Some("{a: 1}")).unwrap_err();
        assert!(
            e.starts_with("--data is not JSON: key must be a string"),
            "{e}"
        );
        let e = payload(Some("@")).unwrap_err();
        assert!(e.contains("name the file after the @"), "{e}");
    }

    #[test]
    fn a_payload_is_shown_as_it_came_with_unsafe_characters_escaped() {
        assert_eq!(shown(b"{\"ok\": true}\n"), "{\"ok\": true}");
        // DEL inside a JSON string, which serde_json leaves raw.
        assert_eq!(shown("\"a\u{7f}\"".as_bytes()), "\"a\\u007f\"");
        assert_eq!(shown(b"plain\x1b[2J\nnext"), "plain\\u{1b}[2J\nnext");
    }
}
