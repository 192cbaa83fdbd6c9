-- 0005: daily challenges: one schedule per server, one challenge per server and local date.
-- Why: the daily post must go out on time and exactly once across restarts, reconnects
-- and time zones. So the schedule, with the instant its next post is due, lives here
-- rather than in a timer; and each challenge is written as an intent before its message
-- is sent and gets the message id after, so a crash between the two is recovered from
-- this row instead of posting twice. Failures are kept with the schedule, because a
-- server whose channel is gone must be shown why it is paused.

CREATE TABLE daily_schedules (
    guild_id      INTEGER PRIMARY KEY REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id    INTEGER NOT NULL,
    post_time     TEXT    NOT NULL CHECK (post_time GLOB '[0-2][0-9]:[0-5][0-9]'),  -- local HH:MM
    timezone      TEXT    NOT NULL,           -- IANA name
    deck_id       TEXT    NOT NULL,
    topic         TEXT,                       -- NULL: the whole deck
    role_id       INTEGER,                    -- mentioned by each post; NULL: nobody
    reveal_after  INTEGER CHECK (reveal_after IS NULL OR reveal_after BETWEEN 1 AND 23),
    enabled       INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    next_post_at  INTEGER,                    -- ms since the Unix epoch, UTC; NULL: nothing due
    failures      INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),  -- failed posts in a row
    last_error    TEXT,
    last_error_at INTEGER,
    updated_by    INTEGER,                    -- the admin who last ran setup
    updated_at    INTEGER NOT NULL
);

CREATE INDEX daily_schedules_due ON daily_schedules (next_post_at)
    WHERE enabled = 1 AND paused = 0;

CREATE TABLE daily_challenges (
    id            INTEGER PRIMARY KEY,        -- answers.challenge_id points here
    guild_id      INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    local_date    TEXT    NOT NULL,           -- ISO date in the schedule's zone
    channel_id    INTEGER NOT NULL,
    deck_id       TEXT    NOT NULL,
    topic         TEXT,
    card_id       TEXT    NOT NULL,
    question      TEXT    NOT NULL,           -- JSON: prompt, options, answer, explanation
    role_id       INTEGER,
    state         TEXT    NOT NULL
        CHECK (state IN ('intent', 'unsent', 'posted', 'revealed', 'missed')),
    attempts      INTEGER NOT NULL DEFAULT 0, -- sends started; above 0 a message may exist
    message_id    INTEGER,
    created_at    INTEGER NOT NULL,
    posted_at     INTEGER,
    reveal_at     INTEGER,
    revealed_at   INTEGER,
    reveal_shown  INTEGER NOT NULL DEFAULT 0 CHECK (reveal_shown IN (0, 1)),
    CHECK (state NOT IN ('posted', 'revealed')
           OR (message_id IS NOT NULL AND posted_at IS NOT NULL AND reveal_at IS NOT NULL))
);

-- Exactly one challenge per server and local date, whatever races the posting runs.
CREATE UNIQUE INDEX daily_challenges_once_per_day ON daily_challenges (guild_id, local_date);
CREATE INDEX daily_challenges_by_state ON daily_challenges (state, reveal_at);
