"""Orders HTTP API: GET /orders/{id} and POST /orders (API Gateway payload 2.0).

A new order is stored as PENDING and a `charge` job is queued for the worker.
An `idempotency-key` header makes POST safe to retry: one key, one order.
"""
import base64
import json
import logging
import os
import time
import uuid

from validation import invalid_order

log = logging.getLogger()
log.setLevel(os.environ.get("LOG_LEVEL", "info").upper())
_aws = {}


def _clients():
    if not _aws:  # connect on first use, not at import: shorter cold starts
        import boto3
        _aws["table"] = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
        _aws["sqs"] = boto3.client("sqs")
    return _aws["table"], _aws["sqs"]


def _respond(status, body, **headers):
    # DynamoDB returns numbers as Decimal; every number this service stores is an integer.
    return {"statusCode": status, "headers": {"content-type": "application/json", **headers},
            "body": json.dumps(body, default=int)}


def get_order(event):
    table, _ = _clients()
    item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return _respond(200, item) if item else _respond(404, {"error": "order not found"})


def create_order(event):
    raw = event.get("body") or ""
    try:
        body = json.loads(base64.b64decode(raw) if event.get("isBase64Encoded") else raw)
    except ValueError:
        return _respond(400, {"error": "body must be JSON"})
    if error := invalid_order(body):
        return _respond(400, {"error": error})

    key = event.get("headers", {}).get("idempotency-key")
    oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{body['customer_id']}/{key}") if key else uuid.uuid4())
    lines = [{k: it[k] for k in ("sku", "quantity", "unit_price_cents")} for it in body["items"]]
    now = int(time.time())
    order = {"id": oid, "customer_id": body["customer_id"], "currency": body["currency"], "items": lines,
             "total_cents": sum(it["quantity"] * it["unit_price_cents"] for it in lines),
             "status": "PENDING", "created_at": now, "day": time.strftime("%Y-%m-%d", time.gmtime(now))}
    table, sqs = _clients()
    try:
        table.put_item(Item=order, ConditionExpression="attribute_not_exists(id)")
        status = 201
    except table.meta.client.exceptions.ConditionalCheckFailedException:  # a retried POST
        order, status = table.get_item(Key={"id": oid}, ConsistentRead=True)["Item"], 200
    if order["status"] == "PENDING":  # queued again on a retry: the worker charges an order once
        job = {"type": "charge", "order_id": oid}
        sqs.send_message(QueueUrl=os.environ["JOBS_QUEUE_URL"], MessageBody=json.dumps(job))
    return _respond(status, order, location=f"/orders/{oid}")


ROUTES = {"GET /orders/{id}": get_order, "POST /orders": create_order}


def handler(event, context):
    route = ROUTES.get(event.get("routeKey"))  # the route key, e.g. "GET /orders/{id}", not the path
    try:
        return route(event) if route else _respond(404, {"error": "no such route"})
    except Exception:
        log.exception("%s failed", event.get("routeKey"))
        return _respond(500, {"error": "internal error", "request_id": context.aws_request_id})
