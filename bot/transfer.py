"""A coachee moved to another coach by the operator: their whole history goes with them, and people are told.

The coachee's own rows are keyed by the coachee, so they follow at once; so does access, since every coach
command reads the caseload by coach. What was waiting in the outbox for the old coach about them (alerts,
notices) goes to the new coach instead, as the same rows; a digest waiting for the old coach is built afresh
for the new one (it names its coach). When the old coach is also the safeguarding contact who gets alerts, a
waiting alert stays with them as well.

Trust is the product, so nobody is moved silently: the coachee is told who their coach is now (unless they
have left the programme or have never talked to the bot, whose first words will name the new coach), the new
coach is told who joined their caseload and whether they are on a safety hold, and the old coach that the
coachee has gone. All in the caller's transaction, through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.digest import send_digest
from bot.storage import outbox as rows_store
from bot.storage import people, store
from bot.storage.records import NOTICE_PRIORITY, Coach, Coachee, unrouted_coach
from bot.types import Reply
from bot.wording import EngineWording
from flows.registry import FlowRegistry

__all__ = ["MoveRefused", "Moved", "move_coachee"]


class MoveRefused(ValueError):
    """A move that can't be made; the message says why in one line."""


class Moved(BaseModel):
    model_config = ConfigDict(frozen=True)

    coachee: Coachee  # as they are now
    old_coach: Coach
    new_coach: Coach
    readdressed: int  # waiting messages about them that now go to the new coach
    digests: int  # waiting digests built afresh for the new coach (none without a chat to send them to)
    told: tuple[str, ...]  # "coachee", "new coach", "old coach": who was sent a message
    new_coach_reachable: bool


def move_coachee(
    conn: Connection, *, coachee_id: int, coach_id: int, now: datetime, wording: EngineWording,
    flows: FlowRegistry, default_timezone: str, safeguarding: int | None,
) -> Moved:
    """`safeguarding`: the coach who gets every alert as well, if any."""
    coachee = store.get_coachee(conn, coachee_id)
    new_coach = store.get_coach(conn, coach_id)
    if coachee.coach_id == coach_id:
        raise MoveRefused(f"coachee {coachee.id} ({coachee.name}) is already coach {coach_id}'s")
    waiting = people.mail_for_coach(conn, coachee_id=coachee.id, coach_id=coachee.coach_id)
    coachee_before, old_coach = people.move_coachee(conn, coachee.id, coach_id=coach_id)
    coachee = store.get_coachee(conn, coachee.id)
    reachable = store.coach_address(conn, new_coach.id)
    to_new = reachable or unrouted_coach(new_coach.id)

    digests = [row_id for row_id, kind in waiting.items() if kind == "digest"]
    alerts = [row_id for row_id, kind in waiting.items() if kind == "alert"]
    rest = [row_id for row_id, kind in waiting.items() if kind not in ("digest", "alert")]
    people.readdress(conn, rest, to=to_new)
    people.readdress(conn, alerts, to=to_new, copy=old_coach.id == safeguarding)
    rebuilt = 0
    if digests:
        rows_store.delete_rows(conn, digests)
        # Built from what is stored, so none is lost when the new coach has no chat yet: they can ask for it.
        rebuilt = int(send_digest(conn, coachee_id=coachee.id, flows=flows, now=now,
                                  default_timezone=default_timezone, words=wording.digest) is not None)

    told = _tell(conn, coachee=coachee_before, new_coach=new_coach, old_coach=old_coach, now=now, wording=wording)
    return Moved(coachee=coachee, old_coach=old_coach, new_coach=new_coach, readdressed=len(rest) + len(alerts),
                 digests=rebuilt, told=told, new_coach_reachable=reachable is not None)


def _tell(conn: Connection, *, coachee: Coachee, new_coach: Coach, old_coach: Coach, now: datetime,
          wording: EngineWording) -> tuple[str, ...]:
    w = wording.moved
    names = {"name": coachee.first_name, "coachee": coachee.name, "coachee_id": coachee.id, "coach": new_coach.name,
             "old_coach": old_coach.name}
    told = []
    if coachee.status != "stopped" and store.conversation_of(conn, coachee.id) is not None:
        to = store.current_address(conn, coachee.id)
        assert to is not None
        # After whatever is waiting for them (which may name the old coach), not before it.
        store.add_outbox(conn, to=to, replies=[Reply(text=w.coachee.format(**names))], kind="notice", at=now,
                         coachee_id=coachee.id)
        told.append("coachee")
    status = {"hold": w.on_hold, "paused": w.paused}.get(coachee.status, "")
    to_new = store.coach_address(conn, new_coach.id) or unrouted_coach(new_coach.id)
    store.add_outbox(conn, to=to_new, replies=[Reply(text=(w.new_coach + status).format(**names))], kind="notice",
                     at=now, coachee_id=coachee.id, priority=NOTICE_PRIORITY)
    told.append("new coach")
    to_old = store.coach_address(conn, old_coach.id)
    if to_old is not None:
        store.add_outbox(conn, to=to_old, replies=[Reply(text=w.old_coach.format(**names))], kind="notice", at=now,
                         coachee_id=coachee.id, priority=NOTICE_PRIORITY)
        told.append("old coach")
    return tuple(told)
