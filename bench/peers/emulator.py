#!/usr/bin/env python3
"""The emulator for bench/compare's data app: scripts/moto_server.py (every patch it has), and
these for the peers' CloudFormation, where moto 5.2.5 makes a resource but drops properties
that the data app (bench/peers/apps/*-data) declares. Without them the peers' stacks report
success and the bucket has no trigger, no versioning and no public access block, the table no
point-in-time recovery, and SAM's roles no managed policy, so the peers would deploy less than
slsr does. slsr makes no CloudFormation call, so nothing here changes what it sees.

- AWS::S3::Bucket: NotificationConfiguration (LambdaConfigurations, QueueConfigurations,
  TopicConfigurations, with their S3Key filters; not checked against the functions'
  permissions, which moto may make after the bucket in spite of the stack's DependsOn), VersioningConfiguration and
  PublicAccessBlockConfiguration, on create and on update (moto applied only BucketEncryption
  and Tags).
- AWS::DynamoDB::Table: PointInTimeRecoverySpecification on create (moto ignored it).
- AWS::IAM::Role: ManagedPolicyArns on create and update (moto ignored them: SAM's roles had
  neither AWSLambdaBasicExecutionRole nor AWSLambdaDynamoDBExecutionRole).

Run as moto_server: python bench/peers/emulator.py -H 127.0.0.1 -p PORT (in the repository's
.venv, which has moto).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import moto_server  # noqa: E402  (applies the test emulator's patches)
from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
from moto.iam import models as iam_models  # noqa: E402
from moto.s3 import models as s3_models  # noqa: E402
from moto.utilities.utils import get_partition  # noqa: E402

# CloudFormation's NotificationConfiguration lists, and the names moto's S3 backend keeps
# them under (those of S3's XML: CloudFunctionConfiguration / CloudFunction for Lambda).
_NOTIFICATIONS = (
    ("LambdaConfigurations", "Function", "CloudFunctionConfiguration", "CloudFunction"),
    ("QueueConfigurations", "Queue", "QueueConfiguration", "Queue"),
    ("TopicConfigurations", "Topic", "TopicConfiguration", "Topic"),
)


def _notification_config(cfn):
    out = {}
    for cfn_list, cfn_target, key, target in _NOTIFICATIONS:
        entries = []
        for entry in cfn.get(cfn_list, []):
            event = entry["Event"]
            item = {target: entry[cfn_target], "Event": event if isinstance(event, list) else [event]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                item["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"].lower(), "Value": r["Value"]}
                                                           for r in rules]}}
            if entry.get("Id"):
                item["Id"] = entry["Id"]
            entries.append(item)
        if entries:
            out[key] = entries
    if "EventBridgeConfiguration" in cfn:
        out["EventBridgeConfiguration"] = {}
    return out


def _bucket_properties(bucket, properties, account_id, region_name):
    backend = s3_models.s3_backends[account_id][get_partition(region_name)]
    if "VersioningConfiguration" in properties:
        backend.put_bucket_versioning(bucket.name, properties["VersioningConfiguration"]["Status"])
    if "PublicAccessBlockConfiguration" in properties:
        backend.put_public_access_block(bucket.name, properties["PublicAccessBlockConfiguration"])
    if "NotificationConfiguration" in properties:
        # Written without the test emulator's check of each Lambda destination: the peers'
        # templates make the bucket depend on the function's permission, as CloudFormation
        # requires, but moto makes a stack's resources in its own order, so the permission
        # may not exist yet here although it would on AWS.
        moto_server._s3_put_notification(
            backend, bucket.name, _notification_config(properties["NotificationConfiguration"]))


_bucket_create = s3_models.FakeBucket.create_from_cloudformation_json.__func__
_bucket_update = s3_models.FakeBucket.update_from_cloudformation_json.__func__


@classmethod
def bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _bucket_properties(bucket, cloudformation_json.get("Properties", {}), account_id, region_name)
    return bucket


@classmethod
def bucket_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    bucket = _bucket_update(cls, original_resource, new_resource_name, cloudformation_json,
                            account_id, region_name)
    _bucket_properties(bucket, cloudformation_json.get("Properties", {}), account_id, region_name)
    return bucket


s3_models.FakeBucket.create_from_cloudformation_json = bucket_create
s3_models.FakeBucket.update_from_cloudformation_json = bucket_update

_table_create = Table.create_from_cloudformation_json.__func__


@classmethod
def table_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    table = _table_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    pitr = cloudformation_json["Properties"].get("PointInTimeRecoverySpecification")
    if pitr:
        dynamodb_backends[account_id][region_name].update_continuous_backups(table.name, pitr)
    return table


Table.create_from_cloudformation_json = table_create


def _attach_managed(role, properties, account_id, region_name):
    backend = iam_models.iam_backends[account_id][get_partition(region_name)]
    for arn in properties.get("ManagedPolicyArns", []):
        backend.attach_role_policy(arn, role.name)


_role_create = iam_models.Role.create_from_cloudformation_json.__func__
_role_update = iam_models.Role.update_from_cloudformation_json.__func__


@classmethod
def role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    role = _role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _attach_managed(role, cloudformation_json["Properties"], account_id, region_name)
    return role


@classmethod
def role_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    role = _role_update(cls, original_resource, new_resource_name, cloudformation_json,
                        account_id, region_name)
    _attach_managed(role, cloudformation_json["Properties"], account_id, region_name)
    return role


iam_models.Role.create_from_cloudformation_json = role_create
iam_models.Role.update_from_cloudformation_json = role_update

if __name__ == "__main__":
    sys.exit(moto_server.main())
