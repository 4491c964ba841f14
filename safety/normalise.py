"""Turn a raw chat message into one canonical form, so the phrase rules stay short.

People in distress type fast and badly: curly quotes, stretched letters, "im", "cant",
"s u i c i d e", "su1c1de", "kms", "tabelts". Every rule would otherwise have to spell out
all of that. `normalise` maps it all to plain lower-case words and punctuation tokens,
separated by single spaces, with contractions expanded ("i am", "can not", "do not").

Everything here is precompiled at import time: the screener's budget is microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from itertools import product

__all__ = [
    "expand_contractions",
    "expand_slang",
    "fix_misspellings",
    "fold_characters",
    "join_spaced_letters",
    "normalise",
    "squash_stretched",
    "tokenise_punctuation",
    "undo_leetspeak",
]

# --- 1. Unicode folding -------------------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_FOLD_TABLE: dict[int, str | None] = {ord(c): None for c in _ZERO_WIDTH}
_FOLD_TABLE.update({cp: " " for cp in range(0, 32)})
_FOLD_TABLE.update({cp: " " for cp in range(127, 160)})
_FOLD_TABLE.update(
    {
        ord("\u2018"): "'",
        ord("\u2019"): "'",
        ord("\u201a"): "'",
        ord("\u201b"): "'",
        ord("\u2032"): "'",
        ord("\u00b4"): "'",
        ord("`"): "'",
        ord("\u02bc"): "'",
        ord("\u201c"): '"',
        ord("\u201d"): '"',
        ord("\u201e"): '"',
        ord("\u2033"): '"',
        ord("\u2010"): "-",
        ord("\u2011"): "-",
        ord("\u2012"): "-",
        ord("\u2013"): "-",
        ord("\u2014"): "-",
        ord("\u2015"): "-",
        ord("\u2212"): "-",
        ord("&"): " and ",
        ord("\U0001f602"): " lol ",  # face with tears of joy
        ord("\U0001f923"): " lol ",  # rolling on the floor laughing
        ord("\U0001f606"): " lol ",
        ord("\U0001f605"): " lol ",
    }
)


def fold_characters(text: str) -> str:
    """NFKC, lower-case, straight quotes, no zero-width or control characters: one alphabet for rules."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE).lower()


# --- 2. Letters typed apart: "k i l l", "s.u.i.c.i.d.e", "o.d." ---------------------------------

_DOTTED = re.compile(r"(?<![a-z0-9])(?:[a-z]\.){1,}[a-z](?![a-z0-9])\.?")
_SPACED = re.compile(r"(?<![a-z0-9'])[a-z](?:[ \-_*.]{1,3}[a-z](?![a-z0-9'])){2,}")
_RISK_STEMS = (
    "kill",
    "suicid",
    "die",
    "dead",
    "death",
    "selfharm",
    "harm",
    "hurt",
    "myself",
    "overdose",
    "pills",
    "tablets",
    "hang",
    "noose",
    "cut",
    "kms",
    "kys",
    "ctb",
    "endit",
    "unalive",
    "wrist",
)


def _join_dotted(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "")


def _join_spaced(match: re.Match[str]) -> str:
    letters = re.sub(r"[ \-_*.]", "", match.group(0))
    if any(stem in letters for stem in _RISK_STEMS):
        # "i k i l l" is "i" + "kill": keep a leading pronoun apart when the rest is the word.
        if letters[0] in "ia" and any(letters[1:].startswith(s) for s in _RISK_STEMS):
            return letters[0] + " " + letters[1:]
        return letters
    return match.group(0)


_GLUED = re.compile(r"\b(kill|killing|end|hurt|cut|harm)(myself|mylife|itall)\b")
_GLUED_WORDS = {"myself": "myself", "mylife": "my life", "itall": "it all"}


def join_spaced_letters(text: str) -> str:
    """Rejoin letters typed apart to dodge filters; only spaced runs that spell a risk word are joined."""
    text = _DOTTED.sub(_join_dotted, text)
    text = _SPACED.sub(_join_spaced, text)
    return _GLUED.sub(lambda m: m.group(1) + " " + _GLUED_WORDS[m.group(2)], text)


# --- 3. Leetspeak: "su1c1de", "k1ll", "d3ad" ------------------------------------------------------

_LEET = re.compile(r"(?<![a-z0-9@$])[a-z0-9@$]*(?:[a-z][0-9@$]|[0-9@$][a-z])[a-z0-9@$]*(?![a-z0-9@$])")
_LEET_TABLE = str.maketrans({"1": "i", "3": "e", "0": "o", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    plain = token.translate(_LEET_TABLE)
    if plain.isalpha() and any(stem in plain for stem in _RISK_STEMS):
        return plain
    return token


def undo_leetspeak(text: str) -> str:
    """Read digits-as-letters only when the result is a risk word, so "3am" and "band7" stay as typed."""
    return _LEET.sub(_unleet, text)


# --- 4. Stretched letters: "soooo", "pleeease", "killlll" ----------------------------------------

_STRETCHED = re.compile(r"[a-z]*([a-z])\1{2,}[a-z]*")
_RUN = re.compile(r"([a-z])\1{2,}")
_VOCAB = frozenset(
    ["so", "no", "yes", "please", "help", "die", "dead", "kill", "killing", "killed", "me", "my", "myself", "alone", "sorry", "bye", "goodbye", "really", "tired", "stressed", "stress", "anxious", "anxiety", "sad", "done", "over", "need", "want", "wanna", "gonna", "cry", "crying", "sleep", "feel", "feeling", "hate", "life", "end", "ending", "pain", "hurt", "hurting", "scared", "fear", "lost", "good", "bad", "well", "all", "all", "too", "very", "now", "soon", "tonight", "today", "tomorrow", "now", "god", "omg", "ugh", "argh", "aargh", "hmm", "oh", "ah", "ahh", "wow", "cool", "fine", "ok", "okay", "love", "lol", "haha", "hahaha", "sooo", "yeah", "nah", "nope", "anymore", "more", "much", "tonight", "shift", "work", "overwhelmed", "exhausted", "knackered", "burnt", "burnout", "panic", "panicking", "awful", "terrible", "horrible", "hopeless", "worthless", "useless", "pointless", "stupid", "silly", "suicide", "suicidal", "pills", "tablets", "overdose", "hell", "still", "will", "all", "till", "full", "call", "fall", "kill", "ill", "feel", "free", "sleep", "keep", "need", "see", "been", "seen", "too", "soon", "off", "stuff", "staff", "stiff", "cliff", "small", "tall", "sell", "tell", "well", "wall", "bill", "fill", "hill", "pass", "less", "loss", "miss", "boss", "mess", "kiss", "class", "glass", "grass", "cross", "dress", "press", "stress", "struggle", "struggling", "cope", "coping", "leave", "alone", "enough", "wrong", "right", "night", "bleeding", "blood", "cut", "cutting", "noose", "rope", "jump", "bridge"]
)


def _squash(match: re.Match[str]) -> str:
    word = match.group(0)
    runs = list(_RUN.finditer(word))[:4]
    for lengths in product((1, 2), repeat=len(runs)):
        pieces: list[str] = []
        last = 0
        for run, keep in zip(runs, lengths, strict=True):
            pieces.append(word[last : run.start()])
            pieces.append(run.group(1) * keep)
            last = run.end()
        pieces.append(word[last:])
        candidate = "".join(pieces)
        if candidate in _VOCAB:
            return candidate
    return _RUN.sub(r"\1", word)


def squash_stretched(text: str) -> str:
    """Collapse letters held down for emphasis ("soooo" -> "so", "killlll" -> "kill")."""
    return _STRETCHED.sub(_squash, text)


# --- 5. Contractions, with and without the apostrophe ------------------------------------------


def _table_sub(table: Mapping[str, str]) -> Callable[[str], str]:
    """One precompiled alternation per table: a single pass however many entries it has."""
    body = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    pattern = re.compile(rf"(?<![a-z0-9'])(?:{body})(?![a-z0-9'])")

    def apply(text: str) -> str:
        return pattern.sub(lambda m: table[m.group(0)], text)

    return apply


_CONTRACTIONS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "i'm": "i am",
    "im": "i am",
    "i m": "i am",
    "i ve": "i have",
    "i'ma": "i am going to",
    "imma": "i am going to",
    "ima": "i am going to",
    "ive": "i have",
    "cant": "can not",
    "dont": "do not",
    "didnt": "did not",
    "doesnt": "does not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "wouldnt": "would not",
    "couldnt": "could not",
    "shouldnt": "should not",
    "havent": "have not",
    "hasnt": "has not",
    "hadnt": "had not",
    "aint": "is not",
    "wont": "will not",
    "youre": "you are",
    "theyre": "they are",
    "thats": "that is",
    "whats": "what is",
    "theres": "there is",
    "shes": "she is",
    "its": "it is",
    "youve": "you have",
    "weve": "we have",
    "theyve": "they have",
    "youll": "you will",
    "itll": "it will",
    "thatll": "that will",
    "wouldve": "would have",
    "couldve": "could have",
    "shouldve": "should have",
    "wanna": "want to",
    "wana": "want to",
    "gonna": "going to",
    "gunna": "going to",
    "gotta": "got to",
    "dunno": "do not know",
    "tryna": "trying to",
    "kinda": "kind of",
    "sorta": "sort of",
    "lemme": "let me",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "cus": "because",
}
_expand_table = _table_sub(_CONTRACTIONS)
_NT = re.compile(r"([a-z])n't\b")
_APOS_SUFFIX = re.compile(r"([a-z])'(re|ve|ll|d|s|m)\b")
_PRONOUN_IS = frozenset(
    ["it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "everything", "nothing", "something", "everyone", "someone", "nobody", "life", "this", "today", "tonight"]
)
_ID_BEFORE = re.compile(
    r"\bid (?=(?:rather|never|like|love|be|have|just|kill|die|do|hurt|end|take|say|give|go|"
    r"probably|definitely|actually|honestly|only|prefer|want|need|not|sooner|been|taken|done|"
    r"had|feel|hate|die)\b)"
)
_HAD_PARTICIPLE = re.compile(
    r"\bwould (?=(?:been|taken|done|had|got|gotten|made|written|thought|tried|planned|decided|"
    r"bought|saved|swallowed|left|gone|said|told|started|stopped|overdosed|eaten|slept|sorted)\b)"
)


def _suffix(match: re.Match[str]) -> str:
    stem_end, suffix = match.group(1), match.group(2)
    word_start = match.string.rfind(" ", 0, match.start(1)) + 1
    word = match.string[word_start : match.start(1)] + stem_end
    if suffix == "s":
        return stem_end + (" is" if word in _PRONOUN_IS else "s")
    return stem_end + {"re": " are", "ve": " have", "ll": " will", "d": " would", "m": " am"}[suffix]


def expand_contractions(text: str) -> str:
    """Spell out contractions ("i'm", "can't", "dont", "id rather") so negation and subjects are visible."""
    text = text.replace("can't", "can not").replace("won't", "will not").replace("ain't", "is not")
    text = _NT.sub(lambda m: m.group(1) + " not", text)
    text = _APOS_SUFFIX.sub(_suffix, text)
    text = _expand_table(text)
    text = _ID_BEFORE.sub("i would ", text)
    text = _HAD_PARTICIPLE.sub("had ", text)
    return text.replace("'", "")


# --- 6. Misspellings -----------------------------------------------------------------------------

_MISSPELLINGS = {
    # suicide / suicidal
    "suicidle": "suicidal",
    "suicidel": "suicidal",
    "suicidial": "suicidal",
    "sucidal": "suicidal",
    "suicadal": "suicidal",
    "suisidal": "suicidal",
    "suecidal": "suicidal",
    "sucicidal": "suicidal",
    "suicdal": "suicidal",
    "sucide": "suicide",
    "suacide": "suicide",
    "suicde": "suicide",
    "suiside": "suicide",
    "sucicide": "suicide",
    "suiced": "suicide",
    "suecide": "suicide",
    "suicied": "suicide",
    "sewerslide": "suicide",
    "sewerslid": "suicide",
    "sewerslidal": "suicidal",
    "suicidee": "suicide",
    # overdose and medication
    "overdoes": "overdose",
    "overdoze": "overdose",
    "ovrdose": "overdose",
    "overdos": "overdose",
    "overdosse": "overdose",
    "overdossed": "overdosed",
    "overdozed": "overdosed",
    "tabelts": "tablets",
    "tablest": "tablets",
    "tablits": "tablets",
    "tabblets": "tablets",
    "tablats": "tablets",
    "pils": "pills",
    "pillz": "pills",
    "medz": "meds",
    "paracetomol": "paracetamol",
    "paracetemol": "paracetamol",
    "parcetamol": "paracetamol",
    "paracetmol": "paracetamol",
    "paracitamol": "paracetamol",
    "paracetamols": "paracetamol",
    "cocodamol": "co codamol",
    "cocodomol": "co codamol",
    "sertaline": "sertraline",
    "antidepressents": "antidepressants",
    # self / harm / hurt
    "myslef": "myself",
    "mysef": "myself",
    "myelf": "myself",
    "meself": "myself",
    "mysel": "myself",
    "misself": "myself",
    "myslf": "myself",
    "mysefl": "myself",
    "hurtin": "hurting",
    "hurtting": "hurting",
    "harmin": "harming",
    "killin": "killing",
    "cuttin": "cutting",
    "kil": "kill",
    "kll": "kill",
    "selfharm": "self harm",
    "selfharming": "self harming",
    "selfharmed": "self harmed",
    "slefharm": "self harm",
    # stress vocabulary
    "stresed": "stressed",
    "stressd": "stressed",
    "stresssed": "stressed",
    "streesed": "stressed",
    "anxios": "anxious",
    "anxiuos": "anxious",
    "anxiouse": "anxious",
    "axious": "anxious",
    "anxeity": "anxiety",
    "anxity": "anxiety",
    "anixety": "anxiety",
    "axiety": "anxiety",
    "anxitey": "anxiety",
    "overwelmed": "overwhelmed",
    "overwhelmd": "overwhelmed",
    "overwhelemed": "overwhelmed",
    "overwhlemed": "overwhelmed",
    "overwhelmned": "overwhelmed",
    "exausted": "exhausted",
    "exhuasted": "exhausted",
    "exhaused": "exhausted",
    "strugling": "struggling",
    "struggeling": "struggling",
    "copeing": "coping",
    "depresed": "depressed",
    "depresssed": "depressed",
    "hopless": "hopeless",
    "hopeles": "hopeless",
    "worthles": "worthless",
    "panicing": "panicking",
    "burntout": "burnt out",
    "burnedout": "burned out",
    "breakdwon": "breakdown",
    "definately": "definitely",
    # time words
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrrw": "tomorrow",
    "tomoz": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "2morow": "tomorrow",
    "tonite": "tonight",
    "2nite": "tonight",
    "2night": "tonight",
    "tonigt": "tonight",
    "tonght": "tonight",
    "toniht": "tonight",
    "2day": "today",
    "nite": "night",
    "b4": "before",
}
fix_misspellings = _table_sub(_MISSPELLINGS)
fix_misspellings.__doc__ = "Correct the misspellings people really make in risk and stress words."

# --- 7. Slang and abbreviations ------------------------------------------------------------------

_PRE_APOSTROPHE_SLANG = (
    (re.compile(r"\bo\.?d\.?'(?:d|ed)\b"), "overdosed"),
    (re.compile(r"\bo\.?d\.?'(?:ing|ding)\b"), "overdosing"),
    (re.compile(r"\bs/h\b"), "self harm"),
)

_SLANG = {
    "kms": "kill myself",
    "kmss": "kill myself",
    "kys": "kill yourself",
    "ctb": "commit suicide",
    "od": "overdose",
    "ods": "overdoses",
    "oding": "overdosing",
    "odding": "overdosing",
    "unalive": "kill",
    "unaliving": "killing",
    "unalived": "killed",
    "sewer slide": "suicide",
    "sewer slidal": "suicidal",
    "sui side": "suicide",
    "my self": "myself",
    "tbh": "to be honest",
    "tbf": "to be fair",
    "idk": "i do not know",
    "idc": "i do not care",
    "ngl": "not going to lie",
    "rn": "right now",
    "atm": "at the moment",
    "pls": "please",
    "plz": "please",
    "ppl": "people",
    "u": "you",
    "ur": "your",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "hubby": "husband",
    "fr": "for real",
    "bc": "because",
    "thx": "thanks",
}
_expand_slang_table = _table_sub(_SLANG)
_UNALIVE_BE = re.compile(r"\bbe kill\b")
_AF = re.compile(r"\b([a-z]+) (?:af|asf|as fuck|as hell)\b")
_TWO_TO = re.compile(r"\b(want|wants|going|need|wish|ready|about|have|got|like) 2\b")
_SH = re.compile(
    r"\b(my|to|of|been|do|did|about|with|from|urge|urges|relapsed|relapse|stop|stopped|started|into|"
    r"no|some|doing|done|the) sh\b|\bsh (?=(?:again|urges?|thoughts?|scars?|relapse|cuts|free|clean|"
    r"wounds?|marks)\b)"
)
_MY_SELF_KEEP = re.compile(r"\bmyself (esteem|confidence|worth|care|image|belief|doubt)\b")


def _sh(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + " self harm"
    return "self harm "


def expand_slang(text: str) -> str:
    """Spell out the shorthand people use for risk ("kms", "unalive", "od", "ctb", "sh") and texting."""
    text = _expand_slang_table(text)
    text = _UNALIVE_BE.sub("be dead", text)
    text = _AF.sub(r"so \1", text)
    text = _TWO_TO.sub(r"\1 to", text)
    text = _SH.sub(_sh, text)
    return _MY_SELF_KEEP.sub(r"my self \1", text)


# --- 8. Punctuation as tokens --------------------------------------------------------------------

_ELLIPSIS = re.compile(r"\.{2,}")
_PUNCT = re.compile(r"\s*([.,!?;:])\s*")
_NON_TOKEN = re.compile(r"[^a-z0-9.,!?;: \x00]+")
_SPACES = re.compile(r" {2,}")


def tokenise_punctuation(text: str) -> str:
    """Words and punctuation as space-separated tokens; "..." survives as a hesitation marker."""
    text = _ELLIPSIS.sub(" \x00 ", text)
    text = _PUNCT.sub(r" \1 ", text)
    text = _NON_TOKEN.sub(" ", text)
    text = _SPACES.sub(" ", text.replace("\x00", "..."))
    return text.strip()


def normalise(text: str) -> str:
    """The canonical form every rule is written against (see the module docstring)."""
    text = fold_characters(text)
    for pattern, replacement in _PRE_APOSTROPHE_SLANG:
        text = pattern.sub(replacement, text)
    text = join_spaced_letters(text)
    text = undo_leetspeak(text)
    text = squash_stretched(text)
    text = expand_contractions(text)
    text = tokenise_punctuation(text.replace("-", " ").replace("_", " "))
    text = fix_misspellings(text)
    return expand_slang(text)
