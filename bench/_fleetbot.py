"""`python -m bench._fleetbot`: `python -m bot`, with the IDENTIFY window shortened to
``BENCH_IDENTIFY_WINDOW`` seconds (Discord's is 5 s).

The fleet start-up bench runs real processes against the fake, which enforces the same
shortened window; at Discord's 5 s, 16 shards in one bucket would take over a minute per
run. Everything else is the bot as it runs: the same settings, database and IDENTIFY turns
taken through PostgreSQL across the processes.
"""

from __future__ import annotations

import functools
import os

from bot import launcher
from bot.cli import main

launcher.build_bot = functools.partial(
    launcher.build_bot, identify_window=float(os.environ["BENCH_IDENTIFY_WINDOW"])
)

raise SystemExit(main())
