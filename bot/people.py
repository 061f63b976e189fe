"""The people directory: who a Slack user is (name, language, time zone), from users.info, cached with an expiry.

The Slack edge asks `People.person` (which may call Slack) before it hands a question to the domain; domain
code and timers use `People.known` (the cache only, never Slack). A failed look-up never blocks a request:
the last known record, or nobody, is returned, and the language falls back to the question's text.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from kb.lang import language as detect_language
from storage import people_queries
from storage.models import PersonRecord

log = logging.getLogger(__name__)
LANGUAGES = ("en", "vi", "pl")  # the languages the bot writes (handlers/locale); the first is the fallback
TTL = timedelta(hours=24)  # a cached person is fetched again after this (names, zones and locales change)
RETRY_AFTER_FAILURE = timedelta(minutes=5)  # after a failed look-up, the cache (or nobody) answers meanwhile


@dataclass(frozen=True)
class Person:
    """A Slack user as the domain sees them; any field Slack did not give is None."""

    user_id: str
    name: str | None = None
    language: str | None = None  # one of LANGUAGES, from the Slack locale; None: unknown or not one we write
    tz: str | None = None        # IANA zone name, e.g. "Europe/Warsaw"
    locale: str | None = None    # as Slack gave it, e.g. "pl-PL"


Lookup = Callable[[str], "Person | None"]  # users.info: None when Slack has no such user; raises when it fails


class People:
    """users.info through a cache table; `person` may call Slack, `known` never does."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, lookup: Lookup | None = None,
                 ttl: timedelta = TTL) -> None:
        self.sessions, self.clock, self.lookup, self.ttl = sessions, clock, lookup, ttl
        self._failed: dict[str, datetime] = {}  # user id -> when its look-up last failed
        self._lock = threading.Lock()

    def person(self, user_id: str, remember: bool = True) -> Person | None:
        """The person, fetched from Slack when not cached or older than the TTL; on failure the cached one.
        remember=False (an anonymous question) keeps what Slack said out of the cache: no row names the asker."""
        if not user_id:
            return None
        now = self.clock.now()
        with self.sessions.begin() as session:
            record = people_queries.get_person(session, user_id)
            cached = _person(record) if record else None
            if record is not None and now - record.fetched_at < self.ttl:
                return cached
        if self.lookup is None or self._recently_failed(user_id, now):
            return cached
        try:
            fetched = self.lookup(user_id)
        except Exception as error:  # noqa: BLE001 - a failed look-up must never lose or block the request
            log.warning("users.info failed (%s): using %s", error, "the cached record" if cached else "no record")
            with self._lock:
                self._failed[user_id] = now
            return cached
        fetched = fetched or Person(user_id)  # no such user: remembered as unknown until the TTL runs out
        if not remember:
            return fetched
        with self.sessions.begin() as session:
            people_queries.save_person(session, user_id, name=fetched.name, locale=fetched.locale, tz=fetched.tz,
                                       fetched_at=now)
        return fetched

    def known(self, user_id: str) -> Person | None:
        """The cached person however old (never calls Slack): for timers and anything inside the domain."""
        with self.sessions.begin() as session:
            record = people_queries.get_person(session, user_id)
            return _person(record) if record else None

    def known_many(self, user_ids: Iterable[str]) -> dict[str, Person]:
        """The cached people among `user_ids`, by id, in one query (never calls Slack)."""
        with self.sessions.begin() as session:
            return {r.user_id: _person(r) for r in people_queries.get_people(session, sorted(set(user_ids)))}

    def name(self, user_id: str) -> str:
        """The cached name of a user, else the id itself."""
        person = self.known(user_id)
        return person.name if person and person.name else user_id

    def _recently_failed(self, user_id: str, now: datetime) -> bool:
        with self._lock:
            failed = self._failed.get(user_id)
        return failed is not None and now - failed < RETRY_AFTER_FAILURE


def language_of_locale(locale: str | None) -> str | None:
    """ "vi-VN" -> "vi", "pl-PL" -> "pl", "en-GB" -> "en"; None for a language the bot does not write."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def choose_language(person: Person | None, text: str, default: str = "en") -> str:
    """The requester's language: their Slack locale, else the language the text is written in, else `default`."""
    if person is not None and person.language:
        return person.language
    detected = detect_language(text.casefold()) if text else ""
    if detected in LANGUAGES:
        return detected
    return default if default in LANGUAGES else LANGUAGES[0]


def _person(record: PersonRecord) -> Person:
    return Person(record.user_id, record.name, language_of_locale(record.locale), record.tz, record.locale)
