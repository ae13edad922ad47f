"""v1.1 attachments: upload a file to use in later messages, and remove it again, under
/apps/<app_id>/attachments and the app-less /attachments.

Uploads are the same `attachment` records as v2's, served by the mock itself
(`mocksmooch.api.media`), so a mediaUrl handed out here can be removed through v2 and
the other way round.  v1 allows 10MB per file ("Exceeding this size will result in a
413 error"), v2 50MB.
"""
from __future__ import annotations

from flask import jsonify, request

from ...domain import conversations as domain
from ..bodies import field, json_body
from ..errors import bad_request
from ..guard import mock
from ..v2.attachments import remove_by_media_url
from . import app_route, with_status
from .app_users import app_user
from .messages import save_v1_upload, v1_errors

ACCESS_LEVELS = ("public",)   # "Currently the only available access level is public"
CONTAINERS = ("message",)


@app_route("/attachments", "POST", "account", "app", "integration")
def upload_attachment(app_id):
    """Store the multipart `source`.  `appUserId` or `userId` name the app user the file is
    meant for: it must exist, and the upload is then tied to its conversation, if any."""
    access = request.args.get("access")
    if access is None:
        raise bad_request("should have required property 'access'")
    if access not in ACCESS_LEVELS:
        raise bad_request(f"access should be equal to one of the allowed values: {', '.join(ACCESS_LEVELS)}")
    container = request.args.get("for")
    if container is not None and container not in CONTAINERS:
        raise bad_request(f"for should be equal to one of the allowed values: {', '.join(CONTAINERS)}")
    conversation_id = None
    user_ref = request.args.get("appUserId") or request.args.get("userId")
    if user_ref:
        conversation = domain.default_conversation(mock(), app_id, app_user(app_id, user_ref), create=False)
        conversation_id = conversation["id"] if conversation else None
    attachment = save_v1_upload(app_id, container=container, conversation_id=conversation_id)
    return with_status({"mediaUrl": attachment["mediaUrl"], "mediaType": attachment["mediaType"]}, 201)


@app_route("/attachments/remove", "POST", "account", "app", "integration")
def remove_attachment(app_id):
    body = json_body()
    media_url = field(body, "mediaUrl", str, required=True, non_empty=True)
    with v1_errors():
        remove_by_media_url(app_id, media_url)
    return jsonify({})
