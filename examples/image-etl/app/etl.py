"""JPEG renditions of uploaded images, at s3://$OUTPUT_BUCKET/{size}/{name}.jpg
where size bounds the longest edge in pixels. Invoked three ways:

- "Object Created" from EventBridge (S3 notifications): the uploaded object;
- "Scheduled Event": every upload under $SOURCE_PREFIX that has no renditions yet;
- directly with {"objects": [{"bucket": ..., "key": ...}]}: a chosen backfill.
"""
import io
import logging
import os
from urllib.parse import unquote_plus

import boto3
from PIL import Image, ImageOps

log = logging.getLogger()
log.setLevel(logging.INFO)
s3 = boto3.client("s3")
SOURCE_BUCKET, SOURCE_PREFIX = os.environ["SOURCE_BUCKET"], os.environ.get("SOURCE_PREFIX", "incoming/")
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
SIZES = sorted((int(s) for s in os.environ.get("SIZES", "1600,800,320").split(",")), reverse=True)
QUALITY = int(os.environ.get("JPEG_QUALITY", "82"))
Image.MAX_IMAGE_PIXELS = 100_000_000  # refuse decompression bombs


def _name(key):  # "incoming/2025/01/cat photo.PNG" -> "2025/01/cat photo"
    return os.path.splitext(key.removeprefix(SOURCE_PREFIX))[0]


def _keys(bucket, prefix):
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from (o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))


def objects(event):
    if event.get("detail-type") == "Object Created":
        return [(event["detail"]["bucket"]["name"], event["detail"]["object"]["key"])]
    if event.get("detail-type") == "Scheduled Event":  # the smallest rendition is written last
        done = {_name(k.split("/", 1)[1]) for k in _keys(OUTPUT_BUCKET, f"{SIZES[-1]}/")}
        return ((SOURCE_BUCKET, k) for k in _keys(SOURCE_BUCKET, SOURCE_PREFIX) if _name(k) not in done)
    return [(o["bucket"], o["key"]) for o in event.get("objects", [])]


def render(bucket, key):
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:  # S3 notifications may URL-encode keys ("a b.jpg" -> "a+b.jpg")
        key = unquote_plus(key)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with Image.open(io.BytesIO(body)) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")  # honour camera rotation, drop alpha
    for size in SIZES:  # largest first, so the smallest one marks the object as done
        copy = image.copy()
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the aspect ratio, never upscales
        out = io.BytesIO()
        copy.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        s3.put_object(Bucket=OUTPUT_BUCKET, Key=f"{size}/{_name(key)}.jpg", Body=out.getvalue(),
                      ContentType="image/jpeg", CacheControl="public, max-age=31536000, immutable")
    return image.size


def handler(event, context):
    rendered, failed = 0, []
    for bucket, key in objects(event):
        if context.get_remaining_time_in_millis() < 20_000:
            log.warning("out of time after %d objects; the next run picks up the rest", rendered)
            break
        try:
            width, height = render(bucket, key)
            rendered += 1
            log.info("rendered s3://%s/%s (%dx%d)", bucket, key, width, height)
        except Exception:
            log.exception("cannot render s3://%s/%s", bucket, key)
            failed.append(key)
    if failed and event.get("detail-type") == "Object Created":
        raise RuntimeError(f"rendering failed: {failed}")  # Lambda retries the async invocation
    return {"rendered": rendered, "failed": failed}
