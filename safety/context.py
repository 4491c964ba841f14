"""Elliptical follow-ups read against the coachee's earlier turns.

"I have them here" after talk of tablets is means at hand; "tonight" after ideation is a plan
with a time; "I've done it" after talk of overdose is an act done. Alone, the same short
messages mean nothing, so these rules only fire with that context. Bot turns are ignored:
answers to the bot's own safety question are routed from conversation state, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from safety.lexicon import MEANS, TIME

__all__ = ["ContextFacts", "follow_up_rules"]


@dataclass(frozen=True, slots=True)
class ContextFacts:
    """What the coachee's earlier turns established."""

    means: bool = False
    """They talked about tablets, pills, a rope, a knife or overdose as a risk (not as a topic)."""
    ideation: bool = False
    """An earlier turn screened crisis or above for their own risk."""

    @property
    def any(self) -> bool:
        return self.means or self.ideation


MEANS_MENTION = re.compile(rf"\b(?:{MEANS}|overdos\w*|od)\b")
"""Means words in an earlier turn (used by the screener to build `ContextFacts`)."""

_MEANS_HERE = re.compile(
    r"\b(?:i have|i have got|i got|got|i am holding|holding|i bought|bought|i have bought|i picked up|picked up"
    r"|i collected|i have saved|saved|"
    r"i have kept|kept|i have hidden|hidden|i have)(?: (?:got|still|already|all|just|bought|saved|kept"
    r"|hidden))? (?:them|it|those|these|some|enough|loads|plenty|the lot|a few|lots|more|a box|a packet|a bottle)"
    r"(?: \w+){0,2}? ?(?:here|right here|with me|on me|ready|now|in my \w+|next to me|in front of me|in the \w+"
    r"|at home|upstairs|hidden|saved up|counted out)?"
    r"(?=\s*(?:$|[.,!?;]|\.\.\.|and|right now|now|tonight))"
    r"|\b(?:they are|it is|they re|theyre|its|both are|all are) (?:all |just |already )?(?:here|right here|with me"
    r"|in my \w+|next to me|in front of me|on the \w+|"
    r"in the \w+|at home|upstairs|ready|counted out|lined up|in my hand)"
    r"|^(?:(?:yes|yeah|yep|ye) )?,? ?(?:in|on|under) (?:my|the) \w+(?: \w+)?\s*[.!]*$"
)
_DONE = re.compile(
    r"\b(?:i have|i|already|just|i already|i have already|i have just) (?:just |already )?(?:done it|did it"
    r"|taken them|took them|swallowed them|"
    r"taken it|took it|taken (?:some|loads|all of them|the lot|them all|a lot|too many|all)|done that"
    r"|gone through with it|cut|started)\b"
    r"|\bit is done\b|\btoo late\b|\balready (?:done|taken|started|gone)\b|\bit is happening\b"
)
_VEILED_INTENT = re.compile(
    r"\b(?:going to|gonna|will|about to|ready to|decided to|i am going to|want to) (?:\w+ )?(?:do it"
    r"|go through with it|end it|use them|take them)\b"
)
_TIME = re.compile(rf"\b{TIME}\b")
_SHORT = 12


def follow_up_rules(current: str, facts: ContextFacts) -> tuple[str, ...]:
    """Ids of the follow-up rules the normalised `current` message fires, given earlier turns."""
    if not facts.any:
        return ()
    fired: list[str] = []
    if facts.means and _MEANS_HERE.search(current):
        fired.append("context.means_at_hand")
    if facts.ideation and len(current.split()) <= _SHORT and _TIME.search(current):
        fired.append("context.plan_time")
    if _DONE.search(current) and len(current.split()) <= _SHORT:
        fired.append("context.act_done")
    if facts.ideation and _VEILED_INTENT.search(current):
        fired.append("context.veiled_intent")
    return tuple(fired)
