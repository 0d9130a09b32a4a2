#!/usr/bin/env python3
"""Checks that a tool's deploy of the data app (bench/apps/data and its peers' versions) made
what the app declares, reading moto directly (not through the proxy, so no tool's calls are
counted): bench/compare runs it after each round, so a tool whose deploy reports success but
made less (as the peers' stacks did on unpatched moto) is seen.

Usage: data_check.py ENDPOINT TOOL=PREFIX...   (PREFIX begins every name the tool gave)
Prints {TOOL: [problem, ...]} as JSON; an empty list is a complete app.
"""
import json
import sys

import boto3


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def one(names, prefix, what):
    found = [n for n in names if n.startswith(prefix + what)]
    return found[0] if len(found) == 1 else None


def check(endpoint, prefix):
    ddb, s3, lam = (client(s, endpoint) for s in ("dynamodb", "s3", "lambda"))
    problems = []
    functions = [f["FunctionName"] for page in lam.get_paginator("list_functions").paginate()
                 for f in page["Functions"]]
    fns = {name: one(functions, prefix, name) for name in ("changes", "ingest", "order")}
    problems += [f"no function {prefix}{name}" for name, fn in fns.items() if not fn]

    table = one(ddb.list_tables()["TableNames"], prefix, "orders")
    if not table:
        return problems + [f"no table {prefix}orders"]
    t = ddb.describe_table(TableName=table)["Table"]
    keys = sorted((k["AttributeName"], k["KeyType"]) for k in t["KeySchema"])
    if keys != [("pk", "HASH"), ("sk", "RANGE")]:
        problems.append(f"table key {keys}")
    if t.get("BillingModeSummary", {}).get("BillingMode") != "PAY_PER_REQUEST":
        problems.append("table not on demand")
    if t.get("StreamSpecification", {}).get("StreamViewType") != "NEW_AND_OLD_IMAGES":
        problems.append(f"table stream {t.get('StreamSpecification')}")
    pitr = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    if pitr["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] != "ENABLED":
        problems.append("no point-in-time recovery")
    if not t.get("DeletionProtectionEnabled"):
        problems.append("no deletion protection")
    mappings = [m for m in lam.list_event_source_mappings(EventSourceArn=t.get("LatestStreamArn", "-"))
                ["EventSourceMappings"] if fns["changes"] and m["FunctionArn"].endswith(":" + fns["changes"])]
    if len(mappings) != 1:
        problems.append(f"{len(mappings)} mappings of the table's stream to the consumer")
    elif (mappings[0].get("BatchSize"), mappings[0].get("StartingPosition")) != (100, "LATEST"):
        problems.append(f"mapping {mappings[0].get('BatchSize')} {mappings[0].get('StartingPosition')}")

    bucket = one([b["Name"] for b in s3.list_buckets()["Buckets"]], prefix, "uploads")
    if not bucket:
        return problems + [f"no bucket {prefix}uploads"]
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        problems.append("bucket not versioned")
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        if not all(block.values()):
            problems.append(f"public access block {block}")
    except s3.exceptions.ClientError:
        problems.append("no public access block")
    configs = s3.get_bucket_notification_configuration(Bucket=bucket).get("LambdaFunctionConfigurations", [])
    triggers = [c for c in configs if fns["ingest"] and c["LambdaFunctionArn"].endswith(":" + fns["ingest"])]
    if len(triggers) != 1:
        problems.append(f"{len(triggers)} notifications of the bucket to the upload function")
    else:
        rules = triggers[0].get("Filter", {}).get("Key", {}).get("FilterRules", [])
        if not any(e.startswith("s3:ObjectCreated:") for e in triggers[0]["Events"]) or \
                [(r["Name"].lower(), r["Value"]) for r in rules] != [("prefix", "incoming/")]:
            problems.append(f"notification {triggers[0]['Events']} {rules}")
    if fns["ingest"]:
        try:
            policy = json.loads(lam.get_policy(FunctionName=fns["ingest"])["Policy"])
            if not any(s.get("Principal", {}).get("Service") == "s3.amazonaws.com"
                       for s in policy["Statement"]):
                problems.append("S3 may not invoke the upload function")
        except lam.exceptions.ResourceNotFoundException:
            problems.append("S3 may not invoke the upload function")
    return problems


def main():
    endpoint, tools = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    print(json.dumps({tool: check(endpoint, prefix) for tool, prefix in tools.items()}))


if __name__ == "__main__":
    main()
