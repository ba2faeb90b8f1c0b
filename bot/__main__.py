"""``python -m bot`` runs the ``bizbot`` command line."""

from bot.cli import main

main()
