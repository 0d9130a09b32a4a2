//! The lines under a change's address, the same in the text and the Markdown plan: a new
//! resource's attributes (its tags on one line, a JSON document indented), an update's
//! changed fields (a document as a line diff with context; tags one per line, as every
//! changed key), a deletion's identifying attributes (`KindInfo::identity`).

use serde_json::Value;

use super::{MASK, change_text, document, show};
use crate::engine::plan::{Action, Change, FieldDiff};
use crate::render::escape::printable;

/// One line under an address, printable (escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `+` (added), `-` (removed or deleted) or `~` (changed) on an attribute's line and
    /// the rest of its value; in a document's line diff, `+`, `-` or ` ` (unchanged).
    pub sign: char,
    pub part: Part,
    pub text: String,
}

/// Where a line stands under its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `path = value`, `path: before -> after`, or `path:` over a line diff.
    Attribute,
    /// A further line of a document added or removed whole, under its attribute.
    Body,
    /// A line of a changed document's line diff, under its attribute.
    Diff,
}

impl Line {
    fn attribute(sign: char, text: String) -> Line {
        Line {
            sign,
            part: Part::Attribute,
            text,
        }
    }
}

/// The comment under a change's address that says what it is for: the route or rule a
/// permission serves (`KindInfo::about`).
pub fn about(change: &Change) -> Option<String> {
    let resource = change.after.as_ref().or(change.before.as_ref())?;
    (change.kind.info().about)(resource).map(|a| printable(&a).into_owned())
}

/// The lines under `change`'s address.
pub fn lines(change: &Change) -> Vec<Line> {
    match change.action {
        Action::Create => created(change),
        Action::Update | Action::Replace => changed(change),
        Action::Delete => deleted(change),
        Action::NoOp => Vec::new(),
    }
}

/// A new resource: every attribute it gets, its tags on one line where the first would be.
fn created(change: &Change) -> Vec<Line> {
    let set: Vec<&FieldDiff> = change
        .diffs
        .iter()
        // Unset optional attributes (null) are noise in a new resource.
        .filter(|d| d.after.as_ref().is_some_and(|v| !v.is_null()))
        .collect();
    let tags: Vec<&FieldDiff> = set
        .iter()
        .copied()
        .filter(|d| d.path.starts_with("tags."))
        .collect();
    let mut out = Vec::new();
    let mut tags_shown = false;
    for d in set {
        if d.path.starts_with("tags.") {
            if !tags_shown {
                out.push(Line::attribute('+', tags_line(&tags)));
                tags_shown = true;
            }
            continue;
        }
        out.extend(attribute('+', &d.path, d.after.as_ref(), d.sensitive));
    }
    out
}

/// `tags = {slsr:service=orders, slsr:stage=dev, team=core}`: keys and values bare when
/// they are plain words, JSON strings when not (so a `,` or `=` in one cannot mislead).
fn tags_line(tags: &[&FieldDiff]) -> String {
    let word = |s: &str| {
        let plain = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:/+-@".contains(c));
        if plain {
            s.to_string()
        } else {
            Value::from(s).to_string()
        }
    };
    let pairs: Vec<String> = tags
        .iter()
        .map(|d| {
            let key = d.path.strip_prefix("tags.").unwrap_or(&d.path);
            let value = match d.after.as_ref() {
                _ if d.sensitive => MASK.to_string(),
                Some(Value::String(s)) => word(s),
                Some(v) => v.to_string(),
                None => "(none)".into(),
            };
            format!("{}={value}", word(key))
        })
        .collect();
    printable(&format!("tags = {{{}}}", pairs.join(", "))).into_owned()
}

/// `path = value` marked `sign`, a document on lines of its own.
fn attribute(sign: char, path: &str, value: Option<&Value>, sensitive: bool) -> Vec<Line> {
    let doc = value.filter(|_| !sensitive).and_then(document::lines);
    let Some(doc) = doc else {
        return vec![Line::attribute(
            sign,
            format!("{} = {}", printable(path), show(value, sensitive)),
        )];
    };
    let mut doc = doc.into_iter();
    let first = doc.next().unwrap_or_default();
    let mut out = vec![Line::attribute(
        sign,
        format!("{} = {}", printable(path), printable(&first)),
    )];
    out.extend(doc.map(|l| Line {
        sign,
        part: Part::Body,
        text: printable(&l).into_owned(),
    }));
    out
}

/// An update or a replacement: each changed attribute, a document as a line diff.
fn changed(change: &Change) -> Vec<Line> {
    let mut out = Vec::new();
    for d in &change.diffs {
        let sign = match (&d.before, &d.after) {
            (None, _) => '+',
            (_, None) => '-',
            _ => '~',
        };
        let forces = if d.forces_replacement {
            "  # forces replacement"
        } else {
            ""
        };
        // A key added or removed whole (a new index): its value, as a new resource's.
        if d.before.is_none() || d.after.is_none() {
            let value = d.after.as_ref().or(d.before.as_ref());
            if !d.sensitive && value.and_then(document::lines).is_some() {
                out.extend(attribute(sign, &d.path, value, false));
                continue;
            }
        }
        if let Some(lines) = structured(d) {
            out.push(Line::attribute(
                sign,
                format!("{}:{forces}", printable(&d.path)),
            ));
            out.extend(lines.into_iter().map(|(sign, text)| Line {
                sign,
                part: Part::Diff,
                text: printable(&text).into_owned(),
            }));
            continue;
        }
        out.push(Line::attribute(
            sign,
            format!("{}: {}{forces}", printable(&d.path), change_text(d)),
        ));
    }
    out
}

/// A changed document (a policy, an event pattern, a state machine's definition, a long
/// list) or text of several lines as a line diff; `None` for values that read well on one line.
fn structured(d: &FieldDiff) -> Option<Vec<(char, String)>> {
    // A text of several lines (a script, a certificate) is a line diff too.
    if let (Some(Value::String(before)), Some(Value::String(after))) = (&d.before, &d.after)
        && !d.sensitive
        && (before.contains('\n') || after.contains('\n'))
    {
        return Some(document::diff_lines(before, after));
    }
    let document = |v: &Option<Value>| v.as_ref().is_none_or(|v| v.is_object() || v.is_array());
    let long = [&d.before, &d.after]
        .iter()
        .any(|v| v.as_ref().and_then(document::lines).is_some());
    (!d.sensitive && long && document(&d.before) && document(&d.after))
        .then(|| document::diff(d.before.as_ref(), d.after.as_ref()))
}

/// A deletion: the attributes that say which resource goes, not everything it had.
fn deleted(change: &Change) -> Vec<Line> {
    let Some(live) = change.before.as_ref() else {
        return Vec::new();
    };
    change
        .kind
        .info()
        .identity
        .iter()
        .filter_map(|path| {
            let value = live.attrs.get(*path).filter(|v| !v.is_null())?;
            let sensitive = change.diffs.iter().find(|d| d.path == *path).map_or_else(
                || crate::engine::sensitive::is_sensitive(path, Some(value)),
                |d| d.sensitive,
            );
            Some(attribute('-', path, Some(value), sensitive))
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::{Kind, Resource};

    fn create(resource: Resource) -> Change {
        let diffs = resource
            .attrs
            .iter()
            .map(|(path, v)| FieldDiff {
                path: path.clone(),
                before: None,
                after: Some(v.clone()),
                sensitive: false,
                forces_replacement: false,
            })
            .collect();
        Change {
            address: resource.address(),
            kind: resource.kind,
            name: resource.name.clone(),
            action: Action::Create,
            diffs,
            before: None,
            after: Some(resource),
            reason: None,
            data_loss: false,
        }
    }

    #[test]
    fn a_new_resource_has_its_tags_on_one_line_where_the_first_would_be() {
        let queue = Resource::new(Kind::Queue, "jobs", "shop-dev-jobs")
            .with("arn", "arn:aws:sqs:us-east-1:1:shop-dev-jobs")
            .with("tags.slsr:service", "shop")
            .with("tags.team", "core, infra")
            .with("visibility_timeout", 30);
        let texts: Vec<String> = lines(&create(queue)).into_iter().map(|l| l.text).collect();
        assert_eq!(
            texts,
            [
                "arn = \"arn:aws:sqs:us-east-1:1:shop-dev-jobs\"",
                "tags = {slsr:service=shop, team=\"core, infra\"}",
                "visibility_timeout = 30",
            ]
        );
    }

    #[test]
    fn a_deletion_shows_what_identifies_it() {
        let live = Resource::new(Kind::Queue, "old", "shop-dev-old")
            .with("arn", "arn:aws:sqs:us-east-1:1:shop-dev-old")
            .with("visibility_timeout", 30);
        let mut change = create(live.clone());
        change.action = Action::Delete;
        change.before = Some(live);
        change.after = None;
        let shown: Vec<(char, String)> = lines(&change)
            .into_iter()
            .map(|l| (l.sign, l.text))
            .collect();
        assert_eq!(
            shown,
            [(
                '-',
                "arn = \"arn:aws:sqs:us-east-1:1:shop-dev-old\"".to_string()
            )]
        );
    }
}
