"""The media URLs that attachment uploads return, served by the mock itself.

The real mediaUrls point at a CDN that needs no credentials for public attachments (the
only access level the API offers), so these routes need none either.  The file name in
the URL must be the uploaded one, as on a CDN where it is part of the object's key.
"""
from __future__ import annotations

import base64

from flask import Blueprint, Response

from .. import auth
from .errors import ApiError
from .guard import mock

media = Blueprint("media", __name__, url_prefix="/media")


@media.get("/apps/<app_id>/<attachment_id>/<file_name>")
def get_media(app_id, attachment_id, file_name):
    attachment = mock().store.get("attachment", attachment_id)
    if attachment is None or attachment["appId"] != app_id or attachment["fileName"] != file_name:
        raise ApiError(404, "not_found", "Resource not found",
                       f"no attachment {attachment_id[:64]!r} named {file_name[:64]!r} in app {app_id[:64]!r}")
    return Response(base64.b64decode(attachment["content"]), content_type=attachment["mediaType"])


get_media.policy = auth.PUBLIC  # listed by `mocksmooch routes` as needing no credentials
