//! `slsr validate --format json`: the diagnostics as one JSON document on stdout, for
//! editors, CI annotations and other tools: each problem's file, line, column, code,
//! severity and message. A file that cannot be checked at all is one error in the same
//! shape, with no code. The exit code is the text format's.

use serde_json::{Value, json};

use crate::spec::diag::{Diagnostic, Severity};
use crate::spec::load::FileError;

/// The shape's version: a tool can tell a later, different one.
const FORMAT_VERSION: &str = "1";

/// The document for a spec that was checked.
pub fn document(file: &std::path::Path, diagnostics: &[Diagnostic]) -> String {
    let file = file.display().to_string();
    let items: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "file": file,
                "line": d.span.line,
                "column": d.span.col,
                "end_line": d.span.end_line,
                "end_column": d.span.end_col,
                "code": d.code.as_str(),
                "severity": severity(d.severity),
                "message": d.message,
                "label": d.label,
                "help": d.help,
            })
        })
        .collect();
    finish(items)
}

/// The document for a file that could not be checked at all (missing, not YAML, ...).
pub fn file_error(e: &FileError) -> String {
    let (line, column) = e.line.map_or((Value::Null, Value::Null), |(l, c)| {
        (Value::from(l), Value::from(c))
    });
    finish(vec![json!({
        "file": e.path.display().to_string(),
        "line": line,
        "column": column,
        "end_line": Value::Null,
        "end_column": Value::Null,
        "code": Value::Null,
        "severity": "error",
        "message": e.message,
        "label": Value::Null,
        "help": Value::Null,
    })])
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn finish(items: Vec<Value>) -> String {
    let errors = items.iter().filter(|d| d["severity"] == "error").count();
    let document = json!({
        "format_version": FORMAT_VERSION,
        "valid": errors == 0,
        "errors": errors,
        "warnings": items.len() - errors,
        "diagnostics": items,
    });
    // Spec text can hold control characters; JSON escapes them, and `json_text` makes sure
    // nothing raw reaches a terminal.
    crate::render::escape::json_text(
        serde_json::to_string_pretty(&document).expect("a document serializes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::diag::Code;
    use crate::spec::source::Span;

    #[test]
    fn each_problem_has_its_place_code_and_severity() {
        let d = Diagnostic::warning(Code::UnknownField, Span::point(3, 5), "odd").with_help("h");
        let doc: Value =
            serde_json::from_str(&document(std::path::Path::new("s.yaml"), &[d])).unwrap();
        assert_eq!(doc["valid"], true);
        assert_eq!(doc["warnings"], 1);
        let first = &doc["diagnostics"][0];
        assert_eq!(
            (&first["file"], &first["line"], &first["column"]),
            (&json!("s.yaml"), &json!(3), &json!(5))
        );
        assert_eq!(first["code"], "E102");
        assert_eq!(first["severity"], "warning");
        assert_eq!(first["help"], "h");
    }
}
