"""Recording fakes for the feedback messages (bot.messages.SurveyMessages), routed like handlers.feedback_messages."""
from __future__ import annotations

from bot.outbox import SlackWrite
from bot.records import RequestView
from bot.words import Purpose

REQUESTER, STAFF = "requester", "staff"
POST, UPDATE = "chat.postMessage", "chat.update"


def _post(what: str, request: RequestView, channel: str, thread_ts: str | None = None, *,
          purpose: Purpose | None = None, **extra: object) -> SlackWrite:
    args = {"what": what, "request": request.id, "status": str(request.status), **extra, "channel": channel}
    if thread_ts:
        args["thread_ts"] = thread_ts
    return SlackWrite(POST, args, purpose=purpose, lane=REQUESTER)


class RecordingSurveyMessages:
    """Every feedback message the domain asks for, as a SlackWrite whose args say what was asked."""

    def rating_prompt(self, request: RequestView) -> SlackWrite:
        return _post("rating_prompt", request, request.channel_id, request.reply_thread_ts, purpose=Purpose.SURVEY)

    def rating_recorded(self, request: RequestView, score: int | None, commented: bool) -> SlackWrite:
        return SlackWrite(UPDATE, {"what": "rating_recorded", "request": request.id, "status": str(request.status),
                                   "score": score, "commented": commented}, edit_of=Purpose.SURVEY, lane=REQUESTER)

    def recheck_question(self, request: RequestView) -> SlackWrite:
        return _post("recheck_question", request, request.channel_id, request.reply_thread_ts,
                     purpose=Purpose.RECHECK)

    def recheck_answered(self, request: RequestView, still_fixed: bool) -> SlackWrite:
        return SlackWrite(UPDATE, {"what": "recheck_answered", "request": request.id, "status": str(request.status),
                                   "still_fixed": still_fixed}, edit_of=Purpose.RECHECK, lane=REQUESTER)

    def feedback_received(self, request: RequestView) -> SlackWrite:
        return _post("feedback_received", request, request.channel_id)

    def department_feedback(self, department_name: str, channel: str, text: str, language: str = "en") -> SlackWrite:
        return SlackWrite(POST, {"what": "department_feedback", "department": department_name, "channel": channel,
                                 "text": text}, lane=STAFF)

    def pulse_question(self, user: str, department_name: str, survey_id: int, language: str = "en") -> SlackWrite:
        return SlackWrite(POST, {"what": "pulse_question", "department": department_name, "survey": survey_id,
                                 "channel": user}, lane=REQUESTER)
