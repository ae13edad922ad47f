"""Every operation of the two API descriptions is served: derived from the YAML files in
../shared/reference/, each operation is called with a credential its scopes allow and
must reach its route (the guard authenticates and authorizes it: the journal says
"allowed"), never a 404 or 405 from routing."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import basic

REFERENCE = Path(__file__).parent.parent.parent / "shared" / "reference"
METHODS = ("get", "post", "put", "patch", "delete")

if not REFERENCE.is_dir():  # beside the repository in CI and on the maintainers' machines only
    pytest.skip(f"{REFERENCE} (the API descriptions) is not beside this checkout", allow_module_level=True)


def operations(name: str) -> list[tuple[str, str, dict]]:
    document = yaml.safe_load((REFERENCE / name).read_text())
    return [(method.upper(), path, spec) for path, item in document["paths"].items()
            for method, spec in item.items() if method in METHODS]


V2 = operations("sunshine-conversations-v2-openapi.yaml")
V1 = operations("smooch-v1.1-swagger.yaml")


def v2_scopes(spec: dict) -> set[str]:
    if spec.get("security") == []:
        return set()
    blocks = spec.get("security") or [{"basicAuth": ["app", "account"]}]
    return {scope for block in blocks for scopes in block.values() for scope in scopes}


def test_the_descriptions_are_what_we_think():
    assert len(V2) == 68 and len(V1) == 74


def credential_for(api, scopes: set[str]) -> str | None:
    """A credential of an allowed scope, bound to the app Acme Support."""
    if not scopes:
        return None
    if "app" in scopes:
        return basic(api.key("Acme Support"))
    if "account" in scopes:
        return basic(api.key("Acme"))
    return basic(api.key("bot"))  # integration only


def fill(path: str, api) -> str:
    """Path parameters: the seeded app, and placeholders of the right shape for the rest."""
    app_id = api.app("Acme Support")["id"]
    values = {"appId": app_id, "zendeskId": "35436", "integrationId": api.seed["accounts"][0]["apps"][0][
        "integrations"][0]["id"], "userIdOrExternalId": "alice", "userId": "alice", "channel": "messenger",
        "keyId": api.key("Acme Support")["id"], "serviceAccountId": api.service_account("provisioner")["id"]}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "5d8cff3cd55b040010928b5b"), path)


def last_journal(api) -> dict:
    return api.get("/_mocksmooch/requests").json()["requests"][-1]


@pytest.mark.parametrize("method, path, spec", V2, ids=[f"{m} {p}" for m, p, _ in V2])
def test_every_v2_operation_is_routed_and_authorized(api, method, path, spec):
    scopes = v2_scopes(spec)
    auth = credential_for(api, scopes)
    response = api.request(method, fill(path, api), auth=auth, json={} if method in ("POST", "PUT", "PATCH") else None)
    assert response.status_code != 405, response.text
    if scopes:
        entry = last_journal(api)
        assert entry["auth"]["outcome"] == "allowed", (response.status_code, entry)
    else:
        assert not (response.status_code == 404 and "Resource not found" in response.text), response.text


V1_SCOPES = {
    # v1.1 has no per-operation scopes; these are the credentials the docs allow (docs/fidelity.md 3.3)
    "/v1.1/serviceaccounts": {"account"},
    "/v1.1/whatsapp": {"account"},
    "/v1.1/apps/{appId}/keys": {"account"},
}


def v1_credential(api, path: str) -> str:
    if path.startswith(("/v1.1/serviceaccounts", "/v1.1/whatsapp", "/v1.1/apps/{appId}/keys")) or path in (
            "/v1.1/apps", "/v1.1/apps/{appId}", "/v1.1/apps/{appId}/sdks"):
        return basic(api.key("Acme"))
    return basic(api.key("Acme Support"))


@pytest.mark.parametrize("method, path, spec", V1, ids=[f"{m} {p}" for m, p, _ in V1])
def test_every_v1_operation_is_routed_and_authorized(api, method, path, spec):
    response = api.request(method, fill(path, api), auth=v1_credential(api, path),
                           json={} if method in ("POST", "PUT", "PATCH") else None)
    assert response.status_code != 405, response.text
    entry = last_journal(api)
    assert entry["auth"]["outcome"] == "allowed", (response.status_code, entry)


# --- every operation, properly authorized, on resources that exist: no 404, no 405 ---------------

class Scenario:
    """The resources an operation's path names, created over HTTP on demand (a fresh seed
    per test): the custom integration, its webhook, a user with a conversation and a
    message, a switchboard, keys, templates... each created once, by its first use."""

    def __init__(self, api):
        self.api = api
        self.app_id = api.app("Acme Support")["id"]
        self.account = basic(api.key("Acme"))
        self.app = basic(api.key("Acme Support"))
        self._made: dict[str, str] = {}

    def call(self, method: str, path: str, body=None, auth=None, **kwargs) -> dict:
        response = self.api.request(method, path, auth=auth or self.account, json=body, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else {}

    def make(self, name: str):
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    base = property(lambda self: f"/v2/apps/{self.app_id}")

    def _make_user(self):
        return self.call("POST", f"{self.base}/users", {"externalId": "cov-user"})["user"]["id"]

    def _make_conversation(self):
        body = {"type": "personal", "participants": [{"userId": self.make("user")}]}
        return self.call("POST", f"{self.base}/conversations", body)["conversation"]["id"]

    def _make_message(self):
        body = {"author": {"type": "business"}, "content": {"type": "text", "text": "hello"}}
        return self.call("POST", f"{self.base}/conversations/{self.make('conversation')}/messages",
                         body)["messages"][0]["id"]

    def _make_integration(self):
        body = {"type": "custom", "displayName": "coverage",
                "webhooks": [{"target": "http://127.0.0.1:9/coverage", "triggers": ["conversation:message"]}]}
        integration = self.call("POST", f"{self.base}/integrations", body)["integration"]
        self._made["webhook"] = integration["webhooks"][0]["id"]
        return integration["id"]

    def _make_webhook(self):
        self.make("integration")
        return self._made["webhook"]

    def _make_mailgun(self):
        body = {"type": "mailgun", "apiKey": "key-1", "domain": "example.org", "incomingAddress": "in@example.org"}
        return self.call("POST", f"{self.base}/integrations", body)["integration"]["id"]

    def _make_app_key(self):
        return self.call("POST", f"{self.base}/keys", {"displayName": "coverage"})["key"]["id"]

    def _make_integration_key(self):
        return self.call("POST", f"{self.base}/integrations/{self.make('integration')}/keys",
                         {"displayName": "coverage"})["key"]["id"]

    def _make_switchboard(self):
        return self.call("POST", f"{self.base}/switchboards", {})["switchboard"]["id"]

    def _make_switchboard_integration(self):
        body = {"name": "coverage", "integrationId": self.make("integration")}
        return self.call("POST", f"{self.base}/switchboards/{self.make('switchboard')}/switchboardIntegrations",
                         body)["switchboardIntegration"]["id"]

    def _make_client(self):
        body = {"matchCriteria": {"type": "mailgun", "integrationId": self.make("mailgun"),
                                  "address": "cov@example.org", "primary": True},
                "confirmation": {"type": "immediate"}, "target": {"conversationId": self.make("conversation")}}
        return self.call("POST", f"{self.base}/users/cov-user/clients", body)["client"]["id"]

    def _make_media(self):
        return self.call("POST", f"{self.base}/attachments?access=public",
                         files={"source": ("a.txt", b"hello", "text/plain")})["attachment"]["mediaUrl"]

    def _make_oauth_token(self):
        client = self.api.seed["oauthClients"][0]
        redirect = self.api.get("/oauth/authorize", params={"response_type": "code", "client_id": client["id"],
                                                            "redirect_uri": "http://127.0.0.1:9/cb"},
                                allow_redirects=False)
        code = re.search(r"code=(\w+)", redirect.headers["Location"]).group(1)
        return self.call("POST", "/oauth/token", {"code": code, "grant_type": "authorization_code",
                                                  "client_id": client["id"], "client_secret": client["secret"]},
                         auth="")["access_token"]


# Which scenario resource each path parameter names (per path where it differs).
V2_PARAMETERS = {
    "appId": lambda s, path: s.app_id,
    # devices come from SDK clients: the seeded bob has one
    "userIdOrExternalId": lambda s, path: "bob" if "/devices" in path else (s.make("user"), "cov-user")[1],
    "zendeskId": lambda s, path: "35436",
    "conversationId": lambda s, path: s.make("conversation"),
    "messageId": lambda s, path: s.make("message"),
    "integrationId": lambda s, path: s.make("integration"),
    "webhookId": lambda s, path: s.make("webhook"),
    "keyId": lambda s, path: s.make("integration_key") if "/integrations/" in path else s.make("app_key"),
    "switchboardId": lambda s, path: s.make("switchboard"),
    "switchboardIntegrationId": lambda s, path: s.make("switchboard_integration"),
    "clientId": lambda s, path: s.make("client"),
    "deviceId": lambda s, path: s.api.user("Acme Support", "bob")["devices"][0]["id"],
}

TEXT = {"type": "text", "text": "hello"}

# Request bodies (and the credential, where the account key is not allowed or not the point).
V2_CALLS = {
    "POST /v2/apps": {"body": {"displayName": "Coverage"}},
    "PATCH /v2/apps/{appId}": {"body": {"displayName": "Renamed"}},
    "POST /v2/apps/{appId}/keys": {"body": {"displayName": "k"}},
    "POST /v2/apps/{appId}/attachments": {"query": "?access=public",
                                          "files": {"source": ("a.txt", b"hi", "text/plain")}},
    "POST /v2/apps/{appId}/attachments/remove": {"body": lambda s: {"mediaUrl": s.make("media")}},
    "POST /v2/apps/{appId}/conversations": {"body": lambda s: {"type": "personal",
                                                               "participants": [{"userId": s.make("user")}]}},
    "GET /v2/apps/{appId}/conversations": {"query": lambda s: f"?filter[userId]={s.make('user')}"},
    "PATCH /v2/apps/{appId}/conversations/{conversationId}": {"body": {"displayName": "Renamed"}},
    "POST /v2/apps/{appId}/conversations/{conversationId}/join": "sdkGroup",
    "POST /v2/apps/{appId}/conversations/{conversationId}/leave": "sdkGroup",
    "POST /v2/apps/{appId}/conversations/{conversationId}/messages": {"body": {"author": {"type": "business"},
                                                                              "content": TEXT}},
    "POST /v2/apps/{appId}/conversations/{conversationId}/activity": {"body": {"author": {"type": "business"},
                                                                              "type": "typing:start"}},
    "POST /v2/apps/{appId}/conversations/{conversationId}/passControl": "switchboard",
    "POST /v2/apps/{appId}/conversations/{conversationId}/offerControl": "switchboard",
    "POST /v2/apps/{appId}/conversations/{conversationId}/acceptControl": "switchboard",
    "POST /v2/apps/{appId}/conversations/{conversationId}/releaseControl": "switchboard",
    "DELETE /v2/apps/{appId}/conversations/{conversationId}": "second_conversation",
    "POST /v2/apps/{appId}/conversations/{conversationId}/download": {"body": lambda s: {
        "userId": s.make("user"), "apple": {"interactiveDataRef": {
            "bid": "b", "key": "k", "owner": "o", "signature": "s", "url": "https://example.org", "version": "1"}}}},
    "POST /v2/apps/{appId}/conversations/{conversationId}/conversionEvents": {"body": {"instagram": {"payload": {
        "data": [{"action_source": "business_messaging", "event_name": "TestEvent", "event_time": 1752161233,
                  "messaging_channel": "instagram"}]}}}},
    "POST /v2/apps/{appId}/integrations": {"body": {"type": "custom", "displayName": "x", "webhooks": [
        {"target": "http://127.0.0.1:9/x", "triggers": ["conversation:message"]}]}},
    "PATCH /v2/apps/{appId}/integrations/{integrationId}": {"body": {"displayName": "Renamed"}},
    "POST /v2/apps/{appId}/integrations/{integrationId}/keys": {"body": {"displayName": "k"}},
    "POST /v2/apps/{appId}/integrations/{integrationId}/webhooks": {
        "body": {"target": "http://127.0.0.1:9/y", "triggers": ["conversation:create"]}},
    "PATCH /v2/apps/{appId}/integrations/{integrationId}/webhooks/{webhookId}": {
        "body": {"target": "http://127.0.0.1:9/z"}},
    "POST /v2/apps/{appId}/switchboards": {"body": {}},
    "PATCH /v2/apps/{appId}/switchboards/{switchboardId}": {"body": {"enabled": False}},
    "POST /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations": {
        "body": lambda s: {"name": "second", "integrationId": s.make("integration")}},
    "PATCH /v2/apps/{appId}/switchboards/{switchboardId}/switchboardIntegrations/{switchboardIntegrationId}": {
        "body": {"deliverStandbyEvents": False}},
    "POST /v2/apps/{appId}/users": {"body": {"externalId": "someone-new"}},
    "PATCH /v2/apps/{appId}/users/{userIdOrExternalId}": {"body": {"profile": {"givenName": "Cov"}}},
    "POST /v2/apps/{appId}/users/{userIdOrExternalId}/clients": {"body": lambda s: {
        "matchCriteria": {"type": "mailgun", "integrationId": s.make("mailgun"), "address": "c@example.org",
                          "primary": True},
        "confirmation": {"type": "immediate"}, "target": {"conversationId": s.make("conversation")}}},
    "POST /v2/apps/{appId}/users/{zendeskId}/sync": {"body": {}},
    "GET /v2/tokenInfo": {"auth": "oauth"},
    "DELETE /oauth/authorization": {"auth": "oauth"},
    "GET /oauth/authorize": {"query": lambda s: "?response_type=code&client_id="
                             + s.api.seed["oauthClients"][0]["id"] + "&redirect_uri=http://127.0.0.1:9/cb"},
    "POST /oauth/token": "oauth_code",
}


def _sdk_group(s: Scenario) -> tuple[str, dict]:
    """An sdkGroup conversation with the scenario user, and a second user to join / leave."""
    other = s.call("POST", f"{s.base}/users", {"externalId": "cov-other"})["user"]["id"]
    body = {"type": "sdkGroup", "participants": [{"userId": s.make("user"), "subscribeSDKClient": False},
                                                 {"userId": other, "subscribeSDKClient": False}]}
    conversation = s.call("POST", f"{s.base}/conversations", body)["conversation"]["id"]
    return conversation, {"userId": other, "subscribeSDKClient": False}


def _switchboard_ready(s: Scenario) -> tuple[str, str]:
    """An enabled switchboard whose default is in control of a new conversation; the id of a
    second switchboard integration to hand control to."""
    first = s.make("switchboard_integration")
    s.call("PATCH", f"{s.base}/switchboards/{s.make('switchboard')}",
           {"enabled": True, "defaultSwitchboardIntegrationId": first})
    second_integration = s.call("POST", f"{s.base}/integrations", {
        "type": "custom", "displayName": "agent",
        "webhooks": [{"target": "http://127.0.0.1:9/agent", "triggers": ["conversation:message"]}]})["integration"]
    second = s.call("POST", f"{s.base}/switchboards/{s.make('switchboard')}/switchboardIntegrations",
                    {"name": "agent", "integrationId": second_integration["id"]})["switchboardIntegration"]["id"]
    return s.make("conversation"), second


def v2_request(s: Scenario, method: str, path: str, operation: dict) -> tuple[str, dict]:
    """The URL and requests keyword arguments of a proper call of this operation."""
    spec = V2_CALLS.get(f"{method} {path}", {})
    kwargs: dict = {}
    url = re.sub(r"\{(\w+)\}", lambda m: V2_PARAMETERS[m.group(1)](s, path), path)
    if spec == "sdkGroup":
        conversation, participant = _sdk_group(s)
        url = url.replace(s.make("conversation"), conversation)
        if path.endswith("/leave"):
            return url, {"json": {"userId": participant["userId"]}, "auth": s.account}
        other = s.call("POST", f"{s.base}/users", {"externalId": "cov-joiner"})["user"]["id"]
        return url, {"json": {"userId": other, "subscribeSDKClient": False}, "auth": s.account}
    if spec == "switchboard":
        conversation, second = _switchboard_ready(s)
        action = path.rsplit("/", 1)[1]
        if action == "acceptControl":
            s.call("POST", f"{s.base}/conversations/{conversation}/offerControl", {"switchboardIntegration": second})
            return url, {"json": {}, "auth": s.account}
        body = {} if action == "releaseControl" else {"switchboardIntegration": second}
        return url, {"json": body, "auth": s.account}
    if spec == "second_conversation":  # a user's default conversation cannot be deleted
        second = s.call("POST", f"{s.base}/conversations", {
            "type": "personal", "participants": [{"userId": s.make("user")}]})["conversation"]["id"]
        return url.replace(s.make("conversation"), second), {"auth": s.account}
    if spec == "oauth_code":
        client = s.api.seed["oauthClients"][0]
        redirect = s.api.get("/oauth/authorize", params={"response_type": "code", "client_id": client["id"],
                                                         "redirect_uri": "http://127.0.0.1:9/cb"},
                             allow_redirects=False)
        code = re.search(r"code=(\w+)", redirect.headers["Location"]).group(1)
        return url, {"json": {"code": code, "grant_type": "authorization_code", "client_id": client["id"],
                              "client_secret": client["secret"]}}
    auth = s.account if "account" in v2_scopes(operation) else s.app
    if spec.get("auth") == "oauth":
        auth = "Bearer " + s.make("oauth_token")
    kwargs["auth"] = auth
    query = spec.get("query", "")
    url += query(s) if callable(query) else query
    if "files" in spec:
        kwargs["files"] = spec["files"]
    elif method in ("POST", "PUT", "PATCH"):
        body = spec.get("body", {})
        kwargs["json"] = body(s) if callable(body) else body
    return url, kwargs


@pytest.mark.parametrize("method, path, spec", V2, ids=[f"{m} {p}" for m, p, _ in V2])
def test_every_v2_operation_succeeds_on_resources_that_exist(api, method, path, spec):
    scenario = Scenario(api)
    url, kwargs = v2_request(scenario, method, path, spec)
    auth = kwargs.pop("auth", None)
    response = api.request(method, url, auth=auth, allow_redirects=False, **kwargs)
    assert response.status_code < 400, (response.status_code, response.text)


# --- the same for v1.1 ------------------------------------------------------------------------------

class V1Scenario(Scenario):
    """v1.1 resources; the app user is the scenario user (userId "cov-user")."""

    v1 = property(lambda self: f"/v1.1/apps/{self.app_id}")

    def _make_v1_message(self):
        self.make("user")
        return self.call("POST", f"{self.v1}/appusers/cov-user/messages",
                         {"role": "appMaker", "type": "text", "text": "hello"})["message"]["_id"]

    def _make_v1_integration(self):
        return self.call("POST", f"{self.v1}/integrations", {"type": "telegram", "token": "t0k3n"})["integration"]["_id"]

    def _make_v1_webhook(self):
        return self.call("POST", f"{self.v1}/webhooks", {"target": "http://127.0.0.1:9/v1"})["webhook"]["_id"]

    def _make_template(self):
        return self.call("POST", f"{self.v1}/templates", {"name": "greeting", "message": {
            "type": "text", "text": "hi", "role": "appMaker"}})["template"]["_id"]

    def _make_service_account(self):
        return self.call("POST", "/v1.1/serviceaccounts", {"name": "coverage"})["serviceAccount"]["_id"]

    def _make_service_account_key(self):
        return self.call("POST", f"/v1.1/serviceaccounts/{self.make('service_account')}/keys",
                         {"name": "k"})["key"]["_id"]

    def _make_v1_app_key(self):
        return self.call("POST", f"{self.v1}/keys", {"name": "k"})["key"]["_id"]

    def _make_deployment(self):
        return self.call("POST", "/v1.1/whatsapp/deployments", {"hosting": "smooch"})["deployment"]["_id"]

    def _make_registered_deployment(self):
        deployment = self.make("deployment")
        self.call("POST", f"/v1.1/whatsapp/deployments/{deployment}/activate", {
            "phoneNumber": "+15145550000", "verifiedNameCertificate": "cert", "method": "sms"})
        self.call("POST", f"/v1.1/whatsapp/deployments/{deployment}/code/confirm", {"code": "123456"})
        return deployment

    def _make_whatsapp(self):
        return self.call("POST", f"{self.v1}/integrations", {
            "type": "whatsapp", "deploymentId": self.make("registered_deployment")})["integration"]["_id"]

    def _make_twilio(self):
        return self.call("POST", f"{self.base}/integrations", {
            "type": "twilio", "accountSid": "AC1", "authToken": "t", "phoneNumberSid": "PN1"})["integration"]["id"]

    def _make_link(self):
        self.make("user")
        self.call("POST", f"{self.v1}/appusers/cov-user/channels", {
            "type": "twilio", "phoneNumber": "+15145551234", "confirmation": {"type": "immediate"}})
        return "twilio"

    def _make_v1_media(self):
        return self.call("POST", f"{self.v1}/attachments?access=public",
                         files={"source": ("a.txt", b"hello", "text/plain")})["mediaUrl"]


V1_PARAMETERS = {
    "appId": lambda s, path: s.app_id,
    "userId": lambda s, path: (s.make("user"), "cov-user")[1],
    "messageId": lambda s, path: s.make("v1_message"),
    "channel": lambda s, path: s.make("link"),
    "integrationId": lambda s, path: s.make("whatsapp") if "/profile" in path else s.make("v1_integration"),
    "webhookId": lambda s, path: s.make("v1_webhook"),
    "templateId": lambda s, path: s.make("template"),
    "serviceAccountId": lambda s, path: s.make("service_account"),
    "keyId": lambda s, path: (s.make("service_account_key") if "serviceaccounts" in path
                              else s.make("v1_app_key")),
    "deploymentId": lambda s, path: (s.make("registered_deployment") if "confirm" not in path
                                     and "activate" not in path else s.make("deployment")),
}

MENU = {"items": [{"type": "link", "text": "Docs", "uri": "https://example.org"}]}
IMAGE = {"files": {"source": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")}}

V1_CALLS = {
    "PUT /v1.1/apps/{appId}/appusers/{userId}": {"body": {"givenName": "Cov"}},
    "POST /v1.1/apps/{appId}/appusers": {"body": {"userId": "someone-new"}},
    "POST /v1.1/apps/{appId}/appusers/merge": {"body": lambda s: {
        "surviving": {"_id": s.make("user")},
        "discarded": {"_id": s.call("POST", f"{s.v1}/appusers", {"userId": "dup"})["appUser"]["_id"]}}},
    "POST /v1.1/apps/{appId}/appusers/{userId}/images": {**IMAGE, "data": {"role": "appMaker"}},
    "POST /v1.1/apps/{appId}/appusers/{userId}/channels": {"body": {
        "type": "twilio", "phoneNumber": "+15145559999", "confirmation": {"type": "immediate"}}},
    "GET /v1.1/apps/{appId}/appusers/{userId}/linkrequest": {"query": lambda s: "?integrationIds="
                                                             + s.make("v1_integration")},
    "POST /v1.1/apps/{appId}/appusers/{userId}/messages": {"body": {"role": "appMaker", "type": "text",
                                                                    "text": "hi"}},
    "GET /v1.1/apps/{appId}/appusers/{userId}/messages": {"before": "v1_message"},
    "DELETE /v1.1/apps/{appId}/appusers/{userId}/messages": {"before": "v1_message"},
    "POST /v1.1/apps/{appId}/appusers/{userId}/conversation/read": {"before": "v1_message", "body": {}},
    "POST /v1.1/apps/{appId}/appusers/{userId}/conversation/activity": {
        "before": "v1_message", "body": {"role": "appMaker", "type": "typing:start"}},
    "POST /v1/apps/{appId}/notifications": {"body": lambda s: {
        "destination": {"integrationId": s.make("twilio"), "destinationId": "+15145550123"},
        "author": {"role": "appMaker"}, "message": {"type": "text", "text": "hi"}}},
    "PUT /v1.1/apps/{appId}/menu": {"body": MENU},
    "POST /v1.1/serviceaccounts": {"body": {"name": "new"}},
    "PUT /v1.1/serviceaccounts/{serviceAccountId}": {"body": {"name": "renamed"}},
    "POST /v1.1/serviceaccounts/{serviceAccountId}/keys": {"body": {"name": "k"}},
    "POST /v1.1/apps": {"body": {"name": "Coverage"}},
    "PUT /v1.1/apps/{appId}": {"body": {"name": "Renamed"}},
    "POST /v1.1/apps/{appId}/keys": {"body": {"name": "k"}},
    "POST /v1.1/apps/{appId}/integrations": {"body": {"type": "telegram", "token": "another"}},
    "PUT /v1.1/apps/{appId}/integrations/{integrationId}": {"body": {"displayName": "Renamed"}},
    "POST /v1.1/apps/{appId}/integrations/{integrationId}/menu": {"body": MENU},
    "PUT /v1.1/apps/{appId}/integrations/{integrationId}/menu": {"body": MENU},
    "PUT /v1.1/apps/{appId}/integrations/{integrationId}/profile": {"body": {"about": "We help"}},
    "PUT /v1.1/apps/{appId}/integrations/{integrationId}/profile/photo": IMAGE,
    "POST /v1.1/apps/{appId}/webhooks": {"body": {"target": "http://127.0.0.1:9/new"}},
    "PUT /v1.1/apps/{appId}/webhooks/{webhookId}": {"body": {"target": "http://127.0.0.1:9/moved"}},
    "POST /v1.1/apps/{appId}/attachments": {"query": "?access=public",
                                            "files": {"source": ("a.txt", b"hi", "text/plain")}},
    "POST /v1.1/apps/{appId}/attachments/remove": {"body": lambda s: {"mediaUrl": s.make("v1_media")}},
    "POST /v1.1/apps/{appId}/templates": {"body": {"name": "new", "message": {"type": "text", "text": "x",
                                                                              "role": "appMaker"}}},
    "PUT /v1.1/apps/{appId}/templates/{templateId}": {"body": {"name": "renamed"}},
    "POST /v1.1/whatsapp/deployments": {"body": {"hosting": "smooch"}},
    "POST /v1.1/whatsapp/deployments/{deploymentId}/activate": {"body": {
        "phoneNumber": "+15145550000", "verifiedNameCertificate": "cert", "method": "sms"}},
    "POST /v1.1/whatsapp/deployments/{deploymentId}/code/confirm": {
        "before": "activated", "body": {"code": "123456"}},
}


def v1_request(s: V1Scenario, method: str, path: str) -> tuple[str, dict]:
    spec = V1_CALLS.get(f"{method} {path}", {})
    if spec.get("before") == "activated":
        url = re.sub(r"\{(\w+)\}", lambda m: V1_PARAMETERS[m.group(1)](s, "activate"), path)
        s.call("POST", url.replace("/code/confirm", "/activate"), V1_CALLS[
            "POST /v1.1/whatsapp/deployments/{deploymentId}/activate"]["body"])
    elif spec.get("before"):
        s.make(spec["before"])
    url = re.sub(r"\{(\w+)\}", lambda m: V1_PARAMETERS[m.group(1)](s, path), path)
    query = spec.get("query", "")
    url += query(s) if callable(query) else query
    kwargs: dict = {"auth": v1_credential(s.api, path.replace("/v1/", "/v1.1/"))}
    if "files" in spec:
        kwargs["files"] = spec["files"]
        kwargs["data"] = spec.get("data")
    elif method in ("POST", "PUT", "PATCH"):
        body = spec.get("body", {})
        kwargs["json"] = body(s) if callable(body) else body
    return url, kwargs


@pytest.mark.parametrize("method, path, spec", V1, ids=[f"{m} {p}" for m, p, _ in V1])
def test_every_v1_operation_succeeds_on_resources_that_exist(api, method, path, spec):
    url, kwargs = v1_request(V1Scenario(api), method, path)
    auth = kwargs.pop("auth")
    response = api.request(method, url, auth=auth, **kwargs)
    assert response.status_code < 400, (response.status_code, response.text)


# --- the app-less forms the official v1 JavaScript library calls with app-bound credentials -------

APPLESS_RESOURCES = ("appusers", "webhooks", "integrations", "menu", "templates", "attachments", "notifications")
V1_APPLESS = [(method, path, spec) for method, path, spec in V1
              if re.match(rf"^/v1(\.1)?/apps/{{appId}}/({'|'.join(APPLESS_RESOURCES)})\b", path)]


def test_the_app_less_forms_are_the_ones_the_js_library_calls():
    assert len(V1_APPLESS) >= 40
    assert {re.match(r"^/v1(?:\.1)?/apps/\{appId\}/(\w+)", p).group(1) for _, p, _ in V1_APPLESS} == set(
        APPLESS_RESOURCES)


@pytest.mark.parametrize("method, path, spec", V1_APPLESS, ids=[f"{m} {p}" for m, p, _ in V1_APPLESS])
def test_every_app_less_v1_operation_succeeds_with_an_app_key(api, method, path, spec):
    scenario = V1Scenario(api)
    url, kwargs = v1_request(scenario, method, path)
    kwargs["auth"] = scenario.app
    appless = url.replace(f"/apps/{scenario.app_id}", "", 1)
    response = api.request(method, appless, **kwargs)
    assert response.status_code < 400, (appless, response.status_code, response.text)
    assert last_journal(api)["auth"]["principal"]["scope"] == "app"


@pytest.mark.parametrize("method, path, spec", V1_APPLESS[:5], ids=[f"{m} {p}" for m, p, _ in V1_APPLESS[:5]])
def test_app_less_v1_forms_refuse_account_credentials(api, method, path, spec):
    url = re.sub(r"\{(\w+)\}", "5d8cff3cd55b040010928b5b", path).replace("/apps/5d8cff3cd55b040010928b5b", "", 1)
    response = api.request(method, url, auth=basic(api.key("Acme")), json={} if method != "GET" else None)
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden", "description": "Forbidden"}}


# --- the scopes each v2 route declares are its operation's security block --------------------------

def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def declared_policies() -> dict[tuple[str, str], str]:
    """(method, path shape) -> scopes, from docs/routes.md, which a test keeps equal to the
    policies the routes declare (`mocksmooch routes --markdown`)."""
    table = (Path(__file__).parent.parent / "docs" / "routes.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| `(/[^`]*)` \| (.*) \|$", table, re.MULTILINE)
    return {(method, _shape(path)): who for method, path, who in rows}


@pytest.mark.parametrize("method, path, spec", V2, ids=[f"{m} {p}" for m, p, _ in V2])
def test_every_v2_route_declares_the_scopes_of_its_security_block(method, path, spec):
    declared = declared_policies()[(method, _shape(path))]
    expected = v2_scopes(spec)
    if path == "/v2/tokenInfo" or not expected:
        assert declared == "none"  # `security: []`: the route reads the token itself, if any
    else:
        assert set(declared.split(", ")) == expected
