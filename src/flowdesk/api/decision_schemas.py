"""Deployed DMN decisions and what evaluating one answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from .paging_schemas import page_schema


class DecisionSchema(Schema):
    id = fields.String(attribute="decision_id", metadata={"description": "the decision's id in its DMN file"})
    name = fields.String(allow_none=True, metadata={"description": "the decision table's name, if it has one"})
    hit_policy = fields.String(metadata={
        "description": "`UNIQUE`, `FIRST`, `COLLECT`...; every policy but COLLECT answers the first matching rule"})
    inputs = fields.List(fields.String(), metadata={"description": "input labels (else expressions), in order"})
    outputs = fields.List(fields.String(), metadata={"description": "output names, in order"})
    rules = fields.Integer(metadata={"description": "how many rules the table has"})
    process_key = fields.String(metadata={"description": "the process deployed with it (its latest version)"})
    process_version = fields.Integer()


DecisionPageSchema = page_schema(DecisionSchema, "DecisionPage")


class EvaluateSchema(Schema):
    variables = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "the values the table's input expressions read"})


class MatchedRuleSchema(Schema):
    id = fields.String(metadata={"description": "the rule's id in the DMN file"})
    row = fields.Integer(metadata={"description": "the rule's row in the table, from 1"})
    outputs = fields.Dict(metadata={"description": "the rule's outputs, by output name"})


class DecisionResultSchema(Schema):
    decision_id = fields.String()
    hit_policy = fields.String()
    matched_rules = fields.List(fields.Nested(MatchedRuleSchema))
    result = fields.List(fields.Dict(), metadata={
        "description": "the matched rules' outputs, in order (Camunda's `resultList`): empty when none matched"})
