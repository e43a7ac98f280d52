"""``python -m bot`` is the ``courtyard`` command."""

from bot.cli import main

main()
