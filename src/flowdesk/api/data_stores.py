"""/data-stores: the JSON stores BPMN data stores read and write, for operators to see and seed."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..engine.process import data_stores
from .auth import principal, runtime
from .paging_schemas import PageQuerySchema, page_schema

blp = Blueprint("data_stores", __name__, url_prefix="/api/v1/data-stores", description="BPMN data stores")


class DataStoreInputSchema(Schema):
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "any JSON value"})


class DataStoreSchema(DataStoreInputSchema):
    name = fields.String(metadata={"description": "the id of the models' dataStore element"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


DataStorePageSchema = page_schema(DataStoreSchema, "DataStorePage")


@blp.route("")
class DataStores(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, DataStorePageSchema)
    def get(self, query):
        """The data stores something was written to, by name, a page at a time (admins and modelers)."""
        return data_stores.list_data_stores(runtime(), principal(), query.get("after"), query["limit"])


@blp.route("/<name>")
class DataStoreItem(MethodView):
    @blp.response(200, DataStoreSchema)
    def get(self, name):
        """One data store's value (admins and modelers)."""
        return data_stores.get_data_store(runtime(), principal(), name)

    @blp.arguments(DataStoreInputSchema)
    @blp.response(200, DataStoreSchema)
    @blp.alt_response(201, schema=DataStoreSchema, description="Created", success=True)
    def put(self, body, name):
        """Seed (201) or replace (200) a data store's value (admins); instances read it from then on."""
        row, created = data_stores.put_data_store(runtime(), principal(), name, body["value"])
        return row, 201 if created else 200

    @blp.response(204)
    def delete(self, name):
        """Empty a data store (admins): the next instance that reads it gets null."""
        data_stores.delete_data_store(runtime(), principal(), name)
