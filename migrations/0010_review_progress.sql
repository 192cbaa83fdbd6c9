-- 0010: how far spaced repetition has caught up with the stored answers.
-- Why: an answer is acknowledged as soon as it is stored; the review it implies (the
-- card's memory state and its review_log row) is written just after, in a transaction
-- of its own, so members see their result sooner. Every answer up to answer_id has its
-- review; a restart writes the ones a crash left out.

CREATE TABLE review_progress (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    answer_id  INTEGER NOT NULL
);

-- Until now every answer was reviewed in its own transaction.
INSERT INTO review_progress (id, answer_id) SELECT 1, COALESCE(MAX(id), 0) FROM answers;
