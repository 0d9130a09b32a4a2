//! The rules of an API's custom domain (`http_api.domain`, `rest_api.domain`): the name's form (DNS labels and
//! length), the certificate's ARN, the base path's form, and the certificate's region: a
//! regional domain takes only an ACM certificate of the API's own region, and the ARN names
//! its region (`arn:aws:acm:REGION:ACCOUNT:certificate/ID`). Validation checks the region
//! when the spec's (or `--region`'s) is known; a plan checks it again against the region it
//! deploys to (`check_region`), which may come from the profile.

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::model::Domain;
use super::rules::span;

/// The APIs that have a domain: the address word of each (its spec section) and its domain.
pub fn domains(p: &Project) -> Vec<(&'static str, &Domain)> {
    let mut out = Vec::new();
    if let Some(d) = p.http_api.as_ref().and_then(|a| a.domain.as_ref()) {
        out.push(("http_api", d));
    }
    if let Some(d) = p.rest_api.as_ref().and_then(|a| a.domain.as_ref()) {
        out.push(("rest_api", d));
    }
    out
}

/// The longest domain name, and the longest label of one (DNS's limits, which API Gateway keeps).
const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (section, d) in domains(p) {
        if let Some(why) = name_error(&d.name) {
            let at = format!("{section}.domain.name");
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &at),
                    format!("`{}` is not a domain name API Gateway takes: {why}", d.name),
                )
                .with_label("not a domain name")
                .with_help("write a name such as api.example.com: labels of lowercase letters, digits and hyphens (not at a label's ends), 63 characters each at most, 253 in all; `*.` first for a wildcard"),
            );
        }
        let at = format!("{section}.domain.certificate");
        match certificate_region(&d.certificate) {
            None if !d.certificate.contains("${") => diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &at),
                    format!("`{}` is not an ACM certificate's ARN", d.certificate),
                )
                .with_label("not a certificate ARN")
                .with_help("write arn:aws:acm:REGION:ACCOUNT:certificate/ID, the ARN ACM shows for the certificate"),
            ),
            _ => {}
        }
        if let Some(base) = &d.base_path
            && let Some(why) = base_path_error(base)
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &format!("{section}.domain.base_path")),
                    format!("`{base}` is not a base path API Gateway takes: {why}"),
                )
                .with_label("not a base path")
                .with_help("write a path such as v1 or v1/orders, without a leading or trailing `/`; leave base_path out to serve the API at the domain's root"),
            );
        }
    }
    if let Some(region) = p.region.as_deref() {
        diags.extend(check_region(p, region));
    }
}

/// A certificate in another region than the one the plan deploys to: a located error on
/// `domain.certificate`. Nothing when the region or the ARN's region is not known yet.
pub fn check_region(p: &Project, region: &str) -> Vec<Diagnostic> {
    if region.contains("${") {
        return Vec::new();
    }
    domains(p)
        .into_iter()
        .filter_map(|(section, d)| {
            let theirs = certificate_region(&d.certificate)?;
            (theirs != region && !theirs.contains("${")).then(|| {
                Diagnostic::error(
                    Code::InvalidValue,
                    span(p, &format!("{section}.domain.certificate")),
                    format!(
                        "the certificate is in {theirs}, and the API is deployed to {region}: a regional custom domain takes only a certificate of its API's region"
                    ),
                )
                .with_label(format!("a certificate of {theirs}"))
                .with_help(format!(
                    "request or import the certificate in ACM in {region}, and name that certificate's ARN"
                ))
            })
        })
        .collect()
}

/// The region an ACM certificate's ARN names (`arn:PARTITION:acm:REGION:ACCOUNT:certificate/ID`),
/// or `None` when it is not such an ARN.
pub fn certificate_region(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "acm", region, account, resource]
            if !partition.is_empty()
                && !region.is_empty()
                && !account.is_empty()
                && resource
                    .strip_prefix("certificate/")
                    .is_some_and(|id| !id.is_empty()) =>
        {
            Some(region)
        }
        _ => None,
    }
}

/// Why a name is not a domain name API Gateway takes, or `None`.
fn name_error(name: &str) -> Option<String> {
    if name.contains("${") {
        return None;
    }
    if name.len() > MAX_NAME {
        return Some(format!(
            "it is {} characters long, more than {MAX_NAME}",
            name.len()
        ));
    }
    let rest = name.strip_prefix("*.").unwrap_or(name);
    let labels: Vec<&str> = rest.split('.').collect();
    if labels.len() < 2 {
        return Some("it needs at least two labels, as in example.com".into());
    }
    for label in &labels {
        if label.is_empty() {
            return Some("it has an empty label (two dots in a row, or a dot at an end)".into());
        }
        if label.len() > MAX_LABEL {
            return Some(format!(
                "the label `{label}` is {} characters long, more than {MAX_LABEL}",
                label.len()
            ));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Some(if c.is_ascii_uppercase() {
                format!("`{c}` is uppercase: API Gateway keeps names in lowercase")
            } else {
                format!("`{c}` is not a letter, digit or hyphen")
            });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!("the label `{label}` begins or ends with a hyphen"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some("its last label is all digits".into());
    }
    None
}

/// Why a base path is not an API mapping key API Gateway takes, or `None`.
fn base_path_error(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("it is empty".into());
    }
    if path.starts_with('/') || path.ends_with('/') || path.contains("//") {
        return Some("it begins or ends with `/`, or has `//`".into());
    }
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '$')))
        .map(|c| format!("`{c}` is not a letter, digit, `-`, `_`, `.` or `/`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_arn_names_its_region() {
        assert_eq!(
            certificate_region("arn:aws:acm:eu-west-1:123456789012:certificate/abc"),
            Some("eu-west-1")
        );
        assert_eq!(certificate_region("arn:aws:iam::123456789012:role/x"), None);
        assert_eq!(
            certificate_region("arn:aws:acm:eu-west-1:1:certificate/"),
            None
        );
        assert_eq!(certificate_region("abc"), None);
    }

    #[test]
    fn names_follow_dns_rules() {
        for good in ["api.example.com", "*.example.com", "a-b.c9.example.org"] {
            assert_eq!(name_error(good), None, "{good}");
        }
        for bad in [
            "example",
            "api..example.com",
            "-api.example.com",
            "API.example.com",
            "api_x.example.com",
            "api.example.123",
        ] {
            assert!(name_error(bad).is_some(), "{bad}");
        }
        assert!(name_error(&format!("{}.com", "a".repeat(64))).is_some());
        assert!(name_error(&format!("{}com", "abcdefghi.".repeat(26))).is_some());
    }

    #[test]
    fn base_paths_have_no_outer_slashes() {
        assert_eq!(base_path_error("v1/orders"), None);
        for bad in ["", "/v1", "v1/", "v1//x", "v 1"] {
            assert!(base_path_error(bad).is_some(), "{bad}");
        }
    }
}
