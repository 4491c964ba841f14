"""Guards: what lowers or cancels a phrase hit, and why.

- Scope (`scope.clinical`): talk *about* clinical work ("suicide prevention training", "our
  overdose protocol", "patients who self-harm") cancels scoped rules. `scope.accident` does
  the same for "cut myself on a broken vial".
- Idiom (`guard.idiom`), humour (`guard.humour`), mild wording (`guard.mild`), mitigation
  (`guard.mitigated`) and coaching topic (`guard.topic`) lower only `soft` rules, which are
  never above `stress`: the idiom guard can never lower an explicit crisis or emergency phrase.
- Past and resolved (`guard.past_resolved`): "I used to panic but it's fine now".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from safety.lexicon import TIME_PLAN
from safety.sentences import Sentences

__all__ = ["PATTERNS", "MessageGuards", "Span", "overlaps"]

Span = tuple[int, int]

_RISK_TOPIC = (
    r"(?:suicid\w*|self harm\w*|overdos\w*|ligatures?|domestic (?:abuse|violence)|abuse|psychosis|psychotic"
    r"|hearing voices|voices|"
    r"eating disorders?|burnout|stress|anxiety|panic|crisis|mental health|safeguarding|risk)"
)
_TOPIC_NOUNS = (
    r"(?:prevention|awareness|risks?|assessments?|training|polic(?:y|ies)|protocols?|pathways?|audits?|guidance"
    r"|guidelines?|modules?|"
    r"sessions?|teaching|lectures?|workshops?|course|research|stud(?:y|ies)|rates|statistics|data|screening|tools?"
    r"|teams?|"
    r"services?|unit|ward|leads?|champions?|network|management|patients|cases?|calls?|presentations?|admissions?"
    r"|liaison|clinic|"
    r"nurses?|steering|group|leaflets?|plans?|forum|strategy|project|reviews?|register|scales?|questionnaires?"
    r"|first aid|"
    r"ideation in|errors?|incidents?|nomogram|treatment|simulation|scenario|competenc(?:y|ies)|supervision|debrief"
    r"|formulation|"
    r"in (?:patients|adolescents|young people|teenagers|children|students|the community|nurses|doctors|staff|men"
    r"|women|ed|a and e|custody|prison))"
)
_SCOPE = re.compile(
    "|".join(
        (
            rf"\b{_RISK_TOPIC} {_TOPIC_NOUNS}\b",
            r"\b(?:training|teaching|session|research|polic(?:y|ies)|dissertation|thesis|presentation|audit|leaflet"
            r"|lecture|course|module|"
            r"msc|project|talk|article|paper|study|webinar|workshop|guidance|pathway|seminar|protocol|teach"
            r"|presenting|reviewing|writing|"
            r"updating|chairing|leading|running|delivering|designing|developing|rolling out|understand|learn about"
            r"|learning about|"
            r"specialise in|interested in|expertise in|experience in|background in|work in|working in|lead for|piece"
            r"|reflective|essay|blog|"
            r"poster|write|article|podcast|book|chapter|review)"
            rf"(?: (?:\w+|,)){{0,5}}? {_RISK_TOPIC}\b",
            r"\b(?:patients?|clients?|service users?|residents?|callers?|people|persons?|someone|somebody|lady|man"
            r"|woman|gentleman|girl|boy|"
            r"young people|adolescents|children|teenagers|men|women|nurses|doctors|students|family|families"
            r"|relatives|admissions?)"
            r"(?: \w+){0,4}? (?:who|that|with|after|having|had|has|have|is|are|was|were|took|taken|taking|presenting"
            r"|presented|at risk of|"
            r"came in|brought in|admitted|talk|talking|say|saying|said|hear|hearing|seen)"
            r"(?: \w+){0,4}? (?:suicid\w*|self harm\w*|overdos\w*|voices|psychosis|wanting to die|want to die"
            r"|ready to die|"
            r"kill themselves|killing themselves|hurt themselves|harm themselves|cut themselves|\d+ (?:paracetamol"
            r"|tablets|pills)|an? overdose)",
            r"\b(?:a|the|his|her|their|patient|staff|inpatient|recent|another|colleague s|doctor s|nurse s"
            r"|unexpected) suicides?\b",
            r"\b(?:died|dies|death|deaths|lost \w+|lost (?:him|her|them)|bereaved|bereavement) (?:by|to|from|through"
            r"|after) (?:a )?suicide\b",
            r"\bsuicides? (?:of|in|at) (?:a|the|our|my|his|her) ",
            r"\b(?:suicidal|self harming|overdose|overdosed|psychotic) (?:patients?|clients?|people|persons?"
            r"|callers?|service users?|"
            r"presentations?|admissions?|behaviou?rs? in|young people|adolescents|cases?|man|woman|lady|gentleman"
            r"|teenagers?)\b",
            r"\b(?:patient|client|service user|resident|caller|man|woman|lady|gentleman)s? (?:\w+ )?(?:suicidal"
            r"|self harm\w*|overdose)",
            r"\b(?:insulin|drug|medication|opioid|morphine|paracetamol|accidental|deliberate) overdoses?\b",
            r"\boverdose (?:error|errors|incident|incidents|of insulin|on the ward|calls?|protocol|patients?)\b",
            r"\b(?:ligature|self harm|suicide|overdose) (?:in|on) (?:the |our )?(?:ward|unit|department|ed|a and e"
            r"|custody|prison)s?\b",
            r"\b(?:what to do|how to respond|how to support|supporting|support|signpost|signposting|ask|asking"
            r"|talk to|talking to) "
            r"(?:\w+ ){0,3}?(?:someone|somebody|people|staff|colleagues|patients|a colleague|a patient"
            r"|a friend) (?:\w+ ){0,3}?"
            r"(?:who|that|if)(?: \w+){0,3}? (?:suicid\w*|self harm\w*|overdos\w*|feel\w* suicidal)",
            r"\b(?:asking|ask|screen|screening|assess|assessing) (?:\w+ ){0,3}?about (?:suicid\w*|self harm\w*)",
        )
    )
)
_ACCIDENT = re.compile(
    r"\b(?:hurt|cut|burnt|burned|injured|stabbed|scratched|scalded|bruised|pricked) myself (?:\w+ ){0,6}?"
    r"(?:lifting|moving|slipped|fell|tripped|accident|accidentally|shaving|cooking|gym|playing|football|running"
    r"|manual handling|"
    r"sharps|needle|needlestick|on a|on the|at work|at the gym|kettle|oven|iron)\b"
)
_IDIOM = re.compile(
    r"\b(?:killing|murdering) me\b(?! (?:inside|slowly and i want))|\bkill(?:ed|ing)? it\b|\b(?:smash|nail)(?:ed"
    r"|ing)? it\b"
    r"|\bdying (?:to|for)\b|\b(?:die|kill|murder) for\b|\bto die for\b|\bmurder (?:a|an|some) \w+|\b(?:is|was"
    r"|be) (?:absolute )?murder\b"
    r"|\bdead (?:tired|on my feet|busy|chuffed|good|easy|keen|nervous|beat|excited|proud|funny|quiet|boring|set"
    r"|right|serious|lucky)\b"
    r"|\bdead to the world\b|\bknock (?:them|em|\w+) dead\b|\bdie (?:of|from) (?:embarrassment|shame|laughter"
    r"|boredom|cringe)"
    r"|\bdied laughing\b|\b(?:nearly|almost) (?:died|had a heart attack)\b|\bdeath by \w+|\b(?:sick|bored|scared"
    r"|worried) to death\b"
    r"|\b(?:cut|cutting|cuts) (?:costs?|corners|back|down|spend|spending|budgets?|hours|overtime|it fine|it close)\b"
    r"|\bshoot (?:me )?(?:an email|a message|a text|a line|over|a quick)\b|\bover the moon\b"
    r"|\b(?:losing|lose|lost) my mind (?:with|over|about|at)\b|\bdrives? me (?:mad|crazy|insane|up the wall|nuts"
    r"|round the bend)\b"
    r"|\bbloodbath\b|\bcarnage\b|\bnightmare\b|\b(?:hanging|holding) on by a thread with\b"
    r"|\bdrowning in (?:paperwork|emails|admin|work|forms|referrals|tasks|notes|data|meetings|documentation|washing"
    r"|laundry|marking)\b"
    r"|\bpulling my hair out\b|\bbanging my head against (?:a|the) (?:brick )?wall\b|\b(?:want to|could"
    r"|going to) scream\b"
    r"|\bpanic (?:buying|stations|button|bought)\b|\bmild panic\b|\b(?:feet|back|knees|head|legs) (?:are"
    r"|is) killing me\b"
    r"|\b(?:kill|killed|killing) off\b|\bkill (?:the|this|that) (?:idea|project|meeting|form|process|vibe|mood)\b"
    r"|\bgoing (?:mad|crazy) (?:with|over|for)\b|\bthe stress of (?:it|the) (?:move|wedding|holiday)\b"
)
_HUMOUR = re.compile(r"\b(?:lol|lols|haha\w*|hehe\w*|lmao|rofl|jk|joking|kidding)\b|:\)|;\)|:d\b|xd\b")
_MILD = frozenset({"bit", "little", "slightly", "somewhat", "mildly", "tad", "touch", "wee", "fairly"})
_MITIGATION = re.compile(
    r"\bbut (?:it is |it s |i am |i m |we are |things are |that is |everything is |the team is |morale is |overall "
    r"|otherwise |generally |i feel )?"
    r"(?!not )(?:\w+ )?(?:manageable|managing|fine|ok|okay|alright|all right|on top of it|coping|getting there"
    r"|all good|handling it|"
    r"got this|sorted|dealing with it|in control|under control|enjoying it|loving it|happy|good)\b"
    r"|\bbut (?:i will|i ll|we will|i am going to) (?:work on it|manage|be fine|get through|be ok|cope|sort it)\b"
    r"|\bnothing new\b|\bit is all good\b|\b(?:we|i) have got this\b|\bbut it was worth it\b|\bwhich is fine\b"
)
_TOPIC = re.compile(
    r"\b(?:want to|like to|hoping to|hope to|aim to|goal is to|learn to|learn how to|learning to|get better at"
    r"|getting better at|"
    r"how (?:do|can|should|could) (?:i|we|you|people)|how to|ways to|tips (?:for|on)|strategies (?:for|to)"
    r"|techniques (?:for|to)|"
    r"help (?:me|my team|staff|them|people|others|colleagues|my staff) (?:to )?|support (?:my team|staff"
    r"|colleagues) (?:to|with))"
    r"(?: \w+){0,2}? (?:manage|managing|handle|handling|deal with|dealing with|cope with|coping with|reduce|reducing"
    r"|tackle|tackling|"
    r"overcome|control|avoid|avoiding|prevent|preventing|recognise|spot|be less|feel less|stop feeling|stop being"
    r"|get over|"
    r"work through|talk about|understand|be better with)(?: \w+){0,3}? "
    r"(?:stress|stressed|pressure|anxiety|anxious|nerves|nervous|worry|worries|worrying|burnout|burn out|burning out"
    r"|panic|"
    r"overwhelm|overwhelmed|imposter syndrome|panicking|overthinking)\b"
    r"|\b(?:avoid|avoiding|prevent|preventing|recovered from|recovering from|risk of|signs of|stages of) burn ?out\b"
)
_CLINICAL_CONTEXT = re.compile(
    r"\b(?:patients?|clients?|service users?|residents?|callers?|caseload|case|cases|admitted|admission|brought in"
    r"|came in|"
    r"presented|presenting|resus|triage|a and e|(?:in|to|at|the|our) ed|mdt|referral|referred|crisis team|ambulance"
    r"|paramedics?|bed \d+|lady|gentleman|"
    r"ward round|on the ward|in clinic|consultation|the family|relatives|people|someone|somebody|anyone|person|film"
    r"|book|show|"
    r"series|news|celebrity|documentary|training|teaching|session|policy|audit)\b"
)
_RESOLVED = re.compile(
    r"\b(?:but|and) (?:now |these days |since then |luckily |thankfully |honestly )?(?:i am |it is |it s "
    r"|things are |that is |all |i have been |"
    r"i feel |everything is |i have |i m |i have got |we are |its )?(?:much |a lot |so much |way |really "
    r"|completely |totally )?"
    r"(?:fine|ok|okay|good|great|better|well|sorted|resolved|over|behind me|under control|in a (?:good|better"
    r"|much better|great|really good) place|"
    r"doing (?:well|better|fine|great|ok|really well)|thriving|recovered|long behind me|manageable|calmer|calm|happy"
    r"|stable|"
    r"on top of it|got a system|a system|strategies|got strategies|got it sorted|moved on|been clean|clean|been well"
    r"|back and thriving|"
    r"come through it|through it|past it|over it|fine now|much better now)\b"
    r"|\b(?:fine|ok|okay|better|calmer|calm|good|great|sorted|well|stable|settled) now\b|\bnot anymore\b"
    r"|\bno longer\b|\bgot through it\b"
    r"|\bwent (?:fine|well|ok|okay|great|really well|smoothly|brilliantly)\b|\b(?:did|done) it anyway\b"
    r"|\bsorted it\b|\bbehind me\b"
    r"|\bsince (?:we talked|then)\b|\bhave not (?:had one|had any|felt like that|done it|self harmed|cut) (?:since"
    r"|for (?:years|ages|months|a long time))\b"
    r"|\b(?:recovered|recovery|well now|in recovery)\b"
    # Present contentment after a past difficulty: "...but I love my job now", "...it's the best thing I did".
    r"|\b(?:i )?(?:love|enjoy|enjoying|like) (?:my job|it|them|the job|my work|work|the work|ed|it here)(?: again| now)?\b"
    r"|\b(?:feel|feeling|felt) (?:great|lighter|good|settled|content|proud|much better|so much better|fine)\b"
    r"|\b(?:content|proud of|settled|calmed down|suits me|the best thing|sleep fine|learned|learnt|coping strategies"
    r"|has sorted|have sorted|got much better|a lot better now|keep well|stay well|quite like)\b"
    r"|\b(?:that|it|they|which|those) (?:has |have )?(?:stopped|eased|passed|went away|settled)\b|\b(?:and|but|so) now\b"
    r"|\b(?:have not|not) (?:had|felt|done|needed) (?:one|any|it|that|them)(?: \w+){0,3}? (?:since|for|in)\b"
    # Resolved by the years since: "...not an issue for a decade", "...not been a problem since uni".
    r"|\b(?:not|never) (?:been |really )?(?:an? )?(?:issue|problem|thing|worry|concern|struggle)(?: for me)?"
    r" (?:for|in|since|these days|any more|anymore)\b|\bnot for (?:years|ages|a decade|decades|a long time)\b"
)
_PAST_EXPLICIT = re.compile(
    r"\b(?:used to|years ago|a year ago|months ago|as a (?:teenager|teen|kid|child|student|young \w+)|"
    r"when i was (?:younger|a teenager|a teen|at uni|at school|a student|a kid|a child|little|\d+|in my)|in the past"
    r"|back then|"
    r"back in \d+|back in the day|at uni|at university|last (?:year|summer|winter|spring|autumn)|a while (?:ago"
    r"|back)|ages ago|"
    r"previously|in my (?:teens|twenties|20s|early)|historically|a long time ago|once before|"
    r"(?:\d+|two|three|four|five|six|ten|several|many|a few) years (?:back|ago)|a (?:few|couple of) years (?:back|ago)"
    r"|back when|in my (?:last|old|previous|first) (?:job|trust|ward|post|role|rotation|placement|year)|on the old ward"
    r"|on my first (?:placement|rotation|ward)|in my first (?:rotation|placement|year|job)|during my \w+)\b"
)
_PAST_VERB = re.compile(r"\b(?:was|were|had|used|felt|did|got|went|thought|wanted|panicked|cried|struggled)\b")
_TASK = re.compile(
    r"\b(?:meeting|meetings|e ?mail|emails|application|apply|applying|presentation|present|appraisal|form|forms"
    r"|conversation|"
    r"book|booking|submit|report|action|actions|interview|reflection|portfolio|revalidation|training|course|module"
    r"|audit|rota|"
    r"referral|phone|ring|speak to|talk to|chat with|hr|essay|assignment|homework|cv|exam|revision|shift swap"
    r"|leave request|"
    r"one to one|supervision|handover|teaching|deadline|project|proposal|slides|spreadsheet|paperwork|notes|feedback|"
    r"my manager|my boss|the team|the consultant|matron|ask (?:her|him|them)|tell (?:her|him|them)|the call"
    r"|the session|"
    r"the conversation|the course|the application|the form|the email|the audit|the rota|the presentation"
    r"|the interview|leave|holiday|annual leave|day off|days off|off work|study day|conference|sale|offer|deal|contract"
    r"|season|series|match)\b"
)
_PLAN_TIME = re.compile(rf"\b{TIME_PLAN}\b")
_HELP_SEEKING = re.compile(
    r"\b(?:gp|doctor|appointment|therapist|counsellor|counselor|samaritans|crisis team|talk|speak|call|ring|see"
    r"|seeing|help|"
    r"session|review|meeting|meet|interview|appraisal)\b"
)

PATTERNS: dict[str, re.Pattern[str]] = {
    "scope": _SCOPE,
    "accident": _ACCIDENT,
    "idiom": _IDIOM,
    "humour": _HUMOUR,
    "mitigation": _MITIGATION,
    "topic": _TOPIC,
    "clinical": _CLINICAL_CONTEXT,
    "resolved": _RESOLVED,
    "past_explicit": _PAST_EXPLICIT,
    "past_verb": _PAST_VERB,
    "plan_time": _PLAN_TIME,
    "task": _TASK,
    "help_seeking": _HELP_SEEKING,
}
"""Every guard pattern by name, so the screener's literal prefilter can skip the ones that can't match."""


def overlaps(start: int, end: int, spans: Sequence[Span]) -> bool:
    """Does [start, end) overlap any span?"""
    return any(s < end and start < e for s, e in spans)


class MessageGuards:
    """The guards for one normalised message: each pattern runs at most once, and only if it can match."""

    __slots__ = ("_found", "_possible", "_sentences", "_text")

    def __init__(
        self,
        text: str,
        possible: Mapping[str, Sequence[re.Pattern[str]]] | None = None,
        sentences: Sentences | None = None,
    ) -> None:
        self._text = text
        self._sentences = sentences or Sentences(text)
        self._possible = {name: (p,) for name, p in PATTERNS.items()} if possible is None else possible
        self._found: dict[str, tuple[Span, ...]] = {}

    def spans(self, name: str) -> tuple[Span, ...]:
        """Where guard `name` matches: only the branches the prefilter left are run."""
        found = self._found.get(name)
        if found is None:
            branches = self._possible.get(name)
            if not branches:
                found = ()
            elif len(branches) == 1:
                found = tuple([m.span() for m in branches[0].finditer(self._text)])
            else:
                found = tuple(sorted([m.span() for branch in branches for m in branch.finditer(self._text)]))
            self._found[name] = found
        return found

    def sentence(self, start: int, end: int) -> Span:
        """Bounds of the sentence holding [start, end)."""
        return self._sentences.start_of(start), self._sentences.end_of(end)

    def _in_sentence(self, name: str, start: int, end: int) -> Span | None:
        if name not in self._possible:
            return None
        low, high = self.sentence(start, end)
        for s, e in self.spans(name):
            if s >= low and e <= high:
                return s, e
        return None

    def scoped(self, start: int, end: int) -> bool:
        """Is the phrase part of talk about clinical work ("suicide prevention training")?"""
        return overlaps(start, end, self.spans("scope"))

    def accidental(self, start: int, end: int) -> bool:
        """Is the phrase an accidental injury ("cut myself on a broken vial")?"""
        return overlaps(start, end, self.spans("accident"))

    def idiomatic(self, start: int, end: int) -> bool:
        """Is the phrase workplace hyperbole ("killing me", "drowning in paperwork")?"""
        return overlaps(start, end, self.spans("idiom"))

    def topical(self, start: int, end: int) -> bool:
        """Is stress the coaching topic here ("I want to handle pressure better")?"""
        return overlaps(start, end, self.spans("topic"))

    def task(self) -> bool:
        """Does the message name a coaching task ("book the meeting", "my application")?"""
        return bool(self.spans("task"))

    def humour(self) -> bool:
        """A laugh marker (lol, haha) that makes hyperbole read as hyperbole."""
        return bool(self.spans("humour"))

    def clinical(self) -> bool:
        """Is the message about patients, clinical work or people in general?"""
        return bool(self.spans("clinical"))

    def mild(self, start: int, end: int) -> bool:
        """Is the phrase softened ("a bit stressed", "slightly overwhelmed")?"""
        before = self._text[:start].split()[-3:]
        return any(token in _MILD for token in (*before, *self._text[start:end].split()))

    def mitigated(self, start: int, end: int) -> bool:
        """Does the same sentence go on to say it's manageable ("...but I'm managing fine")?"""
        _, high = self.sentence(start, end)
        return any(s >= end and s < high for s, _ in self.spans("mitigation"))

    def resolved_after(self, position: int) -> bool:
        """Does the message say it is resolved now ("...but it's fine now", "went well")?"""
        return any(s >= position for s, _ in self.spans("resolved"))

    def past_explicit(self, start: int, end: int) -> bool:
        """Is the phrase explicitly in the past ("used to", "years ago", "as a teenager")?"""
        return self._in_sentence("past_explicit", start, end) is not None

    def past_tense(self, start: int, end: int) -> bool:
        """Is the phrase's sentence in the past tense ("I was stressed...")?"""
        return self._in_sentence("past_verb", start, end) is not None

    def plan_time(self, start: int, end: int) -> bool:
        """Is there a plan-like time ("tonight", "after my shift") in the phrase's sentence, not about help or work?"""
        time = self._in_sentence("plan_time", start, end)
        if time is None:
            return False
        window_low, window_high = max(0, time[0] - 40), time[1] + 20
        return not any(s >= window_low and e <= window_high for s, e in self.spans("help_seeking"))
