"""Abuse and not being safe at home: disclosures are crisis; an attack under way is emergency."""

from __future__ import annotations

from safety.lexicon import ABUSER
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_E = Tier.EMERGENCY
_SELF = Subject.SELF

_PHYSICAL = (
    r"(?:hits|hit|hitting|beats|beat|beating|beaten|kicks|kicked|kicking|punches|punched|punching|slaps|slapped|slapping|"
    r"chokes|choked|choking|strangles|strangled|strangling|rapes|raped|rape|attacks|attacked|assaults|assaulted|"
    r"batters|battered|throttles|throttled|spits at|spat at|bites|bit|burns|burnt|headbutted|headbutts|smacks|smacked|"
    r"pins|pinned|drags|dragged|beats up|beat up|molests|molested|threw (?:things|stuff|a \w+|something) at|throws (?:things|stuff) at)"
)
_ABUSE_VERB = (
    rf"(?:{_PHYSICAL[3:-1]}|pushes|pushed|pushing|shoves|shoved|threatens|threatened|threatening|abuses|abused|abusing|"
    r"hurts|hurt|hurting|controls|controlled|controlling|bullies|bullied|terrifies|terrorises|terrorised|stalks|stalked|"
    r"stalking|locks|locked|traps|trapped|grabs|grabbed|scares|frightens|intimidates|belittles|humiliates|isolates)"
)
_NOT_FIGURATIVE = (
    r"(?! (?:to|into|towards|forward|up|off|in|for|over|around|back|out of|with (?:his|her|their) (?:words|comments|feedback|remarks))\b)"
)
_NOT_WORK_THREAT = (
    r"(?! with (?:a |an |the )?(?:disciplinary|capability|hr|the sack|sacking|dismissal|a warning|formal|performance|investigation|"
    r"reporting|a complaint|complaints|an incident|legal|the union|the nmc|the gmc))"
)

RULES: tuple[Rule, ...] = (
    rule(
        "abuse.hurts_me",
        _C,
        rf"{ABUSER} (?:(?:\w+|,) ){{0,8}}?{_ABUSE_VERB} (?:(?:my|our) \w+ (?:and|&) )?me\b{_NOT_WORK_THREAT}{_NOT_FIGURATIVE}"
        rf"|\b(?:{ABUSER}|he|she) (?:(?:\w+|,) ){{0,3}}?{_PHYSICAL} (?:my|our) (?:mum|mom|mam|mother|dad|father|sister|brother|kids|children|son|daughter|baby|nan|gran)\b"
        rf"|(?:scared|afraid|frightened|terrified|worried|petrified) (?:that )?(?:{ABUSER}|he|she|they) (?:will|is going to|might|would|could|is gonna) (?:\w+ )?(?:kill|hurt|hit|beat|attack|strangle|stab) me"
        r"|(?:bullied|abused|hit|beaten|threatened|controlled|hurt|attacked|assaulted) at home"
        rf"|\b(?:{ABUSER}|he|she) (?:\w+ )?(?:threatened|threatens|has threatened|had threatened) to "
        r"(?:(?:kill|hurt|hit|beat|stab|strangle|burn) (?:me|us|the kids|the children|my \w+)|take the kids|take the children)"
        r"|\b(?:he|she) (?:\w+ ){0,3}?(?:will not|does not|would not|never) let me (?:leave|go out|see|talk to|have|out|speak to|visit)"
        rf"|\b(?:he|she) (?:(?:\w+|,) ){{0,3}}?{_PHYSICAL} me\b{_NOT_FIGURATIVE}"
        rf"|\b(?:{ABUSER}|he|she) (?:is|are|keeps|has been|was|kept) (?:\w+ )?threatening to (?:kill|stab|shoot|strangle|hurt|hit|beat) me"
        rf"|{ABUSER} (?:\w+ ){{0,3}}?(?:will not|does not|would not|never) let me (?:see|go|leave|have|talk|work|use|out|speak|visit|get|keep|spend|wear|drive)"
        rf"|{ABUSER} (?:\w+ ){{0,3}}?(?:controls|takes|checks|monitors|tracks|reads|goes through|has taken) (?:all )?(?:of )?(?:my|the) (?:money|phone|messages|bank|bank card|finances|car keys|location|wages|emails|passport)"
        rf"|{ABUSER} (?:\w+ ){{0,3}}?(?:threatens|threatened|is threatening|has threatened|keeps threatening) (?:to (?:kill|hurt|hit|take the kids|leave me with nothing|throw me out)|me with a)",
        subject=Subject.ANY,
    ),
    rule(
        "abuse.unsafe_at_home",
        _C,
        r"(?:do not|not|never|no longer|can not) (?:\w+ )?(?:feel )?safe (?:at home|in my (?:own )?(?:home|house|flat|bed)|with (?:him|her|them|my \w+)|around (?:him|her|them|my \w+)|going home|to go home|there|in the house)"
        r"|(?:feel|feeling|am|i am) (?:really |so |very )?unsafe (?:at home|in my (?:own )?(?:home|house|flat)|with (?:him|her|them|my \w+)|around (?:him|her|them|my \w+)|going home|there)"
        r"|(?:i am|am|i) (?:really |just )?not safe(?=\s*(?:$|[.,!?;]|\.\.\.|at|here|anymore|any more|right now|now|with|around|and))"
        r"|(?:scared|afraid|frightened|terrified|petrified|too scared|fearful) (?:of |about )?(?:going|to go|to be|being|getting) (?:back )?home"
        rf"|(?:scared|afraid|frightened|terrified|petrified) (?:of|for my life with) (?:{ABUSER}|him|her)(?=\s*(?:$|[.,!?;]|\.\.\.|and|because|when|he|she|so|but|if|at))"
        r"|(?:walking|walk|walked) on eggshells (?:at home|around (?:him|her|my \w+))",
        subject=_SELF,
    ),
    rule(
        "abuse.abusive_relationship",
        _C,
        r"(?:i am|i have been|am|been|living|stuck|trapped) (?:\w+ )?in (?:an |a )?(?:abusive|violent|controlling|coercive) (?:relationship|marriage|home|household|situation)"
        r"|my (?:abusive|violent|controlling) (?:partner|husband|wife|boyfriend|girlfriend|ex|marriage|relationship|dad|father|mum|mother|stepdad)"
        r"|(?:i am|i have been|am|been|i was) (?:being |getting )?(?:abused|beaten|raped|sexually assaulted|assaulted|stalked|coercively controlled|strangled|choked) (?:at home|by (?:my|him|her)|every|again|when)"
        r"|(?:experiencing|suffering|living with|victim of|going through|escape|escaping|fleeing|flee|leave|leaving|survivor of|been through) (?:\w+ )?(?:domestic )?(?:abuse|violence|dv|coercive control)(?! (?:training|policy|champions?|network|lead|leads|team|services?|awareness|steering|group|cases?|victims?|survivors?)\b)"
        r"|(?:raped|sexually assaulted|molested|groped) me|i was (?:raped|sexually assaulted|molested)",
        subject=_SELF,
    ),
    rule(
        "abuse.attack_under_way",
        _E,
        rf"\b(?:{ABUSER}|he|she) (?:is|are) (?:\w+ )?(?:hitting|attacking|hurting|strangling|choking|beating|threatening|kicking|punching|coming (?:for|after) me) (?:me )?(?:right )?now"
        rf"|\b(?:{ABUSER}|he|she) (?:is|are) (?:\w+ )?(?:outside|at the door|banging on the door|in the house|downstairs|breaking in|trying to get in|coming (?:home|back|over|round))(?: (?:\w+|,)){{0,6}}? (?:knife|gun|weapon|kill me|hurt me|threaten\w*)"
        rf"|\b(?:{ABUSER}|he|she) (?:has|have|got|has got|is holding|is carrying) (?:a |the )?(?:knife|gun|weapon|hammer|bat|machete)"
        rf"|\b(?:{ABUSER}|he|she) (?:is|are|keeps|has been|was) (?:\w+ )?threatening to (?:kill|stab|shoot|strangle) me(?: (?:\w+|,)){{0,6}}? (?:now|tonight|knife|gun|weapon)"
        rf"|(?:knife|gun|weapon)(?: (?:\w+|,)){{0,6}}? (?:he|she|they) (?:is|are) (?:\w+ )?threatening to (?:kill|stab|shoot|hurt) me"
        r"|locked (?:myself )?in (?:the|a|my) (?:bathroom|bedroom|toilet|loo|car|room)(?: (?:\w+|,)){0,8}? (?:he|she|they|him|her|partner|husband|wife|boyfriend|girlfriend|ex)\b"
        r"|\b(?:he|she|they|my \w+) (?:is|are|has|have) (?:\w+ )?(?:going to|gonna|threatening to|said (?:he|she|they) will|said he is going to|said she is going to) kill me (?:tonight|now|when|today|if)",
        subject=Subject.ANY,
    ),
)
