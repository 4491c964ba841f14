"""The pacer: per-chat gaps, an evenly paced overall cap, flood-control holds; a fake clock, no real waiting."""

from __future__ import annotations

import itertools
import random

import pytest

from bot.ratelimit import Pacer, RateLimits


class FakeTime:
    """A clock and a sleep that moves it; `oversleep` plays an event loop waking a little late."""

    def __init__(self, *, oversleep: float = 0.0, seed: int = 7) -> None:
        self.now = 1000.0
        self.oversleep = oversleep
        self.random = random.Random(seed)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.random.uniform(0, self.oversleep)


def pacer(limits: RateLimits, fake: FakeTime) -> Pacer:
    return Pacer(limits, clock=fake, sleep=fake.sleep)


def most_in_any_window(times: list[float], window: float = 1.0) -> int:
    """The most sends in any half-open window of this length, as a platform counting the last second sees it."""
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_chat_gets_at_most_one_message_a_second() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_chat_interval=1.0), fake)
    times = []
    for _ in range(10):
        await limiter.acquire("a")
        times.append(fake.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 1.0
    assert max(gaps) < 1.05  # paced, not padded


async def test_other_chats_do_not_wait_behind_one_chats_gap() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_chat_interval=1.0), fake)
    limiter.take("a")
    assert limiter.wait("a") >= 1.0
    assert limiter.wait("b") == 0
    limiter.take("b")
    assert limiter.wait("c") == 0


async def test_a_short_burst_is_allowed_then_the_gap_applies() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_chat_interval=1.0, per_chat_burst=3), fake)
    times = []
    for _ in range(9):
        await limiter.acquire("a")
        times.append(fake.now)
    assert times[:3] == [1000.0] * 3
    assert most_in_any_window(times, 1.0) == 3
    assert most_in_any_window(times, 3.0) <= 3 + 3  # the burst, then one a second


@pytest.mark.parametrize("oversleep", [0.0, 0.004], ids=["exact", "late-wakeups"])
async def test_an_overall_cap_is_never_exceeded_in_any_second_and_nearly_reached(oversleep: float) -> None:
    fake = FakeTime(oversleep=oversleep)
    limiter = pacer(RateLimits(per_second_overall=30), fake)
    times = []
    for n in range(3000):
        await limiter.acquire(f"chat-{n}")
        times.append(fake.now)
    assert most_in_any_window(times) <= 30
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 0.95 * 30


async def test_the_overall_cap_spaces_sends_instead_of_bursting() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_second_overall=10), fake)
    limiter.take("a")
    assert limiter.overall_wait() > 0.09
    assert limiter.wait("b") == limiter.overall_wait()  # a new chat waits for the cap too


async def test_flood_control_holds_every_chat_until_the_platform_says() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_second_overall=30), fake)
    limiter.hold(5.0)
    assert limiter.wait("anyone") == pytest.approx(5.0)
    await limiter.acquire("anyone")
    assert fake.now == pytest.approx(1005.0)


async def test_no_limits_never_wait() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(), fake)
    for _ in range(100):
        limiter.take("a")
    assert limiter.wait("a") == 0


async def test_forgetting_old_chats_keeps_the_gaps_still_running() -> None:
    fake = FakeTime()
    limiter = pacer(RateLimits(per_chat_interval=1.0), fake)
    for n in range(3000):
        limiter.take(f"chat-{n}")
        fake.now += 0.01  # 30 s in all: most gaps are long over
    assert limiter.wait("chat-2999") > 0.9
    assert limiter.wait("chat-0") == 0


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimits(per_second_overall=0)
    with pytest.raises(ValueError):
        RateLimits(per_chat_interval=1.0, per_chat_burst=0)
