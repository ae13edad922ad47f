"""The mock's own pages: the dashboard at /_mocksmooch/ and the chat page at /_mocksmooch/chat.

Plain HTML, vanilla JS and CSS shipped inside the package, so `pip install` is enough: no
build step, nothing fetched from the internet (the Content-Security-Policy below lets the
pages load and call only the mock itself).  The pages use the public control API and the
SDK API like any other client; this blueprint only serves the files.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

HERE = Path(__file__).parent
ASSETS = {"common.js", "dashboard.js", "chat.js", "style.css"}  # served at /_mocksmooch/assets/<name>

# Everything from the mock's own origin; no inline scripts or styles, no third-party hosts.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'")

dashboard = Blueprint("dashboard", __name__, url_prefix="/_mocksmooch")


def _page(name: str):
    response = send_from_directory(HERE, name, mimetype="text/html", max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@dashboard.get("/")
def index():
    return _page("index.html")


@dashboard.get("/chat")
def chat():
    return _page("chat.html")


@dashboard.get("/assets/<name>")
def asset(name: str):
    """Only the listed files: the package folder also holds this module."""
    if name not in ASSETS:
        abort(404)
    response = send_from_directory(HERE, name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
