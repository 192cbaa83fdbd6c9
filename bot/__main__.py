"""`python -m bot [run|migrate|sync|decks check|practice]`."""

from bot.cli import main

raise SystemExit(main())
