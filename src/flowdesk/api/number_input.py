"""Whole numbers a request may carry: within what the database stores (a 32-bit INTEGER).

A larger number is a 422 naming the field, not an overflow in the driver (SQLite refuses Python
integers past 64 bits, PostgreSQL past the column's type).
"""

from __future__ import annotations

from marshmallow import validate

INT_MAX = 2_147_483_647

VERSION = validate.Range(1, INT_MAX)  # a deployed version's number
STORED_INT = validate.Range(-INT_MAX - 1, INT_MAX)  # a priority, a level
