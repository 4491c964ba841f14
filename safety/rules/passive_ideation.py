"""Passive suicidal ideation: wishing to be dead or not to wake, without a stated method (crisis)."""

from __future__ import annotations

from safety.lexicon import ADV, gap
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_SELF = Subject.SELF
_WISH = r"(?:wish|wishing|wished|hope|hoping|hoped|pray|praying|prayed|want|wanted|wanting|wants|would like|like|rather|prefer|long|longing|dream of|dreaming of)"
_NOT_WAKE = r"(?:not|never|do not|will not|would not|did not|could not) (?:to )?(?:wake|waking|woke) ?(?:up)?"

RULES: tuple[Rule, ...] = (
    rule(
        "passive_ideation.sleep_not_wake",
        _C,
        rf"{_WISH}{gap(6)} {_NOT_WAKE}"
        rf"|(?:sleep|asleep|close my eyes|go to bed){gap(2)} (?:and|then|&) (?:just )?(?:never|not|do not) (?:wake|waking|come back)"
        rf"|(?:do not|never|not) (?:\w+ )?want to (?:wake up|wake|be awake)(?! early| at| for| late)"
        r"|sleep (?:forever|for ever|and never|permanently)"
        r"|(?:go to sleep|fall asleep|sleep) (?:and )?(?:not|never) wake",
        negatable=False,
    ),
    rule(
        "passive_ideation.wish_dead",
        _C,
        rf"{_WISH}{gap(4)} (?:i|to) (?:{ADV} )*(?:was|were|would be|could be|be|had|am|might be) (?:{ADV} )*"
        r"(?:dead|gone|not here|not around|not alive|no more|never born|not born|died|not in this world|six feet under)"
        r"|(?:wish|hope|pray|praying|hoping) (?:that )?i (?:would |could |will |might )?(?:just )?(?:die|drop dead|got hit|get hit|got run over|get run over|crash|do not survive|do not make it)"
        r"|wish (?:that )?(?:the|a|some|something|someone) ?\w* (?:would|will|could) (?:just )?(?:hit|kill|run over|take) me"
        r"|(?:want|wanted|wish|like|rather) (?:\w+ ){0,2}?to be (?:dead|gone|unalive)",
        subject=_SELF,
    ),
    rule(
        "passive_ideation.want_to_die",
        _C,
        r"(?:want|wanted|wanting|wants|wish|wishing|ready|long|longing|hoping|hope|pray|praying|desperate|willing|prepared|need|needing|deserve|deserving) "
        rf"(?:{ADV} )*(?:i could |i would |i can |i )?(?:{ADV} )*(?:to )?(?:{ADV} )*die\b"
        r"(?! (?:of|from) (?:embarrassment|shame|laughter|laughing|boredom|cringe)| laughing| with embarrassment| for (?:a|an|some|this|that|the|one|it|him|her|them)\b| in (?:my|old|peace at)|\w)"
        r"|(?:feel|feeling|felt) like (?:i want to )?(?:dying|i want to die|i should die|i am dying inside)"
        r"|(?:would|had|rather) (?:{ADV} )*rather (?:{ADV} )*(?:die|be dead|not be alive|not exist|not wake up|not be here|be gone)"
        # "I'd rather die than sing karaoke lol" is a joke about a preference: only a comparison said with a laugh
        # is let go ("rather be dead than go back to that ward" is not a joke, and a laugh alone never lowers risk).
        r"(?! than\b(?=.*\b(?:lol|lols|haha\w*|hehe\w*|lmao|rofl|jk|joking|kidding)\b)(?! (?:\w+ )?(?:live|living|carry"
        r"|carrying|go on|going on|keep|keeping|face|facing|be alive|be here|wake|waking|exist|existing|feel|feeling"
        r"|suffer|suffering|continue|continuing|struggle|deal|cope)\b))",
        subject=_SELF,
    ),
    rule(
        "passive_ideation.not_exist",
        _C,
        rf"{_WISH}(?: (?:i|to|could|would|just|really|honestly|simply|sometimes|that|if|only|was|were|be|able|so|much|can|like|rather|not|to be honest))* "
        r"(?:not exist|not to exist|stop existing|cease to exist|ceased to exist|not be alive|disappear|vanish|evaporate|fade away|not be here|not be around|not to be here|never have existed|never existed|never been born|be erased)"
        r"(?! (?:to|on|into|somewhere|off|under|from|for a|for the|for some|for two|for \d|until|till|with)\b| for (?:a|the|an|some|two|three|few|\d+) )"
        r"|(?:would|had|i would) (?:{ADV} )*rather not (?:exist|be here|be alive)",
        subject=_SELF,
    ),
    rule(
        "passive_ideation.better_off_without_me",
        _C,
        r"better off (?:\w+ ){0,2}?(?:without me|dead|not waking up|not being (?:here|alive|around)|not existing|gone|not here|never waking up|if i (?:was|were|was not|were not|had|died|disappeared|am not|went)|with me gone|when i am gone)"
        r"|(?:happier|easier|better|simpler|lighter|fine|okay|ok) (?:off )?(?:for (?:everyone|everybody|them|you|all)|all round)? ?(?:without me|if i (?:was|were) (?:not (?:here|around|alive)|gone|dead)|with me gone|once i am gone|if i disappeared|if i died)"
        r"|(?:world|everyone|everybody|my family|the kids|people) (?:would|will) (?:\w+ ){0,2}?(?:be )?(?:better|happier|easier) (?:off )?without me",
        negatable=False,
    ),
    rule(
        "passive_ideation.no_one_would_miss",
        _C,
        r"(?:no one|noone|nobody|no body|not one person|not a single person|nobody really|no one really) (?:\w+ )?(?:would|will|is going to|is gonna) (?:even )?(?:miss|notice|care|mourn|cry)(?:\w*) (?:(?:about )?me|if i (?:was|were|went|died|disappeared|was not|were not|did not|killed)|when i am gone|once i am gone)"
        r"|(?:would|will) (?:anyone|anybody) (?:even |actually |really )?(?:miss me|notice if i|care if i)",
        negatable=False,
    ),
    rule(
        "passive_ideation.not_want_to_live",
        _C,
        r"(?:do not|not|never|no longer|did not|dont|would not|will not) (?:\w+ )?(?:really |even |honestly |particularly )?(?:want|wish|care) to "
        r"(?:live|be alive|exist|stay alive|carry on living|keep living|go on living|survive|be here anymore|be here any more|be here any longer|be on this earth|be in this world|be here now)"
        r"(?! (?:in|at|with|near|there|here|like that|abroad|alone|by|on|nearby|so|far|further|close)\b)"
        r"|(?:do not|not|no longer|never) (?:\w+ )?(?:really )?want to be here(?= ?(?:$|[.!?;,]|anymore|any more|any longer|on this|in this world|now|anymore)| (?:and|but) )"
        r"|(?:can not|could not|can no longer|do not think i can|not sure i can|do not know (?:if|how|whether) (?:much longer )?i can|unable to|how can i|how much longer can i) (?:\w+ )?"
        r"(?:go on|carry on|keep going|keep living|keep on living|live like this|continue living|continue like this|do this anymore|do this any more|do this any longer|do this no more|do this no longer|face another day|face tomorrow|take (?:it|this|much) (?:anymore|any more|any longer|no more))"
        r"(?! (?:the|a|an|this|that|holiday|leave|nights|shift|rota|course|training|placement|secondment|about|with (?:the|this|work|my)|at (?:this|the) (?:job|trust|ward|place|hospital)|in (?:this|the) (?:job|role|post|trust|ward|place|team))\b)"
        r"|(?:life|living|my life|it|anything) (?:is not|is no longer|is never|isnt|is not really|does not feel|not) (?:\w+ )?worth (?:living|it anymore|it any more|the effort|the pain|fighting for)"
        r"|(?:nothing|no one|nobody|not much) (?:left )?(?:to live for|worth living for)"
        r"|no (?:point|reason|purpose|use) (?:for me )?(?:in |to )?(?:me )?(?:living|live|being alive|being here|be here|going on|carrying on|existing|exist|life|staying alive|stay alive|waking up|keep going|keeping going)"
        r"|no (?:reason|point) (?:for me )?to (?:be here|live|stay|go on|carry on|keep going|exist|wake up)",
        negatable=False,
    ),
    rule(
        "passive_ideation.death_thoughts",
        _C,
        r"(?:think|thinking|thought|thoughts|obsess|obsessed|obsessing|fantasi[sz]e|fantasi[sz]ing|dream|dreaming|preoccupied|fixated|romanticising|romanticizing|daydream|daydreaming|imagine|imagining) "
        r"(?:\w+ ){0,2}?(?:about |of |with |on )(?:death|dying|being dead|my (?:own )?death|not being (?:here|alive|around)|not existing|not waking up|my (?:own )?funeral|never waking up|no longer being here)"
        r"(?! of (?:a|the|my|her|his|our|their|that|this)\b| (?:and|in) (?:dying|palliative|end of life) care)"
        r"|(?:imagine|imagining|imagined|picture|picturing|plan|planning|planned) my (?:own )?funeral"
        r"|(?:doing|do|did) (?:everyone|everybody|them|the world|my family|my kids|the team|you all) a (?:favour|favor) (?:if|by|when) (?:i|me|my)"
        r"|(?:death|dying|being dead|not existing|not being here|not waking up|never waking up|ending it) (?:would|will|seems|feels|sounds|is) (?:\w+ )?(?:like )?(?:a |the )?(?:relief|peaceful|easier|better|nice|welcome|answer|only way|escape|way out)"
        r"|who would (?:even )?(?:come|turn up|go) to my funeral",
        subject=_SELF,
    ),
    rule(
        "passive_ideation.join_the_dead",
        _C,
        r"(?:want|wish|long|ready) (?:\w+ ){0,2}?to (?:be with|join|see) (?:my )?(?:late )?(?:\w+ )?(?:again )?(?:in heaven|who died|who passed|on the other side|up there)"
        r"|(?:want|wish|long) (?:\w+ ){0,2}?to (?:join|be with) my (?:late|dead|deceased) ",
        subject=_SELF,
    ),
    rule(
        "passive_ideation.want_it_to_end",
        _C,
        r"(?:want|wish|need|like) (?:for )?(?:it|it all|everything|all of this|all this|this|life|my life|the pain|this pain|the world) (?:all )?(?:to |would |could )?(?:just )?(?:end|stop|be over|go away forever|finish)(?!\w)(?! (?:early|soon|on time|at|by|so i can|so that|for the day|for today)\b)"
        r"|(?:it|everything|all this|this) (?:will|is going to|would) (?:all )?be over (?:soon|shortly|for good)",
        subject=_SELF,
    ),
)
