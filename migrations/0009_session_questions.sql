-- 0009: a quiz session's questions in a table of their own.
-- Why: the questions (several KB of JSON, frozen when the session starts) shared a
-- row with the counters every answer updates, so each answer rewrote them and their
-- overflow pages. They are written once, when the session starts, and then only read.

CREATE TABLE quiz_session_questions (
    session_id  TEXT PRIMARY KEY REFERENCES quiz_sessions(id) ON DELETE CASCADE,
    questions   TEXT NOT NULL       -- JSON: each question frozen with its options
);

INSERT INTO quiz_session_questions (session_id, questions)
SELECT id, questions FROM quiz_sessions;

ALTER TABLE quiz_sessions DROP COLUMN questions;
