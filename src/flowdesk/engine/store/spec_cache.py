"""Parsed process specs, restored once per definition version and kept in memory."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ...bpmn import ProcessSpec


class SpecCache:
    """A small LRU of :class:`ProcessSpec` by definition version id.

    Specs are immutable once deployed, so a cached object is shared by every instance of
    that version in this process.
    """

    def __init__(self, capacity: int = 256):
        self._capacity = capacity
        self._items: OrderedDict[str, ProcessSpec] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: str, build) -> ProcessSpec:
        """The spec cached under ``key``, made by ``build()`` on a miss (merged call graphs)."""
        with self._lock:
            spec = self._items.get(key)
            if spec is not None:
                self._items.move_to_end(key)
                return spec
        spec = build()
        with self._lock:
            self._items[key] = spec
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return spec

    def get(self, version_id: str, process_key: str, load_dict) -> ProcessSpec:
        """The spec of ``version_id``; ``load_dict()`` supplies its serialized form on a miss."""
        with self._lock:
            spec = self._items.get(version_id)
            if spec is not None:
                self._items.move_to_end(version_id)
                return spec
        spec = ProcessSpec.from_dict(process_key, load_dict())
        with self._lock:
            self._items[version_id] = spec
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return spec
