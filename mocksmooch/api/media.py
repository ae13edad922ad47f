"""The media URLs that attachment uploads return, served by the mock itself.  (STUB: being built.)"""
from flask import Blueprint

media = Blueprint("media", __name__, url_prefix="/media")
