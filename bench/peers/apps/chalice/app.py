# Chalice wants its own decorators: each route or event here only calls the shared handlers,
# chalicelib/app.py, the same file as bench/apps/small/src/app.py and the other peers' app.py.
from chalice import Chalice, Rate, Response

from chalicelib import app as small

app = Chalice(app_name="peerbench-chalice")


@app.route("/hello", methods=["GET"])
def hello():
    r = small.hello({}, None)
    return Response(body=r["body"], status_code=r["statusCode"],
                    headers={"Content-Type": "application/json"})


# Chalice does not create queues: bench/peers/run creates this one before the first deploy.
@app.on_sqs_message(queue="peerbench-chalice-queue", batch_size=10)
def worker(event):
    return small.worker(event.to_dict(), None)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def tick(event):
    return small.tick(event.to_dict(), None)
