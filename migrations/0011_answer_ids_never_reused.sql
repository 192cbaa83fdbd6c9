-- 0011: an answer's id is never handed out twice.
-- Why: `answers.id` was a plain INTEGER PRIMARY KEY, so once the newest answers were
-- deleted (a member who answered last runs /forgetme) SQLite gave their ids to the next
-- answers. Anything that remembered an id (the review mark of 0010, a review log row,
-- a message) could then point at another member's answer. AUTOINCREMENT makes SQLite
-- keep the highest id it ever handed out, in sqlite_sequence. SQLite cannot add it to a
-- table, so the table is rebuilt with its rows, indexes and trigger as they are; the
-- review mark is the highest id known to have been handed out before.

CREATE TABLE answers_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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

INSERT INTO answers_rebuilt (id, user_id, guild_id, deck_id, card_id, mode, correct, grade,
    points, answered_at, response_ms, session_id, question_index, challenge_id)
SELECT id, user_id, guild_id, deck_id, card_id, mode, correct, grade,
    points, answered_at, response_ms, session_id, question_index, challenge_id
FROM answers;

-- Foreign keys are off while migrations run: the review log keeps its rows, and refers
-- to the rebuilt table once it takes the name.
DROP TABLE answers;
ALTER TABLE answers_rebuilt RENAME TO answers;

INSERT INTO sqlite_sequence (name, seq)
SELECT 'answers', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'answers');
UPDATE sqlite_sequence
SET seq = MAX(seq, COALESCE((SELECT MAX(answer_id) FROM review_progress), 0))
WHERE name = 'answers';

CREATE UNIQUE INDEX answers_once_per_question ON answers (session_id, question_index)
    WHERE session_id IS NOT NULL;
CREATE UNIQUE INDEX answers_once_per_challenge ON answers (challenge_id, user_id)
    WHERE challenge_id IS NOT NULL;
CREATE INDEX answers_by_user ON answers (user_id, answered_at);
CREATE INDEX answers_by_guild_time ON answers (guild_id, answered_at, user_id, points, correct, mode);
CREATE INDEX answers_by_member ON answers (guild_id, user_id, answered_at, mode, correct, points);

CREATE TRIGGER answers_feed_season_totals AFTER INSERT ON answers
WHEN NEW.guild_id IS NOT NULL
    AND NEW.mode IN ('multiple-choice', 'typed', 'daily')
    AND NEW.answered_at >= COALESCE(
        (SELECT MAX(started_at) FROM seasons WHERE guild_id = NEW.guild_id), 0)
BEGIN
    INSERT INTO season_totals (guild_id, user_id, points, points_at, graded, correct, graded_at)
    VALUES (
        NEW.guild_id, NEW.user_id, NEW.points,
        CASE WHEN NEW.points > 0 THEN NEW.answered_at END,
        1, NEW.correct, NEW.answered_at
    )
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        points = points + excluded.points,
        points_at = COALESCE(MAX(points_at, excluded.points_at), points_at, excluded.points_at),
        graded = graded + 1,
        correct = correct + excluded.correct,
        graded_at = MAX(graded_at, excluded.graded_at);
END;
