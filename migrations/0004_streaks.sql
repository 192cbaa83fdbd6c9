-- 0004: streaks, leaderboard seasons, and what points and statistics read.
-- Why: a daily streak is settled when a member answers and when a challenge
-- is revealed (members who did not answer lose it), so it is stored rather
-- than recomputed from every challenge of the server's history. Leaderboards
-- and /stats must stay fast in a server with a million answers, so they read
-- per-member season totals and covering indexes, never the whole answers table.

CREATE TABLE daily_streaks (
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    current     INTEGER NOT NULL DEFAULT 0 CHECK (current >= 0),
    best        INTEGER NOT NULL DEFAULT 0 CHECK (best >= current),
    last_day    TEXT,                       -- ISO date of the last challenge counted
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX daily_streaks_by_user ON daily_streaks (user_id);

-- Leaderboard seasons. Starting one keeps every answer; boards simply count from
-- the latest start of the server's season.
CREATE TABLE seasons (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    started_at  INTEGER NOT NULL            -- ms since the Unix epoch, UTC
);

CREATE INDEX seasons_by_guild ON seasons (guild_id, started_at);

-- Each member's totals in the current season, kept up to date by the trigger
-- below, so the default all-time board reads one row per member instead of
-- summing every answer of the server. Only judged answers (multiple choice,
-- typed, daily) count: they alone score points and make up accuracy.
-- It is derived data: rebuilt from answers when a season starts. Answers are
-- only ever deleted together with their member, whose totals go with them.
CREATE TABLE season_totals (
    guild_id   INTEGER NOT NULL REFERENCES guilds(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    points     INTEGER NOT NULL DEFAULT 0,
    points_at  INTEGER,                     -- last answer that scored: when the total was reached
    graded     INTEGER NOT NULL DEFAULT 0,  -- judged answers
    correct    INTEGER NOT NULL DEFAULT 0,
    graded_at  INTEGER NOT NULL,            -- last judged answer
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX season_totals_by_user ON season_totals (user_id);
-- The points board in its own order, so a page and a rank are index ranges.
CREATE INDEX season_totals_by_points ON season_totals (guild_id, points DESC, points_at, user_id);

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

-- Answers recorded before this migration count in the first season.
INSERT INTO season_totals (guild_id, user_id, points, points_at, graded, correct, graded_at)
SELECT guild_id, user_id, SUM(points), MAX(CASE WHEN points > 0 THEN answered_at END),
       COUNT(*), SUM(correct), MAX(answered_at)
FROM answers
WHERE guild_id IS NOT NULL AND mode IN ('multiple-choice', 'typed', 'daily')
GROUP BY guild_id, user_id;

-- Boards over a period (month, week, today) and the members active lately:
-- a range of one server's answers by time, with everything those queries read.
CREATE INDEX answers_by_guild_time ON answers (guild_id, answered_at, user_id, points, correct, mode);

-- One member's answers in one server: /stats and study streaks per server.
CREATE INDEX answers_by_member ON answers (guild_id, user_id, answered_at, mode, correct, points);
