-- 0017: live rounds, played by a whole channel against the clock, and stored deadlines.
-- Why: a round must survive a restart with its question, its deadline and every answer,
-- and count each answer once. So the round, its frozen questions and the instant its
-- current phase ends live here, not in a sleeping task; each member's answer to each
-- question is a row keyed by (round, question, member), written in the same transaction
-- as the answer it scores. `timers` holds every stored deadline one scheduler loop
-- serves (a round's next step now; other features may add their own kinds). The cards a
-- channel saw, and when, let the next round there prefer the ones it saw longest ago.

CREATE TABLE rounds (
    id            BIGINT  PRIMARY KEY,       -- the id of the interaction that started it
    guild_id      BIGINT  NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    channel_id    BIGINT  NOT NULL,
    started_by    BIGINT  NOT NULL,
    deck_id       TEXT    NOT NULL,
    topic         TEXT,
    mode          TEXT    NOT NULL CHECK (mode IN ('multiple-choice', 'typed')),
    seconds       INTEGER NOT NULL CHECK (seconds BETWEEN 5 AND 120),
    requested     INTEGER NOT NULL CHECK (requested BETWEEN 1 AND 50),
    questions     TEXT    NOT NULL,          -- JSON: the questions, frozen at the start
    state         TEXT    NOT NULL CHECK (state IN ('running', 'finished', 'stopped', 'failed')),
    phase         TEXT    NOT NULL CHECK (phase IN ('ask', 'question', 'pause')),
    position      INTEGER NOT NULL DEFAULT 0, -- the current question's index
    message_id    BIGINT,                    -- the current question's message
    shown_at      BIGINT,                    -- ms since the Unix epoch, UTC
    closes_at     BIGINT,
    hint_shown    INTEGER NOT NULL DEFAULT 0 CHECK (hint_shown IN (0, 1)),
    unanswered    INTEGER NOT NULL DEFAULT 0, -- questions in a row nobody answered
    end_reason    TEXT,
    ended_by      BIGINT,
    winner_id     BIGINT,
    started_at    BIGINT  NOT NULL,
    ended_at      BIGINT
);

-- One running round per channel, whatever races two starts run.
CREATE UNIQUE INDEX rounds_one_running_per_channel ON rounds (channel_id)
    WHERE state = 'running';
CREATE INDEX rounds_by_channel ON rounds (channel_id, started_at);

CREATE TABLE round_answers (
    round_id        BIGINT  NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    question_index  INTEGER NOT NULL,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    choice          TEXT    NOT NULL,        -- the letter, or what was typed
    correct         INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points          INTEGER NOT NULL CHECK (points >= 0),
    response_ms     BIGINT  NOT NULL CHECK (response_ms >= 0),
    answered_at     BIGINT  NOT NULL,
    PRIMARY KEY (round_id, question_index, user_id)
);

CREATE INDEX round_answers_by_user ON round_answers (user_id, round_id);

CREATE TABLE round_cards_seen (
    channel_id  BIGINT NOT NULL,
    deck_id     TEXT   NOT NULL,
    card_id     TEXT   NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (channel_id, deck_id, card_id)
);

CREATE TABLE timers (
    kind     TEXT   NOT NULL,                -- what is due: 'round'
    target   BIGINT NOT NULL,                -- of what: the round's id
    due_at   BIGINT NOT NULL,                -- ms since the Unix epoch, UTC
    PRIMARY KEY (kind, target)
);

CREATE INDEX timers_due ON timers (due_at);
