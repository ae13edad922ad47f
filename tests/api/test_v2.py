"""v2 apps, app keys and users: stateful, with the real bodies, statuses and errors."""
from __future__ import annotations

import json

from conftest import basic


def acme(api):
    return basic(api.key("Acme"))


def test_app_lifecycle(api):
    auth = acme(api)
    created = api.post("/v2/apps", auth=auth, json={"displayName": "Helpdesk", "metadata": {"tier": "gold"},
                                                     "settings": {"multiConvoEnabled": True}})
    assert created.status_code == 201
    app = created.json()["app"]
    assert len(app["id"]) == 24 and app["displayName"] == "Helpdesk"
    assert app["metadata"] == {"tier": "gold"}
    assert app["settings"]["multiConvoEnabled"] is True and app["settings"]["maskCreditCardNumbers"] is True

    assert api.get(f"/v2/apps/{app['id']}", auth=auth).json()["app"] == app
    patched = api.request("PATCH", f"/v2/apps/{app['id']}", auth=auth, json={"displayName": "Help"})
    assert patched.status_code == 200 and patched.json()["app"]["displayName"] == "Help"
    listed = [a["id"] for a in api.get("/v2/apps", auth=auth).json()["apps"]]
    assert app["id"] in listed

    deleted = api.request("DELETE", f"/v2/apps/{app['id']}", auth=auth)
    assert (deleted.status_code, deleted.json()) == (200, {})
    gone = api.get(f"/v2/apps/{app['id']}", auth=auth)
    assert gone.status_code == 404 and gone.json()["errors"][0]["code"] == "app_not_found"


def test_list_apps_is_per_account_and_per_grant(api):
    acme_apps = [a["displayName"] for a in api.get("/v2/apps", auth=acme(api)).json()["apps"]]
    assert acme_apps == ["Acme Support", "Acme Sales"]
    globex_apps = [a["displayName"] for a in api.get("/v2/apps", auth=basic(api.key("Globex"))).json()["apps"]]
    assert globex_apps == ["Globex Help"]
    svc_apps = [a["displayName"] for a in api.get("/v2/apps", auth=basic(api.key("provisioner"))).json()["apps"]]
    assert svc_apps == ["Acme Support"]


def test_service_account_is_granted_the_apps_it_creates(api):
    svc = basic(api.key("provisioner"))
    app = api.post("/v2/apps", auth=svc, json={"displayName": "Provisioned"}).json()["app"]
    assert api.get(f"/v2/apps/{app['id']}", auth=svc).status_code == 200
    names = [a["displayName"] for a in api.get("/v2/apps", auth=svc).json()["apps"]]
    assert names == ["Acme Support", "Provisioned"]
    filtered = api.get("/v2/apps", auth=acme(api),
                       params={"filter[serviceAccountId]": api.service_account("provisioner")["id"]})
    assert [a["displayName"] for a in filtered.json()["apps"]] == ["Acme Support", "Provisioned"]


def test_cursor_pagination(api):
    auth = acme(api)
    ids = [a["id"] for a in api.get("/v2/apps", auth=auth).json()["apps"]]
    for n in range(30):
        ids.append(api.post("/v2/apps", auth=auth, json={"displayName": f"App {n}"}).json()["app"]["id"])

    first = api.get("/v2/apps", auth=auth, params={"page[size]": 10}).json()
    assert [a["id"] for a in first["apps"]] == ids[:10]
    assert first["meta"] == {"hasMore": True, "afterCursor": ids[9]}
    assert "page%5Bafter%5D=" + ids[9] in first["links"]["next"]

    second = api.get("/v2/apps", auth=auth, params={"page[after]": ids[9], "page[size]": 10}).json()
    assert [a["id"] for a in second["apps"]] == ids[10:20]
    assert second["meta"]["hasMore"] is True and second["meta"]["beforeCursor"] == ids[10]

    last = api.get("/v2/apps", auth=auth, params={"page[after]": ids[19], "page[size]": 100}).json()
    assert [a["id"] for a in last["apps"]] == ids[20:] and last["meta"]["hasMore"] is False
    assert "next" not in last["links"]

    before = api.get("/v2/apps", auth=auth, params={"page[before]": ids[20], "page[size]": 5}).json()
    assert [a["id"] for a in before["apps"]] == ids[15:20] and before["meta"]["hasMore"] is True

    # the official Python client sends the page object as JSON
    encoded = api.get("/v2/apps", auth=auth, params={"page": json.dumps({"after": ids[9], "size": 10})}).json()
    assert [a["id"] for a in encoded["apps"]] == ids[10:20]


def test_bad_page_parameters(api):
    for params in ({"page[size]": 0}, {"page[size]": 101}, {"page[size]": "ten"},
                   {"page[after]": "0" * 24, "page[before]": "0" * 24}, {"page[after]": "f" * 24},
                   {"page": "{not json"}):
        response = api.get("/v2/apps", auth=acme(api), params=params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["code"] == "bad_request"


def test_create_app_validation(api):
    auth = acme(api)
    cases = [({}, "should have required property 'displayName'"),
             ({"displayName": 5}, "displayName should be string"),
             ({"displayName": ""}, "displayName should NOT be shorter than 1 characters"),
             ({"displayName": "x", "settings": {"echoPostback": "yes"}}, "settings.echoPostback should be boolean"),
             ({"displayName": "x", "metadata": {"big": "x" * 5000}}, "App metadata is limited to 4096 bytes in size.")]
    for body, title in cases:
        response = api.post("/v2/apps", auth=auth, json=body)
        assert response.status_code == 400, body
        assert response.json() == {"errors": [{"code": "bad_request", "title": title}]}


def test_non_json_and_oversized_bodies(api):
    auth = acme(api)
    response = api.post("/v2/apps", auth=auth, data="displayName=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "bad_request"
    response = api.post("/v2/apps", auth=auth, json=["not", "an", "object"])
    assert response.status_code == 400
    response = api.post("/v2/apps", auth=auth, json={"displayName": "x", "metadata": {"a": "b" * 110_000}})
    assert response.status_code == 413


def test_app_keys(api):
    auth = acme(api)
    app_id = api.app("Acme Sales")["id"]
    created = api.post(f"/v2/apps/{app_id}/keys", auth=auth, json={"displayName": "deploy"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert key["id"].startswith("app_") and len(key["id"]) == 28 and len(key["secret"]) == 86
    assert key["displayName"] == "deploy"
    listed = api.get(f"/v2/apps/{app_id}/keys", auth=auth).json()["keys"]
    assert [k["id"] for k in listed] == [api.key("Acme Sales")["id"], key["id"]]
    assert api.get(f"/v2/apps/{app_id}/keys/{key['id']}", auth=auth).json()["key"] == key
    missing = api.get(f"/v2/apps/{app_id}/keys/{api.key('Acme Support')['id']}", auth=auth)
    assert missing.status_code == 404
    assert api.post(f"/v2/apps/{app_id}/keys", auth=auth, json={}).status_code == 400


def test_deleting_an_app_deletes_its_keys_and_users(api):
    auth = acme(api)
    app = api.app("Acme Sales")
    assert api.request("DELETE", f"/v2/apps/{app['id']}", auth=auth).status_code == 200
    assert api.get(f"/v2/apps/{app['id']}", auth=basic(api.key("Acme Sales"))).status_code == 401


def test_user_lifecycle_by_id_and_external_id(api):
    auth = basic(api.key("Acme Support"))
    base = f"/v2/apps/{api.app('Acme Support')['id']}/users"
    created = api.post(base, auth=auth, json={"externalId": "erin", "profile": {"givenName": "Erin"},
                                              "metadata": {"plan": "pro"}})
    assert created.status_code == 201
    user = created.json()["user"]
    assert user["externalId"] == "erin" and user["profile"] == {"givenName": "Erin"}
    assert user["signedUpAt"].endswith("Z") and user["metadata"] == {"plan": "pro"}

    assert api.get(f"{base}/erin", auth=auth).json()["user"] == user
    assert api.get(f"{base}/{user['id']}", auth=auth).json()["user"] == user
    patched = api.request("PATCH", f"{base}/erin", auth=auth,
                          json={"profile": {"surname": "Ek", "givenName": None}}).json()["user"]
    assert patched["profile"] == {"surname": "Ek"}

    conflict = api.post(base, auth=auth, json={"externalId": "erin"})
    assert conflict.status_code == 409
    assert conflict.json() == {"errors": [{"code": "conflict", "title": "User already exists"}]}

    assert api.request("DELETE", f"{base}/{user['id']}", auth=auth).json() == {}
    gone = api.get(f"{base}/erin", auth=auth)
    assert gone.status_code == 404
    assert gone.json() == {"errors": [{"code": "user_not_found", "title": "User not found"}]}


def test_users_of_one_app_are_invisible_from_another(api):
    auth = acme(api)
    sales = api.app("Acme Sales")["id"]
    alice = api.user("Acme Support", "alice")
    assert api.get(f"/v2/apps/{sales}/users/alice", auth=auth).status_code == 404
    assert api.get(f"/v2/apps/{sales}/users/{alice['id']}", auth=auth).status_code == 404


def test_list_users_includes_generated_profiles(api):
    auth = basic(api.key("Acme Support"))
    users = api.get(f"/v2/apps/{api.app('Acme Support')['id']}/users", auth=auth).json()["users"]
    assert [u.get("externalId") for u in users[:2]] == ["alice", "bob"]
    generated = users[2:]
    assert len(generated) == 5
    for user in generated:
        assert set(user["profile"]) == {"givenName", "surname", "email", "avatarUrl", "locale"}
        assert all(isinstance(value, str) and value for value in user["profile"].values())
