"""The small HTTP server a transport serves its platform's callbacks on (Slack's events, Telegram's webhook)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve(path: str, handler: Handler, *, listen: str, port: int, max_body: int | None = None) -> web.AppRunner:
    """POST `path` on listen:port; a body over `max_body` bytes is refused (413) as it is read."""
    server = web.Application(client_max_size=max_body) if max_body is not None else web.Application()
    server.router.add_post(path, handler)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    return runner


def bound_port(runner: web.AppRunner | None, configured: int) -> int:
    """The port actually bound (the configured one may be 0: any free port)."""
    if runner is not None:
        for address in runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
    return configured
