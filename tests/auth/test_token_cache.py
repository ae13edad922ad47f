"""Verified credentials are cached (mocksmooch.auth.cache): a repeated token skips the
signature check and a repeated Basic key id and secret the key's look-up, but never what may
have changed since they were first verified: a token's lifetime against the clock, and the
key of either."""
from __future__ import annotations

import jwt
import pytest

from conftest import basic
from mocksmooch import auth
from mocksmooch.auth import Key, VerifiedTokens, VerifyOptions

APP_KEY = Key(id="app_0123456789abcdef01234567", secret="s" * 43, owner="app",
              account_id="5393537a11dad7171cd89530", app_id="0f377dc9e9a0a0215d2274f9")


class CountingDirectory:
    """A directory of one key that counts how often the auth core looks a key up."""

    def __init__(self, key: Key = APP_KEY):
        self.keys = {key.id: key}
        self.version = 0
        self.lookups = 0

    def find_key(self, key_id: str) -> Key | None:
        self.lookups += 1
        return self.keys.get(key_id)

    def change(self) -> None:
        self.version += 1


def _token(claims: dict, key: Key = APP_KEY) -> str:
    return jwt.encode(claims, key.secret, algorithm="HS256", headers={"kid": key.id})


def _authenticate(token: str, directory, cache, now: float = 1_800_000_000.0, leeway: float = 0.0):
    return auth.authenticate([f"Bearer {token}"], directory, now, VerifyOptions(leeway=leeway), cache)


# --- through the auth core -----------------------------------------------------------------

def test_a_repeated_token_is_not_looked_up_again_while_nothing_changed():
    directory, cache = CountingDirectory(), VerifiedTokens()
    token = _token({"scope": "app"})
    first = _authenticate(token, directory, cache)
    second = _authenticate(token, directory, cache)
    assert first == second and first.scope == "app" and first.key == APP_KEY
    assert directory.lookups == 1


def test_after_any_change_the_key_is_looked_up_once_more():
    directory, cache = CountingDirectory(), VerifiedTokens()
    token = _token({"scope": "app"})
    _authenticate(token, directory, cache)
    directory.change()
    _authenticate(token, directory, cache)
    _authenticate(token, directory, cache)
    assert directory.lookups == 2


def test_a_deleted_key_refuses_its_cached_token():
    directory, cache = CountingDirectory(), VerifiedTokens()
    token = _token({"scope": "app"})
    _authenticate(token, directory, cache)
    del directory.keys[APP_KEY.id]
    directory.change()
    with pytest.raises(auth.InvalidToken, match="names no existing key"):
        _authenticate(token, directory, cache)
    assert len(cache) == 0


def test_a_key_whose_secret_changed_refuses_the_cached_token():
    directory, cache = CountingDirectory(), VerifiedTokens()
    token = _token({"scope": "app"})
    _authenticate(token, directory, cache)
    directory.keys[APP_KEY.id] = Key(**{**APP_KEY.__dict__, "secret": "t" * 43})
    directory.change()
    with pytest.raises(auth.InvalidToken, match="signature does not match"):
        _authenticate(token, directory, cache)


@pytest.mark.parametrize("leeway", [0, 30])
def test_expiry_is_checked_on_every_use_with_the_leeway(leeway):
    directory, cache = CountingDirectory(), VerifiedTokens()
    now = 1_800_000_000
    token = _token({"scope": "app", "exp": now + 60})
    _authenticate(token, directory, cache, now=now, leeway=leeway)
    _authenticate(token, directory, cache, now=now + 59 + leeway, leeway=leeway)
    with pytest.raises(auth.ExpiredToken):
        _authenticate(token, directory, cache, now=now + 60 + leeway, leeway=leeway)
    assert directory.lookups == 1  # refused from the cache, by its lifetime


def test_not_before_is_checked_on_every_use():
    directory, cache = CountingDirectory(), VerifiedTokens()
    now = 1_800_000_000
    token = _token({"scope": "app", "nbf": now})
    _authenticate(token, directory, cache, now=now)
    with pytest.raises(auth.ImmatureToken):  # the clock was set back
        _authenticate(token, directory, cache, now=now - 1)


def test_refused_tokens_are_not_cached():
    directory, cache = CountingDirectory(), VerifiedTokens()
    forged = jwt.encode({"scope": "app"}, "not the secret of this key, though long enough", algorithm="HS256", headers={"kid": APP_KEY.id})
    for _ in range(2):
        with pytest.raises(auth.InvalidToken):
            _authenticate(forged, directory, cache)
    assert len(cache) == 0 and directory.lookups == 2


def test_the_cache_keeps_the_most_recently_used_tokens_only():
    directory, cache = CountingDirectory(), VerifiedTokens(size=2)
    first, second, third = (_token({"scope": "app", "n": n}) for n in range(3))
    _authenticate(first, directory, cache)
    _authenticate(second, directory, cache)
    _authenticate(first, directory, cache)  # first is now the most recent
    _authenticate(third, directory, cache)  # second goes
    assert len(cache) == 2 and directory.lookups == 3
    _authenticate(first, directory, cache)
    assert directory.lookups == 3
    _authenticate(second, directory, cache)
    assert directory.lookups == 4


def _basic(secret: str, directory, cache):
    return auth.authenticate([basic((APP_KEY.id, secret))], directory, 1_800_000_000.0, VerifyOptions(), cache)


def test_a_repeated_basic_credential_is_not_looked_up_again_while_nothing_changed():
    directory, cache = CountingDirectory(), VerifiedTokens()
    first, second = _basic(APP_KEY.secret, directory, cache), _basic(APP_KEY.secret, directory, cache)
    assert first == second and first.method == "basic" and first.scope == "app"
    assert directory.lookups == 1
    directory.change()
    _basic(APP_KEY.secret, directory, cache)
    assert directory.lookups == 2


def test_a_wrong_basic_secret_is_refused_each_time_and_not_cached():
    directory, cache = CountingDirectory(), VerifiedTokens()
    _basic(APP_KEY.secret, directory, cache)
    for _ in range(2):
        with pytest.raises(auth.InvalidKey, match="wrong secret"):
            _basic(APP_KEY.secret + "x", directory, cache)
    assert len(cache) == 1 and directory.lookups == 3


def test_a_cached_basic_credential_is_refused_once_its_key_changes():
    directory, cache = CountingDirectory(), VerifiedTokens()
    _basic(APP_KEY.secret, directory, cache)
    directory.keys[APP_KEY.id] = Key(**{**APP_KEY.__dict__, "secret": "t" * 43})  # rotated
    directory.change()
    with pytest.raises(auth.InvalidKey, match="wrong secret"):
        _basic(APP_KEY.secret, directory, cache)
    del directory.keys[APP_KEY.id]
    directory.change()
    with pytest.raises(auth.InvalidKey, match="names no existing key"):
        _basic("t" * 43, directory, cache)


# --- over HTTP: the server's own cache -----------------------------------------------------

def test_a_token_differing_in_one_byte_is_verified_afresh(api):
    path = f"/v2/apps/{api.app('Acme Support')['id']}"
    token = api.token(api.key("Acme Support")["id"], "app")
    assert api.get(path, auth=f"Bearer {token}").status_code == 200
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = api.get(path, auth=f"Bearer {tampered}")
    assert response.status_code == 401
    assert "signature" in response.headers["X-Mocksmooch-Reason"]


def test_deleting_the_app_refuses_cached_tokens_of_its_keys(api):
    account = basic(api.key("Acme"))
    app_id = api.app("Acme Sales")["id"]
    token = api.bearer(api.key("Acme Sales")["id"], "app")
    assert api.get(f"/v2/apps/{app_id}", auth=token).status_code == 200
    assert api.request("DELETE", f"/v2/apps/{app_id}", auth=account).status_code == 200
    response = api.get(f"/v2/apps/{app_id}", auth=token)
    assert response.status_code == 401
    assert "names no existing key" in response.headers["X-Mocksmooch-Reason"]


def test_a_reset_to_a_seed_with_another_secret_refuses_cached_tokens(api):
    key_id = "app_" + "c" * 24
    seed = {"accounts": [{"name": "Solo", "keys": [{"id": "act_" + "d" * 24, "secret": "pw"}],
                          "apps": [{"name": "Only", "keys": [{"id": key_id, "secret": "first-secret-of-this-app-key-32-bytes"}]}]}]}
    assert api.post("/_mocksmooch/reset", json={"fixtures": seed}).status_code == 200
    token = jwt.encode({"scope": "app"}, "first-secret-of-this-app-key-32-bytes", algorithm="HS256", headers={"kid": key_id})
    assert api.get("/v2/apps", auth=f"Bearer {token}").status_code == 403  # authenticated, scope refused
    seed["accounts"][0]["apps"][0]["keys"][0]["secret"] = "second-secret-of-this-app-key-32-bytes"
    assert api.post("/_mocksmooch/reset", json={"fixtures": seed}).status_code == 200
    response = api.get("/v2/apps", auth=f"Bearer {token}")
    assert response.status_code == 401
    assert "signature does not match" in response.headers["X-Mocksmooch-Reason"]


def test_deleting_a_key_refuses_its_cached_basic_credential(api):
    account = basic(api.key("Acme"))
    app_id = api.app("Acme Support")["id"]
    created = api.post(f"/v2/apps/{app_id}/keys", auth=account, json={"displayName": "temporary"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    credential = basic((key["id"], key["secret"]))
    assert api.get(f"/v2/apps/{app_id}", auth=credential).status_code == 200
    assert api.get(f"/v2/apps/{app_id}", auth=credential).status_code == 200  # from the cache
    assert api.request("DELETE", f"/v2/apps/{app_id}/keys/{key['id']}", auth=account).status_code == 200
    response = api.get(f"/v2/apps/{app_id}", auth=credential)
    assert response.status_code == 401
    assert "names no existing key" in response.headers["X-Mocksmooch-Reason"]
