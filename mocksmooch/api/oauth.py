"""OAuth for integrations (/oauth/...) and GET /v2/tokenInfo.  (STUB: being built.)"""
from flask import Blueprint

oauth = Blueprint("oauth", __name__, url_prefix="/oauth")
