//! Custom domains of the HTTP API (`http_api.domain`) end to end through the real binary
//! against the emulator: the regional domain name and its API mapping planned from empty,
//! applied, read back with plain API Gateway v2 calls and planned clean; a base path's and a
//! certificate's change, each shown as its field and applied in place, and a certificate
//! changed by hand undone; a new name replacing both; `slsr outputs` printing the target AWS
//! gives for DNS; removal deleting the mapping and the domain.
//! Beside someone else's: a domain of the spec's name made by hand is a conflict, left
//! untouched; someone else's mapping on slsr's domain is kept through apply and destroy
//! (the domain handed over, not deleted).

use aws_sdk_apigatewayv2::types::{
    DomainNameConfiguration, EndpointType, ProtocolType, SecurityPolicy,
};

use crate::support::{
    Account, app, applied, applied_clean, apply_change, assert_clean, destroyed, has_all,
    planned_changes, slsr_on as slsr,
};

const NAME: &str = "api.dom-test.example.com";
const CERT_ONE: &str = "arn:aws:acm:us-east-1:123456789012:certificate/one";
const CERT_TWO: &str = "arn:aws:acm:us-east-1:123456789012:certificate/two";

const SPEC: &str = "service: dom
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: GET /hello
http_api:
  domain:
    name: api.dom-test.example.com
    certificate: arn:aws:acm:us-east-1:123456789012:certificate/one
    base_path: v1
outputs:
  dns_target: {value: '${http_api.domain_target}'}
  dns_zone: {value: '${http_api.domain_zone_id}'}
";

/// The spec without its domain (and the outputs that name it).
fn without_domain() -> String {
    SPEC.split("http_api:").next().unwrap().to_string()
}

async fn client(account: &Account) -> aws_sdk_apigatewayv2::Client {
    aws_sdk_apigatewayv2::Client::new(&account.config().await)
}

/// The id of the HTTP API named `name`, every page.
async fn api_id(apigw: &aws_sdk_apigatewayv2::Client, name: &str) -> String {
    let mut token = None;
    loop {
        let out = apigw.get_apis().set_next_token(token).send().await.unwrap();
        if let Some(api) = out.items().iter().find(|a| a.name() == Some(name)) {
            return api.api_id().unwrap().to_string();
        }
        token = out.next_token;
        assert!(token.is_some(), "no API {name}");
    }
}

/// Every mapping of a domain, every page: (key, API id, stage, mapping id), sorted.
async fn mappings(
    apigw: &aws_sdk_apigatewayv2::Client,
    domain: &str,
) -> Vec<(String, String, String, String)> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let out = apigw
            .get_api_mappings()
            .domain_name(domain)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for m in out.items() {
            all.push((
                m.api_mapping_key().unwrap_or_default().to_string(),
                m.api_id().unwrap().to_string(),
                m.stage().unwrap().to_string(),
                m.api_mapping_id().unwrap().to_string(),
            ));
        }
        token = out.next_token;
        if token.is_none() {
            all.sort();
            return all;
        }
    }
}

/// The names of every domain of the account, every page.
async fn domain_names(apigw: &aws_sdk_apigatewayv2::Client) -> Vec<String> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let out = apigw
            .get_domain_names()
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        all.extend(
            out.items()
                .iter()
                .map(|d| d.domain_name().unwrap().to_string()),
        );
        token = out.next_token;
        if token.is_none() {
            return all;
        }
    }
}

/// A domain's certificate, endpoint type, security policy, target and hosted zone.
async fn configuration(
    apigw: &aws_sdk_apigatewayv2::Client,
) -> (String, EndpointType, SecurityPolicy, String, String) {
    let out = apigw
        .get_domain_name()
        .domain_name(NAME)
        .send()
        .await
        .unwrap();
    let c = &out.domain_name_configurations()[0];
    (
        c.certificate_arn().unwrap().to_string(),
        c.endpoint_type().unwrap().clone(),
        c.security_policy().unwrap().clone(),
        c.api_gateway_domain_name().unwrap().to_string(),
        c.hosted_zone_id().unwrap().to_string(),
    )
}

async fn domain_tags(apigw: &aws_sdk_apigatewayv2::Client) -> Vec<(String, String)> {
    let out = apigw
        .get_domain_name()
        .domain_name(NAME)
        .send()
        .await
        .unwrap();
    let mut tags: Vec<(String, String)> = out
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.sort();
    tags
}

/// Someone else's HTTP API with a stage `prod`, made as a console user would: its id.
async fn their_api(apigw: &aws_sdk_apigatewayv2::Client) -> String {
    let id = apigw
        .create_api()
        .name("theirs")
        .protocol_type(ProtocolType::Http)
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap();
    apigw
        .create_stage()
        .api_id(&id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_and_its_mapping_are_planned_applied_changed_output_and_removed() {
    let spec = app("domains-lifecycle", SPEC);
    let account = Account::new().await;
    let apigw = client(&account).await;

    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            &format!("+ domain_name.http_api  {NAME}"),
            &format!("+ certificate = \"{CERT_ONE}\""),
            "+ endpoint_type = \"REGIONAL\"",
            "+ security_policy = \"TLS_1_2\"",
            "+ target = (known after apply)",
            "+ api_mapping.http_api",
            "+ base_path = \"v1\"",
            "+ stage = \"$default\"",
            "(known after apply: domain_name.http_api.target)",
            "(known after apply: domain_name.http_api.hosted_zone_id)",
        ],
    );
    // The dry run runs the writers and makes nothing.
    let dry = slsr(&account, "apply", &spec, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    has_all(
        &dry.stdout,
        &[
            "ApiGatewayV2.CreateDomainName",
            "ApiGatewayV2.CreateApiMapping",
        ],
    );
    assert!(domain_names(&apigw).await.is_empty());
    applied_clean(&account, &spec, &[]);

    let (certificate, endpoint, policy, target, zone) = configuration(&apigw).await;
    assert_eq!(certificate, CERT_ONE);
    assert_eq!(endpoint, EndpointType::Regional);
    assert_eq!(policy, SecurityPolicy::Tls12);
    assert!(
        target.starts_with("d-") && target.ends_with(".execute-api.us-east-1.amazonaws.com"),
        "{target}"
    );
    // API Gateway's regional hosted zone in us-east-1.
    assert_eq!(zone, "Z1UJRXOUMOOFQ8");
    assert_eq!(
        domain_tags(&apigw).await,
        [
            ("slsr:api".to_string(), "http_api".to_string()),
            ("slsr:service".into(), "dom".into()),
            ("slsr:stage".into(), "dev".into()),
        ]
    );
    let api = api_id(&apigw, "dom-dev").await;
    let first = mappings(&apigw, NAME).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (
            first[0].0.as_str(),
            first[0].1.as_str(),
            first[0].2.as_str()
        ),
        ("v1", api.as_str(), "$default")
    );

    // The outputs are the target and zone AWS gave.
    let out = slsr(&account, "outputs", &spec, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let values: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(values["dns_target"], target.as_str(), "{values}");
    assert_eq!(values["dns_zone"], "Z1UJRXOUMOOFQ8", "{values}");

    // A new base path: that field, the same mapping updated.
    apply_change(
        &account,
        &spec,
        SPEC.replace("base_path: v1", "base_path: v2"),
        &["~ api_mapping.http_api", "~ base_path: \"v1\" -> \"v2\""],
    );
    let moved = mappings(&apigw, NAME).await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(
        (moved[0].0.as_str(), moved[0].3.as_str()),
        ("v2", first[0].3.as_str())
    );

    // No base path: the root.
    apply_change(
        &account,
        &spec,
        SPEC.replace("    base_path: v1\n", ""),
        &["~ api_mapping.http_api", "- base_path: \"v2\" -> (none)"],
    );
    assert_eq!(mappings(&apigw, NAME).await[0].0, "");

    // A new certificate: that field, updated in place (the target stays).
    let two = SPEC
        .replace("    base_path: v1\n", "")
        .replace("certificate/one", "certificate/two");
    apply_change(
        &account,
        &spec,
        &two,
        &[
            "~ domain_name.http_api",
            &format!("~ certificate: \"{CERT_ONE}\" -> \"{CERT_TWO}\""),
        ],
    );
    let (certificate, _, _, after, _) = configuration(&apigw).await;
    assert_eq!(
        (certificate.as_str(), after.as_str()),
        (CERT_TWO, target.as_str())
    );

    // The certificate changed back by hand: drift, which the next apply undoes.
    apigw
        .update_domain_name()
        .domain_name(NAME)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(CERT_ONE)
                .endpoint_type(EndpointType::Regional)
                .security_policy(SecurityPolicy::Tls12)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drift = planned_changes(&account, &spec, &[]);
    has_all(
        &drift,
        &[&format!("~ certificate: \"{CERT_ONE}\" -> \"{CERT_TWO}\"")],
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(configuration(&apigw).await.0, CERT_TWO);

    // A new name: the domain and its mapping replaced, the old name gone.
    let renamed = two.replace("api.dom-test.example.com", "www.dom-test.example.com");
    apply_change(
        &account,
        &spec,
        &renamed,
        &[
            "-/+ domain_name.http_api",
            "~ domain: \"api.dom-test.example.com\" -> \"www.dom-test.example.com\"  # forces replacement",
            "-/+ api_mapping.http_api",
        ],
    );
    assert_eq!(domain_names(&apigw).await, ["www.dom-test.example.com"]);
    let remapped = mappings(&apigw, "www.dom-test.example.com").await;
    assert_eq!((remapped.len(), remapped[0].1.as_str()), (1, api.as_str()));

    // The domain removed: the mapping, then the domain, are deleted; the API stays.
    apply_change(
        &account,
        &spec,
        without_domain(),
        &[
            "- domain_name.http_api  www.dom-test.example.com",
            "- api_mapping.http_api",
        ],
    );
    assert!(domain_names(&apigw).await.is_empty());
    assert_eq!(api_id(&apigw, "dom-dev").await, api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_domain_is_a_conflict_and_their_mapping_on_slsrs_survives_destroy() {
    let spec = app("domains-others", SPEC);
    let account = Account::new().await;
    let apigw = client(&account).await;

    // A domain of the spec's name, made by hand without slsr's tags.
    apigw
        .create_domain_name()
        .domain_name(NAME)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(CERT_TWO)
                .endpoint_type(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    has_all(
        &out.stdout,
        &["domain_name.http_api", "without slsr's ownership tags"],
    );
    let refused = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_ne!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    let (certificate, ..) = configuration(&apigw).await;
    assert_eq!(certificate, CERT_TWO);
    assert!(domain_tags(&apigw).await.is_empty());
    assert!(mappings(&apigw, NAME).await.is_empty());

    // Theirs gone, slsr's made; then someone else maps their API on slsr's domain.
    apigw
        .delete_domain_name()
        .domain_name(NAME)
        .send()
        .await
        .unwrap();
    applied_clean(&account, &spec, &[]);
    let theirs = their_api(&apigw).await;
    apigw
        .create_api_mapping()
        .domain_name(NAME)
        .api_id(&theirs)
        .stage("prod")
        .api_mapping_key("partner")
        .send()
        .await
        .unwrap();
    let out = slsr(&account, "plan", &spec, &[]);
    has_all(
        &out.stdout,
        &[
            "= domain_name.http_api",
            &format!("{NAME}/partner"),
            &format!("API {theirs} stage prod"),
        ],
    );
    assert_clean(&account, &spec);
    let ours = api_id(&apigw, "dom-dev").await;

    // A change to slsr's mapping leaves theirs as it is.
    std::fs::write(&spec, SPEC.replace("base_path: v1", "base_path: v3")).unwrap();
    applied(&account, &spec, &[]);
    let both: Vec<(String, String, String)> = mappings(&apigw, NAME)
        .await
        .into_iter()
        .map(|(k, api, stage, _)| (k, api, stage))
        .collect();
    assert_eq!(
        both,
        [
            ("partner".to_string(), theirs.clone(), "prod".to_string()),
            ("v3".into(), ours, "$default".into()),
        ]
    );

    // Destroy: slsr's mapping goes; the domain keeps theirs, handed over (no slsr tags).
    let out = destroyed(&account, &spec, &[]);
    assert!(
        out.stdout.contains("domain_name.http_api"),
        "{}",
        out.stdout
    );
    let left: Vec<(String, String)> = mappings(&apigw, NAME)
        .await
        .into_iter()
        .map(|(k, api, _, _)| (k, api))
        .collect();
    assert_eq!(left, [("partner".to_string(), theirs)]);
    assert!(domain_tags(&apigw).await.is_empty());
}

/// The region the spec does not name comes from the profile: validation cannot know it,
/// and the plan refuses the certificate of another region at its line.
#[tokio::test]
async fn a_certificate_of_another_region_than_the_profiles_is_a_located_plan_error() {
    let spec = app("domains-region", SPEC);
    let account = Account::new().await;
    let profile = spec.with_file_name("aws-config");
    std::fs::write(&profile, "[default]\nregion = eu-west-1\n").unwrap();
    let mut validate = account.slsr();
    validate
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", &profile)
        .arg("validate")
        .arg("-f")
        .arg(&spec);
    let out = crate::support::run(&mut validate);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let mut plan = account.slsr();
    plan.env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", &profile)
        .arg("plan")
        .arg("-f")
        .arg(&spec);
    let out = crate::support::run(&mut plan);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    has_all(
        &out.stderr,
        &[
            "error[E106]: the certificate is in us-east-1, and the API is deployed to eu-west-1",
            "slsr.yaml:12:18",
            "request or import the certificate in ACM in eu-west-1",
        ],
    );
    assert!(!out.stdout.contains("domain_name"), "{}", out.stdout);
}

/// The first answer of each create and delete is lost after the call took effect: the
/// SDK's repeat is refused (the name, the base path exist; they are gone), and slsr takes
/// that as done once what exists is its own. One apply and one destroy, each without error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_domains_calls_makes_nothing_twice() {
    use crate::reliability::{losing_first, through};
    const CREATES: &[&str] = &[
        "ApiGatewayV2.CreateDomainName",
        "ApiGatewayV2.CreateApiMapping",
    ];
    const DELETES: &[&str] = &[
        "ApiGatewayV2.DeleteApiMapping",
        "ApiGatewayV2.DeleteDomainName",
    ];
    let spec = app("domains-lost", SPEC);
    let account = Account::new().await;
    let apigw = client(&account).await;
    let (proxy, _) = losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"]).await;
    let (out, _) = through(&proxy, &account, &["plan", "--detailed-exitcode"], &spec).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(domain_names(&apigw).await, [NAME]);
    assert_eq!(mappings(&apigw, NAME).await.len(), 1);

    losing_first(&account, &spec, DELETES, &["destroy", "--auto-approve"]).await;
    assert!(domain_names(&apigw).await.is_empty());
}

const REST_SPEC: &str = "service: rdom
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /hello
rest_api:
  domain:
    name: api.rdom-test.example.com
    certificate: arn:aws:acm:us-east-1:123456789012:certificate/one
    base_path: v1
outputs:
  dns_target: {value: '${rest_api.domain_target}'}
";

/// The id of the one REST API of the account, which is the service's.
async fn rest_api_id(account: &Account) -> String {
    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    let api = crate::ground_truth::the_rest_api(&rest).await;
    assert_eq!(api.name(), Some("rdom-dev"));
    api.id().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_apis_domain_maps_its_stage_and_is_output_changed_and_removed() {
    let spec = app("domains-rest", REST_SPEC);
    let account = Account::new().await;
    let apigw = client(&account).await;
    let name = "api.rdom-test.example.com";

    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            &format!("+ domain_name.rest_api  {name}"),
            &format!("+ certificate = \"{CERT_ONE}\""),
            "+ endpoint_type = \"REGIONAL\"",
            "+ api_mapping.rest_api",
            "+ api = \"rest_api.api\"",
            "+ base_path = \"v1\"",
            "+ stage = \"dev\"",
            "(known after apply: domain_name.rest_api.target)",
        ],
    );
    applied_clean(&account, &spec, &[]);

    // The domain is tagged as the REST API's, and maps the REST API's stage `dev` at v1.
    let id = rest_api_id(&account).await;
    let out = apigw
        .get_domain_name()
        .domain_name(name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.tags()
            .and_then(|t| t.get("slsr:api"))
            .map(String::as_str),
        Some("rest_api")
    );
    let target = out.domain_name_configurations()[0]
        .api_gateway_domain_name()
        .unwrap()
        .to_string();
    let first = mappings(&apigw, name).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(
        (
            first[0].0.as_str(),
            first[0].1.as_str(),
            first[0].2.as_str()
        ),
        ("v1", id.as_str(), "dev")
    );
    let out = slsr(&account, "outputs", &spec, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let values: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(values["dns_target"], target.as_str(), "{values}");

    // A new base path: that field, the same mapping updated; no new REST API.
    apply_change(
        &account,
        &spec,
        REST_SPEC.replace("base_path: v1", "base_path: v2"),
        &["~ api_mapping.rest_api", "~ base_path: \"v1\" -> \"v2\""],
    );
    let moved = mappings(&apigw, name).await;
    assert_eq!(
        (moved.len(), moved[0].0.as_str(), moved[0].3.as_str()),
        (1, "v2", first[0].3.as_str())
    );

    // The domain removed: its mapping and the domain deleted; the REST API stays.
    apply_change(
        &account,
        &spec,
        REST_SPEC.split("rest_api:").next().unwrap(),
        &[
            &format!("- domain_name.rest_api  {name}"),
            "- api_mapping.rest_api",
        ],
    );
    assert!(domain_names(&apigw).await.is_empty());
    assert_eq!(rest_api_id(&account).await, id);
    destroyed(&account, &spec, &[]);
}
