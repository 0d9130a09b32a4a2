"""Validation of a new order's JSON body; returns an error message or None."""

CURRENCIES = ("EUR", "GBP", "USD")
MAX_LINES = 50


def _line_ok(it):
    return (isinstance(it, dict) and isinstance(it.get("sku"), str) and it["sku"] != ""
            and type(it.get("quantity")) is int and it["quantity"] > 0
            and type(it.get("unit_price_cents")) is int and it["unit_price_cents"] >= 0)


def invalid_order(body):
    if not isinstance(body, dict) or not isinstance(body.get("customer_id"), str) or not body["customer_id"]:
        return "customer_id is required"
    if body.get("currency") not in CURRENCIES:
        return f"currency must be one of {', '.join(CURRENCIES)}"
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_LINES or not all(map(_line_ok, items)):
        return f"items: 1 to {MAX_LINES} lines of {{sku, quantity > 0, unit_price_cents >= 0}}"
    return None
