import json

GREETING = "hello"


def hello(event, context):
    return {"statusCode": 200, "body": json.dumps({"message": GREETING})}


def worker(event, context):
    return {"batchItemFailures": []}


def tick(event, context):
    return {"ok": True}
