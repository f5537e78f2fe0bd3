"""placeholder"""
from flask import Blueprint

bp = Blueprint("process_definitions", __name__)
