"""The notes app's handlers: the HTTP API, the table's change stream and new attachments."""
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
s3 = boto3.client("s3")


def api(event, _context):
    # A real app takes the owner from an authorizer's claims; the example keeps routes open.
    owner = (event.get("headers") or {}).get("x-owner", "anonymous")
    if event["requestContext"]["http"]["method"] == "POST":
        note = json.loads(event.get("body") or "{}")
        item = {"owner": owner, "id": note["id"], "day": note.get("day", ""), "text": note.get("text", "")}
        table.put_item(Item=item)
        return {"statusCode": 201, "body": json.dumps(item)}
    note_id = (event.get("pathParameters") or {}).get("id")
    if note_id:
        found = table.get_item(Key={"owner": owner, "id": note_id}).get("Item")
        return {"statusCode": 200 if found else 404, "body": json.dumps(found or {})}
    items = table.query(KeyConditionExpression="#o = :o", ExpressionAttributeNames={"#o": "owner"},
                        ExpressionAttributeValues={":o": owner})["Items"]
    return {"statusCode": 200, "body": json.dumps(items)}


def changes(event, _context):
    failures = []
    for record in event["Records"]:
        try:
            print(record["eventName"], json.dumps(record["dynamodb"].get("Keys")))
        except Exception:  # report the record, not the batch
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def scan(event, _context):
    for record in event["Records"]:
        bucket, key = record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]
        head = s3.head_object(Bucket=bucket, Key=key)
        print(f"new attachment {key}: {head['ContentLength']} bytes")
