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

- CloudWatch Logs DeleteLogGroup forgets the group's tags, as AWS does (moto kept them
  under the ARN, and a new group of the same name inherited them).
- SSM GetParameters names the selector of a parameter asked for by version or label
  (`/db/pass:3`, `/db/pass:prod`) in `Selector`, as AWS does (moto leaves it out, so an
  answer could not be told from one for another version of the name).

These refusals are what make a create whose answer was lost safe to send again, so the
fault tests depend on them.

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


def get_authorizers(self):
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
    return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


apigw_responses.ApiGatewayV2Response.get_authorizers = get_authorizers


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

if __name__ == "__main__":
    sys.exit(main())
