"""SpiffArena connectors (``spiffworkflow:serviceTaskOperator``) as flowdesk HTTP actions.

SpiffArena's ``http/*`` operators (``http/GetRequestV2``, ``http/PostRequestV2``, ``PutRequest``,
``PatchRequest``, ``DeleteRequest``, with or without ``V2``) call a URL with headers, query
parameters, basic auth and a body. Their parameters are Python expressions on the task data,
as in SpiffArena (``value="wiremock_url"`` reads a variable, ``value="'https://...'"`` is a
string), so they are evaluated when the call is made. The operator's ``resultVariable``
receives the response body, as for every flowdesk action; ``attempts`` is the number of tries.

Any other operator (``aws/AddDynamoItem``, ``xero/CreateInvoice``) names a connector SpiffArena's
connector proxy runs: here an external worker of that topic (the operator's id, or the task's
``topic`` property) runs it, and fetches the operator's parameters evaluated on the task data
among its variables, as the connector would receive them. Its completion variables are the
result (a worker sets the ``resultVariable`` it was given).

``SPIFF_SECRET:<name>`` in a ``url``, ``params`` or ``headers`` value names a secret, as in
SpiffArena: it becomes flowdesk's ``{{secret:<name>}}`` (the tenant's secret of that name), which
the worker resolves right before the call, so the value never reaches the job row. Basic auth is
base64 of ``user:password`` and cannot carry a reference as text: with a secret in it, the
``Authorization`` header is written as ``{{basic}}user:password`` (references in place) and the
worker resolves, then encodes it. A ``data`` parameter with ``SPIFF_SECRET`` is refused.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from collections import Counter

from lxml import etree
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import script_engine
from .errors import XmlRefused
from .xml import parse_xml

HTTP_OPERATORS = {f"http/{verb}Request{version}": verb.upper() for verb in ("Get", "Post", "Put", "Patch", "Delete")
                  for version in ("", "V2")}
# SpiffArena raises the answer's status as a BPMN error code; job results fill in {status}.
HTTP_ERRORS = {"4xx": "ServiceTaskHttpError{status}", "5xx": "ServiceTaskHttpError{status}"}
SPIFFARENA = "spiffarena"
_KNOWN_PARAMETERS = {"url", "headers", "params", "data", "basic_auth_username", "basic_auth_password", "attempts"}
SPIFF_SECRET = re.compile(r"SPIFF_SECRET:(\w+)")
_SECRET_NAME = re.compile(r"[A-Za-z0-9_]{1,100}")  # \w names flowdesk's secrets can have
# A header value the worker turns into Basic auth once its references are resolved.
BASIC = "{{basic}}"
_ENCODED_REFERENCE = re.compile(r"%7B%7Bsecret%3A([A-Za-z0-9_]{1,100})%7D%7D")
NO_SECRET_IN_DATA = "SPIFF_SECRET in the data parameter is not supported"


def secret_references(text: str) -> str:
    """``text`` with each ``SPIFF_SECRET:NAME`` as flowdesk's ``{{secret:NAME}}``.

    Raises ValueError for a name no flowdesk secret can have: sending it as text would run the
    model differently from what its editor meant.
    """
    def reference(match: re.Match) -> str:
        if not _SECRET_NAME.fullmatch(match.group(1)):
            raise ValueError(f"SPIFF_SECRET:{match.group(1)} names no secret flowdesk can hold "
                             "(letters, digits and '_', at most 100)")
        return "{{secret:" + match.group(1) + "}}"
    return SPIFF_SECRET.sub(reference, text)


def _references_in(value):
    """A parameter value (dict, list or text) with its ``SPIFF_SECRET`` texts as references."""
    if isinstance(value, str):
        return secret_references(value)
    if isinstance(value, dict):
        return {key: _references_in(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_references_in(item) for item in value]
    return value


def _mentions_secret(value) -> bool:
    if isinstance(value, str):
        return bool(SPIFF_SECRET.search(value))
    if isinstance(value, dict):
        return any(_mentions_secret(k) or _mentions_secret(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_mentions_secret(item) for item in value)
    return False


def check_body(body) -> None:
    """Raises ValueError when a connector's evaluated body names a ``SPIFF_SECRET`` (not supported)."""
    if _mentions_secret(body):
        raise ValueError(NO_SECRET_IN_DATA)


def basic_authorization(user: str, password: str) -> str:
    """The ``Authorization`` value of Basic auth for ``user`` and ``password``."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _literal(expression: str | None):
    """The value of a constant expression (``'https://x'``, ``{"Accept": "json"}``, ``3``); raises ValueError."""
    return ast.literal_eval((expression or "").strip())


def _given(parameters: dict, name: str) -> str | None:
    value = (parameters.get(name) or {}).get("value")
    return value if isinstance(value, str) and value.strip() else None


def http_action(operator: dict) -> tuple[dict, dict, list[str]]:
    """(declaration for :func:`action.normalise`, run-time expressions, problems) of an ``http/*`` operator."""
    parameters = operator.get("parameters") or {}
    method = HTTP_OPERATORS[operator["name"]]
    declared: dict = {"method": method, "result_variable": operator.get("resultVariable")}
    expressions: dict = {}
    problems = [f"{operator['name']} has no parameter '{name}'" for name in parameters if name not in _KNOWN_PARAMETERS]
    url = _given(parameters, "url")
    if url is None:
        problems.append(f"{operator['name']} needs a 'url' parameter")
    else:
        try:
            literal = _literal(url)
            if not isinstance(literal, str):
                raise ValueError
            declared["url"] = secret_references(literal)
        except (ValueError, SyntaxError):
            # A variable or expression: evaluated when the call is made.
            declared["url"] = "http://flowdesk.invalid/evaluated-at-run-time"
            expressions["url"] = url
    headers = _given(parameters, "headers")
    if headers is not None:
        try:
            literal = _literal(headers)
            if not isinstance(literal, dict) or not all(isinstance(v, str) for v in literal.values()):
                raise ValueError
            declared["headers"] = json.dumps(_references_in(literal))
        except (ValueError, SyntaxError):
            expressions["headers"] = headers
    for name in ("params", "basic_auth_username", "basic_auth_password"):
        if _given(parameters, name) is not None:
            expressions[name] = _given(parameters, name)
    if ("basic_auth_username" in expressions) != ("basic_auth_password" in expressions):
        problems.append(f"{operator['name']}: give both basic_auth_username and basic_auth_password, or neither")
    data = _given(parameters, "data")
    if data is not None:
        if method in ("GET", "DELETE"):
            problems.append(f"{operator['name']} sends no body: its 'data' parameter would be dropped")
        if SPIFF_SECRET.search(data):
            problems.append(f"{operator['name']}: {NO_SECRET_IN_DATA}")
        declared["body"] = data
    elif method in ("POST", "PUT", "PATCH"):
        declared["body"] = "None"  # SpiffArena sends no body without data, not the task's variables
    attempts = _given(parameters, "attempts")
    if attempts is not None:
        try:
            tries = _literal(attempts)
            if not isinstance(tries, int) or isinstance(tries, bool) or not 1 <= tries <= 20:
                raise ValueError
            declared["retries"] = str(tries - 1)
        except (ValueError, SyntaxError):
            problems.append(f"{operator['name']}: attempts '{attempts}' must be a whole number from 1 to 20")
    for name, expression in (*expressions.items(), ("data", declared.get("body"))):
        try:
            if expression:
                script_engine.check(expression, "eval")  # refused here, not when the call is made
        except SyntaxError as exc:
            problems.append(f"{operator['name']} parameter '{name}' is refused: {exc}")
    return declared, expressions, problems


def operator_parameters(operator: dict) -> tuple[dict, list[str]]:
    """The given parameters of a connector an external worker runs, as checked expressions."""
    parameters, problems = {}, []
    for name, param in (operator.get("parameters") or {}).items():
        value = param.get("value")
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            script_engine.check(value, "eval")
            parameters[name] = value
        except SyntaxError as exc:
            problems.append(f"{operator['name']} parameter '{name}' is refused: {exc}")
    return parameters, problems


_ANY_REFERENCE = re.compile(r"SPIFF_SECRET:(\w+)|\{\{\s*secret:([A-Za-z0-9_.-]{1,100})\s*\}\}")


def _secrets_named(text: str) -> Counter:
    return Counter(a or b for a, b in _ANY_REFERENCE.findall(text))


def _only_the_models_secrets(name: str, expression: str, value) -> None:
    """Raises ValueError when ``value`` names a secret its parameter's expression does not.

    A parameter's value may come from the task data, which people fill in (a form field, a
    message): a reference typed there would otherwise be resolved by the worker and send that
    secret wherever the call goes. Only the model decides which secrets a call carries.
    """
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    extra = _secrets_named(text) - _secrets_named(expression)
    if extra:
        raise ValueError(f"the {name} parameter names secret '{sorted(extra)[0]}', which its expression in the "
                         "model does not: a call carries only the secrets its model names")


def resolve(url: str, headers: dict, expressions: dict, evaluate) -> tuple[str, dict]:
    """The URL and headers of a call whose parameters are expressions, with ``evaluate(expression)``.

    ``SPIFF_SECRET:NAME`` in what they evaluate to becomes a ``{{secret:NAME}}`` reference (see
    the module's docstring). Raises ValueError when a parameter evaluates to something that
    cannot be sent.
    """
    headers = dict(headers)
    if "url" in expressions:
        url = evaluate(expressions["url"])
        if not isinstance(url, str):
            raise ValueError(f"the url parameter '{expressions['url']}' is {type(url).__name__}, not a string")
        _only_the_models_secrets("url", expressions["url"], url)
        url = secret_references(url)
    if "headers" in expressions:
        extra = evaluate(expressions["headers"])
        if not isinstance(extra, dict):
            raise ValueError(f"the headers parameter '{expressions['headers']}' is not a dict")
        _only_the_models_secrets("headers", expressions["headers"], extra)
        headers.update({str(k): secret_references(str(v)) for k, v in extra.items()})
    if "params" in expressions:
        params = evaluate(expressions["params"])
        if params:
            if not isinstance(params, dict):
                raise ValueError(f"the params parameter '{expressions['params']}' is not a dict")
            _only_the_models_secrets("params", expressions["params"], params)
            # The references must survive the encoding as they are, for the worker to find them.
            encoded = _ENCODED_REFERENCE.sub(r"{{secret:\1}}", urlencode(_references_in(params), doseq=True))
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, encoded) if q)
            url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    if "basic_auth_username" in expressions:
        user = evaluate(expressions["basic_auth_username"])
        password = evaluate(expressions["basic_auth_password"])
        _only_the_models_secrets("basic_auth_username", expressions["basic_auth_username"], user)
        _only_the_models_secrets("basic_auth_password", expressions["basic_auth_password"], password)
        if user is not None:
            user, password = str(user), str(password or "")
            if SPIFF_SECRET.search(user) or SPIFF_SECRET.search(password):
                headers["Authorization"] = f"{BASIC}{secret_references(user)}:{secret_references(password)}"
            else:
                headers["Authorization"] = basic_authorization(user, password)
    return url, headers


def _xml_value(element):
    """An element as xmltodict gives it: text, or a dict of ``@attributes``, children and ``#text``."""
    value: dict = {f"@{etree.QName(name).localname}": text for name, text in element.attrib.items()}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name, item = etree.QName(child).localname, _xml_value(child)
        if name in value:
            value[name] = value[name] if isinstance(value[name], list) else [value[name]]
            value[name].append(item)
        else:
            value[name] = item
    text = (element.text or "").strip() or None
    if not value:
        return text
    if text is not None:
        value["#text"] = text
    return value


def _body(content_type: str, text: str):
    content_type = (content_type or "").lower()
    if "application/json" in content_type:
        return json.loads(text)
    if "application/xml" in content_type or "text/xml" in content_type:
        root = parse_xml(text.encode("utf-8"), max_bytes=len(text.encode("utf-8")) + 1)
        return {etree.QName(root).localname: _xml_value(root)}
    return {"raw_response": text}


def spiffarena_result(operator: str, status: int, content_type: str, text: str) -> dict:
    """The value of a SpiffArena ``http/*`` service task's ``resultVariable`` for an answer.

    Raises ValueError when a JSON or XML answer cannot be parsed (SpiffArena reports an error).
    """
    try:
        body = _body(content_type, text)
    except (ValueError, XmlRefused) as exc:
        raise ValueError(f"the {content_type} answer cannot be parsed: {exc}") from None
    return {"body": body, "mimetype": "application/json", "http_status": status, "operator_identifier": operator}
