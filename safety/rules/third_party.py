"""Someone else's risk disclosed by the coachee: a colleague, friend or family member (crisis).

POLICY: "my colleague said she wants to kill herself" is crisis. A patient's risk is clinical
work, not a disclosure: `third_party.risk_mentioned` is flagged `third_party` so the screener
drops it when the message is about patients, service users or people in general.
"""

from __future__ import annotations

from safety.lexicon import REL
from safety.rules.model import Rule, Subject, rule
from safety.types import Tier

_C = Tier.CRISIS
_E = Tier.EMERGENCY
_REFLEXIVE = r"(?:himself|herself|themselves|themself)"
_POSSESSIVE = r"(?:his|her|their)"

RISK = (
    rf"(?:(?:kill|killing|killed|hurt|hurting|harm|harming|harmed|cut|cutting|end|ending|top|topping|hang|hanging|starve|starving|burn|burning|unalive|drown|drowning|poison|poisoning|gas) {_REFLEXIVE}"
    rf"|(?:end|ending|take|taking|took|taken) {_POSSESSIVE} (?:own )?life"
    r"|(?:is|are|was|were|been|being|feeling|feels|felt|seems|seemed|sounded|sounds|might be|may be|could be|probably|looked|looks|getting) (?:\w+ )?suicidal"
    r"|suicidal (?:thoughts|feelings|ideation|again|lately)"
    r"|(?:has been|is|been|was|keeps|started|starting|have been|had been|is still) (?:\w+ )?self harm(?:ing)?|self harms|self harmed|(?:cuts|cut|burns|scratches|hurts|harms) (?:her|his|their) (?:arms?|legs?|wrists?|skin|self)"
    r"|(?:does not|doesnt|do not|did not|no longer|does no longer) (?:\w+ )?(?:want|wish) to (?:live|be alive|be here|exist|wake up|go on|carry on)"
    r"(?! (?:in|at|with|near|there|here|like that|abroad|alone|on|nearby|so|far|all|this|the|for)\b)"
    r"|(?:she|he|they) (?:\w+ ){0,3}?(?:wants|wanted|want|wishes|wished|is ready|was ready) (?:\w+ )?to (?:die|be dead|end it|disappear for good|not be here|not wake up)"
    rf"|(?:took|taken|taking|take|has taken|had taken) (?:an |another )?overdose|overdosed|(?:take|taking|took|taken|swallow|swallowed) (?:all |a load of |loads of )?(?:of )?{_POSSESSIVE} (?:\w+ )?(?:pills|tablets|meds|medication|insulin)"
    r"|better off (?:dead|without (?:him|her|them))"
    r"|(?:thinking|thought|talking|talked|talks|spoke|speaking|mentioned|mentioning|joked|joking|posting|posted) (?:\w+ )?(?:about|of) (?:suicide|killing (?:himself|herself|themselves)|ending (?:it|things|it all|his life|her life|their life)|not being here|dying|wanting to die|taking (?:an overdose|(?:all )?(?:his|her|their) (?:pills|tablets)))"
    r"|(?:tried|trying|attempted|attempting) to (?:kill|hang|overdose|end|take|drown|hurt)|(?:a |an |another )?(?:suicide )?attempt(?! (?:at|to (?:fix|get|make|sort|explain)))"
    r"|(?:plan|planning|plans|planned) to (?:kill|end) (?:himself|herself|themselves|it|his|her|their)"
    r"|(?:said|says|told me|saying|texted|messaged|admitted|confided|wrote) (?:that )?(?:she|he|they) (?:\w+ ){0,3}?(?:wants|wanted|want|is going|was going|would|will|might) (?:to )?(?:die|kill|end it|end things|not be here|hurt (?:himself|herself|themselves)))"
)
"""Phrases that name another person's risk (reflexive or possessive pronouns, "she is suicidal")."""

RULES: tuple[Rule, ...] = (
    rule(
        "colleague.risk_disclosed",
        _C,
        rf"\b{REL}\b(?: (?:\w+|,)){{0,16}}? {RISK}",
        scoped=False,
        negatable=False,
    ),
    rule(
        "colleague.worried_for_safety",
        _C,
        rf"(?:worried|scared|concerned|frightened|terrified) (?:\w+ ){{0,3}}?(?:about|for) (?:\w+ ){{0,2}}?{REL}\b(?: (?:\w+|,)){{0,10}}? (?:safety|safe|life|suicid\w*|harm|hurt|do something|not (?:ok|okay|safe)|might do)",
        scoped=False,
        negatable=False,
    ),
    rule(
        "colleague.act_under_way",
        _E,
        rf"\b{REL}\b(?: (?:\w+|,)){{0,12}}? (?:has|have|had) (?:just |now )?(?:taken|swallowed|cut|overdosed|hung|tied)"
        r"(?: (?:\w+|,)){0,6}? (?:now|right now|just now|tonight|today|and is|and she is|and he is|an hour ago|minutes ago|pills|tablets|overdose|wrists|noose|rope)"
        rf"|\b{REL}\b(?: (?:\w+|,)){{0,12}}? (?:is|are) (?:on the (?:bridge|roof|ledge|edge|railway|tracks)|about to (?:jump|kill|take)|going to (?:kill|end) (?:\w+ )?(?:tonight|today|now))",
        scoped=False,
        negatable=False,
    ),
    rule(
        "third_party.risk_mentioned",
        _C,
        RISK,
        subject=Subject.OTHER,
        third_party=True,
        negatable=False,
    ),
)
