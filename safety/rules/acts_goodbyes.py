"""Acts under way or done, and goodbyes: "I've taken...", "I'm on the bridge", "this is goodbye" (emergency)."""

from __future__ import annotations

from safety.lexicon import ADV, FAMILY, PILLS, QUANTITY
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_E = Tier.EMERGENCY
_SELF = Subject.SELF

_TOOK = r"(?:taken|took|taking|swallowed|swallow|swallowing|necked|necking|downed|downing|had|have had|eaten|ate|popped)"
_TOOK_ANY = rf"(?:{_TOOK[3:-1]}|injected|emptied)"
_CONTAINER = r"(?:box|boxes|packet|packets|pack|packs|strip|strips|tub|pen|pens|prescription|supply|stash|stock|blister)"
_WHOLE_OF = (
    r"the whole (?:\w+ )?(?:box|boxes|packet|packets|pack|strip|strips|bottle|tub|lot|pen|prescription|supply|stash|stock)"
    r"|the lot|all(?: of)?|the rest"
    r"|(?:a|one|two|three|four|\d+) (?:full |whole )?(?:box|boxes|packet|packets|strip|strips|bottle|bottles|pack|packs|pen|pens)"
)
_WHOLE_ALONE = (
    rf"the whole (?:\w+ )?{_CONTAINER}|the lot|all of (?:them|it)|the rest of (?:them|it)"
    rf"|(?:a|one|two|three|\d+) (?:full |whole )?{_CONTAINER}"
)
_WITH_DRINK = (
    r"(?=\s*(?:$|[.,!?;]|\.\.\.|in one go|at once|an hour ago|earlier"
    r"|(?:with|and) (?:a |some |the |my |\w+ )?(?:wine|vodka|gin|whisky|whiskey|rum|drink|booze|cans?|beers?|lager|cider|alcohol|bottle)\b))"
)
_DRINK_OR_AT_ONCE = (
    r"(?=\s*(?:in one go|at once|all at once"
    r"|(?:with|and) (?:a |some |the |my |\w+ )?(?:wine|vodka|gin|whisky|whiskey|rum|drink|booze|cans?|beers?|lager|cider|alcohol|bottle)\b))"
)
_NOT_A_DOSE = r"(?! ?(?:mg|mcg|milligrams?|micrograms?|ml|g|units)\b)"
_STRONG_PLACES = (
    r"(?:bridge|ledge|edge of (?:the|a) (?:\w+ )?(?:bridge|roof|cliff|building|platform|car park|multi ?storey|balcony|tower)|"
    r"cliff edge|railway line|train tracks|the tracks|level crossing|parapet|flyover|viaduct|motorway bridge|"
    r"top of (?:the|a) (?:\w+ ){0,2}?(?:car park|multi ?storey|bridge|cliff))"
)
_WEAK_PLACES = (
    r"(?:roof|rooftop|cliff|cliffs|clifftop|railway|platform edge|multi ?storey|car park roof|top floor|balcony|"
    r"top of (?:the|a) (?:\w+ ){0,2}?(?:building|tower|stairwell|hospital|block))"
)
_ON = (
    rf"(?:i am|am|i m|i) (?:{ADV} )*(?:\w+ )?(?:on|at|by|near|off|over|up on|on top of|in|at the top of|on the edge of|on the side of|"
    r"at the edge of|stood on|standing on|sat on|sitting on|stood by|sitting by|sat by|standing by|climbed onto|climbed) "
    r"(?:the |a |this |that |my )?(?:\w+ )?"
)
_NOT_WORK = (
    r"(?! (?:team|project|group|committee|meeting|rota|call|of (?:tears|breaking|burnout|a breakdown|quitting|my seat)|rolls?|"
    r"scheme|programme|training|course|job|role|terrace|garden|bar|cafe|restaurant)\b)"
)

RULES: tuple[Rule, ...] = (
    rule(
        "act.overdose_taken",
        _E,
        rf"(?:have|had|just|already|i|been|am) (?:{ADV} )*{_TOOK} (?:(?:\w+|,) ){{0,6}}?{QUANTITY}{_NOT_A_DOSE} (?:of )?(?:my |the |his |her |these |those |them )?(?:\w+ )?{PILLS}"
        rf"|(?:have|had|just|already|i) (?:{ADV} )*(?:taken|took|had|done|did) (?:a |an |another |a massive |a big |my )?overdose"
        r"(?! (?:patient|patients|call|calls|case|cases|audit|protocol|policy|training|error|errors|management|admission|admissions)\b)"
        rf"|(?:i have|i|just|already|i have just|i am) (?:{ADV} )*(?:overdosed|overdosing)(?! (?:patients|him|her|them)\b)(?! on\b(?! (?:\w+ ){{0,2}}?{PILLS}))"
        rf"|{QUANTITY}{_NOT_A_DOSE} (?:\w+ )?{PILLS} (?:\w+ ){{0,2}}?(?:in me|inside me|down me|in my system|are kicking in|kicking in)",
        subject=_SELF,
    ),
    rule(
        # Phone style drops the subject and names no drug: "necked the whole box", "swallowed the lot with wine".
        # A whole supply taken at once counts; a whole box *of* something that is not medication does not,
        # and neither does a usual dose ("took all my meds this morning").
        "act.whole_supply_taken",
        _E,
        rf"(?:^|[.,!?;] |\b(?:i|i have|have|just|already|and|then|so) )(?:(?:{ADV}|just|already|gone and) )*{_TOOK_ANY} "
        rf"(?<!\bhad )(?<!\bate )(?<!\beaten )(?:{_WHOLE_ALONE}){_WITH_DRINK}"
        # "had the lot" and "ate the lot" are as often a meal: with those verbs it takes the drink or "at once".
        rf"|(?:^|[.,!?;] |\b(?:i|i have|have|just|already|and|then|so) )(?:(?:{ADV}|just|already|gone and) )*"
        rf"(?:had|ate|eaten) (?:{_WHOLE_ALONE}){_DRINK_OR_AT_ONCE}"
        rf"|{_TOOK_ANY} (?:{ADV} )?(?:{_WHOLE_OF})(?: of)?(?: (?:my|the|his|her|mums|mum s|dads|nans|them|those|these))?"
        rf"(?: \w+)? {PILLS}(?! (?:to|for|from|into|out|back|home|in (?:my|the|his|her)|with food|like|as|every|each|daily))\b",
        subject=_SELF,
    ),
    rule(
        "act.poison_taken",
        _E,
        r"(?:drank|drunk|swallowed|downed|necked|had|taken|took|ingested) (?:some |a (?:bottle|cup|glass|mouthful) of |the |a load of |a bit of )?"
        r"(?:bleach|antifreeze|anti freeze|weed ?killer|rat poison|poison|drain cleaner|screen ?wash|paraquat|disinfectant)\b",
        subject=_SELF,
    ),
    rule(
        "act.overdose_veiled",
        _E,
        r"(?:have|just|i|already) (?:just )?(?:taken|took|swallowed|had) something(?! (?:for|to help|from|off|on board|away|in|out|back|up|of)\b)(?=\s*(?:$|[.,!?;]|and|\.\.\.))"
        r"|(?:already|just) (?:\w+ )?(?:taken|took|swallowed) (?:them|it)(?: all)?(?=\s*(?:$|[.,!?;]|\.\.\.))"
        r"|(?:taken|took|swallowed) them all(?=\s*(?:$|[.,!?;]|\.\.\.|and|now))"
        r"|(?:pills|tablets|meds|overdose) (?:are|is) (?:starting to )?(?:kick|kicking) in",
        subject=_SELF,
    ),
    rule(
        "act.cut_done",
        _E,
        rf"(?:have|had|just|i|already) (?:{ADV} )*(?:cut|slit|slashed|sliced|stabbed|opened) (?:open )?(?:my |both my )?(?:wrists?|throat|veins?|neck)(?! (?:on|by accident)\b)"
        r"|cut (?:too |really |so )?deep\b|(?:can not|will not|could not) stop (?:the |it )?bleeding|(?:the )?bleeding (?:will not|does not|is not going to|won t) stop"
        r"|(?:i am|i have been|am) (?:bleeding|bleeding out) (?:a lot|heavily|loads|badly|everywhere|out|so much|really bad)",
        subject=_SELF,
    ),
    rule(
        "act.ligature_or_hanging",
        _E,
        r"(?:rope|noose|ligature|belt|cord) (?:is )?(?:round|around|on) my neck|(?:i am|am) (?:about to )?(?:hang|hanging) (?:myself|now)",
        subject=_SELF,
    ),
    rule(
        "act.at_the_edge",
        _E,
        rf"{_ON}{_STRONG_PLACES}{_NOT_WORK}"
        r"(?=(?: (?:\w+|,)){0,8}? (?:now|right now|ready|thinking|going to|gonna|about to|to jump|jump|looking down|and|but|i can not|\.\.\.)|\s*(?:$|[.!?]))"
        rf"|{_ON}{_WEAK_PLACES}{_NOT_WORK}"
        r"(?=(?: (?:\w+|,)){0,8}? (?:ready to|to jump|jump|jumping|looking down|going to|gonna|about to|want to|thinking about|end it|\.\.\.))",
        subject=_SELF,
    ),
    rule(
        "act.about_to_jump",
        _E,
        rf"(?:going to|gonna|about to|ready to|will|i will) (?:{ADV} )*jump"
        r"(?=\s*(?:$|[.,!?;]|\.\.\.|off|from|in front|out of (?:the|a|my) window|now|tonight|today|soon|when|and|i\b|it\b))",
        subject=_SELF,
    ),
    rule(
        "act.car_exhaust",
        _E,
        r"garage(?: (?:\w+|,)){0,6}? engine (?:is )?(?:running|on)|engine running(?: (?:\w+|,)){0,5}? (?:garage|closed garage)"
        r"|hose(?:pipe)? (?:\w+ ){0,4}?(?:exhaust|window)|(?:lit|lighting|burning) (?:the |a |some )?(?:charcoal|bbq|barbecue) (?:\w+ ){0,3}?(?:in|inside) (?:my|the) (?:room|bedroom|car|tent|flat)",
        subject=_SELF,
    ),
    rule(
        "goodbye.final_message",
        _E,
        r"this (?:is|will be) (?:my )?(?:last|final) (?:message|text|msg|words|goodbye|time (?:i|you) (?:talk|speak|hear))"
        r"(?! (?:tonight|today|for (?:today|tonight|now|a while|this week|the week|the day)|before|till|until|of the day|this week)\b)"
        r"|this is (?:goodbye|farewell)(?! (?:to|for|from) (?:the|my|this|that|our|me) )|this is the end(?=\s*(?:$|[.!?]|\.\.\.|for me))"
        r"|goodbye (?:everyone|all|world|forever|for good|for ever|for the last time|cruel world|my friends|to (?:you )?all|to everyone)(?! (?:for now|until|till|see you|speak|talk|x+|at the end|after|before|at|when|on (?:my|the|their|her|his)|as)\b)"
        r"|(?:bye|farewell) (?:forever|for good|for ever|world|cruel world|for the last time)"
        r"|(?:my )?(?:last|final) (?:goodbye|words)(?=\s*(?:$|[.,!?]))"
        r"|(?:goodbye|farewell)\b.{0,80}\b(?:sorry for everything|forgive me|i love you all|i love you|look after)\b"
        r"|\b(?:sorry for everything|forgive me|i love you all)\b.{0,80}\b(?:goodbye|farewell)\b"
        r"|\b(?:goodbye|bye)(?: \w+)?\b.{0,60}\b(?:can not do this any ?more|can not go on|can not take (?:it|this) any ?more|i am done|it is over)"
        r"|see you on the other side|(?:sorry|forgive me) for everything(?: (?:\w+|,)){0,4}? (?:goodbye|bye|love you)|i love you all(?: (?:\w+|,)){0,3}? (?:goodbye|bye|sorry)",
    ),
    rule(
        "goodbye.tell_family",
        _E,
        rf"(?:tell|let) (?:my )?{FAMILY} (?:that )?(?:i (?:love|loved) (?:them|him|her|you|all)|i am sorry|i was sorry|sorry|how sorry i am|i did not mean|it was not their fault|it is not their fault)"
        r"(?=\s*(?:$|[.,!?;]|for everything|and|x|\.\.\.))"
        rf"|(?:look after|take care of) (?:my )?{FAMILY} for me(?=\s*(?:$|[.,!?;]|\.\.\.))",
    ),
    rule(
        "goodbye.wont_be_around",
        _E,
        r"by the time (?:you|anyone|someone|they) (?:read|reads|see|sees|get|gets|find|finds) (?:this|my message|these)"
        r"|(?:will not|never|will no longer|wont) be (?:around|here|alive|on this earth|in this world|breathing) (?:after (?:tonight|today|this|tomorrow|the weekend)|by (?:the )?(?:morning|tomorrow|tonight|then|the weekend)|much longer|for much longer|any ?more|any longer|to see (?:it|tomorrow|another))"
        r"(?! (?:for|because|as|since|on|in) )"
        r"|you (?:will not|never|will no longer|wont) (?:have to )?(?:hear from|see|worry about|deal with|put up with|be bothered by|need to worry about) me (?:again|any ?more|much longer|for much longer|after (?:tonight|today))"
        r"|(?:i will|i am going to) be (?:gone|dead) (?:by|before) (?:the )?(?:morning|tomorrow|tonight|the time|then)"
        r"|(?:it|everything|this) (?:will|is going to) (?:all )?be over (?:tonight|by (?:the )?morning|in (?:an|a few) (?:hours?|minutes?))",
    ),
)
