#!/usr/bin/env python3
"""The test emulator: moto's server, patched where slsr depends on AWS behaviour that moto
lacks (see shared/design/emulator.md), so that a field's read-then-plan test is real.

Patches:
- Lambda provisioned concurrency (Get/Put/DeleteProvisionedConcurrencyConfig), which moto
  answers with 404: kept per account, region, function and qualifier, and READY at once.
- UpdateFunctionConfiguration also applies KMSKeyArn, TracingConfig and EphemeralStorage,
  and UpdateFunctionCode applies Architectures, which moto ignores (AWS applies them).
- AddPermission refuses a statement id the policy already has, with AWS's
  ResourceConflictException (moto adds a second statement).
- CreateEventSourceMapping refuses a second mapping of one queue to one function, with
  AWS's ResourceConflictException (moto's check for it never matches).
- API Gateway v2 CreateRoute refuses a route key the API has, and CreateStage a stage name
  it has, with AWS's ConflictException (moto adds a second route, replaces the stage).
- PutFunctionEventInvokeConfig replaces the function's config, as AWS does (moto keeps
  the first and adds the new one behind it, so a change never shows).
- API Gateway v2 GetAuthorizers lists an API's authorizers (moto has no handler for it).
- API Gateway v2 custom domains: AWS's ApiGatewayDomainName, HostedZoneId and status in
  each configuration, tags by TagResource, UpdateDomainName and UpdateApiMapping (moto has
  neither), CreateApiMapping refusing a key the domain maps (see `_apigw_domains`).
- Lambda GetAccountSettings (moto answers 404): AWS's default limits, the unreserved pool
  less the functions' reserved concurrency, the functions' code as the usage; a test sets
  its own account's limits and usage with the `x-slsr-account-settings` header.

- Lambda function URLs as AWS has them: a second CreateFunctionUrlConfig is refused
  (ResourceConflictException), the invoke mode reads BUFFERED or RESPONSE_STREAM, and
  UpdateFunctionConfig sets the invoke mode and takes an empty CORS block as none (moto
  replaced the config, answered `Buffered`, and ignored both). AddPermission's
  FunctionUrlAuthType, InvokedViaFunctionUrl and EventSourceToken become the statement's
  conditions (`lambda:FunctionUrlAuthType`, `lambda:InvokedViaFunctionUrl`,
  `lambda:EventSourceToken`), as AWS writes them (moto kept the first two as keys of the
  statement and dropped the third).
- CloudWatch Logs DeleteLogGroup forgets the group's tags, as AWS does (moto kept them
  under the ARN, and a new group of the same name inherited them).
- SSM GetParameters names the selector of a parameter asked for by version or label
  (`/db/pass:3`, `/db/pass:prod`) in `Selector`, as AWS does (moto leaves it out, so an
  answer could not be told from one for another version of the name).
- DynamoDB as AWS has it: a table's stream, once disabled, takes no more records and can
  be enabled again with a new view type and a new ARN (moto refused any second stream, and
  a PutItem after the disable failed with a 500); UpdateTable refuses more than one index
  created or deleted in one call (moto did them all), and an index that exists or does not
  with a ValidationException (moto answered 500); UpdateTimeToLive refuses to turn on
  what is on, off what is off, or another attribute while one is on (moto took each);
  TagResource replaces a key's value (moto added a second tag of the same key).

- S3: CreateBucket takes tags in CreateBucketConfiguration (AWS since 2025; moto ignores
  them); PutBucketTagging refuses to drop the bucket's `aws:` tags, as AWS does; GetBucketNotificationConfiguration answers the EventBridge setting, and
  NotificationConfiguration for a bucket without notifications, and GetBucketVersioning
  VersioningConfiguration, AWS's root elements (moto answers GetBucketNotificationResponse
  and GetBucketVersioningResponse, which the Rust SDK refuses); PutBucketNotificationConfiguration
  refuses a Lambda destination whose policy does not let S3 invoke it from the bucket, with
  AWS's InvalidArgument "Unable to validate the following destination configurations" (moto
  writes any ARN), so an entry written before its permission fails as on AWS.

- CloudWatch in the Smithy RPC v2 CBOR protocol the Rust SDK speaks (moto serves its query
  and JSON protocols): each call turned into JSON 1.0 and its answer back into CBOR.
  DeleteAlarms forgets the alarm's tags (moto kept them for the next alarm of the name), and
  PutMetricAlarm's Tags count only when it makes the alarm (moto applied them to an existing
  one too), as on AWS.

- API Gateway v1 UpdateStage refuses an access log destination while the account names no
  CloudWatch Logs role (GetAccount's cloudwatchRoleArn), as AWS does (moto stored it).

- EventBridge Scheduler CreateScheduleGroup refuses a group that exists (ConflictException;
  moto replaced it, losing its schedules) and DeleteScheduleGroup one that does not
  (ResourceNotFoundException; moto answered 500).

These refusals are what make a create whose answer was lost safe to send again, so the
fault tests depend on them.

- IAM enforcement (only with INITIAL_NO_AUTH_ACTION_COUNT, for `slsr policy`'s tests): the
  resource of Lambda, IAM role, CreateQueue, CloudWatch Logs, DynamoDB, Kinesis, SNS, Step
  Functions, EventBridge, Scheduler, SSM, Secrets Manager and API Gateway v2 calls as AWS
  names it, IAM's spelling of API Gateway's and the tagging API's actions, iam:PassRole where
  a call hands Lambda, Step Functions, EventBridge or Scheduler a role, and refusals in each
  protocol's format (see `_iam_enforcement_as_aws`).

Paging: every list call slsr makes answers in pages, as AWS does, with the token in the
service's own fields: Lambda ListFunctions and ListEventSourceMappings (Marker, MaxItems;
NextMarker), CloudWatch Logs DescribeLogGroups and FilterLogEvents (nextToken, limit;
FilterLogEvents interleaved across streams in time order), IAM
GetAccountAuthorizationDetails (Marker, MaxItems; IsTruncated, Marker), SQS ListQueues
(NextToken, MaxResults; paged only when MaxResults is set, as on AWS), EventBridge ListRules
and ListTargetsByRule (NextToken, Limit), API Gateway v2 GetApis, GetRoutes, GetIntegrations,
GetStages, GetAuthorizers, GetDomainNames and GetApiMappings (nextToken, maxResults), SSM DescribeParameters (NextToken,
MaxResults), S3 ListBuckets (continuation-token, max-buckets; with each bucket's
BucketRegion), ListObjectVersions (moto's own markers, pages held to the size),
ListMultipartUploads (key-marker and upload-id-marker), SNS ListTopics and
ListSubscriptionsByTopic (NextToken), EventBridge ListEventBuses (NextToken, Limit), Scheduler
ListScheduleGroups and ListSchedules (NextToken, MaxResults), Resource Groups Tagging API
GetResources (moto's own tokens, pages held to the size), DynamoDB ListTables
(ExclusiveStartTableName, Limit; LastEvaluatedTableName) and ListTagsOfResource (NextToken),
CloudWatch DescribeAlarms (NextToken, MaxRecords; composite alarms only when AlarmTypes asks).
A page holds at most SLSR_EMULATOR_PAGE_SIZE items (scripts/test sets it; AWS's
default page size when unset or 0), and fewer when the request asks. moto pages none of these by
itself, or (Logs, EventBridge, SQS, SSM) by a token that names the next item or an index: a
walk then stops short, fails or skips an item when items go between pages, and
ListTargetsByRule repeats its first page forever when two targets share an ARN.

For the peer deployers of bench/peers (not slsr): API Gateway (REST v1) ImportRestApi takes a
document whose info has no description, and ImportRestApi and PutRestApi take Swagger 2.0
(moto answers 500 and 400 to Chalice's Swagger); and CloudFormation's AWS::ApiGateway::RestApi
takes its name from Body's info.title when it has no Name, and imports Body's paths, as AWS
does (moto requires Name and ignores Body: SAM's implicit API failed to create). A role
that CloudFormation made keeps its inline policies as text, as AWS does (moto kept dicts, and
GetAccountAuthorizationDetails then answered 500 to every reader of the account's roles).

Run as moto_server: python scripts/moto_server.py -H 127.0.0.1 -p PORT
"""
import json
import sys
from urllib.parse import unquote

from moto.apigatewayv2 import models as apigw_models
from moto.apigatewayv2.exceptions import APIGatewayV2Error
from moto.awslambda import exceptions, models, policy, responses, urls
from moto.server import main

urls.url_paths[
    r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"
] = responses.LambdaResponse.dispatch

_provisioned = {}


def _key(self):
    name = unquote(self.path.split("/functions/")[1].split("/")[0])
    name = name.split(":")[-1] if name.startswith("arn:") else name
    qualifier = self.querystring.get("Qualifier", [""])[0]
    return (self.current_account, self.region, name, qualifier)


# moto's handlers answer (body, headers), with the status in headers["status"].
def _not_found():
    body = {"Type": "User", "Message": "No Provisioned Concurrency Config found for this function"}
    return json.dumps(body), {"status": 404, "x-amzn-ErrorType": "ProvisionedConcurrencyConfigNotFoundException"}


def get_provisioned_concurrency_config(self):
    count = _provisioned.get(_key(self))
    if count is None:
        return _not_found()
    return json.dumps({
        "RequestedProvisionedConcurrentExecutions": count,
        "AvailableProvisionedConcurrentExecutions": count,
        "AllocatedProvisionedConcurrentExecutions": count,
        "Status": "READY",
    }), {"status": 200}


def put_provisioned_concurrency_config(self):
    count = json.loads(self.body or "{}").get("ProvisionedConcurrentExecutions")
    _provisioned[_key(self)] = count
    return json.dumps({
        "RequestedProvisionedConcurrentExecutions": count,
        "AllocatedProvisionedConcurrentExecutions": 0,
        "Status": "IN_PROGRESS",
    }), {"status": 202}


def delete_provisioned_concurrency_config(self):
    if _provisioned.pop(_key(self), None) is None:
        return _not_found()
    return "", {"status": 204}


responses.LambdaResponse.get_provisioned_concurrency_config = get_provisioned_concurrency_config
responses.LambdaResponse.put_provisioned_concurrency_config = put_provisioned_concurrency_config
responses.LambdaResponse.delete_provisioned_concurrency_config = delete_provisioned_concurrency_config

_update_configuration = models.LambdaFunction.update_configuration


def update_configuration(self, config_updates):
    for key, value in config_updates.items():
        if key == "KMSKeyArn":
            self.kms_key_arn = value or None
        elif key == "TracingConfig":
            self.tracing_config = value
        elif key == "EphemeralStorage":
            self.ephemeral_storage = value["Size"]
    return _update_configuration(self, config_updates)


models.LambdaFunction.update_configuration = update_configuration

_update_function_code = models.LambdaFunction.update_function_code


def update_function_code(self, updated_spec):
    if updated_spec.get("Architectures"):
        self.architectures = updated_spec["Architectures"]
    return _update_function_code(self, updated_spec)


models.LambdaFunction.update_function_code = update_function_code

_add_statement = policy.Policy.add_statement


class StatementExists(exceptions.LambdaClientError):
    code = 409


def add_statement(self, raw, qualifier=None):
    sid = json.loads(raw).get("StatementId")
    if sid and any(s.get("Sid") == sid for s in self.statements):
        raise StatementExists(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement.",
        )
    return _add_statement(self, raw, qualifier)


policy.Policy.add_statement = add_statement


class MappingExists(exceptions.LambdaClientError):
    code = 409


_create_event_source_mapping = models.LambdaBackend.create_event_source_mapping


def create_event_source_mapping(self, spec):
    source = spec.get("EventSourceArn")
    function = (spec.get("FunctionName") or "").split(":")[-1]
    for esm in self._event_source_mappings.values():
        if esm.event_source_arn == source and esm.function_name.split(":")[-1] == function:
            raise MappingExists(
                "ResourceConflictException",
                f'An event source mapping with SQS arn (" {source} ") and function (" {function} ") already exists. Please update or delete the existing mapping with UUID {esm.uuid}',
            )
    return _create_event_source_mapping(self, spec)


models.LambdaBackend.create_event_source_mapping = create_event_source_mapping


def put_function_event_invoke_config(self, function_name, config):
    fn = self.get_function(function_name)
    fn.event_invoke_config = []
    return _put_function_event_invoke_config(self, function_name, config)


_put_function_event_invoke_config = models.LambdaBackend.put_function_event_invoke_config
models.LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config


from moto.apigatewayv2 import responses as apigw_responses


class Conflict(APIGatewayV2Error):
    code = 409

    def __init__(self, message):
        super().__init__("ConflictException", message)


_create_route = apigw_models.Api.create_route


def create_route(self, *args, **kwargs):
    key = kwargs.get("route_key")
    if any(route.route_key == key for route in self.routes.values()):
        raise Conflict(f"Route with key {key} already exists for this API")
    return _create_route(self, *args, **kwargs)


apigw_models.Api.create_route = create_route

_create_stage = apigw_models.Api.create_stage


def create_stage(self, config):
    if config.get("stageName") in self.stages:
        raise Conflict(f"Stage {config['stageName']} already exists")
    return _create_stage(self, config)


apigw_models.Api.create_stage = create_stage

class UrlExists(exceptions.LambdaClientError):
    code = 409


_create_url_config = models.LambdaFunction.create_url_config


def create_url_config(self, config):
    if self.url_config is not None:
        raise UrlExists(
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {self.function_arn}]. Error message:  FunctionUrlConfig exists for this Lambda function",
        )
    return _create_url_config(self, config)


models.LambdaFunction.create_url_config = create_url_config

_url_to_dict = models.FunctionUrlConfig.to_dict


def url_to_dict(self):
    out = _url_to_dict(self)
    out["InvokeMode"] = {"Buffered": "BUFFERED"}.get(out["InvokeMode"], out["InvokeMode"])
    if not out.get("Cors"):
        out.pop("Cors", None)
    return out


def url_update(self, new_config):
    if "Cors" in new_config:
        self.config["Cors"] = new_config["Cors"] or None
    for key in ("AuthType", "InvokeMode"):
        if new_config.get(key):
            self.config[key] = new_config[key]


models.FunctionUrlConfig.to_dict = url_to_dict
models.FunctionUrlConfig.update = url_update

_decode_policy = policy.Policy.decode_policy


def decode_policy(self, obj):
    conditions = {}
    if "FunctionUrlAuthType" in obj:
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = obj.pop("FunctionUrlAuthType")
    if "InvokedViaFunctionUrl" in obj:
        via = obj.pop("InvokedViaFunctionUrl")
        conditions.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true" if via in (True, "true") else "false"
    if "EventSourceToken" in obj:
        conditions.setdefault("StringEquals", {})["lambda:EventSourceToken"] = obj.pop("EventSourceToken")
    decoded = _decode_policy(self, obj)
    if conditions:
        statement = decoded.statements[-1]
        merged = statement.setdefault("Condition", {})
        for op, values in conditions.items():
            merged.setdefault(op, {}).update(values)
    return decoded


policy.Policy.decode_policy = decode_policy

from moto.logs import models as logs_models

_delete_log_group = logs_models.LogsBackend.delete_log_group


def delete_log_group(self, log_group_name):
    group = self.groups.get(log_group_name)
    _delete_log_group(self, log_group_name)
    if group is not None:
        self.tagger.delete_all_tags_for_resource(group.arn)


logs_models.LogsBackend.delete_log_group = delete_log_group

from moto.ssm import responses as ssm_responses
from moto.core.responses import ActionResult as _ActionResult


def ssm_get_parameters(self):
    names = self._get_param("Names")
    with_decryption = self._get_param("WithDecryption")
    result = self.ssm_backend.get_parameters(names)
    response = {"Parameters": [], "InvalidParameters": []}
    for asked, parameter in result.items():
        data = parameter.response_object(with_decryption, self.region)
        if not asked.startswith("arn:") and ":" in asked:
            data["Selector"] = ":" + asked.split(":", 1)[1]
        response["Parameters"].append(data)
    response["InvalidParameters"] = [n for n in names if n not in result]
    return _ActionResult(response)


ssm_responses.SimpleSystemManagerResponse.get_parameters = ssm_get_parameters

# ---------------------------------------------------------------------------------------------
# Paging (see the docstring). AWS pages every list call slsr makes, so each is answered here
# in pages of at most SLSR_EMULATOR_PAGE_SIZE items (scripts/test sets it small, so that every
# read in the suite must follow tokens to see everything), or of AWS's default size when it is
# unset; a smaller page size in the request is honoured, a larger one than AWS allows is cut
# to AWS's largest. A token names a position in a sorted order (the last key of its page), so
# a walk sees each item once even while items come and go. Items sort by name where they have
# one (AWS promises no order), so a test can tell which page holds what.
import base64
import os

PAGE_SIZE = int(os.environ.get("SLSR_EMULATOR_PAGE_SIZE") or 0)


def _page(items, key, token, requested, default, most=None):
    """One page of `items`: in `key` order (a string, or a tuple of them), those after the
    position `token` names; as many as `requested` (else AWS's `default`), at most AWS's `most`
    and PAGE_SIZE. Returns the page and the token for the next one, None when nothing follows.
    A token the emulator did not give fails the call."""
    ordered = sorted(items, key=key)
    if token:
        after = json.loads(base64.urlsafe_b64decode(token))["after"]
        after = tuple(after) if isinstance(after, list) else after
        ordered = [item for item in ordered if key(item) > after]
    size = int(requested) if requested else default
    for cap in (most, PAGE_SIZE):
        if cap:
            size = min(size, cap)
    page = ordered[:size]
    if len(ordered) <= size:
        return page, None
    return page, base64.urlsafe_b64encode(json.dumps({"after": key(page[-1])}).encode()).decode()


def _body(items_field, page, token_field, token):
    """An answer's fields: the page, and the token when there is one (AWS leaves it out on
    the last page)."""
    return {items_field: page, token_field: token} if token else {items_field: page}


# Lambda (REST, query string): Marker and MaxItems in, NextMarker out; 50 functions a page at
# most, and 100 mappings.
def list_functions(self):
    version = self.querystring.get("FunctionVersion", [None])[0]
    page, marker = _page(self.backend.list_functions(version), lambda f: f.function_arn,
                         self._get_param("Marker"), self._get_param("MaxItems"), 50, 50)
    return json.dumps(_body("Functions", [f.get_configuration() for f in page], "NextMarker", marker))


def list_event_source_mappings(self):
    mappings = self.backend.list_event_source_mappings(
        self._get_param("EventSourceArn"), self._get_param("FunctionName"))
    page, marker = _page(mappings, lambda m: m.uuid, self._get_param("Marker"),
                         self._get_param("MaxItems"), 100, 100)
    return json.dumps(_body("EventSourceMappings", [m.get_configuration() for m in page],
                            "NextMarker", marker))


responses.LambdaResponse.list_functions = list_functions
responses.LambdaResponse.list_event_source_mappings = list_event_source_mappings

# CloudWatch Logs (JSON): nextToken and limit (50 at most). moto's own paging is unwrapped.
from moto.logs import models as logs_models
from moto.logs import responses as logs_responses


def describe_log_groups(self):
    groups = logs_models.LogsBackend.describe_log_groups.__wrapped__(
        self.logs_backend, log_group_name_prefix=self._get_param("logGroupNamePrefix"))
    page, token = _page(groups, lambda g: g.name, self._get_param("nextToken"),
                        self._get_param("limit"), 50, 50)
    return json.dumps(_body("logGroups", [g.to_describe_dict() for g in page], "nextToken", token))


logs_responses.LogsResponse.describe_log_groups = describe_log_groups


# FilterLogEvents (`slsr logs`): nextToken and limit (10,000 events at most), every stream's
# events interleaved in time order as AWS always answers (it has ignored `interleaved` since
# 2019; moto orders across streams only when asked), events of one millisecond in the order
# they were put. moto answered everything in one page of up to 10,000.
def filter_log_events(self):
    group = self._get_param("logGroupName")
    events, _, searched = self.logs_backend.filter_log_events(
        group, self._get_param("logStreamNames", []), self._get_param("startTime"),
        self._get_param("endTime"), 10000, None, self._get_param("filterPattern"), True)
    page, token = _page(events, lambda e: (e["timestamp"], int(e["eventId"])),
                        self._get_param("nextToken"), self._get_param("limit"), 10000, 10000)
    body = _body("events", page, "nextToken", token)
    body["searchedLogStreams"] = searched
    return json.dumps(body)


logs_responses.LogsResponse.filter_log_events = filter_log_events

# IAM (query, XML): Marker and MaxItems (100 by default, 1000 at most) in; IsTruncated and
# Marker out. One page holds users, groups, roles and policies in that order, as on AWS.
from moto.core.responses import ActionResult
from moto.iam import responses as iam_responses

_DETAIL_LISTS = [("UserDetailList", "users"), ("GroupDetailList", "groups"),
                 ("RoleDetailList", "roles"), ("Policies", "managed_policies")]


def get_account_authorization_details(self):
    details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
    entities = [(n, item) for n, (_, kind) in enumerate(_DETAIL_LISTS) for item in details[kind]]
    page, marker = _page(entities, lambda e: f"{e[0]}:{e[1].arn}", self._get_param("Marker"),
                         self._get_param("MaxItems"), 100, 1000)
    result = {field: [item for k, item in page if k == n] for n, (field, _) in enumerate(_DETAIL_LISTS)}
    result["IsTruncated"] = marker is not None
    if marker:
        result["Marker"] = marker
    return ActionResult(result)


iam_responses.IamResponse.get_account_authorization_details = get_account_authorization_details

# SQS (JSON): NextToken and MaxResults (1000 at most). As on AWS, only a request with
# MaxResults is paged; one without gets the first 1000 queues and no token.
from urllib.parse import urlparse

from moto.sqs import responses as sqs_responses


def list_queues(self):
    queues = self.sqs_backend.list_queues(self._get_param("QueueNamePrefix"))
    urls = [q.url(urlparse(self.uri)) for q in queues]
    requested = self._get_param("MaxResults")
    if not requested:
        return ActionResult({"QueueUrls": sorted(urls)[:1000]} if urls else {})
    page, token = _page(urls, lambda u: u, self._get_param("NextToken"), requested, 1000, 1000)
    return ActionResult(_body("QueueUrls", page, "NextToken", token))


sqs_responses.SQSResponse.list_queues = list_queues

# Resource Groups Tagging (JSON): PaginationToken and ResourcesPerPage (100 at most). moto pages
# itself; its pages are cut to SLSR_EMULATOR_PAGE_SIZE here.
from moto.resourcegroupstaggingapi import models as tagging_models

_tagging_get_resources = tagging_models.ResourceGroupsTaggingAPIBackend.get_resources


def tagging_get_resources(self, *args, resources_per_page=50, **kwargs):
    if PAGE_SIZE:
        resources_per_page = min(resources_per_page, PAGE_SIZE)
    return _tagging_get_resources(self, *args, resources_per_page=resources_per_page, **kwargs)


tagging_models.ResourceGroupsTaggingAPIBackend.get_resources = tagging_get_resources


# Step Functions (JSON): nextToken and maxResults (1000 at most). moto pages itself (100 by
# default); its pages are cut to SLSR_EMULATOR_PAGE_SIZE here.
from moto.stepfunctions import models as sfn_models

_sfn_list_state_machines = sfn_models.StepFunctionBackend.list_state_machines


def sfn_list_state_machines(self, max_results=None, next_token=None):
    if PAGE_SIZE:
        max_results = min(max_results or 1000, PAGE_SIZE)
    return _sfn_list_state_machines(self, max_results=max_results, next_token=next_token)


sfn_models.StepFunctionBackend.list_state_machines = sfn_list_state_machines

# UpdateStateMachine with tracingConfiguration {} (the SDK leaves `enabled: false` out) turns
# tracing off on AWS; moto takes an empty configuration for none and keeps tracing on.
_sfn_update_state_machine = sfn_models.StepFunctionBackend.update_state_machine


def sfn_update_state_machine(self, arn, *args, tracing_configuration=None, **kwargs):
    machine = _sfn_update_state_machine(self, arn, *args, tracing_configuration=tracing_configuration, **kwargs)
    if tracing_configuration is not None:
        machine.tracingConfiguration = {"enabled": bool(tracing_configuration.get("enabled", False))}
    return machine


sfn_models.StepFunctionBackend.update_state_machine = sfn_update_state_machine

# EventBridge (JSON): NextToken and Limit (100 at most); targets by their id, which is unique
# within a rule. moto's own paging is unwrapped.
from moto.events import models as events_models
from moto.events import responses as events_responses


def list_rules(self):
    rules = events_models.EventsBackend.list_rules.__wrapped__(
        self.events_backend, prefix=self._get_param("NamePrefix"),
        event_bus_arn=self._get_param("EventBusName"))
    page, token = _page(rules, lambda r: r.name, self._get_param("NextToken"),
                        self._get_param("Limit"), 100, 100)
    rules = _body("Rules", [r.describe() for r in page], "NextToken", token)
    return json.dumps(rules), self.response_headers


def list_targets_by_rule(self):
    name = self._get_param("Rule")
    if not name:
        return self.error("ValidationException", "Parameter Rule is required.")
    try:
        targets = events_models.EventsBackend.list_targets_by_rule.__wrapped__(
            self.events_backend, name, self._get_param("EventBusName"))
    except KeyError:
        return self.error("ResourceNotFoundException", "Rule " + name + " does not exist.")
    page, token = _page(targets, lambda t: t["Id"], self._get_param("NextToken"),
                        self._get_param("Limit"), 100, 100)
    return json.dumps(_body("Targets", page, "NextToken", token)), self.response_headers


events_responses.EventsHandler.list_rules = list_rules
events_responses.EventsHandler.list_targets_by_rule = list_targets_by_rule


# API Gateway v2 (REST, query string): nextToken and maxResults in, nextToken out. AWS
# documents no default page size; 100 here. Names are not unique here: the id breaks ties.
def _apigw_page(self, items, name_field, id_field):
    page, token = _page(items, lambda i: (i.get(name_field) or "", i[id_field]),
                        self._get_param("nextToken"), self._get_param("maxResults"), 100)
    return 200, {}, json.dumps(_body("items", page, "nextToken", token))


def get_apis(self):
    apis = [a.to_json() for a in self.apigatewayv2_backend.get_apis()]
    return _apigw_page(self, apis, "name", "apiId")


def _api_items(collection, name_field, id_field):
    def handler(self):
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        items = [i.to_json() for i in getattr(api, collection).values()]
        return _apigw_page(self, items, name_field, id_field)
    return handler


apigw_responses.ApiGatewayV2Response.get_apis = get_apis
apigw_responses.ApiGatewayV2Response.get_routes = _api_items("routes", "routeKey", "routeId")
apigw_responses.ApiGatewayV2Response.get_integrations = _api_items(
    "integrations", "integrationUri", "integrationId")
apigw_responses.ApiGatewayV2Response.get_stages = _api_items("stages", "stageName", "stageName")
# moto has no handler for GetAuthorizers at all.
apigw_responses.ApiGatewayV2Response.get_authorizers = _api_items(
    "authorizers", "name", "authorizerId")

# API Gateway v2 custom domain names and API mappings as AWS has them (moto's lacked most):
# - each DomainNameConfiguration is answered with what AWS adds to it: ApiGatewayDomainName
#   (`d-` and ten characters of the name's hash, `.execute-api.REGION.amazonaws.com`, as AWS
#   gives one per domain), the regional HostedZoneId of API Gateway in the region,
#   DomainNameStatus AVAILABLE, and AWS's REGIONAL and TLS_1_2 where the request left the
#   endpoint type and policy out (moto echoed the request);
# - a domain's tags are those TagResource and UntagResource write to its ARN (moto kept
#   CreateDomainName's apart, so a tag change never showed, and routed no tag call for a
#   domain's ARN);
# - UpdateDomainName replaces the configuration and UpdateApiMapping the mapping's API,
#   stage and key (moto had neither: both answered 404);
# - CreateApiMapping refuses a key the domain maps already, with ConflictException (moto
#   replaced the mapping of that key);
# - GetDomainNames (by name) and GetApiMappings (by key) in pages (nextToken, maxResults).
_APIGW_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8", "us-east-2": "ZOJJZC49E0EPZ", "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC", "eu-west-1": "ZLY8HYME6SFDD", "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-central-1": "Z1U9ULNL0V5AJ3", "ap-northeast-1": "Z1YSHQZHG15GKL",
}


def _apigw_domains():
    import hashlib

    from moto.utilities.tagging_service import TaggingService

    domain_init = apigw_models.DomainName.__init__

    def init(self, domain_name, domain_name_configurations, mutual_tls_authentication, tags, backend):
        domain_init(self, domain_name, domain_name_configurations, mutual_tls_authentication, tags, backend)
        self._backend = backend
        backend.tag_resource(self.domain_name_arn, tags or {})

    def configured(self, configurations):
        region = self._backend.region_name
        suffix = hashlib.sha256(self.domain_name.encode()).hexdigest()[:10]
        out = []
        for c in configurations or [{}]:
            c = dict(c)
            c.setdefault("endpointType", "REGIONAL")
            c.setdefault("securityPolicy", "TLS_1_2")
            c["apiGatewayDomainName"] = f"d-{suffix}.execute-api.{region}.amazonaws.com"
            c["hostedZoneId"] = _APIGW_ZONES.get(region, "Z1UJRXOUMOOFQ8")
            c["domainNameStatus"] = "AVAILABLE"
            out.append(c)
        return out

    domain_to_json = apigw_models.DomainName.to_json

    def to_json(self):
        out = domain_to_json(self)
        out["domainNameConfigurations"] = configured(self, self.domain_name_configurations)
        out["tags"] = self._backend.get_tags(self.domain_name_arn)
        return out

    apigw_models.DomainName.__init__ = init
    apigw_models.DomainName.to_json = to_json

    create_mapping = apigw_models.ApiGatewayV2Backend.create_api_mapping

    def create_api_mapping(self, api_id, api_mapping_key, domain_name, stage):
        if any(m.domain_name == domain_name and m.api_mapping_key == api_mapping_key
               for m in self.api_mappings.values()):
            raise Conflict(f"ApiMapping with key {api_mapping_key} already exists for domain {domain_name}")
        # AWS maps a REST API's stage through API Gateway v2's CreateApiMapping too; moto
        # knows only v2 APIs here, so a REST API of the account and region is let through,
        # and its stage must exist, as AWS requires.
        rest = apigw_v1_models.apigateway_backends[self.account_id][self.region_name].apis
        if api_id not in self.apis and api_id in rest:
            if domain_name not in self.domain_names:
                raise apigw_models.DomainNameNotFound()
            if stage not in rest[api_id].stages:
                raise apigw_models.BadRequestException(f"Invalid stage identifier specified: {stage}")
            mapping_id = self._generate_api_maping_id(
                api_mapping_key=api_mapping_key, stage=stage, domain_name=domain_name
            )
            mapping = apigw_models.ApiMapping(
                domain_name=domain_name, api_id=api_id, api_mapping_key=api_mapping_key,
                api_mapping_id=mapping_id, stage=stage,
            )
            self.api_mappings[mapping_id] = mapping
            return mapping
        return create_mapping(self, api_id, api_mapping_key, domain_name, stage)

    apigw_models.ApiGatewayV2Backend.create_api_mapping = create_api_mapping

    def update_domain_name(self):
        name = unquote(self.path.split("/")[-1])
        domain = self.apigatewayv2_backend.get_domain_name(name)
        params = json.loads(self.body or "{}")
        if "domainNameConfigurations" in params:
            domain.domain_name_configurations = params["domainNameConfigurations"]
        return 200, {}, json.dumps(domain.to_json())

    def update_api_mapping(self):
        parts = self.path.split("/")
        domain, mapping_id = unquote(parts[-3]), parts[-1]
        mapping = self.apigatewayv2_backend.get_api_mapping(mapping_id, domain)
        params = json.loads(self.body or "{}")
        mapping.api_id = params.get("apiId", mapping.api_id)
        mapping.stage = params.get("stage", mapping.stage)
        mapping.api_mapping_key = params.get("apiMappingKey", mapping.api_mapping_key)
        return 200, {}, json.dumps(mapping.to_json())

    def get_domain_names(self):
        items = [d.to_json() for d in self.apigatewayv2_backend.get_domain_names()]
        return _apigw_page(self, items, "domainName", "domainName")

    def get_api_mappings(self):
        domain = unquote(self.path.split("/")[-2])
        self.apigatewayv2_backend.get_domain_name(domain)
        items = [m.to_json() for m in self.apigatewayv2_backend.get_api_mappings(domain)]
        return _apigw_page(self, items, "apiMappingKey", "apiMappingId")

    # TagResource and UntagResource on a domain's ARN, whose path holds `/domainnames/`
    # (moto routes only APIs' and VPC links' ARNs).
    from moto.apigatewayv2 import urls as apigw_urls

    apigw_urls.url_paths[
        r"{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/domainnames/(?P<resource_arn_pt2>[^/]+)$"
    ] = apigw_responses.ApiGatewayV2Response.dispatch
    apigw_responses.ApiGatewayV2Response.update_domain_name = update_domain_name
    apigw_responses.ApiGatewayV2Response.update_api_mapping = update_api_mapping
    apigw_responses.ApiGatewayV2Response.get_domain_names = get_domain_names
    apigw_responses.ApiGatewayV2Response.get_api_mappings = get_api_mappings


_apigw_domains()

# SSM (JSON): NextToken and MaxResults (10 by default, 50 at most).
from moto.ssm import responses as ssm_responses


def describe_parameters(self):
    found = self.ssm_backend.describe_parameters(self._get_param("Filters"),
                                                 self._get_param("ParameterFilters"))
    page, token = _page(found, lambda p: p.name, self._get_param("NextToken"),
                        self._get_param("MaxResults"), 10, 50)
    described = [p.describe_response_object(False) for p in page]
    return ActionResult(_body("Parameters", described, "NextToken", token))


ssm_responses.SimpleSystemManagerResponse.describe_parameters = describe_parameters

# S3 (REST-XML). ListBuckets: continuation-token and max-buckets (10000 at most) in,
# ContinuationToken out, and each bucket's BucketRegion, as AWS answers since it pages the
# listing (moto ignores the token, cuts the list at max-buckets with no token, and leaves the
# region out). ListObjectVersions: moto pages by key-marker and version-id-marker itself;
# its pages are held to SLSR_EMULATOR_PAGE_SIZE here. ListMultipartUploads: key-marker and
# upload-id-marker in, NextKeyMarker and NextUploadIdMarker out (moto answers every upload
# and IsTruncated false); a marker is a position, so uploads aborted between pages move
# nothing.
from moto.s3 import models as s3_models
from moto.s3 import responses as s3_responses
from moto.s3.exceptions import InvalidArgumentError


def s3_all_buckets(self):
    self.data["Action"] = "ListAllMyBuckets"
    self._authenticate_and_authorize_s3_action()
    prefix = self._get_param("prefix")
    buckets = self.backend.list_buckets(
        prefix=prefix, bucket_region=self._get_param("bucket-region"), max_buckets=None)
    page, token = _page(buckets, lambda b: b.name, self._get_param("continuation-token"),
                        self._get_param("max-buckets"), 10000, 10000)
    result = {
        "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
        "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601,
                     "BucketRegion": b.region_name} for b in page],
    }
    if token:
        result["ContinuationToken"] = token
    if prefix:
        result["Prefix"] = prefix
    self.data["Action"] = "ListBuckets"
    return self.serialized(ActionResult(result))


s3_responses.S3Response.all_buckets = s3_all_buckets

_s3_list_object_versions = s3_responses.S3Response.list_object_versions


def s3_list_object_versions(self):
    if PAGE_SIZE:
        asked = int(self.querystring.get("max-keys", [1000])[0])
        self.querystring["max-keys"] = [str(min(asked, PAGE_SIZE))]
    return _s3_list_object_versions(self)


s3_responses.S3Response.list_object_versions = s3_list_object_versions

_s3_list_multipart_uploads = s3_responses.S3Response.list_multipart_uploads


def s3_list_multipart_uploads(self):
    key_marker = self.querystring.get("key-marker", [""])[0]
    id_marker = self.querystring.get("upload-id-marker", [""])[0]
    size = int(self.querystring.get("max-uploads", [1000])[0])
    for cap in (1000, PAGE_SIZE):
        if cap:
            size = min(size, cap)
    uploads = sorted(self.backend.list_multipart_uploads(self.bucket_name).values(),
                     key=lambda u: (u.key_name, u.id))
    if key_marker:
        uploads = [u for u in uploads if (u.key_name, u.id) > (key_marker, id_marker)]
    page = uploads[:size]
    result = {
        "Bucket": self.bucket_name,
        "KeyMarker": key_marker,
        "UploadIdMarker": id_marker,
        "MaxUploads": size,
        "IsTruncated": len(uploads) > size,
        "Uploads": [{"Key": u.key_name, "UploadId": u.id, "StorageClass": "STANDARD",
                     "Initiated": "2010-11-10T20:48:33.000Z"} for u in page],
    }
    if len(uploads) > size:
        result["NextKeyMarker"] = page[-1].key_name
        result["NextUploadIdMarker"] = page[-1].id
    self.data["Action"] = "ListMultipartUploads"
    return self.serialized(ActionResult(result))


s3_responses.S3Response.list_multipart_uploads = s3_list_multipart_uploads

# CreateBucket takes tags in CreateBucketConfiguration, as AWS does since 2025, so a bucket
# carries its owner's tags from its first moment (moto ignores them). A second CreateBucket
# of an existing bucket (us-east-1 answers it 200) leaves the bucket's tags alone.
import xmltodict as _xmltodict

_s3_bucket_response_put = s3_responses.S3Response._bucket_response_put


def s3_bucket_response_put(self, request, bucket_name, querystring):
    creating = not querystring and bucket_name not in self.backend.buckets
    answer = _s3_bucket_response_put(self, request, bucket_name, querystring)
    if creating and self.body and bucket_name in self.backend.buckets:
        try:
            config = _xmltodict.parse(self.body).get("CreateBucketConfiguration") or {}
        except Exception:
            config = {}
        tags = (config.get("Tags") or {}).get("Tag") or []
        tags = tags if isinstance(tags, list) else [tags]
        if tags:
            self.backend.put_bucket_tagging(
                bucket_name, {t["Key"]: t.get("Value") or "" for t in tags})
    return answer


s3_responses.S3Response._bucket_response_put = s3_bucket_response_put

# PutBucketTagging and a bucket's `aws:` tags (CloudFormation's stack tags), as on AWS: the
# set may hold them unchanged, and must ("InvalidTag: System Tags cannot be removed by
# requester"); adding or changing one is refused (moto refuses any `aws:` key, and drops them
# when the set leaves them out). A test stands in for CloudFormation by giving one in
# CreateBucket's tags, which the patch above applies as given.
from moto.s3.exceptions import DuplicateTagKeys, NoSystemTags
from moto.s3.exceptions import S3ClientError as _S3ClientError


def s3_bucket_tagging_from_body(self):
    parsed = _xmltodict.parse(self.body).get("Tagging") or {}
    items = (parsed.get("TagSet") or {}).get("Tag") or []
    tags = {}
    for tag in items if isinstance(items, list) else [items]:
        if tag["Key"] in tags:
            raise DuplicateTagKeys()
        tags[tag["Key"]] = tag.get("Value") or ""
    bucket = self.backend.get_bucket(self.bucket_name)
    have = self.backend.tagger.get_tag_dict_for_resource(bucket.arn)
    if any(k.startswith("aws:") and have.get(k) != v for k, v in tags.items()):
        raise NoSystemTags()
    return tags


s3_responses.S3Response._bucket_tagging_from_body = s3_bucket_tagging_from_body


class _SystemTags(_S3ClientError):
    code = 400

    def __init__(self):
        super().__init__("InvalidTag", "System Tags cannot be removed by requester")


_s3_put_bucket_tagging = s3_models.S3Backend.put_bucket_tagging


def s3_put_bucket_tagging(self, bucket_name, tags):
    bucket = self.get_bucket(bucket_name)
    have = self.tagger.get_tag_dict_for_resource(bucket.arn)
    if any(k.startswith("aws:") and tags.get(k) != v for k, v in have.items()):
        raise _SystemTags()
    return _s3_put_bucket_tagging(self, bucket_name, tags)


s3_models.S3Backend.put_bucket_tagging = s3_put_bucket_tagging

# GetBucketNotificationConfiguration answers the EventBridge setting too, as AWS does
# (moto stores it and leaves it out of the answer, so a writer would drop it unseen), and a
# bucket without notifications has an empty NotificationConfiguration, AWS's root element
# (moto's is GetBucketNotificationResponse there, and GetBucketVersioningResponse for every
# versioning answer, which the Rust SDK refuses as XML of another operation).
_S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
_s3_get_bucket_notification = s3_responses.S3Response.get_bucket_notification


def s3_get_bucket_notification(self):
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if not config:
        return 200, {"Content-Type": "application/xml"}, (
            f'<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="{_S3_XMLNS}"/>')
    answer = _s3_get_bucket_notification(self)
    if config.event_bridge is None:
        return answer
    status, headers, body = answer if isinstance(answer, tuple) else (200, {}, answer)
    text = body.decode() if isinstance(body, bytes) else body
    closing = "</NotificationConfiguration>"
    if closing in text:
        text = text.replace(closing, "<EventBridgeConfiguration/>" + closing)
    else:
        text = text.replace("<NotificationConfiguration/>",
                            "<NotificationConfiguration><EventBridgeConfiguration/></NotificationConfiguration>")
    return status, headers, text


s3_responses.S3Response.get_bucket_notification = s3_get_bucket_notification


def s3_get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    return 200, {"Content-Type": "application/xml"}, (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<VersioningConfiguration xmlns="{_S3_XMLNS}">{inner}</VersioningConfiguration>')


s3_responses.S3Response.get_bucket_versioning = s3_get_bucket_versioning

# PutBucketNotificationConfiguration checks each Lambda destination as AWS does: the
# function exists and its resource policy lets s3.amazonaws.com invoke it for this bucket
# (moto writes any ARN). AWS refuses otherwise with InvalidArgument "Unable to validate the
# following destination configurations", so a notification written before its permission
# fails here as on AWS.
from moto.awslambda.utils import get_backend as _lambda_backend

_s3_put_notification = s3_models.S3Backend.put_bucket_notification_configuration


def _s3_may_invoke(statement, bucket_arn):
    principal = statement.get("Principal")
    service = principal.get("Service") if isinstance(principal, dict) else principal
    if service != "s3.amazonaws.com" or statement.get("Effect", "Allow") != "Allow":
        return False
    source = (statement.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
    return source in (None, bucket_arn)


def s3_put_notification(self, bucket_name, notification_config):
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    for config in (notification_config or {}).get("CloudFunctionConfiguration") or []:
        arn = config["CloudFunction"]
        parts = arn.split(":")
        allowed = False
        try:
            fn = _lambda_backend(parts[4], parts[3]).get_function(arn)
            allowed = any(_s3_may_invoke(s, bucket_arn) for s in fn.policy.statements)
        except Exception:
            allowed = False
        if not allowed:
            raise InvalidArgumentError(
                "Unable to validate the following destination configurations", arn,
                f"Not authorized to invoke function [{arn}].")
    return _s3_put_notification(self, bucket_name, notification_config)


s3_models.S3Backend.put_bucket_notification_configuration = s3_put_notification

# DynamoDB (JSON): ListTables by ExclusiveStartTableName and Limit (100 at most), the token
# being the last name of the page, as on AWS; ListTagsOfResource by NextToken (AWS documents
# no page size; 10 here, as moto had it). moto paged tables in creation order and tags by 10.
from moto.dynamodb import responses as ddb_responses
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend as _DynamoDBBackend
from moto.dynamodb.models import table as ddb_table


def ddb_list_tables(self):
    names = sorted(self.dynamodb_backend.tables)
    start = self.body.get("ExclusiveStartTableName")
    if start:
        names = [n for n in names if n > start]
    size = min(int(self.body.get("Limit") or 100), 100)
    if PAGE_SIZE:
        size = min(size, PAGE_SIZE)
    page = names[:size]
    out = {"TableNames": page}
    if len(names) > size:
        out["LastEvaluatedTableName"] = page[-1]
    return ActionResult(out)


def ddb_list_tags_of_resource(self):
    tags = sorted(self.dynamodb_backend.list_tags_of_resource(self.body["ResourceArn"]),
                  key=lambda t: t["Key"])
    page, token = _page(tags, lambda t: t["Key"], self.body.get("NextToken"), None, 10)
    return ActionResult(_body("Tags", page, "NextToken", token))


ddb_responses.DynamoHandler.list_tables = ddb_list_tables
ddb_responses.DynamoHandler.list_tags_of_resource = ddb_list_tags_of_resource


def ddb_tag_resource(self, arn, tags):
    for table in self.tables.values():
        if table.table_arn == arn:
            kept = [t for t in table.tags if t["Key"] not in tags]
            table.tags = kept + [{"Key": k, "Value": v} for k, v in tags.items()]


_DynamoDBBackend.tag_resource = ddb_tag_resource


def ddb_update_table_streams(self, table, spec):
    enabled = (table.stream_specification or {}).get("StreamEnabled")
    if (spec.get("StreamEnabled") or spec.get("StreamViewType")) and enabled:
        raise MockValidationException("Table already has an enabled stream")
    table.set_stream_specification(spec)


_set_stream_specification = ddb_table.Table.set_stream_specification


def ddb_set_stream_specification(self, streams):
    _set_stream_specification(self, streams)
    if not (self.stream_specification or {}).get("StreamEnabled"):
        # A disabled stream keeps its ARN (LatestStreamArn) but takes no more records.
        self.stream_shard = None


_DynamoDBBackend.update_table_streams = ddb_update_table_streams
ddb_table.Table.set_stream_specification = ddb_set_stream_specification

_update_table = _DynamoDBBackend.update_table


def ddb_update_table(self, name, attr_definitions, global_index, *args, **kwargs):
    online = [u for u in (global_index or []) if u.get("Create") or u.get("Delete")]
    if len(online) > 1:
        raise MockValidationException(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
    try:
        return _update_table(self, name, attr_definitions, global_index, *args, **kwargs)
    except ValueError as e:
        # moto's "already exists" and "does not exist" for an index were a 500.
        raise MockValidationException(str(e))


_DynamoDBBackend.update_table = ddb_update_table

_update_time_to_live = _DynamoDBBackend.update_time_to_live


def ddb_update_time_to_live(self, table_name, ttl_spec):
    table = self.tables.get(table_name)
    if table is not None and "Enabled" in ttl_spec:
        on = table.ttl.get("TimeToLiveStatus") == "ENABLED"
        if ttl_spec["Enabled"] and on:
            current = table.ttl.get("AttributeName")
            if current != ttl_spec.get("AttributeName"):
                raise MockValidationException(
                    f"TimeToLive is active on a different AttributeName: current AttributeName is {current}")
            raise MockValidationException("TimeToLive is already enabled")
        if not ttl_spec["Enabled"] and not on:
            raise MockValidationException("TimeToLive is already disabled")
    return _update_time_to_live(self, table_name, ttl_spec)


_DynamoDBBackend.update_time_to_live = ddb_update_time_to_live

# ---------------------------------------------------------------------------------------------
# Paging of the messaging services (issue 17), as the paging section above: SNS ListTopics and
# ListSubscriptionsByTopic (query, XML: NextToken in and out; 100 a page, as AWS documents), which
# moto cuts at 100 by an index; EventBridge ListEventBuses (JSON: NextToken and Limit, 100 at
# most), which moto pages by an index; EventBridge Scheduler ListScheduleGroups and ListSchedules
# (REST: NextToken and MaxResults, 100 at most), which moto pages by an index from its own
# default of 50 and in creation order.
from moto.scheduler import responses as scheduler_responses
from moto.sns import responses as sns_responses


def sns_list_topics(self):
    page, token = _page(list(self.backend.topics.values()), lambda t: t.arn,
                        self._get_param("NextToken"), None, 100, 100)
    return ActionResult(_body("Topics", page, "NextToken", token))


def sns_list_subscriptions_by_topic(self):
    topic = self.backend.get_topic(self._get_param("TopicArn"))
    subscriptions = [s for s in self.backend.subscriptions.values() if s.topic == topic]
    page, token = _page(subscriptions, lambda s: s.arn, self._get_param("NextToken"), None, 100, 100)
    return ActionResult(_body("Subscriptions", page, "NextToken", token))


sns_responses.SNSResponse.list_topics = sns_list_topics
sns_responses.SNSResponse.list_subscriptions_by_topic = sns_list_subscriptions_by_topic


def list_event_buses(self):
    prefix = self._get_param("NamePrefix")
    buses = [b for b in self.events_backend.event_buses.values()
             if not prefix or b.name.startswith(prefix)]
    page, token = _page(buses, lambda b: b.name, self._get_param("NextToken"),
                        self._get_param("Limit"), 100, 100)
    answer = [{"Name": b.name, "Arn": b.arn, **({"Policy": b.policy} if b.policy else {})} for b in page]
    return json.dumps(_body("EventBuses", answer, "NextToken", token)), self.response_headers


events_responses.EventsHandler.list_event_buses = list_event_buses


def scheduler_list_schedule_groups(self):
    prefix = self._get_param("NamePrefix")
    groups = [g for g in self.scheduler_backend.schedule_groups.values()
              if not prefix or g.name.startswith(prefix)]
    page, token = _page(groups, lambda g: g.name, self._get_param("NextToken"),
                        self._get_param("MaxResults"), 50, 100)
    return json.dumps(_body("ScheduleGroups", [g.to_dict() for g in page], "NextToken", token))


def scheduler_list_schedules(self):
    groups = self.querystring.get("ScheduleGroup")
    schedules = [s for g in self.scheduler_backend.schedule_groups.values()
                 if not groups or g.name in groups for s in g.schedules.values()]
    page, token = _page(schedules, lambda s: (s.group_name, s.name), self._get_param("NextToken"),
                        self._get_param("MaxResults"), 50, 100)
    return json.dumps(_body("Schedules", [s.to_dict(short=True) for s in page], "NextToken", token))


scheduler_responses.EventBridgeSchedulerResponse.list_schedule_groups = scheduler_list_schedule_groups
scheduler_responses.EventBridgeSchedulerResponse.list_schedules = scheduler_list_schedules

# EventBridge Scheduler CreateScheduleGroup refuses a name that exists with AWS's
# ConflictException (moto replaced the group, and the schedules in it were lost), and
# DeleteScheduleGroup a group that does not exist with ResourceNotFoundException (moto
# answered 500): a retried create or delete then settles as on AWS.
from moto.core.exceptions import JsonRESTError
from moto.scheduler import exceptions as scheduler_exceptions
from moto.scheduler import models as scheduler_models


class _ScheduleGroupExists(JsonRESTError):
    code = 409

    def __init__(self, name):
        super().__init__("ConflictException", f"Schedule group {name} already exists.")


_create_schedule_group = scheduler_models.EventBridgeSchedulerBackend.create_schedule_group


def scheduler_create_schedule_group(self, name, tags):
    if name in self.schedule_groups:
        raise _ScheduleGroupExists(name)
    return _create_schedule_group(self, name, tags)


def scheduler_delete_schedule_group(self, name):
    if (name or "default") not in self.schedule_groups:
        raise scheduler_exceptions.ScheduleGroupNotFound(name or "default")
    self.schedule_groups.pop(name or "default")


scheduler_models.EventBridgeSchedulerBackend.create_schedule_group = scheduler_create_schedule_group
scheduler_models.EventBridgeSchedulerBackend.delete_schedule_group = scheduler_delete_schedule_group

# ---------------------------------------------------------------------------------------------
# For bench/peers (Chalice, SAM), not slsr. Chalice: API Gateway REST v1 ImportRestApi without
# info.description (moto raises KeyError: 500), and Swagger 2.0 in ImportRestApi/PutRestApi
# (moto refuses it with 400 InvalidOpenApiDocVersion). moto's reading of paths and
# x-amazon-apigateway-integration is the same in both versions, so a Swagger 2.0 document is
# read as if it were OpenAPI 3 (without validation).
from moto.apigateway import models as apigw_v1_models


def _as_openapi3(api_doc):
    if api_doc.get("swagger") is None:
        return api_doc, True
    doc = {k: v for k, v in api_doc.items() if k != "swagger"}
    doc["openapi"] = "3.0.0"
    return doc, False


_import_rest_api = apigw_v1_models.APIGatewayBackend.import_rest_api


def import_rest_api(self, api_doc, fail_on_warnings):
    api_doc, validate = _as_openapi3(api_doc)
    info = api_doc.get("info", {})
    if "description" not in info:
        api_doc = {**api_doc, "info": {**info, "description": ""}}
    return _import_rest_api(self, api_doc, fail_on_warnings and validate)


_put_rest_api = apigw_v1_models.APIGatewayBackend.put_rest_api


def put_rest_api(self, function_id, api_doc, fail_on_warnings, mode="merge"):
    api_doc, validate = _as_openapi3(api_doc)
    return _put_rest_api(self, function_id, api_doc, fail_on_warnings and validate, mode)


apigw_v1_models.APIGatewayBackend.import_rest_api = import_rest_api
apigw_v1_models.APIGatewayBackend.put_rest_api = put_rest_api

# SAM: CloudFormation's AWS::ApiGateway::RestApi with a Body (and no Name) takes its name from
# Body's info.title and imports Body's paths, as AWS does; moto requires Name, ignores Body.
_rest_api_from_cfn = apigw_v1_models.RestAPI.create_from_cloudformation_json.__func__


@classmethod
def rest_api_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json["Properties"]
    body = properties.get("Body")
    if not isinstance(body, dict):
        return _rest_api_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    if "Name" not in properties:
        properties = {**properties, "Name": body.get("info", {}).get("title", resource_name)}
    api = _rest_api_from_cfn(cls, resource_name, {**cloudformation_json, "Properties": properties},
                             account_id, region_name, **kwargs)
    backend = apigw_v1_models.apigateway_backends[account_id][region_name]
    backend.put_rest_api(api.id, body, fail_on_warnings=False, mode="overwrite")
    return api


apigw_v1_models.RestAPI.create_from_cloudformation_json = rest_api_from_cfn


# Serverless and SAM: a role made by CloudFormation keeps its inline policies as dicts, and
# GetAccountAuthorizationDetails then fails with a 500 for every later reader (slsr reads
# roles with it). AWS stores policy documents as text: serialize them as text here.
from urllib import parse as _parse

from moto.iam import models as iam_models


def _role_policy_list(self):
    return [
        {
            "PolicyName": name,
            "PolicyDocument": _parse.quote(policy if isinstance(policy, str) else json.dumps(policy)),
        }
        for name, policy in self.policies.items()
    ]


iam_models.Role.role_policy_list = property(_role_policy_list)

# Kinesis (issue 17, streams): CreateStream takes Tags (AWS since 2023; moto drops them), so a
# stream is never without slsr's tags; ListStreams answers in pages of PAGE_SIZE names
# (moto's default is 10) and says whether more follow; ListTagsForStream starts after
# ExclusiveStartTagKey, as AWS does (moto repeats that key, so paging never ends), in pages
# of PAGE_SIZE.
from moto.kinesis import responses as kinesis_responses

_kinesis_create_stream = kinesis_responses.KinesisResponse.create_stream


def kinesis_create_stream(self):
    answer = _kinesis_create_stream(self)
    tags = self._get_param("Tags")
    if tags:
        self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
    return answer


def kinesis_list_streams(self):
    names = sorted(s.stream_name for s in self.kinesis_backend.list_streams())
    after = self._get_param("ExclusiveStartStreamName")
    if after:
        names = [n for n in names if n > after]
    size = int(self._get_param("Limit") or 100)
    if PAGE_SIZE:
        size = min(size, PAGE_SIZE)
    page = names[:size]
    streams = {s.stream_name: s for s in self.kinesis_backend.list_streams()}
    return json.dumps({
        "HasMoreStreams": len(names) > size,
        "StreamNames": page,
        "StreamSummaries": [
            {
                "StreamName": n,
                "StreamARN": streams[n].arn,
                "StreamStatus": streams[n].status,
                "StreamModeDetails": streams[n].stream_mode,
            }
            for n in page
        ],
    })


def kinesis_list_tags_for_stream(self):
    stream = self.kinesis_backend.describe_stream(
        stream_arn=self._get_param("StreamARN"), stream_name=self._get_param("StreamName"))
    after = self._get_param("ExclusiveStartTagKey")
    tags = sorted((k, v) for k, v in stream.tags.items() if not after or k > after)
    size = int(self._get_param("Limit") or 50)
    if PAGE_SIZE:
        size = min(size, PAGE_SIZE)
    return json.dumps({
        "HasMoreTags": len(tags) > size,
        "Tags": [{"Key": k, "Value": v} for k, v in tags[:size]],
    })


kinesis_responses.KinesisResponse.create_stream = kinesis_create_stream
kinesis_responses.KinesisResponse.list_streams = kinesis_list_streams
kinesis_responses.KinesisResponse.list_tags_for_stream = kinesis_list_tags_for_stream


# Secrets Manager (issue 17, secrets): ListSecrets answers in pages of PAGE_SIZE (moto's
# default is 100 a page), with AWS's NextToken.
from moto.secretsmanager import responses as secrets_responses

def secrets_list_secrets(self):
    original = self._get_int_param

    def capped(name, if_none=None):
        value = original(name, if_none)
        if name == "MaxResults" and PAGE_SIZE:
            return min(value or PAGE_SIZE, PAGE_SIZE)
        return value

    self._get_int_param = capped
    try:
        return _secrets_list_secrets(self)
    finally:
        del self._get_int_param


_secrets_list_secrets = secrets_responses.SecretsManagerResponse.list_secrets
secrets_responses.SecretsManagerResponse.list_secrets = secrets_list_secrets


# Kinesis (issue 17, streams): the Resource Groups Tagging API answers for streams on AWS
# (`kinesis:stream`), and slsr finds a stream of an exact name that has left the spec
# through it, as it finds tables; moto's Kinesis backend takes no part in GetResources.
# A subclass that does replaces it for the backends made from now on (all of them: none is
# made before the first request).
from moto.core.resource_tagging import TaggableResourcesMixin, TaggedResource
from moto.kinesis import models as kinesis_models


class TaggableKinesisBackend(kinesis_models.KinesisBackend, TaggableResourcesMixin):
    SERVICE_NAMESPACE = "kinesis"
    # moto finds a backend's URL module by its class's module.
    __module__ = kinesis_models.__name__

    def iter_tagged_resources(self):
        for stream in self.streams.values():
            yield TaggedResource(
                arn=stream.arn, tags=dict(stream.tags), resource_type="kinesis:stream"
            )


kinesis_models.kinesis_backends.backend = TaggableKinesisBackend


# CloudWatch (issue 18, alarms and `plan --cost`): the Rust SDK speaks CloudWatch's Smithy
# RPC v2 CBOR protocol (POST /service/GraniteServiceVersion20100801/operation/OP, CBOR
# bodies, a `smithy-protocol: rpc-v2-cbor` header), which AWS serves and moto does not: moto
# serves CloudWatch's query and JSON 1.0 protocols. Such a request is turned into the same
# call in JSON 1.0 (its timestamps as epoch seconds, its blobs as base64, as that protocol
# writes them), and moto's answer back into CBOR by the operation's output shape in
# botocore's model (timestamps as CBOR tag 1, numbers of the shape's type), errors included.
import base64 as _base64
import datetime as _datetime
import io as _io

import cbor2 as _cbor2
from moto.moto_server import werkzeug_app as _werkzeug_app

_CBOR_PREFIX = "/service/"
_cloudwatch_model = None


def _cw_model():
    global _cloudwatch_model
    if _cloudwatch_model is None:
        import botocore.session

        _cloudwatch_model = botocore.session.get_session().get_service_model("cloudwatch")
    return _cloudwatch_model


def _cbor_to_json_value(value):
    if isinstance(value, _datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return _base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict):
        return {k: _cbor_to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cbor_to_json_value(v) for v in value]
    return value


def _json_to_cbor_value(value, shape):
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {
            k: _json_to_cbor_value(v, shape.members.get(k))
            for k, v in value.items()
            if v is not None
        }
    if kind == "list":
        return [_json_to_cbor_value(v, shape.member) for v in value]
    if kind == "map":
        return {k: _json_to_cbor_value(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, str):
            try:
                return _datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return _datetime.datetime.fromtimestamp(float(value), _datetime.timezone.utc)
        return _datetime.datetime.fromtimestamp(float(value), _datetime.timezone.utc)
    if kind == "blob" and isinstance(value, str):
        return _base64.b64decode(value)
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte") and not isinstance(value, bool):
        return int(value)
    return value


def _cbor_call(app, environ, start_response):
    target, _, operation = environ["PATH_INFO"][len(_CBOR_PREFIX) :].partition("/operation/")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    params = _cbor2.loads(raw) if raw else {}
    body = json.dumps(_cbor_to_json_value(params)).encode()
    environ["PATH_INFO"] = "/"
    environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
    environ["HTTP_X_AMZ_TARGET"] = f"{target}.{operation}"
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = _io.BytesIO(body)
    # The signature covers the CBOR request, not this one; see `_check_signature` below.
    environ["HTTP_X_SLSR_FROM_CBOR"] = "1"
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    answer = b"".join(app(environ, capture))
    document = json.loads(answer) if answer.strip() else {}
    ok = captured["status"].startswith("2")
    shape = _cw_model().operation_model(operation).output_shape if ok else None
    if not ok and isinstance(document.get("__type"), str):
        # JSON errors may carry the shape's namespace (`ns#Code`); CBOR's are the code.
        document["__type"] = document["__type"].rsplit("#", 1)[-1]
    encoded = _cbor2.dumps(
        _json_to_cbor_value(document, shape) if shape is not None else document,
        datetime_as_timestamp=True,
        timezone=_datetime.timezone.utc,
    )
    headers = [
        (k, v)
        for k, v in captured["headers"]
        if k.lower() not in ("content-type", "content-length")
    ]
    headers += [
        ("Content-Type", "application/cbor"),
        ("Content-Length", str(len(encoded))),
        ("smithy-protocol", "rpc-v2-cbor"),
    ]
    start_response(captured["status"], headers)
    return [encoded]


_dispatch_call = _werkzeug_app.DomainDispatcherApplication.__call__


def dispatch_with_cbor(self, environ, start_response):
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor" and environ.get(
        "PATH_INFO", ""
    ).startswith(_CBOR_PREFIX):
        return _cbor_call(
            lambda env, respond: _dispatch_call(self, env, respond), environ, start_response
        )
    return _dispatch_call(self, environ, start_response)


_werkzeug_app.DomainDispatcherApplication.__call__ = dispatch_with_cbor

# With IAM enforced (INITIAL_NO_AUTH_ACTION_COUNT), moto checks a request's signature against
# the request it handles: a translated one was signed in its CBOR form, so its signature is
# not checked again (its access key still names the caller, whose policies still decide).
from moto.iam import access_control as _access_control

_check_signature = _access_control.IAMRequestBase.check_signature


def check_signature_unless_translated(self):
    if any(k.lower() == "x-slsr-from-cbor" for k in self._headers):
        return
    _check_signature(self)


_access_control.IAMRequestBase.check_signature = check_signature_unless_translated
# Lambda GetAccountSettings (issue 18, the quota preflight), which moto does not answer (404):
# AWS's default limits (1000 concurrent executions, 75 GB of code storage), the unreserved
# pool as AWS counts it (the limit less every function's reserved concurrency) and the code
# the account's functions store. A test sets its own account's limits and usage by sending
# the header `x-slsr-account-settings` with a JSON object on a GetAccountSettings of its own
# (`ConcurrentExecutions`, `TotalCodeSize`: limits; `UsedCodeSize`: the usage to answer,
# in place of the functions' sum); what it sets is kept per account and region, and
# answered from then on.
_account_settings = {}

urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = responses.LambdaResponse.dispatch


def lambda_get_account_settings(self):
    key = (self.current_account, self.region)
    given = self.headers.get("x-slsr-account-settings")
    if given:
        _account_settings.setdefault(key, {}).update(json.loads(given))
    settings = _account_settings.get(key, {})
    functions = list(self.backend.list_functions())
    limit = int(settings.get("ConcurrentExecutions", 1000))
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    used = settings.get("UsedCodeSize")
    if used is None:
        used = sum(int(f.code_size or 0) for f in functions)
    return 200, {}, json.dumps({
        "AccountLimit": {
            "TotalCodeSize": int(settings.get("TotalCodeSize", 75 * 1024 ** 3)),
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved,
        },
        "AccountUsage": {"TotalCodeSize": int(used), "FunctionCount": len(functions)},
    })


responses.LambdaResponse.get_account_settings = lambda_get_account_settings


# CloudWatch alarms as AWS keeps them (issue 18, alarms): DescribeAlarms answers in pages
# (NextToken; MaxRecords, 50 by default and 100 at most) in name order, with composite alarms
# only when AlarmTypes asks for them (moto answered every alarm in one page); DeleteAlarms
# forgets the alarm's tags, as AWS does (moto kept them under the ARN, and a new alarm of the
# name, someone else's, inherited them); PutMetricAlarm's Tags count only when it makes the
# alarm, as AWS documents (moto applied them to an existing alarm too).
from moto.cloudwatch import models as cw_models
from moto.cloudwatch import responses as cw_responses


def cw_describe_alarms(self):
    backend = self.cloudwatch_backend
    action_prefix = self._get_param("ActionPrefix")
    name_prefix = self._get_param("AlarmNamePrefix")
    names = self._get_param("AlarmNames", [])
    state = self._get_param("StateValue")
    alarms = list(backend.alarms.values())
    if action_prefix:
        alarms = list(backend.get_alarms_by_action_prefix(action_prefix))
    if name_prefix:
        alarms = [a for a in alarms if a.name.startswith(name_prefix)]
    if names:
        alarms = [a for a in alarms if a.name in names]
    if state:
        alarms = [a for a in alarms if a.state_value == state]
    types = self._get_param("AlarmTypes", []) or ["MetricAlarm"]
    metric = [a for a in alarms if a.rule is None] if "MetricAlarm" in types else []
    composite = [a for a in alarms if a.rule is not None] if "CompositeAlarm" in types else []
    page, token = _page(metric, lambda a: a.name, self._get_param("NextToken"),
                        self._get_param("MaxRecords"), 50, 100)
    answer = {"MetricAlarms": page, "CompositeAlarms": composite}
    if token:
        answer["NextToken"] = token
    return ActionResult(answer)


_cw_delete_alarms = cw_models.CloudWatchBackend.delete_alarms


def cw_delete_alarms(self, alarm_names):
    for name in alarm_names:
        if name in self.alarms:
            self.tagger.delete_all_tags_for_resource(self.alarms[name].alarm_arn)
    _cw_delete_alarms(self, alarm_names)


_cw_put_metric_alarm = cw_models.CloudWatchBackend.put_metric_alarm


def cw_put_metric_alarm(self, *args, **kwargs):
    if kwargs.get("name") in self.alarms:
        kwargs["tags"] = None
    return _cw_put_metric_alarm(self, *args, **kwargs)


cw_responses.CloudWatchResponse.describe_alarms = cw_describe_alarms
cw_models.CloudWatchBackend.delete_alarms = cw_delete_alarms
cw_models.CloudWatchBackend.put_metric_alarm = cw_put_metric_alarm


# IAM enforcement as AWS evaluates it, for `slsr policy`'s tests (tests/integration/policy.rs).
# It matters only on a server started with INITIAL_NO_AUTH_ACTION_COUNT (moto checks no call
# otherwise; the shared test emulator never sets it). moto names most calls' resource "*",
# and compares that literally with a statement's Resource, so a policy scoped to names
# denied everything; it names API Gateway's calls by operation and the tagging API as
# `tagging:`, where IAM has `apigateway:GET` (the HTTP method) and `tag:`; and it never
# checks iam:PassRole. Here:
# - the caller is known by its access key, but its signature is not checked again: moto
#   recomputes it differently from the SDKs for REST calls (every Lambda, Scheduler and API
#   Gateway call was SignatureDoesNotMatch), and signatures are not what these tests test;
# - a resource moto cannot name ("*") leaves the check to the action, as before (and the
#   action is noted in SLSR_IAM_UNNAMED_LOG's file, for the test to check); IAM's wildcards
#   match as IAM matches them (`?` one character, the rest literal);
# - Lambda calls name the function (or mapping, or tagged ARN) from the request's path or
#   body, IAM role calls the role from RoleName (and Path, for CreateRole), SQS calls their
#   queue (one that does not exist too), CloudWatch Logs calls their log group, DynamoDB,
#   Kinesis, SNS, Step Functions, EventBridge, Scheduler, SSM, Secrets Manager and
#   CloudWatch calls the table, stream, topic, state machine, rule or bus, schedule or
#   group, parameter, secret or alarm they name, and API Gateway v2 calls their path
#   (`arn:aws:apigateway:REGION::/apis/ID/...`), so a policy whose resources were `*` would
#   let through the calls a scoped one denies;
# - API Gateway's, the tagging API's and CloudWatch's actions are spelt as IAM spells them;
# - a refusal is AccessDeniedException in JSON for the JSON and REST-JSON services, as AWS
#   answers them (moto answered XML, which their SDKs cannot read: the code was lost);
# - a call that hands a service a role needs iam:PassRole on it, with `iam:PassedToService`
#   that service (moto evaluates StringEquals): CreateFunction and
#   UpdateFunctionConfiguration (Lambda), Create/UpdateStateMachine (Step Functions),
#   PutTargets (EventBridge) and Create/UpdateSchedule (Scheduler).
def _iam_enforcement_as_aws():
    from urllib.parse import urlparse

    from moto import settings
    from moto.apigatewayv2.responses import ApiGatewayV2Response
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam import access_control
    from moto.iam.responses import IamResponse

    access_control.IAMRequestBase.check_signature = lambda self: None

    check_element_matches = access_control.IAMPolicyStatement._check_element_matches

    def element_matches(self, element, value):
        if element == "Resource" and value == "*":
            return True
        return check_element_matches(self, element, value)

    access_control.IAMPolicyStatement._check_element_matches = element_matches

    # The actions checked without a resource (moto could not name it), one a line, in the
    # file SLSR_IAM_UNNAMED_LOG names: the test checks that the policy grants each of them
    # on `*` anyway, so that no call's scoping goes untested unnoticed.
    import os

    unnamed_log = os.environ.get("SLSR_IAM_UNNAMED_LOG")
    check_action_permitted = access_control.IAMRequestBase.check_action_permitted

    def check_and_note(self, resource):
        if unnamed_log and resource == "*":
            with open(unnamed_log, "a") as log:
                log.write(self._action + "\n")
        return check_action_permitted(self, resource)

    access_control.IAMRequestBase.check_action_permitted = check_and_note

    import re

    def iam_match(pattern, string):
        # IAM's wildcards: `*` any run, `?` one character, everything else literal (moto
        # made a regex of the pattern: `?` failed to compile, a `.` matched any character).
        regex = "".join(
            ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
        )
        return re.fullmatch(regex, string, re.DOTALL)

    access_control.IAMPolicyStatement._match = staticmethod(iam_match)

    request_init = access_control.IAMRequestBase.__init__

    def init(self, *args, **kwargs):
        request_init(self, *args, **kwargs)
        if self._service == "apigateway":
            self._action = f"apigateway:{self._method}"
        elif self._service == "tagging":
            self._action = "tag:" + self._action.split(":", 1)[1]
        elif self._service == "monitoring":
            # CloudWatch signs as `monitoring`; IAM's actions are `cloudwatch:`.
            self._action = "cloudwatch:" + self._action.split(":", 1)[1]

    access_control.IAMRequestBase.__init__ = init

    from moto.core.exceptions import JsonRESTError

    class AccessDeniedJson(JsonRESTError):
        code = 403

    from werkzeug.exceptions import HTTPException

    class AccessDeniedQuery(HTTPException):
        # The Query protocol's error document (moto's wraps the error in <Errors>, where
        # the SDKs do not look for its code).
        code = 403

        def __init__(self, message):
            super().__init__(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{message}</Message></Error><RequestId>denied</RequestId></ErrorResponse>"
            )

    def access_denied(self):
        content_type = self._headers.get("Content-Type") or self._headers.get("content-type") or ""
        if "x-www-form-urlencoded" in content_type:
            raise AccessDeniedQuery(
                f"User: {self._access_key.arn} is not authorized to perform: {self._action}"
            )
        raise AccessDeniedJson(
            "AccessDeniedException",
            f"User: {self._access_key.arn} is not authorized to perform: {self._action}",
        )

    access_control.IAMRequest._raise_access_denied = access_denied

    def lambda_resource(self):
        try:
            parts = [unquote(p) for p in urlparse(self.uri).path.split("/") if p]
            base = f"arn:aws:lambda:{self.region}:{self.current_account}"
            if parts[1:2] == ["tags"] and len(parts) > 2:
                return "/".join(parts[2:])
            if parts[1:2] == ["event-source-mappings"] and len(parts) > 2:
                return f"{base}:event-source-mapping:{parts[2]}"
            if parts[1:2] != ["functions"]:
                return "*"
            if len(parts) > 2:
                name = parts[2]
            elif self.method == "POST":
                name = json.loads(self.body or "{}").get("FunctionName") or ""
            else:
                return "*"
            return name if name.startswith("arn:") else f"{base}:function:{name}"
        except Exception:
            return "*"

    responses.LambdaResponse._determine_resource = lambda_resource

    class PassRoleRequest(access_control.IAMRequest):
        passed_to = ""

        def check_action_permitted(self, resource):
            self._action = "iam:PassRole"
            permitted = False
            for policy in self._access_key.collect_policies():
                result = access_control.IAMPolicy(policy).is_action_permitted(
                    self._action, resource, None, {"iam:PassedToService": self.passed_to}
                )
                if result == access_control.PermissionResult.DENIED:
                    self._raise_access_denied()
                if result == access_control.PermissionResult.PERMITTED:
                    permitted = True
            if not permitted:
                self._raise_access_denied()

    def passing_roles(response_class, service, roles_of):
        """After a call's own check, iam:PassRole on each role it hands `service`:
        `roles_of(action, body)` names them."""
        authorize = response_class._authenticate_and_authorize_normal_action

        def authorize_with_pass_role(self, resource="*"):
            enforced = (
                ActionAuthenticatorMixin.request_count
                >= settings.INITIAL_NO_AUTH_ACTION_COUNT
            )
            authorize(self, resource)
            if not enforced:
                return
            body = self.body
            if not isinstance(body, dict):
                try:
                    body = json.loads(body or "{}")
                except (ValueError, TypeError):
                    body = {}
            parsed = urlparse(self.uri)
            path = self.raw_path + ("?" + parsed.query if parsed.query else "")
            for role in roles_of(self._get_action(), body):
                request = PassRoleRequest(
                    account_id=self.current_account,
                    method=self.method,
                    path=path,
                    data=self.data,
                    body=self.raw_body,
                    headers=self.headers,
                    action="PassRole",
                )
                request.passed_to = service
                request.check_action_permitted(role)

        response_class._authenticate_and_authorize_normal_action = authorize_with_pass_role

    from moto.events.responses import EventsHandler as _Events
    from moto.scheduler.responses import EventBridgeSchedulerResponse as _Scheduler
    from moto.stepfunctions.responses import StepFunctionResponse as _States

    passing_roles(
        responses.LambdaResponse,
        "lambda.amazonaws.com",
        lambda action, body: [body["Role"]]
        if action in ("CreateFunction", "UpdateFunctionConfiguration") and body.get("Role")
        else [],
    )
    passing_roles(
        _States,
        "states.amazonaws.com",
        lambda action, body: [body["roleArn"]]
        if action in ("CreateStateMachine", "UpdateStateMachine") and body.get("roleArn")
        else [],
    )
    passing_roles(
        _Events,
        "events.amazonaws.com",
        lambda action, body: [t["RoleArn"] for t in body.get("Targets", []) if t.get("RoleArn")]
        if action == "PutTargets"
        else [],
    )
    passing_roles(
        _Scheduler,
        "scheduler.amazonaws.com",
        lambda action, body: [body["Target"]["RoleArn"]]
        if action in ("CreateSchedule", "UpdateSchedule")
        and (body.get("Target") or {}).get("RoleArn")
        else [],
    )

    role_resource = IamResponse._determine_resource

    def iam_resource(self):
        if self._get_action() == "CreateRole" and "RoleName" in self.data:
            path = self.data.get("Path", ["/"])[0] or "/"
            return f"arn:aws:iam::{self.current_account}:role{path}{self.data['RoleName'][0]}"
        return role_resource(self)

    IamResponse._determine_resource = iam_resource

    from moto.logs.responses import LogsResponse
    from moto.sqs.responses import SQSResponse

    queue_resource = SQSResponse._determine_resource

    def sqs_resource(self):
        found = queue_resource(self)
        if found != "*":
            return found
        # A queue that does not exist (yet, or any more), by its name or URL.
        try:
            name = self._get_param("QueueName") or self._get_queue_name()
        except Exception:
            name = None
        if name:
            return f"arn:aws:sqs:{self.region}:{self.current_account}:{name}"
        return found

    SQSResponse._determine_resource = sqs_resource

    def logs_resource(self):
        try:
            body = json.loads(self.body or "{}")
        except ValueError:
            return "*"
        name = body.get("logGroupName")
        if name:
            return f"arn:aws:logs:{self.region}:{self.current_account}:log-group:{name}"
        return body.get("resourceArn") or "*"

    LogsResponse._determine_resource = logs_resource

    # The JSON and Query services' calls name their resource in the request: the
    # table, stream, topic, state machine, rule, bus or parameter, by ARN or by name.
    def params(self):
        # DynamoDB's body and SNS's parameters are parsed already by now.
        if isinstance(self.body, dict):
            return self.body
        parsed = getattr(self, "params", None)
        if isinstance(parsed, dict) and parsed:
            return parsed
        try:
            body = json.loads(self.body) if self.body else {}
            if isinstance(body, dict):
                return body
        except (ValueError, TypeError):
            pass
        return {k: v[0] for k, v in self.querystring.items() if v}

    def named(arn_of):
        def resource(self):
            try:
                found = arn_of(self, params(self), f"{self.region}:{self.current_account}")
            except Exception:
                found = None
            return found or "*"

        return resource

    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.kinesis.responses import KinesisResponse
    from moto.scheduler.responses import EventBridgeSchedulerResponse
    from moto.sns.responses import SNSResponse
    from moto.ssm.responses import SimpleSystemManagerResponse
    from moto.stepfunctions.responses import StepFunctionResponse

    DynamoHandler._determine_resource = named(
        lambda self, p, at: p.get("ResourceArn")
        or (p.get("TableName") and f"arn:aws:dynamodb:{at}:table/{p['TableName']}")
    )
    KinesisResponse._determine_resource = named(
        lambda self, p, at: p.get("StreamARN")
        or (p.get("StreamName") and f"arn:aws:kinesis:{at}:stream/{p['StreamName']}")
    )
    SNSResponse._determine_resource = named(
        lambda self, p, at: p.get("TopicArn")
        or p.get("ResourceArn")
        or p.get("SubscriptionArn")
        or (self._get_action() == "CreateTopic" and f"arn:aws:sns:{at}:{p['Name']}")
    )
    StepFunctionResponse._determine_resource = named(
        lambda self, p, at: p.get("stateMachineArn")
        or p.get("resourceArn")
        or (p.get("name") and f"arn:aws:states:{at}:stateMachine:{p['name']}")
    )

    def events_arn(self, p, at):
        if p.get("ResourceARN"):
            return p["ResourceARN"]
        bus = p.get("EventBusName") or "default"
        bus = bus.split("/")[-1]
        rule = p.get("Rule") or (
            p.get("Name") if self._get_action().endswith("Rule") else None
        )
        if rule:
            return f"arn:aws:events:{at}:rule/{rule}" if bus == "default" else f"arn:aws:events:{at}:rule/{bus}/{rule}"
        if self._get_action().endswith("EventBus") and p.get("Name"):
            return f"arn:aws:events:{at}:event-bus/{p['Name']}"
        return None

    EventsHandler._determine_resource = named(events_arn)

    def scheduler_arn(self, p, at):
        parts = [unquote(x) for x in urlparse(self.uri).path.split("/") if x]
        if len(parts) < 2:
            return None
        if parts[0] == "tags":
            return "/".join(parts[1:])
        if parts[0] == "schedule-groups":
            return f"arn:aws:scheduler:{at}:schedule-group/{parts[1]}"
        if parts[0] == "schedules":
            group = self.querystring.get("groupName", [None])[0] or p.get("GroupName") or "default"
            return f"arn:aws:scheduler:{at}:schedule/{group}/{parts[1]}"
        return None

    EventBridgeSchedulerResponse._determine_resource = named(scheduler_arn)

    def ssm_arn(self, p, at):
        name = p.get("Name") or (p.get("Names") or [None])[0] or p.get("ResourceId")
        if not name:
            return None
        return f"arn:aws:ssm:{at}:parameter/{name.split(':')[0].lstrip('/')}"

    SimpleSystemManagerResponse._determine_resource = named(ssm_arn)

    from moto.secretsmanager.responses import SecretsManagerResponse

    def secret_arn(self, p, at):
        secret = p.get("SecretId") or p.get("Name")
        if not secret:
            return None
        if secret.startswith("arn:"):
            return secret
        # A secret's ARN ends with six characters Secrets Manager gives: any six, as a
        # policy's `NAME-??????` matches them.
        return f"arn:aws:secretsmanager:{at}:secret:{secret}-AbCdEf"

    SecretsManagerResponse._determine_resource = named(secret_arn)

    from moto.cloudwatch.responses import CloudWatchResponse

    def alarm_arn(self, p, at):
        # An alarm call names its alarm (PutMetricAlarm), its alarms (DeleteAlarms: the
        # first; slsr deletes one a call) or its ARN (the tag calls).
        names = p.get("AlarmNames") or []
        name = p.get("AlarmName") or (names[0] if names else None)
        return p.get("ResourceARN") or (name and f"arn:aws:cloudwatch:{at}:alarm:{name}")

    CloudWatchResponse._determine_resource = named(alarm_arn)

    def apigateway_resource(self):
        path = urlparse(self.uri).path
        return f"arn:aws:apigateway:{self.region}::{path[len('/v2'):]}"

    ApiGatewayV2Response._determine_resource = apigateway_resource


_iam_enforcement_as_aws()


# API Gateway v1 (REST APIs), as AWS answers slsr's calls (kinds/rest_*.rs, aws/read/rest.rs):
# - GetRestApis, GetResources and GetDeployments in pages: `position` and `limit` in,
#   `position` out (AWS: 25 a page by default, 500 at most); moto answered everything at once;
# - UpdateMethod's `/authorizationType` and `/apiKeyRequired` (moto had no handler for it);
# - CreateDeployment on an existing stage moves the stage to the new deployment and keeps its
#   settings (tracing, throttling, access log), as AWS does; moto made a new, bare stage;
# - TagResource, UntagResource and GetTags on a REST API's ARN
#   (`arn:aws:apigateway:REGION::/restapis/ID`): moto had no handler for them;
# - with IAM enforced, each call names its path (`arn:aws:apigateway:REGION::/restapis/...`)
#   as IAM does, so a policy's scoping is tested (moto named none).
def _rest_apis_as_aws():
    from urllib.parse import unquote, urlparse

    from moto.apigateway.responses import APIGatewayResponse

    def rest_page(self, items, key):
        page, token = _page(items, key, self._get_param("position"),
                            self._get_param("limit"), 25, 500)
        return 200, {}, json.dumps(_body("item", page, "position", token))

    def get_rest_apis(self):
        apis = [a.to_dict() for a in self.backend.list_apis()]
        return rest_page(self, apis, lambda a: (a.get("name") or "", a["id"]))

    def get_resources(self):
        api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
        resources = [r.to_dict() for r in self.backend.get_resources(api_id)]
        return rest_page(self, resources, lambda r: (r["path"], r["id"]))

    def get_deployments(self):
        api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
        deployments = [d.to_json() for d in self.backend.get_deployments(api_id)]
        return rest_page(self, deployments, lambda d: d["id"])

    def tagged_api(self):
        arn = unquote(urlparse(self.uri).path).split("/tags/", 1)[1]
        api_id = arn.split("/restapis/", 1)[1].split("/")[0]
        return self.backend.get_rest_api(api_id)

    def tag_resource(self):
        api = tagged_api(self)
        api.tags = {**(api.tags or {}), **(self._get_param("tags") or {})}
        return 204, {}, ""

    def untag_resource(self):
        api = tagged_api(self)
        keys = self.querystring.get("tagKeys", [])
        api.tags = {k: v for k, v in (api.tags or {}).items() if k not in keys}
        return 204, {}, ""

    def get_tags(self):
        return 200, {}, json.dumps({"tags": tagged_api(self).tags or {}})

    from moto.apigateway import urls as rest_urls

    # A REST API's ARN holds slashes (`::/restapis/ID`), which moto's one pattern refused.
    rest_urls.url_paths[
        r"{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/restapis/(?P<function_id>[^/]+)$"
    ] = APIGatewayResponse.dispatch

    def update_method(self):
        parts = self.path.split("/")
        method = self.backend.get_method(parts[2], parts[4], parts[6])
        for op in self._get_param("patchOperations") or []:
            if op.get("op") != "replace":
                continue
            if op.get("path") == "/authorizationType":
                method.authorization_type = op.get("value")
            elif op.get("path") == "/apiKeyRequired":
                method.api_key_required = str(op.get("value")).lower() == "true"
        return 200, {}, json.dumps(method.to_json())

    from moto.apigateway import models as rest_models

    create_deployment = rest_models.RestAPI.create_deployment

    def deployment_keeping_the_stage(self, name, description="", stage_variables=None):
        existing = self.stages.get(name) if name else None
        deployment = create_deployment(self, name, description, stage_variables)
        if existing is not None:
            existing.deployment_id = deployment.id
            existing.variables.update(stage_variables or {})
            self.stages[name] = existing
        return deployment

    rest_models.RestAPI.create_deployment = deployment_keeping_the_stage
    APIGatewayResponse.update_method = update_method
    APIGatewayResponse.get_rest_apis = get_rest_apis
    APIGatewayResponse.get_resources = get_resources
    APIGatewayResponse.get_deployments = get_deployments
    APIGatewayResponse.tag_resource = tag_resource
    APIGatewayResponse.untag_resource = untag_resource
    APIGatewayResponse.get_tags = get_tags

    def rest_resource(self):
        return f"arn:aws:apigateway:{self.region}::{unquote(urlparse(self.uri).path)}"

    APIGatewayResponse._determine_resource = rest_resource


_rest_apis_as_aws()


# A REST API's authorizers, as AWS answers slsr's calls (kinds/rest_authorizer.rs):
# - GetAuthorizers in pages (`position` and `limit` in, `position` out; AWS: 25 a page by
#   default, 500 at most); moto answered everything at once;
# - UpdateMethod's `/authorizerId` (the handler above took only authorizationType and
#   apiKeyRequired), so a method moved onto or off an authorizer reads back as AWS has it.
def _rest_authorizers_as_aws():
    from moto.apigateway.responses import APIGatewayResponse

    def get_authorizers(self):
        api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
        items = [a.to_json() for a in self.backend.get_authorizers(api_id)]
        page, token = _page(items, lambda a: a["id"], self._get_param("position"),
                            self._get_param("limit"), 25, 500)
        return 200, {}, json.dumps(_body("item", page, "position", token))

    update_method = APIGatewayResponse.update_method

    def update_method_with_authorizer(self):
        parts = self.path.split("/")
        method = self.backend.get_method(parts[2], parts[4], parts[6])
        for op in self._get_param("patchOperations") or []:
            if op.get("op") == "replace" and op.get("path") == "/authorizerId":
                method.authorizer_id = op.get("value") or None
        return update_method(self)

    APIGatewayResponse.get_authorizers = get_authorizers
    APIGatewayResponse.update_method = update_method_with_authorizer


_rest_authorizers_as_aws()


# A REST API's API keys and usage plans, as AWS answers slsr's calls (kinds/rest_api_key.rs,
# rest_usage_plan.rs, rest_usage_plan_key.rs, aws/read/rest_keys.rs):
# - GetApiKeys (with its `name` prefix), GetUsagePlans and GetUsagePlanKeys in pages
#   (`position` and `limit` in, `position` out; AWS: 25 a page by default, 500 at most);
#   moto answered everything at once;
# - UpdateUsagePlan's `/quota/limit` and `/quota/offset` kept as numbers and
#   `/throttle/rateLimit` as a double (moto kept the limit as the patch's string, which no
#   SDK reads as AWS's integer, and failed on a rate of `10.0`);
# - CreateUsagePlan refuses an API stage that does not exist, as AWS does ("Invalid stage
#   identifier specified"), so a plan made before its stage fails the tests.
def _rest_keys_as_aws():
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import UsagePlan
    from moto.apigateway.responses import APIGatewayResponse

    def rest_page(self, items, key):
        page, token = _page(items, key, self._get_param("position"),
                            self._get_param("limit"), 25, 500)
        return 200, {}, json.dumps(_body("item", page, "position", token))

    def get_api_keys(self):
        keys = [k.to_json() for k in self.backend.get_api_keys(name=self._get_param("name"))]
        if not self._get_bool_param("includeValues"):
            for k in keys:
                k.pop("value", None)
        return rest_page(self, keys, lambda k: k["id"])

    def get_usage_plans(self):
        key_id = self.querystring.get("keyId", [None])[0]
        plans = [u.to_json() for u in self.backend.get_usage_plans(api_key_id=key_id)]
        return rest_page(self, plans, lambda u: u["id"])

    def get_usage_plan_keys(self):
        plan_id = self.path.split("/")[2]
        keys = [k.to_json() for k in self.backend.get_usage_plan_keys(plan_id, name=self._get_param("name"))]
        return rest_page(self, keys, lambda k: k["id"])

    create_usage_plan = APIGatewayResponse.create_usage_plan

    def create_usage_plan_on_a_stage(self):
        for s in json.loads(self.body).get("apiStages") or []:
            api = self.backend.apis.get(s.get("apiId"))
            if api is None or s.get("stage") not in api.stages:
                raise BadRequestException("Invalid stage identifier specified")
        return create_usage_plan(self)

    apply_patch_operations = UsagePlan.apply_patch_operations

    def apply_patch_operations_as_numbers(self, patch_operations):
        apply_patch_operations(self, patch_operations)
        for field in ("limit", "offset"):
            if isinstance(self.quota.get(field), str):
                self.quota[field] = int(self.quota[field])

    def int_rate(op):
        # moto's own handler does int(value), which a rate like `10.0` fails.
        if op.get("path") == "/throttle/rateLimit" and op.get("value") is not None:
            return {**op, "value": str(int(float(op["value"])))}
        return op

    def apply_patches(self, patch_operations):
        apply_patch_operations_as_numbers(self, [int_rate(op) for op in patch_operations])
        for op in patch_operations:
            if op.get("op") in ("add", "replace") and op.get("path") == "/throttle/rateLimit":
                self.throttle["rateLimit"] = float(op["value"])

    UsagePlan.apply_patch_operations = apply_patches
    APIGatewayResponse.get_api_keys = get_api_keys
    APIGatewayResponse.get_usage_plans = get_usage_plans
    APIGatewayResponse.get_usage_plan_keys = get_usage_plan_keys
    APIGatewayResponse.create_usage_plan = create_usage_plan_on_a_stage


_rest_keys_as_aws()


def _rest_authorizer_pools_as_aws():
    """UpdateAuthorizer's `/providerARNs` patches as AWS takes them (moto raises on any):
    `add /providerARNs` with one pool's ARN as the value, `remove /providerARNs/ARN`."""
    from moto.apigateway import models as rest_models

    apply = rest_models.Authorizer.apply_operations

    def apply_operations(self, patch_operations):
        others = []
        for op in patch_operations:
            path = op["path"]
            if path == "/providerARNs" and op["op"] == "add":
                self.provider_arns = list(self.provider_arns or [])
                if op["value"] not in self.provider_arns:
                    self.provider_arns.append(op["value"])
            elif path.startswith("/providerARNs/") and op["op"] == "remove":
                arn = path[len("/providerARNs/"):]
                self.provider_arns = [a for a in self.provider_arns or [] if a != arn]
            else:
                others.append(op)
        return apply(self, others)

    rest_models.Authorizer.apply_operations = apply_operations


_rest_authorizer_pools_as_aws()


# A REST API stage's access log, as AWS answers slsr's calls (kinds/rest_stage.rs): UpdateStage
# setting `/accessLogSettings/destinationArn` is refused while the account's API Gateway
# settings name no CloudWatch Logs role (GetAccount's cloudwatchRoleArn), with AWS's
# BadRequestException; moto stored the settings whatever the account had. A test sets the
# role with a plain UpdateAccount, which moto answers as AWS does.
def _rest_access_logs_as_aws():
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import APIGatewayBackend

    update_stage = APIGatewayBackend.update_stage

    def update_stage_with_the_account_s_role(self, function_id, stage_name, patch_operations):
        logs = any(
            op.get("op") in ("add", "replace")
            and op.get("path") == "/accessLogSettings/destinationArn"
            for op in patch_operations or []
        )
        if logs and not self.account.cloudwatch_role_arn:
            raise BadRequestException(
                "CloudWatch Logs role ARN must be set in account settings to enable logging"
            )
        return update_stage(self, function_id, stage_name, patch_operations)

    APIGatewayBackend.update_stage = update_stage_with_the_account_s_role


_rest_access_logs_as_aws()

if __name__ == "__main__":
    sys.exit(main())
