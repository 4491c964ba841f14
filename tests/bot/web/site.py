"""The coach's web view over real HTTP on 127.0.0.1: the app with the operations server on a free port, a coach
who signs in from a link the bot sent in chat, and coachees with answers shared and kept private."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.config import Config, HttpConfig
from bot.storage import store
from flows.stepper import ProfileChange, RecordedAnswer
from safety.routing import Action
from safety.types import Tier
from tests.conftest import Clock, Harness, MarkerScreener, make_harness

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PRIVATE = "I have been thinking of leaving nursing altogether"
SHARED_GOAL = "Run calmer handovers on the ward"
LINK = re.compile(r"/coach/signin/([0-9a-f]+)")
MOVES_ON = '<meta http-equiv="refresh" content="0; url=/coach/">'
"""The signed-in page goes on to the caseload by itself (a redirect would lose the cookie; bot/web/routes.py)."""


@dataclass
class Site:
    harness: Harness
    clock: Clock
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.harness.app.http.port}"

    def browser(self) -> aiohttp.ClientSession:
        """A browser of its own: cookies kept for 127.0.0.1 (aiohttp keeps none for an IP address by default)."""
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(session)
        return session

    async def link(self, *, user: str = "c1", text: str = "/web") -> str:
        """Ask for a sign-in link in chat, as the coach would; the path it links to."""
        replies = await self.harness.say(text, user=user)
        (match,) = [m for m in (LINK.search(r.text) for r in replies) if m]
        return f"/coach/signin/{match.group(1)}"

    async def signed_in(self, *, user: str = "c1") -> aiohttp.ClientSession:
        browser = self.browser()
        async with browser.get(self.base + await self.link(user=user), allow_redirects=False) as r:
            assert r.status == 200 and MOVES_ON in await r.text()
        return browser

    async def get(self, browser: aiohttp.ClientSession, path: str) -> tuple[int, str, str]:
        async with browser.get(self.base + path, allow_redirects=False) as r:
            return r.status, r.headers.get("Location", ""), await r.text()

    async def post(self, browser: aiohttp.ClientSession, path: str,
                   form: dict[str, str]) -> tuple[int, str, str]:
        async with browser.post(self.base + path, data=form, allow_redirects=False) as r:
            return r.status, r.headers.get("Location", ""), await r.text()

    def add_coach(self, name: str, user: str) -> int:
        with self.harness.app.db.begin() as conn:
            coach = store.add_coach(conn, name=name, at=self.clock())
            store.add_identity(conn, transport="memory", external_id=user, coach_id=coach.id)
            return coach.id

    def add_coachee(self, *, coach_id: int, name: str, user: str, share: bool = True) -> int:
        with self.harness.app.db.begin() as conn:
            coachee = store.add_coachee(conn, coach_id=coach_id, name=name, at=self.clock())
            store.add_identity(conn, transport="memory", external_id=user, coachee_id=coachee.id)
            consent(conn, coachee.id, share=share)
            return coachee.id


def consent(conn: object, coachee_id: int, *, share: bool = True) -> None:
    store.apply_profile(conn, coachee_id, [  # type: ignore[arg-type]
        ProfileChange(field="consent_store", value="yes"),
        ProfileChange(field="consent_share", value="yes" if share else "no"),
        ProfileChange(field="timezone", value="Europe/London")])


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match is not None, "no CSRF token on the page"
    return match.group(1)


def shared_history(site: Site, coachee_id: int) -> None:
    """Session 1 done, a pre-session run sent with one answer kept private, two check-in readings, and a hold."""
    h, at = site.harness, site.clock()
    with h.app.db.begin() as conn:
        store.add_session(conn, coachee_id=coachee_id, at=at + timedelta(days=3), timezone="Europe/London", number=1)
        store.add_session(conn, coachee_id=coachee_id, at=at + timedelta(days=20), timezone="Europe/London",
                          number=2)
        store.add_answers(conn, coachee_id=coachee_id, at=at, shared=False, answers=[
            RecordedAnswer(flow="pre_session", run_id="r1", question="goal", text=SHARED_GOAL),
            RecordedAnswer(flow="pre_session", run_id="r1", question="anything_else", text=PRIVATE),
            RecordedAnswer(flow="pre_session", run_id="r1", question="scaling", text="4", scale=4)])
        store.share_run(conn, coachee_id=coachee_id, run_id="r1", private=["anything_else"])
        store.add_answers(conn, coachee_id=coachee_id, at=at + timedelta(days=7), shared=True, answers=[
            RecordedAnswer(flow="checkin", run_id="r2", question="scaling", text="6", scale=6)])


def put_on_hold(site: Site, coachee_id: int, *, at: datetime) -> None:
    with site.harness.app.db.begin() as conn:
        store.set_coachee_status(conn, coachee_id, "hold")
        store.add_safety_event(conn, coachee_id=coachee_id, conversation_id=None, tier=Tier.CRISIS, rules=("r",),
                               ruleset_version="t", action=Action.CRISIS.value, alert_outbox_id=None, at=at)


@pytest.fixture
async def site(config: Config, screener: MarkerScreener) -> AsyncIterator[Site]:
    clock = Clock(START)
    h = make_harness(config.model_copy(update={"http": HttpConfig(port=0)}), screener, onboarded=True)
    h.use_clock(clock)
    await h.transport.start(h.app.engine.handle)
    await h.app.http.start()
    s = Site(harness=h, clock=clock)
    try:
        yield s
    finally:
        for session in s.sessions:
            await session.close()
        await h.app.http.stop()
        h.app.engine.close()
        h.app.db.dispose()
