"""placeholder"""
from flask import Blueprint

bp = Blueprint("process_instances", __name__)
