"""Self-harm: cutting, burning, hitting, scratching, urges and relapses (crisis)."""

from __future__ import annotations

from safety.lexicon import ADV
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_SELF = Subject.SELF

_HARM_VERBS = (
    r"(?:cut|cutting|cuts|slash|slashing|slashed|scratch|scratching|scratched|burn|burning|burnt|burned|"
    r"hit|hitting|punch|punching|punched|bite|biting|bit|harm|harming|harmed|hurt|hurting|hurts|injure|injuring|"
    r"injured|carve|carving|carved|bruise|bruising|bruised|stab|stabbing|stabbed|choke|choking|choked|"
    r"pinch|pinching|mutilate|mutilating|batter|battering|scald|scalding|scalded)"
)
_ACCIDENT = (
    r"(?! (?:on (?:a|the|some)|by accident|accidentally|shaving|cooking|chopping|lifting|moving|at the gym|playing|"
    r"gardening|in the kitchen|doing (?:the|a|some)|while|slipped|fell|tripped|with a needle|needlestick|out\b|up\b|"
    r"laughing|on purpose\?|in the process|badly at|at football|at netball|running|falling|trying to))"
)

RULES: tuple[Rule, ...] = (
    rule(
        "self_harm.harm_myself",
        _C,
        rf"{_HARM_VERBS} (?:{ADV} )?myself{_ACCIDENT}",
    ),
    rule(
        "self_harm.self_harm",
        _C,
        r"self (?:harm|harming|harmed|harms|injury|injuring|injure|injured|mutilation|mutilate|mutilating|destruct|destructive behaviou?r)"
        r"(?! (?:training|policy|policies|pathway|pathways|protocol|protocols|awareness|assessment|assessments|team|service|services|module|session|teaching|"
        r"audit|lead|champion|guidance|leaflet|rates|prevention|research|clinic|nurse|nurses|liaison|patients?|presentations?|admissions?|cases?|in (?:adolescents|young people|teenagers|patients|ed|a and e|the community|children|students))\b)",
        subject=_SELF,
    ),
    rule(
        "self_harm.relapse",
        _C,
        r"(?:started|starting|start|been|keep|kept|back to|relapsed|relapse|relapsing|resorted to|resorting to|gone back to|went back to|slipped back into|urges? to start) "
        r"(?:\w+ )?(?:cutting|burning|scratching|harming|hurting|self harm\w*)(?! (?:costs|back|down|corners|hours|the|budgets?|my hours|out|spend|spending|sugar|carbs|caffeine|hair|my hair|grass|cards|paper|patients|through|across|in|it|a|an|jobs|posts|shifts|overtime|ties|people|someone)\b)"
        r"|(?:cutting|burning|scratching|self harming|harming myself|hurting myself) (?:again|more|every day|every night|daily|most days|a lot)"
        r"|(?:relapsed|relapse|relapsing|slipped) (?:\w+ )?(?:with|on|into|back into)? ?(?:self harm|cutting|burning myself|sh)"
        r"|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|\w+ty) (?:days|weeks|months|years) clean (?:from|of) (?:self harm|cutting)",
        subject=_SELF,
    ),
    rule(
        "self_harm.urge",
        _C,
        r"(?:urges?|urging|impulses?|craving|cravings|tempted|temptation|itching|want|wanting|need|needing) (?:\w+ )?(?:to|for|of) "
        r"(?:(?:cut|cutting)(?= myself|\s*(?:$|[.,!?;]|\.\.\.|again|so bad|really bad|tonight))|cut my (?:arms?|wrists?|legs?|skin|thighs?)|self harm|"
        r"burn myself|hurt myself|harm myself|hit myself|scratch (?:myself|my skin|until)|bleed\b|the blade|a blade|the razor|feel pain)"
        r"|(?:urges?|urging|impulses?|craving|cravings|tempted|temptation|itching|compulsion) (?:\w+ )?(?:to|for) (?:cut|cutting|burn|burning|scratch|bleed)\b"
        r"(?! (?:back|down|costs?|corners|out|it|hours|spend|spending|the|a|my hours|ties|in|through|across|off)\b)"
        r"|(?:self harm|cutting) (?:urges?|thoughts?|impulses?|cravings?)",
        subject=_SELF,
    ),
    rule(
        "self_harm.wounds",
        _C,
        r"(?:cuts|scars|burns|marks|wounds|bruises|slashes|scratches) (?:\w+ ){0,2}?(?:on|all over|up and down|down) my (?:arms?|legs?|wrists?|thighs?|stomach|body|skin|hips?|chest|ankles?)"
        r"(?! (?:from|after) (?:the|a|my) (?:fall|accident|operation|surgery|op|car|cat|dog|garden|kitchen))"
        r"|(?:hide|hiding|cover|covering|conceal|concealing) (?:up )?(?:the |my )?(?:cuts|scars|marks|wounds|burns|bruises)"
        r"|(?:scratching|scratch|picking|pick|pulling|pull|scraping|scrape|digging|dig) (?:at )?(?:my )?(?:skin|arms?|legs?|face|scabs?|wrists?|nails into my \w+)(?: \w+){0,2}? (?:until|till|til|so) (?:it|they|i) (?:bleeds?|bled|bleed|hurts?|hurt|hurt)"
        r"|(?:blood|bleeding) (?:\w+ ){0,2}?(?:from|on) my (?:arms?|legs?|wrists?|thighs?)",
        subject=_SELF,
    ),
)
