//! What an IAM policy document allows, one action on one resource at a time, and whether
//! what one document allows already covers another's; and whom a trust policy lets in: the
//! IAM half of the access widening summary (`engine::widening`). Pure.
//!
//! Documents come in `engine::normalize`'s form (lists everywhere), from both sides. A
//! grant is covered when a live grant of the same effect matches it by IAM's wildcards
//! (actions without regard to case, resources with), under no condition or the same one:
//! so narrowing `s3:*` to `s3:GetObject` opens nothing, and widening an ARN to `*` does.

use serde_json::Value;

/// One action (or a `NotAction` list) on one resource (or a `NotResource` list), with the
/// statement's condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    /// The action as written (`s3:GetObject`, `s3:*`, `*`), or for a `NotAction` statement
    /// `every action but a, b`.
    pub action: String,
    /// The resource as written, or for a `NotResource` statement `every resource but x`.
    pub resource: String,
    /// From a `NotAction` or `NotResource` statement: it covers nearly everything.
    pub negated: bool,
    pub condition: Option<Value>,
}

/// The grants of `document`'s statements of `effect` (`Allow` or `Deny`), in its order.
pub fn of(document: &Value, effect: &str) -> Vec<Grant> {
    let mut out = Vec::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        if statement["Effect"].as_str() != Some(effect) {
            continue;
        }
        let condition = statement.get("Condition").filter(|c| !c.is_null()).cloned();
        let (actions, not_action) = side(statement, "Action", "NotAction", "action");
        let (resources, not_resource) = side(statement, "Resource", "NotResource", "resource");
        for action in &actions {
            for resource in &resources {
                out.push(Grant {
                    action: action.clone(),
                    resource: resource.clone(),
                    negated: not_action || not_resource,
                    condition: condition.clone(),
                });
            }
        }
    }
    out
}

/// A statement's actions (or resources): its list, or one entry naming what a `Not` list
/// leaves out, and whether it was that.
fn side(statement: &Value, plain: &str, not: &str, word: &str) -> (Vec<String>, bool) {
    let strings =
        |v: &Value| -> Vec<String> { v.as_array().into_iter().flatten().map(text).collect() };
    if let Some(list) = statement.get(not).filter(|v| !v.is_null()) {
        return (
            vec![format!("every {word} but {}", strings(list).join(", "))],
            true,
        );
    }
    (strings(&statement[plain]), false)
}

/// One principal a role's trust policy lets do one action, under its statement's condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Trusted {
    /// `Service`, `AWS`, `Federated`, `CanonicalUser`.
    pub principal_type: String,
    pub principal: String,
    pub action: String,
    pub condition: Option<Value>,
}

/// Who a trust policy lets in, from its Allow statements. `"Principal": "*"` is anyone, as
/// `{"AWS": "*"}` is.
pub fn trusted(document: &Value) -> Vec<Trusted> {
    let mut out = Vec::new();
    for s in document["Statement"].as_array().into_iter().flatten() {
        if s["Effect"].as_str() != Some("Allow") {
            continue;
        }
        let condition = s.get("Condition").filter(|c| !c.is_null()).cloned();
        let strings = |v: &Value| -> Vec<String> {
            match v {
                Value::Array(items) => items.iter().map(text).collect(),
                Value::Null => Vec::new(),
                one => vec![text(one)],
            }
        };
        let principals: Vec<(String, String)> = match &s["Principal"] {
            Value::String(p) => vec![("AWS".into(), p.clone())],
            Value::Object(by_type) => by_type
                .iter()
                .flat_map(|(t, v)| strings(v).into_iter().map(move |p| (t.clone(), p)))
                .collect(),
            _ => Vec::new(),
        };
        for (principal_type, principal) in &principals {
            for action in strings(&s["Action"]) {
                out.push(Trusted {
                    principal_type: principal_type.clone(),
                    principal: principal.clone(),
                    action,
                    condition: condition.clone(),
                });
            }
        }
    }
    out
}

/// A policy's string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// The grants of `wanted` that no grant of `have` covers: what the change adds.
pub fn added(wanted: &[Grant], have: &[Grant]) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for g in wanted {
        if !have.iter().any(|h| covers(h, g)) && !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

/// Whether `have` allows everything `want` does.
fn covers(have: &Grant, want: &Grant) -> bool {
    if have == want {
        return true;
    }
    if have.negated || want.negated {
        return false;
    }
    let condition = have.condition.is_none() || have.condition == want.condition;
    condition
        && glob(&have.action.to_lowercase(), &want.action.to_lowercase())
        && glob(&have.resource, &want.resource)
}

/// IAM's wildcards, case and all (`spec::escalation::wildcard_matches`).
pub fn glob(pattern: &str, text: &str) -> bool {
    crate::spec::escalation::wildcard_matches(pattern, text, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(statements: Value) -> Value {
        crate::engine::normalize::policy(&json!({"Version": "2012-10-17", "Statement": statements}))
    }

    fn pairs(grants: &[Grant]) -> Vec<(String, String)> {
        grants
            .iter()
            .map(|g| (g.action.clone(), g.resource.clone()))
            .collect()
    }

    #[test]
    fn each_action_on_each_resource_is_a_grant() {
        let d = doc(
            json!([{"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"]}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]),
        );
        assert_eq!(
            pairs(&of(&d, "Allow")),
            [
                ("s3:GetObject", "arn:aws:s3:::b/*"),
                ("s3:GetObject", "arn:aws:s3:::c/*"),
                ("s3:PutObject", "arn:aws:s3:::b/*"),
                ("s3:PutObject", "arn:aws:s3:::c/*"),
            ]
            .map(|(a, r)| (a.to_string(), r.to_string()))
        );
        assert_eq!(pairs(&of(&d, "Deny")), [("iam:*".into(), "*".into())]);
        let not =
            doc(json!([{"Effect": "Allow", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}]));
        let g = &of(&not, "Allow")[0];
        assert_eq!(g.action, "every action but iam:*, sts:*");
        assert!(g.negated);
    }

    #[test]
    fn a_broader_live_grant_covers_a_narrower_one_and_not_the_reverse() {
        let broad = of(
            &doc(json!([{"Effect": "Allow", "Action": "S3:*", "Resource": "arn:aws:s3:::b/*"}])),
            "Allow",
        );
        let narrow = of(
            &doc(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/key"}]),
            ),
            "Allow",
        );
        assert!(added(&narrow, &broad).is_empty());
        assert_eq!(
            pairs(&added(&broad, &narrow)),
            [("S3:*".into(), "arn:aws:s3:::b/*".into())]
        );
        // Resources compare with case: another name is another resource.
        let upper = of(
            &doc(
                json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/key"}]),
            ),
            "Allow",
        );
        assert_eq!(added(&upper, &narrow).len(), 1);
    }

    #[test]
    fn a_condition_dropped_is_added_access_and_one_added_is_not() {
        let with = of(
            &doc(
                json!([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]),
            ),
            "Allow",
        );
        let without = of(
            &doc(json!([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}])),
            "Allow",
        );
        assert_eq!(added(&without, &with).len(), 1);
        assert!(added(&with, &without).is_empty());
    }

    #[test]
    fn a_trust_policy_lets_in_each_principal_of_each_type() {
        let d = doc(json!([
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": ["sts:AssumeRole"], "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}
        ]));
        let who: Vec<(String, String, bool)> = trusted(&d)
            .into_iter()
            .map(|t| (t.principal_type, t.principal, t.condition.is_some()))
            .collect();
        assert_eq!(
            who,
            [
                ("Service".into(), "lambda.amazonaws.com".into(), false),
                ("Service".into(), "states.amazonaws.com".into(), false),
                ("AWS".into(), "*".into(), true),
            ]
        );
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(glob("*", "anything"));
        assert!(glob("s3:*", "s3:Get*"));
        assert!(glob("arn:aws:s3:::b/?ey", "arn:aws:s3:::b/key"));
        assert!(glob("a*c*e", "abcde"));
        assert!(!glob("s3:Get*", "s3:*"));
        assert!(!glob("a*c", "abcd"));
    }
}
