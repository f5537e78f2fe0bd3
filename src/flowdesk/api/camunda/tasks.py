"""placeholder"""
from flask import Blueprint

bp = Blueprint("tasks", __name__)
