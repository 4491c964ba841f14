"""The terminal chat: numbered buttons, labels, EOF and /quit."""

from __future__ import annotations

import io
import stat
from pathlib import Path

from bot.transports.console import ConsoleTransport
from bot.types import Attachment, Button, ConversationKey, InboundMessage, Outbound, Reply


async def _run(lines: str, *, show: Reply | None = None) -> tuple[list[InboundMessage], str]:
    out = io.StringIO()
    console = ConsoleTransport(user="me", display_name="Me", stdin=io.StringIO(lines), stdout=out)
    if show is not None:
        await console.send(Outbound(key=ConversationKey(transport="console", user="me", chat="me"), reply=show,
                                    outbox_id=1))
    got: list[InboundMessage] = []

    async def handler(msg: InboundMessage) -> None:
        got.append(msg)

    await console.start(handler)
    return got, out.getvalue()


YES_NO = Reply(text="Shall we?", buttons=(Button(label="Yes", payload="f:s:yes"), Button(label="No", payload="f:s:no")))


async def test_buttons_show_as_numbered_options_and_number_or_label_press_them() -> None:
    got, out = await _run("2\nyes\nsomething else\n", show=YES_NO)
    assert "1) Yes   2) No" in out
    assert [(m.text, m.payload) for m in got] == [(None, "f:s:no"), (None, "f:s:yes"), ("something else", None)]


async def test_eof_and_quit_end_the_chat() -> None:
    got, _ = await _run("one\n/quit\nnever read\n")
    assert [m.text for m in got] == ["one"]
    got, _ = await _run("")
    assert got == []


async def test_messages_for_someone_else_are_labelled() -> None:
    out = io.StringIO()
    console = ConsoleTransport(user="me", display_name="Me", stdin=io.StringIO(""), stdout=out)
    await console.send(Outbound(key=ConversationKey(transport="console", user="coach", chat="coach"),
                                reply=Reply(text="Safety alert"), outbox_id=1))
    assert out.getvalue().startswith("[to coach]\nSafety alert")


async def test_each_line_gets_its_own_message_id() -> None:
    got, _ = await _run("a\na\n")
    assert len({m.message_id for m in got}) == 2


SCALE_OR_NOT_NOW = Reply(text="On a scale of 1 to 10?", buttons=(
    *(Button(label=str(n), payload=f"c:s:{n}") for n in range(1, 11)), Button(label="Not now", payload="c:s:not now")))


async def test_under_a_scale_a_number_is_the_reading_never_the_button_in_that_place() -> None:
    got, out = await _run("11\n3\nnot now\n", show=SCALE_OR_NOT_NOW)
    assert "1) 1" not in out and "Not now" in out
    # "11" goes to the flow as typed, which says it is out of range; "3" presses 3; the label still works
    assert [(m.text, m.payload) for m in got] == [("11", None), (None, "c:s:3"), (None, "c:s:not now")]


async def test_a_file_for_the_person_is_written_where_they_are_private_and_never_over_another(tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleTransport(user="me", display_name="Me", stdin=io.StringIO(""), stdout=out, save_to=tmp_path)
    data = Reply(text="Here is everything I keep about you.",
                 attachment=Attachment(filename="coachbot-my-data.json", media_type="application/json", data=b"{}"))
    for _ in range(2):
        await console.send(Outbound(key=ConversationKey(transport="console", user="me", chat="me"), reply=data,
                                    outbox_id=1))
    first, second = tmp_path / "coachbot-my-data.json", tmp_path / "coachbot-my-data-2.json"
    assert first.read_bytes() == b"{}" and second.read_bytes() == b"{}"
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert str(first) in out.getvalue() and str(second) in out.getvalue()


async def test_someone_elses_chart_is_named_with_its_alt_text_and_not_written(tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleTransport(user="me", display_name="Me", stdin=io.StringIO(""), stdout=out, save_to=tmp_path)
    chart = Attachment(filename="scaling.png", media_type="image/png", data=b"\x89PNG",
                       alt_text="Scaling chart, 1 to 10, 1 reading: 4 on 19 Nov (pre-session).")
    await console.send(Outbound(key=ConversationKey(transport="console", user="coach", chat="coach"),
                                reply=Reply(text="# Digest", attachment=chart), outbox_id=1))
    assert "[attachment: scaling.png] Scaling chart, 1 to 10, 1 reading: 4 on 19 Nov (pre-session)." in out.getvalue()
    assert list(tmp_path.iterdir()) == []
