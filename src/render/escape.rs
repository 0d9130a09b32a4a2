//! Making user strings safe to print: every text slsr shows (diagnostics, errors, plans in
//! text and Markdown) passes what came from a spec, a file name or the account through here.
//!
//! A route key, a tag or an AWS error message can hold control characters. Printed raw, an
//! ESC sequence clears or rewrites the terminal, a CR hides what came before it on the line,
//! and a Unicode direction override makes a reviewer read something else than what is
//! deployed. So they are shown as Rust writes them, `\u{1b}`, and Markdown's own syntax is
//! escaped where a plan goes into a pull-request comment.

use std::borrow::Cow;

/// Characters never printed as they are: C0 controls (newline and tab included, since every
/// value is shown on one line), DEL, C1 controls (U+009B is a CSI to some terminals), and
/// the invisible characters that reorder or hide text (bidirectional overrides and isolates,
/// zero-width marks).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// `s` with each unsafe character written as `\u{HEX}`; borrowed when there is none.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_printable(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c`, escaped if it is unsafe.
pub fn push_printable(out: &mut String, c: char) {
    if is_unsafe(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// JSON text with the unsafe characters that serde_json leaves raw (DEL, C1, the direction
/// and zero-width marks; it escapes C0 itself) written as `\uXXXX`. They can only occur
/// inside strings, where the escape means the same character, so the document's value is
/// unchanged.
pub fn json_text(text: String) -> String {
    if !text.chars().any(is_unsafe_in_json) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe_in_json(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Newlines are the JSON text's own layout; any other unsafe character is in a string.
fn is_unsafe_in_json(c: char) -> bool {
    c != '\n' && is_unsafe(c)
}

/// Text in a Markdown paragraph or table cell: printable, and every ASCII punctuation
/// character backslash-escaped, so that no `|` ends a cell, no `<` opens HTML (such as a
/// `<details>` that hides the rest of the plan) and no `*`, `_`, `[` or backtick formats.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in printable(s).chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Markdown code span of `s`, safe in a table cell: printable (so on one line), fenced by
/// more backticks than any run inside it (CommonMark's way to put a backtick in a code span),
/// and with `|` escaped, which GitHub's tables require even inside code spans.
pub fn markdown_code(s: &str) -> String {
    let text = printable(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A space inside the fence keeps a leading or trailing backtick from joining it;
    // CommonMark strips one such space on each side.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_as_escapes() {
        assert_eq!(printable("GET /a"), "GET /a");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}[2J\r\u{7}\n\t\u{7f}\u{9b}b"),
            "a\\u{1b}[2J\\u{d}\\u{7}\\u{a}\\u{9}\\u{7f}\\u{9b}b"
        );
        assert_eq!(printable("x\u{202e}y\u{2066}"), "x\\u{202e}y\\u{2066}");
        assert_eq!(printable("café ✓"), "café ✓");
    }

    #[test]
    fn json_keeps_its_value_and_loses_raw_controls() {
        let value = serde_json::json!({"k": "a\u{1b}\u{7f}\u{9b}\u{202e}b"});
        let text = json_text(serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.chars().any(is_unsafe_in_json), "{text:?}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn markdown_cells_and_code_spans_cannot_break_out() {
        assert_eq!(markdown_text("a|b<c>`d\r"), "a\\|b\\<c\\>\\`d\\\\u\\{d\\}");
        assert_eq!(markdown_code("GET /x"), "`GET /x`");
        assert_eq!(markdown_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(markdown_code("`x``"), "``` `x`` ```");
        assert_eq!(markdown_code("a\nb"), "`a\\u{a}b`");
    }
}
