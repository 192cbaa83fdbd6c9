-- 0008: drop answers_by_guild, a prefix of answers_by_guild_time (which serves every
-- query it served): one index fewer to write on every answer.
DROP INDEX IF EXISTS answers_by_guild;
