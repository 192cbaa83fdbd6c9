-- 0012: each answer's review is written in the answer's own transaction.
-- Why: reviews written later, behind a mark of the last answer id reviewed, missed
-- answers whenever ids fell at or below the mark, and a crash left answers owing theirs.
-- Now an answer and its review land together or not at all, so nothing needs marking.
-- (A database still at 0010 has the reviews it owed written before this runs.)

DROP TABLE review_progress;
