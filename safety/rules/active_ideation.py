"""Active suicidal ideation: thoughts of killing oneself, with or without a method (crisis)."""

from __future__ import annotations

from safety.lexicon import ADV, PILLS
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_SELF = Subject.SELF

_KILL_VERBS = (
    r"(?:kill|killing|killed|kills|end|ending|ended|top|topping|topped|off|offing|offed|hang|hanging|hanged|"
    r"shoot|shooting|shot|gas|gassing|gassed|poison|poisoning|poisoned|suffocate|suffocating|smother|"
    r"electrocute|electrocuting|drown|drowning|drowned|delete|deleting|neck|necking|unalive|destroy|"
    r"strangle|strangling|asphyxiate|starve|starving)"
)
_BUILDINGS = (
    r"(?:bridge|building|roof|rooftop|car park|multi ?storey|cliff|cliffs|balcony|train|bus|lorry|tower|"
    r"block|window|motorway|flyover|viaduct|platform|ledge|tracks|railway|overpass|pier|top floor|hospital|"
    r"stairwell|tube|metro|van|truck|car|traffic)"
)

RULES: tuple[Rule, ...] = (
    rule(
        "active_ideation.kill_myself",
        _C,
        rf"(?<!day )(?<!days )(?<!time )(?<!week )(?<!shift )(?<!leave )(?<!morning )(?<!afternoon )"
        rf"{_KILL_VERBS} (?:{ADV} )?myself"
        r"(?! (?:laughing|with laughter|in the foot|up\b|out\b|in (?:work|tea|coffee|wine|paperwork|emails|chocolate|admin|tasks|studying|books|netflix|the job|my work|jobs)))"
        r"|do myself in|(?:finish|finishing) myself off|(?:take|taking|took|end|ending|ended) my (?:own )?life"
        r"|do away with myself",
    ),
    rule(
        "active_ideation.end_it",
        _C,
        r"(?<!place to )(?<!point to )(?<!spot to )(?<!let us )(?<!shall we )(?<!we can )(?<!we could )(?<!we will )"
        r"(?:end|ending|finish|finishing) (?:it|it all|everything|things|this|this life|my existence)(?: all)?"
        r"(?=\s*(?:$|[.,!?;]|\.\.\.|now|tonight|today|soon|forever|for good|once and for all|permanently|and|but|because|by|with (?:pills|tablets|a rope|a knife)|myself|if|when|or|so|though))"
        r"(?<!end this)(?<!ending this)(?<!finish this)(?<!finishing this)(?<!finish it)(?<!finishing it)(?<!finish things)"
        r"|(?:think|thinking|thought|thoughts|dream|dreaming|fantasi[sz]e|fantasi[sz]ing|considering|consider|contemplating) (?:\w+ )?(?:about|of)? ?(?:just )?(?:ending|end) (?:it|it all|things|everything)(?! (?:with|there|here|early|for (?:the|today|now)|off)\b)"
        r"|(?:end|ending) it all|call it a day (?:on|with) (?:life|living|everything)|check out (?:of life|for good|permanently|early)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.suicide",
        _C,
        r"(?:commit|committing|commited|committed|attempt|attempting|attempted|try|tried|trying|thinking about|thought about|thinking of|thought of|thoughts of|thoughts about|"
        r"considering|considered|contemplating|contemplated|planning|plan|think about|feel like committing|going to commit|want to commit|urges? to commit|"
        r"close to|on the verge of|seriously considering) (?:\w+ )?(?:suicide|suicidal)"
        r"|suicidal(?! (?:patients?|clients?|people|person|persons|callers?|service users?|behaviou?r in|ideation in|risk|crisis|presentations?|admissions?|young people|adolescents|men|women|staff|colleagues?)\b)"
        r"|suicide (?:thoughts|ideas|urges|feelings|plan|plans|note|attempt|attempts)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.jump",
        _C,
        rf"(?:jump|jumping|jumped|throw myself|throwing myself|threw myself|leap|leaping|fling myself|hurl myself) "
        rf"(?:\w+ ){{0,2}}?(?:off|from|in front of|under|onto|out of|into|down) (?:a|the|my|that|this|our|an|some|oncoming)?(?: \w+){{0,2}}? {_BUILDINGS}"
        r"(?! (?:park|parking|bay|barrier|payment|entrance|meeting|project|team|queue)\b)"
        r"|(?:step|stepping|stepped|walk|walking|walked|lie|lying|lay|laying|run|running) (?:out )?(?:in front of|under) (?:a|the|an|some|oncoming)? ?(?:\w+ )?"
        r"(?:train|bus|lorry|car|truck|tube|van|traffic|tram|ambulance)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.crash_or_drown",
        _C,
        r"(?:drive|driving|drove|crash|crashing|crashed|swerve|swerving|swerved|steer|steering|plough|ploughing|veer|veering|wrap|wrapping|smash|smashing) "
        r"(?:my car |the car |my \w+ |it |myself )?(?:\w+ )?(?:into|off) (?:a|the|some|an)? ?(?:\w+ )?"
        r"(?:wall|tree|lorry|bridge|river|oncoming traffic|central reservation|cliff|barrier|lamppost|lamp post|pillar|truck|bus|reservoir|lake|sea|canal|edge|embankment|quarry)"
        r"|crash(?:ing)? (?:my|the) (?:car|bike|motorbike) (?:on purpose|deliberately|intentionally)"
        r"|(?:walk|walking|wade|wading|swim|swimming|go|going) (?:out )?into the (?:sea|river|lake|canal|water|ocean|reservoir|waves)(?! for| with)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.overdose_thoughts",
        _C,
        rf"(?:take|taking|took|swallow|swallowing|neck|necking|down|downing|have|having|do|doing) (?:\w+ )?(?:an |another |a massive |a big )?overdose"
        rf"|(?:want|wanted|wanting|going|planning|plan|tempted|need|ready|about|decided) to (?:just )?overdose"
        rf"|overdos(?:e|ing|ed) (?:on|with) |overdosing|(?:thinking|thought|think|thoughts) (?:\w+ )?(?:about|of) (?:an )?overdos"
        rf"|(?:take|taking|swallow|swallowing|neck|necking|down|downing) (?:{ADV} )?(?:all|every one|every single one|the whole (?:box|bottle|packet|lot)|"
        rf"a (?:load|bunch|handful|bottle|box|packet|pile) of|loads of|lots of|too many|enough)(?: of)?(?: my| the| these| those| his| her)?(?: \w+)? {PILLS}"
        rf"|(?:how many|how much)(?: \w+){{0,4}}? (?:it would take|it takes|would it take|would kill|to kill|to die|to end it|is lethal|is fatal|to overdose|would do it)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.method_wrists",
        _C,
        r"(?:slit|slitting|slash|slashing|cut|cutting|open|opening) (?:\w+ )?(?:my )?(?:wrists?|throat|veins?)"
        r"|(?:hang|hanging) (?:myself|from)|(?:a )?noose (?:for|round|around) (?:me|myself|my neck)"
        r"|(?:gun|shotgun|pistol) (?:to|against) my head|(?:step|stepping|lie|lying) (?:down )?on the (?:tracks|railway|line)",
        subject=_SELF,
    ),
    rule(
        "active_ideation.how_i_would_do_it",
        _C,
        r"(?:think|thinking|thought|thinks|planning|planned|imagine|imagining|imagined|work out|working out|worked out|wonder|wondering|research|researching|researched|google|googling|googled|look up|looking up|looked up|search|searching|searched) "
        r"(?:\w+ ){0,3}?(?:(?:how i would|how i could|how i might|how i will|how i am going to) (?:do it|go through with it)|"
        r"(?:how i would|how i could|how i might|how i will|how to|ways (?:of|to)|the best way to|the easiest way to|the quickest way to|methods (?:of|to)|the least painful way to|a way to) "
        r"(?:kill|die|end (?:it|my life|things|everything)|take my (?:own )?life|commit|overdose|hang|not wake|disappear for good))"
        r"|(?:ways|methods|how) to (?:kill (?:myself|yourself)|die|commit suicide|end (?:my|your) life|overdose)"
        r"|thought about how (?:i would|to) do it",
        subject=_SELF,
    ),
    rule(
        "active_ideation.voice_says_kill_yourself",
        _C,
        r"(?:head|brain|mind|voice|voices|thoughts|inner voice) (?:\w+ ){0,3}?(?:says|saying|said|tells me|telling me|told me|tell me|keeps saying|keep saying|whispers|whispering|screams|screaming|shouting) "
        r"(?:\w+ ){0,3}?(?:to )?(?:kill (?:yourself|myself)|end it|just end it|die|jump|do it|hurt (?:yourself|myself)|you should die|you are better off dead|cut)"
        r"|kill yourself (?:\w+ ){0,4}?(?:is what|is all) (?:my|the) (?:head|brain|mind|voice|voices|thoughts)",
    ),
    rule(
        "active_ideation.intent_statement",
        _C,
        r"(?:going to|will|decided to|planning to|plan to|intend to|intending to|about to|ready to|gonna) (?:\w+ )?(?:kill myself|end my life|take my (?:own )?life|end it all|commit suicide|top myself|do myself in|hang myself)",
        subject=_SELF,
    ),
)
