"""Domain and application services: models, unit of work, and the command handlers.

Importing the engine plugs its rooms together (:mod:`.composition`) before any command runs.
"""

from . import composition

__all__ = ["composition"]
