"""The coach's caseload page with 200 coachees (target: p95 100 ms), over real HTTP on 127.0.0.1.

The real app on a SQLite file (the bot's default), its operations server on a free port, and one coach signed in
with a link from /web. Every coachee agreed to keep and share their answers and has two sessions, a pre-session run
with a reading, three check-ins with readings and two dated actions; one in twenty is on a safety hold. Each timed
request is a whole GET /coach/ (the session checked and touched, the caseload's queries, the template), one after
another; a few untimed ones warm up first. The median and p95 are reported.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bot.app import build_app
from bot.config import Config, DatabaseConfig, HttpConfig
from bot.storage import store
from bot.storage.web_access import create_link
from flows.stepper import NewAction, ProfileChange, RecordedAnswer
from safety.routing import Action
from safety.types import Screening, ScreenRequest, Tier, Turn

TARGET_MS = 100.0
TARGETS = {"web_caseload_ms_200": ("<=", TARGET_MS)}
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


class _NoScreen:
    """The page never screens anything; the real model would only slow the app's start."""

    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening:
        return Screening(tier=Tier.NONE, ruleset_version="bench")

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
        return [Screening(tier=Tier.NONE, ruleset_version="bench") for _ in requests]


def _seed(config: Config, coachees: int) -> str:
    """The caseload; returns a sign-in token for its coach."""
    app = build_app(config, screener=_NoScreen(), clock=lambda: NOW)
    try:
        with app.db.begin() as conn:
            coach = store.add_coach(conn, name="Alex Coach", at=NOW)
            for n in range(coachees):
                c = store.add_coachee(conn, coach_id=coach.id, name=f"Coachee {n:03d} Example", at=NOW)
                store.apply_profile(conn, c.id, [ProfileChange(field="consent_store", value="yes"),
                                                 ProfileChange(field="consent_share", value="yes"),
                                                 ProfileChange(field="timezone", value="Europe/London")])
                start = NOW - timedelta(days=20)
                store.add_session(conn, coachee_id=c.id, at=start + timedelta(days=3), timezone="Europe/London",
                                  number=1)
                store.add_session(conn, coachee_id=c.id, at=NOW + timedelta(days=n % 14 + 1),
                                  timezone="Europe/London", number=2)
                store.add_answers(conn, coachee_id=c.id, at=start, shared=True, answers=[
                    RecordedAnswer(flow="pre_session", run_id=f"p{n}", question="goal", text="Calmer handovers"),
                    RecordedAnswer(flow="pre_session", run_id=f"p{n}", question="scaling", text="4", scale=4)])
                for week in range(3):
                    store.add_answers(conn, coachee_id=c.id, at=start + timedelta(days=7 * week + 5), shared=True,
                                      answers=[RecordedAnswer(flow="checkin", run_id=f"c{n}-{week}",
                                                              question="scaling", text=str(5 + week),
                                                              scale=5 + week)])
                store.add_actions(conn, coachee_id=c.id, at=start + timedelta(days=3), actions=[
                    NewAction(run_id=f"s{n}", text="Book 1:1s", due=(NOW + timedelta(days=n % 10 - 3)).date()),
                    NewAction(run_id=f"s{n}", text="Draft agenda", due=(NOW + timedelta(days=20)).date())])
                if n % 20 == 0:
                    store.set_coachee_status(conn, c.id, "hold")
                    store.add_safety_event(conn, coachee_id=c.id, conversation_id=None, tier=Tier.CRISIS,
                                           rules=(), ruleset_version="bench", action=Action.CRISIS.value,
                                           alert_outbox_id=None, at=NOW - timedelta(hours=n + 1))
            return create_link(conn, coach_id=coach.id, at=NOW)
    finally:
        app.engine.close()
        app.db.dispose()


async def _measure(config: Config, token: str, *, warm: int, timed: int, coachees: int) -> list[float]:
    app = build_app(config, screener=_NoScreen(), clock=lambda: NOW, migrate=False)
    await app.http.start()
    base = f"http://127.0.0.1:{app.http.port}"
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(f"{base}/coach/signin/{token}", allow_redirects=False) as r:
                assert r.status == 200 and "coachbot_session" in r.cookies, r.status  # signed in
            times = []
            for i in range(warm + timed):
                started = time.perf_counter()
                async with browser.get(f"{base}/coach/", allow_redirects=False) as r:
                    page = await r.text()
                elapsed = (time.perf_counter() - started) * 1000
                assert r.status == 200 and page.count('class="person') == coachees, r.status
                if i >= warm:
                    times.append(elapsed)
            return times
    finally:
        await app.http.stop()
        app.engine.close()
        app.db.dispose()


def run(*, coachees: int = 200, warm: int = 10, timed: int = 100) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        config = Config(database=DatabaseConfig(url=f"sqlite:///{Path(folder) / 'bench.db'}"),
                        http=HttpConfig(port=0))
        token = _seed(config, coachees)
        times = asyncio.run(_measure(config, token, warm=warm, timed=timed, coachees=coachees))
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"web_caseload_ms_200": round(p95, 2), "web_caseload_p50_ms_200": round(statistics.median(times), 2)}


if __name__ == "__main__":
    print(run())
