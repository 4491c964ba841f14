"""How typed answers are compared: one folding shared by every reader of answers."""

from __future__ import annotations

import string
import unicodedata


def fold(text: str) -> str:
    """Lower case, NFKC, straight quotes, single spaces: how typed answers are compared."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.strip().lower().split())


_ASCII_PLAIN = str.maketrans({**{ch: " " for ch in string.punctuation + string.whitespace},
                              "'": None, ".": None, "&": " and "})
_NOT_DECOMPOSED = str.maketrans({"ß": "ss", "ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ı": "i"})


def plain(text: str) -> str:
    """`fold`, then without accents or punctuation: "São Paulo" meets "sao-paulo", "St. Ives" meets "st ives"."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_PLAIN).split())
    decomposed = unicodedata.normalize("NFKD", fold(text).translate(_NOT_DECOMPOSED))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in letters.translate(_ASCII_PLAIN)).split())
