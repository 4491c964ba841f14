"""/shared: a coachee sees which of their answers their coach can see, and changes any one of them.

Onboarding promises that they decide what their coach sees; this keeps the promise after the fact too, not only
at the review screen. Numbers follow the order answers were given, so a number stays put as new answers come in.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot.storage.shared_items import AnswerItem, answer_items, set_answer_shared
from bot.turn import TurnState
from bot.types import Reply
from bot.wording import SharedWording
from flows.registry import FlowRegistry

__all__ = ["SHOWN", "change_shared", "list_shared"]

log = logging.getLogger(__name__)

SHOWN = 15
"""The latest answers listed by a bare /shared; `/shared all` lists every one."""
_ONE_LINE = 70


def list_shared(turn: TurnState, *, words: SharedWording, flows: FlowRegistry, zone: ZoneInfo,
                everything: bool = False) -> None:
    coachee = turn.coachee
    assert coachee is not None
    names = {"name": coachee.first_name, "coach": turn.coach.name if turn.coach else ""}
    if coachee.consent_store is not True:
        turn.replies.append(Reply(text=words.not_kept.format(**names)))
        return
    items = [(number, item) for number, item in enumerate(answer_items(turn.conn, coachee.id), start=1)
             if item.text]
    if not items:
        turn.replies.append(Reply(text=words.nothing.format(**names)))
        return
    shown = items if everything else items[-SHOWN:]
    lines = [words.intro.format(**names) if coachee.consent_share else words.not_sharing.format(**names), ""]
    last_heading = None
    for number, item in shown:
        heading = words.run.format(title=_title(flows, item.flow), day=f"{item.created_at.astimezone(zone):%a %-d %b}")
        if heading != last_heading:
            lines.append(heading)
            last_heading = heading
        state = words.state_shared.format(**names) if item.shared and coachee.consent_share else words.state_private
        lines.append(words.item.format(number=number, label=_label(flows, item), text=_short(item.text or ""),
                                       state=state))
    if len(shown) < len(items):
        lines += ["", words.more.format(shown=len(shown), total=len(items))]
    lines += ["", words.how.format(example=shown[-1][0])]
    turn.replies.append(Reply(text="\n".join(lines)))


def change_shared(turn: TurnState, number_text: str, *, words: SharedWording, flows: FlowRegistry,
                  zone: ZoneInfo) -> None:
    """Flip one answer between shared and private; a coachee who chose to share nothing is told how to change
    that first, since sharing one answer wouldn't reach their coach."""
    coachee = turn.coachee
    assert coachee is not None
    names = {"name": coachee.first_name, "coach": turn.coach.name if turn.coach else ""}
    items = answer_items(turn.conn, coachee.id) if coachee.consent_store else []
    number = int(number_text) if number_text.isdigit() else 0
    if not 1 <= number <= len(items) or not items[number - 1].text:
        turn.replies.append(Reply(text=words.unknown.format(number=number_text[:12], **names)))
        return
    item = items[number - 1]
    if not coachee.consent_share and not item.shared:
        turn.replies.append(Reply(text=words.not_sharing.format(**names)))
        return
    set_answer_shared(turn.conn, coachee_id=coachee.id, answer_id=item.id, shared=not item.shared)
    template = words.now_private if item.shared else words.now_shared
    turn.replies.append(Reply(text=template.format(
        number=number, label=_label(flows, item), day=f"{item.created_at.astimezone(zone):%-d %b}", **names)))
    log.info("coachee %s changed whether their coach sees one answer", coachee.id)


def _title(flows: FlowRegistry, flow: str) -> str:
    return flows.spec(flow).title if flow in flows else flow


def _label(flows: FlowRegistry, item: AnswerItem) -> str:
    base = item.question.partition(".")[0]
    if item.flow in flows:
        try:
            return flows.spec(item.flow).state(base).heading
        except KeyError:
            pass
    return base.replace("_", " ").capitalize()


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _ONE_LINE else flat[: _ONE_LINE - 1].rstrip() + "…"
