//! Diagnostics: what validation found wrong with a spec, and how it is printed.
//!
//! Broken input is data, not an error path: every check pushes a `Diagnostic` and goes on,
//! so that one run reports every problem. Codes are stable (documented in
//! docs/diagnostics.md); messages may be reworded. Files that cannot be read as a spec at
//! all are not diagnostics but a one-line `FileError` (spec/load.rs).

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::render::escape::{printable, push_printable};
use crate::spec::source::{SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// Stable diagnostic codes. The number never changes meaning once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A key appears twice in one mapping.
    DuplicateKey,
    /// A field the spec format does not define.
    UnknownField,
    /// A value of the wrong type (a string where a number is expected...).
    WrongType,
    /// A number outside its allowed range.
    OutOfRange,
    /// A required field is missing.
    MissingField,
    /// A value that is not one of those allowed, or does not match the expected form.
    InvalidValue,
    /// A list that is too long or too short.
    ListLength,
    /// A `${...}` reference that does not resolve.
    UnknownReference,
    /// A function's `code`/`image`/`handler`/`runtime` combination is not allowed.
    CodeOrImage,
    /// A reference to a queue, role or other resource that the spec does not declare.
    Undeclared,
    /// Two events claim the same HTTP route.
    DuplicateRoute,
    /// An HTTP route key that API Gateway would reject.
    InvalidRoute,
    /// A physical name longer than AWS allows, or with characters AWS rejects.
    InvalidName,
    /// An environment variable name that Lambda rejects.
    InvalidEnvName,
    /// Environment variables over Lambda's 4 KB total.
    EnvTooLarge,
    /// A runtime that Lambda no longer accepts, or does not know.
    Runtime,
    /// A rate() or cron() expression that EventBridge would reject.
    InvalidSchedule,
    /// Fields that cannot be used together.
    Conflict,
    /// A function's `code` that resolves outside the project.
    CodeOutside,
    /// A function's `code` that does not exist, or is neither a directory nor a zip.
    MissingCode,
    /// A handler whose file (or a `bootstrap`) is not in the function's package.
    HandlerFile,
    /// A `build:` that cannot run: its builder's file missing from `code`, a runtime it does
    /// not build for, an `output` outside the code directory.
    BuildSetup,
    /// An SQS visibility timeout shorter than six times its consumer's timeout.
    ShortVisibilityTimeout,
    /// An HTTP function whose timeout exceeds API Gateway's 30 s.
    HttpTimeout,
    /// An IAM statement that grants every action or every resource.
    BroadPermission,
    /// A runtime Lambda has deprecated but still deploys.
    DeprecatedRuntime,
    /// A SecureString parameter used where slsr cannot keep it secret (outside `env`).
    SecretOutsideEnv,
    /// A function role in another account than the one deployed to.
    CrossAccountRole,
    /// An `${ssm:...}` reference that names no parameter (or version) in the account.
    MissingParameter,
    /// An IAM statement that allows a privilege-escalation action on a broad resource.
    PrivilegeEscalation,
}

impl Code {
    /// The printed code, e.g. `E102`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DuplicateKey => "E101",
            Code::UnknownField => "E102",
            Code::WrongType => "E103",
            Code::OutOfRange => "E104",
            Code::MissingField => "E105",
            Code::InvalidValue => "E106",
            Code::ListLength => "E107",
            Code::UnknownReference => "E110",
            Code::CodeOrImage => "E200",
            Code::Undeclared => "E201",
            Code::DuplicateRoute => "E202",
            Code::InvalidRoute => "E203",
            Code::InvalidName => "E204",
            Code::InvalidEnvName => "E205",
            Code::EnvTooLarge => "E206",
            Code::Runtime => "E207",
            Code::InvalidSchedule => "E208",
            Code::Conflict => "E209",
            Code::CodeOutside => "E210",
            Code::MissingCode => "E211",
            Code::HandlerFile => "E212",
            Code::BuildSetup => "E213",
            Code::ShortVisibilityTimeout => "W300",
            Code::HttpTimeout => "W301",
            Code::BroadPermission => "W302",
            Code::DeprecatedRuntime => "W303",
            Code::SecretOutsideEnv => "E400",
            Code::CrossAccountRole => "E401",
            Code::MissingParameter => "E402",
            Code::PrivilegeEscalation => "W304",
        }
    }
}

/// One problem found in a spec, pointing at the place that caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// A short text shown under the marked part of the line.
    pub label: Option<String>,
    /// What is expected instead.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by position so output reads top to bottom, and drops exact repeats.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.span, a.severity, a.code, &a.message).cmp(&(b.span, b.severity, b.code, &b.message))
    });
    diags.dedup();
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const BOLD: Style = Style::new().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const HELP: Style = AnsiColor::Cyan.on_default().bold();

/// Renders one diagnostic in the rustc style, with ANSI styles that the caller strips
/// (anstream) when the output is not a colour terminal:
///
/// ```text
/// error[E104]: memory must be between 128 and 10240, got 64
///   --> slsr.yaml:12:13
///    |
/// 12 |     memory: 64
///    |             ^^ out of range
///    = help: memory is in MB, 128 to 10240
/// ```
pub fn render(diag: &Diagnostic, file: &SourceFile) -> String {
    let (word, style) = match diag.severity {
        Severity::Error => ("error", ERROR),
        Severity::Warning => ("warning", WARNING),
    };
    let head = format!("{style}{word}[{}]{style:#}", diag.code.as_str());
    let place = Place {
        span: diag.span,
        label: diag.label.as_deref(),
        help: diag.help.as_deref(),
    };
    render_parts(&head, style, &diag.message, &place, file)
}

/// Where a message points, and what it says under and after the line.
pub struct Place<'a> {
    pub span: Span,
    pub label: Option<&'a str>,
    pub help: Option<&'a str>,
}

/// Renders an error that has a place but no code (a file slsr cannot read as a spec: a
/// YAML syntax error, a tab in the indentation): `error: MESSAGE`, then the place and the
/// line with its caret, as every diagnostic shows them.
pub fn render_uncoded(message: &str, place: &Place, file: &SourceFile) -> String {
    render_parts(
        &format!("{ERROR}error{ERROR:#}"),
        ERROR,
        message,
        place,
        file,
    )
}

fn render_parts(
    head: &str,
    style: Style,
    message: &str,
    place: &Place,
    file: &SourceFile,
) -> String {
    let mut out = String::new();
    // Messages, labels and help quote the spec's own strings: escaped, like the line shown.
    let _ = writeln!(out, "{head}{BOLD}: {}{BOLD:#}", printable(message));
    let span = place.span;
    let number = span.line.to_string();
    let pad = " ".repeat(number.len());
    let _ = writeln!(
        out,
        "{pad}{GUTTER}-->{GUTTER:#} {}:{}:{}",
        printable(&file.name()),
        span.line,
        span.col
    );
    if let Some(line) = file.line(span.line) {
        let (text, columns) = shown_line(line);
        let line_chars = columns.len() - 1;
        let start = span.col.saturating_sub(1).min(line_chars);
        let end = if span.end_line == span.line && span.end_col > span.col {
            (span.end_col - 1).min(line_chars)
        } else {
            line_chars
        };
        let (start, end) = (columns[start], columns[end]);
        let width = end.saturating_sub(start).max(1);
        let _ = writeln!(out, "{pad} {GUTTER}|{GUTTER:#}");
        let _ = writeln!(out, "{GUTTER}{number} |{GUTTER:#} {text}");
        let label = place
            .label
            .map(|l| format!(" {}", printable(l)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{pad} {GUTTER}|{GUTTER:#} {}{style}{}{label}{style:#}",
            " ".repeat(start),
            "^".repeat(width)
        );
    }
    if let Some(help) = place.help {
        let _ = writeln!(
            out,
            "{pad} {GUTTER}={GUTTER:#} {HELP}help{HELP:#}: {}",
            printable(help)
        );
    }
    out
}

/// A source line as printed (a tab as one space, other control characters escaped), and
/// for each character of the original line (and its end) the column it is shown at, so
/// that the `^^^` marks stay under the part they mark.
fn shown_line(line: &str) -> (String, Vec<usize>) {
    let mut text = String::with_capacity(line.len());
    let mut columns = Vec::with_capacity(line.len() + 1);
    let mut shown = 0;
    for c in line.chars() {
        columns.push(shown);
        let before = text.len();
        if c == '\t' {
            text.push(' ');
        } else {
            push_printable(&mut text, c);
        }
        shown += text[before..].chars().count();
    }
    columns.push(shown);
    (text, columns)
}

/// Every diagnostic, then the closing line, styled; `anstream` strips the styles where
/// colour is off.
pub fn report(diags: &[Diagnostic], file: &SourceFile) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&render(d, file));
        out.push('\n');
    }
    let _ = writeln!(out, "{}: {}", printable(&file.name()), summary(diags));
    out
}

/// The same report without styles, as written to a file or a pipe.
pub fn report_plain(diags: &[Diagnostic], file: &SourceFile) -> String {
    anstream::adapter::strip_str(&report(diags, file)).to_string()
}

/// The closing line: `2 errors, 1 warning` or `no problems`.
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => "no problems found".to_string(),
        _ => format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    }
}
