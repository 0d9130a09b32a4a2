//! JSON documents (policies, event patterns, long lists) as indented lines for people, and
//! the line diff of two of them that shows only what changed, with a little context.
//!
//! Objects always open onto lines of their own; a list of plain values stays on one line
//! while it fits, since one action or ARN per line makes a policy three times as long
//! without saying more. Strings keep JSON's escapes, so every line is one line.

use serde_json::Value;

/// A list of plain values longer than this on one line is shown one value a line.
const ONE_LINE: usize = 72;

/// Inside a document, a list of plain values stays on its line while the line is shorter.
const WIDTH: usize = 90;

/// The value as indented lines, or `None` when it reads well on one line. Every object (a
/// policy, a pattern, a redrive policy) is a document; a list is one when it holds
/// documents or lists, or is too long for its line.
pub fn lines(value: &Value) -> Option<Vec<String>> {
    let document = match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => {
            items.iter().any(|i| i.is_object() || i.is_array())
                || value.to_string().len() > ONE_LINE
        }
        _ => false,
    };
    document
        .then(|| pretty(value))
        .filter(|lines| lines.len() > 1)
}

/// Every value as indented lines, however short.
pub fn pretty(value: &Value) -> Vec<String> {
    layout(value, 0, 0)
}

/// `value` laid out at `indent`, its first line starting at column `used` (after a key):
/// the first line carries no indentation of its own, the others all of theirs.
fn layout(value: &Value, indent: usize, used: usize) -> Vec<String> {
    let pad = |n: usize| " ".repeat(n);
    match value {
        Value::Array(items) if !items.is_empty() => {
            if items.iter().all(|i| !(i.is_array() || i.is_object())) {
                let plain: Vec<String> = items.iter().map(Value::to_string).collect();
                let one = format!("[{}]", plain.join(", "));
                if used + one.len() < WIDTH {
                    return vec![one];
                }
            }
            let mut out = vec!["[".to_string()];
            for (i, item) in items.iter().enumerate() {
                let mut sub = layout(item, indent + 2, indent + 2);
                sub[0] = format!("{}{}", pad(indent + 2), sub[0]);
                if i + 1 < items.len() {
                    sub.last_mut().expect("a value has a line").push(',');
                }
                out.extend(sub);
            }
            out.push(format!("{}]", pad(indent)));
            out
        }
        Value::Object(map) if !map.is_empty() => {
            let mut out = vec!["{".to_string()];
            for (i, (key, item)) in map.iter().enumerate() {
                let key = format!("{}: ", Value::from(key.as_str()));
                let mut sub = layout(item, indent + 2, indent + 2 + key.len());
                sub[0] = format!("{}{key}{}", pad(indent + 2), sub[0]);
                if i + 1 < map.len() {
                    sub.last_mut().expect("a value has a line").push(',');
                }
                out.extend(sub);
            }
            out.push(format!("{}}}", pad(indent)));
            out
        }
        other => vec![other.to_string()],
    }
}

/// Lines kept around each change in a document diff; the rest folds into `...`.
const CONTEXT: usize = 3;

/// Two documents (either may be absent) as lines marked `+`, `-` or ` `: only the parts
/// that changed stand out, with `CONTEXT` lines around them and the lines that open what
/// holds them (a state machine's `"Charge": {`), however far above. The keys of `before`
/// are laid out in `after`'s order first: two documents that differ only in key order
/// (AWS's stored copy and the spec's) differ in no line.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<(char, String)> {
    let before = match (before, after) {
        (Some(b), Some(a)) => Some(ordered_like(b, a)),
        (b, _) => b.cloned(),
    };
    let side = |v: Option<&Value>| v.map(pretty).unwrap_or_default();
    with_context(line_diff(&side(before.as_ref()), &side(after)))
}

/// Two texts of several lines (a script, a certificate) as a line diff, as documents are.
pub fn diff_lines(before: &str, after: &str) -> Vec<(char, String)> {
    let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
    with_context(line_diff(&lines(before), &lines(after)))
}

/// `value` with its objects' keys in the order `model` has them (the others after).
fn ordered_like(value: &Value, model: &Value) -> Value {
    match (value, model) {
        (Value::Object(v), Value::Object(m)) => {
            let mut out = serde_json::Map::new();
            for (key, inner) in m {
                if let Some(item) = v.get(key) {
                    out.insert(key.clone(), ordered_like(item, inner));
                }
            }
            for (key, item) in v {
                if !m.contains_key(key) {
                    out.insert(key.clone(), item.clone());
                }
            }
            Value::Object(out)
        }
        (Value::Array(v), Value::Array(m)) => Value::Array(
            v.iter()
                .enumerate()
                .map(|(i, item)| {
                    m.get(i)
                        .map_or(item.clone(), |inner| ordered_like(item, inner))
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// The lines that open what holds each changed line: for every level of indentation above
/// it, the nearest line above that ends in `{` or `[`.
fn outline(lines: &[(char, String)]) -> Vec<bool> {
    let indent = |s: &str| s.len() - s.trim_start().len();
    let mut keep = vec![false; lines.len()];
    for (changed, (_, text)) in lines
        .iter()
        .enumerate()
        .filter(|(_, (sign, _))| *sign != ' ')
    {
        let mut level = indent(text);
        for j in (0..changed).rev() {
            if level == 0 {
                break;
            }
            let line = lines[j].1.as_str();
            if indent(line) < level && (line.ends_with('{') || line.ends_with('[')) {
                keep[j] = true;
                level = indent(line);
            }
        }
    }
    keep
}

fn with_context(lines: Vec<(char, String)>) -> Vec<(char, String)> {
    let near_change = |i: usize| {
        lines[i.saturating_sub(CONTEXT)..(i + CONTEXT + 1).min(lines.len())]
            .iter()
            .any(|(sign, _)| *sign != ' ')
    };
    let outline = outline(&lines);
    let mut out = Vec::new();
    let mut folded = false;
    for (i, line) in lines.iter().enumerate() {
        if near_change(i) || outline[i] {
            out.push(line.clone());
            folded = false;
        } else if !folded {
            out.push((' ', "...".to_string()));
            folded = true;
        }
    }
    out
}

/// A longest-common-subsequence line diff; documents here are a few dozen lines.
fn line_diff(a: &[String], b: &[String]) -> Vec<(char, String)> {
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i].clone()));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // What goes comes before what replaces it, as in a unified diff.
            out.push(('-', a[i].clone()));
            i += 1;
        } else {
            out.push(('+', b[j].clone()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_policy_is_indented_with_short_lists_on_their_lines() {
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]}]});
        assert_eq!(
            lines(&policy).unwrap(),
            [
                "{",
                "  \"Version\": \"2012-10-17\",",
                "  \"Statement\": [",
                "    {",
                "      \"Effect\": \"Allow\",",
                "      \"Action\": [\"sqs:SendMessage\"],",
                "      \"Resource\": [\"arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs\"]",
                "    }",
                "  ]",
                "}",
            ]
        );
        let long = json!([
            "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        ]);
        assert_eq!(lines(&long).unwrap().len(), 4, "one ARN a line");
        assert_eq!(lines(&json!(["GET", "POST"])), None, "a short list");
        assert_eq!(
            lines(&json!({"source": ["orders"]})).unwrap(),
            ["{", "  \"source\": [\"orders\"]", "}"],
            "a pattern, however short"
        );
        assert_eq!(
            lines(&json!(
                "a string longer than the line, which stays a string however long it gets"
            )),
            None
        );
    }

    #[test]
    fn a_changed_policy_shows_only_what_changed() {
        let before = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]}, {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": ["*"]}]});
        let mut after = before.clone();
        after["Statement"][0]["Action"] = json!(["sqs:DeleteMessage", "sqs:ReceiveMessage"]);
        let lines = diff(Some(&before), Some(&after));
        let changed: Vec<&(char, String)> = lines.iter().filter(|(sign, _)| *sign != ' ').collect();
        assert_eq!(
            changed,
            [
                &(
                    '-',
                    "      \"Action\": [\"sqs:ReceiveMessage\"],".to_string()
                ),
                &(
                    '+',
                    "      \"Action\": [\"sqs:DeleteMessage\", \"sqs:ReceiveMessage\"],"
                        .to_string()
                ),
            ]
        );
        assert!(
            lines.contains(&(' ', "...".to_string())),
            "far lines fold: {lines:?}"
        );
        let added = diff(None, Some(&after));
        assert!(added.iter().all(|(sign, _)| *sign == '+'), "{added:?}");
    }

    #[test]
    fn a_deep_change_keeps_the_lines_that_hold_it_and_key_order_is_no_change() {
        let before = json!({"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Comment": "a", "InputPath": "$", "OutputPath": "$", "ResultPath": "$.r", "TimeoutSeconds": 30, "Resource": "arn:x", "Next": "Done"}, "Done": {"Type": "Succeed"}}});
        let mut after = before.clone();
        after["States"]["Charge"]["Next"] = json!("Other");
        let reordered: Value = serde_json::from_str(
            r#"{"States": {"Done": {"Type": "Succeed"}, "Charge": {"Next": "Done", "Resource": "arn:x", "TimeoutSeconds": 30, "ResultPath": "$.r", "OutputPath": "$", "InputPath": "$", "Comment": "a", "Type": "Task"}}, "StartAt": "Charge"}"#,
        )
        .unwrap();
        let lines = diff(Some(&reordered), Some(&after));
        let changed: Vec<&(char, String)> = lines.iter().filter(|(sign, _)| *sign != ' ').collect();
        assert_eq!(
            changed,
            [
                &('-', "      \"Next\": \"Done\"".to_string()),
                &('+', "      \"Next\": \"Other\"".to_string()),
            ]
        );
        assert!(
            lines.contains(&(' ', "    \"Charge\": {".to_string())),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(' ', "  \"States\": {".to_string())),
            "{lines:?}"
        );
        assert!(
            diff(Some(&reordered), Some(&before))
                .iter()
                .all(|(sign, _)| *sign == ' '),
            "only the key order differs"
        );
        let text = diff_lines("a\nb\nc", "a\nB\nc");
        assert_eq!(text[1], ('-', "b".to_string()));
        assert_eq!(text[2], ('+', "B".to_string()));
    }
}
