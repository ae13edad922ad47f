"""v2 attachments: upload, fetch from the mock's own media URL, delete."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from conftest import basic

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def support(api) -> str:
    return api.app("Acme Support")["id"]


def upload(api, auth=None, *, app_id=None, files=None, params=None) -> requests.Response:
    app_id = app_id or support(api)
    return api.post(f"/v2/apps/{app_id}/attachments", auth=auth or basic(api.key("Acme Support")),
                    params={"access": "public"} if params is None else params,
                    files={"source": ("logo.png", PNG, "image/png")} if files is None else files)


def remove(api, media_url, auth=None, *, app_id=None, **kwargs) -> requests.Response:
    return api.post(f"/v2/apps/{app_id or support(api)}/attachments/remove",
                    auth=auth or basic(api.key("Acme Support")), json={"mediaUrl": media_url}, **kwargs)


def test_upload_then_fetch_without_credentials(api):
    response = upload(api)
    assert response.status_code == 201
    attachment = response.json()["attachment"]
    assert list(attachment) == ["mediaUrl", "mediaType"]
    assert attachment["mediaType"] == "image/png"
    assert attachment["mediaUrl"].startswith(f"{api.url}/media/apps/{support(api)}/")
    assert attachment["mediaUrl"].endswith("/logo.png")

    fetched = requests.get(attachment["mediaUrl"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == PNG
    assert fetched.headers["Content-Type"] == "image/png"


def test_file_names_are_kept_and_percent_encoded(api):
    files = {"source": ("dir/Screen Shot 2020-09-02 at 4.04.41 PM.pdf", b"%PDF-1.4 x", "application/pdf")}
    attachment = upload(api, files=files).json()["attachment"]
    assert attachment["mediaUrl"].endswith("/Screen%20Shot%202020-09-02%20at%204.04.41%20PM.pdf")
    fetched = requests.get(attachment["mediaUrl"], timeout=10)
    assert (fetched.content, fetched.headers["Content-Type"]) == (b"%PDF-1.4 x", "application/pdf")


def test_media_type_from_the_file_name_when_the_part_has_none(api):
    files = {"source": ("notes.txt", b"hello", "application/octet-stream")}
    assert upload(api, files=files).json()["attachment"]["mediaType"] == "text/plain"
    files = {"source": ("blob", b"\x00\x01", "application/octet-stream")}
    attachment = upload(api, files=files).json()["attachment"]
    assert attachment["mediaType"] == "application/octet-stream"
    assert requests.get(attachment["mediaUrl"], timeout=10).content == b"\x00\x01"


@pytest.mark.parametrize("who", ["Acme", "bot"])
def test_account_and_integration_credentials_upload_too(api, who):
    response = upload(api, basic(api.key(who)))
    assert response.status_code == 201
    assert requests.get(response.json()["attachment"]["mediaUrl"], timeout=10).content == PNG


def test_an_app_key_uploads_only_to_its_own_app(api):
    response = upload(api, basic(api.key("Acme Sales")))
    assert response.status_code == 403
    assert response.json() == {"errors": [{"code": "forbidden", "title": "Forbidden"}]}


@pytest.mark.parametrize("params, title", [
    ({}, "should have required property 'access'"),
    ({"access": "private"}, "access should be equal to one of the allowed values: public"),
    ({"access": "public", "for": "conversation"}, "for should be equal to one of the allowed values: message"),
])
def test_bad_query_parameters(api, params, title):
    response = upload(api, params=params)
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": "bad_request", "title": title}]}


def test_the_source_file_is_required(api):
    for kwargs in ({"files": {"file": ("a.png", PNG, "image/png")}},):
        response = upload(api, **kwargs)
        assert response.status_code == 400
        assert response.json() == {"errors": [{"code": "bad_request",
                                               "title": "should have required property 'source'"}]}
    response = api.post(f"/v2/apps/{support(api)}/attachments", auth=basic(api.key("Acme Support")),
                        params={"access": "public"}, json={"source": "not a file"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["title"] == "should have required property 'source'"


def test_an_unknown_conversation_is_a_404(api):
    response = upload(api, params={"access": "public", "for": "message", "conversationId": "0" * 24})
    assert response.status_code == 404
    assert response.json() == {"errors": [{"code": "conversation_not_found", "title": "Conversation not found"}]}


def test_uploads_over_50_mb_are_refused(api):
    big = {"source": ("big.bin", b"\0" * (50 * 1024 * 1024 + 1), "application/octet-stream")}
    response = upload(api, files=big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"


def test_delete_then_the_media_url_is_gone(api):
    media_url = upload(api).json()["attachment"]["mediaUrl"]
    response = remove(api, media_url)
    assert (response.status_code, response.json()) == (200, {})
    assert requests.get(media_url, timeout=10).status_code == 404
    again = remove(api, media_url)
    assert again.status_code == 404
    assert again.json() == {"errors": [{"code": "not_found", "title": "Attachment not found"}]}


def test_a_foreign_media_url_is_a_400(api):
    for url in ("https://badhost.com/image.png", f"{api.url}/elsewhere/logo.png",
                f"https://badhost.com/media/apps/{support(api)}/{'0' * 24}/logo.png", "not a url"):
        response = remove(api, url)
        assert response.status_code == 400, url
        assert response.json() == {"errors": [{"code": "bad_request",
                                               "title": f"Unsupported media URL for attachment deletion: {url}"}]}


def test_a_media_url_of_ours_under_another_host_name_is_ours(api):
    media_url = upload(api).json()["attachment"]["mediaUrl"]
    port = urlsplit(api.url).port
    response = remove(api, media_url, headers={"Host": f"localhost:{port}"})
    assert response.status_code == 200


def test_an_attachment_is_deleted_only_through_its_own_app(api):
    media_url = upload(api).json()["attachment"]["mediaUrl"]
    sales = api.app("Acme Sales")["id"]
    response = remove(api, media_url, basic(api.key("Acme Sales")), app_id=sales)
    assert response.status_code == 404
    assert response.json()["errors"][0]["title"] == "Attachment not found"
    assert requests.get(media_url, timeout=10).status_code == 200


def test_remove_body_is_checked(api):
    path = f"/v2/apps/{support(api)}/attachments/remove"
    auth = basic(api.key("Acme Support"))
    response = api.post(path, auth=auth, json={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["title"] == "should have required property 'mediaUrl'"
    assert api.post(path, auth=auth, json={"mediaUrl": 5}).status_code == 400


def test_media_urls_need_the_right_name_and_app(api):
    media_url = upload(api).json()["attachment"]["mediaUrl"]
    base, _, _ = media_url.rpartition("/")
    assert requests.get(base + "/other.png", timeout=10).status_code == 404
    wrong_app = media_url.replace(support(api), api.app("Acme Sales")["id"])
    response = requests.get(wrong_app, timeout=10)
    assert response.status_code == 404 and "error" in response.json()


def test_deleting_the_app_deletes_its_attachments(api):
    acme = basic(api.key("Acme"))
    app = api.post("/v2/apps", auth=acme, json={"displayName": "Temp"}).json()["app"]
    media_url = upload(api, acme, app_id=app["id"]).json()["attachment"]["mediaUrl"]
    assert requests.get(media_url, timeout=10).status_code == 200
    api.request("DELETE", f"/v2/apps/{app['id']}", auth=acme)
    assert requests.get(media_url, timeout=10).status_code == 404


def test_the_official_client_uploads_and_deletes(api):
    sunco = pytest.importorskip("sunshine_conversations_client")
    key = api.key("Acme Support")
    config = sunco.Configuration(host=api.url, username=key["id"], password=key["secret"])
    attachments = sunco.AttachmentsApi(sunco.ApiClient(config))
    uploaded = attachments.upload_attachment(support(api), "public", ("hello.txt", b"hi there"), var_for="message")
    assert uploaded.attachment.media_type == "text/plain"
    assert requests.get(uploaded.attachment.media_url, timeout=10).content == b"hi there"
    attachments.delete_attachment(support(api), sunco.AttachmentDeleteBody(media_url=uploaded.attachment.media_url))
    assert requests.get(uploaded.attachment.media_url, timeout=10).status_code == 404
