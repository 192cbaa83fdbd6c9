-- 0006: spaced repetition.
-- Why: each member's memory of each card (FSRS stability, difficulty, due
-- date) decides what /review shows next. Every review is logged too, so the
-- states can be recomputed if the scheduler's parameters change. A member's
-- daily new-card allowance and a server's desired retention are settings.

CREATE TABLE review_states (
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    deck_id           TEXT    NOT NULL,
    card_id           TEXT    NOT NULL,
    state             INTEGER NOT NULL CHECK (state IN (1, 2, 3)),  -- learning, review, relearning
    step              INTEGER,
    stability         REAL,
    difficulty        REAL,
    due               INTEGER NOT NULL,      -- ms since the Unix epoch, UTC
    last_review       INTEGER,
    reviews           INTEGER NOT NULL DEFAULT 0,
    lapses            INTEGER NOT NULL DEFAULT 0,
    first_reviewed_at INTEGER NOT NULL,      -- when the card stopped being new for this member
    PRIMARY KEY (user_id, deck_id, card_id)
);
CREATE INDEX review_states_due ON review_states (user_id, due);
CREATE INDEX review_states_started ON review_states (user_id, first_reviewed_at);

CREATE TABLE review_log (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    deck_id      TEXT    NOT NULL,
    card_id      TEXT    NOT NULL,
    grade        INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 4),  -- again, hard, good, easy
    reviewed_at  INTEGER NOT NULL,
    duration_ms  INTEGER,
    answer_id    INTEGER UNIQUE REFERENCES answers(id) ON DELETE CASCADE  -- one review per answer
);
CREATE INDEX review_log_by_card ON review_log (user_id, deck_id, card_id, reviewed_at);
CREATE INDEX review_log_by_time ON review_log (user_id, reviewed_at);

ALTER TABLE users ADD COLUMN new_cards_per_day INTEGER NOT NULL DEFAULT 20
    CHECK (new_cards_per_day BETWEEN 0 AND 200);
ALTER TABLE guilds ADD COLUMN desired_retention REAL NOT NULL DEFAULT 0.9
    CHECK (desired_retention BETWEEN 0.7 AND 0.97);
