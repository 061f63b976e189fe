"""users.info for the people directory (bot.people): a read, so it is called directly, not through the outbox."""
from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.people import Lookup, Person, choose_language, language_of_locale
from handlers.services import Services

LOOKUP_TIMEOUT_SECONDS = 3  # a slow users.info must not hold a question up: the text decides the language then
GONE = ("user_not_found", "user_not_visible")  # Slack answered: there is nobody to describe


def slack_lookup(client: WebClient) -> Lookup:
    """A Lookup over the Web API with a short timeout (other failures raise; the directory falls back)."""
    quick = WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT_SECONDS,
                      retry_handlers=[])

    def lookup(user_id: str) -> Person | None:
        try:
            user = quick.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError as error:
            if error.response.get("error") in GONE:
                return None
            raise
        return person_of(user_id, user)

    return lookup


def language_for(services: Services, user_id: str, text: str = "", remember: bool = True) -> str:
    """The language to write to `user_id` in: their Slack locale, else that of `text`, else the default
    (remember=False: an anonymous asker, whose profile is not cached)."""
    person = services.people.person(user_id, remember) if services.people is not None and user_id else None
    return choose_language(person, text, services.default_language)


def known_language(services: Services, user_id: str) -> str:
    """The language of `user_id` as last cached (never calls Slack), else the default: for views and forms."""
    person = services.people.known(user_id) if services.people is not None and user_id else None
    return choose_language(person, "", services.default_language)


def person_of(user_id: str, user: dict[str, Any]) -> Person:
    """A Person from a users.info `user` object (display name first, as people see it in Slack)."""
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    locale = user.get("locale") or None
    return Person(user_id, str(name) if name else None, language_of_locale(locale), user.get("tz") or None,
                  str(locale) if locale else None)
