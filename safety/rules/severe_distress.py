"""Severe distress: voices, seeing things, paranoia, not eating or sleeping for days (crisis)."""

from __future__ import annotations

from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_SELF = Subject.SELF

_DAYS = (
    r"(?:(?:in|for|over|since) (?:the )?(?:(?:last|past) )?(?:(?:\d+|a|two|three|four|five|six|seven|few|couple of|several|many|like|over|about|nearly|almost) )*"
    r"(?:days|day|a week|weeks|week|nights in a row|48 hours|72 hours|\d+ hours)"
    r"|since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend|last week))"
)

RULES: tuple[Rule, ...] = (
    rule(
        "severe_distress.voices",
        _C,
        r"(?:hear|hearing|heard|hears) (?:\w+ ){0,2}?voices(?! (?:of|from) (?:the|my|our|staff|patients|colleagues|people|service users)\b)"
        r"|voices (?:in my head|keep|are telling|tell me|telling me|say|saying|told me|that tell me|that say|that nobody else|that no one else|when no one)"
        r"|(?:hearing|hear|heard) (?:things|noises|whispers|whispering|someone) (?:that (?:are not|were not|is not|no one else|nobody else)|no one else (?:can )?hears?|when (?:no one|nobody|there is no one))"
        r"|(?:hearing|hear|heard|hears) (?:someone|people|a voice|voices|things|somebody) (?:\w+ ){0,2}?(?:whisper|whispering|talking|talk|say|saying|call|calling|shout|shouting)(?: (?:\w+ )?my name| to me| at me| about me)"
        r"|(?:the )?voices (?:are|have|s) (?:\w+ )?(?:back|returned|come back|started again|getting (?:worse|louder)|louder|worse)|(?:hearing|hear|heard) (?:the )?voices again"
        r"|(?:i am|been|keep|started) hearing things(?! (?:about|from|on|at)\b)",
        subject=_SELF,
    ),
    rule(
        "severe_distress.seeing_things",
        _C,
        r"(?:seeing|see|seen|saw) (?:\w+ )?(?:things|people|shadows|faces|figures|someone|bugs|insects) (?:that|which|who)? ?(?:are not|were not|is not|nobody else can|no one else can|others can not|that are not|that are not really) ?(?:there|real|see)"
        r"|(?:nothing|everything|the world|i) (?:\w+ )?(?:feels?|seems?|look|looks) (?:so )?(?:unreal|not real|fake)|(?:do not|does not) feel real(?! (?:yet|until)\b)"
        r"|(?:watching|watch) myself from (?:outside|above)|(?:i am|i feel|feel like i am) not (?:really )?(?:real|in my body|here)(?=\s*(?:$|[.,!?;]|anymore|and))",
        subject=_SELF,
    ),
    rule(
        "severe_distress.paranoia",
        _C,
        r"(?:people|everyone|they|colleagues|someone|somebody|staff|everybody|(?:my|the|our) \w+|mi5|the police) "
        r"(?:at work |on the ward |on my team )?(?:are|is|keep|keeps|have been|has been) (?:\w+ )?(?:plotting|conspiring|out to get me|reading my (?:mind|thoughts)|poisoning me|listening to my thoughts|controlling my (?:mind|thoughts|body)|putting thoughts)"
        r"|(?:they|people|someone|somebody|everyone|the government|mi5|the police|the neighbours|strangers) (?:are|is|keep|keeps|have been|has been) (?:\w+ )?(?:spying on me|following me|watching me|tracking me|listening to me)"
        r"|(?:someone|something|they|people|he|she|the \w+) (?:is |are |keeps |keep |can |could )?(?:reading|read|control|controlling|stealing|steal|putting|inserting|broadcasting|hear|hearing) (?:\w+ )?my (?:thoughts|mind)"
        r"|my (?:thoughts|mind) (?:is|are) being (?:read|controlled|broadcast|stolen|hacked)|thoughts (?:that are not|that are not really|which are not) mine"
        r"|(?:cameras|the tv|the telly|the radio|my phone|the microwave|the walls|implants?|chip) (?:\w+ ){0,2}?(?:is |are )?(?:watching|talking to|sending (?:me )?(?:messages|signals)|spying on|controlling) me"
        r"|(?:being|am being|been) (?:watched|followed|monitored|tracked|recorded) (?:all the time|constantly|everywhere|at home|by them|by cameras|through)",
        subject=_SELF,
    ),
    rule(
        "severe_distress.not_eating_for_days",
        _C,
        rf"(?:have not|had not|not|did not|can not|could not|barely|hardly|unable to|been unable to|have been unable to|no|nothing to|not been able to|have not been able to|not able to) "
        rf"(?:\w+ ){{0,2}}?(?:eaten|eat|eating|food|ate)(?: or (?:slept|sleep|sleeping|drunk|drank|drink))?(?: \w+){{0,3}}? {_DAYS}"
        rf"|(?:stopped|stop) eating(?: \w+){{0,2}}? {_DAYS}|(?:starving|starve) myself",
        subject=_SELF,
        negatable=False,
    ),
    rule(
        "severe_distress.not_sleeping_for_days",
        _C,
        r"(?:have not|had not|not|did not|can not|could not|unable to|been unable to|have been unable to|not been able to|have not been able to|not able to|no) "
        r"(?:\w+ ){0,2}?(?:slept|sleep|sleeping)(?: or (?:eaten|eat|eating|ate))?(?! (?:properly|well|much|great|brilliantly|enough|right|very well|that well|the best|a full night|through)\b)(?: (?!properly|well|much|great|enough)\w+){0,3}? "
        r"(?:in|for|over) (?:the )?(?:(?:last|past) )?(?:(?:\d+|two|three|four|five|six|seven|few|couple of|several|like|over|about|nearly|almost) )*(?:days|day|nights in a row|48 hours|72 hours)"
        r"|(?:awake|up) (?:for )?(?:\d+|two|three|four|five) (?:days|nights) (?:straight|in a row|now)",
        subject=_SELF,
        negatable=False,
    ),
    rule(
        "severe_distress.scared_of_myself",
        _C,
        r"(?:scared|afraid|frightened|terrified|worried|petrified|panicking) (?:of |about )?what i (?:might|will|could|would|am going to|am capable of) (?:do|doing)(?! (?:at|in|for|with) (?:work|the|my|this|interview|appraisal|meeting)\b)"
        r"|(?:scared|afraid|frightened|terrified|worried|petrified) (?:that )?(?:i will|i might|i could|i am going to|i would) (?:\w+ )?do (?:something|anything) (?:to myself|stupid|silly|drastic|i can not take back|i will regret|i would regret|dangerous|bad to myself)"
        r"|(?:do|doing) something (?:to myself|drastic to myself)"
        r"|(?:do not|can not|could not|no longer) trust myself (?:(?:around|near|with|alone with) (?:the |my |those |any )?(?:tablets|pills|meds|medication|knives|knife|blades?|razors?|car|being alone)|alone|to (?:stay|keep myself|be) safe|not to (?:do|hurt|act))",
        subject=_SELF,
    ),
    rule(
        "severe_distress.dark_place",
        _C,
        r"(?:in|into|to) (?:a |such a )?(?:really |very |so |pretty |quite |dark )?(?:dark|black|very dark|horrible dark|scary) (?:place|hole|pit|tunnel)(?! (?:for|of) (?:the|a) (?:team|ward|project)\b)"
        r"|dark (?:thoughts|thinking|urges|feelings)|dead inside|(?:feel|feeling|felt) (?:completely |totally |so )?(?:empty|numb) (?:inside )?(?:all the time|and|every day|constantly|,)? ?(?:like nothing matters|nothing matters|i do not care|i can not feel anything)",
        subject=_SELF,
    ),
)
