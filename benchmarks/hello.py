"""The hello-world peer: a bare Flask app under the very waitress settings `mocksmooch serve` uses.

It is the ceiling for mocksmooch's throughput: same framework, same server, same threads,
no work.  One route, `/`, answers GET with a small JSON body (200) and POST by parsing the
JSON body it is sent (201), so the load section can send it the same requests as mocksmooch.

    python benchmarks/hello.py --port 8091 --threads 8

It imports nothing of mocksmooch (that would load its seed machinery and inflate the peer's
start-up and memory): run.py reads the thread count `mocksmooch serve` uses and passes it.
"""
from __future__ import annotations

import argparse
import signal

import waitress
from flask import Flask, jsonify, request

# mocksmooch/cli.py `_serve` calls waitress.create_server(app, host=, port=, threads=,
# ident="mocksmooch") and sets nothing else.
IDENT = "mocksmooch"

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def hello():
    if request.method == "POST":
        return jsonify({"received": request.get_json()}), 201
    return jsonify({"hello": "world"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True, help="as `mocksmooch serve --threads`")
    args = parser.parse_args()
    server = waitress.create_server(app, host=args.host, port=args.port, threads=args.threads, ident=IDENT)

    def stop(signum, frame):  # as `mocksmooch serve`: waitress's loop ends on SystemExit
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
