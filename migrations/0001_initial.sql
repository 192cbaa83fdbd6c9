-- 0001: the first schema.
-- Why: every answer a member gives is the bot's source of truth for points,
-- streaks, leaderboards and statistics, so it is stored once per answered
-- question, never more. Guilds and users keep only what the bot needs to show
-- names and settings without the privileged members intent.

CREATE TABLE guilds (
    id          INTEGER PRIMARY KEY,          -- Discord guild id
    name        TEXT    NOT NULL DEFAULT '',
    timezone    TEXT    NOT NULL DEFAULT 'UTC',
    created_at  INTEGER NOT NULL              -- ms since the Unix epoch, UTC
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,        -- Discord user id; 0 is the local practice user
    display_name  TEXT    NOT NULL,           -- last known name, shown on leaderboards
    timezone      TEXT,                       -- NULL: use the server's zone
    updated_at    INTEGER NOT NULL
);

CREATE TABLE answers (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    guild_id        INTEGER REFERENCES guilds(id) ON DELETE CASCADE,  -- NULL for DMs and practice
    deck_id         TEXT    NOT NULL,
    card_id         TEXT    NOT NULL,
    mode            TEXT    NOT NULL
        CHECK (mode IN ('multiple-choice', 'flashcard', 'typed', 'daily', 'review')),
    correct         INTEGER NOT NULL CHECK (correct IN (0, 1)),
    grade           TEXT    CHECK (grade IS NULL OR grade IN ('again', 'hard', 'good', 'easy')),
    points          INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    answered_at     INTEGER NOT NULL,         -- ms since the Unix epoch, UTC
    response_ms     INTEGER CHECK (response_ms IS NULL OR response_ms >= 0),
    session_id      TEXT,                     -- the quiz session the answer belongs to
    question_index  INTEGER,                  -- its position in that session
    challenge_id    INTEGER,                  -- or the daily challenge it answers
    CHECK (session_id IS NULL OR question_index IS NOT NULL),
    CHECK (session_id IS NULL OR challenge_id IS NULL)
);

-- Exactly once: a question of a session, or a member's answer to a daily
-- challenge, can be stored one time only, whatever races the clicks run.
CREATE UNIQUE INDEX answers_once_per_question ON answers (session_id, question_index)
    WHERE session_id IS NOT NULL;
CREATE UNIQUE INDEX answers_once_per_challenge ON answers (challenge_id, user_id)
    WHERE challenge_id IS NOT NULL;

CREATE INDEX answers_by_user ON answers (user_id, answered_at);
CREATE INDEX answers_by_guild ON answers (guild_id, answered_at);
