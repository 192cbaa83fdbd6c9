"""`python -m bot [run|migrate|sync|cluster|decks check|import|export|db copy|practice]`."""

from bot.cli import main

raise SystemExit(main())
