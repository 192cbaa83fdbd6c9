-- 0003: personal quiz sessions.
-- Why: a session's buttons must keep working after the bot restarts, so the
-- session (its questions with their options, where the member is, the score)
-- lives here and not in memory. A member has at most one active session.

CREATE TABLE quiz_sessions (
    id                 TEXT    PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    guild_id           INTEGER REFERENCES guilds(id) ON DELETE CASCADE,  -- NULL in DMs
    channel_id         INTEGER,
    deck_id            TEXT    NOT NULL,
    topic              TEXT,
    mode               TEXT    NOT NULL
        CHECK (mode IN ('multiple-choice', 'flashcard', 'typed', 'review')),
    questions          TEXT    NOT NULL,      -- JSON: each question frozen with its options
    requested          INTEGER NOT NULL CHECK (requested BETWEEN 1 AND 50),
    position           INTEGER NOT NULL DEFAULT 0,
    answered           INTEGER NOT NULL DEFAULT 0,
    correct            INTEGER NOT NULL DEFAULT 0,
    points             INTEGER NOT NULL DEFAULT 0,
    status             TEXT    NOT NULL
        CHECK (status IN ('pending', 'active', 'finished', 'abandoned', 'expired')),
    started_at         INTEGER NOT NULL,      -- ms since the Unix epoch, UTC
    updated_at         INTEGER NOT NULL,
    question_shown_at  INTEGER NOT NULL,
    CHECK (answered IN (position, position + 1))
);

CREATE UNIQUE INDEX quiz_sessions_one_active ON quiz_sessions (user_id) WHERE status = 'active';
CREATE INDEX quiz_sessions_by_user ON quiz_sessions (user_id, status);
