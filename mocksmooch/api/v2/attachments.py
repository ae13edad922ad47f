"""v2 attachments: uploads kept by the mock and served by it (`mocksmooch.api.media`).

An upload is an `attachment` record of the app holding the file's bytes (base64), and its
`mediaUrl` points back at this server (`<host>/media/apps/<appId>/<id>/<file name>`), so
code under test can fetch what it sent without any credentials, as from the real CDN.
Deleting the app deletes its attachments.
"""
from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
from urllib.parse import quote, urlsplit

from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ... import ids
from ..bodies import field, json_body
from ..errors import ApiError, bad_request
from ..guard import mock, requires
from . import v2
from .common import created

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ACCESS_LEVELS = ("public",)          # "Currently the only available access level is public."
CONTAINERS = ("message",)            # "For now, only message is supported."
MEDIA_PATH = re.compile(r"^/media/apps/(?P<app_id>[^/]+)/(?P<attachment_id>[^/]+)/[^/]+$")


@v2.post("/apps/<app_id>/attachments")
@requires("account", "app", "integration")
def upload_attachment(app_id):
    access = _query("access", required=True)
    if access not in ACCESS_LEVELS:
        raise bad_request(f"access should be equal to one of the allowed values: {', '.join(ACCESS_LEVELS)}")
    container = _query("for")
    if container is not None and container not in CONTAINERS:
        raise bad_request(f"for should be equal to one of the allowed values: {', '.join(CONTAINERS)}")
    conversation_id = _query("conversationId")
    if conversation_id is not None:
        conversation = mock().store.get_of_app("conversation", conversation_id, app_id)
        if conversation is None:
            raise ApiError(404, "conversation_not_found", "Conversation not found",
                           f"app {app_id} has no conversation {conversation_id[:64]!r}")
    attachment = save_upload(app_id, access=access, container=container, conversation_id=conversation_id)
    return created({"attachment": {"mediaUrl": attachment["mediaUrl"], "mediaType": attachment["mediaType"]}})


@v2.post("/apps/<app_id>/attachments/remove")
@requires("account", "app", "integration")
def delete_attachment(app_id):
    body = json_body()
    remove_by_media_url(app_id, field(body, "mediaUrl", str, required=True, non_empty=True))
    return jsonify({})


# --- shared with the v1.1 attachment routes ----------------------------------------------

def save_upload(app_id: str, *, access: str, container: str | None = None,
                conversation_id: str | None = None) -> dict:
    """Store the request's multipart `source` file as an attachment of the app; the record
    (with its `mediaUrl` on this server) is returned."""
    upload = _source()
    content = upload.read()
    if len(content) > MAX_UPLOAD_BYTES:  # sent without a Content-Length (chunked)
        raise _too_large()
    file_name = _file_name(upload.filename)
    attachment_id = ids.object_id()
    attachment = {
        "id": attachment_id,
        "appId": app_id,
        "mediaUrl": f"{request.host_url}media/apps/{app_id}/{attachment_id}/{quote(file_name, safe='')}",
        "mediaType": _media_type(upload.mimetype, file_name),
        "mediaSize": len(content),
        "fileName": file_name,
        "access": access,
        "for": container,
        "conversationId": conversation_id,
        "content": base64.b64encode(content).decode("ascii"),
    }
    return mock().store.insert("attachment", attachment, parent=app_id)


def remove_by_media_url(app_id: str, media_url: str) -> None:
    """Delete the app's attachment at `media_url`: 400 for a URL this server did not hand
    out, 404 for one of ours that is gone or belongs to another app."""
    attachment_id = _attachment_id(media_url)
    attachment = mock().store.get_of_app("attachment", attachment_id, app_id)
    if attachment is None:
        raise ApiError(404, "not_found", "Attachment not found",
                       f"app {app_id} has no attachment {attachment_id[:64]!r}")
    mock().store.delete("attachment", attachment_id)


def _query(name: str, *, required: bool = False) -> str | None:
    value = request.args.get(name)
    if value is None and required:
        raise bad_request(f"should have required property '{name}'")
    return value


def _source():
    """The multipart `source` file; a body announced as too large is refused unread."""
    if request.content_length is not None and request.content_length > MAX_UPLOAD_BYTES:
        raise _too_large()
    try:
        upload = request.files.get("source")
    except RequestEntityTooLarge:  # a form field over Flask's MAX_FORM_MEMORY_SIZE
        raise _too_large() from None
    if upload is None:
        raise bad_request("should have required property 'source'")
    return upload


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", "Request entity too large",
                    f"attachments are limited to {MAX_UPLOAD_BYTES} bytes")


def _file_name(given: str | None) -> str:
    """The uploaded file's own name, without any directory a client sent along."""
    name = posixpath.basename((given or "").replace("\\", "/")).strip()
    return name or "file"


def _media_type(sent: str | None, file_name: str) -> str:
    """The part's Content-Type, unless it says nothing more than octet-stream and the file
    name does (clients that send bytes without a type)."""
    if sent and sent != "application/octet-stream":
        return sent
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _attachment_id(media_url: str) -> str:
    """The attachment a media URL names, if it is one this server handed out."""
    parts = urlsplit(media_url)
    match = MEDIA_PATH.match(parts.path)
    ours = parts.scheme in ("http", "https") and parts.netloc == request.host
    if not match or not ours:
        # A URL of ours reached under another host name (localhost / 127.0.0.1) still counts.
        attachment = mock().store.get("attachment", match["attachment_id"]) if match else None
        if attachment is None or urlsplit(attachment["mediaUrl"]).netloc != parts.netloc:
            raise bad_request(f"Unsupported media URL for attachment deletion: {media_url}")
    return match["attachment_id"]
