"""Emergencies and ideation said in everyday words, with no risk word a phrase list would name.

Goodbyes that are only thanks and finality, letters left for family, the drugs NHS staff can
reach at work, being up high right now, a weapon kept for someone, and wishes for an illness or
never to have been born. Each needs two things together (thanks *and* finality, a work drug
*and* taking it away), so the everyday half alone ("thanks for everything", "insulin") is harmless.
"""

from __future__ import annotations

from safety.lexicon import ADV
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_E = Tier.EMERGENCY
_C = Tier.CRISIS
_SELF = Subject.SELF

_THANKS = (
    r"(?:thank you|thanks|thankyou|ty|cheers)(?: so much| again)? (?:for (?:everything|it all|all of it|all you have done"
    r"|all your help|all the help|all the chats|all the sessions|every session|putting up with me|being there|trying))"
)
_FINAL = (
    r"(?:before i go(?! (?:on|to|into|home|off|back|in|out|away|for|and|through)\b)|this is it|for the last time"
    r"|(?:i )?(?:will not|wont|won t|am not going to) be (?:here|around)|not be (?:here|around)"
    r"|you will not (?:need|hear|see)|will not need (?:it|that|another|to)|last (?:message|time|text)|goodbye|bye(?: x+)?$"
    r"|sorry(?= *(?:$|[.!,]|x+\b|for everything))|i am at peace|look after (?:them|yourself|my \w+)|it is not your fault"
    r"|it was not (?:your|their|anyone s) fault|not (?:coming|be coming) back)"
)
_FAMILY = (
    r"(?:kids|children|family|boys|girls|sons?|daughters?|wife|husband|partner|parents|mum|dad|everyone"
    r"|loved ones|sister|brother|nan|team|friends)"
)
_WORK_DRUGS = (
    r"(?:insulin|potassium(?: chloride)?|morphine|oramorph|fentanyl|midazolam|diamorphine|propofol|ketamine|oxycodone"
    r"|controlled drugs?|cds|the cds|cd stock|ward stock|drug stock|(?:cd|drug|drugs|controlled drug) (?:cupboard|keys?)"
    r"|sux|suxamethonium|digoxin|lidocaine|methadone)"
)
_TOOK_AWAY = (
    r"(?:took|taken|taking|nicked|stole|stolen|pocketed|kept|keeping|hidden|hid|stashed|saved|squirrelled|signed out|drawn up"
    r"|drew up|brought|bringing|got)"
)

RULES: tuple[Rule, ...] = (
    rule(
        "goodbye.final_thanks",
        _E,
        rf"{_THANKS}(?:[ ,.!?]+[a-z]+){{0,14}}?[ ,.!?]+{_FINAL}|{_FINAL}(?:[ ,.!?]+[a-z]+){{0,14}}?[ ,.!?]+{_THANKS}",
        subject=_SELF,
    ),
    rule(
        "goodbye.before_i_go",
        _E,
        r"(?:say|saying|said|wanted to say|want to say|to tell you|tell you) (?:a )?(?:thank you|thanks|goodbye|bye|sorry"
        r"|i love you|i am sorry)(?: \w+){0,3}? before i go(?! (?:on|to|into|home|off|back|in|out|away|for|and|through)\b)"
        r"|this is it (?:for me|then)(?=\s*(?:$|[.,!?]|\.\.\.|x))"
        r"|signing off (?:for good|for the last time|forever|for ever|permanently|now for good)",
        subject=_SELF,
    ),
    rule(
        "preparation.letters_left",
        _E,
        r"(?:left|wrote|written|writing|typed|recorded|finished|done|sealed|addressed)(?: \w+){0,2}? (?:goodbye (?:letters?|notes?"
        r"|messages?|videos?)|last (?:letters?|notes?)|(?:a |my )?final (?:letters?|notes?))"
        rf"|(?:left|wrote|written|writing|typed|recorded|finished|sealed|addressed)(?: \w+){{0,2}}? (?:letters|a letter each|a letter|notes)"
        rf" (?:for|to) (?:each of |all of |every one of )?(?:my |the |our )?{_FAMILY}\b(?! (?:about|re|regarding|for (?:the|a) (?:meeting|rota|party))\b)"
        r"|(?:written|wrote|finished|left|done) my note(?! (?:up|on|about|for (?:the|a|my) (?:patient|ward|manager|appraisal|portfolio)"
        r"|in (?:the|his|her|their) (?:record|chart|notes|file)))"
        rf"|(?:letters?|notes?) (?:for|to) (?:each of |all of )?(?:my |the |our )?{_FAMILY}(?: \w+){{0,3}}? (?:on|in|under|by) (?:the|my) "
        r"(?:\w+ )?(?:table|drawer|bed|pillow|side|desk|mantelpiece|kitchen|fridge)",
        subject=_SELF,
    ),
    rule(
        "means.work_drugs",
        _E,
        rf"(?:i have |i |have |just |already |been )?{_TOOK_AWAY} (?:{ADV} )*(?:\w+ ){{0,3}}?{_WORK_DRUGS}"
        r"(?! (?:for|to) (?:my |the |a |our )?(?:patients?|clients?|visits?|rounds?|ward|bay|theatre|pharmacy|audit|check|clinic)\b)"
        r"(?:(?: \w+){0,5}? (?:home|for myself|for me|for tonight|for later|to use on myself|on myself|in my (?:bag|locker|pocket|car|coat)"
        r"|hidden|at home|just in case|in case))"
        r"|(?:keys?|access|the code) (?:to|for) the (?:cd|drug|drugs|controlled drugs?|medication) (?:cupboard|room|safe|fridge)(?: \w+){0,8}? "
        r"(?:home|tonight|for myself|taking|take|the lot|all of it|enough)\b",
        subject=_SELF,
    ),
    rule(
        "act.up_high_now",
        _E,
        r"(?:i am|am|i m|im|sat|sitting|stood|standing|been) (?:\w+ )?(?:up )?(?:on|at|near|by) (?:the )?(?:top (?:floor|deck|level) of |roof of |top of |edge of )?"
        r"(?:the |a |this |that )?(?:\w+ )?(?:(?:multi ?storey|car park) (?:roof|top deck|top floor|top level)|roof|rooftop|ledge|cliff|cliffs|clifftop"
        r"|cliff top|top deck|railings|wrong side of the (?:railings|barrier|fence))(?: \w+){0,3}? (?:now|right now|at the minute|atm|tonight|looking down)\b"
        r"(?! (?:fixing|clearing|sorting|getting|mending|repairing|cleaning|painting|with (?:the|my)|helping|checking|doing|for (?:work|the))\b)",
        subject=_SELF,
    ),
    rule(
        "harm_others.weapon_kept",
        _E,
        r"(?:knife|blade|machete|hammer|bat|baseball bat|gun|crowbar|screwdriver)(?: \w+){0,5}? (?:for|ready for|waiting for|to use on) "
        r"(?:him|her|them|my (?:ex|husband|wife|partner|boss|manager|dad|stepdad)|the \w+)(?=\s*(?:$|[.,!?]|when|if|tonight|once|after|later|so))",
    ),
    rule(
        "passive_ideation.never_born",
        _C,
        r"(?:wish|wished|wishing) (?:i had|i d|i was|i were) never (?:been )?born"
        r"|(?:wish|hope|pray|praying|hoping) (?:that )?(?:i|i would|i could|i will|i d) (?:\w+ ){0,3}?(?:get|got|catch|caught|develop|have|had)"
        r" (?:a |an |some |something )?(?:\w+ ){0,2}?(?:illness|disease|cancer|tumour|crash|accident|heart attack|stroke|terminal)"
        r"(?! (?:at|in) (?:work|the)\b)",
        subject=_SELF,
    ),
)
