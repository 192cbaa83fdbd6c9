"""`python -m bot [run|migrate|sync|cluster|decks check|practice]`."""

from bot.cli import main

raise SystemExit(main())
