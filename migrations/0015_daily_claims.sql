-- 0015: a daily post's intent row carries a claim with a lease.
-- Why: several processes may each believe they own a server (a rolling restart, a change
-- of shard count, two processes configured with the same shards). The intent row is
-- already unique per (server, local date), written with ON CONFLICT DO NOTHING; the claim
-- says which process is sending it and until when. Another process stands down while the
-- lease runs, and takes over a claim whose holder died once it has ended; the existing
-- crash recovery (attempts, and the search of the channel's history) then does the rest.

ALTER TABLE daily_challenges ADD COLUMN claimed_by TEXT;
ALTER TABLE daily_challenges ADD COLUMN claimed_until BIGINT;
