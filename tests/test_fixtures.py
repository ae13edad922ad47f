"""Fixture files: `mocksmooch check FILE`, and `mocksmooch.fixtures.load/loads/normalize`.

The CLI tests are few (an ok file, a bad file); the detailed behaviour (formats,
determinism, every kind of validation error) is tested through the module's functions.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from mocksmooch import fixtures
from mocksmooch.fixtures import FixtureError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{86}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def write(tmp_path: Path, content: dict | str, name: str = "fixture.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def errors(raw: object) -> list[str]:
    """The errors normalize() reports for an already-parsed fixture."""
    with pytest.raises(FixtureError) as caught:
        fixtures.normalize(raw, "test")
    return caught.value.errors


def one_app(**app) -> dict:
    return {"accounts": [{"apps": [app]}]}


def canonical(seed: dict) -> str:
    return json.dumps(seed, sort_keys=True)


KEY_PREFIX = {"account": "act", "serviceAccount": "svc", "app": "app", "integration": "int"}


def objects(tree: dict):
    """(kind, owner kind, obj) for every account, service account, app, integration, user and key."""
    def with_keys(kind, owner_kind, obj):
        yield kind, owner_kind, obj
        for key in obj.get("keys", []):
            yield "key", kind, key

    for account in tree["accounts"]:
        yield from with_keys("account", None, account)
        for sa in account.get("serviceAccounts", []):
            yield from with_keys("serviceAccount", "account", sa)
        for app in account.get("apps", []):
            yield from with_keys("app", "account", app)
            for integration in app.get("integrations", []):
                yield from with_keys("integration", "app", integration)
            for user in app.get("users", []):
                yield "user", "app", user


# --------------------------------------------------------------------------- the CLI

def _cli_exists() -> bool:
    try:
        return importlib.util.find_spec("mocksmooch.__main__") is not None
    except ImportError:
        return False


cli = pytest.mark.skipif(not _cli_exists(), reason="mocksmooch/__main__.py is not written yet")


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mocksmooch", "check", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@cli
def test_check_accepts_a_valid_file(tmp_path):
    result = check(write(tmp_path, (FIXTURES / "example-minimal.json").read_text()))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


@cli
def test_check_rejects_a_bad_file_naming_each_problem(tmp_path):
    bad = one_app(id="XYZ", keys=[{"id": "act_5963ceb97cde542d000dbdb1"}], colour="red")
    result = check(write(tmp_path, bad))
    assert result.returncode == 1
    lines = [line.strip() for line in result.stderr.splitlines()]  # the CLI may indent them
    assert 'accounts[0].apps[0]: unknown field "colour" (allowed here: id, name, metadata, settings, keys, ' \
           'integrations, users, generate)' in lines
    assert any(line.startswith('accounts[0].apps[0].id: "XYZ" is not a valid object id') for line in lines)
    assert any(line.startswith('accounts[0].apps[0].keys[0].id: key id "act_5963ceb97cde542d000dbdb1" has the act_')
               for line in lines)
    assert result.stdout == ""


# --------------------------------------------------------------------------- the shipped files

def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads((FIXTURES / "schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_default_seed_is_loaded_when_no_path_is_given():
    assert fixtures.DEFAULT_SEED.resolve() == (FIXTURES / "default.json").resolve()
    assert fixtures.load() == fixtures.load(FIXTURES / "default.json")


def test_default_seed_has_the_documented_objects():
    seed = fixtures.load()
    assert seed["faker"] == {"seed": 7, "locale": "en_US"}
    acme, globex = seed["accounts"]
    assert (acme["name"], globex["name"]) == ("Acme", "Globex")
    assert [(k["name"], k["id"][:4]) for k in acme["keys"]] == [("ci", "act_")]
    assert [k["id"][:4] for k in globex["keys"]] == ["act_"]

    support, sales = acme["apps"]
    assert (support["name"], sales["name"]) == ("Acme Support", "Acme Sales")
    [provisioner] = acme["serviceAccounts"]
    assert provisioner["name"] == "provisioner"
    assert provisioner["apps"] == [support["id"]]
    assert [k["id"][:4] for k in provisioner["keys"]] == ["svc_"]

    assert [k["id"][:4] for k in support["keys"]] == ["app_"]
    assert [k["id"][:4] for k in sales["keys"]] == ["app_"]
    bot, site = support["integrations"]
    assert (bot["type"], bot["displayName"], [k["id"][:4] for k in bot["keys"]]) == ("custom", "bot", ["int_"])
    assert (site["type"], site["displayName"], site["keys"]) == ("web", "site", [])

    assert [u.get("externalId") for u in support["users"]] == ["alice", "bob"] + [None] * 5
    assert [u["externalId"] for u in sales["users"]] == ["carol"]
    [help_app] = globex["apps"]
    assert help_app["name"] == "Globex Help"
    assert [k["id"][:4] for k in help_app["keys"]] == ["app_"]
    assert [u["externalId"] for u in help_app["users"]] == ["dave"]
    assert globex["serviceAccounts"] == []


def test_default_seed_writes_out_every_id_and_secret():
    """The README lists these for CI configs: they must not depend on the generator."""
    raw = json.loads((FIXTURES / "default.json").read_text())
    assert raw["$schema"] == "./schema.json"
    found = list(objects(raw))
    assert len([kind for kind, _, _ in found if kind == "key"]) == 7
    for kind, owner_kind, obj in found:
        assert "id" in obj, (kind, obj)
        if kind == "key":
            assert SECRET.match(obj["secret"]), obj
            assert obj["id"].startswith(KEY_PREFIX[owner_kind] + "_")


def test_default_seed_written_values_are_the_ones_the_generator_gives():
    """So leaving them out of a copy of the file changes nothing."""
    raw = json.loads((FIXTURES / "default.json").read_text())
    stripped = copy.deepcopy(raw)
    for _, _, obj in objects(stripped):
        del obj["id"]
        obj.pop("secret", None)
    assert fixtures.normalize(stripped) == fixtures.normalize(raw)


def test_example_minimal_loads_with_generated_ids_and_secrets():
    raw = json.loads((FIXTURES / "example-minimal.json").read_text())
    assert not any("id" in obj or "secret" in obj for _, _, obj in objects(raw))
    seed = fixtures.load(FIXTURES / "example-minimal.json")
    [account] = seed["accounts"]
    assert account["keys"][0]["id"].startswith("act_")
    assert len(account["apps"][0]["users"]) == 4


# --------------------------------------------------------------------------- normalized shape

FULL = {
    "$schema": "./schema.json",
    "faker": {"seed": 3, "locale": "en_US"},
    "accounts": [{
        "name": "Acme",
        "keys": [{"name": "ci"}, {}],
        "serviceAccounts": [{"keys": [{}]}],
        "apps": [{
            "name": "Support",
            "keys": [{}],
            "integrations": [{"type": "custom", "keys": [{}]}, {"type": "web"}, {"type": "ios"}],
            "users": [{"externalId": "alice", "profile": {"givenName": "Alice"}}, {}],
            "generate": {"users": 3},
        }, {}],
    }, {}],
}


def test_normalized_seed_has_every_field_and_list():
    seed = fixtures.normalize(copy.deepcopy(FULL))
    assert set(seed) == {"faker", "accounts", "oauthClients"}
    assert seed["oauthClients"] == []
    assert seed["faker"] == {"seed": 3, "locale": "en_US"}
    acme, empty = seed["accounts"]
    assert list(empty) == ["id", "name", "keys", "serviceAccounts", "apps"]
    assert (empty["keys"], empty["serviceAccounts"], empty["apps"]) == ([], [], [])

    support, bare = acme["apps"]
    assert list(bare) == ["id", "name", "metadata", "settings", "keys", "integrations", "users"]
    assert (bare["metadata"], bare["settings"], bare["keys"], bare["integrations"], bare["users"]) == \
           (None, {}, [], [], [])
    assert "generate" not in support

    [sa] = acme["serviceAccounts"]
    assert list(sa) == ["id", "name", "apps", "keys"] and sa["apps"] == []
    for key in acme["keys"] + sa["keys"] + support["keys"] + support["integrations"][0]["keys"]:
        assert list(key) == ["id", "secret", "name"]
    assert [k["name"] for k in acme["keys"]] == ["ci", "Key 2"]

    custom, web, ios = support["integrations"]
    for integration in (custom, web, ios):
        assert list(integration) == ["id", "type", "displayName", "keys", "webhooks"]
    assert (len(custom["keys"]), web["keys"], ios["keys"]) == (1, [], [])
    assert (custom["webhooks"], web["webhooks"], ios["webhooks"]) == ([], [], [])
    assert all(isinstance(i["displayName"], str) and i["displayName"] for i in (custom, web, ios))

    for user in support["users"]:
        assert isinstance(user["profile"], dict) and user["metadata"] == {}
        assert TIMESTAMP.match(user["signedUpAt"])
    assert [("externalId" in u) for u in support["users"]] == [True, False, False, False, False]


def test_generated_values_have_smooch_formats():
    seed = fixtures.normalize(copy.deepcopy(FULL))
    keys_seen = 0
    for kind, owner_kind, obj in objects(seed):
        if kind == "key":
            keys_seen += 1
            prefix, _, rest = obj["id"].partition("_")
            assert prefix == KEY_PREFIX[owner_kind] and OBJECT_ID.match(rest)
            assert SECRET.match(obj["secret"])
        else:
            assert OBJECT_ID.match(obj["id"]), obj
            if kind in ("account", "serviceAccount", "app"):
                assert isinstance(obj["name"], str) and obj["name"]
    assert keys_seen == 5


def test_written_out_user_keeps_only_its_own_profile_fields():
    seed = fixtures.normalize(copy.deepcopy(FULL))
    alice, anonymous = seed["accounts"][0]["apps"][0]["users"][:2]
    assert alice["externalId"] == "alice"
    assert alice["profile"] == {"givenName": "Alice"}
    assert anonymous["profile"] == {}
    assert OBJECT_ID.match(anonymous["id"])


def test_generate_appends_users_with_realistic_profiles():
    seed = fixtures.normalize(one_app(users=[{"externalId": "alice"}], generate={"users": 20}))
    users = seed["accounts"][0]["apps"][0]["users"]
    assert len(users) == 21 and users[0]["externalId"] == "alice"
    generated = users[1:]
    assert len({u["id"] for u in users}) == 21
    for user in generated:
        assert "externalId" not in user
        profile = user["profile"]
        assert set(profile) == {"givenName", "surname", "email", "avatarUrl", "locale"}
        assert profile["locale"] == "en-US"
        assert re.fullmatch(r"[a-z0-9.]+@example\.(com|org|net)", profile["email"])
        assert profile["avatarUrl"].startswith("https://")
        assert "2024-01-01" <= user["signedUpAt"] < "2026-01-01"
    assert len({u["profile"]["givenName"] for u in generated}) > 5


def test_generated_profiles_follow_the_locale():
    seed = fixtures.normalize({"faker": {"locale": "ja_JP"}, "accounts": [{"apps": [{"generate": {"users": 3}}]}]})
    for user in seed["accounts"][0]["apps"][0]["users"]:
        assert user["profile"]["locale"] == "ja-JP"
        assert re.fullmatch(r"[A-Za-z0-9._-]+@example\.(com|org|net)", user["profile"]["email"])


@pytest.mark.parametrize("users", [0, 1])
def test_generate_zero_or_one_user(users):
    seed = fixtures.normalize(one_app(generate={"users": users}))
    assert len(seed["accounts"][0]["apps"][0]["users"]) == users


def test_faker_block_is_optional():
    seed = fixtures.normalize({"accounts": [{}]})
    assert seed["faker"] == {"seed": 0, "locale": "en_US"}
    assert seed == fixtures.normalize({"faker": {"seed": 0}, "accounts": [{}]})


def test_written_out_values_are_kept_as_given():
    raw = {"accounts": [{
        "id": "94712c57cfa18680160574f7", "name": "Acme",
        "keys": [{"id": "b567635f883c819871ace8003c0db14b", "secret": "5XJ85yjUtRcaQu_pDINblPZb", "name": "old"}],
        "apps": [{"id": "5d8cff3cd55b040010928b5b", "name": "A", "metadata": {"tier": 1}, "settings": {"x": True},
                  "users": [{"id": "42589ad070d43be9b00ff7e5", "metadata": {"plan": "pro"},
                             "signedUpAt": "2020-05-21T15:53:30.197Z"}]}]}]}
    seed = fixtures.normalize(copy.deepcopy(raw))
    account = seed["accounts"][0]
    assert (account["id"], account["name"]) == ("94712c57cfa18680160574f7", "Acme")
    assert account["keys"] == raw["accounts"][0]["keys"]
    app = account["apps"][0]
    assert (app["id"], app["metadata"], app["settings"]) == ("5d8cff3cd55b040010928b5b", {"tier": 1}, {"x": True})
    assert app["users"][0] == {"id": "42589ad070d43be9b00ff7e5", "profile": {}, "metadata": {"plan": "pro"},
                               "signedUpAt": "2020-05-21T15:53:30.197Z"}


@pytest.mark.parametrize("given, expected", [
    ("2020-05-21T17:53:30.1+02:00", "2020-05-21T15:53:30.100Z"),
    ("2020-05-21t15:53:30z", "2020-05-21T15:53:30.000Z"),
    ("2019-12-31T23:30:00.123456-01:00", "2020-01-01T00:30:00.123Z"),
])
def test_signed_up_at_is_normalized_to_utc_milliseconds(given, expected):
    seed = fixtures.normalize(one_app(users=[{"signedUpAt": given}]))
    assert seed["accounts"][0]["apps"][0]["users"][0]["signedUpAt"] == expected


def test_normalize_neither_changes_nor_shares_its_input():
    raw = copy.deepcopy(FULL)
    seed = fixtures.normalize(raw)
    assert raw == FULL
    seed["accounts"][0]["apps"][0]["users"][0]["profile"]["givenName"] = "Mallory"
    assert raw["accounts"][0]["apps"][0]["users"][0]["profile"]["givenName"] == "Alice"


def test_a_normalized_seed_is_a_fixture_that_normalizes_to_itself():
    """`GET /_mocksmooch/fixtures` output can be saved and loaded again."""
    for seed in (fixtures.load(), fixtures.normalize(copy.deepcopy(FULL))):
        again = fixtures.loads(json.dumps(seed))
        assert canonical(again) == canonical(seed)


# --------------------------------------------------------------------------- determinism

def test_same_file_gives_the_same_seed_byte_for_byte(tmp_path):
    path = write(tmp_path, FULL)
    assert canonical(fixtures.load(path)) == canonical(fixtures.load(path))
    assert canonical(fixtures.load(path)) == canonical(fixtures.loads(path.read_text(), str(path)))


def test_same_file_gives_the_same_seed_in_another_process(tmp_path):
    path = write(tmp_path, FULL)
    script = "import json, sys; from mocksmooch import fixtures; " \
             "print(json.dumps(fixtures.load(sys.argv[1]), sort_keys=True))"
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run([sys.executable, "-c", script, str(path)], env=env, cwd=tmp_path,
                             capture_output=True, text=True, check=True)
        outputs.add(run.stdout.strip())
    assert outputs == {canonical(fixtures.load(path))}


def test_another_faker_seed_gives_other_generated_values():
    other = copy.deepcopy(FULL)
    other["faker"]["seed"] = 4
    a, b = fixtures.normalize(copy.deepcopy(FULL)), fixtures.normalize(other)
    assert a["accounts"][0]["id"] != b["accounts"][0]["id"]
    assert a["accounts"][0]["keys"][1]["secret"] != b["accounts"][0]["keys"][1]["secret"]
    assert a["accounts"][0]["apps"][0]["users"][2] != b["accounts"][0]["apps"][0]["users"][2]


def test_editing_one_object_leaves_the_others_generated_values_alone():
    before = fixtures.normalize(copy.deepcopy(FULL))
    edited = copy.deepcopy(FULL)
    app = edited["accounts"][0]["apps"][0]
    app["users"].append({"externalId": "zed"})  # a written-out user, before the generated ones
    app["generate"]["users"] = 4  # one more generated user
    app["keys"][0]["name"] = "renamed"
    edited["accounts"][1]["apps"] = [{}]
    after = fixtures.normalize(edited)

    old_app, new_app = before["accounts"][0]["apps"][0], after["accounts"][0]["apps"][0]
    assert new_app["users"][:2] == old_app["users"][:2]
    assert new_app["users"][3:6] == old_app["users"][2:5]  # the generated users did not move
    assert new_app["keys"][0]["id"] == old_app["keys"][0]["id"]
    assert new_app["keys"][0]["secret"] == old_app["keys"][0]["secret"]
    assert new_app["integrations"] == old_app["integrations"]
    assert after["accounts"][0]["keys"] == before["accounts"][0]["keys"]
    assert after["accounts"][0]["apps"][1] == before["accounts"][0]["apps"][1]
    assert after["accounts"][1]["id"] == before["accounts"][1]["id"]


def test_an_integral_float_seed_is_the_same_seed():
    assert fixtures.normalize({"faker": {"seed": 7.0}, "accounts": [{}]}) == \
           fixtures.normalize({"faker": {"seed": 7}, "accounts": [{}]})


# --------------------------------------------------------------------------- reading & parsing errors

def test_missing_file_is_reported_at_the_root(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(FixtureError) as caught:
        fixtures.load(path)
    assert caught.value.source == str(path)
    assert caught.value.errors == [f"$: file not found: {path}"]


def test_a_directory_is_reported_at_the_root(tmp_path):
    with pytest.raises(FixtureError) as caught:
        fixtures.load(tmp_path)
    [error] = caught.value.errors
    assert error.startswith("$: ") and "directory" in error


def test_malformed_json_names_line_and_column(tmp_path):
    path = write(tmp_path, '{\n  "accounts": [\n    {"name": "Acme",}\n  ]\n}\n')
    with pytest.raises(FixtureError) as caught:
        fixtures.load(path)
    [error] = caught.value.errors
    assert error.startswith("$: malformed JSON at line 3, column 21: ")
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("text, expected", [
    ("", "$: the file is empty; a fixture is a JSON object"),
    ('{"accounts": [], "x": NaN}', "$: malformed JSON: NaN is not valid JSON"),
    ("[]", "$: expected an object, got a list"),
    ("{}", '$: missing required field "accounts"'),
])
def test_what_is_not_a_fixture_object(text, expected):
    with pytest.raises(FixtureError) as caught:
        fixtures.loads(text, "inline")
    assert caught.value.errors == [expected]


def test_a_field_written_twice_is_reported():
    with pytest.raises(FixtureError) as caught:
        fixtures.loads('{"accounts": [{"name": "A", "name": "B"}]}')
    assert caught.value.errors == ['accounts[0]: field "name" appears more than once; JSON keeps only the last one']


# --------------------------------------------------------------------------- schema errors

def test_unknown_fields_are_named_with_their_object_path():
    raw = {"$schema": "./schema.json", "extra": 1,
           "accounts": [{"apps": [{"users": [{"profile": {"nickname": "Al"}}]}]}]}
    assert errors(raw) == [
        '$: unknown field "extra" (allowed here: $schema, faker, accounts, oauthClients)',
        'accounts[0].apps[0].users[0].profile: unknown field "nickname" '
        '(allowed here: givenName, surname, email, avatarUrl, locale)',
    ]


@pytest.mark.parametrize("raw, expected", [
    ({"accounts": {}}, "accounts: expected a list, got an object"),
    ({"faker": {"seed": "7"}, "accounts": []}, 'faker.seed: expected an integer, got the string "7"'),
    ({"faker": {"seed": True}, "accounts": []}, "faker.seed: expected an integer, got the boolean true"),
    ({"$schema": 1, "accounts": []}, "$schema: expected a string, got the number 1"),
    (one_app(metadata=[]), "accounts[0].apps[0].metadata: expected an object or null, got a list"),
    (one_app(settings=None), "accounts[0].apps[0].settings: expected an object, got null"),
    (one_app(users=[{"profile": {"givenName": 5}}]),
     "accounts[0].apps[0].users[0].profile.givenName: expected a string, got the number 5"),
    (one_app(users=[{"profile": {"surname": ""}}]), "accounts[0].apps[0].users[0].profile.surname: must not be empty"),
    (one_app(integrations=[{}]), 'accounts[0].apps[0].integrations[0]: missing required field "type"'),
    (one_app(integrations=[{"type": "sms"}]),
     'accounts[0].apps[0].integrations[0].type: "sms" is not a valid integration type: '
     'expected one of "custom", "web", "ios", "android"'),
    (one_app(generate={"users": -1}), "accounts[0].apps[0].generate.users: -1 is less than the minimum of 0"),
    (one_app(generate={"users": 100001}),
     "accounts[0].apps[0].generate.users: 100001 is more than the maximum of 100000"),
    (one_app(generate={"apps": 1}), 'accounts[0].apps[0].generate: unknown field "apps" (allowed here: users)'),
])
def test_wrong_types_and_values(raw, expected):
    assert errors(raw) == [expected]


@pytest.mark.parametrize("bad_id", ["XYZ", "5D8CFF3CD55B040010928B5B", "5d8cff3cd55b040010928b5", "", 5])
def test_object_ids_must_be_24_lowercase_hex(bad_id):
    [error] = errors({"accounts": [{"id": bad_id}]})
    assert error.startswith("accounts[0].id: ")
    if isinstance(bad_id, str):
        assert error.startswith(f'accounts[0].id: {json.dumps(bad_id)} is not a valid object id: expected 24 lowercase hex')


@pytest.mark.parametrize("key_id", ["act_5963ceb97cde542d000dbdb1", "55e9f9bf7a0ce5ca2d429c17",
                                    "b567635f883c819871ace8003c0db14b", "LegacyKey1", "a" * 64])
def test_prefixed_and_legacy_key_ids_are_accepted(key_id):
    seed = fixtures.normalize({"accounts": [{"keys": [{"id": key_id}]}]})
    assert seed["accounts"][0]["keys"][0]["id"] == key_id


@pytest.mark.parametrize("key_id", ["app_5723A347F82BA0516CB4EA34", "app_5723a347", "xyz_5723a347f82ba0516cb4ea34",
                                    "a" * 65, "key-1", ""])
def test_malformed_key_ids_are_rejected(key_id):
    [error] = errors(one_app(keys=[{"id": key_id}]))
    assert error.startswith(f"accounts[0].apps[0].keys[0].id: {json.dumps(key_id)} is not a valid key id: ")


@pytest.mark.parametrize("secret, message", [
    ("", "must not be empty"),
    ("has space", "is not a valid secret"),
    ("tab\there", "is not a valid secret"),
    ("bell\x07", "is not a valid secret"),
    ("x" * 257, "is too long: 257 characters, at most 256 are allowed"),
])
def test_bad_secrets(secret, message):
    [error] = errors({"accounts": [{"keys": [{"secret": secret}]}]})
    assert error.startswith("accounts[0].keys[0].secret: ") and message in error


@pytest.mark.parametrize("secret", ["5XJ85yjUtRcaQu_pDINblPZb", "Ck1LjzzlUzvlCTtqAdQ2z1QukuBTrN3TIx", "x" * 256, "p@ss:w0rd!"])
def test_good_secrets(secret):
    assert fixtures.normalize({"accounts": [{"keys": [{"secret": secret}]}]})["accounts"][0]["keys"][0]["secret"] == secret


@pytest.mark.parametrize("value", ["2020-05-21", "2020-05-21T15:53:30", "21/05/2020", "2020-05-21 15:53:30Z"])
def test_signed_up_at_must_be_rfc_3339_with_a_time_zone(value):
    [error] = errors(one_app(users=[{"signedUpAt": value}]))
    assert error.startswith(f"accounts[0].apps[0].users[0].signedUpAt: {json.dumps(value)} is not a valid timestamp")


@pytest.mark.parametrize("value", ["2020-13-01T00:00:00Z", "2021-02-29T00:00:00Z", "2020-01-01T24:00:00Z",
                                   "2020-01-01T00:00:00+24:00"])
def test_signed_up_at_must_be_a_real_moment(value):
    [error] = errors(one_app(users=[{"signedUpAt": value}]))
    assert error.startswith(f"accounts[0].apps[0].users[0].signedUpAt: {json.dumps(value)} is not a real date and time")


def test_unknown_faker_locale_suggests_a_known_one():
    assert errors({"faker": {"locale": "en-US"}, "accounts": []}) == \
           ['faker.locale: unknown Faker locale "en-US"; did you mean "en_US"?']


# --------------------------------------------------------------------------- consistency errors

@pytest.mark.parametrize("raw, path, owner", [
    ({"accounts": [{"keys": [{"id": "app_5723a347f82ba0516cb4ea34"}]}]}, "accounts[0].keys[0].id", "an account"),
    ({"accounts": [{"serviceAccounts": [{"keys": [{"id": "act_5963ceb97cde542d000dbdb1"}]}]}]},
     "accounts[0].serviceAccounts[0].keys[0].id", "a service account"),
    (one_app(keys=[{"id": "int_5e4b0f225aca01092928f917"}]), "accounts[0].apps[0].keys[0].id", "an app"),
    (one_app(integrations=[{"type": "custom", "keys": [{"id": "svc_5808ba5cedf3b5931970e054"}]}]),
     "accounts[0].apps[0].integrations[0].keys[0].id", "an integration"),
])
def test_key_prefix_must_match_its_owner(raw, path, owner):
    [error] = errors(raw)
    assert error.startswith(f"{path}: key id ")
    assert f"but it belongs to {owner};" in error


def test_only_custom_integrations_have_keys():
    raw = one_app(integrations=[{"type": "web", "keys": [{}]}, {"type": "android", "keys": []}])
    assert errors(raw) == ["accounts[0].apps[0].integrations[0].keys: a web integration cannot have keys; "
                           "only custom integrations have API keys"]


def test_key_ids_are_unique_across_the_whole_file():
    key = {"id": "55e9f9bf7a0ce5ca2d429c17"}
    raw = {"accounts": [{"keys": [key], "apps": [{"keys": [key]}]}, {"keys": [key]}]}
    assert errors(raw) == [
        'accounts[0].apps[0].keys[0].id: duplicate key id "55e9f9bf7a0ce5ca2d429c17": also used by accounts[0].keys[0]',
        'accounts[1].keys[0].id: duplicate key id "55e9f9bf7a0ce5ca2d429c17": also used by accounts[0].keys[0]',
    ]


def test_object_ids_are_unique_per_kind():
    same = "5d8cff3cd55b040010928b5b"
    raw = {"accounts": [
        {"id": same, "apps": [{"id": same, "users": [{"id": same}], "integrations": [{"id": same, "type": "web"}]}]},
        {"id": same, "apps": [{"id": same, "users": [{"id": same}]}]},
    ]}
    assert errors(raw) == [
        f'accounts[1].apps[0].id: duplicate app id "{same}": also used by accounts[0].apps[0]',
        f'accounts[1].apps[0].users[0].id: duplicate user id "{same}": also used by accounts[0].apps[0].users[0]',
        f'accounts[1].id: duplicate account id "{same}": also used by accounts[0]',
    ]


def test_a_pasted_generated_id_is_a_duplicate():
    generated = fixtures.normalize({"accounts": [{"apps": [{}, {}]}]})
    first_app_id = generated["accounts"][0]["apps"][0]["id"]
    raw = {"accounts": [{"apps": [{}, {"id": first_app_id}]}]}
    assert errors(raw) == [f'accounts[0].apps[1].id: duplicate app id "{first_app_id}": '
                           "also used by the id generated for accounts[0].apps[0]"]


def test_a_pasted_generated_user_id_is_a_duplicate():
    """Generated users' ids are only checked against ids written out, so one must be caught."""
    generated = fixtures.normalize(one_app(generate={"users": 50}))
    pasted = generated["accounts"][0]["apps"][0]["users"][42]["id"]
    assert errors(one_app(users=[{"id": pasted}], generate={"users": 50})) == [
        f'accounts[0].apps[0].users[0].id: duplicate user id "{pasted}": '
        "also used by the id generated for accounts[0].apps[0].generate.users[42]"]


def test_external_ids_are_unique_within_an_app():
    raw = {"accounts": [{"apps": [
        {"users": [{"externalId": "alice"}, {"externalId": "bob"}, {"externalId": "alice"}]},
        {"users": [{"externalId": "alice"}]},
    ]}]}
    assert errors(raw) == ['accounts[0].apps[0].users[2].externalId: duplicate externalId "alice" in this app: '
                           "also used by accounts[0].apps[0].users[0]"]


def test_service_account_apps_must_be_its_own_accounts():
    own, foreign, unknown = "5d8cff3cd55b040010928b5b", "55c8d9758590aa1900b9b9f6", "5963c0d619a30a2e00de36b8"
    raw = {"accounts": [
        {"apps": [{"id": own}], "serviceAccounts": [{"apps": [own, foreign, unknown, own]}]},
        {"apps": [{"id": foreign}]},
    ]}
    assert errors(raw) == [
        f'accounts[0].serviceAccounts[0].apps[1]: app "{foreign}" belongs to another account (accounts[1].apps[0]); '
        "a service account can only be granted apps of its own account",
        f'accounts[0].serviceAccounts[0].apps[2]: app "{unknown}" is not one of this account\'s apps ("{own}")',
        f'accounts[0].serviceAccounts[0].apps[3]: app "{own}" is granted more than once',
    ]


def test_service_account_may_be_granted_a_generated_app_id():
    generated = fixtures.normalize({"accounts": [{"apps": [{}]}]})
    app_id = generated["accounts"][0]["apps"][0]["id"]
    seed = fixtures.normalize({"accounts": [{"apps": [{}], "serviceAccounts": [{"apps": [app_id]}]}]})
    assert seed["accounts"][0]["serviceAccounts"][0]["apps"] == [app_id]


def test_all_errors_are_reported_sorted_by_path():
    accounts = [{} for _ in range(11)]
    accounts[10] = {"id": "bad"}
    accounts[2] = {"keys": [{"secret": ""}], "name": ""}
    raw = {"faker": {"seed": "x"}, "accounts": accounts, "more": True}
    assert errors(raw) == [
        '$: unknown field "more" (allowed here: $schema, faker, accounts, oauthClients)',
        "accounts[2].keys[0].secret: must not be empty",
        "accounts[2].name: must not be empty",
        'accounts[10].id: "bad" is not a valid object id: expected 24 lowercase hex characters, '
        "such as 5d8cff3cd55b040010928b5b",
        'faker.seed: expected an integer, got the string "x"',
    ]


def test_fixture_error_message_names_the_source():
    with pytest.raises(FixtureError) as caught:
        fixtures.loads('{"accounts": [{"id": 1}]}', "control-api")
    assert caught.value.source == "control-api"
    assert str(caught.value) == "control-api: accounts[0].id: expected a string, got the number 1"


# --------------------------------------------------------------------------- OAuth clients

def test_default_seed_has_one_oauth_client_written_out():
    """The README lists it: its values must not depend on the generator."""
    raw = json.loads((FIXTURES / "default.json").read_text())
    [written] = raw["oauthClients"]
    assert written == {"id": "975de3f63463884d1f0567e0",
                       "secret": "A4D9rnR-Vt0kde3ASIz8qzwxRTjbcS47vW7NgTRDNc3491CNJf6eSTdR2MylUGVM8PgDBsRR7cLd0ONVLyj9rw",
                       "name": "Shoplifter"}
    stripped = copy.deepcopy(raw)
    del stripped["oauthClients"][0]["id"], stripped["oauthClients"][0]["secret"]
    assert fixtures.normalize(stripped)["oauthClients"] == fixtures.load()["oauthClients"]
    assert fixtures.load()["oauthClients"] == [{**written, "redirectUris": []}]


def test_oauth_clients_get_generated_ids_secrets_and_names():
    seed = fixtures.normalize({"accounts": [], "oauthClients": [{}, {"name": "Partner", "redirectUris": [
        "https://partner.example/cb", "http://localhost:3000/cb?x=1"]}]})
    first, second = seed["oauthClients"]
    for client in (first, second):
        assert list(client) == ["id", "secret", "name", "redirectUris"]
        assert OBJECT_ID.match(client["id"]) and SECRET.match(client["secret"])
    assert first["id"] != second["id"] and first["name"] and first["redirectUris"] == []
    assert second["name"] == "Partner"
    assert second["redirectUris"] == ["https://partner.example/cb", "http://localhost:3000/cb?x=1"]


def test_oauth_client_values_are_kept_as_given_and_survive_normalizing_again():
    raw = {"accounts": [], "oauthClients": [{"id": "shoplifter", "secret": "5XJ85yjUtRcaQu_pDINblPZb",
                                             "name": "Shoplifter", "redirectUris": ["https://a.example/cb"]}]}
    seed = fixtures.normalize(copy.deepcopy(raw))
    assert seed["oauthClients"] == raw["oauthClients"]
    assert fixtures.loads(json.dumps(seed)) == seed


def test_adding_an_oauth_client_changes_no_other_generated_value():
    base = fixtures.normalize(copy.deepcopy(FULL))
    more = fixtures.normalize({**copy.deepcopy(FULL), "oauthClients": [{}]})
    assert more["accounts"] == base["accounts"]


@pytest.mark.parametrize("client, expected", [
    ({"id": "has space"}, 'oauthClients[0].id: "has space" is not a valid OAuth client id: expected 1 to 64 '
                          "letters, digits, '_' or '-', such as 5e4af71a81966cfff3ef6550 or shoplifter"),
    ({"secret": ""}, "oauthClients[0].secret: must not be empty"),
    ({"name": ""}, "oauthClients[0].name: must not be empty"),
    ({"redirectUris": "https://a.example"}, "oauthClients[0].redirectUris: expected a list, got the string "
                                            '"https://a.example"'),
    ({"redirectUris": ["partner.example/cb"]},
     'oauthClients[0].redirectUris[0]: "partner.example/cb" is not a valid redirect URI: expected an absolute '
     "http or https URL, such as https://example.org/oauth/callback"),
    ({"scopes": []}, 'oauthClients[0]: unknown field "scopes" (allowed here: id, secret, name, redirectUris)'),
])
def test_bad_oauth_clients(client, expected):
    assert errors({"accounts": [], "oauthClients": [client]}) == [expected]


def test_oauth_client_ids_are_unique():
    raw = {"accounts": [], "oauthClients": [{"id": "shoplifter"}, {}, {"id": "shoplifter"}]}
    assert errors(raw) == ['oauthClients[2].id: duplicate OAuth client id "shoplifter": also used by oauthClients[0]']


# --------------------------------------------------------------------------- webhooks of custom integrations

SEEDED_BOT_WEBHOOK = {"id": "e2a8151ec6bd0c3215a0bfcf", "target": "http://127.0.0.1:9/smooch-webhooks",
                      "triggers": ["conversation:message"], "secret": "742aa7ce2322fba6c9a77c4fb178139e",
                      "includeFullUser": False, "includeFullSource": False}


def custom_with(*webhooks, **integration) -> dict:
    return one_app(integrations=[{"type": "custom", **integration, "webhooks": list(webhooks)}])


def webhooks_of(seed: dict, integration: int = 0) -> list[dict]:
    return seed["accounts"][0]["apps"][0]["integrations"][integration]["webhooks"]


def test_default_seed_bot_has_one_written_out_webhook():
    """The README lists it; the official v2 clients require exactly one on a custom integration."""
    raw = json.loads((FIXTURES / "default.json").read_text())
    bot, site = raw["accounts"][0]["apps"][0]["integrations"]
    assert bot["webhooks"] == [SEEDED_BOT_WEBHOOK] and "webhooks" not in site
    assert webhooks_of(fixtures.load()) == [SEEDED_BOT_WEBHOOK]
    assert webhooks_of(fixtures.load(), 1) == []


def test_default_seed_bot_webhook_values_are_the_ones_the_generator_gives():
    raw = json.loads((FIXTURES / "default.json").read_text())
    stripped = copy.deepcopy(raw)
    [webhook] = stripped["accounts"][0]["apps"][0]["integrations"][0]["webhooks"]
    for name in ("id", "secret", "triggers", "includeFullUser", "includeFullSource"):
        del webhook[name]
    assert fixtures.normalize(stripped) == fixtures.normalize(raw)


def test_webhooks_get_generated_ids_secrets_and_defaults():
    seed = fixtures.normalize(custom_with({"target": "https://a.example/hook"},
                                          {"target": "http://127.0.0.1:8000/x", "triggers": ["user:merge"],
                                           "includeFullUser": True, "includeFullSource": True}))
    first, second = webhooks_of(seed)
    for webhook in (first, second):
        assert list(webhook) == ["id", "target", "triggers", "secret", "includeFullUser", "includeFullSource"]
        assert OBJECT_ID.match(webhook["id"]) and re.fullmatch(r"[0-9a-f]{32}", webhook["secret"])
    assert first["id"] != second["id"] and first["secret"] != second["secret"]
    assert (first["triggers"], first["includeFullUser"], first["includeFullSource"]) == (
        ["conversation:message"], False, False)
    assert (second["triggers"], second["includeFullUser"], second["includeFullSource"]) == (["user:merge"], True, True)


def test_webhook_values_are_kept_as_given_deterministic_and_survive_normalizing_again():
    given = {"id": "5d8cff3cd55b040010928b5b", "target": "https://a.example/hook",
             "triggers": ["conversation:read", "conversation:message"], "secret": "my-receivers-secret",
             "includeFullUser": True, "includeFullSource": False}
    seed = fixtures.normalize(custom_with(given, {"target": "https://b.example/hook"}))
    assert webhooks_of(seed)[0] == given
    assert fixtures.normalize(custom_with(given, {"target": "https://b.example/hook"})) == seed
    assert fixtures.loads(json.dumps(seed)) == seed


def test_adding_a_webhook_changes_no_other_generated_value():
    base = fixtures.normalize(copy.deepcopy(FULL))
    more = copy.deepcopy(FULL)
    more["accounts"][0]["apps"][0]["integrations"][0]["webhooks"] = [{"target": "https://a.example/hook"}]
    seeded = fixtures.normalize(more)
    assert len(webhooks_of(seeded)) == 1
    webhooks_of(seeded).clear()
    assert seeded == base


def test_webhook_triggers_of_the_schema_are_the_v2_triggers():
    from mocksmooch.domain.integrations import WEBHOOK_TRIGGERS
    schema = json.loads((FIXTURES / "schema.json").read_text())
    assert schema["$defs"]["webhook"]["properties"]["triggers"]["items"]["enum"] == list(WEBHOOK_TRIGGERS)


@pytest.mark.parametrize("webhook, expected", [
    ({}, 'accounts[0].apps[0].integrations[0].webhooks[0]: missing required field "target"'),
    ({"target": "example.com/hook"},
     'accounts[0].apps[0].integrations[0].webhooks[0].target: "example.com/hook" is not a valid webhook target: '
     "expected an absolute http or https URL, such as http://127.0.0.1:8000/smooch-webhooks"),
    ({"target": "https://a.example", "triggers": []},
     "accounts[0].apps[0].integrations[0].webhooks[0].triggers: must not be empty"),
    ({"target": "https://a.example", "triggers": ["message:appUser"]},
     'accounts[0].apps[0].integrations[0].webhooks[0].triggers[0]: "message:appUser" is not a valid webhook '
     'trigger: expected one of "client:add", '),
    ({"target": "https://a.example", "triggers": ["user:merge", "user:remove", "user:merge"]},
     'accounts[0].apps[0].integrations[0].webhooks[0].triggers: lists "user:merge" more than once'),
    ({"target": "https://a.example", "secret": ""},
     "accounts[0].apps[0].integrations[0].webhooks[0].secret: must not be empty"),
    ({"target": "https://a.example", "includeFullUser": "yes"},
     'accounts[0].apps[0].integrations[0].webhooks[0].includeFullUser: expected true or false, got the string "yes"'),
    ({"target": "https://a.example", "version": "v1.1"},
     'accounts[0].apps[0].integrations[0].webhooks[0]: unknown field "version" (allowed here: id, target, triggers, '
     "secret, includeFullUser, includeFullSource)"),
    ({"target": "https://a.example", "id": "nope"},
     'accounts[0].apps[0].integrations[0].webhooks[0].id: "nope" is not a valid object id: '),
])
def test_bad_webhooks(webhook, expected):
    [problem] = errors(custom_with(webhook))
    assert problem.startswith(expected), problem


def test_only_custom_integrations_have_webhooks():
    raw = one_app(integrations=[{"type": "web", "webhooks": [{"target": "https://a.example"}]},
                                {"type": "ios", "webhooks": []}])
    assert errors(raw) == ["accounts[0].apps[0].integrations[0].webhooks: a web integration cannot have webhooks; "
                           "only custom integrations have webhooks"]


def test_an_app_has_at_most_ten_webhooks():
    hooks = [{"target": f"https://a.example/{n}"} for n in range(6)]
    raw = one_app(integrations=[{"type": "custom", "webhooks": hooks}, {"type": "custom", "webhooks": hooks[:5]}])
    assert errors(raw) == ["accounts[0].apps[0].integrations[1].webhooks[4]: an app is limited to 10 webhooks; "
                           "this is webhook 11 of accounts[0].apps[0]"]
    raw["accounts"][0]["apps"][0]["integrations"][1]["webhooks"].pop()
    assert len(webhooks_of(fixtures.normalize(raw), 1)) == 4
    other_app = {"accounts": [{"apps": [{"integrations": [{"type": "custom", "webhooks": hooks}]}] * 2}]}
    assert fixtures.normalize(copy.deepcopy(other_app))  # ten per app, not per file


def test_webhook_ids_are_unique_generated_ones_included():
    same = "5d8cff3cd55b040010928b5b"
    raw = one_app(integrations=[{"type": "custom", "webhooks": [{"id": same, "target": "https://a.example"}]},
                                {"type": "custom", "webhooks": [{"id": same, "target": "https://b.example"}]}])
    assert errors(raw) == [f'accounts[0].apps[0].integrations[1].webhooks[0].id: duplicate webhook id "{same}": '
                           "also used by accounts[0].apps[0].integrations[0].webhooks[0]"]
    generated = webhooks_of(fixtures.normalize(custom_with({"target": "https://a.example"})))[0]["id"]
    raw = one_app(integrations=[{"type": "custom", "webhooks": [{"target": "https://a.example"}]},
                                {"type": "custom", "webhooks": [{"id": generated, "target": "https://b.example"}]}])
    assert errors(raw) == [f'accounts[0].apps[0].integrations[1].webhooks[0].id: duplicate webhook id "{generated}": '
                           "also used by the id generated for accounts[0].apps[0].integrations[0].webhooks[0]"]


# --------------------------------------------------------------------------- dependencies

@pytest.mark.parametrize("module", ["mocksmooch.fixtures", "mocksmooch.auth"])
def test_core_modules_do_not_import_flask(module):
    """The loader and the auth core know nothing of the web layer (the CLI uses both)."""
    script = f"import sys, {module}; print('flask' in sys.modules, 'werkzeug' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False False"


# --- the prebuilt default seed -----------------------------------------------------------------

def test_the_prebuilt_default_seed_is_what_the_default_file_normalizes_to():
    built = fixtures.loads(fixtures.DEFAULT_SEED.read_text(encoding="utf-8"), "default.json")
    prebuilt = json.loads(fixtures.PREBUILT_DEFAULT.read_text(encoding="utf-8"))
    assert prebuilt["seed"] == built, "fixtures/default.json changed: run `python -m mocksmooch.fixtures`"
    assert fixtures.load() == built


def test_a_stale_prebuilt_seed_is_ignored(tmp_path, monkeypatch):
    stale = tmp_path / "default.normalized.json"
    stale.write_text(json.dumps({"source": "sha256:" + "0" * 64, "seed": {"accounts": []}}))
    monkeypatch.setattr(fixtures, "PREBUILT_DEFAULT", stale)
    assert len(fixtures.load()["accounts"]) == 2
    stale.write_text("not json")
    assert len(fixtures.load()["accounts"]) == 2
    monkeypatch.setattr(fixtures, "PREBUILT_DEFAULT", tmp_path / "missing.json")
    assert len(fixtures.load()["accounts"]) == 2


def test_serving_the_default_seed_imports_neither_jsonschema_nor_faker():
    """What keeps `mocksmooch serve` and the plugin's session setup fast (issue 7)."""
    code = ("import sys; from mocksmooch.app import create_app; create_app({}); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'faker', 'jsonschema'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# Digests of normalized seeds as the generation made them before it was made faster (formatting
# each path once, names transliterated once, weighted draws by the formula of random.choices):
# the same users, to the byte.
GENERATED_DIGESTS = [
    ({"accounts": [{"apps": [{"users": [{"externalId": "alice", "devices": [{"type": "web"}]}],
                              "integrations": [{"type": "web"}], "generate": {"users": 2000}}]}]},
     "323f8e31bd1cb47aade7547a1dc3ca125d91dd2a3267891e5fa051157a854286"),
    ({"faker": {"locale": "ja_JP", "seed": 7}, "accounts": [{"apps": [{"generate": {"users": 300}},
                                                                     {"generate": {"users": 5}}]}]},
     "ed675cca3a8682b1db1d6104353fe3296d8592b489d39aef992dd235adbba949"),
]


@pytest.mark.parametrize("raw, digest", GENERATED_DIGESTS, ids=["en_US", "ja_JP"])
def test_generated_users_are_those_generated_before(raw, digest):
    import hashlib

    assert hashlib.sha256(json.dumps(fixtures.normalize(raw)).encode()).hexdigest() == digest


def test_normalizing_leaves_the_cycle_collector_as_it_found_it():
    """It is paused while a seed is generated, and only then."""
    import gc

    assert gc.isenabled()
    fixtures.normalize(one_app(generate={"users": 3}))
    assert gc.isenabled()
    errors(one_app(generate={"users": -1}))
    assert gc.isenabled()
    gc.disable()
    try:
        fixtures.normalize(one_app(generate={"users": 3}))
        assert not gc.isenabled()
    finally:
        gc.enable()
