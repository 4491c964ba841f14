"""The operations HTTP server: /healthz, /readyz and /metrics on [http] listen:port, under `coachbot run` beside a
platform. More pages (the coach web view) join the same server with `add_routes` before it starts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from aiohttp import web

from bot.config import HttpConfig
from bot.ops.metrics import Metrics
from bot.ops.readiness import Readiness
from bot.transports.http import bound_port

__all__ = ["OpsServer"]

log = logging.getLogger(__name__)

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
"""Prometheus' text format, which every Prometheus version reads (and which generate_latest writes)."""


class OpsServer:
    def __init__(self, config: HttpConfig, *, readiness: Readiness, metrics: Metrics) -> None:
        self.config = config
        self.readiness = readiness
        self.metrics = metrics
        self._extra: list[web.AbstractRouteDef] = []
        self._runner: web.AppRunner | None = None

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        """Serve more pages on this server (e.g. `web.get("/coach/...", handler)`); only before `start`."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the HTTP server starts")
        self._extra.extend(routes)

    def application(self) -> web.Application:
        """The aiohttp application with every route, for `start` and for tests."""
        server = web.Application()
        server.add_routes([web.get("/healthz", self._healthz), web.get("/readyz", self._readyz),
                           web.get("/metrics", self._metrics), *self._extra])
        return server

    async def start(self) -> None:
        runner = web.AppRunner(self.application(), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.config.listen, self.config.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("http: health, readiness and metrics on http://%s:%s", self.config.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        """The bound port (the config may ask for 0: any free port)."""
        return bound_port(self._runner, self.config.port)

    async def _healthz(self, _request: web.Request) -> web.Response:
        """The process is up and its event loop answers; nothing else is looked at."""
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        report = await self.readiness.report()
        body = {"status": "ok" if report.ready else "unavailable",
                "checks": {name: check.model_dump() for name, check in report.checks.items()}}
        return web.json_response(body, status=200 if report.ready else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = await asyncio.to_thread(self.metrics.exposition)  # the gauges read the database
        return web.Response(body=body, headers={"Content-Type": TEXT_FORMAT})
