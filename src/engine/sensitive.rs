//! What counts as a secret, and how one is kept out of every output: by the name of the
//! variable that holds it (`DB_PASSWORD`), or by its content (credentials in a URL, a
//! well-known token prefix, a long high-entropy string). The plan marks such values
//! sensitive; renderers mask them; saved plans keep only a keyed fingerprint of them
//! (`saved.rs`).

use serde_json::Value;

/// Environment variable names that look like they hold secrets: their values are masked
/// in every output, and a change to one still shows as a change.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_uppercase();
    [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "KEY",
        "CREDENTIAL",
        "PRIVATE",
        "AUTH",
        "SIGNATURE",
        "DSN",
        "CERT",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// Prefixes that well-known services give their secret tokens and keys.
const TOKEN_PREFIXES: &[&str] = &[
    "sk_live_",    // Stripe secret key
    "sk_test_",    // Stripe test secret key
    "rk_live_",    // Stripe restricted key
    "whsec_",      // Stripe webhook secret
    "ghp_",        // GitHub personal access token
    "gho_",        // GitHub OAuth token
    "ghu_",        // GitHub user-to-server token
    "ghs_",        // GitHub server-to-server token
    "ghr_",        // GitHub refresh token
    "github_pat_", // GitHub fine-grained token
    "glpat-",      // GitLab personal access token
    "gldt-",       // GitLab deploy token
    "xoxb-",       // Slack bot token
    "xoxp-",       // Slack user token
    "xoxa-",       // Slack app token
    "xapp-",       // Slack app-level token
    "npm_",        // npm access token
    "pypi-",       // PyPI API token
    "shpat_",      // Shopify access token
    "shpss_",      // Shopify shared secret
    "dop_v1_",     // DigitalOcean token
    "hf_",         // Hugging Face token
    "sk-",         // OpenAI and Anthropic API keys
    "SG.",         // SendGrid API key
    "sq0csp-",     // Square secret
    "ya29.",       // Google OAuth access token
    "AIza",        // Google API key
    "AKIA",        // AWS access key id
    "ASIA",        // AWS temporary access key id
    "-----BEGIN ", // a PEM private key or certificate
];

/// A token prefix alone is not enough (`sk-` starts ordinary words): what follows must be
/// long enough to be a key.
const MIN_AFTER_PREFIX: usize = 12;

/// High-entropy strings shorter than this are usually ids, not secrets.
const MIN_ENTROPY_LEN: usize = 20;

/// Whether a string value looks like it holds a secret, whatever the name it is kept under.
/// `anywhere` extends the check to high-entropy strings, which only values that a user
/// writes freely (environment variables, outputs) are held to: elsewhere hashes and ids are
/// expected.
pub fn looks_secret_value(value: &str, anywhere: bool) -> bool {
    if credentials_in_url(value) || connection_string_secret(value) {
        return true;
    }
    let words: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| has_token_prefix(w) || is_jwt(w)) {
        return true;
    }
    anywhere && words.iter().any(|w| high_entropy(w))
}

/// `scheme://user:password@host`: the password part is a credential.
fn credentials_in_url(value: &str) -> bool {
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let authority = after.split(['/', '?', '#', ' ']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            return true;
        }
        rest = after;
    }
    false
}

/// `Password=...;`, `AccountKey=...` and friends in database and storage connection strings.
fn connection_string_secret(value: &str) -> bool {
    let lower = value.to_lowercase();
    [
        "password=",
        "pwd=",
        "accountkey=",
        "sharedaccesskey=",
        "secret=",
    ]
    .iter()
    .any(|key| {
        lower.find(key).is_some_and(|at| {
            lower[at + key.len()..]
                .chars()
                .next()
                .is_some_and(|c| c != ';')
        })
    })
}

fn has_token_prefix(word: &str) -> bool {
    TOKEN_PREFIXES.iter().any(|prefix| {
        word.strip_prefix(prefix).is_some_and(|rest| {
            // A PEM header is followed by words ("PRIVATE KEY-----"), not a key.
            *prefix == "-----BEGIN "
                || (rest.len() >= MIN_AFTER_PREFIX
                    && rest.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+' | '=')
                    }))
        })
    }) || word.starts_with("-----BEGIN")
}

/// A JSON Web Token: three base64url parts, the first two starting with `eyJ` (`{"`).
fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts[2].len() >= 16
}

/// A long word of mixed letters and digits with the randomness of a key: at least 3.5 bits
/// a character (English words and ids are well under). ARNs, URLs and paths are not: their
/// structure makes them long, not secret.
fn high_entropy(word: &str) -> bool {
    if word.len() < MIN_ENTROPY_LEN
        || word.starts_with("arn:")
        || word.contains("://")
        || word.starts_with('/')
        || word.contains('@')
    {
        return false;
    }
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    let digits = word.chars().filter(char::is_ascii_digit).count();
    if letters == 0 || digits == 0 {
        return false;
    }
    // Words made of dictionary parts joined by separators (`orders-dev-jobs-dlq-v2`) are
    // names: a secret has long runs without separators.
    let longest_run = word
        .split(['-', '_', '.', ':'])
        .map(str::len)
        .max()
        .unwrap_or(0);
    if longest_run < 16 {
        return false;
    }
    shannon_entropy(word) >= 3.5
}

fn shannon_entropy(word: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in word.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = word.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether an attribute's value is masked: an environment variable whose name looks secret,
/// a value that takes a SecureString (`ssm.rs`), or a string whose content looks secret.
pub fn is_sensitive(path: &str, value: Option<&Value>) -> bool {
    let free_text = path.starts_with("env.") || path == "value";
    if path.strip_prefix("env.").is_some_and(looks_secret) {
        return true;
    }
    match value {
        Some(Value::String(s)) => {
            crate::engine::ssm::parse(s).is_some() || looks_secret_value(s, free_text)
        }
        _ => false,
    }
}

/// `text` with every part that looks secret masked, for messages that quote a value.
pub fn redact(text: &str) -> String {
    if looks_secret_value(text, true) || crate::engine::ssm::parse(text).is_some() {
        crate::render::MASK.to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets as they turn up in real environments; every one must be masked.
    const SECRETS: &[&str] = &[
        "postgres://app:Sup3rS3cret@db.internal:5432/app",
        "mysql://root:hunter2@10.0.0.5/shop",
        "redis://:p4ssw0rd@cache:6379/0",
        "amqps://user:pw-123@mq.example.com/vhost",
        "https://deploy:ghp_abc@github.com/org/repo.git",
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "sk-proj-Abc123Def456Ghi789Jkl012Mno345",
        "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",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "-----BEGIN RSA PRIVATE KEY-----",
        "Server=db;Database=app;User Id=sa;Password=Pa55w0rd!;",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA==",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Bearer 8a7Fq2LmZ9xYc4Rt1Vb6Nw3Ks0Pe5Hj",
    ];

    /// Values that are not secrets and must stay readable.
    const PLAIN: &[&str] = &[
        "info",
        "us-east-1",
        "orders-dev-jobs-dlq",
        "https://example.com/orders/123",
        "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dev-jobs",
        "arn:aws:lambda:us-east-1:123456789012:function:orders-dev-api",
        "arn:aws:iam::123456789012:role/slsr/orders/dev/orders-dev-worker",
        "/aws/lambda/orders-dev-api",
        "The quick brown fox jumps over the lazy dog",
        "sk-1",
        "256",
        "a1b2c3",
        "user@example.com",
        "application/json",
    ];

    #[test]
    fn secrets_are_found_by_content() {
        for secret in SECRETS {
            assert!(looks_secret_value(secret, true), "not masked: {secret}");
        }
        assert!(SECRETS.len() >= 20);
    }

    #[test]
    fn plain_values_stay_readable() {
        for plain in PLAIN {
            assert!(!looks_secret_value(plain, true), "masked: {plain}");
        }
    }

    #[test]
    fn hashes_and_ids_outside_free_text_are_not_masked() {
        let code_sha = "Wk2W0VAnGqW4yLsbq1cBp3cqo8nXr0m7JYuB9yoDzC8=";
        assert!(!is_sensitive("code_sha256", Some(&Value::from(code_sha))));
        assert!(is_sensitive("env.CHECKSUM", Some(&Value::from(code_sha))));
        assert!(is_sensitive("env.DB_PASSWORD", Some(&Value::from("x"))));
        assert!(is_sensitive(
            "description",
            Some(&Value::from("calls with sk_live_51HxYzAbCdEfGhIjKlMnOpQr"))
        ));
    }
}
