"""Hopelessness and feeling a burden: strong predictors of suicide risk (crisis)."""

from __future__ import annotations

from safety.lexicon import ADV
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_SELF = Subject.SELF

RULES: tuple[Rule, ...] = (
    rule(
        "hopelessness.hopeless",
        _C,
        r"(?:hopeless|hopelessness|despair|despairing|in despair)(?! (?:at|with|when it comes to|in the kitchen|romantic|case)\b)",
        subject=_SELF,
    ),
    rule(
        "hopelessness.no_hope",
        _C,
        r"(?:there is|there are|i have|i see|i have got|i feel|got|have) (?:\w+ )?no (?:hope|future|light at the end)(?! (?:of|for) (?:the|this|that|our|getting|a)\b| (?:in|with|at|here) )"
        r"|no hope (?:left|for me|anymore|any more|at all)|lost (?:all )?(?:hope|my hope|the will to live|will to live)|(?:given|giving|give) up (?:all )?hope"
        r"|no (?:will|desire|reason) to (?:live|go on|carry on|keep going)|(?:do not|can not|can no longer|never) see (?:a|any|my) future(?! (?:in|at|with) (?:this|the|my|nursing|medicine)\b)"
        r"|no future (?:for me|ahead of me|at all)(?=\s*(?:$|[.,!?;]|\.\.\.|and|anymore))"
        r"|(?:nothing|things|it|life) (?:is |are )?(?:ever )?(?:going to|will|will ever|is ever going to|are never going to|is never going to) (?:\w+ )?(?:get better|change|improve)(?=\s*(?:$|[.,!?;]|\.\.\.|for me|and|anyway|ever))"
        r"|(?:never|not) (?:going to|gonna) get (?:any )?better"
        r"|(?:it|things|life) (?:will|is going to|are going to) (?:never|not ever) (?:get better|change|improve)",
        subject=_SELF,
    ),
    rule(
        "hopelessness.no_way_out",
        _C,
        r"(?:can not|do not|could not|can no longer) see (?:a|any|the) (?:way out|way forward|point anymore|point any more|point in (?:living|life|anything|going on|carrying on|trying anymore)|end to (?:this|it|the pain)|light)"
        r"|(?:no|the only) (?:other )?way out(?! (?:of (?:the|this|my) (?:car park|building|meeting|contract|job|role|rota|post|trust|band|situation at work))\b)"
        r"|(?:trapped|stuck) (?:\w+ ){0,3}?(?:no way out|no escape|forever|with no way out|and can not get out)",
        subject=_SELF,
    ),
    rule(
        "hopelessness.burden",
        _C,
        rf"(?:am|feel like|feel|being|just|such|only|nothing but|becoming|become|always) (?:{ADV} )*(?:a |an |such a |one big |a massive |a huge )?(?:\w+ )?burden(?! (?:of|on the (?:service|system|nhs|budget))\b)"
        r"|(?:burden|drain|weight|inconvenience) (?:to|on|for) (?:everyone|everybody|my (?:family|team|kids|children|partner|husband|wife|friends|colleagues|mum|dad|parents)|them|you|people|others|the team|all of you)"
        r"|waste of (?:space|oxygen|air|a life|skin|time and space|a human|a person)"
        rf"|(?:i am|i feel|feel|feeling|am|so|completely|totally|utterly) (?:{ADV} )*worthless",
        subject=_SELF,
    ),
    rule(
        "hopelessness.given_up",
        _C,
        r"(?:given|giving|give|gave) up on (?:life|living|everything|myself|me|the world)|(?:given|giving|give|gave) up (?:life|living|trying to live|the will to live)"
        r"|(?:life|living|my life|existing|being alive|being here) (?:is|feels|seems|just feels) (?:so |completely |totally |utterly |just |pretty )?(?:pointless|meaningless|worthless|empty|not worth it|a waste of time)(?! (?:at|in) (?:work|the office)\b)"
        r"|nothing (?:really )?(?:matters|is worth it|feels worth it)(?: (?:anymore|any more|to me|now))?(?=\s*(?:$|[.,!?;]|\.\.\.|and|but|anymore))"
        r"|(?:do not|no longer|not|stopped|could not|can not) (?:\w+ )?care (?:about anything|about myself|what happens to me|if i (?:live|die|wake up|am here|get hurt|do not wake up|survive)|whether i (?:live|die|wake up))"
        r"|(?:hate|hating|sick of|tired of|done with) (?:my )?(?:life|living|being alive|existing|everything about my life)(?=\s*(?:$|[.,!?;]|\.\.\.|and|but|so|right now|at the moment))"
        r"|(?:what is|whats) the point (?:of|in) (?:(?:me|my) )?(?:living|life|being alive|going on|carrying on|existing|me|being here|anything anymore|anything any more|it all anymore|trying anymore|waking up)"
        r"|(?:do not|can not) see the point (?:of|in) (?:living|life|anything|going on|carrying on|being alive|existing|waking up)",
        subject=_SELF,
    ),
)
