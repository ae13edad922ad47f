"""The hello-world peer: a bare Flask app under mocksmooch's own server (mocksmooch.server).

It is the ceiling for mocksmooch's throughput: same framework, same server, same settings,
no work.  One route, `/`, answers GET with a small JSON body (200) and POST by parsing the
JSON body it is sent (201), so the load section can send it the same requests as mocksmooch.

    python benchmarks/hello.py --port 8091

It imports mocksmooch's server and nothing else of mocksmooch (the app would load its seed
machinery and inflate the peer's start-up and memory).
"""
from __future__ import annotations

import argparse

from flask import Flask, jsonify, request

from mocksmooch.server import Server

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
    args = parser.parse_args()
    Server(app, args.host, args.port).serve()  # as `mocksmooch serve`: until SIGTERM or SIGINT
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
