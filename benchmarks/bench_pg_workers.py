"""Workers on PostgreSQL: engine throughput with 2 worker processes against 1 (target: 1.4x).

The machine's core count is reported beside the figure: the database server runs on the same machine,
so with 2 cores two workers and the server share them. Without a reachable PostgreSQL the figure is null.

A throwaway schema is created for the run (its name in the URL, as the tests do) and dropped after.
The server's own settings are used (durable commits), as a deployment would have them. The seed is
onboarded coachees, each asked the first pre-session question; a separate set of coachees for every
run, so each run finds the same state. A worker is a separate process that builds the app (the real
screener, its sentence model on the worker's share of the cores) on the schema, handles one warm-up
message, and waits; once every worker is ready they are started together. Each handles its own
coachees' answers (the first few pre-session questions, every one taking free text) through
`Engine.handle`, round-robin over its coachees, one message at a time.
Throughput is all messages over the time from the first worker's start to the last one's end; the
speedup is the median throughput with 2 workers over the median with 1, over `rounds` runs of each
(which goes first alternates). With durable commits, two workers also share the server's WAL flushes
(group commit), so the speedup can exceed 2. Each worker's own CPU use, and the whole machine's, is
printed on stderr: a 2-core machine busy with something else can't show the speedup.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.app import App, build_app
from bot.config import Config, DatabaseConfig, SafetyConfig
from bot.storage import store
from bot.transports.memory import MemoryTransport
from bot.types import Outbound
from flows.stepper import ProfileChange

TARGET = 1.4
TARGETS = {"pg_workers_speedup": (">=", TARGET)}
URL_ENV = "COACHBOT_BENCH_POSTGRES_URL"
WORKER_URL_ENV = "COACHBOT_BENCH_WORKER_URL"  # the schema's URL, handed to each worker
TEST_URL_ENV = "COACHBOT_TEST_POSTGRES_URL"  # the tests' server, used when no benchmark server is named
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FLOW = "pre_session"
ANSWERS = (  # the pre-session flow's first questions all take free text
    "I'd like to get better at delegating so I'm not the bottleneck for my team.",
    "We've doubled in size this year and I'm still approving everything myself.",
    "A plan for which decisions I can hand over first.",
    "If I leave with two or three things to try next week.",
    "I'd go home on time and the team would make calls without waiting for me.",
    "Some things might be done differently from how I'd do them, and that's uncomfortable.",
)
_REPO = Path(__file__).resolve().parents[1]


class Platform(MemoryTransport):
    """The in-memory transport, keeping nothing it is sent (nothing is delivered during the run anyway)."""

    async def send(self, message: Outbound) -> str | None:
        return None


def server_url() -> URL:
    return make_url(os.environ.get(URL_ENV) or os.environ.get(TEST_URL_ENV) or DEFAULT_URL)


def reachable(url: URL) -> str | None:
    """None when PostgreSQL answers at `url`; otherwise why not, in one line."""
    try:
        admin = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            admin.dispose()
    except ModuleNotFoundError as exc:
        return f"PostgreSQL driver {exc.name!r} not installed"
    except (SQLAlchemyError, ValueError) as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"PostgreSQL not reachable on {url.host or 'localhost'}:{url.port or 5432} ({first})"
    return None


def _seed(app: App, users: Sequence[str]) -> None:
    """Onboarded coachees with a chat each, every one asked the flow's first question."""
    now = datetime.now(UTC)
    onboarded = [ProfileChange(field="consent_store", value="yes"), ProfileChange(field="consent_share", value="yes"),
                 ProfileChange(field="timezone", value="Europe/London")]
    with app.db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=now)
        store.add_identity(conn, transport="memory", external_id="coach", coach_id=coach.id)
        for n, user in enumerate(users):
            coachee = store.add_coachee(conn, coach_id=coach.id, name=f"Coachee {n}", at=now)
            store.add_identity(conn, transport="memory", external_id=user, coachee_id=coachee.id)
            store.apply_profile(conn, coachee.id, onboarded)
            key = Platform().message(user, "-").key
            app.engine.start_flow_in(conn, coachee_id=coachee.id, flow=FLOW, key=key, now=now)


def worker(url: str, warmup: str, users: list[str], answers: int, threads: int) -> None:
    """One worker process: build the app, warm up, say "ready", wait for "go", then time its messages."""
    app = build_app(Config(database=DatabaseConfig(url=url), safety=SafetyConfig(model_threads=threads)),
                    migrate=False)
    platform = Platform()
    app.add_transport(platform)

    async def handle(user: str, n: int) -> None:  # message ids unique across workers: receipts de-duplicate
        await app.engine.handle(platform.message(user, ANSWERS[n], message_id=f"{user}:{n}"))

    asyncio.run(handle(warmup, 0))
    print("ready", flush=True)
    sys.stdin.readline()

    async def work() -> int:
        handled = 0
        for n in range(answers):
            for user in users:
                await handle(user, n)
                handled += 1
        return handled

    start, cpu = time.time(), time.process_time()
    handled = asyncio.run(work())
    end, cpu = time.time(), time.process_time() - cpu
    app.db.dispose()
    print(json.dumps({"start": start, "end": end, "messages": handled, "cpu": cpu}), flush=True)


def _machine_busy() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine since boot, on Linux."""
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def _throughput(url: str, shares: Sequence[tuple[str, list[str]]], answers: int) -> float:
    """Messages per second of these workers started together: (warm-up user, users) each."""
    workers = []
    threads = max(1, (os.cpu_count() or 1) // len(shares))  # each worker's share of the cores, as docs/ advise
    try:
        for warmup, users in shares:
            workers.append(subprocess.Popen(  # the URL by the environment: it may hold a password
                [sys.executable, "-m", "benchmarks.bench_pg_workers", "--worker", warmup, json.dumps(users),
                 str(answers), str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=_REPO,
                env={**os.environ, WORKER_URL_ENV: url}))
        for process in workers:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a worker failed to start")
        before = _machine_busy()
        for process in workers:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in workers:
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise RuntimeError(f"a worker exited with {process.returncode}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        after = _machine_busy()
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
    machine = "" if before is None or after is None or after[1] == before[1] else (
        f"; the machine {(after[0] - before[0]) / (after[1] - before[1]):.0%} busy")
    messages = sum(int(r["messages"]) for r in results)
    if messages != answers * sum(len(users) for _, users in shares):
        raise RuntimeError(f"workers handled {messages} messages, not all they were given")
    seconds = float(max(r["end"] for r in results)) - float(min(r["start"] for r in results))
    busy = ", ".join(f"{float(r['cpu']) / (float(r['end']) - float(r['start'])):.0%}" for r in results)
    print(f"  {len(shares)} worker(s): {messages / seconds:.0f} msgs/s over {seconds:.1f} s; each worker's own CPU "
          f"use {busy}{machine}", file=sys.stderr, flush=True)
    return messages / seconds


def _check(admin: Engine, schema: str, *, answers: int) -> None:
    """The runs did what they claim: an answer stored for every message, and no safety routing."""
    with admin.connect() as conn:
        stored = conn.execute(text(f'SELECT count(*) FROM "{schema}".answers')).scalar_one()
        events = conn.execute(text(f'SELECT count(*) FROM "{schema}".safety_events')).scalar_one()
    if stored != answers or events:
        raise RuntimeError(f"benchmark workload went wrong: {stored} answers for {answers} messages, "
                           f"{events} safety events")


def run(*, coachees: int = 1_000, answers: int = 6, rounds: int = 3) -> dict[str, float | None]:
    """1 worker on `coachees` coachees, then 2 workers on `coachees // 2` each, `answers` messages per coachee,
    `rounds` times over; the speedup of 2 workers over 1 and each one's median throughput."""
    cores = os.cpu_count() or 1
    url = server_url()
    why_not = reachable(url)
    if why_not is not None:
        print(f"pg_workers_speedup: skipped, {why_not}", file=sys.stderr)
        return {"pg_workers_speedup": None, "cores": cores}
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    schema = f"coachbot_bench_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        bench_url = url.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
        url_text = bench_url.render_as_string(hide_password=False)
        half = max(1, coachees // 2)
        # Per round: a warm-up coachee per worker (3), `coachees` for the single worker, 2 * half for the pair.
        plan = [(f"r{r}", [f"r{r}s{n}" for n in range(coachees)], [f"r{r}p{w}-{n}" for w in (0, 1)
                                                                    for n in range(half)]) for r in range(rounds)]
        app = build_app(Config(database=DatabaseConfig(url=url_text)))
        try:
            _seed(app, [u for r, single, pair in plan for u in (f"{r}w0", f"{r}w1", f"{r}w2", *single, *pair)])
        finally:
            app.db.dispose()
        one: list[float] = []
        two: list[float] = []
        for n, (r, single, pair) in enumerate(plan):
            for workers in (1, 2) if n % 2 == 0 else (2, 1):  # which goes first alternates
                if workers == 1:
                    one.append(_throughput(url_text, [(f"{r}w0", single)], answers))
                else:
                    two.append(_throughput(url_text, [(f"{r}w1", pair[:half]), (f"{r}w2", pair[half:])], answers))
        _check(admin, schema, answers=rounds * (3 + answers * (coachees + 2 * half)))
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": schema})
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return {
        "pg_workers_speedup": round(statistics.median(two) / statistics.median(one), 3),
        "pg_msgs_per_s_1_worker": round(statistics.median(one), 1),
        "pg_msgs_per_s_2_workers": round(statistics.median(two), 1),
        "cores": cores,
    }


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--worker":
        worker(os.environ[WORKER_URL_ENV], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        print(json.dumps(run()))
