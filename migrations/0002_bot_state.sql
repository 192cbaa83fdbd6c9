-- 0002: a small key/value table for the bot's own bookkeeping.
-- Why: the hash of the last globally synced command tree lives here, so a
-- restart with an unchanged tree does not sync again and hit Discord's limits.

CREATE TABLE bot_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
