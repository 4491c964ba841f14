"""Time zones from the places people name: UK places, the cities and countries NHS staff come from, never a guess."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flows
from bot.storage import store
from flows import timezones
from flows.parsing import Parsed, Problem, parse_timezone
from flows.registry import FlowRegistry
from flows.timezones import zone_for
from tests.conftest import Harness

LONDON = "Europe/London"


@pytest.mark.parametrize("text", [
    "Cardiff", "Manchester", "Edinburgh", "Belfast", "London", "UK", "GMT", "BST", "England", "Scotland", "Wales",
    "Northern Ireland", "Great Britain", "United Kingdom", "Glasgow", "Leeds", "Liverpool", "Bristol", "Sheffield",
    "Nottingham", "Leicester", "Swansea", "Aberdeen", "Newcastle upon Tyne", "Stoke-on-Trent", "Milton Keynes",
    "Derry", "Londonderry", "Brum",
])
def test_uk_places_and_names_are_london_time(text: str) -> None:
    assert zone_for(text) == LONDON


@pytest.mark.parametrize(("city", "zone"), [
    ("Mumbai", "Asia/Kolkata"), ("Bombay", "Asia/Kolkata"), ("Delhi", "Asia/Kolkata"), ("New Delhi", "Asia/Kolkata"),
    ("Bengaluru", "Asia/Kolkata"), ("Bangalore", "Asia/Kolkata"), ("Chennai", "Asia/Kolkata"),
    ("Kolkata", "Asia/Kolkata"), ("Kochi", "Asia/Kolkata"),
    ("Manila", "Asia/Manila"), ("Quezon City", "Asia/Manila"), ("Cebu City", "Asia/Manila"), ("Davao", "Asia/Manila"),
    ("Lagos", "Africa/Lagos"), ("Abuja", "Africa/Lagos"), ("Ibadan", "Africa/Lagos"), ("Kano", "Africa/Lagos"),
    ("Karachi", "Asia/Karachi"), ("Lahore", "Asia/Karachi"), ("Islamabad", "Asia/Karachi"),
    ("Harare", "Africa/Harare"), ("Bulawayo", "Africa/Harare"),
    ("Accra", "Africa/Accra"), ("Kumasi", "Africa/Accra"),
    ("Nairobi", "Africa/Nairobi"), ("Mombasa", "Africa/Nairobi"),
    ("Johannesburg", "Africa/Johannesburg"), ("Cape Town", "Africa/Johannesburg"), ("Durban", "Africa/Johannesburg"),
    ("Dublin", "Europe/Dublin"), ("Cork", "Europe/Dublin"), ("Galway", "Europe/Dublin"), ("Limerick", "Europe/Dublin"),
    ("Warsaw", "Europe/Warsaw"), ("Kraków", "Europe/Warsaw"),
    ("Bucharest", "Europe/Bucharest"), ("Cluj-Napoca", "Europe/Bucharest"),
    ("Lisbon", "Europe/Lisbon"), ("Porto", "Europe/Lisbon"),
    ("Madrid", "Europe/Madrid"), ("Barcelona", "Europe/Madrid"), ("Seville", "Europe/Madrid"),
    ("Rome", "Europe/Rome"), ("Milan", "Europe/Rome"), ("Naples", "Europe/Rome"),
    ("Athens", "Europe/Athens"), ("Thessaloniki", "Europe/Athens"),
    ("Cairo", "Africa/Cairo"), ("Alexandria", "Africa/Cairo"),
    ("Colombo", "Asia/Colombo"), ("Kandy", "Asia/Colombo"),
    ("Dhaka", "Asia/Dhaka"), ("Chittagong", "Asia/Dhaka"),
    ("Kathmandu", "Asia/Kathmandu"), ("Pokhara", "Asia/Kathmandu"),
    ("Kuala Lumpur", "Asia/Kuala_Lumpur"), ("Hong Kong", "Asia/Hong_Kong"), ("Kowloon", "Asia/Hong_Kong"),
    ("Sydney", "Australia/Sydney"), ("Melbourne", "Australia/Melbourne"), ("Brisbane", "Australia/Brisbane"),
    ("Adelaide", "Australia/Adelaide"), ("Auckland", "Pacific/Auckland"),
    ("New York", "America/New_York"), ("NYC", "America/New_York"), ("Los Angeles", "America/Los_Angeles"),
    ("Chicago", "America/Chicago"), ("Houston", "America/Chicago"),
    ("Toronto", "America/Toronto"), ("Vancouver", "America/Vancouver"), ("Calgary", "America/Edmonton"),
    ("Kingston", "America/Jamaica"), ("Montego Bay", "America/Jamaica"), ("Port of Spain", "America/Port_of_Spain"),
    ("Bridgetown", "America/Barbados"), ("Nassau", "America/Nassau"),
])
def test_the_cities_nhs_staff_come_from(city: str, zone: str) -> None:
    assert zone_for(city) == zone


@pytest.mark.parametrize(("country", "zone"), [
    ("India", "Asia/Kolkata"), ("Philippines", "Asia/Manila"), ("the Philippines", "Asia/Manila"),
    ("Nigeria", "Africa/Lagos"), ("Pakistan", "Asia/Karachi"), ("Zimbabwe", "Africa/Harare"),
    ("Ghana", "Africa/Accra"), ("Kenya", "Africa/Nairobi"), ("South Africa", "Africa/Johannesburg"),
    ("Ireland", "Europe/Dublin"), ("Republic of Ireland", "Europe/Dublin"), ("Poland", "Europe/Warsaw"),
    ("Romania", "Europe/Bucharest"), ("Portugal", "Europe/Lisbon"), ("Spain", "Europe/Madrid"),
    ("Italy", "Europe/Rome"), ("Greece", "Europe/Athens"), ("Egypt", "Africa/Cairo"), ("Sri Lanka", "Asia/Colombo"),
    ("Bangladesh", "Asia/Dhaka"), ("Nepal", "Asia/Kathmandu"), ("Malaysia", "Asia/Kuala_Lumpur"),
    ("Australia", "Australia/Sydney"), ("New Zealand", "Pacific/Auckland"), ("USA", "America/New_York"),
    ("United States", "America/New_York"), ("America", "America/New_York"), ("Canada", "America/Toronto"),
    ("Jamaica", "America/Jamaica"), ("Trinidad and Tobago", "America/Port_of_Spain"),
    ("Barbados", "America/Barbados"),
])
def test_a_country_is_read_as_its_capital_time(country: str, zone: str) -> None:
    assert zone_for(country) == zone


@pytest.mark.parametrize(("text", "zone"), [
    ("GMT", LONDON), ("bst", LONDON), ("UTC", "UTC"), ("IST", "Asia/Kolkata"), ("CET", "Europe/Paris"),
    ("EST", "America/New_York"), ("PST", "America/Los_Angeles"), ("AEST", "Australia/Sydney"),
])
def test_clear_abbreviations_keep_working(text: str, zone: str) -> None:
    assert zone_for(text) == zone


@pytest.mark.parametrize(("text", "zone"), [
    ("Perth", LONDON), ("Perth, Australia", "Australia/Perth"), ("Perth Australia", "Australia/Perth"),
    ("Perth, Scotland", LONDON),
    ("Birmingham", LONDON), ("Birmingham, Alabama", "America/Chicago"), ("Birmingham AL", "America/Chicago"),
    ("Cambridge", LONDON), ("Cambridge, Massachusetts", "America/New_York"), ("Cambridge, Canada", "America/Toronto"),
    ("Boston", LONDON), ("Boston, USA", "America/New_York"), ("Atlanta, Georgia", "America/New_York"),
    ("Tbilisi, Georgia", "Asia/Tbilisi"),
    ("Hyderabad", "Asia/Kolkata"), ("Hyderabad, Pakistan", "Asia/Karachi"),
    ("Calcutta", "Asia/Kolkata"),  # Kolkata's old name, though a small South African town has it as its own
])
def test_a_shared_name_is_the_british_place_then_the_most_populous_unless_the_country_is_said(
    text: str, zone: str
) -> None:
    assert zone_for(text) == zone


@pytest.mark.parametrize("text", [
    "manchester", "MANCHESTER", "  Manchester  ", "Manchester.", "in Manchester", "I'm in Manchester",
    "I’m in Manchester", "im in manchester", "I am in Manchester", "I live in Manchester", "based in Manchester",
    "Manchester time", "manchester, uk", "Manchester UK", "I'm in Manchester, England",
])
def test_the_ways_people_write_a_place(text: str) -> None:
    assert zone_for(text) == LONDON


@pytest.mark.parametrize(("text", "zone"), [
    ("São Paulo", "America/Sao_Paulo"), ("Sao Paulo", "America/Sao_Paulo"), ("Zürich", "Europe/Zurich"),
    ("Zurich", "Europe/Zurich"), ("Łódź", "Europe/Warsaw"), ("Lodz", "Europe/Warsaw"),
    ("kuala  lumpur", "Asia/Kuala_Lumpur"),
    ("uk time", LONDON), ("the UK", LONDON), ("India time", "Asia/Kolkata"), ("I'm in Lagos, Nigeria", "Africa/Lagos"),
])
def test_accents_spacing_and_phrasing_do_not_matter(text: str, zone: str) -> None:
    assert zone_for(text) == zone


@pytest.mark.parametrize(("text", "zone"), [
    ("Europe/Dublin", "Europe/Dublin"), ("europe/london", LONDON), ("America/New York", "America/New_York"),
    ("Asia/Kolkata", "Asia/Kolkata"), ("Australia/Perth", "Australia/Perth"),
])
def test_iana_names_are_read_as_before(text: str, zone: str) -> None:
    assert zone_for(text) == zone


@pytest.mark.parametrize("text", [
    "", "   ", "I don't know", "not sure", "dunno", "same", "same as you", "time", "home", "here", "no", "yes",
    "police", "normal", "west", "asdfgh", "12", "sometime", "my time", "in", "the", "?", "London, Ontario",
])
def test_words_that_name_no_place_are_refused(text: str) -> None:
    assert zone_for(text) is None


STATE = next(state for state in FlowRegistry.load().spec("onboarding").states if state.name == "timezone")


def test_the_question_still_takes_its_own_choices_first() -> None:
    assert parse_timezone(STATE, "2") == Parsed(value="Europe/Dublin", text="Europe/Dublin")
    assert parse_timezone(STATE, "UK (London)") == Parsed(value=LONDON, text=LONDON)
    assert parse_timezone(STATE, "Accra") == Parsed(value="Africa/Accra", text="Africa/Accra")
    assert parse_timezone(STATE, "I don't know") == Problem(reason="timezone")


def test_the_index_is_built_once_and_reused() -> None:
    timezones.warm()
    before = timezones._index.cache_info()
    for city in ("Leeds", "Perth, Australia", "nowhere at all", "Dublin"):
        zone_for(city)
    after = timezones._index.cache_info()
    assert after.misses == before.misses and after.currsize == 1 and after.hits == before.hits + 4


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_gives_a_real_zone_or_none(text: str) -> None:
    zone = zone_for(text)
    assert zone is None or ZoneInfo(zone).key == zone


def test_every_place_the_re_ask_suggests_is_understood() -> None:
    wording = tomllib.loads((Path(flows.__file__).parent / "wording.toml").read_text(encoding="utf-8"))
    suggested = re.findall(r'"([^"]+)"', wording["reasks"]["timezone"])
    assert len(suggested) >= 3
    assert all(zone_for(place) is not None for place in suggested)


@pytest.mark.parametrize(("place", "zone"), [("I'm in Cardiff", "Europe/London"), ("Manila", "Asia/Manila")])
async def test_onboarding_says_which_zone_it_took(harness: Harness, place: str, zone: str) -> None:
    for text in ("hello", "yes", "yes", "yes"):
        await harness.say(text)
    assert f"I'll use {zone} time" in await harness.texts(place)
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).timezone == zone
