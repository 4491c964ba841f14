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
from functools import lru_cache
from itertools import product

from safety.characters import fold_unicode
from safety.prefilter import required_literals
from safety.spelling import correct, is_known, split_run

__all__ = ["fold_characters", "normalise"]

# --- 1. Unicode folding -------------------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
_FOLD_TABLE: dict[int, str | None] = {ord(c): None for c in _ZERO_WIDTH}
_FOLD_TABLE.update({cp: " " for cp in range(0, 32)})
_FOLD_TABLE.update({cp: " " for cp in range(127, 160)})
_FOLD_TABLE.update(
    {
        ord("\u20ac"): "e",  # "€nd it": currency signs used as the letters they look like
        ord("\u00a2"): "c",
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

# --- Word tables ----------------------------------------------------------------------------------

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

_VOCAB = frozenset(
    ["so", "no", "yes", "please", "help", "die", "dead", "kill", "killing", "killed", "me", "my", "myself", "alone", "sorry", "bye", "goodbye", "really", "tired", "stressed", "stress", "anxious", "anxiety", "sad", "done", "over", "need", "want", "wanna", "gonna", "cry", "crying", "sleep", "feel", "feeling", "hate", "life", "end", "ending", "pain", "hurt", "hurting", "scared", "fear", "lost", "good", "bad", "well", "all", "all", "too", "very", "now", "soon", "tonight", "today", "tomorrow", "now", "god", "omg", "ugh", "argh", "aargh", "hmm", "oh", "ah", "ahh", "wow", "cool", "fine", "ok", "okay", "love", "lol", "haha", "hahaha", "sooo", "yeah", "nah", "nope", "anymore", "more", "much", "tonight", "shift", "work", "overwhelmed", "exhausted", "knackered", "burnt", "burnout", "panic", "panicking", "awful", "terrible", "horrible", "hopeless", "worthless", "useless", "pointless", "stupid", "silly", "suicide", "suicidal", "pills", "tablets", "overdose", "hell", "still", "will", "all", "till", "full", "call", "fall", "kill", "ill", "feel", "free", "sleep", "keep", "need", "see", "been", "seen", "too", "soon", "off", "stuff", "staff", "stiff", "cliff", "small", "tall", "sell", "tell", "well", "wall", "bill", "fill", "hill", "pass", "less", "loss", "miss", "boss", "mess", "kiss", "class", "glass", "grass", "cross", "dress", "press", "stress", "struggle", "struggling", "cope", "coping", "leave", "alone", "enough", "wrong", "right", "night", "bleeding", "blood", "cut", "cutting", "noose", "rope", "jump", "bridge"]
)
_CONTRACTIONS = {
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "i'm": "i am",
    "im": "i am",
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
    "bout": "about",
    "abt": "about",
    "alot": "a lot",
    "wud": "would",
    "cud": "could",
    "shud": "should",
    "wiv": "with",
    "dunno": "do not know",
    "sumtimes": "sometimes",
    "evry": "every",
    "evryone": "everyone",
    "every1": "everyone",
    "some1": "someone",
    "no1": "no one",
    "any1": "anyone",
}

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
    # Text-speak that hides the words the rules read.
    "cnt": "can not", "dnt": "do not", "av": "have", "wiv": "with", "luv": "love", "fink": "think",
    "nuffin": "nothing", "ded": "dead", "cba": "can not be bothered", "nemore": "any more", "nemor": "any more",
    "2moro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow", "tmrw": "tomorrow", "tmw": "tomorrow",
    "b4": "before", "l8r": "later", "gr8": "great", "w8": "wait", "m8": "mate", "ne1": "anyone", "sum1": "someone",
    "every1": "everyone", "evry1": "everyone", "2day": "today", "wanna": "want to", "gotta": "got to",
    # Scots: the negatives and pronouns that decide who is at risk and whether it is denied.
    "cannae": "can not", "canna": "can not", "cnae": "can not", "dinnae": "do not", "dinna": "do not",
    "didnae": "did not", "wouldnae": "would not", "couldnae": "could not", "shouldnae": "should not",
    "willnae": "will not", "wisnae": "was not", "wasnae": "was not", "isnae": "is not", "huvnae": "have not",
    "havnae": "have not", "havenae": "have not", "dae": "do", "nae": "no", "mair": "more", "masel": "myself",
    "mysel": "myself", "taen": "taken", "greetin": "crying", "hame": "home", "oot": "out", "doon": "down",
    "fae": "from", "tae": "to", "wi": "with", "awfy": "awful", "hale": "whole", "jist": "just", "wantae": "want to",
    # Dropped final g ("feelin", "nothin"), for the words screening leans on.
    **{f"{stem}in": f"{stem}ing" for stem in (
        "everyth", "noth", "someth", "anyth", "feel", "go", "do", "think", "try", "cry", "sleep", "eat", "cop",
        "liv", "dy", "kill", "hurt", "work", "gett", "tak", "ly", "want", "end", "struggl", "shak", "panick",
        "leav", "sitt", "stand", "plann", "sav", "writ", "hang", "jump", "cutt", "harm", "bleed", "drink",
    )},
}


def fold_characters(text: str) -> str:
    """NFKC, look-alikes and accents folded, no invisible characters, straight quotes: one alphabet for rules."""
    if text.isascii():
        if not text.isprintable() or "&" in text or "`" in text:
            text = text.translate(_FOLD_TABLE)
        return text.lower()
    return fold_unicode(unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE)).lower()


# --- 2. Per-token work, cached: every step below sees one whitespace-free token ------------------

_PIECES = re.compile(r"[a-z0-9@$']+|\.{2,}|[.,!?;:]")
_LETTERS_APART = re.compile(r"(?:[a-z][.\-_*]){2,}[a-z][.\-_*]?|(?:[a-z]\.){1,}[a-z]\.?")
_LEET_CHARS = frozenset("0123456789@$")
_LEET_TABLE = str.maketrans({"1": "i", "3": "e", "0": "o", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_TRIPLE = re.compile(r"([a-z])\1\1")
_RUN = re.compile(r"([a-z])\1{2,}")
_APOSTROPHE_WORDS = {
    "can't": ("can", "not"),
    "won't": ("will", "not"),
    "shan't": ("shall", "not"),
    "ain't": ("is", "not"),
    "i'm": ("i", "am"),
    "i'ma": ("i", "am", "going", "to"),
    "o'clock": ("oclock",),
}
_SUFFIXES = {"re": ("are",), "ve": ("have",), "ll": ("will",), "d": ("would",), "m": ("am",)}
_PRONOUN_IS = frozenset(
    ["it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "everything", "nothing", "something", "everyone", "someone", "nobody", "life", "this", "today", "tonight"]
)
_OD_FORMS = {"od'd": "overdosed", "od'ed": "overdosed", "od'ing": "overdosing", "o.d'd": "overdosed", "od'ding": "overdosing"}


def _has_risk_stem(word: str) -> bool:
    return any(stem in word for stem in _RISK_STEMS)


_NUMBER_WORD = re.compile(r"\d+(?:st|nd|rd|th|am|pm|k|m|s|h|hr|hrs|min|mins|mg|ml|g|kg|x|yr|yrs|ish|pm|am)?")


_SHORT_WORDS = frozenset({"to", "me", "my", "am", "go", "do", "so", "no", "be", "it", "is", "at", "on", "in", "of", "up"})


def _spells_a_word(plain: str) -> bool:
    core = plain.replace("'", "")
    if not core.isalpha():
        return False
    stem = plain.split("'")[0]  # "can't", "i'm": the word before the apostrophe
    return (_has_risk_stem(core) or bool(correct(core)) or (len(core) >= 3 and is_known(core))
            or core in _SHORT_WORDS or ("'" in plain and (is_known(stem) or stem in _SHORT_WORDS)))


def _unleet(word: str) -> str:
    """ "k1ll", "0verd0se", "s3lf", "c@n't": digits and symbols for letters, read as the word they spell.

    A "1" may stand for an i or an l ("k1ll", "kil1"); each reading is tried, the plain i first.
    """
    if not any(c in _LEET_CHARS for c in word) or not any(c.isalpha() for c in word) or _NUMBER_WORD.fullmatch(word):
        return word
    if word in _SLANG or word in _MISSPELLINGS:
        return word
    plain = word.translate(_LEET_TABLE)
    readings = [plain]
    if "1" in word and word.count("1") <= 3:
        ones = [i for i, c in enumerate(word) if c == "1"]
        for letters in product("il", repeat=len(ones)):
            chars = list(plain)
            for i, letter in zip(ones, letters, strict=True):
                chars[i] = letter
            readings.append("".join(chars))
    risky = [r for r in readings if _has_risk_stem(r.replace("'", ""))]
    for reading in risky or readings:
        if _spells_a_word(reading):
            return reading
    return word


def _squash(word: str) -> str:
    if _TRIPLE.search(word) is None:
        return word
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


def _contract(word: str) -> tuple[str, ...]:
    if "'" not in word:
        expanded = _CONTRACTIONS.get(word)
        return tuple(expanded.split()) if expanded else (word,)
    word = word.strip("'")
    if word in _APOSTROPHE_WORDS:
        return _APOSTROPHE_WORDS[word]
    if word.endswith("n't"):
        return (word[:-3], "not")
    stem, _, suffix = word.rpartition("'")
    stem = stem.replace("'", "")
    if suffix in _SUFFIXES:
        return (stem, *_SUFFIXES[suffix])
    if suffix == "s":
        return (stem, "is") if stem in _PRONOUN_IS else (stem + "s",)
    return ((stem + suffix),)


def _map_word(word: str) -> tuple[str, ...]:
    out: list[str] = []
    word = _squash(_unleet(word))
    for piece in split_run(word) or (word,):
        for part in _contract(piece):
            known = _MISSPELLINGS.get(part)
            part = known or correct(part) or part
            part = _SLANG.get(part, part)
            out.extend(part.split())
    return tuple(out)


_SYMBOL_INSIDE = re.compile(r"(?<=[a-z0-9@$])[!|+*](?=[a-z0-9@$!|+*])")
_SYMBOL_LETTERS = {"!": "i", "|": "l", "+": "t", "*": ""}


def _symbols_as(raw: str, *, star: str) -> str:
    return _SYMBOL_INSIDE.sub(lambda m: star if m.group() == "*" else _SYMBOL_LETTERS[m.group()], raw)


def _unsymbol(raw: str) -> str:
    """ "d!e", "k*ll", "s+ab", "l!fe", "c*t": symbols inside a word read as the letters they stand for, when that
    gives risk or a word ("end my l!fe" is "end my life"); otherwise the symbol stays punctuation. A star hides
    a letter or nothing: a reading with a risk word is taken before a harmless one."""
    if _SYMBOL_INSIDE.search(raw) is None or not any(c.isalpha() for c in raw):
        return raw  # "5*3" is arithmetic
    readings = [_symbols_as(raw, star="")]
    if raw.count("*") == 1:
        readings += [_symbols_as(raw, star=vowel) for vowel in "aeiou"]
    words = []
    for candidate in readings:
        core = candidate.translate(_LEET_TABLE).strip(".,!?;:'\"")
        if not core.isalpha():
            continue
        if _has_risk_stem(core) or core in _MISSPELLINGS or correct(core):
            return candidate
        if len(core) >= 3 and is_known(core):
            words.append(candidate)
    return words[0] if words else raw


@lru_cache(maxsize=16384)
def _expand_token(raw: str) -> tuple[str, ...]:
    """Normalise one whitespace-free token into words and punctuation tokens (cached: tokens repeat)."""
    if raw in _OD_FORMS:
        return (_OD_FORMS[raw],)
    raw = _unsymbol(raw)
    if _LETTERS_APART.fullmatch(raw):
        joined = re.sub(r"[.\-_*]", "", raw)
        if "." in raw or _has_risk_stem(joined):
            raw = joined
    raw = raw.replace("-", " ").replace("_", " ").replace("/", " ")
    out: list[str] = []
    for piece in _PIECES.findall(raw):
        if piece[0] in ".,!?;:":
            out.append("..." if len(piece) > 1 else piece)
        else:
            out.extend(_map_word(piece))
    return tuple(out)


# --- 3. Across tokens ----------------------------------------------------------------------------

_ID_NEXT = (
    "rather|never|like|love|be|have|just|kill|die|do|hurt|end|take|say|give|go|probably|definitely|actually|"
    "honestly|only|prefer|want|need|not|sooner|been|taken|done|had|feel|hate"
)
_HAD_NEXT = (
    "been|taken|done|had|got|gotten|made|written|thought|tried|planned|decided|bought|saved|swallowed|left|"
    "gone|said|told|started|stopped|overdosed|eaten|slept|sorted"
)
_SH_BEFORE = "my|to|of|been|do|did|about|with|from|urge|urges|relapsed|relapse|stop|stopped|started|into|no|some|doing|done|the"
_SH_AFTER = "again|urge|urges|thought|thoughts|scar|scars|relapse|cuts|free|clean|wound|wounds|marks"
_ACROSS = (
    (frozenset({"id"}), re.compile(rf"\bid (?=(?:{_ID_NEXT})\b)"), "i would "),
    (frozenset({"would"}), re.compile(rf"\b(i|you|we|they|she|he) would (?=(?:{_HAD_NEXT})\b)"), r"\1 had "),
    (frozenset({"sh"}), re.compile(rf"\b(?:({_SH_BEFORE}) sh\b|sh(?= (?:{_SH_AFTER})\b))"), lambda m: f"{m.group(1)} self harm" if m.group(1) else "self harm"),
    (frozenset({"self"}), re.compile(r"\bmy self\b(?! (?:esteem|confidence|worth|care|image|belief|doubt|harm|harming|injury|destructive)\b)"), "myself"),
    (frozenset({"2"}), re.compile(r"\b(want|wants|going|need|wish|ready|about|have|got|like) 2\b"), r"\1 to"),
    (frozenset({"af", "fuck", "hell"}), re.compile(r"\b([a-z]+) (?:as fuck|as hell|af)\b"), r"so \1"),
    (frozenset({"slide", "slides", "side"}), re.compile(r"\b(?:sewer slides?|sui side)\b"), "suicide"),
    (frozenset({"slidal"}), re.compile(r"\bsewer slidal\b"), "suicidal"),
    (frozenset({"m", "ve"}), re.compile(r"\bi (m|ve)\b"), lambda m: "i am" if m.group(1) == "m" else "i have"),
    (frozenset({"kill"}), re.compile(r"\bbe kill\b"), "be dead"),
    # Scots "ah" and "a" for "I" before a verb ("ah have taen", "a cannae"), and "n e more" for "any more".
    (frozenset({"ah", "a"}), re.compile(r"(?:^|(?<=[.,!?] ))(?:ah|a) (?=(?:have|had|am|was|can|could|do|did|want|will|would|just|need|feel|cannot|really|am|think|took|taken|wish)\b)"), "i "),
    (frozenset({"n"}), re.compile(r"\bn e (?=more\b)"), "any "),
    (
        frozenset({"got", "been", "gone", "had", "done", "taken", "left", "tried"}),
        re.compile(r"\b(he|she|it|that|who|there|everyone|someone|nobody|what) is (?=(?:got|been|gone|had|done|taken|left|tried)\b)"),
        r"\1 has ",
    ),
)
"""Fixes that need a neighbour, each run only when its trigger word is present."""
_SINGLE_LETTER = frozenset("abcdefghijklmnopqrstuvwxyz")


def _join_letter_runs(tokens: list[str]) -> list[str]:
    """"k i l l myself" -> "kill myself", only when the joined letters spell a risk word."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and len(tokens[j]) == 1 and tokens[j] in _SINGLE_LETTER:
            j += 1
        if j - i >= 3:
            letters = "".join(tokens[i:j])
            phrase = _segment(letters) if j - i >= 6 else None
            if phrase is not None and len(phrase) > 1 and _has_risk_stem(letters):
                out.extend(phrase)  # "i w a n t t o d i e" -> "i want to die"
                i = j
                continue
            if _has_risk_stem(letters):
                if letters[0] in "ia" and any(letters[1:].startswith(s) for s in _RISK_STEMS):
                    out.extend((letters[0], letters[1:]))
                else:
                    out.append(letters)
                i = j
                continue
        out.extend(tokens[i : max(j, i + 1)])
        i = max(j, i + 1)
    return out


# Words a whole spaced-out phrase is split back into ("k i l l m y s e l f" -> "kill myself"). Only runs
# that also contain a risk stem are split, and only when every piece is one of these words.
_PHRASE_WORDS = frozenset(
    ["i", "im", "a", "am", "me", "my", "myself", "self", "want", "wanna", "to", "die", "dead", "kill", "killing", "end", "ending", "it", "all", "my", "life", "live", "living", "alive", "be", "here", "anymore", "any", "more", "going", "gonna", "take", "pills", "tablets", "overdose", "od", "jump", "hang", "hurt", "harm", "cut", "cutting", "wish", "was", "were", "not", "dont", "do", "no", "point", "give", "up", "on", "can", "cant", "go", "want", "wanted", "just", "need", "someone", "him", "her", "them", "you", "yourself", "everyone", "tonight", "today", "now", "soon", "goodbye", "bye", "suicide", "suicidal", "unalive", "kms", "kys", "ctb", "plan", "have", "got", "the", "of", "and"]
)
_LONGEST_PHRASE_WORD = max(map(len, _PHRASE_WORDS))


@lru_cache(maxsize=512)
def _segment(letters: str) -> tuple[str, ...] | None:
    """Split joined letters into the fewest known words, or None if they don't split cleanly."""
    best: list[tuple[str, ...] | None] = [None] * (len(letters) + 1)
    best[0] = ()
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - _LONGEST_PHRASE_WORD), end):
            head = best[start]
            word = letters[start:end]
            if head is not None and word in _PHRASE_WORDS:
                candidate = (*head, word)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(letters)]


_LETTER_RUN = re.compile(r"(?:^|\s)[a-z]\s+[a-z]\s+[a-z](?:\s|$)")
_ACROSS_TRIGGERS = frozenset().union(*(triggers for triggers, _, _ in _ACROSS))


def _shared_part(pattern: re.Pattern[str]) -> str:
    """A string every match of `pattern` contains ("" if none is known): a cheap test before `sub`.

    The longest piece common to all of the pattern's required literals: `sub` costs a scan of the
    message, and a trigger word alone (often "got", "had", "kill") rarely means the fix applies.
    """
    literals = required_literals(pattern)
    if not literals:
        return ""
    shortest = min(literals, key=len)
    for size in range(len(shortest), 0, -1):
        for start in range(len(shortest) - size + 1):
            piece = shortest[start : start + size]
            if all(piece in literal for literal in literals):
                return piece
    return ""


_ACROSS_GATED = tuple((triggers, pattern, replacement, _shared_part(pattern)) for triggers, pattern, replacement in _ACROSS)


def normalise(text: str) -> str:
    """The canonical form every rule is written against (see the module docstring)."""
    folded = fold_characters(text)
    raw = folded.split()
    if not raw:
        return ""
    if list(map(len, raw)).count(1) >= 3 and _LETTER_RUN.search(folded):  # a run needs three 1-letter tokens
        raw = _join_letter_runs(raw)
    words: list[str] = []
    for token in raw:
        words.extend(_expand_token(token))
    out = " ".join(words)
    present = _ACROSS_TRIGGERS.intersection(words)
    if present:
        for triggers, pattern, replacement, needed in _ACROSS_GATED:
            if not triggers.isdisjoint(present) and needed in out:
                out = pattern.sub(replacement, out)
    return out
