"""Harm to others: thoughts, urges or intent to hurt someone (crisis); with a time or weapon (emergency)."""

from __future__ import annotations

from safety.lexicon import ADV, PERSON, TIME, gap
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_E = Tier.EMERGENCY
_SELF = Subject.SELF

_HARM = (
    r"(?:hurt|harm|kill|stab|hit|punch|attack|strangle|smother|shoot|poison|batter|beat up|throttle|murder|suffocate|"
    r"drown|run over|knife|choke|slap|kick|glass|burn)"
)
_HARMING = (
    r"(?:hurting|harming|killing|stabbing|hitting|punching|attacking|strangling|smothering|shooting|poisoning|battering|"
    r"beating|throttling|murdering|suffocating|drowning|choking|slapping|kicking|burning)"
)
_INTENT = (
    r"(?:want to|wanted to|wanting to|going to|gonna|plan to|planning to|tempted to|about to|ready to|feel like|would like to|"
    r"need to|am going to|will|intend to|decided to|might actually)"
)
_NOT_FIGURATIVE = (
    r"(?! (?:with (?:the|a|an|this|some|my|our|news|questions|emails|data|kindness)|up|for|back|on|at|where it hurts|"
    r"hard with|(?:a|an) (?:email|message|text|line|note|quick)|feelings|s feelings)\b)"
)

RULES: tuple[Rule, ...] = (
    rule(
        "harm_others.thoughts",
        _C,
        rf"(?:thoughts?|thinking|thought|think|urges?|urge|impulses?|fantasi[sz]\w*|imagin\w*|picture|picturing|pictured|dream\w*|visions?|images?|intrusive thoughts?|obsessed with) "
        rf"(?:\w+ ){{0,2}}?(?:of |about |to )?(?:{_HARMING}|{_HARM}) {PERSON}{_NOT_FIGURATIVE}"
        rf"|(?:scared|afraid|worried|frightened|terrified|panicking|panicked) (?:that )?(?:i will|i might|i am going to|i could|i would|of what i (?:might|will|could) do to) (?:\w+ ){{0,2}}?(?:{_HARM} )?{PERSON}"
        rf"|(?:scared|afraid|worried|frightened|terrified) (?:that )?(?:i will|i might|i am going to|i could|i would) (?:\w+ )?{_HARM} (?:{PERSON}|\w+)",
        subject=_SELF,
    ),
    rule(
        "harm_others.intent",
        _C,
        rf"{_INTENT} (?:{ADV} )*(?:{_HARM}|{_HARMING}|do something to|get back at|make (?:him|her|them) pay|seriously hurt|really hurt) {PERSON}{_NOT_FIGURATIVE}",
        subject=_SELF,
    ),
    rule(
        "harm_others.might",
        _C,
        r"(?:might|may|will|going to|gonna|could end up|end up|scared i will|afraid i will) (?:actually |really |seriously |end up )?(?:hurt|hurting|harm|harming|attack|attacking|hit|hitting|lash out at|kill|killing) "
        r"(?:someone|somebody|people|a patient|patients|others|anyone|a colleague|my (?:kids|children|baby|son|daughter|partner|wife|husband))\b(?! (?:feelings|s feelings|with)\b)",
        subject=_SELF,
    ),
    rule(
        "harm_others.imminent",
        _E,
        rf"(?:{_INTENT}|i will|i am) (?:{ADV} )*(?:{_HARM}|do something to) {PERSON}{_NOT_FIGURATIVE}{gap(8)} {TIME}\b"
        rf"|{TIME}{gap(6)} (?:i am |i will |i )?(?:{ADV} )*{_INTENT} (?:{ADV} )*(?:{_HARM}) {PERSON}"
        rf"|(?:got|have|bought|brought|carrying|holding|grabbed) (?:\w+ )?(?:a |the |my )?(?:knife|gun|weapon|hammer|blade|machete|bat|crowbar)(?: (?:\w+|,)){{0,8}}? (?:{_INTENT}|i will|and i will) (?:{ADV} )*(?:{_HARM}|use it on) {PERSON}"
        rf"|(?:{_INTENT}|i will) (?:{ADV} )*(?:{_HARM}) {PERSON}(?: (?:\w+|,)){{0,10}}? (?:got|have|bought|with) (?:\w+ )?(?:a |the |my )?(?:knife|gun|weapon|hammer|blade|machete|bat|crowbar)"
        r"|(?:know|found out) where (?:he|she|they) (?:lives?|works?|is)(?: (?:\w+|,)){0,8}? (?:going|coming|heading) (?:there|round|over)? ?(?:now|tonight)",
        subject=_SELF,
    ),
    rule(
        "harm_others.could_kill",
        Tier.CHECK,
        rf"(?:could|would|i will|i am going to|going to|gonna) (?:{ADV} )*(?:kill|murder|strangle|throttle|punch|slap|swing for|deck|smack|lamp) {PERSON}",
        subject=_SELF,
        soft=True,
    ),
)
