"""Helpers for the v1.1 conformance suite (test_v1_conformance.py).

- `client_operations()`: every (API class, method) the installed `smooch` client offers;
- `StrictApiClient`: a `smooch.ApiClient` with its own credential, which checks every answer
  it deserializes against the client's own model (see `conformance_problems`) and its status
  against the v1.1 description's documented success codes;
- `Session`: one test's credentials and the resources the operations need, created first
  through the client itself;
- `refused`: the call raises `ApiException` with the status and a v1 error body.

Why a stricter check than the client's: the v1.1 client coerces whatever it gets
(`klass(value)`: `"false"` becomes True, `123` becomes `"123"`), ignores unknown keys and
accepts missing ones, so "deserialized without error" alone proves little.  The check
below asks what the client's models declare: each known field with its declared JSON type,
nested models recursively, required fields present and not null, and no key that is a
misspelling of a declared one (`id` for `_id`, `app_token` for `appToken`).  Keys the
models do not know at all are allowed: the real API sends fields the 5.34 client lacks.

`smooch.Configuration()` is a process-wide singleton read at request time; each
StrictApiClient writes its own credential into it just before the client computes the
Authorization header (the client's own code then builds the header), so API objects with
different credentials can be used side by side.  The `configuration` fixture of the suite
clears the singleton before each test and restores it after.
"""
from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest
import smooch
import yaml
from smooch.rest import ApiException

import operation_table

# The v1.1 description, next to the repository as tests/test_operation_coverage.py finds it.
SWAGGER = Path(__file__).resolve().parents[3] / "shared" / "reference" / "smooch-v1.1-swagger.yaml"
APP = "Acme Support"

# The credential kinds of v1.1: the seeded key that signs or sends each, and its JWT scope.
KEY_OWNER = {"account": "Acme", "serviceAccount": "provisioner", "app": APP, "integration": "bot"}
JWT_SCOPE = {"account": "account", "serviceAccount": "account", "app": "app", "integration": "integration"}


def client_operations() -> set[tuple[str, str]]:
    return operation_table.client_operations(smooch, ("_with_http_info",))


def documented_codes() -> dict[tuple[str, str], set[int]]:
    """(HTTP method, path template) -> the 2xx codes the v1.1 description documents."""
    paths = yaml.safe_load(SWAGGER.read_text())["paths"]
    return {(method.upper(), path): {int(code) for code in operation["responses"] if str(code).startswith("2")}
            for path, operations in paths.items() for method, operation in operations.items()
            if method != "parameters"}


DOCUMENTED = documented_codes() if SWAGGER.exists() else None  # None: ../shared is not beside this checkout


# --- the conformance check -------------------------------------------------------------------------

_PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "object": (dict,)}
_REQUIRED = re.compile(r"Invalid value for `(\w+)`, must not be `None`")
# Where the client reuses a model for an object that legitimately lacks its required fields:
# a template's message is a message to send later (no `_id`, `authorId`, `received` yet).
PARTIAL = {("Template", "message")}


def required_attributes(model: type) -> set[str]:
    """The attributes whose setter refuses None: the model's required fields."""
    return set(_REQUIRED.findall(inspect.getsource(model)))


def _normalized(name: str) -> str:
    return name.replace("_", "").lower()


def conformance_problems(data, type_name: str, where: str = "body", *, partial: bool = False) -> list[str]:
    """What in `data` (parsed JSON) disagrees with the client's declared `type_name`."""
    if data is None:
        return []
    if type_name.startswith("list["):
        if not isinstance(data, list):
            return [f"{where}: expected an array, got {type(data).__name__}"]
        inner = type_name[5:-1]
        problems = []
        for index, item in enumerate(data):
            if item is None:
                problems.append(f"{where}[{index}]: null inside an array")
            else:
                problems += conformance_problems(item, inner, f"{where}[{index}]", partial=partial)
        return problems
    if type_name in _PRIMITIVES:
        kinds = _PRIMITIVES[type_name]
        if not isinstance(data, kinds) or (isinstance(data, bool) and bool not in kinds):
            return [f"{where}: expected {type_name}, got {type(data).__name__} {data!r:.80}"]
        return []
    model = getattr(smooch.models, type_name)
    if not isinstance(data, dict):
        return [f"{where}: expected a {type_name} object, got {type(data).__name__}"]
    instance = model()
    required = set() if partial else required_attributes(model)
    problems = []
    wire_names = {}
    for attribute, attribute_type in instance.swagger_types.items():
        wire = instance.attribute_map[attribute]
        wire_names[_normalized(wire)] = wire
        at = f"{where}.{wire}"
        if wire not in data:
            if attribute in required:
                problems.append(f"{at}: required by {type_name}, missing")
            continue
        if data[wire] is None:
            if attribute in required:
                problems.append(f"{at}: required by {type_name}, null")
            continue
        problems += conformance_problems(data[wire], attribute_type, at,
                                         partial=(type_name, attribute) in PARTIAL)
    for key in data:
        known = wire_names.get(_normalized(key))
        if known is not None and known != key:
            problems.append(f"{where}.{key}: {type_name} calls this field {known!r}")
    return problems


class StrictApiClient(smooch.ApiClient):
    """The client's ApiClient, with its own credential and the conformance checks above."""

    def __init__(self, host: str, credential: "Credential"):
        super().__init__(host=host)
        self.credential = credential
        self.calls: list[tuple[str, str, int]] = []

    def update_params_for_auth(self, headers, querys, auth_settings):
        self.credential.install(smooch.Configuration())
        super().update_params_for_auth(headers, querys, auth_settings)

    def call_api(self, resource_path, method, *args, **kwargs):
        result = super().call_api(resource_path, method, *args, **kwargs)
        status = self.last_response.status
        self.calls.append((method, resource_path, status))
        documented = DOCUMENTED.get((method, resource_path))
        assert documented, f"{method} {resource_path} is not in the v1.1 description"
        assert status in documented, f"{method} {resource_path} answered {status}, documented {sorted(documented)}"
        return result

    def deserialize(self, response, response_type):
        try:
            data = json.loads(response.data)
        except ValueError:
            pytest.fail(f"the answer is not JSON: {response.data[:200]!r}")
        problems = conformance_problems(data, response_type)
        assert not problems, f"{response_type} does not conform:\n  " + "\n  ".join(problems) + \
            f"\nbody: {json.dumps(data)[:2000]}"
        return super().deserialize(response, response_type)


# --- credentials -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credential:
    """Basic (key id and secret) or a JWT, as the client is told to send it."""

    username: str = ""
    password: str = ""
    token: str | None = None

    def install(self, configuration) -> None:
        clear(configuration)
        if self.token is not None:
            configuration.api_key["Authorization"] = self.token
            configuration.api_key_prefix["Authorization"] = "Bearer"
        else:
            configuration.username, configuration.password = self.username, self.password


def clear(configuration) -> None:
    configuration.username = ""
    configuration.password = ""
    configuration.api_key.pop("Authorization", None)
    configuration.api_key_prefix.pop("Authorization", None)


@pytest.fixture
def configuration():
    """The client's singleton, cleared for the test and restored after it."""
    singleton = smooch.Configuration()
    saved = (singleton.username, singleton.password, dict(singleton.api_key), dict(singleton.api_key_prefix))
    clear(singleton)
    yield singleton
    singleton.username, singleton.password = saved[0], saved[1]
    singleton.api_key.clear()
    singleton.api_key.update(saved[2])
    singleton.api_key_prefix.clear()
    singleton.api_key_prefix.update(saved[3])


def refused(call, status: int, code: str, description: str | None = None) -> ApiException:
    """`call()` raises ApiException with `status` and a v1 error body
    (`{"error": {"code", "description"}}`) of `code` (and `description` when given)."""
    with pytest.raises(ApiException) as info:
        call()
    error = info.value
    assert error.status == status, f"expected {status}, got {error.status}: {error.body}"
    body = json.loads(error.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "description"}, error.body
    assert body["error"]["code"] == code, error.body
    assert isinstance(body["error"]["description"], str) and body["error"]["description"], error.body
    if description is not None:
        assert body["error"]["description"] == description, error.body
    return error


def forbidden(call) -> ApiException:
    return refused(call, 403, "forbidden", "Forbidden")


# --- the session -------------------------------------------------------------------------------------

class Session:
    """One test's view of the mock: credentials by kind, and resources of the app Acme
    Support created on demand through the client (with the app key unless said)."""

    def __init__(self, api, folder: Path):
        self.api = api
        self.folder = folder
        self.app_id = api.app(APP)["id"]

    # --- credentials ------------------------------------------------------------------------

    def credential(self, kind: str = "app", *, jwt: bool = False, user: str = "alice") -> Credential:
        """The seeded key of `kind` (account, serviceAccount, app, integration) by Basic or
        as a JWT of its scope; `appUser` is a JWT for `user` signed with the app key."""
        if kind == "appUser":
            return Credential(token=self.api.token(self.api.key(APP)["id"], "appUser", userId=user))
        key = self.api.key(KEY_OWNER[kind])
        if jwt:
            return Credential(token=self.api.token(key["id"], JWT_SCOPE[kind]))
        return Credential(key["id"], key["secret"])

    def client(self, credential: Credential) -> StrictApiClient:
        return StrictApiClient(self.api.url, credential)

    def api_of(self, api_class: type, kind: str = "app", *, jwt: bool = False, user: str = "alice"):
        return api_class(self.client(self.credential(kind, jwt=jwt, user=user)))

    def with_key(self, api_class: type, key_id: str, secret: str):
        return api_class(self.client(Credential(key_id, secret)))

    def with_token(self, api_class: type, token: str):
        return api_class(self.client(Credential(token=token)))

    # --- app users and their conversation -----------------------------------------------------

    @cached_property
    def alice(self) -> smooch.AppUser:
        return self.api_of(smooch.AppUserApi).get_app_user(self.app_id, "alice").app_user

    def new_user(self, user_id: str, **fields) -> smooch.AppUser:
        body = smooch.AppUserPreCreate(user_id=user_id, **fields)
        return self.api_of(smooch.AppUserApi).pre_create_app_user(self.app_id, body).app_user

    def post_text(self, text: str, *, user: str = "alice", role: str = "appMaker") -> smooch.MessageResponse:
        body = smooch.MessagePost(role=role, type="text", text=text)
        return self.api_of(smooch.ConversationApi).post_message(self.app_id, user, body)

    @cached_property
    def message(self) -> smooch.Message:
        """A text message of the app maker to alice (it starts her conversation)."""
        return self.post_text("Your order has shipped").message

    # --- integrations -------------------------------------------------------------------------

    def create_integration(self, **fields) -> smooch.Integration:
        body = smooch.IntegrationCreate(**fields)
        return self.api_of(smooch.IntegrationApi).create_integration(self.app_id, body).integration

    @cached_property
    def twilio(self) -> smooch.Integration:
        return self.create_integration(type="twilio", display_name="sms", account_sid="AC1f0c2b1e9d8a7b6c5d4e3f21",
                                       auth_token="twilio-token", phone_number_sid="PN5f0c2b1e9d8a7b6c5d4e3f21")

    @cached_property
    def telegram(self) -> smooch.Integration:
        return self.create_integration(type="telegram", display_name="tg", token="123456:telegram-token")

    @cached_property
    def bot_id(self) -> str:
        """The seeded custom integration `bot`."""
        return next(i["id"] for i in self.api.app(APP)["integrations"] if i.get("displayName") == "bot")

    @cached_property
    def site_id(self) -> str:
        """The seeded web integration `site`."""
        return next(i["id"] for i in self.api.app(APP)["integrations"] if i.get("displayName") == "site")

    # --- WhatsApp -------------------------------------------------------------------------------

    def new_deployment(self) -> smooch.Deployment:
        deployments = self.api_of(smooch.DeploymentApi, "account")
        return deployments.create_deployment(smooch.DeploymentCreate(hosting="smooch")).deployment

    def registered_deployment(self, phone_number: str = "+15145550100") -> smooch.Deployment:
        deployments = self.api_of(smooch.DeploymentApi, "account")
        deployment = self.new_deployment()
        deployments.activate_phone_number(deployment.id, smooch.DeploymentActivatePhoneNumber(
            phone_number=phone_number, verified_name_certificate="Q2VydGlmaWNhdGU=", method="sms"))
        return deployments.confirm_code(deployment.id, smooch.DeploymentConfirmCode(code="123456")).deployment

    @cached_property
    def whatsapp(self) -> smooch.Integration:
        return self.create_integration(type="whatsapp", display_name="wa",
                                       deployment_id=self.registered_deployment().id)

    # --- app configuration ---------------------------------------------------------------------

    @cached_property
    def template(self) -> smooch.Template:
        body = smooch.TemplateCreate(name="shipped", message=smooch.Message(type="text", text="Your order shipped"))
        return self.api_of(smooch.TemplateApi).create_template(self.app_id, body).template

    @cached_property
    def webhook(self) -> smooch.Webhook:
        """A v1.1 webhook of the app, made with the app key."""
        body = smooch.WebhookCreate(target="https://example.com/v1-hook", triggers=["message:appUser"])
        return self.api_of(smooch.WebhookApi).create_webhook(self.app_id, body).webhook

    @cached_property
    def service_account(self) -> smooch.ServiceAccount:
        accounts = self.api_of(smooch.ServiceAccountApi, "account")
        return accounts.create_service_account(smooch.ServiceAccountCreate(name="deployer")).service_account

    @cached_property
    def service_account_key(self) -> smooch.SecretKey:
        accounts = self.api_of(smooch.ServiceAccountApi, "account")
        return accounts.create_secret_key(self.service_account.id, smooch.SecretKeyCreate(name="deploy")).key

    # --- files to upload -----------------------------------------------------------------------

    def file(self, name: str, content: bytes) -> str:
        """The path of a new file in the test's temporary folder (the client uploads paths)."""
        path = self.folder / name
        path.write_bytes(content)
        return str(path)


# A 1x1 PNG, for the image uploads.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000105a3e4a00000000049454e44ae426082")
