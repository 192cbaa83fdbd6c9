-- 0007: decks imported into one server with /decks import.
-- Why: a server's admins bring their own decks (CSV, Quizlet, Anki, Markdown). Such a
-- deck belongs to that server only and must survive restarts without touching the
-- shipped deck files, so it lives here: the validated deck as JSON in the deck file
-- format, checked again when loaded. Answers name a deck by its id only, so removing
-- a server deck keeps its members' answers for their statistics.

CREATE TABLE server_decks (
    guild_id     INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    deck_id      TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    card_count   INTEGER NOT NULL CHECK (card_count > 0),
    deck         TEXT    NOT NULL,            -- JSON: the deck as a YAML deck file holds it
    file_name    TEXT    NOT NULL,            -- the uploaded file it was imported from
    imported_by  INTEGER NOT NULL,            -- the admin's user id
    imported_at  INTEGER NOT NULL,            -- ms since the Unix epoch, UTC
    PRIMARY KEY (guild_id, deck_id)
);
