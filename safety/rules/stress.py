"""High stress, anxiety and burnout now (stress): the Stress Support and Wellbeing service's remit.

Most of these are `soft`: "a bit stressed", "stressed but it's manageable" and "I want to handle
pressure better" are ordinary coaching talk, and the guards may lower them. None of them may
ever lower a crisis phrase in the same message.
"""

from __future__ import annotations

from safety.lexicon import ADV
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_S = Tier.STRESS
_SELF = Subject.SELF
_INTENS = (
    r"(?:so|really|very|extremely|incredibly|super|massively|hugely|seriously|totally|completely|utterly|absolutely|"
    r"properly|insanely|ridiculously|unbelievably|crazy|mega|proper|constantly|always|permanently|horribly|awfully|"
    r"terribly|dreadfully|desperately|painfully|severely|majorly|fucking|bloody|beyond|too|that|this|such|overly|deeply|"
    r"genuinely|honestly|literally|sooo|soo|really really|so so)"
)
_END = (
    r"(?=\s*(?:$|[.,!?;]|\.\.\.|and|but|because|so|right now|at the moment|atm|lately|recently|all the time|today|this week|now|"
    r"about (?:everything|it all|work|money|life|the future|all of it|literally everything)))"
)

RULES: tuple[Rule, ...] = (
    rule(
        "stress.panic",
        _S,
        r"(?:panic|anxiety) attacks?(?! (?:training|first aid|in patients)\b)"
        r"|(?:keep|kept|been|start|started|constantly|always|keep on) panicking"
        r"|panicking (?:all the time|constantly|every|at night|non stop|about everything|so much)"
        r"|(?:having|had|get|getting|keep having) (?:a )?(?:full blown |proper |massive )?panic(?! (?:about the|over the) (?:deadline|time)\b)(?: attack)?",
        subject=_SELF,
    ),
    rule(
        "stress.cant_cope",
        _S,
        r"(?:can not|could not|not|unable to|struggling to|barely|hardly|failing to|can no longer|no longer|do not know how to|how am i supposed to) (?:\w+ )?cop(?:e|ing)\b(?! with (?:the (?:it|printer|computer|heat|noise|commute)|how slow)\b)"
        r"|(?:not|barely|hardly) managing(?=\s*(?:$|[.,!?;]|\.\.\.|at all|anymore|any more|very well|well|to))"
        r"|can not (?:manage|handle|deal with|take) (?:it|this|things|everything|anything|life|work|the pressure|the stress|any more|anymore|much more)(?=\s*(?:$|[.,!?;]|\.\.\.|anymore|any more|at all|right now|and|much longer))",
        subject=_SELF,
        negatable=False,
        scoped=False,
    ),
    rule(
        "stress.breaking_point",
        _S,
        r"breaking point|end of my (?:tether|rope)|(?:my )?nerves (?:are|have) (?:\w+ )?(?:shot|shredded|in pieces|frayed|gone|in tatters)|wits end|wit s end|at my limit|reached my limit|hit (?:a|the) wall|hit rock bottom|at rock bottom"
        r"|(?:about to|going to|gonna|ready to|close to|could|will) (?:snap|crack|break|lose it|explode|fall apart|break down|burst)(?=\s*(?:$|[.,!?;]|\.\.\.|and|at|any|soon))"
        r"|on the verge of (?:tears|a breakdown|breaking down|collapse|collapsing|crying|losing it|quitting)"
        r"|close to (?:breaking down|tears|a breakdown|collapse|the edge)|breaking down|(?:nervous|mental|emotional) breakdown|heading for a breakdown"
        r"|(?:having|had|going to have|about to have|gonna have|on the verge of) (?:a |another )?(?:\w+ )?(?:breakdown|meltdown)"
        r"|(?:can not|could not) take (?:it|this|any more|anymore|much more)",
        subject=_SELF,
        scoped=False,
    ),
    rule(
        "stress.too_much",
        _S,
        r"(?:it|everything|all|this|things|life|work|the job|the workload|the pressure|it all) (?:is |are |has |have )?(?:all )?(?:just )?"
        r"(?:getting|becoming|got|become|feels|feeling|been)? ?(?:all )?(?:a bit |way |far |just |so |all a bit |all )?too much(?! (?:work|sugar|coffee|time|paperwork|to do|to ask|of a)\b)"
        r"(?=\s*(?:$|[.,!?;]|\.\.\.|for me|right now|at the moment|to (?:bear|handle|cope|take)|and|lately|now|at times))"
        r"|(?:getting|got) on top of me|(?:weighing|weighs) (?:on me|me down|heavily)",
        subject=_SELF,
        soft=True,
        scoped=False,
    ),
    rule(
        "stress.overwhelmed",
        _S,
        r"overwhelm(?:ed|ing)?(?! (?:response|support|majority|number|evidence|success|demand)\b)",
        subject=_SELF,
        soft=True,
    ),
    rule(
        "stress.anxiety",
        _S,
        r"(?:my )?anxiety (?:is|has been|has got|s|levels are|keeps) (?:\w+ )?(?:bad|awful|terrible|through the roof|off the scale|off the charts|horrendous|crippling|unbearable|"
        r"out of control|sky high|high|worse|getting worse|really bad|so bad|a nightmare|ruining|taking over|flaring|back|killing me|overwhelming|debilitating|constant)"
        r"|(?:crippling|severe|bad|awful|terrible|constant|debilitating|overwhelming|horrendous|chronic|paralysing|paralyzing|terrible) anxiety"
        rf"|{_INTENS} (?:{ADV} )*(?:anxious|on edge|jittery)(?! (?:to|that) (?:get|see|hear|start|know)\b)"
        r"|(?:anxious|on edge|jittery|tense) (?:all the time|constantly|every day|24 7|day and night|non stop|and on edge|wreck|mess|and scared)"
        r"|(?:i have|i suffer from|i am suffering with|i am struggling with|struggling with my|i have got) (?:\w+ )?(?:anxiety|depression)(?! (?:training|awareness|first aid|in patients)\b)"
        r"|(?:constantly|always|permanently|all the time) on edge|on edge (?:all the time|constantly)",
        subject=_SELF,
        soft=True,
    ),
    rule(
        "stress.stressed",
        _S,
        rf"{_INTENS} (?:{ADV} )*stressed(?: out)?"
        r"|stressed (?:out )?(?:out of my (?:mind|head|tree|skull|brain)|to the max|beyond belief|to the point|all the time|constantly|every day|24 7|to breaking point|to bits|to death|to hell|af|and anxious|and overwhelmed)"
        r"|(?:the |my |work |this )?stress (?:is|has been|levels are|level is|s) (?:\w+ )?(?:getting to me|unbearable|too much|off the charts|through the roof|killing me|making me (?:ill|sick|poorly)|affecting|overwhelming|horrendous|insane|crazy|awful|terrible|bad|high|sky high|a nightmare|crushing|taking its toll|getting worse)"
        r"|(?:sick|ill|poorly|unwell|ill health) (?:with|from|because of|due to) (?:stress|anxiety|worry)"
        r"|making me (?:ill|sick|unwell|poorly)(?= (?:with|from) (?:stress|worry|anxiety)|\s*(?:$|[.,!?;]))"
        rf"|(?:i am|i feel|feeling|i am feeling|am|been|getting|i get) (?:{ADV} )*stressed(?: out)?{_END}"
        r"|(?:so much|a lot of|huge amount of|massive amount of|unbearable|constant|immense|extreme|serious) stress(?! (?:management|awareness|test)\b)",
        subject=_SELF,
        soft=True,
        scoped=False,
    ),
    rule(
        "stress.crying",
        _S,
        r"(?:keep|kept|always|constantly|can not stop|could not stop|been|start|started|keep on|often|regularly) (?:\w+ )?(?:crying|bursting into tears|in tears|welling up|sobbing|breaking down|tearing up|weeping)"
        r"|(?:cry|crying|cried|sob|sobbing|sobbed) (?:\w+ )?(?:every day|all the time|every night|daily|at work|in the (?:toilets|toilet|car|sluice|loos?|staff room|bathroom|shower|cupboard|office)|in my car|before (?:work|my shift|shifts|every shift|and after)|after (?:work|shifts?|my shift)|myself to sleep|on the way (?:to|home)|at my desk|on shift|at handover|at home every|for hours)"
        r"|(?:in bits|in pieces|a blubbering mess)(?! of\b)|(?:tearful|weepy)|burst(?:ing)? into tears|(?:on|at) the verge of tears|holding back tears",
        subject=_SELF,
        scoped=False,
    ),
    rule(
        "stress.sleep",
        _S,
        r"(?:can not|could not|barely|hardly|have not been able to|not been able to|unable to|can never|struggling to|have not|had not) (?:\w+ )?(?:sleep|sleeping|slept)(?! in\b)(?! (?:\w+ )?(?:last night|on the train|on the sofa)\b)"
        r"|(?:am|been|i am) not sleeping|not sleeping (?:at all|well|properly|much)|(?:lie|lying|laying|lay) awake|awake (?:all night|at night|every night|until|till|at \d|most nights)"
        r"|can not (?:switch|turn|shut) (?:my )?(?:brain |head |mind |thoughts )?off|can not (?:switch off|turn off|shut off|wind down|relax|stop thinking about work|stop worrying|think straight|concentrate|focus|function|get out of bed)"
        r"|(?:mind|head|brain|thoughts) (?:is |are |keeps |keep |will not stop |never stops )?(?:always |constantly )?(?:racing|spinning|going a million miles|going round and round|in overdrive|buzzing|will not (?:stop|shut up|switch off|quiet down)|does not stop|never stops|won t stop)"
        r"|insomnia|running on (?:\d+|two|three|four|no) hours(?: of)? sleep|(?:worry|worrying|worries) (?:all the time|constantly|24 7|non stop|about everything|keeps me up|keep me up)|can not stop worrying|eating me (?:up|alive)",
        subject=_SELF,
        scoped=False,
    ),
    rule(
        "stress.physical",
        _S,
        r"palpitations|(?:chest|heart) (?:goes |is |keeps |gets |keeps going )?(?:tight|tightness|racing|races|pounding|pounds|thumping|going like the clappers)"
        r"|(?:shaking|trembling|shaky|shake|shakes) (?:\w+ ){0,3}?(?:stress|anxiety|nerves|worry|when i get home|before|at work|all the time|so much)|(?:hands|legs) (?:shake|shaking|are shaking|trembling)"
        r"|(?:feel|feeling|felt|get|i am) (?:physically )?sick (?:every morning|in the mornings|each morning|with (?:stress|anxiety|worry|dread|nerves)|before (?:work|shifts?|every shift|going in)|when i think|at the thought|every (?:day|sunday|time|shift|night)|to my stomach)"
        r"|(?:throwing up|vomiting|being sick|sick) (?:\w+ )?(?:before|from|because of|with) (?:the )?(?:stress|anxiety|work|shifts?|nerves|every shift)"
        r"|(?:stressed|anxious|worried) (?:\w+ ){0,3}?(?:throwing up|vomiting|being sick|physically sick|shaking)"
        r"|(?:hair|eyebrows) (?:is |are )?falling out|knot in my (?:stomach|chest)|(?:can not|could not) breathe|tight chest|chest tightness"
        r"|stress (?:rash|headaches|migraines|eczema|ulcer)",
        subject=_SELF,
        soft=True,
        scoped=False,
    ),
    rule(
        "stress.dread",
        _S,
        r"dread(?:ing)? (?:going (?:in|to work|back|into work)|work|every shift|each shift|every day|mondays|sundays|my shifts?|the ward|shifts|getting up|waking up|the mornings|each day|every morning|coming in)"
        r"|(?:sense|feeling) of (?:doom|dread|impending doom)"
        r"|(?:scared|terrified|frightened|afraid|petrified|dreading) (?:to go|of going|about going) (?:in|into work|to work|back|on shift|onto the ward)"
        r"|(?:scared|terrified|frightened|afraid|petrified) to (?:open my emails|face (?:work|them|everyone))"
        r"|(?:feel|feeling) sick (?:at|about) (?:going|the thought of going) (?:in|to work|back)",
        subject=_SELF,
        scoped=False,
    ),
    rule(
        "stress.not_ok",
        _S,
        r"(?:i am|i feel|feeling|am|i m|been) (?:\w+ )?not (?:ok|okay|alright|all right|doing (?:well|ok|okay|great|good)|in a good (?:place|way|headspace|space)|coping|managing|right|myself|handling (?:it|this|things)|good at all|great at all)(?! (?:with|about|at|for|to|in|on)\b)"
        r"|(?:really|so|massively|seriously|badly|honestly) struggling"
        r"|struggling (?:so much|a lot|badly|massively|really|at the moment|right now|mentally|emotionally|to cope|to keep going|to get out of bed|to function|to keep my head above water|to keep up|with everything|with life|with my mental health|big time|atm)"
        r"|(?:having|had|going through) (?:a )?(?:really |very |such a )?(?:hard|tough|rough|difficult|horrible|awful|bad) (?:time|patch)(?: (?:of it|at the moment|right now|lately|mentally))?(?=\s*(?:$|[.,!?;]|\.\.\.|of it|at the moment|right now|lately|mentally|and))",
        subject=_SELF,
        negatable=False,
        scoped=False,
    ),
    rule(
        "stress.falling_apart",
        _S,
        r"falling apart|going under|\b(?:drowning|sinking)(?! (?:in|under) (?:paperwork|emails|admin|work|forms|referrals|tasks|notes|data|meetings)| feeling| ship)\b"
        r"|(?:nervous|emotional|total|complete|absolute|anxious|physical|mental|blubbering|quivering) (?:wreck|mess)|(?:i am|i feel like) a (?:wreck|mess)"
        r"|losing it(?! (?:at|with) (?:the|a) )|losing control|losing my mind|losing the plot|going mad|going crazy|going insane|cracking up|spiralling|spiraling|unravelling|unraveling"
        r"|barely (?:holding|keeping) (?:it|myself|things) together|just about (?:holding|keeping) (?:it|myself) together|holding it together but only just"
        r"|(?:hanging|holding) on by a thread|(?:keep|keeping) my head above water|head above water|(?:work|the job|this job|it|this place|the pressure|the workload|the stress) (?:is|s) (?:\w+ )?(?:breaking|crushing|destroying|eating|consuming|wrecking|ruining) me",
        subject=_SELF,
        soft=True,
        idiomatic=True,
        scoped=False,
    ),
    rule(
        "stress.low_mood",
        _S,
        r"(?:my )?(?:mental health|mood) (?:is |has been |s )?(?:\w+ )?(?:suffering|bad|poor|awful|terrible|rock bottom|in the gutter|at rock bottom|low|shot|declining|spiralling|really low|very low|on the floor|in pieces|through the floor|a mess|non existent)"
        r"|(?:so|really|very|incredibly|extremely|constantly|always|permanently|completely|utterly|pretty) (?:low|down|flat|depressed|miserable|numb|empty)"
        r"(?! (?:on|in|about|risk|numbers|levels?|priority|key|cost|paid|stakes|maintenance|staffing|morale|the|to earth|with|for|at|under|energy)\b)"
        r"|(?:low|down|flat|depressed|miserable|numb) (?:all the time|every day|constantly|for weeks|for months|most days|and teary|and tearful)"
        r"|(?:i am|i think i am|i feel|feeling|i have been|been) (?:really |so |quite |very )?depressed|(?:i have|got|diagnosed with|suffering with|my) depression",
        subject=_SELF,
        soft=True,
        scoped=False,
    ),
    rule(
        "stress.burnout",
        _S,
        r"(?:burnt|burned|burning) out|burnout(?! (?:training|session|awareness|research|workshop|in (?:nurses|doctors|staff|the team|my team))\b)"
        rf"|(?:{_INTENS}|mentally|emotionally|physically|mentally and physically|physically and mentally) (?:{ADV} )*(?:exhausted|drained|shattered|depleted|worn out|wiped out|burnt)"
        r"|(?:exhausted|drained|shattered) (?:all the time|constantly|every day|mentally|emotionally)|running on (?:empty|fumes)|(?:running|on) empty|(?:my )?brain is fried|i am fried|frazzled|fried and"
        r"|nothing left (?:to give|in the tank)"
        r"|(?:signed off|off sick|off work|signed me off|on sick leave|on leave)(?: \w+){0,4}? (?:with|for|due to|because of) (?:work |severe |bad )?(?:stress|anxiety|depression|burnout|my mental health|my nerves)",
        subject=_SELF,
        soft=True,
    ),
    rule(
        "stress.treatment_not_working",
        _S,
        r"(?:anxiety|depression|stress|low mood|panic|nerves)(?: (?:\w+|,)){0,8}? (?:not|nothing is|nothing s|nothing) (?:really )?(?:touching|helping|working|making a (?:difference|dent)|doing anything|touching it|helps)",
        subject=_SELF,
        scoped=False,
    ),
    rule(
        "stress.trapped",
        _S,
        r"(?:feel|feeling|am|i am) (?:so |really |completely )?(?:trapped|stuck and desperate|desperate|helpless|powerless and (?:scared|anxious))(?! (?:to|for) (?:get|a|the|some|leave|know)\b)",
        subject=_SELF,
        soft=True,
        scoped=False,
    ),
)
