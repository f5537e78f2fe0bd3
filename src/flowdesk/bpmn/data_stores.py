"""BPMN data stores: every ``dataStore`` a model declares is a JSON store the server keeps.

The data store's id names the store and the task data variable (its ``name`` is a label, or
in SpiffArena models the implementation, e.g. ``JSONDataStore``). A task with a data input
association from a ``dataStoreReference`` finds the store's value in its data when it starts;
a data output association writes the task data of that name to the store when the task
completes (and removes it from the task data, as for data objects). Stores are shared: what
one instance writes, a later instance of any process reads.

The bpmn layer keeps no data: reads and writes go through a :class:`DataStorePort` the engine
binds for the duration of a unit of work (:func:`bind`), so they commit or roll back with the
instance step that made them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from copy import deepcopy
from typing import Any, Protocol

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification


class DataStorePort(Protocol):
    """Where named JSON stores live (the engine implements it on the database)."""

    def read(self, name: str) -> Any:
        """The value stored under ``name``, or None when nothing was stored yet."""

    def write(self, name: str, value: Any) -> None:
        """Replace the value stored under ``name`` (a JSON value)."""


_PORT: ContextVar[DataStorePort | None] = ContextVar("flowdesk_data_store_port", default=None)


def bind(port: DataStorePort) -> Token:
    """Make ``port`` the data stores of the steps run from here; undo with :func:`unbind`."""
    return _PORT.set(port)


def unbind(token: Token) -> None:
    _PORT.reset(token)


def _port(my_task, data_store: "JsonDataStore", **direction) -> DataStorePort:
    port = _PORT.get()
    if port is None:
        raise WorkflowDataException(f"the data store '{data_store.bpmn_id}' is not available here",
                                    my_task, **direction)
    return port


class JsonDataStore(BpmnDataStoreSpecification):
    """The JSON store named by the data store's id; task data sees it under the same name."""

    def get(self, my_task):
        """Data input association: copy the store's value into the task data."""
        value = _port(my_task, self, data_input=self).read(self.bpmn_id)
        my_task.data[self.bpmn_id] = deepcopy(value)

    def set(self, my_task):
        """Data output association: write the task data of the store's id to the store."""
        if self.bpmn_id not in my_task.data:
            raise WorkflowDataException(
                f"the data store '{self.bpmn_id}' could not be written: the task set no value "
                "of that name", my_task, data_output=self)
        value = my_task.data[self.bpmn_id]
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise WorkflowDataException(f"the data store '{self.bpmn_id}' takes JSON values only: {exc}",
                                        my_task, data_output=self) from None
        _port(my_task, self, data_output=self).write(self.bpmn_id, deepcopy(value))
        del my_task.data[self.bpmn_id]

    def delete(self, my_task):
        my_task.data.pop(self.bpmn_id, None)


class EveryDataStoreName(Mapping):
    """``SpiffBpmnParser.DATA_STORE_CLASSES`` for "any name is a JSON store"."""

    def __getitem__(self, name: str) -> type[JsonDataStore]:
        return JsonDataStore

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

