"""Domain and application services: models, unit of work, and the command handlers."""

from . import composition  # noqa: F401 - plugs projections and duties in before any command can run
