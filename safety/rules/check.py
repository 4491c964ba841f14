"""Ambiguous signals (check): pause and ask directly, as the C-SSRS screener does.

"What's the point", "I'm done", veiled statements. Hedged negation ("I wouldn't do anything...
probably") also lands here, through the negation step rather than a rule of its own.
"""

from __future__ import annotations

from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_K = Tier.CHECK
_SELF = Subject.SELF
_ALONE = r"(?=\s*(?:$|[.!?]|\.\.\.))"

RULES: tuple[Rule, ...] = (
    rule(
        "check.whats_the_point",
        _K,
        r"(?:what is|whats) (?:even |really |actually )?the point(?=\s*(?:$|[.!?,]|\.\.\.|anymore|any more|even|really|honestly|of it|of anything|in anything|of it all|in trying|of trying|of any of it|of any of this|in any of it))"
        r"|(?:there is|there s|i see|see|there is just|there really is) no point(?=\s*(?:$|[.!?]|\.\.\.|anymore|any more|in anything|in trying|to anything|to any of it|in any of it))"
        r"|(?:do not|can not) see the point(?=\s*(?:$|[.!?]|\.\.\.|anymore|any more|of anything|in anything))",
        subject=_SELF,
    ),
    rule(
        "check.im_done",
        _K,
        r"(?:i am|am|i m) (?:so |just |completely |totally |fully |honestly |really |actually |literally )*(?:done|finished|over it)"
        r"(?=\s*(?:$|[.!?]|\.\.\.|with (?:it all|everything|all of it|this life|this world|everyone|people|trying|all this|life|living|fighting)|now\s*(?:$|[.!?])))"
        r"|(?:just|so) done(?=\s*(?:$|[.!?]|\.\.\.))",
        subject=_SELF,
    ),
    rule(
        "check.give_up",
        _K,
        r"(?:i|i just|i think i|ready to|going to|want to|about to) (?:\w+ )?give up(?=\s*(?:$|[.!?]|\.\.\.|on everything|on it all|now|completely|for good))"
        r"|(?:given|giving) up(?=\s*(?:$|[.!?]|\.\.\.|on everything|completely))",
        subject=_SELF,
    ),
    rule(
        "check.decision_made",
        _K,
        rf"(?:made|make|making) (?:my|a|the|up my) (?:decision|mind|mind up|choice){_ALONE}|(?:my )?mind is made up{_ALONE}",
        subject=_SELF,
    ),
    rule(
        "check.tired_of_everything",
        _K,
        r"(?:tired|sick|exhausted|weary|fed up) of (?:everything|it all|all of it|fighting|trying|being me|being here|feeling like this|this life|the struggle|all this|everyone|people|this world)"
        r"(?=\s*(?:$|[.!?,]|\.\.\.|now|anymore|any more|and|honestly))",
        subject=_SELF,
    ),
    rule(
        "check.veiled_act",
        _K,
        r"(?:do|doing|did) (?:something|anything) (?:stupid|silly|drastic|daft|dumb|i (?:would|will) regret|permanent|crazy|rash|final)"
        r"|(?:going to|gonna|will|would|might) do (?:anything|something)(?=\s*(?:$|[.!?]|\.\.\.))"
        r"|(?:act|acting) on (?:it|them|the thoughts|these thoughts|my thoughts)|(?:go|going) through with it"
        r"|it will not matter (?:soon|much longer|anyway|after)|soon it will not matter|(?:it does not|nothing will) matter (?:soon|anymore|any more|after (?:tonight|this))",
        subject=_SELF,
    ),
    rule(
        "check.hedged_denial",
        _K,
        r"(?:would|will|going to|gonna|am going to) (?:not|never) do (?:anything|something|it)(?: (?:stupid|silly|drastic|daft|dumb))?"
        r"(?: (?:\w+|,|\.\.\.)){0,4}? (?:probably|i do not think|i think|maybe|i hope|not yet|at least not|i guess|hopefully|i doubt it)\b",
        subject=_SELF,
        negatable=False,
    ),
    rule(
        "check.not_worth_it",
        _K,
        r"(?:is it|it is not|is not|it s not|it isnt|none of it is|any of it is) (?:all |even |really )*worth it(?=\s*(?:$|[.!?]|\.\.\.|anymore|any more|any longer))"
        r"|wonder (?:if|whether) (?:it is|any of (?:it|this) is|this is|it s|life is) (?:all |even |really )*worth (?:it|living|the effort)",
        subject=_SELF,
    ),
    rule(
        "check.long_sleep",
        _K,
        r"sleep for (?:a |a very |a really |such a )?(?:long time|very long time|long long time|a week and not|days and days)(?! (?:tonight|this weekend|on holiday|after)\b)",
        subject=_SELF,
    ),
    rule(
        "check.nobody_would_notice",
        _K,
        rf"(?:nobody|no one|noone|no body) (?:would |will |even |really |actually )*(?:notice|care|cares|notices|miss me|misses me){_ALONE}"
        r"|(?:nobody|no one|noone) (?:would |will )?(?:even )?(?:notice|care) (?:anyway|about me)",
        subject=Subject.ANY,
    ),
    rule(
        "check.dont_care",
        _K,
        r"(?:i|i just|i honestly|i really) (?:do not|no longer|can not|could not) care (?:anymore|any more|about anything|about myself|what happens)(?=\s*(?:$|[.!?,]|\.\.\.|to me))"
        r"|(?:whatever happens happens|what will be will be|does not matter what happens to me)",
        subject=_SELF,
    ),
    rule(
        "check.kill_me_now",
        _K,
        r"(?:just |please |someone |somebody |somebody please |someone please )kill me(?: now| already)?(?=\s*(?:$|[.!?,]|lol|haha|\.\.\.))|kill me now|shoot me now|end me(?=\s*(?:$|[.!?,]|lol|now))",
        subject=Subject.ANY,
        soft=True,
    ),
    rule(
        "check.kill_yourself",
        _K,
        r"kill yourself|go die|you should die",
        subject=Subject.ANY,
    ),
    rule(
        "check.run_away",
        _K,
        r"(?:want|wish|like|need|going) (?:\w+ ){0,2}?to (?:run away|get away|escape) (?:and never come back|forever|from everything|from it all|from life|from my life|for good)"
        r"|(?:just )?(?:disappear|vanish)(?=\s*(?:$|[.!?]|\.\.\.))",
        subject=_SELF,
    ),
)

FALLBACK: tuple[Rule, ...] = (
    rule(
        "check.risk_word",
        _K,
        r"\b(?:suicide|suicidal|overdose|overdosing|self harm|self harming|kill myself|noose|slit my|my wrists)\b",
        subject=_SELF,
    ),
)
"""Bare risk words no other rule explained: only evaluated when nothing else fired."""
