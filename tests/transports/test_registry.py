"""A new platform lands in bot/transports/ alone: this one is registered from the test, and the bot takes it in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.app import add_platforms, build_app
from bot.config import Config
from bot.storage import store
from bot.transports.base import TransportSetupError
from bot.transports.memory import MemoryTransport
from bot.transports.registry import JoinHint, TransportEntry, build_enabled, entries, registered, title_of
from bot.wording import EngineWording
from tests.conftest import MarkerScreener


@dataclass
class Switch:
    on: bool = True


def pigeon_entry(switch: Switch, built: list[MemoryTransport]) -> TransportEntry:
    def build(_config: Config, _words: EngineWording) -> MemoryTransport:
        transport = MemoryTransport("pigeon")
        built.append(transport)
        return transport

    return TransportEntry(name="pigeon", title="Pigeon Post", enabled=lambda _c: switch.on, build=build,
                          join=lambda _c, code: JoinHint(platform="Pigeon Post", message=f"coo {code}"))


async def test_a_registered_platform_is_built_delivered_to_and_named_in_invites(
    config: Config, screener: MarkerScreener
) -> None:
    built: list[MemoryTransport] = []
    with registered(pigeon_entry(Switch(), built)):
        app = build_app(config, screener=screener)
        add_platforms(app)
        [pigeon] = built
        assert app.transports == {"pigeon": pigeon}
        with app.db.begin() as conn:
            coach = store.add_coach(conn, name="Alex Coach", at=app.engine.clock())
            store.add_identity(conn, transport="pigeon", external_id="c1", coach_id=coach.id)
        await pigeon.start(app.engine.handle)
        await pigeon.receive(pigeon.message("c1", "/invite"))
        await app.outbox.deliver_due()
        [invite] = pigeon.texts_to("c1")
        code = invite.split("A new invite code: ")[1].split()[0]
        assert f'On Pigeon Post they send the bot "coo {code}"' in invite
        assert "Telegram" not in invite and "Slack" not in invite  # only the platforms switched on

        await pigeon.receive(pigeon.message("newbie", f"/start {code}", name="Kim Lee"))
        await app.outbox.deliver_due()
        assert "Hello Kim" in " ".join(pigeon.texts_to("newbie"))
        assert title_of("pigeon") == "Pigeon Post"
        app.engine.close()
        app.db.dispose()
    assert "pigeon" not in {e.name for e in entries()}  # gone with the block


def test_a_platform_switched_off_is_not_built(config: Config) -> None:
    built: list[MemoryTransport] = []
    with registered(pigeon_entry(Switch(on=False), built)):
        assert build_enabled(config, EngineWording.load()) == []
    assert built == []


def test_a_platform_that_cant_start_is_named_in_the_one_line(config: Config) -> None:
    def broken(_config: Config, _words: EngineWording) -> MemoryTransport:
        raise TransportSetupError("the loft is locked")

    with registered(TransportEntry(name="pigeon", title="Pigeon Post", enabled=lambda _c: True, build=broken)), \
            pytest.raises(TransportSetupError, match=r"^pigeon: the loft is locked$"):
        build_enabled(config, EngineWording.load())


def test_two_platforms_cant_share_a_name() -> None:
    with pytest.raises(ValueError, match="registered already"), registered(pigeon_entry(Switch(), [])), \
            registered(pigeon_entry(Switch(), [])):
        pass
    assert "pigeon" not in {e.name for e in entries()}
