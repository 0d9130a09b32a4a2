//! Secrets stay secret: SecureStrings resolve exactly (pinned versions and labels too) or
//! the plan fails at the reference; they go only where slsr can keep them masked; values
//! that look secret by their content are masked in every format and in saved plans. Through
//! the real binary against the emulator; parameters made and functions read with plain SDK
//! calls.

use crate::ground_truth::env_of;
use crate::support::{Account, app, slsr_on as slsr};

async fn put_secure(ssm: &aws_sdk_ssm::Client, name: &str, value: &str) {
    ssm.put_parameter()
        .name(name)
        .value(value)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

const VERSIONS: &str = "service: sec
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      PINNED: ${ssm:/sec/db-password:1}
      LABELLED: ${ssm:/sec/db-password:stable}
      LATEST: ${ssm:/sec/db-password}
";

#[tokio::test]
async fn pinned_and_labelled_secure_strings_resolve_exactly_or_fail_at_the_reference() {
    let spec = app("sec-versions", VERSIONS);
    let account = Account::new().await;
    let config = account.config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    put_secure(&ssm, "/sec/db-password", "first-Secret-1").await;
    put_secure(&ssm, "/sec/db-password", "second-Secret-2").await;
    ssm.label_parameter_version()
        .name("/sec/db-password")
        .parameter_version(1)
        .labels("stable")
        .send()
        .await
        .unwrap();

    let out = slsr(&account, "plan", &spec, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        !out.stdout.contains("Secret-") && !out.stdout.contains("${ssm:"),
        "{}",
        out.stdout
    );
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("Secret-"), "{}", out.stdout);
    let env = env_of(&aws_sdk_lambda::Client::new(&config), "sec-dev-api").await;
    assert_eq!(env["PINNED"], "first-Secret-1");
    assert_eq!(env["LABELLED"], "first-Secret-1");
    assert_eq!(env["LATEST"], "second-Secret-2");
    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // A version the parameter does not have: an error at the reference, and no plan.
    std::fs::write(&spec, VERSIONS.replace("db-password:1}", "db-password:7}")).unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("error[E402]: SSM parameter `/sec/db-password:7` does not exist"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("slsr.yaml:8:15"), "{}", out.stderr);
}

const OUTSIDE_ENV: &str = "service: sec
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    description: calls with ${ssm:/sec/token}
    env: {TOKEN: '${ssm:/sec/token}'}
outputs:
  token: {value: 'x-${ssm:/sec/token}'}
";

#[tokio::test]
async fn a_secure_string_outside_env_is_an_error_at_its_line() {
    let spec = app("sec-outside", OUTSIDE_ENV);
    let account = Account::new().await;
    let ssm = aws_sdk_ssm::Client::new(&account.config().await);
    put_secure(&ssm, "/sec/token", "tok-Secret-9").await;
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(!out.stderr.contains("tok-Secret-9"), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "error[E400]: `/sec/token` is a SecureString, and only a function's `env` may take one"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("slsr.yaml:7:29"), "{}", out.stderr);
    assert!(
        out.stderr.contains("slsr.yaml:10:21"),
        "the output too:\n{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("error[E400]").count(),
        2,
        "{}",
        out.stderr
    );
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1);
    let functions = aws_sdk_lambda::Client::new(&account.config().await)
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(functions.functions().is_empty(), "nothing was made");

    // In env alone it plans.
    let env_only = "service: sec\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    env: {TOKEN: '${ssm:/sec/token}'}\n";
    std::fs::write(&spec, env_only).unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

#[tokio::test]
async fn a_role_in_another_account_is_an_error_at_its_line() {
    let spec = "service: sec\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    role: arn:aws:iam::999999999999:role/shared\n";
    let spec = app("sec-role", spec);
    let account = Account::new().await;
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error[E401]: function `api`'s role is in account 999999999999"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("slsr.yaml:7:11"), "{}", out.stderr);
}

const LOOKS_SECRET: &str = "service: sec
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      DATABASE_URL: postgres://app:Hunter2-pw@db.internal/app
      STRIPE: sk_live_51HxYzAbCdEfGhIjKlMnOpQr
      SIGNING: 8a7Fq2LmZ9xYc4Rt1Vb6Nw3Ks0Pe5HjT
      GREETING: hello-world
outputs:
  dsn: {value: 'postgres://app:Hunter2-pw@db.internal/app', ssm: /sec/dsn}
";

#[tokio::test]
async fn values_that_look_secret_are_masked_in_every_format_and_in_saved_plans() {
    let spec = app("sec-content", LOOKS_SECRET);
    let account = Account::new().await;
    let secrets = [
        "Hunter2-pw",
        "sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
        "8a7Fq2LmZ9xYc4Rt1Vb6Nw3Ks0Pe5HjT",
    ];
    for format in ["text", "json", "markdown"] {
        let out = slsr(&account, "plan", &spec, &["--format", format]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        for secret in secrets {
            assert!(
                !out.stdout.contains(secret),
                "{format}: {secret}\n{}",
                out.stdout
            );
        }
        assert!(
            out.stdout.contains("hello-world"),
            "{format}:\n{}",
            out.stdout
        );
        // The output the plan publishes is listed, masked.
        let masked = match format {
            "text" => "  + dsn = (sensitive)",
            "json" => {
                "\"before\": null,\n      \"after\": \"(sensitive)\",\n      \"sensitive\": true"
            }
            _ => "| + create | `dsn` | `(none)` | `(sensitive)` |",
        };
        assert!(out.stdout.contains(masked), "{format}:\n{}", out.stdout);
    }
    let saved = spec.with_file_name("content.plan");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&saved).unwrap();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} in the saved plan");
    }
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for secret in secrets {
        assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    }
}
