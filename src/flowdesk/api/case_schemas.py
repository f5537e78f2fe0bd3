"""JSON shapes of a ticket's case: the fields its model names and an approval's earlier decisions."""

from __future__ import annotations

from marshmallow import Schema, fields


class CaseFieldSchema(Schema):
    name = fields.String(metadata={"description": "the variable (dotted: inside an object variable)"})
    label = fields.String()
    value = fields.Raw(allow_none=True, metadata={"description": "as it was when the ticket opened; "
                                                  "null when the variable was not set"})


class CaseDecisionSchema(Schema):
    ticket_id = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True, metadata={"description": "the approval task's name"})
    level = fields.Integer()
    approver = fields.String()
    decision = fields.String(metadata={"description": "approved, rejected or changes_requested"})
    comment = fields.String(allow_none=True)
    created_at = fields.DateTime()
