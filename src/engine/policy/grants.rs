//! The one list of the IAM actions slsr calls, by what needs them: each entry is a
//! statement of `slsr policy` (its Sid), when a spec needs it (the kinds of its desired
//! state, or always), its actions and how its resources follow from the spec. A new kind,
//! or a new call of a reader or writer, is one entry or one action added to an entry here;
//! `tests/integration/policy.rs` fails while a call slsr makes is missing.
//!
//! Actions that take no resource (list calls, `sts:GetCallerIdentity`,
//! `tag:GetResources`, ...) are granted on `*`, and only those.

use serde_json::{Value, json};

use super::Scope;
use crate::engine::model::Kind;
use crate::kinds;

/// One statement of the policy.
pub struct Grant {
    pub sid: &'static str,
    /// Whether the spec needs it.
    pub needed: fn(&Scope) -> bool,
    pub actions: &'static [&'static str],
    /// Its resources; a statement with none is left out.
    pub resources: fn(&Scope) -> Vec<String>,
    pub condition: fn(&Scope) -> Option<Value>,
}

fn always(_: &Scope) -> bool {
    true
}

fn anything(_: &Scope) -> Vec<String> {
    vec!["*".into()]
}

fn unconditional(_: &Scope) -> Option<Value> {
    None
}

/// `ARN-of-prefix*` and the ARNs of the exact names `kind` declares, made by `arn`.
fn named(s: &Scope, kind: Kind, arn: impl Fn(&str) -> String) -> Vec<String> {
    let mut out = vec![arn(&format!("{}*", s.prefix()))];
    out.extend(s.exact_names(kind).iter().map(|n| arn(n)));
    out
}

/// The roles slsr may hand to a service: its own (by path) and those the spec names by ARN.
fn passed_roles(s: &Scope) -> Vec<String> {
    let mut roles = vec![s.role_path_arn()];
    let named = s
        .attr_values(Kind::Function, kinds::function::ROLE)
        .into_iter()
        .chain(s.attr_values(Kind::StateMachine, kinds::state_machine::ROLE))
        .chain(s.attr_values(Kind::Rule, kinds::rule::TARGET_ROLE))
        .chain(s.attr_values(Kind::Schedule, kinds::schedule::TARGET_ROLE));
    let own = s.role_path_arn();
    roles.extend(named.filter(|arn| {
        arn.starts_with("arn:") && arn.contains(":role/") && !super::matches(&own, arn, false)
    }));
    roles
}

/// The services slsr hands roles to, as `iam:PassedToService` names them.
fn passed_to(s: &Scope) -> Option<Value> {
    let mut services = Vec::new();
    for (kind, service) in [
        (Kind::Function, "lambda.amazonaws.com"),
        (Kind::StateMachine, "states.amazonaws.com"),
        (Kind::Rule, "events.amazonaws.com"),
        (Kind::Schedule, "scheduler.amazonaws.com"),
    ] {
        if s.has(kind) {
            services.push(service);
        }
    }
    Some(json!({"StringEquals": {"iam:PassedToService": services}}))
}

fn lambda_functions(s: &Scope) -> Vec<String> {
    // Qualified ARNs too: an alias (`NAME:live`) and its versions.
    let f = s.arn("lambda", &format!("function:{}*", s.prefix()));
    vec![f.clone(), format!("{f}:*")]
}

/// Event source mappings are named by UUIDs: any mapping, of slsr's functions only.
fn of_slsr_functions(s: &Scope) -> Option<Value> {
    Some(json!({"ArnLike": {"lambda:FunctionArn": lambda_functions(s)}}))
}

fn has_functions(s: &Scope) -> bool {
    s.has(Kind::Function)
}

/// The repositories of the functions' images:
/// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG` or `@sha256:...`.
fn image_repositories(s: &Scope) -> Vec<String> {
    // From the spec: the desired state holds an image's URI only once its code is known.
    s.project
        .functions
        .values()
        .filter_map(|f| f.image.as_ref())
        .filter_map(|uri| {
            let (host, path) = uri.split_once('/')?;
            let mut parts = host.split('.');
            let account = parts.next()?;
            let region = host.split(".ecr.").nth(1)?.split('.').next()?;
            let repo = path.split(['@', ':']).next()?;
            Some(format!(
                "arn:{}:ecr:{region}:{account}:repository/{repo}",
                s.partition
            ))
        })
        .collect()
}

fn topics(s: &Scope) -> Vec<String> {
    named(s, Kind::Topic, |n| s.arn("sns", n))
}

/// The topics slsr subscribes to, slsr's and those the events name by ARN, and their
/// subscriptions (`TOPIC:ID`).
fn subscribed_topics(s: &Scope) -> Vec<String> {
    let mut out = topics(s);
    for arn in s.attr_values(Kind::Subscription, kinds::subscription::TOPIC_ARN) {
        out.push(format!("{arn}:*"));
        out.push(arn);
    }
    out.iter()
        .flat_map(|t| [t.clone(), format!("{t}:*")])
        .collect()
}

fn buckets(s: &Scope) -> Vec<String> {
    named(s, Kind::Bucket, |n| format!("arn:{}:s3:::{n}", s.partition))
}

/// The buckets whose notification documents hold slsr's entries: its own and those the
/// `s3` events name.
fn notified_buckets(s: &Scope) -> Vec<String> {
    let mut out = buckets(s);
    out.extend(s.attr_values(
        Kind::BucketNotification,
        kinds::bucket_notification::BUCKET_ARN,
    ));
    out
}

fn log_groups(s: &Scope) -> Vec<String> {
    let mut out = vec![s.arn("logs", &format!("log-group:/aws/lambda/{}*", s.prefix()))];
    if s.has(Kind::StateMachine) {
        out.push(s.arn(
            "logs",
            &format!("log-group:/aws/vendedlogs/states/{}*", s.prefix()),
        ));
        out.extend(
            s.exact_names(Kind::StateMachine)
                .iter()
                .map(|n| s.arn("logs", &format!("log-group:/aws/vendedlogs/states/{n}*"))),
        );
    }
    if s.has(Kind::RestApi) {
        // The REST API's access log group, exactly (its name has no trailing `-`), with
        // and without the `:*` of its streams; granted with the API, so that dropping
        // `access_log` may delete it.
        let group = kinds::rest_access_log::group_name(&s.service, &s.stage);
        out.push(s.arn("logs", &format!("log-group:{group}")));
        out.push(s.arn("logs", &format!("log-group:{group}:*")));
    }
    out
}

/// `${ssm:/path}` parameters the spec reads and the outputs it publishes, by ARN
/// (`parameter/path`, without the leading slash).
fn parameters(s: &Scope, read: bool) -> Vec<String> {
    let paths: Vec<String> = if read {
        crate::engine::ssm::references(&s.state)
            .into_iter()
            .collect()
    } else {
        s.of(Kind::Parameter).map(|r| r.name.clone()).collect()
    };
    paths
        .iter()
        .map(|p| {
            // A selector (`/db/pass:3`) is not part of the parameter's name.
            let name = p.split(':').next().unwrap_or(p);
            s.arn(
                "ssm",
                &format!("parameter/{}", name.trim_start_matches('/')),
            )
        })
        .collect()
}

/// Every statement `slsr policy` can print, in its order.
pub static GRANTS: &[Grant] = &[
    Grant {
        sid: "ReadAccountWide",
        needed: always,
        // The list calls every plan makes, which take no resource: each reader lists its
        // service and keeps what has the service's prefix or tags.
        actions: &[
            "sts:GetCallerIdentity",
            "tag:GetResources",
            "lambda:ListFunctions",
            "lambda:ListEventSourceMappings",
            "iam:GetAccountAuthorizationDetails",
            "sqs:ListQueues",
            "events:ListEventBuses",
            "events:ListRules",
            "logs:DescribeLogGroups",
            "ssm:DescribeParameters",
            "dynamodb:ListTables",
            "s3:ListAllMyBuckets",
            "sns:ListTopics",
            "kinesis:ListStreams",
            "states:ListStateMachines",
            "scheduler:ListScheduleGroups",
            "scheduler:ListSchedules",
            "secretsmanager:ListSecrets",
            // The quota preflight's read of the account's Lambda limits and usage.
            "lambda:GetAccountSettings",
            // The alarms under the prefix (DescribeAlarms by prefix names no one alarm), and
            // `plan --cost`'s metrics, which IAM scopes to no resource.
            "cloudwatch:DescribeAlarms",
            "cloudwatch:GetMetricData",
        ],
        resources: anything,
        condition: unconditional,
    },
    Grant {
        sid: "HttpApiList",
        needed: always,
        // API Gateway's IAM is by HTTP method and path; the listings of APIs and of custom
        // domain names (read in every plan, to find slsr's) are paths.
        actions: &["apigateway:GET"],
        resources: |s| {
            ["/apis", "/domainnames"]
                .iter()
                .map(|p| format!("arn:{}:apigateway:{}::{p}", s.partition, s.region))
                .collect()
        },
        condition: unconditional,
    },
    Grant {
        sid: "RestApiList",
        needed: always,
        // Every plan looks for the REST API by name (GetRestApis), a path as the HTTP APIs'.
        actions: &["apigateway:GET"],
        resources: |s| {
            vec![format!(
                "arn:{}:apigateway:{}::/restapis",
                s.partition, s.region
            )]
        },
        condition: unconditional,
    },
    Grant {
        sid: "DeployLock",
        needed: |s| s.lock().is_some(),
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        ],
        resources: |s| {
            s.lock()
                .map(|t| vec![s.arn("dynamodb", &format!("table/{t}"))])
                .unwrap_or_default()
        },
        condition: unconditional,
    },
    Grant {
        sid: "Roles",
        // With functions even when the spec names every role by ARN: slsr deletes the
        // roles it made for them before.
        needed: |s| s.has(Kind::Role) || s.has(Kind::Function),
        actions: &[
            "iam:GetRole",
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:PutRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
        ],
        resources: |s| vec![s.role_path_arn()],
        condition: unconditional,
    },
    Grant {
        sid: "PassRoles",
        needed: |s| {
            [
                Kind::Function,
                Kind::StateMachine,
                Kind::Rule,
                Kind::Schedule,
            ]
            .iter()
            .any(|k| s.has(*k))
        },
        actions: &["iam:PassRole"],
        resources: passed_roles,
        condition: passed_to,
    },
    Grant {
        sid: "Functions",
        needed: has_functions,
        // Functions and what hangs off them: concurrency, async configs, URLs, the `live`
        // alias and its versions, resource-policy statements, tags.
        actions: &[
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
            "lambda:PutFunctionConcurrency",
            "lambda:DeleteFunctionConcurrency",
            "lambda:GetFunctionEventInvokeConfig",
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:DeleteFunctionEventInvokeConfig",
            "lambda:GetFunctionUrlConfig",
            "lambda:CreateFunctionUrlConfig",
            "lambda:UpdateFunctionUrlConfig",
            "lambda:DeleteFunctionUrlConfig",
            "lambda:GetAlias",
            "lambda:CreateAlias",
            "lambda:UpdateAlias",
            "lambda:DeleteAlias",
            "lambda:PublishVersion",
            "lambda:GetProvisionedConcurrencyConfig",
            "lambda:PutProvisionedConcurrencyConfig",
            "lambda:DeleteProvisionedConcurrencyConfig",
            "lambda:GetPolicy",
            "lambda:AddPermission",
            "lambda:RemovePermission",
            "lambda:ListTags",
            "lambda:TagResource",
            "lambda:UntagResource",
        ],
        resources: lambda_functions,
        condition: unconditional,
    },
    Grant {
        sid: "EventSourceMappingsCreate",
        needed: |s| s.has(Kind::EventSourceMapping),
        // CreateEventSourceMapping takes no resource: the function it is for is the
        // condition.
        actions: &["lambda:CreateEventSourceMapping"],
        resources: anything,
        condition: of_slsr_functions,
    },
    Grant {
        sid: "EventSourceMappings",
        needed: |s| s.has(Kind::EventSourceMapping),
        actions: &[
            "lambda:GetEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
            "lambda:DeleteEventSourceMapping",
            "lambda:ListTags",
            "lambda:TagResource",
            "lambda:UntagResource",
        ],
        resources: |s| vec![s.arn("lambda", "event-source-mapping:*")],
        condition: unconditional,
    },
    Grant {
        sid: "FunctionLayers",
        needed: |s| {
            !s.attr_values(Kind::Function, kinds::function::LAYERS)
                .is_empty()
        },
        actions: &["lambda:GetLayerVersion"],
        resources: |s| s.attr_values(Kind::Function, kinds::function::LAYERS),
        condition: unconditional,
    },
    Grant {
        sid: "FunctionImages",
        needed: |s| !image_repositories(s).is_empty(),
        // Lambda reads the image as the caller, and sets the repository's policy so it
        // can read it again.
        actions: &[
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:GetRepositoryPolicy",
            "ecr:SetRepositoryPolicy",
        ],
        resources: image_repositories,
        condition: unconditional,
    },
    Grant {
        sid: "FunctionKeys",
        needed: |s| {
            !s.attr_values(Kind::Function, kinds::function::KMS_KEY_ARN)
                .is_empty()
        },
        // A function's environment encrypted with the spec's key.
        actions: &["kms:Encrypt", "kms:Decrypt", "kms:CreateGrant"],
        resources: |s| s.attr_values(Kind::Function, kinds::function::KMS_KEY_ARN),
        condition: unconditional,
    },
    Grant {
        sid: "FunctionNetworks",
        needed: |s| {
            !s.attr_values(Kind::Function, kinds::function::SUBNET_IDS)
                .is_empty()
        },
        // Lambda checks a function's subnets and security groups as the caller; EC2's
        // describe calls take no resource.
        actions: &[
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeVpcs",
        ],
        resources: anything,
        condition: unconditional,
    },
    Grant {
        sid: "LogGroups",
        needed: |s| s.has(Kind::LogGroup),
        actions: &[
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:ListTagsForResource",
            "logs:TagResource",
            "logs:UntagResource",
        ],
        resources: log_groups,
        condition: unconditional,
    },
    Grant {
        sid: "Alarms",
        needed: |s| s.has(Kind::Alarm),
        actions: &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ],
        resources: |s| vec![s.arn("cloudwatch", &format!("alarm:{}*", s.prefix()))],
        condition: unconditional,
    },
    Grant {
        sid: "Queues",
        needed: |s| s.has(Kind::Queue),
        actions: &[
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:TagQueue",
            "sqs:UntagQueue",
        ],
        resources: |s| vec![s.arn("sqs", &format!("{}*", s.prefix()))],
        condition: unconditional,
    },
    Grant {
        sid: "Tables",
        needed: |s| s.has(Kind::Table),
        actions: &[
            "dynamodb:DescribeTable",
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:UpdateTimeToLive",
            "dynamodb:DescribeContinuousBackups",
            "dynamodb:UpdateContinuousBackups",
            "dynamodb:ListTagsOfResource",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        ],
        resources: |s| named(s, Kind::Table, |n| s.arn("dynamodb", &format!("table/{n}"))),
        condition: unconditional,
    },
    Grant {
        sid: "Buckets",
        needed: |s| s.has(Kind::Bucket),
        // A bucket, its settings, and emptying it of every version before its deletion.
        actions: &[
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            // CreateBucket with tags (slsr tags a bucket as it makes it) needs it too.
            "s3:TagResource",
            "s3:GetBucketVersioning",
            "s3:PutBucketVersioning",
            "s3:GetLifecycleConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:GetBucketCORS",
            "s3:PutBucketCORS",
            "s3:GetEncryptionConfiguration",
            "s3:PutEncryptionConfiguration",
            "s3:GetBucketPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
        ],
        resources: buckets,
        condition: unconditional,
    },
    Grant {
        sid: "BucketObjects",
        needed: |s| s.has(Kind::Bucket),
        actions: &[
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
            "s3:AbortMultipartUpload",
        ],
        resources: |s| buckets(s).into_iter().map(|b| format!("{b}/*")).collect(),
        condition: unconditional,
    },
    Grant {
        sid: "BucketNotifications",
        needed: |s| s.has(Kind::BucketNotification) || s.has(Kind::Bucket),
        // slsr's entries in the shared notification documents of its buckets and of those
        // its `s3` events name.
        actions: &["s3:GetBucketNotification", "s3:PutBucketNotification"],
        resources: notified_buckets,
        condition: unconditional,
    },
    Grant {
        sid: "Topics",
        needed: |s| s.has(Kind::Topic),
        actions: &[
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:ListTagsForResource",
            "sns:TagResource",
            "sns:UntagResource",
        ],
        resources: topics,
        condition: unconditional,
    },
    Grant {
        sid: "Subscriptions",
        needed: |s| s.has(Kind::Subscription) || s.has(Kind::Topic),
        actions: &[
            "sns:ListSubscriptionsByTopic",
            "sns:Subscribe",
            "sns:Unsubscribe",
            "sns:GetSubscriptionAttributes",
            "sns:SetSubscriptionAttributes",
        ],
        resources: subscribed_topics,
        condition: unconditional,
    },
    Grant {
        sid: "Streams",
        needed: |s| s.has(Kind::Stream),
        actions: &[
            "kinesis:CreateStream",
            "kinesis:DeleteStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:ListTagsForStream",
            "kinesis:AddTagsToStream",
            "kinesis:RemoveTagsFromStream",
            "kinesis:IncreaseStreamRetentionPeriod",
            "kinesis:DecreaseStreamRetentionPeriod",
            "kinesis:StartStreamEncryption",
            "kinesis:StopStreamEncryption",
            "kinesis:UpdateShardCount",
            "kinesis:UpdateStreamMode",
        ],
        resources: |s| {
            named(s, Kind::Stream, |n| {
                s.arn("kinesis", &format!("stream/{n}"))
            })
        },
        condition: unconditional,
    },
    Grant {
        sid: "Secrets",
        needed: |s| s.has(Kind::Secret),
        // Never GetSecretValue: slsr generates a value and never reads it. A secret's ARN
        // ends with a suffix Secrets Manager gives.
        actions: &[
            "secretsmanager:CreateSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:UpdateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:RestoreSecret",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
        ],
        resources: |s| {
            let mut out = vec![s.arn("secretsmanager", &format!("secret:{}*", s.prefix()))];
            out.extend(
                s.exact_names(Kind::Secret)
                    .iter()
                    .map(|n| s.arn("secretsmanager", &format!("secret:{n}-??????"))),
            );
            out
        },
        condition: unconditional,
    },
    Grant {
        sid: "SecretValues",
        needed: |s| s.has(Kind::Secret),
        // The generated value: GetRandomPassword takes no resource.
        actions: &["secretsmanager:GetRandomPassword"],
        resources: anything,
        condition: unconditional,
    },
    Grant {
        sid: "StateMachines",
        needed: |s| s.has(Kind::StateMachine),
        actions: &[
            "states:CreateStateMachine",
            "states:DescribeStateMachine",
            "states:UpdateStateMachine",
            "states:DeleteStateMachine",
            "states:ListTagsForResource",
            "states:TagResource",
            "states:UntagResource",
        ],
        resources: |s| {
            named(s, Kind::StateMachine, |n| {
                s.arn("states", &format!("stateMachine:{n}"))
            })
        },
        condition: unconditional,
    },
    Grant {
        sid: "Buses",
        needed: |s| s.has(Kind::Bus),
        actions: &[
            "events:CreateEventBus",
            "events:DeleteEventBus",
            "events:DescribeEventBus",
            "events:ListTagsForResource",
            "events:TagResource",
            "events:UntagResource",
        ],
        resources: |s| vec![s.arn("events", &format!("event-bus/{}*", s.prefix()))],
        condition: unconditional,
    },
    Grant {
        sid: "Rules",
        needed: |s| s.has(Kind::Rule),
        // On the default bus (`rule/NAME`) and on any other (`rule/BUS/NAME`).
        actions: &[
            "events:DescribeRule",
            "events:PutRule",
            "events:DeleteRule",
            "events:ListTargetsByRule",
            "events:PutTargets",
            "events:RemoveTargets",
            "events:ListTagsForResource",
            "events:TagResource",
            "events:UntagResource",
        ],
        resources: |s| {
            vec![
                s.arn("events", &format!("rule/{}*", s.prefix())),
                s.arn("events", &format!("rule/*/{}*", s.prefix())),
            ]
        },
        condition: unconditional,
    },
    Grant {
        sid: "ScheduleGroups",
        needed: |s| s.has(Kind::ScheduleGroup),
        actions: &[
            "scheduler:GetScheduleGroup",
            "scheduler:CreateScheduleGroup",
            "scheduler:DeleteScheduleGroup",
            "scheduler:ListTagsForResource",
            "scheduler:TagResource",
            "scheduler:UntagResource",
        ],
        resources: |s| {
            vec![s.arn(
                "scheduler",
                &format!("schedule-group/{}-{}", s.service, s.stage),
            )]
        },
        condition: unconditional,
    },
    Grant {
        sid: "Schedules",
        needed: |s| s.has(Kind::Schedule),
        actions: &[
            "scheduler:GetSchedule",
            "scheduler:CreateSchedule",
            "scheduler:UpdateSchedule",
            "scheduler:DeleteSchedule",
        ],
        resources: |s| {
            vec![s.arn(
                "scheduler",
                &format!("schedule/{}-{}/*", s.service, s.stage),
            )]
        },
        condition: unconditional,
    },
    Grant {
        sid: "HttpApis",
        needed: |s| s.has(Kind::HttpApi),
        // API Gateway's IAM is by HTTP method on the resource's path, and HTTP APIs are
        // named by ids AWS gives: any API of the region, as API Gateway allows no
        // narrower grant by name. slsr changes only the one it owns (by its tags).
        actions: &[
            "apigateway:GET",
            "apigateway:POST",
            "apigateway:PATCH",
            "apigateway:PUT",
            "apigateway:DELETE",
        ],
        resources: |s| {
            ["/apis", "/apis/*", "/tags/*"]
                .iter()
                .map(|p| format!("arn:{}:apigateway:{}::{p}", s.partition, s.region))
                .collect()
        },
        condition: unconditional,
    },
    Grant {
        sid: "RestApis",
        needed: |s| s.has(Kind::RestApi),
        // As for HTTP APIs: IAM is by HTTP method on the path, and REST APIs are named by
        // ids AWS gives, so any REST API of the region (its resources, methods,
        // integrations, authorizers, deployments and stages under it) and its tags; slsr changes only
        // the one it owns (by its tags). API keys and usage plans (`/apikeys`, `/usageplans`,
        // their keys under them) are read with every REST API's plan, and are named by ids too.
        actions: &[
            "apigateway:GET",
            "apigateway:POST",
            "apigateway:PATCH",
            "apigateway:PUT",
            "apigateway:DELETE",
        ],
        resources: |s| {
            [
                "/restapis",
                "/restapis/*",
                "/tags/*",
                "/apikeys",
                "/apikeys/*",
                "/usageplans",
                "/usageplans/*",
            ]
            .iter()
            .map(|p| format!("arn:{}:apigateway:{}::{p}", s.partition, s.region))
            .collect()
        },
        condition: unconditional,
    },
    Grant {
        sid: "RestApiAccount",
        needed: |s| kinds::rest_access_log::wanted(&s.state),
        // A plan of a REST API with an access log reads the account's API Gateway settings
        // (GetAccount) for the CloudWatch Logs role AWS needs; slsr never changes them.
        actions: &["apigateway:GET"],
        resources: |s| {
            vec![format!(
                "arn:{}:apigateway:{}::/account",
                s.partition, s.region
            )]
        },
        condition: unconditional,
    },
    Grant {
        sid: "CustomDomains",
        needed: |s| s.has(Kind::DomainName),
        // A domain is made on the collection's path (POST /domainnames), changed and
        // deleted on its own, and its API mappings are paths under it; its tags are
        // written through /tags/ARN.
        actions: &[
            "apigateway:GET",
            "apigateway:POST",
            "apigateway:PATCH",
            "apigateway:DELETE",
        ],
        resources: |s| {
            let at = |p: &str| format!("arn:{}:apigateway:{}::{p}", s.partition, s.region);
            let mut out = vec![at("/domainnames"), at("/tags/*")];
            for name in s.of(Kind::DomainName).map(|r| r.name.clone()) {
                out.push(at(&format!("/domainnames/{name}")));
                out.push(at(&format!("/domainnames/{name}/*")));
            }
            out
        },
        condition: unconditional,
    },
    Grant {
        sid: "ParametersRead",
        needed: |s| !parameters(s, true).is_empty(),
        // The `${ssm:/path}` parameters the spec reads.
        actions: &["ssm:GetParameters"],
        resources: |s| parameters(s, true),
        condition: unconditional,
    },
    Grant {
        sid: "ParametersPublished",
        needed: |s| s.has(Kind::Parameter),
        // The outputs the spec publishes to SSM.
        actions: &[
            "ssm:GetParameters",
            "ssm:PutParameter",
            "ssm:DeleteParameter",
            "ssm:ListTagsForResource",
            "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
        ],
        resources: |s| parameters(s, false),
        condition: unconditional,
    },
    Grant {
        sid: "Operate",
        needed: |s| s.operate && s.has(Kind::Function),
        // `slsr logs` and `slsr invoke` (with `--operate`): not needed to deploy.
        actions: &[
            "lambda:InvokeFunction",
            "logs:FilterLogEvents",
            "logs:GetLogEvents",
            "logs:DescribeLogStreams",
        ],
        resources: |s| {
            let mut out = lambda_functions(s);
            out.extend(log_groups(s));
            out
        },
        condition: unconditional,
    },
];
