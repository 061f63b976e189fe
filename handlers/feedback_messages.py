"""The feedback messages the domain asks for (bot.messages.SurveyMessages), rendered as Slack writes."""
from __future__ import annotations

from typing import Any

from bot.outbox import SlackWrite
from bot.records import RequestView
from bot.words import Purpose
from handlers import feedback_blocks as fb

REQUESTER, STAFF = "requester", "staff"


class SlackSurveyMessages:
    """Pure renderings of the rating, re-check, feedback and pulse messages (mixed into SlackMessages)."""

    def rating_prompt(self, request: RequestView) -> SlackWrite:
        """ "How would you rate …?" in the requester's thread or DM, recorded so it can be edited."""
        text, body = fb.rating_prompt(request)
        return _post(request.channel_id, text, body, request.reply_thread_ts, purpose=Purpose.SURVEY)

    def rating_recorded(self, request: RequestView, score: int | None, commented: bool) -> SlackWrite:
        """The rating question, edited to say thanks."""
        text, body = fb.rating_recorded(request, score, commented)
        return SlackWrite("chat.update", {"text": text, "blocks": body}, edit_of=Purpose.SURVEY, lane=REQUESTER)

    def recheck_question(self, request: RequestView) -> SlackWrite:
        """ "Is it still fixed?" in the requester's thread or DM."""
        text, body = fb.recheck_question(request)
        return _post(request.channel_id, text, body, request.reply_thread_ts, purpose=Purpose.RECHECK)

    def recheck_answered(self, request: RequestView, still_fixed: bool) -> SlackWrite:
        """The re-check, edited once answered."""
        text, body = fb.recheck_answered(request, still_fixed)
        return SlackWrite("chat.update", {"text": text, "blocks": body}, edit_of=Purpose.RECHECK, lane=REQUESTER)

    def feedback_received(self, request: RequestView) -> SlackWrite:
        """To the author of named feedback, in their DM."""
        return _post(request.channel_id, fb.feedback_received(request))

    def department_feedback(self, department_name: str, channel: str, text: str, language: str = "en") -> SlackWrite:
        """Anonymous feedback in the department's triage channel, in the department's language."""
        summary, body = fb.department_feedback(department_name, text, language)
        return _post(channel, summary, body, lane=STAFF)

    def pulse_question(self, user: str, department_name: str, survey_id: int, language: str = "en") -> SlackWrite:
        """A pulse question in the person's DM (a user id as the channel opens the bot's DM with them)."""
        text, body = fb.pulse_question(department_name, survey_id, language)
        return _post(user, text, body)


def _post(channel: str, text: str, body: list[dict[str, Any]] | None = None, thread_ts: str | None = None, *,
          purpose: Purpose | None = None, lane: str = REQUESTER) -> SlackWrite:
    args: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
    if body:
        args["blocks"] = body
    if thread_ts:
        args["thread_ts"] = thread_ts
    return SlackWrite("chat.postMessage", args, purpose=purpose, lane=lane)
