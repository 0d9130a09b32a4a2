//! The rules of the REST API's CORS (`rest_api.cors`): one origin (API Gateway's OPTIONS
//! answer is a static value), an origin's shape, credentials never with the origin `*`
//! (browsers refuse that answer), methods API Gateway knows, and header names that fit in
//! the quoted literal API Gateway answers.

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::rules::span;

/// The methods Access-Control-Allow-Methods may name.
pub const METHODS: &[&str] = &["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let Some(cors) = p.rest_api.as_ref().and_then(|a| a.cors.as_ref()) else {
        return;
    };
    let at = |field: &str| span(p, &format!("rest_api.cors.{field}"));
    if cors.allow_origins.len() > 1 {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                at("allow_origins"),
                format!(
                    "rest_api.cors allows {} origins, but API Gateway answers OPTIONS with one static Access-Control-Allow-Origin",
                    cors.allow_origins.len()
                ),
            )
            .with_label("one origin, or [\"*\"]")
            .with_help("keep one origin, or remove rest_api.cors and answer OPTIONS from a function (`rest: OPTIONS /path`) that echoes the request's Origin when it is one of yours"),
        );
    }
    for (i, origin) in cors.allow_origins.iter().enumerate() {
        if let Err(why) = origin_shape(origin) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at(&format!("allow_origins[{i}]")),
                    format!("origin `{origin}` {why}"),
                )
                .with_label("not an origin")
                .with_help(
                    "an origin is `*` or `https://host` (with an optional `:port`), without a path",
                ),
            );
        }
    }
    if cors.allow_credentials == Some(true) && cors.allow_origins.iter().any(|o| o == "*") {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                at("allow_credentials"),
                "`allow_credentials: true` with the origin `*`: browsers refuse credentials from an answer that allows any origin",
            )
            .with_label("credentials with `*`")
            .with_help("name the one origin in allow_origins, or drop allow_credentials"),
        );
    }
    for (i, method) in cors.allow_methods.iter().flatten().enumerate() {
        if !METHODS.contains(&method.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at(&format!("allow_methods[{i}]")),
                    format!("`{method}` is not a method API Gateway serves"),
                )
                .with_label("unknown method")
                .with_help(format!("one of {}", METHODS.join(", "))),
            );
        }
    }
    let headers = [
        ("allow_headers", Some(&cors.allow_headers)),
        ("expose_headers", cors.expose_headers.as_ref()),
    ];
    for (field, list) in headers {
        for (i, header) in list.into_iter().flatten().enumerate() {
            if !is_header_name(header) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        at(&format!("{field}[{i}]")),
                        format!("`{header}` is not a header name"),
                    )
                    .with_label("not a header name")
                    .with_help("letters, digits and `-` (`Content-Type`), or `*`"),
                );
            }
        }
    }
}

/// Whether `origin` is `*` or `scheme://host[:port]`, as a browser's Origin header is.
fn origin_shape(origin: &str) -> Result<(), &'static str> {
    if origin == "*" {
        return Ok(());
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err("has no scheme (`https://`)");
    };
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return Err("has no scheme (`https://`)");
    }
    if rest.is_empty() {
        return Err("has no host");
    }
    if rest.contains('/') {
        return Err("has a path: a browser's Origin is only scheme, host and port");
    }
    if rest.contains(|c: char| c.is_whitespace() || c == '\'' || c == ',') {
        return Err("holds a space, a quote or a comma");
    }
    Ok(())
}

/// A header name as HTTP writes them (`Content-Type`), or `*`; never a quote, which would
/// end the literal API Gateway answers.
fn is_header_name(h: &str) -> bool {
    h == "*"
        || (!h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&*+-.^_`|~".contains(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_a_scheme_and_a_host() {
        assert!(origin_shape("https://example.com").is_ok());
        assert!(origin_shape("http://localhost:3000").is_ok());
        assert!(origin_shape("*").is_ok());
        assert!(origin_shape("example.com").is_err());
        assert!(origin_shape("https://example.com/").is_err());
        assert!(origin_shape("https://").is_err());
        assert!(is_header_name("Content-Type"));
        assert!(!is_header_name("it's"));
        assert!(!is_header_name(""));
    }
}
