"""OAuth for partner integrations (/oauth/...) and GET /v2/tokenInfo.

The real flow runs through a browser: the Zendesk admin logs in, picks an account and
clicks Allow.  Here the admin approves at once:

    GET  /oauth/authorize?response_type=code&client_id=C&state=S&redirect_uri=R
         -> 302 R?code=X&state=S      (extensions: app_id=A picks the app, decision=deny refuses)
    POST /oauth/token {code, grant_type: "authorization_code", client_id, client_secret}
         -> {"access_token": T, "token_type": "Bearer"}

The clients are the fixture file's `oauthClients`.  Authorizing a client for an app adds
an integration to the app, whose `type` is the client id (the spec names OAuth
integrations that way in switchboards), once per client and app.  Each code exchanged
adds a key under that integration, held by the server (owner "oauth": it signs only
`integration` tokens and cannot be used with Basic), and the access token is a JWT signed
with it, shaped like the spec's example: header {alg, typ, kid, azp: client id}, payload
{scope: "integration", appId, iat}.  DELETE /oauth/authorization deletes the integration,
its keys with it, so every token of that authorization stops working at once.
"""
from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
from flask import Blueprint, Response, g, jsonify, request

from .. import auth, ids
from .bodies import field, json_body
from .errors import ApiError, bad_request
from .guard import mock, principal, requires
from .v2 import v2
from .v2.apps import render_app

oauth = Blueprint("oauth", __name__, url_prefix="/oauth")

CODE_LIFETIME = 600  # seconds; RFC 6749 4.1.2 recommends at most ten minutes
HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s#]*$")


# --- the authorization code ----------------------------------------------------------

@oauth.get("/authorize")
def authorize():
    """Checks the client and where to send the browser (errors there are shown to the
    admin, never redirected: RFC 6749 4.1.2.1); everything after goes back in the redirect."""
    client = _client_of_authorize(_arg("client_id"))
    redirect_uri = _redirect_uri(client, request.args.get("redirect_uri"))
    state = request.args.get("state")
    if request.args.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    decision = request.args.get("decision", "allow")
    if decision not in ("allow", "deny"):
        raise bad_request("decision should be equal to one of the allowed values: allow, deny")
    if decision == "deny":
        return _redirect(redirect_uri, error="access_denied", state=state)
    app = _chosen_app(request.args.get("app_id"))
    code = {"id": ids.object_id(), "clientId": client["id"], "appId": app["id"],
            "redirectUri": redirect_uri, "expiresAt": mock().clock.now() + CODE_LIFETIME}
    mock().store.insert("oauthCode", code, parent=app["id"])  # deleting the app voids its codes
    return _redirect(redirect_uri, code=code["id"], state=state)


def _arg(name: str) -> str:
    value = request.args.get(name)
    if value is None or value == "":
        raise bad_request(f"should have required property '{name}'")
    return value


def _client_of_authorize(client_id: str) -> dict:
    client = mock().store.get("oauthClient", client_id)
    if client is None:
        raise ApiError(400, "bad_request", "Invalid client_id", f"no OAuth client {client_id[:64]!r}")
    return client


def _redirect_uri(client: dict, given: str | None) -> str:
    """One of the client's redirect URIs (the first by default); a client with none
    accepts any absolute http(s) URL, and then one must be given."""
    allowed = client["redirectUris"]
    if given is None or given == "":
        if allowed:
            return allowed[0]
        raise bad_request("should have required property 'redirect_uri'")
    if allowed and given not in allowed:
        raise ApiError(400, "bad_request", "Invalid redirect_uri",
                       f"{given[:200]!r} is not one of the redirect URIs of client {client['id']}")
    if not HTTP_URL.match(given):
        raise ApiError(400, "bad_request", "Invalid redirect_uri",
                       f"{given[:200]!r} is not an absolute http or https URL")
    return given


def _chosen_app(app_id: str | None) -> dict:
    """The app named by `app_id`, or else the first app of the first account: the one an
    admin of the default seed would pick."""
    store = mock().store
    if app_id is not None:
        app = store.get("app", app_id)
        if app is None:
            raise ApiError(404, "app_not_found", "App not found", f"no app {app_id[:64]!r} to authorize")
        return app
    for account in store.children("account"):
        apps = store.apps_of(account["id"])
        if apps:
            return apps[0]
    raise ApiError(404, "app_not_found", "App not found", "there is no app to authorize")


def _redirect(target: str, **params: str | None) -> Response:
    """A 302 to `target` with `params` added to its query, in the body an Express server writes."""
    parts = urlsplit(target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(f"Found. Redirecting to {location}", status=302,
                    headers={"Location": location}, content_type="text/plain; charset=utf-8")


# --- the access token ------------------------------------------------------------------

@oauth.post("/token")
def token():
    """Exchanges a code, once, for an integration token.  A wrong client, secret or code
    answers 401 "Authorization is required" (openapi.yaml 14.3.5)."""
    body = _token_body()
    code_id = field(body, "code", str, required=True)
    grant_type = field(body, "grant_type", str, required=True)
    client_id = field(body, "client_id", str, required=True)
    client_secret = field(body, "client_secret", str, required=True)

    store, now = mock().store, mock().clock.now()
    client = store.get("oauthClient", client_id)
    if client is None:
        raise auth.AuthenticationError(f"no OAuth client {client_id[:64]!r}")
    if not hmac.compare_digest(client_secret.encode(), client["secret"].encode()):
        raise auth.AuthenticationError(f"wrong client_secret for OAuth client {client_id}")
    if grant_type != "authorization_code":
        raise bad_request("grant_type should be equal to 'authorization_code'")
    with store.transaction():
        code = store.get("oauthCode", code_id)
        if code is None or code["clientId"] != client_id:
            raise auth.AuthenticationError(f"code {code_id[:64]!r} was not issued to client {client_id} "
                                           "or was used already")
        store.delete("oauthCode", code_id)  # single use, even when it has expired
        fresh = code["expiresAt"] > now
        key = _issue_key(client, store.get("app", code["appId"])) if fresh else None
    if key is None:
        raise auth.AuthenticationError(f"code {code_id} expired {now - code['expiresAt']:.0f}s ago")
    access_token = jwt.encode({"scope": "integration", "appId": key["appId"], "iat": int(now)},
                              key["secret"], algorithm="HS256", sort_headers=False,
                              headers={"kid": key["id"], "typ": "JWT", "azp": client["id"]})
    response = jsonify({"access_token": access_token, "token_type": "Bearer"})
    response.headers["Cache-Control"] = "no-store"
    return response


def _token_body() -> dict:
    """JSON as the v2 spec documents it, or form-encoded as the v1 docs' curl sends it."""
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.to_dict()
    return json_body()


def _issue_key(client: dict, app: dict) -> dict:
    """A new signing key for the client's integration in the app (added on first use)."""
    store = mock().store
    integration = next((i for i in store.children("integration", app["id"])
                        if i.get("oauthClientId") == client["id"]), None)
    if integration is None:
        integration = {"id": ids.object_id(), "appId": app["id"], "type": client["id"],
                       "status": "active", "displayName": client["name"], "oauthClientId": client["id"]}
        store.insert("integration", integration, parent=app["id"])
    key = {"id": ids.key_id(auth.KEY_PREFIXES["app"]), "secret": ids.secret(), "name": client["name"],
           "owner": "oauth", "accountId": app["accountId"], "appId": app["id"],
           "integrationId": integration["id"]}
    return store.insert("key", key, parent=integration["id"])


# --- revoking, and what a token is for ----------------------------------------------------

@oauth.delete("/authorization")
@requires("integration")
def revoke_access():
    """Only an OAuth access token revokes (itself); a custom integration's key passes the
    scope check but has no authorization to revoke."""
    caller = principal()
    if caller.key.owner != "oauth":
        raise ApiError(403, "forbidden", "Forbidden",
                       f"{caller.key.id} is the key of a custom integration, not an OAuth access token; "
                       "delete the integration instead")
    mock().store.delete("integration", caller.integration_id)  # its keys and webhooks with it
    return jsonify({})


@v2.get("/tokenInfo")
def token_info():
    """The app of an OAuth access token (`security: []`: the route reads the token itself;
    any other credential is refused with 401)."""
    current = mock()
    caller = auth.authenticate(request.headers.getlist("Authorization"), current.store,
                               current.clock.now(), current.verify_options)
    g.principal = caller
    if caller.key.owner != "oauth":
        raise auth.AuthenticationError(f"{caller.describe()} is not an OAuth access token")
    g.auth_reason = f"{caller.describe()} allowed (OAuth access token)"
    app = current.store.get("app", caller.app_id)
    return jsonify({"app": {**render_app(app), "subdomain": _subdomain(app)}})


def _subdomain(app: dict) -> str:
    """The Zendesk subdomain of the app's account: its name, lowercased and hyphenated."""
    account = mock().store.get("account", app["accountId"])
    slug = re.sub(r"[^a-z0-9]+", "-", account["name"].lower()).strip("-")
    return slug or account["id"]


# Listed by `mocksmooch routes` as needing no credentials (`security: []` in the spec).
for _view in (authorize, token, token_info):
    _view.policy = auth.PUBLIC
