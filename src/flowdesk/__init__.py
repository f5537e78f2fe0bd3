"""flowdesk: a BPMN process automation server."""

__version__ = "0.1.0"
