-- 0013: a typed answer waits here while the member judges a close call.
-- Why: when the grader cannot decide, the member's own Right or Wrong stores the answer,
-- and its reply shows what they wrote. That text came back from the message the bot had
-- rendered (escaped and clipped), so it was escaped again. It is kept with its session
-- and question, and goes with them.

CREATE TABLE quiz_typed_answers (
    session_id      TEXT    NOT NULL REFERENCES quiz_sessions(id) ON DELETE CASCADE,
    question_index  INTEGER NOT NULL,
    typed           TEXT    NOT NULL,
    PRIMARY KEY (session_id, question_index)
);
