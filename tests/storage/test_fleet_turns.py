"""IDENTIFY turns through PostgreSQL: one bucket, one process at a time, and a process
that goes away gives its turn up."""

from __future__ import annotations

import asyncio

from bot.storage.fleet import PostgresTurns


async def take_turn(turns: PostgresTurns, bucket: int) -> None:
    async with turns.turn(bucket, window=5.0):
        pass  # where the IDENTIFY goes


async def test_a_bucket_held_by_one_process_waits_for_it_and_frees_when_it_goes(
    empty_postgres: str,
) -> None:
    first, second = PostgresTurns(empty_postgres), PostgresTurns(empty_postgres)
    try:
        async with first.turn(0, window=3600):
            pass  # the first process's IDENTIFY; the bucket stays its for the window
        other_bucket = asyncio.create_task(take_turn(second, 1))
        await asyncio.wait_for(other_bucket, timeout=10)  # another bucket is free
        same_bucket = asyncio.create_task(take_turn(second, 0))
        await asyncio.sleep(1.0)
        assert not same_bucket.done()  # still the first process's window
        await first.close()  # the first process is gone: its lock with it
        await asyncio.wait_for(same_bucket, timeout=10)
    finally:
        await first.close()
        await second.close()
