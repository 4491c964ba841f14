"""Per-conversation locks: one turn at a time for a key, in arrival order; other keys are not held up."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_turns_for_one_key_run_one_at_a_time_in_order() -> None:
    locks = KeyedLocks()
    log: list[str] = []

    async def turn(key: str, name: str) -> None:
        async with locks.hold(key):
            log.append(f"start {name}")
            await asyncio.sleep(0.01)
            log.append(f"end {name}")

    await asyncio.gather(turn("k", "a"), turn("k", "b"), turn("k", "c"))
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert len(locks) == 0


async def test_different_keys_overlap() -> None:
    locks = KeyedLocks()
    log: list[str] = []

    async def turn(key: str) -> None:
        async with locks.hold(key):
            log.append(f"start {key}")
            await asyncio.sleep(0.01)
            log.append(f"end {key}")

    await asyncio.gather(turn("x"), turn("y"))
    assert log[:2] == ["start x", "start y"]
