-- 0019: a stored deadline carries its server and a claim with a lease.
-- Why: several processes may share the database, each running some of the shards. A
-- deadline is served by the process that runs its server's shard (`guild_id`; NULL: any
-- process), and only after claiming it: the claim names the process and holds until
-- `claimed_until`, so two processes that both see it due serve it once, and one that died
-- while serving it is taken over when its lease ends.

ALTER TABLE timers ADD COLUMN guild_id BIGINT;
ALTER TABLE timers ADD COLUMN claimed_by TEXT;
ALTER TABLE timers ADD COLUMN claimed_until BIGINT;

UPDATE timers SET guild_id = (SELECT r.guild_id FROM rounds r WHERE r.id = timers.target)
WHERE kind = 'round';
