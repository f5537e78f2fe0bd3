"""Paging: the `limit`/`after` query every list takes and the `{items, next_cursor}` page it answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


def page_schema(item_schema: type[Schema], name: str, counted: bool = False) -> type[Schema]:
    shape = {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)}
    if counted:
        shape |= {"total": fields.Integer(allow_none=True, metadata={
                      "description": "with `count=true` only: how many match, at most 10,000 (see `total_capped`)"}),
                  "total_capped": fields.Boolean(metadata={
                      "description": "true when more than `total` match: the count stopped there"})}
    return Schema.from_dict(shape, name=name)


class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(1, 200), load_default=50)
    after = fields.String(metadata={"description": "`next_cursor` of the previous page"})


class SortedPageQuerySchema(PageQuerySchema):
    sort = fields.String(load_default="created", validate=validate.OneOf(("created", "-created")), metadata={
        "description": "`created` (oldest first, the default) or `-created` (newest first); a cursor "
                       "continues the order it came from"})
    count = fields.Boolean(load_default=False, metadata={"description": "add `total`: how many match the filter"})
