-- 0016: a version per server's set of imported decks.
-- Why: each process keeps the decks a server sees in memory. When several processes share
-- the database, a deck imported or removed through one of them must be seen at once by
-- the others: they compare this number, one indexed read, with the one their copy was
-- built from, and reload when it moved. Saving and removing a deck raise it in the same
-- transaction.

ALTER TABLE guilds ADD COLUMN decks_version BIGINT NOT NULL DEFAULT 0;
