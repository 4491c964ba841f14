"""Memory: the peak resident set of a bot process with 10,000 coachees and 1,000 active conversations
(target: 150 MB).

The database is seeded first (in this process): 10,000 onboarded coachees with a chat each, their sessions
and planned jobs (the calendars of bench_claim), and 1,000 of them mid-flow, asked the first pre-session
question by `Engine.prompt`. Then a fresh interpreter does what `coachbot run` does with it: imports the
bot, builds the app (the real safety screener included), handles one answer from each of the 1,000 active
conversations through the transport and delivers the replies. Its peak RSS is the figure, so everything
it imported and built is counted, as it would be in production. On Linux that is the kernel's high-water
mark for the process (VmHWM): a child's `ru_maxrss` starts at its parent's peak. `rss_mb_imports` is
the same process's peak once the bot is imported, before the app is built.

Start-up planning (`Scheduler.plan_all`) is left out: it looks up each coachee's pending jobs in turn, a
scan of every pending job each time on SQLite, which takes minutes at this size.
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from bot.app import build_app
from bot.config import Config, DatabaseConfig
from bot.transports.memory import MemoryTransport
from bot.types import Outbound

TARGET_MB = 150.0
TARGETS = {"rss_mb_10k": ("<=", TARGET_MB)}
_REPO = Path(__file__).resolve().parents[1]
ANSWER = "I'd like to get better at delegating so I'm not the bottleneck for my team."


class Platform(MemoryTransport):
    """The in-memory transport, without keeping what it sends (a real platform's client keeps nothing)."""

    async def send(self, message: Outbound) -> str | None:
        return None


def user_of(coachee_id: int) -> str:
    return f"u{coachee_id}"


def seed(url: str, *, coachees: int, active: int) -> list[int]:
    """Coachees with a chat each, their calendars, and `active` of them asked a question; returns those."""
    from benchmarks import bench_claim  # the calendars; not imported by the measured process
    from bot.storage import schema as t

    app = build_app(Config(database=DatabaseConfig(url=url)))
    try:
        with app.db.begin() as conn:
            bench_claim.seed(conn, coachees)
            conn.execute(t.identities.insert(), [
                {"transport": "memory", "external_id": user_of(n), "chat_id": user_of(n), "coachee_id": n}
                for n in range(1, coachees + 1)])
        step = max(1, coachees // active)
        chosen = list(range(1, coachees + 1, step))[:active]

        async def prompt() -> None:
            for coachee_id in chosen:
                await app.engine.prompt(coachee_id, "pre_session")

        asyncio.run(prompt())
        return chosen
    finally:
        app.db.dispose()


def peak_rss_mb() -> float:
    """This process's peak resident set, in MB.

    On Linux `ru_maxrss` starts from the parent's peak (it is carried across fork and exec), which would
    bill the seeding to the bot; the kernel's per-process high-water mark (VmHWM) starts afresh at exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB elsewhere


def child(url: str, users: list[str]) -> dict[str, float]:
    """In a fresh interpreter: start the bot on the database, answer for every active conversation, deliver."""
    start_rss = peak_rss_mb()
    app = build_app(Config(database=DatabaseConfig(url=url)))
    platform = Platform()
    app.add_transport(platform)

    async def work() -> int:
        await platform.start(app.engine.handle)
        for user in users:
            await platform.receive(platform.message(user, ANSWER))
        return await app.outbox.deliver_due()

    delivered = asyncio.run(work())
    if delivered < 2 * len(users):  # the prompts queued in the seed, and a reply to each answer
        raise RuntimeError(f"only {delivered} messages delivered for {len(users)} conversations")
    app.db.dispose()
    return {"rss_mb": round(peak_rss_mb(), 1), "imports_mb": round(start_rss, 1), "delivered": delivered}


def run(*, coachees: int = 10_000, active: int = 1_000, workdir: Path | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-memory-", dir=workdir) as tmp:
        url = f"sqlite:///{Path(tmp) / 'memory.db'}"
        chosen = seed(url, coachees=coachees, active=active)
        users = Path(tmp) / "users.json"
        users.write_text(json.dumps([user_of(n) for n in chosen]), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "benchmarks.bench_memory", "--child", url, str(users)],
                              capture_output=True, text=True, cwd=_REPO)
        if done.returncode != 0:
            raise RuntimeError(f"the measured process failed: {done.stderr.strip()[-2000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {"rss_mb_10k": figures["rss_mb"], "rss_mb_imports": figures["imports_mb"]}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], json.loads(Path(sys.argv[3]).read_text(encoding="utf-8")))))
    else:
        print(json.dumps(run()))
