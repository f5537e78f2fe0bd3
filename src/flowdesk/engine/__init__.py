"""Domain and application services: models, unit of work, and the command handlers."""
