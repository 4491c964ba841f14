"""The coach's digest: only what the coachee agreed to share, and a plain word where they kept something back."""

from __future__ import annotations

from sqlalchemy import Connection

from bot.storage import store
from flows.registry import FlowRegistry

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    return "".join(SPARK[min(7, max(0, round((v - 1) * 7 / 9)))] for v in values)


def render_digest(conn: Connection, *, coachee_id: int, flows: FlowRegistry) -> str:
    coachee = store.get_coachee(conn, coachee_id)
    coach = store.get_coach(conn, coachee.coach_id)
    lines = [f"# Digest for {coach.name}: {coachee.name}", ""]
    sessions = [s for s in store.list_sessions(conn, coachee_id=coachee_id) if s.status == "planned"]
    if sessions:
        lines += [f"Next session: {sessions[0].number}, {sessions[0].at:%A %d %B %Y %H:%M} UTC", ""]
    if coachee.status == "hold":
        lines += ["**Safety hold**: coaching is paused until you lift it.", ""]
    if not coachee.consent_store:
        lines.append("They chose not to have their answers kept, so there is nothing to show.")
        return "\n".join(lines) + "\n"
    everything = store.answers_of(conn, coachee_id)
    shared = [a for a in everything if a.shared]
    kept = len(everything) - len(shared)
    if not coachee.consent_share:
        lines.append("They chose not to share their answers with you.")
        return "\n".join(lines) + "\n"
    if not shared:
        lines.append("Nothing shared yet.")
    for answer in shared:
        lines.append(f"- **{_title(flows, answer.flow, answer.question)}** ({answer.created_at:%d %b}): {answer.text}")
    if kept:
        lines += ["", f"They kept {kept} answer{'s' if kept != 1 else ''} private."]
    history = [value for _, value in store.scale_history(conn, coachee_id)]
    if history:
        lines += ["", f"Scaling: {' → '.join(map(str, history))}  {sparkline(history)}"]
    return "\n".join(lines) + "\n"


def _title(flows: FlowRegistry, flow: str, question: str) -> str:
    """The short heading the coachee saw in their review ("Goal", "Scaling"), not the question's wording."""
    if flow in flows:
        try:
            return flows.spec(flow).state(question.split(".")[0]).heading
        except KeyError:
            return question
    return question
