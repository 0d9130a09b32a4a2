"""Daily order summary, written to s3://$REPORTS_BUCKET/daily/YYYY-MM-DD.json.

Two triggers:
- the nightly schedule ("Scheduled Event"): summarizes the UTC day before the rule fired;
- a "ReportRequested" event from acme.orders.admin with {"date": "YYYY-MM-DD"}: re-runs any day.
"""
import datetime
import json
import logging
import os
from collections import Counter

log = logging.getLogger()
log.setLevel(os.environ.get("LOG_LEVEL", "info").upper())


def report_day(event):
    if event.get("detail-type") == "ReportRequested":
        day = datetime.date.fromisoformat(event.get("detail", {}).get("date", ""))  # ValueError if malformed
        if day >= datetime.datetime.now(datetime.timezone.utc).date():
            raise ValueError(f"{day} is not over yet")
        return day
    fired = datetime.datetime.fromisoformat(event["time"])  # e.g. "2025-01-31T02:15:00Z"
    return fired.date() - datetime.timedelta(days=1)


def summarize(table, day):
    count, by_status, revenue = 0, Counter(), Counter()
    query = {
        "IndexName": "by-day",
        "KeyConditionExpression": "#d = :day",
        "ProjectionExpression": "#s, currency, total_cents",
        "ExpressionAttributeNames": {"#d": "day", "#s": "status"},  # both are reserved words
        "ExpressionAttributeValues": {":day": day.isoformat()},
    }
    while True:
        page = table.query(**query)
        for order in page["Items"]:
            count += 1
            by_status[order["status"]] += 1
            if order["status"] == "PAID":
                revenue[order["currency"]] += int(order["total_cents"])
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {
        "day": day.isoformat(),
        "orders": count,
        "by_status": dict(sorted(by_status.items())),
        "revenue_cents": dict(sorted(revenue.items())),
        "paid_ratio": round(by_status["PAID"] / count, 4) if count else None,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def handler(event, context):
    import boto3  # imported here so that report_day and summarize are testable without it

    day = report_day(event)
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    summary = summarize(table, day)
    key = f"daily/{day.isoformat()}.json"
    boto3.client("s3").put_object(
        Bucket=os.environ["REPORTS_BUCKET"],
        Key=key,
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    log.info("report %s: %d orders", key, summary["orders"])
    return {"key": key, "orders": summary["orders"]}
