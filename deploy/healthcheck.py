"""The container's health check: GET /healthz on the [http] server, exit 0 if it answers 200, else 1.

Plain standard library, so the image needs no curl. The port is the one coachbot listens on: COACHBOT_HTTP__PORT
(the same variable the config reads), else the built-in default.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PORT = 8080
PATH = "/healthz"
TIMEOUT = 4.0


def main() -> int:
    port = os.environ.get("COACHBOT_HTTP__PORT") or str(DEFAULT_PORT)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if not healthy:
        print(f"unhealthy: {url}: HTTP {response.status}", file=sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
