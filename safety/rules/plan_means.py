"""Plan, means, preparation and timing: the signs that risk is imminent (emergency).

POLICY: a plan with a time ("tonight", "after my shift"), means at hand ("I've got the tablets
here"), preparation ("written my note", "stockpiled"). Saving up tablets is not saving up leave:
every means rule names the means.
"""

from __future__ import annotations

from safety.lexicon import ADV, FAMILY, MEANS, PILLS, QUANTITY, TIME, TIME_PLAN, gap
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_E = Tier.EMERGENCY
_SELF = Subject.SELF

_SUICIDE_ACT = (
    rf"(?:(?:kill|killing) myself|(?:end|ending) (?:my life|it all|it(?! with| there| here| for)|things(?! with)|everything|myself)|"
    rf"(?:take|taking) my (?:own )?life|commit suicide|suicide|(?:top|topping|hang|hanging) myself|do myself in|overdose|"
    rf"(?:take|taking|swallow|swallowing) (?:all |them all|the lot)?(?:of )?(?:my |the |them |those )?(?:\w+ )?{PILLS}|"
    rf"jump(?! (?:on|in|at|into|ship|through|to|ahead|back|up|for|around|over|the queue|the gun)\b)|"
    rf"die(?! of| laughing| from| with| if| for)|be dead(?! tired| on| busy| beat| to the world| chuffed))"
)
_NOT_A_DEVICE = (
    r"(?<!phones )(?<!phone is )(?<!battery )(?<!battery is )(?<!batterys )(?<!laptops )(?<!laptop is )(?<!car is )"
    r"(?<!it is )(?<!its )"
)
"""A phone or battery "about to die" is not a plan."""
_INTENT = (
    r"(?:going to|gonna|will|decided to|decided i am going to|planning to|plan to|planned to|intend to|intending to|"
    r"about to|ready to|am|shall|getting ready to)"
)
_AT_HAND = (
    r"(?:here|ready|right here|in front of me|with me|next to me|beside me|by me|in my (?:hand|hands|lap)|"
    r"counted out|lined up|laid out|set out|all here|here with me|on the (?:table|bed|floor))"
)

_HIDDEN_OR_FINAL = (
    r"\b(?:before (?:anyone|anybody|everyone|anyones|anybodys|everyones|the kids|they|he|she|my \w+) (?:is |s |are |gets? |wakes? )?(?:up|awake|home|back|in)"
    r"|when (?:no one|nobody|noone|no body) (?:is|s|will be) (?:around|home|in|about|here|looking)"
    r"|while (?:everyone|they|the kids|he|she|my \w+) (?:is|are|s) (?:out|asleep|away|at)"
    r"|(?:no one|nobody|noone) (?:will|would|can|could) (?:stop|find|know|notice|see)"
    r"|(?:affairs|everything|it all|it is all|it s all|all) (?:is |are )?(?:sorted|in order|planned|arranged|ready)"
    r"|(?:once|when|after) (?:i have|i ve) (?:sorted|said|written|left)"
    r"|(?:my|the) (?:very )?last (?:shift|day|night|week|ever|time)|at home alone|on my own|alone)\b"
)
"""Hiding the time, having made ready, or a last day: what turns "I'll do it on Friday" from an action into a
plan."""

RULES: tuple[Rule, ...] = (
    rule(
        "plan.intent_with_time",
        _E,
        rf"{_NOT_A_DEVICE}{_INTENT} (?:{ADV} )*{_SUICIDE_ACT}\b{gap(8)} {TIME}\b"
        rf"|{TIME}\b{gap(6)} (?:i am |i will |i )?(?:{ADV} )*{_NOT_A_DEVICE}{_INTENT} (?:{ADV} )*{_SUICIDE_ACT}\b"
        rf"|(?:it is|it will be|it is going to be) happening {TIME_PLAN}\b"
        rf"|(?:decided|made (?:my|the|a|up my) (?:decision|mind|mind up)|mind is made up)(?: (?:\w+|,)){{0,4}}? (?:doing it|do it|going through with it|ending it|end it|it is happening)\b{gap(4)} {TIME}\b"
        r"|(?:decided|made (?:my|the|a|up my) (?:decision|mind|mind up)|mind is made up)(?: (?:\w+|,)){0,3}? (?:tonight|today|tomorrow) is the (?:night|day)\b"
        rf"|^(?:(?:{ADV}) )*(?:suicide|kill myself|killing myself|ending it|end it|overdose|overdosing|jumping|hanging myself|ending it all|end it all) (?:\w+ )?{TIME_PLAN}\b"
        rf"|made (?:my|the|a|up my) (?:decision|mind|mind up)\b(?: ,)?(?: (?:and|so))?(?: it)? (?:is|will) (?:happening|happen|be)(?: \w+)? {TIME}\b",
        subject=_SELF,
    ),
    rule(
        "plan.going_to_do_it",
        _E,
        rf"(?:going to|gonna|about to|ready to|decided to|planning to) (?:{ADV} )*(?:do it|go through with it|end it)\b{gap(6)} {TIME}\b"
        # "I'll do it at the weekend" is how people say when they'll do an action; with a time alone it is
        # a plan only where the message also hides it, has made ready or marks a last day ("before anyone's up").
        rf"|(?:will|shall)(?=.*?{_HIDDEN_OR_FINAL}) (?:{ADV} )*(?:do it|go through with it)\b{gap(6)} {TIME_PLAN}\b"
        rf"(?! (?:for|with|at|in) (?:the|my|a)\b)"
        rf"|{_HIDDEN_OR_FINAL}.*?(?:will|shall) (?:{ADV} )*(?:do it|go through with it)\b",
        subject=_SELF,
        veiled=True,
    ),
    rule(
        "plan.it_ends",
        _E,
        rf"\b(?:it|this|everything|all of this|it all|my life|the pain) (?:ends|will end|is ending|is going to end|finishes|will be over|is over) (?:{TIME_PLAN}|today)\b"
        r"|\b(?:will not|never|wont) be (?:here|around|alive) (?:tomorrow|by tomorrow|after today|after tonight|by the weekend)\b",
        subject=_SELF,
        veiled=True,
    ),
    rule(
        "plan.has_plan",
        _E,
        r"(?:have|have got|got|made|make|making|worked out|figured out|come up with|sorted|thought out|formed) (?:\w+ )?(?:a |the |my )?(?:\w+ )?plans? "
        r"(?:to (?:kill|end|take my|die|do it|overdose|jump|hang)|for (?:killing|ending|suicide|how|when|my death|it)|(?:of |on )?how (?:i would|i will|i am going to|to) (?:do it|kill|end|die)|and (?:the )?(?:means|pills|tablets|rope|method)|and a (?:date|time|method))"
        r"|planned (?:my (?:death|suicide|exit|last day|funeral)|it all out|when and how|how and when|(?:out )?how i (?:will|would|am going to) (?:do it|die|end it|kill myself))"
        r"|(?:know|worked out|figured out|decided|chosen|chose|picked) (?:exactly )?(?:how (?:many|much) (?:i need|it will take|to take|will do it|would do it|i will take|i would need)|how i am going to do it|how i will do it|when i am going to do it|where i am going to do it|the method)",
        subject=_SELF,
    ),
    rule(
        "means.at_hand",
        _E,
        rf"(?:have|have got|got|holding|hold|sat with|sitting with|staring at|got out|taken out|counted out|lined up|laid out|popped out|emptied out|crushed|crushing|sorted|have bought|bought|got hold of|found) "
        rf"(?:{ADV} )*(?:\w+ ){{0,2}}?(?:the |my |all (?:the |my |of my |of the )?|{QUANTITY} (?:my |the )?|a |some )(?:\w+ )?{MEANS}(?: \w+){{0,3}}? {_AT_HAND}"
        rf"|(?:the |my |all (?:the |my )?|these |those )(?:\w+ )?{MEANS}(?: \w+){{0,2}}? (?:are|is) (?:{ADV} )*(?:in (?:my hand|my hands|front of me|my lap)|right here|next to me|beside me|ready|counted out|lined up|laid out|all here|here with me|here now)"
        rf"|(?:counted out|lined up|laid out|popped out|emptied out|crushed up|crushed|set out) (?:\w+ ){{0,3}}?(?:{PILLS}|them|the lot)"
        rf"|{PILLS}(?: \w+){{0,2}} (?:counted out|lined up|laid out|popped out|crushed)",
        subject=_SELF,
    ),
    rule(
        "means.contemplating",
        Tier.CRISIS,
        rf"(?:looking at|look at|looked at|staring at|stare at|stared at|hold|holding|held|counting|counted|touching|keep checking|checking) (?:\w+ ){{0,2}}?(?:the |my |all the |all my |those |these )?(?:\w+ )?{MEANS}"
        r"(?: (?:\w+|,)){0,6}? (?:and|then|,) (?:\w+ )?(?:think|thinking|thought|wonder|wondering|imagine|imagining) (?:about (?:it|taking (?:them|it)|doing it|it all|how many|using (?:it|them))|how many|what would happen|if)",
        subject=_SELF,
    ),
    rule(
        "means.enough_to_die",
        _E,
        rf"(?:have|have got|got|bought|saved|collected|there are|there is|i have) (?:\w+ ){{0,2}}?enough (?:\w+ )?(?:{PILLS}|of them|stuff)? ?(?:to (?:do it|kill|end it|die|not wake up|overdose|finish it|make sure))"
        rf"|(?:got|have|have got) everything (?:i need|ready|sorted|in place|planned)(?: \w+){{0,3}}? (?:to do it|to end it|to go through with it|for tonight|for it)\b",
        subject=_SELF,
    ),
    rule(
        "means.rope_or_ligature",
        _E,
        r"(?:tied|tying|tie|hung|hanging|put|putting|fixed|fixing|attached|attaching|wrapped|wrapping|looped|looping|tightened) "
        r"(?:\w+ ){0,2}?(?:a |the |my )?(?:rope|noose|ligature|belt|cord|dressing gown cord|cable|scarf|tie|lead)(?: \w+){0,3}? "
        r"(?:round my neck|around my neck|to hang myself|from (?:the|a) (?:\w+ )?(?:beam|banister|bannister|door|ceiling|loft hatch|hook|tree|rail|wardrobe)|to (?:the|a) (?:\w+ )?(?:beam|banister|bannister|door|ceiling|hook|tree|rail|wardrobe))"
        r"|(?:bought|buying|got|ordered|tied|tying|made|making|set up|put up|hung|fixed|have|found) (?:\w+ ){0,2}?(?:a |the |my )?(?<!skipping )(?<!climbing )(?<!tow )(?<!washing )(?:rope|noose)\b"
        r"(?! (?:swing|course|ladder|access|team|lights|bridge|for (?:the|my|our|his|her) (?:\w+ )?(?:garden|boat|swing|climbing|camping|tent|dog|kids|children|gym|tree ?house|washing))\b)"
        r"|(?:tied|tying|hung|put up|set up|fixed|attached|made|making) (?:\w+ ){0,2}?(?:a |the |my )?ligature"
        r"(?! (?:audit|risk|assessment|points?|cutters?|training|policy|checks?|survey|work|free|anchor|register)\b)",
        subject=_SELF,
    ),
    rule(
        "means.weapon_on_self",
        _E,
        r"(?:knife|blade|razor|gun|glass|scissors|scalpel)(?: \w+){0,6}? (?:on myself|to myself|to my wrists?|to my throat|to (?:kill|hurt|cut|stab) myself|to end it)"
        r"|(?:going to|gonna|about to|will) use (?:it|them) on myself",
        subject=_SELF,
    ),
    rule(
        "preparation.stockpile",
        _E,
        rf"(?:stockpil\w*|stock piled?|stock piling|hoard\w*|sav(?:ed|ing) up|stash\w*|squirrel\w* away|squirrell\w* away|hid|hidden|hiding|been saving|saving|saved|accumulat\w*|building up|built up|collecting|collected|gathering|gathered) "
        rf"(?:{ADV} )*(?:\w+ ){{0,2}}?(?:my |the |some |a few |enough |loads of |lots of |a (?:stash|supply|pile|load) of )?(?:\w+ )?{PILLS}"
        rf"(?! (?:from|at) (?:the )?(?:pharmacy|chemist|gp|surgery|hospital|dispensary)\b)"
        rf"|(?:bought|buying|got|getting) (?:\w+ ){{0,2}}?{PILLS} (?:\w+ ){{0,2}}?(?:from|at|in) (?:\w+ )?(?:different|several|multiple|various|two|three|four|five|\d+|lots of|loads of|a few) (?:\w+ )?(?:shops|pharmacies|chemists|supermarkets|places|stores)"
        rf"|(?:bought|buying|ordered|ordering|got|getting) (?:loads|lots|a lot|a load|a bunch|a pile|enough|boxes|packets|bottles|extra|a stash|a supply|\d+ (?:boxes|packets|packs)|(?:two|three|four|five|several) (?:boxes|packets|packs)) of {PILLS}"
        rf"|(?:not been taking|stopped taking|have not been taking|been skipping|been keeping) (?:my )?{PILLS} (?:\w+ ){{0,3}}?(?:to save|so i can|to build up|to stock|so i have enough|in case)",
        subject=_SELF,
    ),
    rule(
        "preparation.note",
        _E,
        r"(?:suicide|goodbye|farewell) (?:note|notes|letter|letters)(?! (?:to|for) (?:the|my|our) (?:team|ward|colleagues|staff|unit|department|manager|patients)\b)"
        r"|(?:suicide|final) (?:message|messages|video|email)\b(?! (?:to|for) (?:the|my|our) (?:team|ward|colleagues|staff|unit|department)\b)"
        rf"|(?:final|last) (?:note|letter)s? (?:to|for) (?:my )?{FAMILY}"
        rf"|(?:written|wrote|writing|left|leaving|finished) (?:a |my |the |some )?(?:note|notes|letter|letters) (?:to|for) (?:my |all my |each of my )?(?:{FAMILY}|everyone|everybody|all of you)"
        r"(?=\s*(?:$|[.!?,;]|\.\.\.|and|explaining|saying|so they))"
        rf"|(?:written|wrote|writing|write|left|leaving|finished|typed|drafted|recorded) (?:\w+ )?(?:notes|letters|note|letter|cards|messages|videos) (?:to|for) (?:my |each of my |all my )?(?:{FAMILY}|everyone|everybody|all of you|people i love)"
        r"(?: (?:\w+|,)){0,6}? (?:explaining|saying goodbye|goodbye|bye|sorry|in case|for after|for when|so they know|to read after|to find|i am ready|ready|will|affairs)",
        subject=_SELF,
    ),
    rule(
        "preparation.affairs",
        _E,
        r"(?:sorted|sorting|sort|put|putting|got|getting|set) (?:out )?(?:all )?(?:my |all my )?(?:affairs|funeral (?:plans|arrangements|music|songs)|things in order|affairs in order)"
        r"(?! (?:for (?:the|my) (?:move|house|mortgage|holiday|retirement|baby|wedding)))"
        r"|(?:given|giving|gave|give) away (?:all )?(?:of )?(?:my |all my )(?:\w+ )?(?:things|stuff|belongings|possessions|pets?|cat|dog|jewellery|savings|money|books|clothes|records)"
        r"|(?:given|giving|gave|give) (?:my |all my )(?:\w+ )?(?:cat|dog|pets?|possessions|belongings|cats|dogs) to"
        r"|(?:given|giving|gave|give) all my (?:\w+ )?(?:things|stuff|belongings|possessions) (?:away|to)"
        r"|(?:i am|feel|feeling) (?:(?:really|just|finally|so) )*ready (?:to die|to end it|to end my life|for it to end|for the end|to go now|to leave this world|to say goodbye)(?=\s*(?:$|[.,!?;]|now|\.\.\.))",
        subject=_SELF,
    ),
)
