"""/engine-rest/external-task: Camunda 7's external task API, long polling included."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from ...engine.models import ExternalTaskStatus
from ...engine.process import external_task_queries as queries
from ...engine.process import external_tasks, instance_queries
from ...engine.store import external_task_waits
from ...engine.store.errors import InvalidInput
from .params import body, field, flag, listed, page
from .variables import camunda_date, from_flowdesk, to_flowdesk

bp = Blueprint("external_task", __name__, url_prefix="/external-task")

NO_CONTENT = ("", 204)
MAX_TASKS = 100


def _runtime():
    return current_app.extensions["flowdesk"]


def task_dto(row, definition_id: str | None = None) -> dict:
    """Camunda's ExternalTaskDto of one row."""
    locked = row.status == ExternalTaskStatus.LOCKED.value
    return {
        "activityId": row.element_id, "activityInstanceId": row.task_id, "errorMessage": row.error_message,
        "executionId": row.task_id, "id": row.id,
        "lockExpirationTime": camunda_date(row.lock_expires_at) if locked else None,
        "processDefinitionId": definition_id, "processDefinitionKey": row.process_key,
        "processDefinitionVersionTag": None, "processInstanceId": row.instance_id, "tenantId": row.tenant_id,
        "retries": 0 if row.status == ExternalTaskStatus.INCIDENT.value else row.retries,
        "suspended": False, "workerId": row.worker_id if locked else None, "priority": row.priority,
        "topicName": row.topic, "businessKey": row.business_key,
    }


def _topic(item) -> dict:
    if not isinstance(item, dict):
        raise InvalidInput("each topic must be an object", {"topics": ["objects with topicName and lockDuration"]})
    keys = listed("processDefinitionKeyIn", item)
    key = field(item, "processDefinitionKey", str)
    if key is not None:
        keys = [key] + (keys or [])
    return {"topic_name": field(item, "topicName", str, required=True),
            "lock_duration": field(item, "lockDuration", int, required=True),
            "process_keys": keys, "business_key": field(item, "businessKey", str),
            "tenant_ids": listed("tenantIdIn", item),
            "variables": listed("variables", item),
            "local_variables": field(item, "localVariables", bool, default=False),
            "process_variables": _no_process_variables(item)}


def _no_process_variables(item: dict) -> None:
    # Filtering by process variable values is not supported: refused rather than ignored, so a
    # worker never gets tasks it did not ask for.
    if field(item, "processVariables", dict, default={}):
        raise InvalidInput("filtering topics by processVariables is not supported by flowdesk",
                           {"processVariables": ["leave empty"]})


@bp.post("/fetchAndLock")
def fetch_and_lock():
    """Lock up to maxTasks tasks; with asyncResponseTimeout wait (without a transaction) until one comes."""
    data = body()
    worker_id = field(data, "workerId", str, required=True)
    max_tasks = field(data, "maxTasks", int, default=10)
    if not 0 <= max_tasks <= MAX_TASKS:
        raise InvalidInput(f"maxTasks must be between 0 and {MAX_TASKS}", {"maxTasks": [str(max_tasks)]})
    wait_ms = field(data, "asyncResponseTimeout", int, default=0)
    if not 0 <= wait_ms <= external_task_waits.MAX_WAIT_MS:
        raise InvalidInput(f"asyncResponseTimeout must be between 0 and {external_task_waits.MAX_WAIT_MS} ms",
                           {"asyncResponseTimeout": [str(wait_ms)]})
    use_priority = field(data, "usePriority", bool, default=False)
    topics = [_topic(t) for t in field(data, "topics", list, default=[])]
    if not topics or max_tasks == 0:
        return jsonify([])
    rt, principal = _runtime(), g.principal
    names = {t["topic_name"]: t["variables"] for t in topics}
    local = {t["topic_name"] for t in topics if t["local_variables"]}
    found = external_task_waits.poll(
        rt.fetchable, lambda: external_tasks.fetch_and_lock(rt, principal, worker_id, max_tasks, topics, use_priority),
        wait_ms)
    answer = []
    for item in found:
        dto = task_dto(item.task, item.definition_version_id)
        variables = item.local_variables if item.task.topic in local else item.variables
        dto.update(variables=from_flowdesk(variables, names.get(item.task.topic)),
                   errorDetails=item.task.error_details, extensionProperties={})
        answer.append(dto)
    return jsonify(answer)


def _worker(data: dict) -> str:
    return field(data, "workerId", str, required=True)


@bp.post("/<task_id>/complete")
def complete(task_id):
    data = body()
    external_tasks.complete(_runtime(), g.principal, task_id, _worker(data), to_flowdesk(data.get("variables")),
                            to_flowdesk(data.get("localVariables"), "localVariables"))
    return NO_CONTENT


@bp.post("/<task_id>/failure")
def failure(task_id):
    data = body()
    retries = field(data, "retries", int, default=0)
    retry_timeout = field(data, "retryTimeout", int, default=0)
    if retries < 0 or retry_timeout < 0:
        raise InvalidInput("retries and retryTimeout must not be negative")
    external_tasks.failure(_runtime(), g.principal, task_id, _worker(data), field(data, "errorMessage", str, default=""),
                           field(data, "errorDetails", str), retries, retry_timeout)
    return NO_CONTENT


@bp.post("/<task_id>/bpmnError")
def bpmn_error(task_id):
    data = body()
    external_tasks.bpmn_error(_runtime(), g.principal, task_id, _worker(data),
                              field(data, "errorCode", str, required=True), field(data, "errorMessage", str),
                              to_flowdesk(data.get("variables")))
    return NO_CONTENT


@bp.post("/<task_id>/extendLock")
def extend_lock(task_id):
    data = body()
    external_tasks.extend_lock(_runtime(), g.principal, task_id, _worker(data),
                               field(data, "newDuration", int, required=True))
    return NO_CONTENT


@bp.post("/<task_id>/unlock")
def unlock(task_id):
    external_tasks.unlock(_runtime(), g.principal, task_id)
    return NO_CONTENT


@bp.put("/<task_id>/retries")
def set_retries(task_id):
    external_tasks.set_retries(_runtime(), g.principal, task_id, field(body(), "retries", int, required=True))
    return NO_CONTENT


def _filter() -> queries.ExternalTaskFilter:
    args = request.args
    locked, not_locked = flag("locked"), flag("notLocked")
    retries_left, no_retries = flag("withRetriesLeft"), flag("noRetriesLeft")
    return queries.ExternalTaskFilter(
        task_id=args.get("externalTaskId"), topic=args.get("topicName"), worker_id=args.get("workerId"),
        instance_id=args.get("processInstanceId"), element_id=args.get("activityId"),
        process_key=args.get("processDefinitionKey"), business_key=args.get("businessKey"),
        locked=True if locked else False if not_locked else None,
        with_retries_left=True if retries_left else False if no_retries else None)


@bp.get("")
def list_tasks():
    first, limit = page()
    rows = queries.list_open(_runtime(), g.principal, _filter(), first, limit)
    definitions = instance_queries.definition_ids(_runtime(), [row.instance_id for row in rows])
    return jsonify([task_dto(row, definitions.get(row.instance_id)) for row in rows])


@bp.get("/count")
def count_tasks():
    return jsonify({"count": queries.count_open(_runtime(), g.principal, _filter())})


@bp.get("/topic-names")
def topic_names():
    return jsonify(queries.topic_names(_runtime(), g.principal, locked=flag("withLockedTasks"),
                                       unlocked=flag("withUnlockedTasks"),
                                       with_retries_left=flag("withRetriesLeft")))


@bp.get("/<task_id>")
def get_task(task_id):
    row = queries.get_open(_runtime(), g.principal, task_id)
    return jsonify(task_dto(row, instance_queries.definition_ids(_runtime(), [row.instance_id]).get(row.instance_id)))


@bp.get("/<task_id>/errorDetails")
def error_details(task_id):
    row = queries.get_open(_runtime(), g.principal, task_id)
    return current_app.response_class(row.error_details or "", mimetype="text/plain")
