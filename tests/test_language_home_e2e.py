"""The App Home, search, the request and feedback forms, `/helploop help` and the rating after a fix, each in the
reader's language, end to end: signed requests into the real app, users.info answered by the local fake Slack with
each person's locale, and the text a person would see."""
from __future__ import annotations

from urllib.parse import unquote_plus

import pytest
from sqlalchemy import text as sql

from handlers.action_ids import ActionId, CallbackId
from localslack.webapi import LocalSlack, render_message
from tests.flows import (IT_STAFF, UNANSWERABLE, click, reload, request_for, resolve, text_of, wait_call,
                         wait_recorded)
from tests.harness import running
from tests.test_home_e2e import home_click, home_lines, open_home, opened_view

MINH, MINH_DM = "U0HLVIMINH", "D0HLVIMINH"      # Slack in Vietnamese
KASIA, KASIA_DM = "U0HLPLKASIA", "D0HLPLKASIA"  # Slack in Polish
ANNA = IT_STAFF[0]                              # IT staff, Slack in Polish (IT's own posts stay in English)


@pytest.fixture
def slack():
    with LocalSlack() as fake:
        fake.add_user(MINH, "Nguyễn Văn Minh", tz="Asia/Ho_Chi_Minh", locale="vi-VN")
        fake.add_user(KASIA, "Katarzyna Nowak", tz="Europe/Warsaw", locale="pl-PL")
        fake.add_user(ANNA, "Anna Kowalska", tz="Europe/Warsaw", locale="pl-PL")
        yield fake


@pytest.fixture
def h(sqlite_url, slack):
    with running(sqlite_url, slack=slack) as harness:
        yield harness


def escalated(h, user: str, channel: str):
    response = h.sim.message(user, UNANSWERABLE, channel)
    assert response.status == 200, response.body
    return wait_recorded(h, request_for(h, channel, response.ts).id, "triage_ts")


def command_reply(h, user: str, text: str) -> str:
    mark = len(h.slack.calls())
    assert h.sim.slash_command(user, "/helploop", text, "C0HLGENERAL").status == 200
    return "\n".join(render_message(wait_call(h, mark, "response_url").args))


def test_a_vietnamese_employee_sees_the_app_home_in_vietnamese(h):
    request = escalated(h, MINH, MINH_DM)
    open_home(h, MINH)
    text = home_lines(h, MINH, f"#{request.id}")
    assert "Yêu cầu của anh/chị" in text and "[Yêu cầu hỗ trợ]" in text
    assert f"#{request.id} · IT · đang chờ người của IT nhận xử lý" in text and "[Thêm tin nhắn]" in text
    assert "Tìm câu trả lời" in text and "Nhấn Enter để tìm." in text
    assert "Bộ phận nào phụ trách việc gì" in text and "Giờ làm việc: Thứ 2–Thứ 6 09:00–17:30" in text
    assert "Your requests" not in text and "Who handles what" not in text and "waiting for" not in text


def test_polish_staff_see_their_queue_in_polish_and_it_updates_after_a_claim(h):
    request = escalated(h, KASIA, KASIA_DM)
    open_home(h, ANNA)
    text = home_lines(h, ANNA, "Nieprzypisane (1)")
    assert "Moje zgłoszenia" in text and "Kolejka zespołu: IT" in text
    assert f"#{request.id} · IT · <@{KASIA}> · czeka 0 min" in text and "[Przypisz do mnie]" in text
    assert "Przypisane do mnie (0)" in text and "Zaległe (0)" in text and "Unclaimed" not in text

    home_click(h, ANNA, ActionId.CLAIM, str(request.id))
    assert wait_recorded(h, request.id, "claimed_by").claimed_by == ANNA
    text = home_lines(h, ANNA, "Przypisane do mnie (1)")
    assert "Nieprzypisane (0)" in text and "[Rozwiąż]" in text and "bez ruchu od 0 min" in text


def test_the_rating_prompt_and_its_thanks_are_in_polish(h):
    request = escalated(h, KASIA, KASIA_DM)
    mark = click(h, IT_STAFF[1], ActionId.CLAIM, request, request.triage_channel, request.triage_ts)
    wait_call(h, mark, "chat.postMessage", KASIA_DM, "zajmuje się")
    mark = resolve(h, IT_STAFF[1], reload(h, request.id), done="Wymieniony zasilacz projektora")
    wait_call(h, mark, "chat.postMessage", KASIA_DM, "rozwiązane")
    h.advance(hours=25)
    request = wait_recorded(h, request.id, "followup_ts")

    mark = click(h, KASIA, ActionId.FIXED_YES, request, KASIA_DM, request.followup_ts)
    prompt = text_of(wait_call(h, mark, "chat.postMessage", KASIA_DM, "Proszę ocenić"))
    assert prompt.startswith(f"Proszę ocenić pomoc w sprawie „{UNANSWERABLE}”.")
    assert "[1 · słabo]" in prompt and "[5 · świetnie]" in prompt and "[Dodaj komentarz]" in prompt
    assert "Nieobowiązkowe: wystarczy jedno kliknięcie. Raportowane są tylko wyniki zbiorcze." in prompt
    assert "How would you rate" not in prompt and "poor" not in prompt

    mark = len(h.slack.calls())
    h.sim.block_action(KASIA, f"{ActionId.RATE}.4", f"{request.id}|4", KASIA_DM, None)
    thanks = text_of(wait_call(h, mark, "chat.update", KASIA_DM, "Ocena: 4/5"))
    assert thanks.startswith(f"Dziękuję za ocenę w sprawie „{UNANSWERABLE}”. Ocena: 4/5 ")
    assert "[Dodaj komentarz]" in thanks


def test_search_help_and_the_forms_are_in_the_invokers_language(h):
    found = command_reply(h, MINH, "search vpn")
    assert "Câu trả lời cho “vpn”" in found and "Anh/chị mở https://id.example.com/vpn" in found  # the vi answer
    assert "Answers for" not in found

    usage = command_reply(h, KASIA, "help")
    assert usage.startswith("Polecenia *helploop*:")
    assert "• `/helploop search <słowa>` — wyszukiwanie w gotowych odpowiedziach" in usage
    assert "• `/helploop feedback [dział]`" in usage and "• karta *Home* aplikacji helploop" in usage

    mark = len(h.slack.calls())
    h.sim.slash_command(MINH, "/helploop", "", "C0HLGENERAL")
    form = opened_view(h, mark, str(CallbackId.REQUEST_FORM))
    shown = "\n".join(render_message(form))
    assert form["title"]["text"] == "Yêu cầu hỗ trợ" and form["submit"]["text"] == "Gửi"
    assert "Em sẽ trả lời anh/chị trong tin nhắn riêng" in shown

    mark = len(h.slack.calls())
    h.sim.slash_command(KASIA, "/helploop", "feedback it", "C0HLGENERAL")  # her language is cached by now
    feedback = opened_view(h, mark, str(CallbackId.FEEDBACK))
    assert feedback["title"]["text"] == "Opinia" and feedback["close"]["text"] == "Anuluj"
    values = {"department": {"value": {"type": "static_select", "selected_option": {"value": "it"}}},
              "text": {"value": {"type": "plain_text_input", "value": "Szybka pomoc, dziękuję"}},
              "anonymous": {"value": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]}}}
    payload = h.sim.view_submission_payload(KASIA, str(CallbackId.FEEDBACK), values)
    payload["view"]["blocks"] = feedback["blocks"]  # as Slack does: the submitted view carries its blocks
    submitted = h.sim._interactive(payload)
    assert submitted.status == 200
    thanks = submitted.json()["view"]
    assert thanks["title"]["text"] == "Dziękuję" and thanks["close"]["text"] == "Zamknij"
    assert "Dziękuję. Opinia została przekazana bez podpisu" in "\n".join(render_message(thanks))
    with h.app.sessions.begin() as session:  # stored without the form's language (a hint in a small team)
        stored = [unquote_plus(b) for b in session.execute(sql("SELECT body FROM inbox")).scalars()
                  if CallbackId.FEEDBACK in unquote_plus(b)]
    assert len(stored) == 1 and "Szybka pomoc" in stored[0]
    assert "language-pl" not in stored[0] and "Opinia" not in stored[0] and KASIA not in stored[0]
