-- 0014: personal exam dates, one per member and deck.
-- Why: /readiness plans the reviews and new cards a day a member needs to be ready for
-- an exam on a date they set with /settings exam-date. The date is the member's own
-- local calendar day (YYYY-MM-DD); it goes with the member when /forgetme deletes them.

CREATE TABLE exam_dates (
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    deck_id   TEXT   NOT NULL,
    exam_day  TEXT   NOT NULL,   -- ISO date, YYYY-MM-DD, in the member's time zone
    set_at    BIGINT NOT NULL,   -- ms since the Unix epoch, UTC
    PRIMARY KEY (user_id, deck_id)
);
