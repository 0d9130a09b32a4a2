"""The data app's handlers, the same file for every deployer in bench/compare (slsr's
bench/apps/data/src/app.py and the peers' copies in bench/peers/apps/*-data). TABLE and BUCKET
come from each tool's own references to the table and bucket it made."""
import json
import os
import urllib.parse

import boto3

GREETING = "hello"

_dynamodb = boto3.client("dynamodb")
_s3 = boto3.client("s3")


def changes(event, context):
    """DynamoDB stream consumer: counts the kinds of change in the batch."""
    counts = {}
    for record in event.get("Records", []):
        counts[record["eventName"]] = counts.get(record["eventName"], 0) + 1
    print(json.dumps({"greeting": GREETING, "changes": counts}))
    return {"batchItemFailures": []}


def ingest(event, context):
    """S3 upload trigger: each object created under incoming/ becomes an order item."""
    for record in event.get("Records", []):
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        head = _s3.head_object(Bucket=os.environ["BUCKET"], Key=key)
        _dynamodb.put_item(TableName=os.environ["TABLE"], Item={
            "pk": {"S": "upload"},
            "sk": {"S": key},
            "size": {"N": str(head["ContentLength"])},
        })
    return {"ok": True}


def order(event, context):
    """GET /orders/{id}: the order's items."""
    order_id = (event.get("pathParameters") or {}).get("id", "")
    items = _dynamodb.query(
        TableName=os.environ["TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": order_id}},
    )["Items"]
    return {"statusCode": 200, "body": json.dumps({"greeting": GREETING, "items": items})}
