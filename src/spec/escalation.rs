//! IAM actions that let whoever holds them gain more permissions than they were given
//! (privilege escalation), and when a statement grants one broadly enough to matter.
//!
//! A function whose role may pass any role, rewrite any policy or replace any function's
//! code can make itself an administrator: a bug or a compromised dependency in it then
//! owns the account. `rules.rs` warns (W304) when a statement allows one of these actions,
//! by name or through a wildcard such as `iam:Pass*` or `*`, on `*` or a wildcard ARN.

/// A privilege-escalation action, the service whose ARNs its resources are, and what it
/// allows (the warning's help).
pub struct Escalation {
    pub action: &'static str,
    resource_service: &'static str,
    pub allows: &'static str,
}

const fn e(
    action: &'static str,
    resource_service: &'static str,
    allows: &'static str,
) -> Escalation {
    Escalation {
        action,
        resource_service,
        allows,
    }
}

/// The known ones: IAM's own, assuming roles, and Lambda's that run code under a role.
pub const ESCALATIONS: &[Escalation] = &[
    e(
        "iam:PassRole",
        "iam",
        "hand any role to a service it starts (a Lambda function, an EC2 instance, a Glue job) and act with that role's permissions",
    ),
    e(
        "iam:CreateRole",
        "iam",
        "create roles that trust whoever it chooses, itself included",
    ),
    e(
        "iam:AttachRolePolicy",
        "iam",
        "attach any managed policy, AdministratorAccess too, to a role, its own included",
    ),
    e(
        "iam:PutRolePolicy",
        "iam",
        "write any inline policy into a role, its own included",
    ),
    e(
        "iam:CreatePolicyVersion",
        "iam",
        "rewrite a managed policy, and so every role, user and group it is attached to",
    ),
    e(
        "iam:SetDefaultPolicyVersion",
        "iam",
        "switch a managed policy to another of its versions, a broader one too",
    ),
    e(
        "iam:UpdateAssumeRolePolicy",
        "iam",
        "change who may assume a role, so that it can assume any role",
    ),
    e(
        "iam:DeleteRolePermissionsBoundary",
        "iam",
        "remove the boundary that limits a role",
    ),
    e(
        "iam:PutRolePermissionsBoundary",
        "iam",
        "replace the boundary that limits a role with a looser one",
    ),
    e(
        "iam:CreateAccessKey",
        "iam",
        "make access keys for any user and act as that user",
    ),
    e(
        "iam:CreateLoginProfile",
        "iam",
        "give any user a console password and sign in as them",
    ),
    e(
        "iam:UpdateLoginProfile",
        "iam",
        "change any user's console password and sign in as them",
    ),
    e(
        "iam:AttachUserPolicy",
        "iam",
        "attach any managed policy to a user",
    ),
    e(
        "iam:PutUserPolicy",
        "iam",
        "write any inline policy into a user",
    ),
    e(
        "iam:DeleteUserPermissionsBoundary",
        "iam",
        "remove the boundary that limits a user",
    ),
    e(
        "iam:PutUserPermissionsBoundary",
        "iam",
        "replace the boundary that limits a user with a looser one",
    ),
    e(
        "iam:AttachGroupPolicy",
        "iam",
        "attach any managed policy to a group",
    ),
    e(
        "iam:PutGroupPolicy",
        "iam",
        "write any inline policy into a group",
    ),
    e(
        "iam:AddUserToGroup",
        "iam",
        "add a user to any group, an administrators' group too",
    ),
    e(
        "sts:AssumeRole",
        "iam",
        "act as any role whose trust policy lets this account in",
    ),
    e(
        "lambda:CreateFunction",
        "lambda",
        "create functions, which with iam:PassRole run code under any role",
    ),
    e(
        "lambda:UpdateFunctionCode",
        "lambda",
        "replace the code of any function and run it with that function's role",
    ),
    e(
        "lambda:UpdateFunctionConfiguration",
        "lambda",
        "change any function's role, layers and environment",
    ),
];

/// The escalation actions an action or action pattern allows: `iam:PassRole` itself, or
/// every one that `iam:Pass*`, `iam:*Role*`, `iam:*` or `*` matches. IAM compares actions
/// without regard to case.
pub fn allowed_by(action: &str) -> Vec<&'static Escalation> {
    ESCALATIONS
        .iter()
        .filter(|e| wildcard_match(action, e.action))
        .collect()
}

/// Whether `resource` covers more than named resources for `escalation`: `*`, or a pattern
/// with `*` or `?` that could match its ARNs (`arn:aws:iam::123456789012:role/*` for
/// iam:PassRole, but not `arn:aws:s3:::bucket/*`, on which the action grants nothing).
pub fn broad_for(resource: &str, escalation: &Escalation) -> bool {
    if resource == "*" {
        return true;
    }
    if !resource.contains(['*', '?']) {
        return false;
    }
    match resource.split(':').nth(2) {
        Some(service) if resource.starts_with("arn:") => {
            wildcard_match(service, escalation.resource_service)
        }
        // `arn:*`, or a pattern that is not an ARN: it may match anything.
        _ => true,
    }
}

/// Whether `pattern` (IAM's wildcards: `*` any run of characters, `?` one) matches `text`,
/// as IAM compares actions (`ignore_case`) and resources (with case). `text`'s own
/// wildcards are plain characters, so a pattern covers a narrower one (`s3:*` covers
/// `s3:Get*`). The one matcher of slsr's: W304, the widening list and `slsr policy` use it.
pub fn wildcard_matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| match ignore_case {
        true => s.to_lowercase().chars().collect::<Vec<char>>(),
        false => s.chars().collect(),
    };
    let (pattern, text) = (fold(pattern), fold(text));
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is being tried against.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// An action pattern against an action: IAM compares actions without case.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    wildcard_matches(pattern, text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(action: &str) -> Vec<&'static str> {
        allowed_by(action).iter().map(|e| e.action).collect()
    }

    #[test]
    fn patterns_match_the_escalations_they_cover() {
        assert_eq!(names("iam:PassRole"), ["iam:PassRole"]);
        assert_eq!(names("IAM:passrole"), ["iam:PassRole"]);
        assert_eq!(names("iam:Pass*"), ["iam:PassRole"]);
        assert_eq!(names("iam:P?ssRole"), ["iam:PassRole"]);
        assert!(names("iam:*Role*").contains(&"iam:AttachRolePolicy"));
        assert!(!names("iam:*Role*").contains(&"iam:CreateAccessKey"));
        let iam = ESCALATIONS.iter().filter(|e| e.action.starts_with("iam:"));
        assert_eq!(names("iam:*").len(), iam.count());
        assert_eq!(names("*").len(), ESCALATIONS.len());
        assert_eq!(names("*:AssumeRole"), ["sts:AssumeRole"]);
        assert!(names("iam:Get*").is_empty());
        assert!(names("iam:PassRoles").is_empty());
        assert!(names("s3:*").is_empty());
        assert!(names("lambda:Update*").len() == 2);
    }

    #[test]
    fn a_resource_is_broad_when_it_could_match_the_actions_resources() {
        let pass = &ESCALATIONS[0];
        assert!(broad_for("*", pass));
        assert!(broad_for("arn:aws:iam::123456789012:role/*", pass));
        assert!(broad_for("arn:aws:iam::*:role/app-?", pass));
        assert!(broad_for("arn:*", pass));
        assert!(broad_for("arn:aws:*:*:*:*", pass));
        assert!(!broad_for("arn:aws:iam::123456789012:role/app", pass));
        assert!(!broad_for("arn:aws:s3:::bucket/*", pass));
        let code = allowed_by("lambda:UpdateFunctionCode")[0];
        assert!(broad_for(
            "arn:aws:lambda:us-east-1:123456789012:function:*",
            code
        ));
        assert!(!broad_for("arn:aws:iam::123456789012:role/*", code));
    }
}
