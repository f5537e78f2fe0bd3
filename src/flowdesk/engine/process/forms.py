"""Task forms: deployed JSON schemas, forms built from camunda formData, and validating data.

A ticket's form comes from the BPMN: camunda ``formData`` fields, a spiffworkflow
``formJsonSchemaFilename`` deployed with the model, or a ``formKey`` naming a deployed schema.
Completion data is checked against it on the server, whatever the client did.

Schemas retrieve nothing: a ``$ref`` must point inside its own schema (``#...``), is checked at
deploy, and validation runs with a ``referencing`` registry that holds only the schema itself and
refuses to retrieve anything else (no HTTP, no ``file://``), whatever was stored before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from sqlalchemy.orm import Session

from ..models import FormSchema
from ..store import tenancy
from ..store.errors import InvalidInput

# camunda formField types -> JSON schema
_FIELD_TYPES = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "integer": {"type": "integer"},
    "double": {"type": "number"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string"},
}


@dataclass
class DeployedForm:
    name: str
    version: int
    created: bool


def parse_schema(name: str, content: bytes) -> dict:
    """A JSON schema from an uploaded file, or :class:`InvalidInput` naming the problem."""
    try:
        schema = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{name} is not JSON", [{"file": name, "line": getattr(exc, "lineno", None),
                                                    "element_id": None, "message": str(exc)}]) from exc
    if not isinstance(schema, dict):
        raise InvalidInput(f"{name} is not a JSON schema", [{"file": name, "line": None, "element_id": None,
                                                             "message": "a form schema must be a JSON object"}])
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidInput(f"{name} is not a valid JSON schema", [{"file": name, "line": None, "element_id": None,
                                                                   "message": exc.message}]) from exc
    problems = [{"file": name, "line": None, "element_id": None, "pointer": pointer,
                 "message": f"{keyword} {ref!r} points outside this schema; flowdesk retrieves no schemas"}
                for pointer, keyword, ref in _outside_refs(schema)]
    if problems:
        raise InvalidInput(f"{name} refers to schemas outside itself ({problems[0]['pointer']})", problems)
    return schema


# Keywords whose values are data, not subschemas: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples"})
_REF_KEYWORDS = ("$ref", "$dynamicRef")


# Keywords whose values map names (a property may be called "$ref") to subschemas.
_NAMED_SUBSCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def _pointer(pointer: str, key) -> str:
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _outside_refs(node, pointer: str = ""):
    """(JSON pointer, keyword, value) of every reference in ``node`` that does not start with '#'."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = _pointer(pointer, key)
            if key in _REF_KEYWORDS and (not isinstance(value, str) or not value.startswith("#")):
                yield here, key, value
            elif key in _NAMED_SUBSCHEMAS and isinstance(value, dict):
                for name, subschema in value.items():
                    yield from _outside_refs(subschema, _pointer(here, name))
            elif key not in _DATA_KEYWORDS:
                yield from _outside_refs(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _outside_refs(item, f"{pointer}/{index}")


def _retrieve_nothing(uri: str):
    raise NoSuchResource(ref=uri)


def _validator(schema: dict) -> Draft202012Validator:
    """A validator whose registry knows this schema only and retrieves nothing, and which checks
    ``format`` (email, date, uri...) as a form means it, not as the annotation the draft allows."""
    return Draft202012Validator(schema, registry=Registry(retrieve=_retrieve_nothing),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def store(session: Session, name: str, schema: dict, principal_name: str, now) -> DeployedForm:
    """Keep ``schema`` as the current content of form ``name`` (a new version only when it changed)."""
    content_hash = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    row = session.get(FormSchema, tenancy.key(session, name=name))
    if row is not None and row.content_hash == content_hash:
        return DeployedForm(name, row.version, False)
    if row is None:
        row = FormSchema(name=name, version=0, created_at=now)
        session.add(row)
    row.schema, row.content_hash, row.version = schema, content_hash, row.version + 1
    row.deployed_by, row.updated_at = principal_name, now
    return DeployedForm(name, row.version, True)


def _from_fields(fields: list[dict], free_data: bool = False) -> dict:
    """The schema of camunda formData ``fields``: only those fields, unless the task allows free data
    (otherwise completion data could set any variable and steer later gateways)."""
    properties, required = {}, []
    for field in fields:
        prop = dict(_FIELD_TYPES.get(field.get("type") or "string", {}))
        if field.get("label"):
            prop["title"] = field["label"]
        if field.get("options"):
            prop["enum"] = [option["id"] for option in field["options"]]
            prop.pop("type", None)
        properties[field["id"]] = prop
        if field.get("required"):
            required.append(field["id"])
    schema = {"type": "object", "properties": properties}
    if not free_data:
        schema["additionalProperties"] = False
    if required:
        schema["required"] = required
    return schema


def schema_of(session: Session, form: dict | None) -> dict | None:
    """The JSON schema a ticket's form stands for, or None when the task declares no form."""
    if not form:
        return None
    if form.get("schema"):  # a Camunda form embedded in the model, converted at deploy
        return form["schema"]
    if form.get("fields"):
        return _from_fields(form["fields"], bool(form.get("free_data")))
    for name in (form.get("schema_file"), form.get("key")):
        schema = _deployed(session, name)
        if schema is not None:
            return schema
    return None


def ui_schema_of(session: Session, form: dict | None) -> dict | None:
    """The UI schema (``ui:order``, widgets...) deployed for a ticket's form, or None."""
    return _deployed(session, (form or {}).get("ui_schema_file"))


def _deployed(session: Session, name: str | None) -> dict | None:
    if not name:
        return None
    for candidate in (name, f"{name}.json", name.removeprefix("embedded:").removeprefix("deployment:")):
        row = session.get(FormSchema, tenancy.key(session, name=candidate))
        if row is not None:
            return row.schema
    return None


def field_order(schema: dict | None, ui_schema: dict | None = None) -> list[str]:
    """The form's top-level field names in the order to show them, for clients that read the schema
    from JSON, where an object's key order is not kept (the API may even sort keys).

    The UI schema's ``ui:order`` wins where given ("*" stands for the fields it does not name, in
    the modeler's order); otherwise the modeler's order.
    """
    properties = (schema or {}).get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    order = (ui_schema or {}).get("ui:order")
    if not isinstance(order, list) or not names:
        return names
    named = [name for name in order if name in names]
    rest = [name for name in names if name not in named]
    if "*" not in order:
        return named + rest
    star = order.index("*")
    before = [name for name in order[:star] if name in names]
    after = [name for name in order[star + 1:] if name in names]
    return before + rest + after


def check(schema: dict | None, data: dict, form: str = "the task's form") -> None:
    """Raise :class:`InvalidInput` with per-field messages when ``data`` does not fit ``schema``
    (``form`` names the form in the message)."""
    if not schema:
        return
    errors: dict[str, list[str]] = {}
    try:
        found = list(_validator(schema).iter_errors(data))
    except Unresolvable as exc:
        # Stored before deploy-time checks refused it: the form cannot be checked, so nothing is accepted.
        raise InvalidInput("the task's form schema refers to a schema outside itself, which flowdesk "
                           "does not retrieve", {"form": [f"unresolvable reference {exc.ref!r}"]}) from None
    for error in found:
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required" and not path:
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            errors.setdefault(missing, []).append("is required")
            continue
        errors.setdefault(path or "data", []).append(error.message)
    if errors:
        raise InvalidInput(f"the form data does not match {form}", errors)
