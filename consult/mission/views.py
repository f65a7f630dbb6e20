"""Mission pages: the blueprint, gathering the public, management and committee routes."""

from flask import Blueprint

bp = Blueprint("mission", __name__, url_prefix="/mission")
