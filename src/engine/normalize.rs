//! Normal forms shared by the desired and the live side, so that equal meaning compares
//! equal: IAM policies (one statement or a list, one action or a list, in any order) and
//! the percent-encoding IAM applies to the policies it returns.

use serde_json::Value;

/// A policy document in one form: `Statement` a list; `Action`, `NotAction`, `Resource`,
/// `NotResource` and each principal type lists, sorted and without repeats.
pub fn policy(document: &Value) -> Value {
    let mut doc = document.clone();
    let Some(object) = doc.as_object_mut() else {
        return doc;
    };
    let statements = match object.remove("Statement") {
        Some(Value::Array(items)) => items,
        Some(single) => vec![single],
        None => vec![],
    };
    let statements: Vec<Value> = statements.into_iter().map(statement).collect();
    object.insert("Statement".into(), Value::Array(statements));
    doc
}

fn statement(mut s: Value) -> Value {
    if let Some(object) = s.as_object_mut() {
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if let Some(v) = object.remove(key) {
                object.insert(key.into(), sorted_list(v));
            }
        }
        if let Some(Value::Object(principal)) = object.get_mut("Principal") {
            for v in principal.values_mut() {
                *v = sorted_list(v.take());
            }
        }
    }
    s
}

fn sorted_list(v: Value) -> Value {
    let mut items = match v {
        Value::Array(items) => items,
        single => vec![single],
    };
    items.sort_by_key(|i| i.to_string());
    items.dedup();
    Value::Array(items)
}

/// Decodes `%XX` escapes, as IAM returns policy documents URL-encoded.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// A policy document as IAM returns it: percent-encoded JSON, or plain JSON.
pub fn parse_policy(text: &str) -> Option<Value> {
    let decoded = if text.trim_start().starts_with('{') {
        text.to_string()
    } else {
        percent_decode(text)
    };
    serde_json::from_str(&decoded).ok().map(|v| policy(&v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_policies_in_other_shapes_normalize_equal() {
        let a = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}});
        let b = json!({"Version": "2012-10-17", "Statement": [{"Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"], "Effect": "Allow"}]});
        assert_eq!(policy(&a), policy(&b));
        let c = json!({"Statement": [{"Effect": "Allow", "Action": ["b:B", "a:A", "a:A"], "Resource": "*"}]});
        assert_eq!(policy(&c)["Statement"][0]["Action"], json!(["a:A", "b:B"]));
    }

    #[test]
    fn percent_encoded_documents_parse() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            parse_policy(encoded),
            Some(json!({"Version": "2012-10-17", "Statement": []}))
        );
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
