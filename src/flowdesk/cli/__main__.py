"""``python -m flowdesk.cli``."""

from . import main

main()
