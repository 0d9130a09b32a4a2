"""Charges PENDING orders, one SQS message ({"type": "charge", "order_id"}) per order.

Runs in the VPC to reach the internal payments service. Returns the ids of
failed messages as batchItemFailures, so only those are retried (and after
max_receive_count attempts, moved to the dead-letter queue).
"""
import json
import logging
import os
import time
import urllib.error
import urllib.request

log = logging.getLogger()
log.setLevel(os.environ.get("LOG_LEVEL", "info").upper())
PAYMENTS_URL = os.environ["PAYMENTS_URL"].rstrip("/")
HTTP_TIMEOUT = 5  # seconds per charge
_aws = {}


def _table():
    if not _aws:
        import boto3
        _aws["table"] = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _aws["table"]


def _charge(order):
    """Returns (status, charge_id). The order id is the idempotency key: a repeated call charges once."""
    payload = {"amount_cents": int(order["total_cents"]), "currency": order["currency"],
               "customer_id": order["customer_id"], "reference": order["id"]}
    req = urllib.request.Request(f"{PAYMENTS_URL}/v1/charges", data=json.dumps(payload).encode(), method="POST",
                                 headers={"content-type": "application/json", "idempotency-key": order["id"]})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return "PAID", json.load(resp)["id"]
    except urllib.error.HTTPError as err:
        if err.code == 402:  # declined: a final answer, not worth a retry
            return "DECLINED", None
        raise


def process(job):
    if job.get("type") != "charge":
        log.warning("ignoring job of unknown type %r", job.get("type"))
        return
    table = _table()
    order = table.get_item(Key={"id": job["order_id"]}, ConsistentRead=True).get("Item")
    if order is None:
        raise LookupError(f"order {job['order_id']} not found")
    if order["status"] != "PENDING":
        return  # a duplicate delivery: already charged or declined
    status, charge_id = _charge(order)
    try:
        table.update_item(
            Key={"id": order["id"]},
            UpdateExpression="SET #s = :new, charge_id = :charge, settled_at = :now",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":new": status, ":charge": charge_id, ":now": int(time.time()),
                                       ":pending": "PENDING"})
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        log.info("order %s settled concurrently", order["id"])
    log.info("order %s %s", order["id"], status)


def handler(event, context):
    failures = []
    for record in event["Records"]:
        # Too little time left for another charge: hand this and the rest back to the queue.
        if context.get_remaining_time_in_millis() < (HTTP_TIMEOUT + 2) * 1000:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            process(json.loads(record["body"]))
        except Exception:
            log.exception("message %s failed (receive count %s)", record["messageId"],
                          record["attributes"].get("ApproximateReceiveCount"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
