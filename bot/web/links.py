"""Where the web view is reached from outside: the start of every link sent in chat, and whether it is https."""

from __future__ import annotations

from bot.config import Config

__all__ = ["SIGNIN_PATH", "is_https", "public_base", "signin_link"]

SIGNIN_PATH = "/coach/signin"


def public_base(config: Config) -> str:
    """`[web] public_url`, or the [http] server's own address when that is empty."""
    return config.web.public_url or f"http://{config.http.listen}:{config.http.port}"


def is_https(config: Config) -> bool:
    """Cookies get `Secure` when the address coaches use is https (a proxy in front may end TLS)."""
    return public_base(config).startswith("https://")


def signin_link(config: Config, token: str) -> str:
    return f"{public_base(config)}{SIGNIN_PATH}/{token}"
