"""The people directory (users.info, cached with an expiry) and the choice of a requester's language."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.people import Person, People, choose_language, language_of_locale
from storage.engine import make_engine, make_sessions
from storage.migrate import upgrade

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class FakeSlack:
    """users.info as the directory sees it: a record per user, an error, or no such user (None)."""

    def __init__(self) -> None:
        self.users: dict[str, Person] = {}
        self.failing: Exception | None = None
        self.asked: list[str] = []

    def __call__(self, user_id: str) -> Person | None:
        self.asked.append(user_id)
        if self.failing is not None:
            raise self.failing
        return self.users.get(user_id)


@pytest.fixture
def directory(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    slack, clock = FakeSlack(), ManualClock(START)
    yield People(make_sessions(engine), clock, slack), slack, clock
    engine.dispose()


def test_a_person_is_fetched_once_then_served_from_the_cache_until_it_expires(directory):
    people, slack, clock = directory
    slack.users["U1"] = Person("U1", "Minh", "vi", "Asia/Ho_Chi_Minh", "vi-VN")
    assert people.person("U1") == Person("U1", "Minh", "vi", "Asia/Ho_Chi_Minh", "vi-VN")
    clock.advance(timedelta(hours=23))
    assert people.person("U1").language == "vi" and slack.asked == ["U1"]
    slack.users["U1"] = Person("U1", "Minh", "en", "Europe/Warsaw", "en-GB")  # moved to Warsaw, English UI
    clock.advance(timedelta(hours=2))
    assert people.person("U1") == Person("U1", "Minh", "en", "Europe/Warsaw", "en-GB")
    assert slack.asked == ["U1", "U1"]
    assert people.known("U1").tz == "Europe/Warsaw" and people.name("U1") == "Minh"


def test_a_failed_lookup_keeps_the_old_record_and_is_not_retried_at_once(directory):
    people, slack, clock = directory
    slack.users["U1"] = Person("U1", "Kasia", "pl", "Europe/Warsaw", "pl-PL")
    people.person("U1")
    clock.advance(timedelta(days=2))
    slack.failing = TimeoutError("users.info timed out")
    assert people.person("U1").language == "pl"  # stale, but better than nothing
    assert people.person("U1").language == "pl" and slack.asked == ["U1", "U1"]  # backs off for a while
    assert people.person("U2") is None  # nobody known, Slack down: no person, no exception


def test_a_user_slack_does_not_know_is_remembered_as_unknown(directory):
    people, slack, _clock = directory
    assert people.person("UGHOST") == Person("UGHOST")
    assert people.person("UGHOST") == Person("UGHOST") and slack.asked == ["UGHOST"]
    assert people.name("UGHOST") == "UGHOST" and people.known("UNEVER") is None
    assert people.known_many(["UGHOST", "UNEVER"]) == {"UGHOST": Person("UGHOST")}


def test_without_a_lookup_only_the_cache_answers(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        assert People(make_sessions(engine), ManualClock(START)).person("U1") is None
    finally:
        engine.dispose()


@pytest.mark.parametrize(("locale", "language"), [
    ("vi-VN", "vi"), ("pl-PL", "pl"), ("en-US", "en"), ("en_GB", "en"), ("de-DE", None), ("", None), (None, None)])
def test_slack_locales_map_to_the_languages_the_bot_writes(locale, language):
    assert language_of_locale(locale) == language


@pytest.mark.parametrize(("person", "text", "default", "expected"), [
    (Person("U", language="pl"), "Làm sao để đổi mật khẩu VPN?", "en", "pl"),    # the locale wins
    (Person("U", language=None, locale="de-DE"), "Jak zmienić hasło?", "en", "pl"),  # no usable locale: the text
    (None, "mat khau vpn het han roi, giup em voi", "en", "vi"),                 # Vietnamese without diacritics
    (None, "nie dziala mi vpn, co mam zrobic", "en", "pl"),                      # Polish without diacritics
    (None, "How do I reset my VPN password?", "pl", "pl"),                        # nothing tells: the default
    (None, "How do I reset my VPN password?", "en", "en"),
    (None, "", "xx", "en"),                                                       # a bad default: English
])
def test_language_is_the_locale_else_the_text_else_the_default(person, text, default, expected):
    assert choose_language(person, text, default) == expected


def test_an_anonymous_askers_profile_is_used_but_not_kept(directory):
    people, slack, _clock = directory
    slack.users["U1"] = Person("U1", "Lan", "vi", "Asia/Ho_Chi_Minh", "vi-VN")
    assert people.person("U1", remember=False).language == "vi"
    assert people.known("U1") is None  # no row names whoever asked anonymously


def test_the_default_language_is_a_setting():
    from wiring.settings import Settings, SettingsError
    assert Settings.from_env({}).default_language == "en"
    assert Settings.from_env({"DEFAULT_LANGUAGE": "PL"}).default_language == "pl"
    with pytest.raises(SettingsError, match="DEFAULT_LANGUAGE"):
        Settings.from_env({"DEFAULT_LANGUAGE": "de"})
