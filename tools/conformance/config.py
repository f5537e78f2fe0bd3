"""The harness's fixed settings: where things are, who it is, and the bounds of a run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "docs" / "conformance.md"
ADMIN_KEY = "fd_conformance_admin"
MASTER_KEY = b"flowdesk-conformance-master-key"
START_TIME = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Bounds that keep a looping model from running forever; generous for every model that ends.
MAX_ROUNDS = 400
MAX_TICKETS_PER_INSTANCE = 60
MAX_TIMER_ADVANCES = 40
MAX_SENDS_PER_WAIT = 3
MAX_INSTANCES = 40
MAX_NAME_RETRIES = 40
THINK_TIME = timedelta(minutes=1)

API = "/api/v1"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}

